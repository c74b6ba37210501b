"""Plant one wrong formula at a time in a copy of gantext and run the chapter that teaches it.

    python tools/mutants.py                 # every mutant: its chapter, then the unit tests
    python tools/mutants.py --only ID ...   # some of them, merged into the stored results
    python tools/mutants.py --no-units      # chapters only
    python tools/mutants.py --list

Mutants are declared in ``tools/mutants/*.toml``, one ``[[mutant]]`` table each::

    [[mutant]]
    id = "jsd-without-half"            # unique, short
    file = "gantext/theory/divergences.py"  # the file to change
    find = "0.5 * (kl(p, m) + kl(q, m))"   # must occur exactly once in that file
    replace = "(kl(p, m) + kl(q, m))"
    chapter = "03-js-divergence"       # the notebook (book/<chapter>.ipynb) that teaches it
    why = "the 1/2 of the JSD dropped"

A mutant is *killed* by its chapter when ``pytest --nbval-lax`` over that notebook fails with the
mutated copy first on ``PYTHONPATH``; it must be, or the chapter has a missing or vacuous check.
The unit tests that mirror the mutated module (``tests/test_<module>*.py``; ``test_theory_dynamics*``
for ``gantext/theory/dynamics.py``) are run too and reported separately. The results go to
``tools/mutants/results.json``; the exit status is non-zero when a mutant survives its chapter.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "tools" / "mutants"
REQUIRED = ("id", "file", "find", "replace", "chapter", "why")


def load_mutants() -> list[dict]:
    mutants = []
    for spec in sorted(SPECS.glob("*.toml")):
        for m in tomllib.loads(spec.read_text(encoding="utf-8")).get("mutant", []):
            missing = [k for k in REQUIRED if k not in m]
            if missing:
                raise SystemExit(f"{spec.name}: mutant {m.get('id', '?')} lacks {', '.join(missing)}")
            m["spec"] = spec.name
            mutants.append(m)
    ids = [m["id"] for m in mutants]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate mutant ids: {sorted(dupes)}")
    return mutants


def plant(m: dict, into: Path) -> None:
    """Copy gantext into ``into`` and apply the mutant's one replacement there."""
    shutil.copytree(ROOT / "gantext", into / "gantext", ignore=shutil.ignore_patterns("__pycache__"))
    target = into / m["file"]
    text = target.read_text(encoding="utf-8")
    n = text.count(m["find"])
    if n != 1:
        raise SystemExit(f"mutant {m['id']}: 'find' occurs {n} times in {m['file']}, must be once")
    target.write_text(text.replace(m["find"], m["replace"]), encoding="utf-8")


def run(cmd: list[str], pythonpath: Path | None, timeout: int) -> tuple[int, str, float]:
    # PYTHONSAFEPATH: `python -c` and `python -m` would otherwise put the working directory (the
    # repository, with the unmutated gantext) ahead of PYTHONPATH
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
               PYTHONSAFEPATH="1")
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    start = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        code, out = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as err:
        code, out = 124, f"timed out after {timeout} s\n{err.stdout or ''}"
    return code, out, time.perf_counter() - start


def chapter_cmd(chapter: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "--nbval-lax", "-x", "-q", "-p", "no:cacheprovider",
            "-p", "no:randomly", f"book/{chapter}.ipynb"]


def evidence(out: str) -> str:
    """The line that shows why the run failed: a failed claim, else the last error line."""
    claims = re.findall(r"✘ .*", out)
    if claims:
        return claims[0][:300]
    errors = [line for line in out.splitlines() if re.match(r"^E?\s*\w*(Error|Exception)\b", line.strip())]
    return (errors[-1] if errors else out.strip().splitlines()[-1] if out.strip() else "")[:300]


CACHE = ROOT / "_build" / "mutants"


def fingerprint(m: dict, units: bool) -> str:
    """What a result depends on: the mutant, the package, its chapter and (with units) the tests."""
    h = hashlib.sha256(json.dumps({k: m[k] for k in REQUIRED}, sort_keys=True).encode())
    files = sorted((ROOT / "gantext").rglob("*.py"))
    if units:
        files += unit_tests(m)
    for f in files:
        h.update(f.relative_to(ROOT).as_posix().encode() + f.read_bytes())
    notebook = json.loads((ROOT / "book" / f"{m['chapter']}.ipynb").read_text(encoding="utf-8"))
    for cell in notebook["cells"]:  # the chapter's code, not its stored outputs
        if cell["cell_type"] == "code":
            h.update("".join(cell["source"]).encode())
    return h.hexdigest()


def unit_tests(m: dict) -> list[Path]:
    """The unit tests of the mutated module: the files that mirror it (tests/test_<module>*.py,
    where a module in a subpackage is named by its path: gantext/theory/dynamics.py is
    ``theory_dynamics``)."""
    module = "_".join(Path(m["file"]).relative_to("gantext").with_suffix("").parts)
    return sorted((ROOT / "tests").glob(f"test_{module}*.py"))


