"""What a training run records, and when callbacks run.

:class:`History` holds the per-step losses of ``fit`` and anything a callback logs; ``every`` and
``at_steps`` turn a function into a callback that runs on a schedule. Numbers come back as NumPy
arrays (the package's rule: reference numbers are float64 NumPy or Python floats, anything on
model outputs is a tensor).

The losses of a step are appended as device tensors and copied to the host in batches
(:meth:`History.flush`): on a GPU a ``.item()`` per step would make the host wait for the device
at every step.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import Tensor, nn

from . import _check

__all__ = ["History", "every", "at_steps"]

Callback = Callable[[int, nn.Module, nn.Module, "History"], Any]


class History:
    """Per-step losses and anything callbacks record.

    ``d_loss[i]`` and ``g_loss[i]`` belong to generator step ``i + 1`` (``d_loss`` is the mean over
    that step's ``k`` discriminator updates, without the penalty term). ``log(name, value)`` records
    a number against the current step; ``series(name)`` returns ``(steps, values)`` as arrays.
    ``interrupted`` is True when Ctrl-C stopped the run.
    """

    def __init__(self):
        self._d: list[float] = []
        self._g: list[float] = []
        self._pending: list[Tensor] = []   # [2] tensors on the device, not yet copied to the host
        self.records: dict[str, list[tuple[int, float]]] = {}
        self.interrupted = False

    @property
    def step(self) -> int:
        """The number of generator steps recorded."""
        return len(self._d) + len(self._pending)

    @property
    def d_loss(self) -> np.ndarray:
        """The discriminator's loss at every generator step so far, ``[steps]``."""
        self.flush()
        return np.array(self._d)

    @property
    def g_loss(self) -> np.ndarray:
        """The generator's loss at every step so far, ``[steps]``."""
        self.flush()
        return np.array(self._g)

    def append(self, d_loss: Tensor, g_loss: Tensor) -> None:
        """Record one generator step's two losses (one-element tensors, left on their device)."""
        self._pending.append(torch.stack([d_loss.detach().float().reshape(()),
                                          g_loss.detach().float().reshape(())]))

    def flush(self) -> list[tuple[int, float, float]]:
        """Copy the pending losses to the host (one device sync) and return them as
        ``(step, d_loss, g_loss)`` triples; an empty list when nothing was pending."""
        if not self._pending:
            return []
        first = len(self._d) + 1
        values = torch.stack(self._pending).cpu().tolist()               # [pending, 2]
        self._pending.clear()
        for d, g in values:
            self._d.append(d)
            self._g.append(g)
        return [(first + i, d, g) for i, (d, g) in enumerate(values)]

    def last(self, n: int = 1) -> list[tuple[int, float, float]]:
        """The last ``n`` recorded steps as ``(step, d_loss, g_loss)`` triples."""
        _check.integer(n, "n", low=1)
        self.flush()
        start = max(0, len(self._d) - n)
        return [(s + 1, self._d[s], self._g[s]) for s in range(start, len(self._d))]

    def log(self, name: str, value) -> None:
        """Record ``value`` (a number or a one-element tensor) under ``name`` at the current step."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
        if hasattr(value, "item"):
            value = value.item()
        if not _check.is_number(value):
            raise TypeError(f"value must be a number or a one-element tensor, got {value!r:.80}")
        self.records.setdefault(name, []).append((self.step, float(value)))

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)``: the steps at which ``name`` was logged and the values, as arrays."""
        if name not in self.records:
            raise KeyError(f"nothing was logged as {name!r}; logged: {sorted(self.records)}")
        steps, values = zip(*self.records[name])
        return np.array(steps), np.array(values)

    def state_dict(self) -> dict:
        self.flush()
        return {"d_loss": list(self._d), "g_loss": list(self._g),
                "records": {k: [list(r) for r in v] for k, v in self.records.items()}}

    def load_state_dict(self, state: dict) -> None:
        self._pending.clear()
        self._d, self._g = list(state["d_loss"]), list(state["g_loss"])
        self.records = {k: [(int(s), float(v)) for s, v in r] for k, r in state["records"].items()}

    def __repr__(self) -> str:
        return f"History(steps={self.step}, records={sorted(self.records)})"


def every(n: int, fn: Callback) -> Callback:
    """A callback that calls ``fn(step, G, D, history)`` at step 0 and every ``n`` steps."""
    _check.integer(n, "n", low=1)
    if not callable(fn):
        raise TypeError(f"fn must be a function fn(step, G, D, history), got {fn!r:.80}")
    return lambda step, G, D, history: fn(step, G, D, history) if step % n == 0 else None


def at_steps(steps: Iterable[int], fn: Callback) -> Callback:
    """A callback that calls ``fn(step, G, D, history)`` at the given steps (0 is before training)."""
    if not callable(fn):
        raise TypeError(f"fn must be a function fn(step, G, D, history), got {fn!r:.80}")
    wanted = list(steps)
    for s in wanted:
        _check.integer(s, "steps' entries", low=0)
    wanted = frozenset(int(s) for s in wanted)
    return lambda step, G, D, history: fn(step, G, D, history) if step in wanted else None
