"""Inline math that Markdown breaks: a formula wrapped so that a line starts with '+', '-', '*' or
'1.' is read as a list item, and the page shows raw TeX. The browser check finds it after a full
build; this finds it in the sources, in a second."""

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[2] / "book"
SOURCES = sorted(BOOK.glob("*.ipynb")) + sorted(BOOK.glob("*.md"))
LIST_START = re.compile(r"\s*([+\-*]|\d+\.)\s")
DOLLAR = re.compile(r"(?<!\\)\$")


def markdown_blocks(path: Path) -> list[str]:
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def broken_lines(text: str) -> list[str]:
    """Lines that start like a list item while an inline formula ($...$) is open."""
    found, inline, display, fence = [], False, False, False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = not fence
        if fence:
            continue
        if stripped == "$$":
            display = not display
            continue
        if inline and LIST_START.match(line):
            found.append(line)
        if not display and len(DOLLAR.findall(line.replace("$$", ""))) % 2:
            inline = not inline
        if not stripped:
            inline = False
    return found


def test_the_checker_finds_a_wrapped_formula():
    assert broken_lines("so $a = b\n+ c$ holds") == ["+ c$ holds"]
    assert broken_lines("so $a = b +\nc$ holds\n- a list item") == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_inline_formula_is_wrapped_into_a_list_item(path):
    bad = [line for block in markdown_blocks(path) for line in broken_lines(block)]
    assert not bad, f"{path.name}: a line inside $...$ starts like a list item: {bad[:3]}"


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@pytest.mark.parametrize("path", SOURCES + sorted((BOOK.parent / "gantext").rglob("*.py")),
                         ids=lambda p: p.name)
def test_no_control_characters(path):
    # A TeX command written in a Python string without r"" loses its backslash to an escape:
    # "\varepsilon" becomes a vertical tab and "arepsilon" (and Python's splitlines() then breaks
    # the cell's source there). The page shows the rest as text, and no other check notices.
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":  # JSON escapes them (\u000b): look at the cells' sources
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
    bad = [(m.start(), repr(text[max(0, m.start() - 20):m.end() + 10])) for m in CONTROL.finditer(text)]
    assert not bad, f"{path.name}: control characters at {bad[:5]}"
