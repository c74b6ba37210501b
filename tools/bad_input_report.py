"""Run the bad-input tables of issue 15 and print the counts per module.

Usage: ``python tools/bad_input_report.py [--out tools/bad_input_report.txt]``

The tables are the ``MODULES`` dictionaries of ``tests/test_bad_input*.py`` (module name -> list
of cases); each case is classified by ``tests/bad_input_harness.outcome``:

* CLEAR: a TypeError/ValueError (FileNotFoundError/IsADirectoryError for a path) naming the
  parameter, with the watched models unchanged;
* PARTIAL: such an error that does not name the parameter; CHANGED: one raised after the
  watched state changed; UNCLEAR: any other exception; SILENT: no error at all.

A NaN/inf case is one whose label mentions nan or inf; the report counts how many of them were
silent (the issue asks for none).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
KINDS = ("CLEAR", "PARTIAL", "CHANGED", "UNCLEAR", "SILENT")
NAN_INF = re.compile(r"\b(nan|inf)\b|half nan|all nan", re.IGNORECASE)


def tables() -> dict[str, list]:
    """module -> cases, over every tests/test_bad_input*.py (in file order)."""
    merged: dict[str, list] = {}
    for path in sorted(TESTS.glob("test_bad_input*.py")):
        module = importlib.import_module(path.stem)
        for name, cases in getattr(module, "MODULES", {}).items():
            merged.setdefault(name, []).extend(cases)
    return merged


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--verbose", action="store_true", help="list every case that is not CLEAR")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.path[:0] = [str(ROOT), str(TESTS)]
    import matplotlib
    matplotlib.use("Agg")
    import torch
    torch.set_num_threads(1)
    from bad_input_harness import outcome

    start = time.perf_counter()
    rows, misses = [], []
    totals: Counter = Counter()
    nan_total = nan_silent = 0
    for module, cases in tables().items():
        counts: Counter = Counter()
        for case in cases:
            kind, message = outcome(case)
            counts[kind] += 1
            if NAN_INF.search(case[0]):
                nan_total += 1
                nan_silent += kind == "SILENT"
            if kind != "CLEAR":
                misses.append(f"  {module}: {case[0]}: {kind}: {message[:200]}")
        totals.update(counts)
        rows.append((module, sum(counts.values()), counts))
    lines = ["Bad-input tables (issue 15): tests/test_bad_input*.py, run by tools/bad_input_report.py",
             "",
             f"| {'module':<10} | cases | clear errors | % clear | " + " | ".join(KINDS[1:]) + " |",
             "|" + "---|" * (4 + len(KINDS) - 1)]
    for module, n, counts in rows + [("all", sum(r[1] for r in rows), totals)]:
        pct = 100.0 * counts["CLEAR"] / n if n else 0.0
        lines.append(f"| {module:<10} | {n:5d} | {counts['CLEAR']:12d} | {pct:6.1f} % | "
                     + " | ".join(f"{counts[k]:d}" for k in KINDS[1:]) + " |")
    lines += ["", f"NaN/inf inputs: {nan_total} cases, {nan_silent} silent.",
              f"Cases that are not CLEAR: {len(misses)}"] + misses
    report = "\n".join(lines) + "\n"
    print(report, end="")
    print(f"({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(report)
    return 0 if all(100 * r[2]["CLEAR"] >= 90 * r[1] for r in rows) and nan_silent == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
