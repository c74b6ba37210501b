"""The claim checker: every quantitative sentence of the book is followed by a ``verify``.

``verify`` prints one readable line and raises :class:`AssertionError` with that same line when
the claim is false, so a notebook run (and CI) fails when the text and the code disagree.

Every claim declares its *kind*, because the kinds carry different evidence:

``"exact"``
    a closed form or quadrature, checked against an independent computation (another formula,
    SciPy, POT), never against the code path that produced the value;
``"statistical"``
    a Monte Carlo estimate, with a tolerance of a few of its standard errors;
``"trained"``
    an outcome of training. A run's exact trajectory depends on how the processor rounds, so
    the threshold must hold over the audit (``make audit``): many seeds under two numerics
    settings, whose observed values ship with the package (:mod:`gantext.audit`). The printed
    line says what the audit saw, and a threshold that an audited run misses fails the claim;
``"sanity"``
    a check that holds by mathematics alone (a symmetry by construction, a shape): useful to a
    reader, but not evidence, and counted apart.
"""

from __future__ import annotations

import math

import numpy as np

from . import audit as _audit

__all__ = ["verify", "count_claims", "KINDS"]

KINDS = ("exact", "statistical", "trained", "sanity")


def _as_array(x, name: str) -> np.ndarray:
    try:
        if hasattr(x, "detach"):  # a torch tensor on any device
            x = x.detach().cpu().double().numpy()
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number, an array or a tensor, got {type(x).__name__}") from err
    if a.size == 0:
        raise ValueError(f"{name} is empty: a claim about no values checks nothing")
    return a


def _fmt(a: np.ndarray) -> str:
    if a.size == 1:
        return f"{a.item():.6g}"
    if a.size <= 4:
        return "[" + ", ".join(f"{v:.6g}" for v in a.ravel()) + "]"
    return f"{a.size} values in [{np.nanmin(a):.6g}, {np.nanmax(a):.6g}]"


def _holds(v: np.ndarray, e: np.ndarray | None, rtol: float, atol: float, lo: float, hi: float) -> bool:
    """The test itself, shared by the claim and by every audited value of it."""
    if np.isnan(v).any():
        return False
    if e is not None:
        try:
            v_b, e_b = np.broadcast_arrays(v, e)
        except ValueError:
            return False
        return bool(np.all(np.abs(v_b - e_b) <= atol + rtol * np.abs(e_b)))
    return bool(np.all((v >= lo) & (v <= hi)))


