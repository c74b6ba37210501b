"""The whole-book PDF of `make pdf` (.ci/build-pdf.py): every chapter, typeset math, the figures.

Skipped when the PDF has not been built, or without poppler's pdftotext (Debian poppler-utils).
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PDF = ROOT / "_build" / "pdf" / "book.pdf"

pytestmark = [
    pytest.mark.skipif(not PDF.exists(), reason="no whole-book PDF: run `make pdf` first"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="no pdftotext (Debian poppler-utils)"),
]


@pytest.fixture(scope="module")
def text():
    return subprocess.run(["pdftotext", "-layout", str(PDF), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_page_count():
    info = subprocess.run(["pdfinfo", str(PDF)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))
    assert 150 <= pages <= 1000, f"{pages} pages"


def test_every_chapter_is_in_it(text):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = [c["file"] for part in toc["parts"] for c in part["chapters"] if "/0" in c["file"]]
    for number in range(1, len(chapters) + 1):
        assert re.search(rf"Chapter {number}\.", text), f"chapter {number} is missing from the PDF"


def test_no_raw_tex_in_the_prose(text):
    """Math that MathJax did not typeset shows as TeX. Code (in the PDF's text, a line with a
    quote or an assignment: matplotlib labels hold TeX in strings) is left out."""
    raw = [line.strip() for line in text.splitlines()
           if re.search(r"\$\$|\\(?:frac|mathrm|mathbb|mathcal|begin\{|sum_|int_)", line)
           and not re.search(r"[\"'=]|^\s*#", line)]
    assert not raw, f"raw TeX in the PDF: {raw[:5]}"


def test_figures_are_in_it():
    listing = subprocess.run(["pdfimages", "-list", str(PDF)], capture_output=True, text=True, check=True).stdout
    images = len(listing.splitlines()) - 2
    assert images >= 41, f"only {images} images in the PDF"
