"""Does gantext still work with Google Colab's package versions? (CI step, called by .ci/run.)

Colab's versions are in .ci/colab-constraints.txt (copied from googlecolab/backend-info; its header
says from which commit and what this check cannot reproduce). Three steps:

1. resolve: ``pip install --dry-run --ignore-installed`` of gantext with Colab's versions as
   constraints must succeed (catches a lower bound that excludes Colab's version, such as the old
   ``ipywidgets>=8.0``), and Colab's torch/torchvision (not installed here) must satisfy gantext's
   declared bounds.
2. no replacement: in a venv that has Colab's versions installed, ``pip install --dry-run`` of
   gantext without any constraint (what a chapter's install cell runs in Colab) must not plan to
   replace any of them.
3. run: in that venv (Colab's numpy, SciPy, Matplotlib, scikit-learn, ipywidgets 7, IPython 7,
   ipykernel 6; requirements.lock's torch and test tools), the unit tests and every chapter under
   ``pytest --nbval-lax`` (a chapter fails on any exception, so on any failed ``gt.verify``): in CI
   a subset of the chapters (CI_NOTEBOOKS) to keep CI under 25 minutes; ``--notebooks all`` runs all.

Usage: python .ci/colab-check.py [--resolve-only] [--no-unit] [--notebooks all | NOTEBOOK ...]
The venv is kept in _build/venv-colab and rebuilt when the constraints, the lock or pyproject.toml
change. Prints the seconds each step took.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / ".ci" / "colab-constraints.txt"
LOCK = ROOT / "requirements.lock"
VENV = ROOT / "_build" / "venv-colab"
# CI runs these chapters (CI must stay under 25 minutes: every chapter took 9.5 min on this 2-core
# machine under load, ~4 expected idle); `--notebooks all` runs every one. They cover what
# Colab's older versions touch: IPython's display (intro), training and plots (1), the ipywidgets 7
# explorer (2), SciPy and POT (3), scikit-learn and the metrics (8). The unit tests cover every module.
CI_NOTEBOOKS = ["book/intro.ipynb", "book/01-minimax.ipynb", "book/02-optimal-discriminator.ipynb",
                "book/03-js-divergence.ipynb", "book/08-evaluation.ipynb"]
COLAB_PYTHON = "3.13"  # os-info.txt of the same backend-info commit: Python 3.13.15
# Colab's packages that the run must have at exactly Colab's version (the rest follow as deps).
MUST_MATCH = ["numpy", "scipy", "matplotlib", "scikit-learn", "ipywidgets", "ipython", "ipykernel", "tqdm",
              "jupyter-client", "traitlets", "pillow"]


def colab_python() -> str:
    """An interpreter of Colab's Python minor version if this machine has one (pyenv has 3.13 here),
    else this one (the check then says so). GANTEXT_COLAB_PYTHON overrides."""
    candidates = [os.environ.get("GANTEXT_COLAB_PYTHON"), shutil.which(f"python{COLAB_PYTHON}"),
                  *sorted(map(str, Path("/root/.pyenv/versions").glob(f"{COLAB_PYTHON}.*/bin/python{COLAB_PYTHON}")),
                          reverse=True)]
    for c in filter(None, candidates):  # a pyenv shim of a version not selected exits 127: try each
        if subprocess.run([c, "-c", "import venv, pip"], capture_output=True).returncode == 0:
            return c
    print(f"   WARNING: no Python {COLAB_PYTHON} here (Colab's); checking with {sys.version.split()[0]} instead")
    return sys.executable


def read_pins(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(installed pins, pins read for the bound check only) of a constraints file, by canonical name."""
    applied, not_installed = {}, {}
    for line in path.read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if not spec:
            continue
        name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", spec).groups()
        (not_installed if "not installed" in line else applied)[canonicalize_name(name)] = version
    return applied, not_installed


def lock_pins() -> dict[str, str]:
    return read_pins(LOCK)[0]


def gantext_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"].get("vision", []))
    return {canonicalize_name(Requirement(r).name): Requirement(r) for r in reqs}


def step(title: str):
    print(f"\n== colab-check: {title}", flush=True)
    return time.monotonic()


def done(t0: float, title: str, times: dict):
    times[title] = time.monotonic() - t0
    print(f"== colab-check: {title}: {times[title]:.0f} s", flush=True)


def pip(python: Path | str, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "pip", *args], cwd=ROOT, text=True, **kw)


def planned(report: Path) -> dict[str, str]:
    """Packages a pip --report plans to install, by canonical name."""
    items = json.loads(report.read_text())["install"]
    return {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in items}


def check_bounds(not_installed: dict[str, str]) -> None:
    reqs = gantext_requirements()
    for name, version in not_installed.items():
        req = reqs.get(name)
        assert req is not None, f"{name} is in the Colab constraints but gantext does not declare it"
        assert req.specifier.contains(Version(version), prereleases=True), (
            f"Colab's {name} {version} does not satisfy gantext's {req}")
        print(f"   Colab's {name} {version} satisfies gantext's '{req}' (not installed here)")


def resolve(python: str, applied: dict[str, str], tmp: Path) -> None:
    constraints = tmp / "colab.txt"
    lock = lock_pins()
    pins = {**applied, "torch": lock["torch"], "torchvision": lock["torchvision"]}
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in pins.items()))
    report = tmp / "resolve.json"
    result = pip(python, "install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
                 "-c", str(constraints), ".[vision]", capture_output=True)
    if result.returncode != 0:
        sys.exit("gantext does not resolve with Colab's versions:\n" + result.stdout[-3000:] + result.stderr[-3000:])
    plan = planned(report)
    wrong = {n: (plan[n], v) for n, v in applied.items() if n in plan and plan[n] != v}
    assert not wrong, f"planned versions differ from Colab's: {wrong}"
    print(f"   resolves: {len(plan)} packages, of them {sum(n in applied for n in plan)} at Colab's pinned version")


