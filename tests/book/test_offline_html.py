"""The built HTML book works with no network: MathJax typesets the math and figures show.

Runs after a book build (`make book-check` or `make book`) on `_build/html`. It opens every page in
headless Chromium with every network request outside the file system refused, and reads the DOM
that Chromium ends with: no broken image, no raw TeX, no console error, no dead internal link, no
code or output that scrolls sideways, alt text on every figure, and readable dark and light modes.
"""
import html
import json
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
    return re.findall(r"\\(?:[td]?frac|mathbb|mathcal|mathrm|log|sigma|sum|int|lVert|big|operatorname)\b", visible)


def test_math_is_typeset_offline(chapter1):
    typeset = chapter1.count("<mjx-container")
    assert typeset >= 20, f"only {typeset} typeset formulas: MathJax did not run offline"
    assert not raw_tex(chapter1), f"raw TeX left on the page: {raw_tex(chapter1)[:5]}"


CHAPTERS = sorted(p.name for p in (HTML / "book").glob("0*.html"))


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_chapter_typesets_all_its_math(page, inspected):
    """A formula broken by Markdown (say, a wrapped line that starts with '-' or '+', read as a
    list item) is left as raw TeX: no chapter may show any."""
    dom = inspected(f"book/{page}")["dom"]
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



# ---------------------------------------------------------------------------------------------
# Every page, inspected from inside: a script injected at the top of a copy of the page records
# console errors and failed loads, then reports images, overflowing code and computed colours.

REDIRECT = re.compile(r'<meta http-equiv="Refresh" content="0; url=([^"]+)"', flags=re.I)
ALL_PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html")
                   if not p.relative_to(HTML).parts[0].startswith("_"))
PAGES = [p for p in ALL_PAGES if not REDIRECT.search((HTML / p).read_text())]  # redirects checked below


@pytest.mark.parametrize("page", sorted(set(ALL_PAGES) - set(PAGES)))
def test_redirects_lead_to_a_page(page):
    target = REDIRECT.search((HTML / page).read_text()).group(1)
    assert ((HTML / page).parent / target).exists(), f"{page} redirects to a missing {target}"

PROBE = """<script>(function () {
  var errors = [];
  function push(kind, what) { errors.push(kind + ": " + String(what).slice(0, 300)); }
  var original = console.error.bind(console);
  console.error = function () { push("console.error", Array.prototype.join.call(arguments, " ")); original.apply(null, arguments); };
  window.addEventListener("error", function (e) {
    var t = e.target; push("error", e.message || (t && (t.src || t.href)) || "load error"); }, true);
  window.addEventListener("unhandledrejection", function (e) { push("unhandledrejection", e.reason); });
  function colour(el) { return el ? getComputedStyle(el).color : null; }
  window.addEventListener("load", function () { setTimeout(function () {
    var out = {errors: errors, theme: document.documentElement.dataset.theme, images: [], overflow: []};
    document.querySelectorAll(".bd-content img").forEach(function (img) {
      var cs = getComputedStyle(img);
      out.images.push({src: img.getAttribute("src"), alt: img.getAttribute("alt"),
                       ok: img.complete && img.naturalWidth > 0, figure: !!img.closest(".cell_output"),
                       background: cs.backgroundColor, filter: cs.filter});
    });
    document.querySelectorAll(".bd-content .cell_input pre, .bd-content .cell_output pre").forEach(function (pre) {
      if (pre.scrollWidth > pre.clientWidth + 2) out.overflow.push(pre.textContent.slice(0, 100));
    });
    out.text = colour(document.querySelector(".bd-content p"));
    out.math = colour(document.querySelector(".bd-content mjx-container"));
    out.widget_label = colour(document.querySelector(".bd-content .widget-label, .bd-content .widget-readout"));
    var pre = document.createElement("pre"); pre.id = "gantext-probe"; pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }, 3000); });
})();</script>"""


# Upstream, harmless: sphinx-thebe 0.3.1 under jupyter-book 1 adds its inline config script twice
# (`const THEBE_JS_URL` declared again); thebe is not enabled in this book, so nothing uses it.
# Known, follow-up: @jupyter-widgets/html-manager 1.0.6 typesets widget labels with MathJax 2's
# MathJax.Hub.Queue, and the book serves MathJax 3 (no Hub): "reading 'Queue'". The widgets render;
# only math inside a widget label would stay untypeset (no label of this book has any).
KNOWN_ERROR = re.compile(r"Identifier 'THEBE_JS_URL' has already been declared|reading 'Queue'")


