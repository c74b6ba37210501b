"""Audit the book's claims: run every chapter over many seeds and two numerics settings.

    python tools/audit.py                          # every chapter, 10 seeds x 2 settings (make audit)
    python tools/audit.py --chapters 05-mode-collapse 08-evaluation
    python tools/audit.py --seeds 3 --jobs 2 --no-write   # a quick look, record untouched

Run ``k`` of a chapter moves every seed the chapter sets to a fresh one (``GANTEXT_AUDIT_RUN=k``,
run 0 keeps the chapter's own seeds); each run is executed with ``MKL_CBWR`` unset and with
``MKL_CBWR=COMPATIBLE``, which rounds matrix products differently, as another processor would.
Every ``gt.verify`` of the run appends its value to a record instead of raising. The audit:

* stores the observed values of every *trained* claim in ``gantext/audit_record.json`` (which
  ``gt.verify`` reads: a trained claim prints the audited range and fails if an audited run misses
  its threshold);
* fails when any claim of any kind misses in any run, when a run raises, or when a claim was not
  checked in every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "gantext" / "audit_record.json"
RUNS = ROOT / "_build" / "audit"
NUMERICS = {"default": {}, "COMPATIBLE": {"MKL_CBWR": "COMPATIBLE"}}
# measured chapter times (s), longest first, so that two workers finish together
ORDER = ["05-mode-collapse", "04-wasserstein", "07-conditional", "06-dcgan", "01-minimax",
         "08-evaluation", "09-beyond", "02-optimal-discriminator", "03-js-divergence"]


def execute(chapter: str, run: int, numerics: str, out: Path, resume: bool = False) -> dict:
    """Execute one chapter as audit run ``run`` in a fresh process; return its status.

    A run that raises or hangs (a cell past ``CELL_TIMEOUT``; seen once in a widget cell on a
    loaded machine, kernel and client both idle) is tried once more; a claim that misses never
    raises in an audit run, so a retry cannot hide a failed claim. With ``resume``, a run that
    finished before (its ``.done`` file) is read back instead of executed again.
    """
    done = out.with_suffix(".done")
    if resume and done.is_file() and out.is_file():
        status = json.loads(done.read_text(encoding="utf-8"))
        print(f"{chapter:28s} run {run:2d} {numerics:10s} (done before, {status['seconds']} s)", flush=True)
        return status
    status = _execute_once(chapter, run, numerics, out)
    if status["error"]:
        print(f"{chapter:28s} run {run:2d} {numerics:10s} trying once more", flush=True)
        status = _execute_once(chapter, run, numerics, out)
        status["retried"] = True
    if not status["error"]:
        done.write_text(json.dumps(status), encoding="utf-8")
    return status


CELL_TIMEOUT = 900


def _execute_once(chapter: str, run: int, numerics: str, out: Path) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    out.with_suffix(".done").unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("MKL_CBWR", "GANTEXT_REQUIRE_AUDIT")}
    env.update(NUMERICS[numerics], GANTEXT_AUDIT_RUN=str(run), GANTEXT_AUDIT_RECORD=str(out),
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    code = ("import sys, nbformat\n"
            "from nbclient import NotebookClient\n"
            "nb = nbformat.read(sys.argv[1], as_version=4)\n"
            "# cells that only display an interactive widget hold no claim; nbclient hung on one of\n"
            "# them in some runs (kernel and client both idle), so an audit run leaves them out\n"
            "widget = 'application/vnd.jupyter.widget-view+json'\n"
            "nb.cells = [c for c in nb.cells if not (c.cell_type == 'code' and 'verify' not in c.source\n"
            "            and any(widget in o.get('data', {}) for o in c.get('outputs', [])))]\n"
            f"NotebookClient(nb, timeout={CELL_TIMEOUT}, kernel_name='python3', store_widget_state=True,\n"
            "               resources={'metadata': {'path': 'book'}}).execute()\n")
    start = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-c", code, f"book/{chapter}.ipynb"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=4 * CELL_TIMEOUT)
    except subprocess.TimeoutExpired:
        p = subprocess.CompletedProcess([], 124, "", f"the run took over {4 * CELL_TIMEOUT} s")
    seconds = time.perf_counter() - start
    error = ""
    if p.returncode:
        lines = [line for line in (p.stdout + p.stderr).splitlines() if line.strip()]
        error = "\n".join(lines[-6:])
    print(f"{chapter:28s} run {run:2d} {numerics:10s} {seconds:6.1f} s {'ERROR' if error else 'ok'}",
          flush=True)
    return {"chapter": chapter, "run": run, "numerics": numerics, "seconds": round(seconds, 1),
            "error": error}


def read_claims(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chapters", nargs="+", default=ORDER, help="notebook names without .ipynb")
    ap.add_argument("--seeds", type=int, default=10, help="runs per numerics setting (default 10)")
    ap.add_argument("--jobs", type=int, default=2, help="chapters executed at once (default 2)")
    ap.add_argument("--no-write", action="store_true", help="do not update gantext/audit_record.json")
    ap.add_argument("--resume", action="store_true",
                    help="reuse runs that finished before (_build/audit/<chapter>/*.done)")
    ap.add_argument("--summary", action="store_true",
                    help="print what the committed record saw for each trained claim, then exit")
    args = ap.parse_args()
    if args.summary:
        return summary()
    unknown = [c for c in args.chapters if not (ROOT / "book" / f"{c}.ipynb").is_file()]
    if unknown:
        raise SystemExit(f"no such chapter notebooks: {unknown}")
    chapters = sorted(args.chapters, key=lambda c: ORDER.index(c) if c in ORDER else -1)
    jobs = [(c, k, n) for c in chapters for k in range(args.seeds) for n in NUMERICS]

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        statuses = list(pool.map(lambda j: execute(*j, RUNS / j[0] / f"{j[1]}-{j[2]}.jsonl", args.resume),
                                 jobs))
    wall = time.perf_counter() - start

    problems = [f"{s['chapter']} run {s['run']} {s['numerics']} raised:\n{s['error']}"
                for s in statuses if s["error"]]
    claims: dict[str, dict] = {}
    notes: list[str] = []
    counts: dict[str, dict[str, int]] = {}
    for s in statuses:
        seen = read_claims(RUNS / s["chapter"] / f"{s['run']}-{s['numerics']}.jsonl")
        for c in seen:
            entry = claims.setdefault(c["claim"], {"chapter": s["chapter"], "kind": c["kind"], "runs": []})
            entry["runs"].append({"run": s["run"], "numerics": s["numerics"], "value": c["value"], "ok": c["ok"]})
            entry["test"] = c.get("test")
            if not c["ok"]:
                problems.append(f"{s['chapter']} run {s['run']} {s['numerics']}: [{c['kind']}] {c['claim']} "
                                f"missed with {c['value'] if len(str(c['value'])) < 80 else '…'}")
    n_runs = {c: sum(s["chapter"] == c and not s["error"] for s in statuses) for c in chapters}
    for claim, entry in claims.items():
        counts.setdefault(entry["chapter"], {}).setdefault(entry["kind"], 0)
        counts[entry["chapter"]][entry["kind"]] += 1
        want = n_runs[entry["chapter"]]
        if len(entry["runs"]) < want:
            problems.append(f"{entry['chapter']}: [{entry['kind']}] {claim}: checked in only "
                            f"{len(entry['runs'])} of {want} runs (a claim text that changes between runs?)")
        if entry["kind"] == "trained":
            by_setting = {}
            for r in entry["runs"]:
                by_setting.setdefault(r["numerics"], set()).add(json.dumps(r["value"]))
            if len(entry["runs"]) > 2 and all(len(v) == 1 for v in by_setting.values()):
                notes.append(f"{entry['chapter']}: [trained] {claim}: the same value in every run "
                             "(a saturated count, or randomness the audit does not reach?)")

    print(f"\n{len(jobs)} runs in {wall / 60:.1f} min wall ({args.jobs} at once); "
          f"{sum(map(len, (e['runs'] for e in claims.values())))} claim checks")
    for chapter in chapters:
        c = counts.get(chapter, {})
        print(f"  {chapter:28s} " + ", ".join(f"{k} {c.get(k, 0)}" for k in ("exact", "statistical", "trained", "sanity")))
    for n in notes:
        print("NOTE", n)
    for p in problems:
        print("FAIL", p)

    if not args.no_write:
        record = json.loads(RECORD.read_text(encoding="utf-8")) if RECORD.is_file() else {"meta": {}, "claims": {}}
        record["claims"] = {k: v for k, v in record["claims"].items() if v["chapter"] not in chapters}
        record["claims"].update({k: v for k, v in claims.items() if v["kind"] == "trained"})
        record["claims"] = dict(sorted(record["claims"].items(), key=lambda kv: (kv[1]["chapter"], kv[0])))
        import torch  # only for the provenance line

        for chapter in chapters:
            record["meta"][chapter] = {
                "command": f"python tools/audit.py --chapters {chapter} --seeds {args.seeds} (make audit: every chapter)",
                "date": dt.date.today().isoformat(), "runs": n_runs[chapter],
                "seeds": args.seeds, "numerics": list(NUMERICS),
                "cpu_seconds": round(sum(s["seconds"] for s in statuses if s["chapter"] == chapter)),
                "machine": f"{platform.machine()} {_cpu_name()}, torch {torch.__version__}",
                "claims": counts.get(chapter, {}),
                "passed": not any(p.startswith(chapter) for p in problems)}
        record["meta"] = dict(sorted(record["meta"].items()))
        RECORD.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {RECORD.relative_to(ROOT)}")
    return 1 if problems else 0


def summary() -> int:
    """Each trained claim: its test, the range over audited runs, and how close the worst run came."""
    import numpy as np

    record = json.loads(RECORD.read_text(encoding="utf-8"))
    for claim, entry in record["claims"].items():
        values = np.concatenate([np.ravel(np.asarray(r["value"], dtype=float)) for r in entry["runs"]])
        test = entry.get("test") or {}
        lo, hi = test.get("at_least"), test.get("at_most")
        bound = " and ".join(x for x in (f">= {lo:g}" if lo is not None else "",
                                         f"<= {hi:g}" if hi is not None else "") if x) or (
            f"= {test.get('expected')} (atol {test.get('atol')}, rtol {test.get('rtol')})")
        fails = sum(not r["ok"] for r in entry["runs"])
        print(f"{entry['chapter'][:2]} {len(entry['runs']):3d} runs, {fails} miss | {bound:18s} | "
              f"observed {np.nanmin(values):.4g} .. {np.nanmax(values):.4g} (median {np.nanmedian(values):.4g}) | {claim}")
    return 0


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
