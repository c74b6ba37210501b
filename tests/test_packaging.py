"""What `pip install gantext` (not editable: Colab, Binder) installs: every module and data file."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "--quiet", "-w", str(out), str(ROOT)], capture_output=True, text=True)
    if result.returncode:
        pytest.skip(f"cannot build a wheel here: {result.stderr[-300:]}")
    return zipfile.ZipFile(next(out.glob("gantext-*.whl")))


def test_the_wheel_holds_every_module_of_the_package(wheel):
    """A subpackage left out of the wheel (gantext.models, .stacked, .theory) breaks `import
    gantext` everywhere but in an editable install."""
    shipped = set(wheel.namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gantext").rglob("*.py")}
    assert modules and modules <= shipped, sorted(modules - shipped)


def test_the_wheel_holds_the_data_the_chapters_read(wheel):
    shipped = set(wheel.namelist())
    assert "gantext/audit_record.json" in shipped
    results = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gantext" / "results").rglob("*")
               if p.is_file()}
    assert results <= shipped, sorted(results - shipped)