def verify(value, expected=None, *, kind: str, claim: str, rtol: float = 0.0, atol: float = 0.0,
           at_least=None, at_most=None) -> None:
    """Check a claim of the text and print one line saying so.

    Two forms:

    * equality within a tolerance: ``verify(value, expected, rtol=…, atol=…, kind=…, claim=…)``
      holds when ``|value - expected| <= atol + rtol * |expected|`` for every element;
    * a bound: ``verify(value, at_least=a, at_most=b, kind=…, claim=…)`` holds when
      ``a <= value <= b`` for every element (either bound may be omitted).

    ``kind`` is one of ``"exact"``, ``"statistical"``, ``"trained"`` or ``"sanity"`` (see the
    module docstring). A trained claim is also checked against the audit record: it fails when an
    audited run misses the threshold, and prints the range the audit saw.

    Returns nothing, so that a ``verify`` on the last line of a notebook cell echoes no
    machine-dependent number. Raises :class:`AssertionError` carrying the printed line when the
    claim is false (NaN never passes), and :class:`ValueError` or :class:`TypeError` when the call
    is malformed (an unknown kind, an empty value, no expected value and no bound, …).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}, got {kind!r}")
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError("claim must be a non-empty sentence saying what is checked")
    bounds = at_least is not None or at_most is not None
    if expected is None and not bounds:
        raise ValueError("give expected= (with rtol/atol) or at least one of at_least=, at_most=")
    if expected is not None and bounds:
        raise ValueError("give either expected= or at_least=/at_most=, not both")
    for name, t in (("rtol", rtol), ("atol", atol)):
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {t!r}")
    for name, b in (("at_least", at_least), ("at_most", at_most)):
        if b is not None and (isinstance(b, bool) or not isinstance(b, (int, float, np.number))
                              or math.isnan(b)):
            raise ValueError(f"{name} must be a number (not NaN) or None, got {b!r}")

    v = _as_array(value, "value")
    e = None
    lo, hi = -np.inf, np.inf
    if expected is not None:
        e = _as_array(expected, "expected")
        try:
            v_b, e_b = np.broadcast_arrays(v, e)
        except ValueError as err:
            raise ValueError(f"value shape {v.shape} and expected shape {e.shape} do not broadcast") from err
        worst = float(np.max(np.abs(v_b - e_b)))
        tol = " + ".join(t for t in (f"atol {atol:g}" if atol else "", f"rtol {rtol:g}" if rtol else "") if t)
        if v_b.size <= 4:
            line = f"{claim}: {_fmt(v)} vs expected {_fmt(e)} (tolerance {tol or 'exact'})"
        else:  # many values: say how far the worst one is
            line = (f"{claim}: {v_b.size} values, largest deviation {worst:.3g} from expected "
                    f"(tolerance {tol or 'exact'})")
    else:
        lo = -np.inf if at_least is None else float(at_least)
        hi = np.inf if at_most is None else float(at_most)
        if lo > hi:
            raise ValueError(f"at_least={at_least} exceeds at_most={at_most}")
        parts = ([f">= {at_least:g}"] if at_least is not None else []) + (
            [f"<= {at_most:g}"] if at_most is not None else [])
        line = f"{claim}: {_fmt(v)} (required {' and '.join(parts)})"
    holds = _holds(v, e, rtol, atol, lo, hi)  # this run's value, before the audit is consulted
    ok = holds

    if kind == "trained" and not _audit.recording():
        audited = _audit.observed(claim)
        if audited is None:
            line += "; not audited"
            if _audit.strict():
                ok = False
                line += " (GANTEXT_REQUIRE_AUDIT is set: run `make audit`)"
        else:
            cleared = sum(_holds(a, e, rtol, atol, lo, hi) for a in audited)
            flat = np.concatenate([a.ravel() for a in audited])
            line += (f"; audit: {cleared} of {len(audited)} runs clear it, "
                     f"observed {np.nanmin(flat):.4g} to {np.nanmax(flat):.4g}")
            if cleared < len(audited) or len(audited) < _audit.MIN_RUNS:
                ok = False
    line = ("✔ " if ok else "✘ ") + f"[{kind}] " + line
    print(line)
    if _audit.recording():
        _audit.record(claim=claim, kind=kind, value=v, ok=holds,
                      test={"at_least": at_least, "at_most": at_most, "rtol": rtol, "atol": atol,
                            "expected": None if e is None else e.tolist()})
        return  # an audit run records every claim and decides at the end
    if not ok:
        raise AssertionError(line)


def count_claims(notebook) -> dict[str, int]:
    """Count the ``verify`` calls of a notebook (a path to an ``.ipynb`` file) by kind.

    The count is read from the source, one per call site (a call inside a loop counts once), so it
    does not depend on an execution. Raises :class:`ValueError` for a call whose ``kind`` is not a
    literal string naming one of ``KINDS``: the book's count must be knowable without running it.
    """
    import ast
    import json
    from pathlib import Path

    path = Path(notebook)
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    counts = dict.fromkeys(KINDS, 0)
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        # IPython magics and shell escapes are not Python: blank them before parsing
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        for node in ast.walk(ast.parse(source, filename=f"{path.name}, cell {i}")):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "verify"):
                continue
            kind = next((k.value for k in node.keywords if k.arg == "kind"), None)
            if not (isinstance(kind, ast.Constant) and kind.value in KINDS):
                raise ValueError(f"{path.name}, cell {i}, line {node.lineno}: verify needs kind= as one of "
                                 f"{', '.join(map(repr, KINDS))} written literally")
            counts[kind.value] += 1
    return counts
