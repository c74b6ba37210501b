"""Small utilities every chapter needs: the device, the seed, and checkpoints.

The device is resolved once (``"auto"`` means CUDA when it is there, else the CPU), randomness
flows from explicit seeds, and checkpoints are plain dictionaries of tensors and primitive
values, written atomically and read back with ``torch.load(..., weights_only=True)`` so that
loading a file can never execute code.
"""

from __future__ import annotations

import os
import pickle
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import _check

__all__ = ["device", "seed", "rng", "training_streams", "save_checkpoint", "load_checkpoint"]


def _accelerator_present(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    return False


def device(spec: str | torch.device = "auto") -> torch.device:
    """Resolve a device specification.

    ``"auto"`` gives ``cuda`` when a CUDA device is available and ``cpu`` otherwise; any other
    string (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) or a :class:`torch.device` is returned
    as a :class:`torch.device`, after checking that the device is there. Only devices that can
    train are accepted: the CPU, CUDA and, where present, Apple's MPS (never ``"meta"``).
    """
    accepted = "'auto', 'cpu', 'cuda', 'cuda:N'" + (" or 'mps'" if _accelerator_present("mps") else "")
    if isinstance(spec, torch.device):
        resolved = spec
    elif not isinstance(spec, str):
        raise TypeError(f"spec must be a str or torch.device ({accepted}), got {type(spec).__name__}")
    elif spec == "auto":
        resolved = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            resolved = torch.device(spec)
        except RuntimeError as err:
            raise ValueError(f"spec must be {accepted}, got {spec!r}") from err
    if resolved.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"spec must be {accepted}: a device that can train; got {spec!r}")
    if resolved.type == "cpu" and resolved.index not in (None, 0):
        raise ValueError(f"spec must be {accepted}; there is one CPU device, got {spec!r}")
    if resolved.type == "mps" and not _accelerator_present("mps"):
        raise ValueError(f"spec={spec!r} asks for MPS, but no MPS device is available; use 'auto'")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"spec={spec!r} asks for CUDA, but no CUDA device is available; use 'auto'")
    if resolved.type == "cuda" and resolved.index is not None \
            and resolved.index >= torch.cuda.device_count():
        raise ValueError(f"spec={spec!r} asks for CUDA device {resolved.index}, but there are "
                         f"{torch.cuda.device_count()} (cuda:0 to cuda:{torch.cuda.device_count() - 1})")
    return resolved


def _check_seed(n) -> None:
    _check.integer(n, "n", low=0, high=2**64 - 1)


def _generator_device(spec) -> torch.device:
    """The device of a random stream: what :func:`device` accepts, named ``device`` in errors."""
    try:
        return device(spec)
    except (TypeError, ValueError) as err:
        raise type(err)(f"device: {err}".replace("spec must be", "must be").replace("spec=", "device=")) \
            from err


