"""The claim checker: every quantitative sentence of the book is followed by a ``verify``.

``verify`` prints one readable line and raises :class:`AssertionError` with that same line when
the claim is false, so a notebook run (and CI) fails when the text and the code disagree.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["verify"]


def _as_array(x, name: str) -> np.ndarray:
    try:
        if hasattr(x, "detach"):  # a torch tensor on any device
            x = x.detach().cpu().double().numpy()
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a number, an array or a tensor, got {type(x).__name__}") from err


def _fmt(a: np.ndarray) -> str:
    if a.size == 1:
        return f"{a.item():.6g}"
    if a.size <= 4:
        return "[" + ", ".join(f"{v:.6g}" for v in a.ravel()) + "]"
    return f"{a.size} values in [{np.nanmin(a):.6g}, {np.nanmax(a):.6g}]"


def verify(value, expected=None, *, rtol: float = 0.0, atol: float = 0.0, claim: str,
           at_least=None, at_most=None) -> None:
    """Check a claim of the text and print one line saying so.

    Two kinds of claims:

    * equality within a tolerance: ``verify(value, expected, rtol=…, atol=…, claim=…)`` holds when
      ``|value - expected| <= atol + rtol * |expected|`` for every element;
    * a bound: ``verify(value, at_least=a)`` and/or ``at_most=b`` holds when ``a <= value <= b``.

    Returns nothing, so that a ``verify`` on the last line of a notebook cell echoes no
    machine-dependent number. Raises :class:`AssertionError` carrying the printed line when the
    claim is false (NaN never passes), and :class:`ValueError` when the call is malformed.
    """
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError("claim must be a non-empty sentence saying what is checked")
    bounds = at_least is not None or at_most is not None
    if expected is None and not bounds:
        raise ValueError("give expected= (with rtol/atol) or at least one of at_least=, at_most=")
    if expected is not None and bounds:
        raise ValueError("give either expected= or at_least=/at_most=, not both")
    if rtol < 0 or atol < 0 or not (math.isfinite(rtol) and math.isfinite(atol)):
        raise ValueError(f"rtol and atol must be finite and >= 0, got rtol={rtol}, atol={atol}")

    v = _as_array(value, "value")
    if expected is not None:
        e = _as_array(expected, "expected")
        try:
            v_b, e_b = np.broadcast_arrays(v, e)
        except ValueError as err:
            raise ValueError(f"value shape {v.shape} and expected shape {e.shape} do not broadcast") from err
        deviation = np.abs(v_b - e_b)
        allowed = atol + rtol * np.abs(e_b)
        ok = bool(np.all(deviation <= allowed)) and not np.isnan(v_b).any()
        worst = float(np.max(deviation)) if deviation.size else 0.0
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
        ok = bool(np.all((v >= lo) & (v <= hi))) and not np.isnan(v).any()
        parts = ([f">= {at_least:g}"] if at_least is not None else []) + (
            [f"<= {at_most:g}"] if at_most is not None else [])
        line = f"{claim}: {_fmt(v)} (required {' and '.join(parts)})"
    line = ("✔ " if ok else "✘ ") + line
    print(line)
    if not ok:
        raise AssertionError(line)
