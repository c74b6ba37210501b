"""Write the alt text of every figure output (book/_alt_text.yml) into its cell's metadata.

MyST-NB 1.4 sets an output image's ``alt`` from the *cell* metadata ``mystnb: image: alt:``
(``render_image_options``, cell key ``image``); output-level metadata is read only for width and
height. Without it the HTML book's <img> carries the image's file name as its alt.

    python .ci/apply-alt-text.py                 # every book/*.ipynb, in place
    python .ci/apply-alt-text.py --check         # change nothing; fail if a figure lacks its alt
    python .ci/apply-alt-text.py --alt FILE NB…  # other mapping / notebooks (e.g. copies in /tmp)

Fails (exit 1) when a cell with an image output has no entry in the mapping, or when an entry is
not one sentence; warns about entries whose cell no longer has a figure. Only the metadata of
figure cells changes: sources and outputs are written back as they were.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")


def figure_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and any(
        any(t in out.get("data", {}) for t in IMAGE_TYPES) for out in c.get("outputs", []))]


def one_sentence(text: str) -> bool:
    text = text.strip()
    # one sentence: ends with a full stop, no sentence break inside ('. ' followed by a capital)
    return bool(text) and text.endswith(".") and not re.search(r"[.!?]\s+[A-Z]", text[:-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: book/*.ipynb")
    parser.add_argument("--alt", type=Path, default=ROOT / "book" / "_alt_text.yml", help="the mapping")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a figure lacks its alt")
    args = parser.parse_args()
    mapping = yaml.safe_load(args.alt.read_text()) or {}
    notebooks = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    errors, changed, figures = [], [], 0
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        entries = {str(k): v for k, v in (mapping.get(path.name) or {}).items()}
        dirty = False
        seen = set()
        for cell in figure_cells(nb):
            figures += 1
            cell_id = cell.get("id")
            seen.add(cell_id)
            text = entries.get(cell_id)
            if text is None:
                source = cell.source.strip().splitlines()
                errors.append(f"{path.name}: cell {cell_id} has a figure but no alt text in {args.alt.name} "
                              f"(first line: {source[0][:70] if source else ''!r})")
                continue
            if not one_sentence(text):
                errors.append(f"{path.name}: cell {cell_id}: the alt text must be one sentence: {text!r}")
                continue
            options = cell.metadata.get("mystnb", {}).get("image", {})
            if options.get("alt") == text.strip():
                continue
            if args.check:
                errors.append(f"{path.name}: cell {cell_id}: alt text not applied (run .ci/apply-alt-text.py)")
                continue
            cell.metadata.setdefault("mystnb", {}).setdefault("image", {})["alt"] = text.strip()
            dirty = True
        for stale in sorted(set(entries) - seen):
            print(f"warning: {path.name}: {args.alt.name} has alt text for cell {stale}, which has no figure",
                  file=sys.stderr)
        if dirty:
            nbformat.write(nb, path)
            changed.append(path.name)
    for error in errors:
        print("error: " + error, file=sys.stderr)
    verb = "checked" if args.check else f"applied ({len(changed)} notebooks changed: {', '.join(changed) or 'none'})"
    print(f"alt text {verb}: {figures} figure cells in {len(notebooks)} notebooks, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
