"""Small utilities every chapter needs: the device, the seed, and checkpoints.

The device is resolved once (``"auto"`` means CUDA when it is there, else the CPU), randomness
flows from explicit seeds, and checkpoints are plain dictionaries of tensors and primitive
values, written atomically and read back with ``torch.load(..., weights_only=True)`` so that
loading a file can never execute code.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["device", "seed", "save_checkpoint", "load_checkpoint"]


def device(spec: str | torch.device = "auto") -> torch.device:
    """Resolve a device specification.

    ``"auto"`` gives ``cuda`` when a CUDA device is available and ``cpu`` otherwise; any other
    string (``"cpu"``, ``"cuda"``, ``"cuda:1"``) or a :class:`torch.device` is returned as a
    :class:`torch.device`, after checking that CUDA is there when it is asked for.
    """
    if isinstance(spec, torch.device):
        resolved = spec
    elif not isinstance(spec, str):
        raise TypeError(f"spec must be a str or torch.device, got {type(spec).__name__}")
    elif spec == "auto":
        resolved = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            resolved = torch.device(spec)
        except RuntimeError as err:
            raise ValueError(
                f"spec must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {spec!r}"
            ) from err
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"spec={spec!r} asks for CUDA, but no CUDA device is available; use 'auto'")
    return resolved


def seed(n: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (all devices) with ``n``; return a CPU generator seeded
    with ``n`` for code that prefers an explicit :class:`torch.Generator`."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    random.seed(n)
    np.random.seed(n % 2**32)
    torch.manual_seed(n)
    return torch.Generator().manual_seed(n)


def save_checkpoint(path: str | os.PathLike, **state: Any) -> Path:
    """Write ``state`` (state_dicts, tensors, numbers, strings, lists and dicts of them) to
    ``path`` atomically.

    The file is first written to a temporary file in the same directory and then moved over
    ``path`` with :func:`os.replace`, so a crash mid-write leaves the previous checkpoint intact.
    """
    if not state:
        raise ValueError("save_checkpoint needs at least one keyword argument to save")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device | None = "cpu") -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` with ``weights_only=True``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    return torch.load(path, map_location=map_location, weights_only=True)
