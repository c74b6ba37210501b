"""`make pdf`: the whole book as one PDF, offline, at _build/pdf/book.pdf.

Each page of the HTML build (`make book-check` or `make book`; built here with execution off if
missing), in the order of _toc.yml, is printed by headless Chromium (Debian's `chromium`) once
MathJax has typeset it (virtual time lets the page's scripts finish first), with the theme's print
styles (no sidebars or buttons); poppler's `pdfunite` joins the pages. MathJax is served from the
build, so no network is used. (Jupyter Book 1's single-page builder fails on sphinx-proof's nodes.)
Checked by tests/book/test_pdf.py.
"""
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
OUT = ROOT / "_build" / "pdf" / "book.pdf"


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None or shutil.which("pdfunite") is None:
        sys.exit("make pdf needs Chromium and poppler: apt-get install -y chromium poppler-utils (Debian)")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not (HTML / "book" / "01-minimax.html").exists():
            config = yaml.safe_load((ROOT / "_config.yml").read_text())
            config.setdefault("execute", {})["execute_notebooks"] = "off"
            (tmp / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
            subprocess.run([str(Path(sys.executable).with_name("jupyter-book")), "build", str(ROOT),
                            "--config", str(tmp / "config.yml")], check=True)
        parts = []
        for i, name in enumerate(toc_pages()):
            page, part = HTML / f"{name}.html", tmp / f"{i:02d}.pdf"
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                            f"--user-data-dir={tmp / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
                            "--allow-file-access-from-files", "--virtual-time-budget=20000",
                            "--no-pdf-header-footer", f"--print-to-pdf={part}", page.as_uri()],
                           check=True, capture_output=True, timeout=300)
            if not part.exists():
                sys.exit(f"Chromium printed no PDF for {page}")
            parts.append(str(part))
        OUT.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdfunite", *parts, str(OUT)], check=True)
    print(f"{OUT.relative_to(ROOT)}: {len(parts)} chapters, {OUT.stat().st_size / 1e6:.1f} MB, "
          f"{time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