def seed(n: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (all devices) with ``n``; return a CPU generator seeded
    with ``n`` for code that prefers an explicit :class:`torch.Generator`."""
    _check_seed(n)
    n = int(n)
    random.seed(n)
    np.random.seed(n % 2**32)
    torch.manual_seed(n)
    return torch.Generator().manual_seed(n)


def rng(n: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A :class:`torch.Generator` on ``device`` seeded with ``n``: one explicit random stream.

    ``gt.rng(3)`` is ``torch.Generator().manual_seed(3)``, shorter; the chapters pass such streams
    to every function that draws random numbers, so that a cell gives the same result however
    often and in whatever order the cells before it ran."""
    _check_seed(n)
    device = _generator_device(device)
    return torch.Generator(device=device).manual_seed(int(n))


def training_streams(n: int, device: str | torch.device = "cpu") -> tuple[torch.Generator, torch.Generator]:
    """The two independent random streams of a training run seeded with ``n``: the latent noise
    (on ``device``) and the choice of real minibatches (on the CPU).

    Both are spawned from one :class:`numpy.random.SeedSequence`, so the streams of one run are
    independent of each other and of every other seed's: runs seeded 0, 1, 2, … are independent
    replicates, as a mean ± standard error over consecutive seeds assumes. (Seeding the noise with
    ``n`` and the data with ``n + 1`` would give run ``n + 1``'s noise the data stream of run ``n``.)
    """
    _check_seed(n)
    device = _generator_device(device)
    noise_seq, data_seq = np.random.SeedSequence(int(n)).spawn(2)
    noise = torch.Generator(device=device).manual_seed(int(noise_seq.generate_state(1, np.uint64)[0]))
    data = torch.Generator().manual_seed(int(data_seq.generate_state(1, np.uint64)[0]))
    return noise, data


_SAFE_LEAVES = (torch.Tensor, bool, int, float, complex, str, bytes, type(None), torch.Size,
                torch.dtype, torch.device)


def _check_loadable(value, where: str) -> None:
    """Raise unless ``value`` is made only of what ``torch.load(weights_only=True)`` reads back."""
    if isinstance(value, torch.Tensor):
        if type(value) not in (torch.Tensor, torch.nn.Parameter):
            raise TypeError(f"{where} is a tensor subclass ({type(value).__name__}) that "
                            "load_checkpoint cannot read back; save a plain tensor (t.detach().clone())")
        if value.device.type == "meta":
            raise ValueError(f"{where} is a meta tensor: it holds no values to save")
        return
    if isinstance(value, _SAFE_LEAVES) and not isinstance(value, np.generic):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                raise TypeError(f"{where} has a key of type {type(key).__name__}; checkpoint keys "
                                "must be strings or numbers")
            _check_loadable(item, f"{where}[{key!r}]")
        return
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        for i, item in enumerate(value):
            _check_loadable(item, f"{where}[{i}]")
        return
    hint = ""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        hint = " (convert NumPy values with torch.as_tensor(...) or .item())"
    elif isinstance(value, torch.nn.Module):
        hint = " (save module.state_dict())"
    elif isinstance(value, torch.Generator):
        hint = " (save generator.get_state())"
    raise TypeError(f"{where} is a {type(value).__name__}, which load_checkpoint cannot read back: "
                    "a checkpoint holds tensors, numbers, strings, None and lists, tuples and dicts "
                    f"of them{hint}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_checkpoint(path: str | os.PathLike, **state: Any) -> Path:
    """Write ``state`` (state_dicts, tensors, numbers, strings, lists and dicts of them) to
    ``path`` atomically.

    The file is first written to a temporary file in the same directory and then moved over
    ``path`` with :func:`os.replace`, so a crash mid-write leaves the previous checkpoint intact;
    the file and then its directory are synced to disk, so the new checkpoint survives a power
    loss once the function returns;
    Ctrl-C during the write is held until the file is complete. A value that
    :func:`load_checkpoint` could not read back is refused before anything is written;
    temporary files left by a save that was killed are removed; the file gets the permissions
    of the umask (like a file written with ``open``).
    """
    if not state:
        raise ValueError("save_checkpoint needs at least one keyword argument to save")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    for key, value in state.items():
        _check_loadable(value, key)
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"path {str(path)!r} is a directory; give a file name such as "
                                f"{str(path / 'checkpoint.pt')!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        try:   # a temporary file of a save that was killed (SIGKILL, power loss)
            if not _held_by_live_save(stale):
                stale.unlink()
        except OSError:
            pass
    with _defer_sigint():
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                   dir=path.parent)
        try:
            os.fchmod(fd, 0o666 & ~_umask()) if hasattr(os, "fchmod") else None
            with os.fdopen(fd, "wb") as f:
                torch.save(state, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            _fsync_directory(path.parent)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return path


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable: fsync the directory that holds the new entry (POSIX; a no-op
    where directories cannot be opened, as on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:     # some file systems refuse fsync on a directory; the file itself is synced
        pass
    finally:
        os.close(fd)


def glob_escape(name: str) -> str:
    import glob
    return glob.escape(name)


def _held_by_live_save(tmp: Path) -> bool:
    """Whether ``tmp`` (``.NAME.PID.XXXX.tmp``) belongs to a save still running in a live process."""
    parts = tmp.name.rsplit(".", 3)
    try:
        pid = int(parts[-3])
    except (ValueError, IndexError):
        return False    # written by an older version, which had no pid in the name
    if pid == os.getpid():
        return False    # this process saves one file at a time
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class _defer_sigint:
    """Hold SIGINT (Ctrl-C) while a checkpoint is written and deliver it afterwards, so that the
    write completes instead of surfacing as an error from inside ``torch.save``."""

    def __enter__(self):
        import signal
        import threading
        self._pending = False
        self._previous = None
        if threading.current_thread() is not threading.main_thread():
            return self
        try:
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._hold)
        except (ValueError, TypeError):
            self._previous = None
        return self

    def _hold(self, signum, frame):
        self._pending = True

    def __exit__(self, *exc):
        import signal
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            if self._pending and exc[0] is None and self._previous is not signal.SIG_IGN:
                if callable(self._previous):
                    self._previous(signal.SIGINT, None)
                else:
                    raise KeyboardInterrupt
        return False


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device | None = "cpu") -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` with ``weights_only=True``."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    if not (map_location is None or isinstance(map_location, (str, torch.device, dict))
            or callable(map_location)):
        raise TypeError(f"map_location must be None, a device ('cpu', 'cuda', torch.device), a dict "
                        f"or a function, as for torch.load; got {type(map_location).__name__}")
    if isinstance(map_location, (str, torch.device)):
        try:
            kind = torch.device(map_location).type
        except RuntimeError as err:
            raise ValueError(f"map_location must name a device such as 'cpu' or 'cuda', "
                             f"got {map_location!r}") from err
        if kind == "meta":
            raise ValueError("map_location must be a device that holds values, not 'meta'")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(f"{path} is not a checkpoint that can be loaded safely (it holds objects "
                         f"other than tensors, numbers, strings and containers of them, or it is "
                         f"corrupted); gantext never loads it with weights_only=False: {err}") from err
    except (EOFError, RuntimeError, OSError) as err:
        raise ValueError(f"{path} is empty, truncated or corrupted, not a readable checkpoint: "
                         f"{err}") from err
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a checkpoint written by "
                         "save_checkpoint (a dict)")
    return state
