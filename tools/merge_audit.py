"""Copy the audit record of some chapters from another checkout's record into this one.

    python tools/merge_audit.py /tmp/snap/gantext/audit_record.json 05-mode-collapse

An audit is best run in a snapshot of the repository (``git worktree add``), so that edits made
while it runs cannot change what it executes; this script then moves its result, chapter by
chapter, into ``gantext/audit_record.json`` here: the chapter's trained claims and its meta entry
replace the ones recorded before, and the other chapters are left as they are.
"""

from __future__ import annotations

import argparse
import fcntl
import json
from pathlib import Path

RECORD = Path(__file__).resolve().parents[1] / "gantext" / "audit_record.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help="an audit_record.json written by tools/audit.py")
    ap.add_argument("chapters", nargs="+", help="notebook names without .ipynb")
    args = ap.parse_args()
    source = json.loads(args.source.read_text(encoding="utf-8"))
    missing = [c for c in args.chapters if c not in source["meta"]]
    if missing:
        raise SystemExit(f"{args.source} has no audit of {', '.join(missing)}")
    with open(RECORD.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = json.loads(RECORD.read_text(encoding="utf-8"))
        chapters = set(args.chapters)
        record["claims"] = {k: v for k, v in record["claims"].items() if v["chapter"] not in chapters}
        record["claims"].update({k: v for k, v in source["claims"].items() if v["chapter"] in chapters})
        record["meta"].update({c: source["meta"][c] for c in args.chapters})
        record["meta"] = dict(sorted(record["meta"].items()))
        tmp = RECORD.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(RECORD)
    print(f"merged {', '.join(args.chapters)} into {RECORD}")


if __name__ == "__main__":
    main()
