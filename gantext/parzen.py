"""The Parzen-window log-likelihood (chapter 8): the protocol of Goodfellow et al. (2014, Table 1).

A generator has no density to evaluate, so the GAN paper placed a Gaussian kernel on each of its
samples and reported the mean log-density of held-out test points under that mixture. Theis et
al. (2016) show why the number can mislead: chapter 8 reproduces their argument. Everything in
float64 on the CPU.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from . import _check

__all__ = ["ParzenEstimate", "parzen_log_prob", "parzen_log_likelihood"]

_LOG_2PI = math.log(2 * math.pi)


class ParzenEstimate(NamedTuple):
    """A Parzen-window estimate of the mean test log-likelihood (Goodfellow et al., 2014)."""

    mean: float    # mean log-density of the test points, nats
    stderr: float  # standard error of that mean over the test points
    sigma: float   # the kernel width used (chosen on the validation set when one is given)


def _check_sigma(sigma, name: str = "sigma") -> float:
    _check.number(sigma, name, low=0, low_open=True)
    return float(sigma)


def _parzen_log_probs(c: torch.Tensor, q: torch.Tensor, sigmas: list[float], batch_size: int) -> torch.Tensor:
    """Parzen log-densities ``[len(sigmas), m]`` of the rows of ``q`` ``[m, d]`` for kernels at the
    rows of ``c`` ``[N, d]``; each batch of squared distances is computed once for all widths."""
    n, d = c.shape
    out = torch.empty(len(sigmas), q.shape[0], dtype=torch.float64)
    for start in range(0, q.shape[0], batch_size):
        sq = torch.cdist(q[start:start + batch_size], c).pow(2)                # [b, N]
        for j, sigma in enumerate(sigmas):
            constant = math.log(n) + d / 2 * (_LOG_2PI + 2 * math.log(sigma))
            out[j, start:start + batch_size] = torch.logsumexp(-sq / (2 * sigma**2), dim=1) - constant
    return out


def _check_batch_size(batch_size) -> int:
    _check.integer(batch_size, "batch_size", low=1)
    return int(batch_size)


def _check_block(queries: int, centres: int, batch_size: int) -> None:
    """A [min(batch_size, queries), centres] block of float64 distances fits in memory."""
    _check.memory(min(batch_size, queries) * centres * 8 * 3,
                  f"Parzen densities of {queries} points under {centres} kernels in batches of "
                  f"batch_size={batch_size}")


def parzen_log_prob(centres, x, sigma: float, *, batch_size: int = 500) -> torch.Tensor:
    r"""The log-density of a Gaussian Parzen window at the rows of ``x`` (chapter 8).

    .. math:: \log \hat p(x) = \log \frac1N \sum_{i=1}^N \mathcal N(x;\, c_i, \sigma^2 I)
             = \operatorname{logsumexp}_i \Bigl(-\frac{\lVert x - c_i\rVert^2}{2\sigma^2}\Bigr)
               - \log N - \frac d2 \log(2\pi\sigma^2),

    computed with log-sum-exp in float64 so that no density underflows (in 784 dimensions each
    kernel value is far below the smallest double). ``centres`` ``[N, ...]`` are the kernel
    centres (a generator's samples), ``x`` ``[m, ...]`` the points to evaluate; both are
    flattened to vectors of the same dimension ``d``. Returns a float64 tensor ``[m]``.
    """
    c = _check.float64_matrix(centres, "centres")                                     # [N, d]
    q = _check.float64_matrix(x, "x")                                                 # [m, d]
    if c.shape[1] != q.shape[1]:
        raise ValueError(f"x must have the centres' dimension {c.shape[1]}, got {q.shape[1]}")
    sigma = _check_sigma(sigma)
    batch_size = _check_batch_size(batch_size)
    _check_block(q.shape[0], c.shape[0], batch_size)
    return _parzen_log_probs(c, q, [sigma], batch_size)[0]                     # [m]


def parzen_log_likelihood(samples, test, *, sigma: float | None = None, validation=None,
                          sigmas=None, batch_size: int = 500) -> ParzenEstimate:
    """The Parzen-window log-likelihood protocol of Goodfellow et al. (2014, Table 1; chapter 8).

    A Gaussian Parzen window is centred on the generator's ``samples``; its width is either given
    (``sigma``) or chosen among ``sigmas`` as the one maximising the mean log-likelihood of a
    ``validation`` set; the mean log-likelihood of the ``test`` points and its standard error
    are returned, with the width used. The estimate is in nats, for the data as given (pixels
    in [−1, 1] here; the published MNIST numbers are for pixels in [0, 1], which differs by
    ``d·log 2``). Theis et al. (2016) show why the number can mislead: chapter 8.
    """
    if (sigma is None) == (sigmas is None):
        raise ValueError("give either sigma (a fixed kernel width) or sigmas with validation "
                         "(a grid from which the width is chosen)")
    if sigmas is not None:
        if validation is None:
            raise ValueError("sigmas needs a validation set to choose the width on")
        try:
            grid = np.atleast_1d(np.asarray(sigmas, dtype=np.float64)).ravel().tolist()
        except (TypeError, ValueError) as err:
            raise TypeError(f"sigmas must be a sequence of kernel widths, got {sigmas!r}") from err
        grid = [_check_sigma(s, "every entry of sigmas") for s in grid]
        if not grid:
            raise ValueError("sigmas must hold at least one kernel width")
    else:
        if validation is not None:
            raise ValueError("validation is used only to choose sigma from sigmas; with a fixed sigma leave it out")
        grid = [_check_sigma(sigma)]
    batch_size = _check_batch_size(batch_size)
    c = _check.float64_matrix(samples, "samples")                                     # [N, d]
    t = _check.float64_matrix(test, "test")                                           # [m, d]
    if t.shape[1] != c.shape[1]:
        raise ValueError(f"test must have the samples' dimension {c.shape[1]}, got {t.shape[1]}")
    _check_block(t.shape[0], c.shape[0], batch_size)
    if len(grid) > 1 or validation is not None:
        v = _check.float64_matrix(validation, "validation")                           # [m_val, d]
        if v.shape[1] != c.shape[1]:
            raise ValueError(f"validation must have the samples' dimension {c.shape[1]}, got {v.shape[1]}")
        _check_block(v.shape[0], c.shape[0], batch_size)
        scores = _parzen_log_probs(c, v, grid, batch_size).mean(dim=1)          # [len(grid)]
        grid = [grid[int(scores.argmax())]]
    log_p = _parzen_log_probs(c, t, grid, batch_size)[0]                        # [m]
    stderr = float(log_p.std() / math.sqrt(log_p.numel())) if log_p.numel() > 1 else math.nan
    return ParzenEstimate(mean=float(log_p.mean()), stderr=stderr, sigma=grid[0])