def check(m: dict, units: bool, resume: bool = False) -> dict:
    key = fingerprint(m, units)
    cached = CACHE / f"{m['id']}.json"
    if resume and cached.is_file():
        result = json.loads(cached.read_text(encoding="utf-8"))
        if result.get("fingerprint") == key:
            print(f"{m['id']:32s} (unchanged since its last check: "
                  f"{'killed' if result['killed_by_chapter'] else 'SURVIVED'})", flush=True)
            return result
    result = _check(m, units)
    result["fingerprint"] = key
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return result


def _check(m: dict, units: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"mutant-{m['id']}-") as tmp:
        tmp = Path(tmp)
        plant(m, tmp)
        # the mutated copy must be the one imported
        code, out, _ = run([sys.executable, "-c", "import gantext; print(gantext.__file__)"], tmp, 120)
        if code or not out.strip().startswith(str(tmp)):
            raise SystemExit(f"mutant {m['id']}: the copy is not what Python imports ({out.strip()})")
        code, out, secs = run(chapter_cmd(m["chapter"]), tmp, 1800)
        result = {k: m[k] for k in ("id", "file", "chapter", "why", "spec")}
        result.update(killed_by_chapter=code != 0, chapter_seconds=round(secs, 1),
                      chapter_evidence=evidence(out) if code else "")
        if units:
            tests = [str(t.relative_to(ROOT)) for t in unit_tests(m)]
            code, out, secs = run([sys.executable, "-m", "pytest", *tests, "-x", "-q", "-p", "no:cacheprovider"],
                                  tmp, 1800) if tests else (0, "", 0.0)
            result.update(killed_by_units=code != 0, units_evidence=evidence(out) if code else "")
    status = "killed" if result["killed_by_chapter"] else "SURVIVED"
    print(f"{m['id']:32s} {m['chapter']:28s} chapter: {status:8s} {result['chapter_seconds']:6.1f} s"
          + (f"  units: {'killed' if result['killed_by_units'] else 'survived'}" if units else "")
          + (f"\n    {result['chapter_evidence']}" if result["chapter_evidence"] else ""), flush=True)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", metavar="ID", help="run only these mutants")
    ap.add_argument("--no-units", action="store_true", help="skip the unit tests")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--jobs", type=int, default=2, help="mutants checked at once (default 2)")
    ap.add_argument("--out", type=Path, default=SPECS / "results.json")
    ap.add_argument("--resume", action="store_true",
                    help="reuse a mutant's last result when neither it, gantext, its chapter nor the tests changed")
    args = ap.parse_args()

    mutants = load_mutants()
    if args.only:
        unknown = set(args.only) - {m["id"] for m in mutants}
        if unknown:
            raise SystemExit(f"unknown mutant ids: {sorted(unknown)}")
        mutants = [m for m in mutants if m["id"] in args.only]
    if args.list:
        for m in mutants:
            print(f"{m['id']:32s} {m['chapter']:28s} {m['why']}")
        return 0
    for m in mutants:  # fail fast on a malformed spec before any long run
        with tempfile.TemporaryDirectory() as tmp:
            plant(m, Path(tmp))

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda m: check(m, not args.no_units, args.resume), mutants))
    seconds = time.perf_counter() - start
    killed = sum(r["killed_by_chapter"] for r in results)
    for r in results:
        r.pop("fingerprint", None)
    summary = {"command": "python tools/mutants.py" + (" --no-units" if args.no_units else ""),
               "seconds": round(seconds), "mutants": len(results), "killed_by_chapter": killed}
    if not args.no_units:
        summary["killed_by_units"] = sum(r["killed_by_units"] for r in results)
    print(json.dumps(summary))
    all_killed = killed == len(results)
    if args.only:  # merge into the stored results: these mutants' entries replace their old ones
        results, summary = merged(args.out, results, summary)
    args.out.write_text(json.dumps({"summary": summary, "results": results}, indent=1,
                                   ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if all_killed else 1


def merged(path: Path, new: list[dict], run: dict) -> tuple[list[dict], dict]:
    """The stored results with ``new`` in place of their earlier entries, in declaration order;
    mutants no longer declared are dropped and declared ones never checked are listed."""
    stored = json.loads(path.read_text(encoding="utf-8"))["results"] if path.is_file() else []
    by_id = {r["id"]: r for r in stored} | {r["id"]: r for r in new}
    declared = [m["id"] for m in load_mutants()]
    results = [by_id[i] for i in declared if i in by_id]
    summary = {"command": "python tools/mutants.py, merged with runs of --only (last: "
                          f"{run['command']} --only {' '.join(r['id'] for r in new)})",
               "mutants": len(declared), "checked": len(results),
               "killed_by_chapter": sum(r["killed_by_chapter"] for r in results),
               "killed_by_units": sum(r.get("killed_by_units", False) for r in results),
               "units_not_run": [r["id"] for r in results if "killed_by_units" not in r],
               "not_checked": [i for i in declared if i not in by_id]}
    return results, summary


if __name__ == "__main__":
    sys.exit(main())
