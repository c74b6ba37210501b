"""Argument checks shared by the modules: each raises a ``TypeError`` or ``ValueError`` that names
the parameter and the values it accepts, before the caller does any work.

These functions only read their arguments: they draw no random numbers and change nothing, so a
valid call computes exactly what it computed without them. The two converters at the end
(``cpu_tensor``, ``float64_matrix``) return a checked copy of numeric data for the metrics.
"""

from __future__ import annotations

import math
import numbers
import os

import numpy as np
import torch
from torch import Tensor


def is_number(value) -> bool:
    """A real number that is not a bool (Python, NumPy or a 0-dim tensor is not included)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def number(value, name: str, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, none: bool = False,
           finite: bool = True) -> None:
    """``value`` is a real number (not a bool) in the interval, finite unless ``finite=False``."""
    if none and value is None:
        return
    lo = "" if low is None else (f"> {low}" if low_open else f">= {low}")
    hi = "" if high is None else (f"< {high}" if high_open else f"<= {high}")
    interval = " and ".join(x for x in (lo, hi) if x)
    wanted = ("None or " if none else "") + ("a finite number" if finite else "a number") \
        + (f" {interval}" if interval else "")
    if not is_number(value):
        raise TypeError(f"{name} must be {wanted}, got {value!r:.80}")
    v = float(value)
    if math.isnan(v) or (finite and math.isinf(v)):
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name} must be {wanted}, got {value!r}")


def integer(value, name: str, *, low: int | None = 0, high: int | None = None,
            none: bool = False) -> None:
    """``value`` is an int (Python or NumPy, not a bool) with ``low <= value`` (``<= high``)."""
    if none and value is None:
        return
    wanted = ("None or " if none else "") + "an integer" + ("" if low is None else f" >= {low}") \
        + ("" if high is None else f" and <= {high}")
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be {wanted}, got {value!r:.80}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {wanted}, got {value!r}")


def boolean(value, name: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r:.80}")


def integers(value, name: str, *, low: int | None = 1, nonempty: bool = True) -> tuple[int, ...]:
    """``value`` is a sequence (not a string) of ints ``>= low``; returns it as a tuple."""
    wanted = f"a {'non-empty ' if nonempty else ''}sequence of integers" + \
        ("" if low is None else f" >= {low}")
    if isinstance(value, (str, bytes, Tensor, np.ndarray)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be {wanted}, got {value!r:.80}")
    items = tuple(value)
    if nonempty and not items:
        raise ValueError(f"{name} must be {wanted}, got {value!r:.80}")
    for item in items:
        if not isinstance(item, (int, np.integer)) or isinstance(item, (bool, np.bool_)):
            raise TypeError(f"{name} must be {wanted}, got {value!r:.80}")
        if low is not None and item < low:
            raise ValueError(f"{name} must be {wanted}, got {value!r:.80}")
    return tuple(int(item) for item in items)


def module(value, name: str) -> None:
    """``value`` is a ``torch.nn.Module``."""
    if not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be an nn.Module, got {type(value).__name__}")


def function(value, name: str, what: str = "a function") -> None:
    """``value`` is callable."""
    if not callable(value):
        raise TypeError(f"{name} must be {what}, got {value!r:.80}")


def generator(value, name: str = "generator") -> None:
    """``value`` is None or a ``torch.Generator``."""
    if value is not None and not isinstance(value, torch.Generator):
        raise TypeError(f"{name} must be None or a torch.Generator, got {type(value).__name__}")


def text(value, name: str, *, none: bool = True) -> None:
    """``value`` is a str (or None)."""
    if not (isinstance(value, str) or (none and value is None)):
        raise TypeError(f"{name} must be {'None or ' if none else ''}a str, got {value!r:.80}")


def model_input(value, name: str, params, shape: str) -> None:
    """``value`` is a tensor a model with parameters ``params`` can read: not meta, on the
    parameters' device, with their floating dtype (any floating dtype under autocast).

    Only metadata is read, so the check costs nothing, works under ``torch.vmap`` and never
    synchronises a GPU. ``shape`` describes the expected shape for the messages."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch tensor of shape {shape}, got {type(value).__name__}")
    if value.device.type == "meta":
        raise ValueError(f"{name} is a meta tensor, which holds no values; move it to the CPU or a GPU")
    p = next(iter(params), None)
    if p is None:
        return
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor ({p.dtype}, the model's dtype), "
                        f"got dtype {value.dtype}")
    if value.dtype != p.dtype and not _autocast(value.device.type):
        raise TypeError(f"{name} must have the model's dtype {p.dtype}, got {value.dtype} "
                        f"(convert with .to({p.dtype}) or the model with .to({value.dtype}))")
    if p.device.type != "meta" and value.device != p.device:
        raise ValueError(f"{name} is on {value.device} but the model is on {p.device}; move one of them")


