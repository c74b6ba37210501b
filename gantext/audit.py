"""The audit of trained claims: what many seeds under two numerics settings saw.

A trained claim ("the FID falls more than tenfold") is about a distribution of training runs,
not about the one run a notebook shows: a different seed, processor or matrix-product kernel
rounds differently and GAN training amplifies the difference. ``make audit``
(``tools/audit.py``) therefore executes every chapter many times, with every seed of the chapter
moved to a fresh one (run ``k`` > 0) and under two numerics settings (``MKL_CBWR`` unset and
``COMPATIBLE``), and stores each claim's observed values in ``audit_record.json`` next to this
file. :func:`gantext.verify` reads that record: a trained claim prints the range the audit saw and
fails when any audited run misses its threshold.

Environment variables (set by ``tools/audit.py``, not by readers):

``GANTEXT_AUDIT_RECORD``
    a file to which every :func:`~gantext.verify` call appends its value as one JSON line;
    ``verify`` then does not raise, so a run records all of its claims.
``GANTEXT_AUDIT_RUN``
    ``k`` > 0 replaces every seed ``s`` given to ``torch.manual_seed``, ``torch.Generator.manual_seed``,
    ``numpy.random.default_rng``, ``numpy.random.seed`` and ``random.seed`` by a hash of ``(s, k)``,
    so the run draws every random number afresh, including those of seeds a chapter sets by hand.
``GANTEXT_REQUIRE_AUDIT``
    ``1`` makes a trained claim with no audit record fail (``make test`` sets it).
"""

from __future__ import annotations

import functools
import json
import os
import random
from importlib import resources

import numpy as np

__all__ = ["observed", "record", "recording", "strict", "MIN_RUNS"]

#: A trained claim needs at least this many audited runs (seeds times numerics settings).
MIN_RUNS = 20
RECORD_FILE = "audit_record.json"


@functools.lru_cache(maxsize=1)
def _claims() -> dict:
    path = resources.files(__package__) / RECORD_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["claims"]


def observed(claim: str) -> list[np.ndarray] | None:
    """The values the audit observed for ``claim`` (one array per audited run), or ``None``."""
    entry = _claims().get(claim)
    if entry is None:
        return None
    return [np.asarray(run["value"], dtype=np.float64) for run in entry["runs"]]


def strict() -> bool:
    """Whether a trained claim without an audit record must fail (``GANTEXT_REQUIRE_AUDIT=1``)."""
    return os.environ.get("GANTEXT_REQUIRE_AUDIT", "") == "1"


def recording() -> bool:
    """Whether this process is an audit run (``GANTEXT_AUDIT_RECORD`` is set)."""
    return bool(os.environ.get("GANTEXT_AUDIT_RECORD"))


def record(*, claim: str, kind: str, value: np.ndarray, ok: bool, test: dict | None = None) -> None:
    """Append one claim's value (and the test it was held to) to the audit run's record file."""
    entry = {"claim": claim, "kind": kind, "ok": ok, "value": np.where(np.isfinite(value), value, np.nan).tolist()}
    if test is not None:
        entry["test"] = {k: (float(v) if isinstance(v, np.number) else v) for k, v in test.items()}
    line = json.dumps(entry)
    with open(os.environ["GANTEXT_AUDIT_RECORD"], "a", encoding="utf-8") as f:
        f.write(line.replace("NaN", "null") + "\n")


def mix_seed(seed: int, run: int) -> int:
    """The seed that replaces ``seed`` in audit run ``run`` (identity for run 0)."""
    if run == 0:
        return seed
    state = np.random.SeedSequence([int(seed) % 2**63, run, 0xA0D17]).generate_state(2, np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1  # a 63-bit seed every library accepts


def perturb_seeds(run: int) -> None:
    """Route every seed of this process through :func:`mix_seed` (an audit run ``run`` > 0)."""
    if run == 0:
        return
    import torch

    def wrap(fn, modulus=2**63):
        @functools.wraps(fn)
        def seeded(seed=None, *args, **kwargs):
            if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
                seed = mix_seed(int(seed), run) % modulus
            return fn(seed, *args, **kwargs)
        return seeded

    class Generator(torch.Generator):  # torch.Generator.manual_seed is a C method: subclass it
        def manual_seed(self, seed):
            return super().manual_seed(mix_seed(int(seed), run))

    torch.manual_seed = torch.random.manual_seed = wrap(torch.random.manual_seed)
    torch.Generator = Generator
    np.random.default_rng = wrap(np.random.default_rng)
    np.random.seed = wrap(np.random.seed, 2**32)
    random.seed = wrap(random.seed)

