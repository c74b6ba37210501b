"""Run the bad-input tables of issue 15 and print the counts per module.

Usage: ``python tools/bad_input_report.py [--out tools/bad_input_report.txt]``

Two sections: the hand-written tables, the ``MODULES`` dictionaries of ``tests/test_bad_input*.py``
(module name -> list of cases), and the typed battery of ``tests/bad_input_battery.py`` (every
listed parameter replaced by every bad value of its kind). Each case is classified by
``tests/bad_input_harness.outcome``:

* CLEAR: a TypeError/ValueError (FileNotFoundError/IsADirectoryError for a path) naming the
  parameter as a word, with the watched models unchanged;
* PARTIAL: such an error that does not name the parameter; CHANGED: one raised after the
  watched state changed; UNCLEAR: any other exception; SILENT: no error at all.

A NaN/inf case is one whose label mentions nan or inf; the report counts how many of them were
silent (the issue asks for none). The exit status is 1 unless every module of both sections
has at least 90 % clear errors and no NaN/inf case is silent.
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
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.path[:0] = [str(ROOT), str(TESTS)]
    import matplotlib
    matplotlib.use("Agg")
    import torch
    torch.set_num_threads(1)
    from bad_input_harness import outcome

    start = time.perf_counter()
    import bad_input_battery
    sections = [("Hand-written tables (tests/test_bad_input*.py)", tables()),
                ("Typed battery (tests/bad_input_battery.py: every parameter x every bad value of its kind)",
                 bad_input_battery.cases())]
    lines = ["Bad-input cases of issue 15, run by tools/bad_input_report.py", ""]
    ok = True
    for title, section in sections:
        section_lines, section_ok = _section(outcome, section)
        lines += [f"## {title}", ""] + section_lines + [""]
        ok = ok and section_ok
    report = "\n".join(lines)
    print(report, end="")
    print(f"({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    if args.out:
        Path(args.out).write_text(report)
    return 0 if ok else 1


def _section(outcome, cases_by_module) -> tuple[list[str], bool]:
    rows, misses = [], []
    totals: Counter = Counter()
    nan_total = nan_silent = 0
    for module, cases in cases_by_module.items():
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
    lines = [f"| {'module':<13} | cases | clear errors | % clear | " + " | ".join(KINDS[1:]) + " |",
             "|" + "---|" * (4 + len(KINDS) - 1)]
    for module, n, counts in rows + [("all", sum(r[1] for r in rows), totals)]:
        pct = 100.0 * counts["CLEAR"] / n if n else 0.0
        lines.append(f"| {module:<13} | {n:5d} | {counts['CLEAR']:12d} | {pct:6.1f} % | "
                     + " | ".join(f"{counts[k]:d}" for k in KINDS[1:]) + " |")
    lines += ["", f"NaN/inf inputs: {nan_total} cases, {nan_silent} silent.",
              f"Cases that are not CLEAR: {len(misses)}"] + misses
    ok = all(100 * r[2]["CLEAR"] >= 90 * r[1] for r in rows) and nan_silent == 0
    return lines, ok


if __name__ == "__main__":
    sys.exit(main())