def passed_on(name: str, fn, *args):
    """``fn(*args)`` where ``args`` come from the caller's parameter ``name``: a TypeError or
    ValueError raised by ``fn``'s own checks (a model's ``x must have shape …``) is raised again
    naming ``name``, so the message says which argument of the caller was refused."""
    try:
        return fn(*args)
    except (TypeError, ValueError) as err:
        if type(err) in (TypeError, ValueError) and name not in str(err):
            raise type(err)(f"{name} was refused by {getattr(fn, '__name__', type(fn).__name__)}: "
                            f"{err}") from err
        raise


def _autocast(device_type: str) -> bool:
    try:
        return torch.is_autocast_enabled(device_type)
    except (TypeError, RuntimeError):   # pragma: no cover - older torch
        return torch.is_autocast_enabled()


def tensor(value, name: str, *, dims: tuple[int, ...] | None = None, floating: bool = False,
           nonempty: bool = True, finite: bool = False) -> None:
    """``value`` is a tensor (not on the meta device) with one of ``dims`` dimensions, a floating
    dtype if asked, at least one row if asked and only finite values if asked."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch tensor, got {type(value).__name__}")
    if value.device.type == "meta":
        raise ValueError(f"{name} is a meta tensor, which holds no values; move it to the CPU or a GPU")
    if dims is not None and value.dim() not in dims:
        shapes = " or ".join(f"{d} dimensions" for d in dims)
        raise ValueError(f"{name} must have {shapes}, got shape {list(value.shape)}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype} "
                        "(convert with .float())")
    if nonempty and (value.dim() == 0 or value.shape[0] == 0 or value.numel() == 0):
        raise ValueError(f"{name} must hold at least one sample, got shape {list(value.shape)}")
    if finite and value.numel() and value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} holds NaN or infinite values; every value must be finite")


def finite_array(value, name: str) -> None:
    """Refuse NaN/inf in a tensor or array-like (anything ``np.asarray`` reads)."""
    if isinstance(value, Tensor):
        if value.device.type == "meta":
            raise ValueError(f"{name} is a meta tensor, which holds no values")
        if value.is_floating_point() and value.numel() and not bool(torch.isfinite(value).all()):
            raise ValueError(f"{name} holds NaN or infinite values; every value must be finite")
        return
    try:
        arr = np.asarray(value)
    except Exception:   # let the caller's own conversion give its error
        return
    if arr.dtype.kind in "fc" and arr.size and not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values; every value must be finite")


def physical_memory() -> int:
    """Bytes of physical memory (a large number where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**50


def memory(n_bytes: float, what: str) -> None:
    """Refuse, before allocating, ``what`` when it needs more bytes than the machine has."""
    available = physical_memory()
    if n_bytes > available:
        raise ValueError(f"{what} would need {_size(n_bytes)} of memory; this machine has "
                         f"{_size(available)}")


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} EB"  # pragma: no cover


def cpu_tensor(value, name: str, *, float64: bool = False) -> Tensor:
    """``value`` (a tensor on any device, an array, a list or a number) as a CPU tensor, float64 if
    asked; ``None``, strings, meta tensors and what is not numeric are refused."""
    if isinstance(value, Tensor):
        if value.device.type == "meta":
            raise ValueError(f"{name} is a meta tensor, which holds no values")
        value = value.detach().cpu()
    elif value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a tensor or an array of numbers, got {type(value).__name__}")
    else:
        try:
            value = torch.as_tensor(np.asarray(value, dtype=np.float64) if float64 else value)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} must be a tensor or an array of numbers, got "
                            f"{type(value).__name__}") from err
    return value.double() if float64 else value


def float64_matrix(value, name: str) -> Tensor:
    """``value`` (tensor or array, any device, ``[n, ...]``) as a finite float64 CPU tensor ``[n, d]``."""
    x = cpu_tensor(value, name, float64=True)
    if x.dim() < 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape [n, ...] with n >= 1, got {list(x.shape)}")
    x = x.reshape(x.shape[0], -1)                                               # [n, d]
    if not torch.all(torch.isfinite(x)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return x
