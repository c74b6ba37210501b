"""The built HTML book works with no network: MathJax typesets the math and figures show.

Runs after a book build (`make book-check` or `make book`) on `_build/html`. It opens a chapter in
headless Chromium with every network request outside the file system refused, and reads the DOM
that Chromium ends with.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("GANTEXT_BOOK_HTML", ROOT / "_build" / "html"))  # where the built book is
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian package 'chromium'); "
                       "the offline HTML check cannot run"),
    pytest.mark.skipif(not (HTML / "book" / "01-minimax.html").exists(),
                       reason="the book is not built: run `make book` or `make book-check` first"),
]


def render(page: Path, tmp_path: Path) -> str:
    """The DOM of ``page`` after Chromium has run its scripts, with the network switched off."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
         f"--user-data-dir={tmp_path / 'profile'}",
         # every host name resolves nowhere: a CDN request would fail, as it does offline
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
         "--allow-file-access-from-files", "--virtual-time-budget=15000", "--dump-dom",
         page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def chapter1(tmp_path_factory):
    return render(HTML / "book" / "01-minimax.html", tmp_path_factory.mktemp("chromium"))


def test_scripts_are_served_locally():
    page = (HTML / "book" / "01-minimax.html").read_text()
    sources = re.findall(r'<script[^>]+src="([^"]+)"', page)
    remote = [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert not remote, f"scripts loaded from the network: {remote}"
    assert any("mathjax/tex-chtml-full.js" in s for s in sources)
    assert (HTML / "_static" / "mathjax" / "tex-chtml-full.js").exists()


def raw_tex(dom: str) -> list[str]:
    """TeX commands left in the prose of a rendered page (math that MathJax did not typeset)."""
    # prose only: scripts, typeset math and code listings (which may hold TeX in strings) removed
    visible = re.sub(r"<script.*?</script>|<mjx-container.*?</mjx-container>|<pre.*?</pre>|<[^>]+>", " ",
                     dom, flags=re.S)
    return re.findall(r"\\(?:frac|mathbb|mathcal|mathrm|log|sigma|sum|int|lVert|big|operatorname)\b", visible)


def test_math_is_typeset_offline(chapter1):
    typeset = chapter1.count("<mjx-container")
    assert typeset >= 20, f"only {typeset} typeset formulas: MathJax did not run offline"
    assert not raw_tex(chapter1), f"raw TeX left on the page: {raw_tex(chapter1)[:5]}"


CHAPTERS = sorted(p.name for p in (HTML / "book").glob("0*.html"))


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_chapter_typesets_all_its_math(page, tmp_path):
    """A formula broken by Markdown (say, a wrapped line that starts with '-' or '+', read as a
    list item) is left as raw TeX: no chapter may show any."""
    dom = render(HTML / "book" / page, tmp_path)
    assert "<mjx-container" in dom, f"{page}: MathJax did not run"
    assert not raw_tex(dom), f"{page}: raw TeX left on the page: {raw_tex(dom)[:5]}"


def test_figures_are_shown(chapter1):
    images = re.findall(r'<img[^>]+src="([^"]+)"', chapter1)
    local = [src for src in images if not src.startswith("http")]
    assert len(local) >= 5, f"expected the chapter's figures, found {images}"
    for src in local:
        if src.startswith("data:"):
            continue
        assert (HTML / "book" / src).resolve().exists(), f"missing image file {src}"


def test_widgets_render_offline(tmp_path):
    """Pages with stored widget state render live controls from the vendored widget manager."""
    pages = [p for p in sorted((HTML / "book").glob("*.html"))
             if "application/vnd.jupyter.widget-view+json" in p.read_text()]
    if not pages:
        pytest.skip("no built page stores widget state (run `make notebooks` to store it)")
    dom = render(pages[0], tmp_path)
    controls = re.findall(r'class="[^"]*\bwidget-(?:slider|hslider|inline-hbox|vbox|hbox)\b', dom)
    assert controls, f"{pages[0].name}: the widget state is stored but no widget was rendered offline"
