"""Samples to features: the checks and the batched extraction that every metric of chapter 8 shares.

A metric compares two sets of samples through a feature map (by default the penultimate layer of
:func:`~gantext.classifier.digits_classifier`). These helpers check the map and the samples before
any work is done and extract float64 features in batches without gradients.
"""

from __future__ import annotations

from typing import Callable

import torch

from . import _check
from .classifier import digits_classifier


def _extract(features: Callable, images, batch_size: int, name: str) -> torch.Tensor:
    """``features`` applied to ``images`` in batches without gradients, as float64 ``[n, k]``."""
    _check_samples(images, name)
    out = []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            f = features(images[start:start + batch_size])                      # [b, k]
            if not isinstance(f, torch.Tensor) or f.dim() != 2:
                raise ValueError("features must map a batch of samples to a tensor of shape [n, k], "
                                 f"got {getattr(f, 'shape', type(f).__name__)}")
            out.append(f.detach().cpu().double())
    result = torch.cat(out)                                                     # [n, k]
    if not bool(torch.isfinite(result).all()):
        raise ValueError(f"features of {name} hold NaN or infinite values (is {name} finite, and "
                         "does features map it to finite vectors?)")
    return result


def _check_samples(images, name: str) -> None:
    """A tensor of samples ``[n, ...]``: not meta, at least one sample, finite."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor of samples [n, ...], got {type(images).__name__}")
    if images.device.type == "meta":
        raise ValueError(f"{name} is a meta tensor, which holds no values")
    if images.dim() < 1 or images.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one sample, got shape {list(images.shape)}")
    _check.finite_array(images, name)


def _check_feature_map(features, batch_size) -> None:
    """``features`` is None (the digits classifier's) or a callable; ``batch_size`` >= 1."""
    if features is not None and not callable(features):
        raise TypeError(f"features must be a callable mapping images [n, ...] to features [n, k], "
                        f"or None for the digits classifier's; got {type(features).__name__}")
    _check.integer(batch_size, "batch_size", low=1)


def _check_pairwise_memory(n: int, m: int, batch_size: int, what: str) -> None:
    """A [min(batch_size, n), m] float64 distance block (and its comparison) fits in memory."""
    _check.memory(min(batch_size, n) * m * 8 * 2, f"{what} in batches of batch_size={batch_size}")


def _check_features_and_samples(real, fake, features, batch_size) -> Callable:
    """The checks every metric makes before it calls ``features`` (and before the digits
    classifier is trained for the default): the feature map, the batch size and both sample sets'
    type, device, size and finiteness."""
    _check_feature_map(features, batch_size)
    _check_samples(real, "real")
    _check_samples(fake, "fake")
    return digits_classifier().features if features is None else features


def _extract_pair(features: Callable, real, fake, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Both sets' features, float64 ``[n, k]`` and ``[m, k]``, of one dimension ``k``."""
    f_real = _extract(features, real, batch_size, "real")                       # [n, k]
    f_fake = _extract(features, fake, batch_size, "fake")                       # [m, k]
    if f_real.shape[1] != f_fake.shape[1]:
        raise ValueError(f"features of real and fake differ in dimension: {f_real.shape[1]} vs {f_fake.shape[1]}")
    return f_real, f_fake
