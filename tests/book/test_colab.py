"""Static checks that a chapter opened from its launch button runs in a fresh Colab session.

No kernel and no network: the notebooks are read as JSON. What runs in Colab's package versions is
checked by .ci/colab-check.py (CI); what cannot be checked here is listed in the README.
"""
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
# distribution name -> the module a chapter imports
IMPORT_NAME = {"scikit-learn": "sklearn", "pot": "ot", "pyyaml": "yaml", "pillow": "PIL"}


def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def test_every_chapter_is_checked():
    assert len(NOTEBOOKS) >= 9, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_installs_gantext_from_the_repository(path):
    url = CONFIG["repository"]["url"].rstrip("/")
    first = code_cells(path)[0]
    match = re.search(r"try:\n\s+import gantext as gt\nexcept ImportError:[^\n]*\n"
                      r"\s+%pip install (?:--quiet |-q )?\"gantext @ git\+([^\"]+)\"\n\s+import gantext as gt", first)
    assert match, f"{path.name}: the first code cell must install gantext when it is missing:\n{first[:400]}"
    assert match.group(1).removesuffix(".git").rstrip("/") == url, (
        f"{path.name} installs from {match.group(1)}, but _config.yml's repository.url is {url}")


def declared_modules() -> set[str]:
    """Modules that a chapter may import in Colab: gantext's own dependencies (what its install
    cell installs), IPython, and torchvision (preinstalled in Colab, .ci/colab-constraints.txt)."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {Requirement(d).name.lower() for d in deps}
    return {IMPORT_NAME.get(n, n.replace("-", "_")) for n in names} | {"gantext", "IPython", "torchvision"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapters_import_only_what_the_install_cell_provides(path):
    """A chapter that imports a package gantext does not declare works here (the lock has it) and
    fails in Colab (QuantEcon lecture-python.myst #950)."""
    allowed = declared_modules() | set(sys.stdlib_module_names)
    imported = set()
    for source in code_cells(path):
        for line in source.splitlines():
            m = re.match(r"\s*(?:import|from)\s+([A-Za-z_][\w]*)", line)
            if m and not line.lstrip().startswith("from ."):
                imported.add(m.group(1))
    missing = sorted(imported - allowed)
    assert not missing, f"{path.name} imports {missing}, which gantext's install cell does not install"