def stamp() -> str:
    h = hashlib.sha256()
    for f in (CONSTRAINTS, LOCK, ROOT / "pyproject.toml"):
        h.update(f.read_bytes())
    h.update(" ".join(MUST_MATCH).encode())  # what build_venv installs besides gantext
    h.update(colab_python().encode())
    return h.hexdigest()


def build_venv(base: str, applied: dict[str, str], tmp: Path) -> Path:
    python = VENV / "bin" / "python"
    marker = VENV / ".colab-stamp"
    if marker.exists() and marker.read_text() == stamp():
        print(f"   reusing {VENV.relative_to(ROOT)}")
        return python
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    pip(VENV / "bin" / "python", "install", "--quiet", "--upgrade", "pip", check=True)
    # the lock's versions, except where Colab has its own
    merged = {**lock_pins(), **applied}
    constraints = tmp / "merged.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in merged.items()))
    wanted = sorted(set(MUST_MATCH) | {"widgetsnbextension", "jupyterlab-widgets", "matplotlib-inline"})
    pip(python, "install", "--quiet", "-c", str(constraints), "-e", ".[test,vision]", *wanted, check=True)
    marker.write_text(stamp())
    return python


def installed_versions(python: Path) -> dict[str, str]:
    out = pip(python, "list", "--format=json", capture_output=True, check=True).stdout
    return {canonicalize_name(p["name"]): p["version"] for p in json.loads(out)}


def check_installed(python: Path, applied: dict[str, str]) -> None:
    have = installed_versions(python)
    wrong = {n: (have.get(n), applied[n]) for n in MUST_MATCH if have.get(n) != applied[n]}
    assert not wrong, f"the Colab venv has other versions than Colab (installed, Colab): {wrong}"
    check = pip(python, "check", capture_output=True)
    assert check.returncode == 0, f"pip check fails in the Colab venv:\n{check.stdout}"
    shown = ", ".join(f"{n} {have[n]}" for n in MUST_MATCH + ["torch"])
    print(f"   installed: {shown}")


def no_replacement(python: Path, applied: dict[str, str], tmp: Path) -> None:
    """What `%pip install "gantext @ git+…"` would change in a Colab session (here: from the work tree)."""
    report = tmp / "replace.json"
    pip(python, "install", "--dry-run", "--quiet", "--report", str(report), ".", check=True)
    plan = planned(report)
    plan.pop("gantext", None)
    have = installed_versions(python)
    replaced = {n: (have[n], v) for n, v in plan.items() if n in have}
    colab = {n: vs for n, vs in replaced.items() if n in applied}
    assert not colab, f"installing gantext would replace Colab's packages (Colab's, planned): {colab}"
    assert not replaced, f"installing gantext would replace installed packages (installed, planned): {replaced}"
    print(f"   installing gantext changes nothing else (planned: {sorted(plan) or 'nothing'})")


def run_tests(python: Path) -> None:
    # ipykernel 6.17's debugger warns about Python 3.13's frozen modules at every kernel start
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    subprocess.run([str(python), "-m", "pytest", "tests", "--ignore=tests/book", "-q", "-n", "2",
                    "-p", "no:cacheprovider"], cwd=ROOT, env=env, check=True)


def run_notebooks(python: Path, notebooks: list[str]) -> None:
    # ipykernel 6.17's debugger warns about Python 3.13's frozen modules at every kernel start
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    subprocess.run([str(python), "-m", "pytest", "--nbval-lax", *notebooks, "-q", "-n", "2", "--dist", "loadfile",
                    "-p", "no:cacheprovider"], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resolve-only", action="store_true", help="only step 1 (seconds)")
    parser.add_argument("--no-unit", action="store_true", help="skip the unit tests")
    parser.add_argument("--notebooks", nargs="*", default=None,
                        help="notebooks for the nbval-lax run, or 'all' (default: the CI subset, CI_NOTEBOOKS)")
    args = parser.parse_args()
    notebooks = CI_NOTEBOOKS if args.notebooks is None else args.notebooks
    if notebooks == ["all"]:
        notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("*.ipynb"))
    applied, not_installed = read_pins(CONSTRAINTS)
    times: dict[str, float] = {}
    base = colab_python()
    version = subprocess.run([base, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True, check=True).stdout.strip()
    print(f"colab-check with Python {version} ({base}); Colab has {COLAB_PYTHON}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = step("resolve gantext with Colab's versions")
        check_bounds(not_installed)
        resolve(base, applied, tmp)
        done(t0, "resolve", times)
        if args.resolve_only:
            return
        t0 = step(f"venv with Colab's versions ({VENV.relative_to(ROOT)})")
        python = build_venv(base, applied, tmp)
        check_installed(python, applied)
        done(t0, "venv", times)
        t0 = step("a chapter's install cell would replace none of Colab's packages")
        no_replacement(python, applied, tmp)
        done(t0, "no-replacement", times)
    if not args.no_unit:
        t0 = step("unit tests with Colab's versions")
        run_tests(python)
        done(t0, "unit tests", times)
    if notebooks:
        t0 = step(f"pytest --nbval-lax with Colab's versions: {' '.join(notebooks)}")
        run_notebooks(python, notebooks)
        done(t0, "nbval-lax", times)
    print("\ncolab-check passed: " + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()))


if __name__ == "__main__":
    main()