def inspect(page: str, tmp_path: Path, mode: str = "light") -> dict:
    """Open ``page`` (relative to the build) offline, in the theme's light or dark mode, and return
    the probe's report with the final DOM under "dom"."""
    source = HTML / page
    # the theme reads the mode from localStorage before it paints; set it first
    mode_js = (f'<script>localStorage.setItem("mode","{mode}");localStorage.setItem("theme","{mode}");'
               f'document.documentElement.dataset.theme="{mode}";document.documentElement.dataset.mode="{mode}";</script>')
    copy = source.with_name(f"_probe_{mode}_{source.name}")  # beside the page: relative links resolve
    copy.write_text(source.read_text().replace("<head>", "<head>" + PROBE + mode_js, 1))
    try:
        dom = render(copy, tmp_path)
    finally:
        copy.unlink()
    found = re.search(r'<pre id="gantext-probe">(.*?)</pre>', dom, flags=re.S)
    assert found, f"{page}: the page did not finish loading (no probe report)"
    report = json.loads(html.unescape(found.group(1)))
    report["dom"] = dom.replace(found.group(0), "")
    return report


@pytest.fixture(scope="module")
def inspected(tmp_path_factory):
    cache = {}

    def get(page: str, mode: str = "light") -> dict:
        if (page, mode) not in cache:
            cache[page, mode] = inspect(page, tmp_path_factory.mktemp("chromium"), mode)
        return cache[page, mode]
    return get


def test_every_page_is_checked():
    assert len(PAGES) >= 12 and "book/01-minimax.html" in PAGES, PAGES


@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_cleanly_offline(page, inspected):
    """No console error, no failed load, no broken image, no raw TeX."""
    report = inspected(page)
    errors = [e for e in report["errors"] if not KNOWN_ERROR.search(e)]
    assert not errors, f"{page}: {errors[:5]}"
    broken = [i["src"] for i in report["images"] if not i["ok"]]
    assert not broken, f"{page}: broken images {broken}"
    assert not raw_tex(report["dom"]), f"{page}: raw TeX left on the page: {raw_tex(report['dom'])[:5]}"


@pytest.mark.parametrize("page", PAGES)
def test_code_and_outputs_fit_the_page_width(page, inspected):
    """A gt.verify line whose tolerance scrolls out of sight hides the claim: nothing scrolls sideways."""
    overflow = inspected(page)["overflow"]
    assert not overflow, f"{page}: {len(overflow)} code or output blocks scroll sideways: {overflow[:3]}"


def alt_problem(image: dict) -> str | None:
    alt = (image["alt"] or "").strip()
    name = image["src"].rsplit("/", 1)[-1]
    if not alt:
        return "no alt text"
    if alt == name or alt.endswith(name) or re.search(r"\.(png|jpe?g|svg|gif)$", alt, flags=re.I):
        return f"alt text is the file name {alt!r}"
    return None


@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("book/0")])
def test_every_figure_has_alt_text(page, inspected):
    """Alt text comes from book/_alt_text.yml through .ci/apply-alt-text.py (cell metadata
    mystnb.image.alt); without it docutils writes the image's file name."""
    problems = [f"{i['src']}: {alt_problem(i)}" for i in inspected(page)["images"] if i["figure"] and alt_problem(i)]
    assert not problems, f"{page}: {len(problems)} figures without alt text (run .ci/apply-alt-text.py): {problems[:3]}"


def internal_links(page: Path) -> list[str]:
    text = page.read_text()
    return [html.unescape(h) for h in re.findall(r'<(?:a|link)\b[^>]*?\bhref="([^"]+)"', text)
            if not re.match(r"[a-z][a-z0-9+.-]*:|//", h)]


def ids_of(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text()))


@pytest.mark.parametrize("page", PAGES)
def test_no_dead_internal_links(page):
    """Every relative link of the page, the download buttons (.ipynb, .md) included, names a file
    of the build, and its #anchor an element of that file."""
    source = HTML / page
    dead = []
    for href in internal_links(source):
        path, _, anchor = href.partition("#")
        path = path.split("?", 1)[0]
        target = (source.parent / path).resolve() if path else source
        if not target.exists():
            dead.append(href)
        elif anchor and target.suffix == ".html" and anchor not in ids_of(target):
            dead.append(href)
    assert not dead, f"{page}: dead links {dead[:5]}"


@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("book/")])
def test_download_buttons_name_the_source(page):
    links = [h for h in internal_links(HTML / page) if "_sources/" in h]
    assert links, f"{page}: no download button for the page's source"
    assert all(h.endswith((".ipynb", ".md")) for h in links), links


def luminance(css_colour: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+(?:\.\d+)?", css_colour)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_light_and_dark_modes_are_readable(mode, inspected):
    """Text and typeset math contrast with the page in both modes; in dark mode figures show on
    white, undimmed (_static/gantext.css); widget labels stay dark on their light area."""
    report = inspected("book/02-optimal-discriminator.html", mode)
    assert report["theme"] == mode
    light_text = mode == "dark"
    for what in ("text", "math"):
        value = luminance(report[what])
        assert (value > 0.6) if light_text else (value < 0.35), f"{mode} mode: {what} colour {report[what]}"
    figures = [i for i in report["images"] if i["figure"]]
    assert figures
    if mode == "dark":
        assert all(i["background"] == "rgb(255, 255, 255)" and i["filter"] == "none" for i in figures), figures[0]
    if report["widget_label"] is not None:
        assert luminance(report["widget_label"]) < 0.35, f"{mode} mode: widget label colour {report['widget_label']}"
