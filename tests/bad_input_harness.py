"""The shared runner of the bad-input tables (issue 15): ``tests/test_bad_input*.py``.

A case is ``(label, call, name)`` or ``(label, call, name, watch)``:

* ``call()`` must raise a ``TypeError`` or ``ValueError`` (``FileNotFoundError`` or
  ``IsADirectoryError`` for a path) whose message names ``name``, the parameter, as a word;
* ``watch``, where given, is a function returning the modules (or tensors) that ``call`` could
  change: their state must be bit-identical afterwards, so the error came before any work.

``outcome`` classifies one case the way the reliability review did (CLEAR, PARTIAL: a clear type
that does not name the parameter, UNCLEAR: another exception, SILENT: no error, CHANGED: a clear
error after the watched state changed); ``tools/bad_input_report.py`` counts the outcomes.
"""

from __future__ import annotations

import re

import torch

CLEAR_ERRORS = (TypeError, ValueError, FileNotFoundError, IsADirectoryError)


def snapshot(objects) -> list[torch.Tensor]:
    out = []
    for obj in objects:
        if isinstance(obj, torch.nn.Module):
            out += [t.detach().clone() for t in obj.state_dict().values()]
        elif isinstance(obj, torch.Tensor):
            out.append(obj.detach().clone())
    return out


def same(before: list[torch.Tensor], after: list[torch.Tensor]) -> bool:
    return len(before) == len(after) and all(
        a.dtype == b.dtype and a.device == b.device and a.shape == b.shape
        and torch.equal(a.nan_to_num(), b.nan_to_num()) and torch.equal(a.isnan(), b.isnan())
        for a, b in zip(before, after))


def names(message: str, name: str) -> bool:
    """Whether ``message`` names ``name`` as a word: ``n`` is not found in "an integer", nor
    ``x`` in "max"; a name ending in ``=`` or ``]`` may be followed by anything."""
    before = r"(?<![\w.])" if name[:1].isalnum() or name[:1] == "_" else ""
    after = r"(?!\w)" if name[-1:].isalnum() or name[-1:] == "_" else ""
    return re.search(before + re.escape(name) + after, message) is not None


def outcome(case) -> tuple[str, str]:
    """``(class, message)`` for one case."""
    label, call, name, *rest = case
    watch = rest[0] if rest else None
    before = snapshot(watch()) if watch else None
    try:
        call()
    except CLEAR_ERRORS as err:
        if watch and not same(before, snapshot(watch())):
            return "CHANGED", f"{type(err).__name__} after the state changed: {err}"
        if not names(str(err), name):
            return "PARTIAL", f"{type(err).__name__} not naming {name!r}: {err}"
        return "CLEAR", f"{type(err).__name__}: {err}"
    except Exception as err:   # noqa: BLE001 - the point is to classify any exception
        return "UNCLEAR", f"{type(err).__name__}: {err}"
    finally:
        import matplotlib.pyplot as plt
        plt.close("all")
    return "SILENT", "no error"


def ids(cases) -> list[str]:
    return [case[0] for case in cases]


def check(case) -> None:
    """The assertion every parametrised bad-input test makes."""
    kind, message = outcome(case)
    assert kind == "CLEAR", f"{case[0]}: {kind}: {message[:400]}"
