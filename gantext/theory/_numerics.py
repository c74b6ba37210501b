"""The numerical machinery behind :mod:`gantext.theory.divergences`: argument checks, densities
and CDFs of 1-D Gaussian mixtures, and quadrature split at the mixtures' components and at the
roots of the integrand, all in float64.

Private: the public functions are the divergences themselves.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from scipy import special as _special
from scipy.optimize import brentq

from .. import _check
from ..data import Distribution, GaussianMixture


def _is_mixture_1d(p) -> bool:
    return isinstance(p, GaussianMixture) and p.dim == 1


def _check_distribution(p, name: str):
    if not isinstance(p, Distribution):
        raise TypeError(f"{name} must be a gantext Distribution (e.g. gt.Gaussian1D, gt.GaussianMixture), "
                        f"got {type(p).__name__}")


def _check_pair(p, q, names=("p", "q")) -> None:
    _check_distribution(p, names[0])
    _check_distribution(q, names[1])
    if p.dim != q.dim:
        raise ValueError(f"{names[0]} and {names[1]} must live in the same dimension, "
                         f"got {names[0]}.dim={p.dim} and {names[1]}.dim={q.dim}")


def _check_n_samples(n_samples, *dists, generator=None) -> int:
    """``n_samples`` draws of each of ``dists`` (float64 [n, d]) fit in memory; ``generator``
    is None or a torch.Generator."""
    _check.integer(n_samples, "n_samples", low=2)
    _check.generator(generator)
    dim = max((getattr(p, "dim", 1) for p in dists), default=1)
    _check.memory(n_samples * (dim + 4) * 8 * max(len(dists), 1), f"n_samples={n_samples}")
    return int(n_samples)


def _finite_float64(x, name: str) -> np.ndarray:
    """``x`` (tensor, array, list or number) as float64 NumPy, refusing non-numbers and NaN/inf."""
    if x is None or isinstance(x, (str, bytes, Distribution)):
        raise TypeError(f"{name} must be a tensor or an array of numbers, got {type(x).__name__}")
    if isinstance(x, torch.Tensor):
        if x.device.type == "meta":
            raise ValueError(f"{name} is a meta tensor, which holds no values")
        x = x.detach().cpu().double().numpy()
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a tensor or an array of numbers, got {type(x).__name__}") from err
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} holds NaN or infinite values; every value must be finite")
    return x


def _require_quadrature(p, q, what: str, names=("p", "q")) -> None:
    if not (_is_mixture_1d(p) and _is_mixture_1d(q)):
        raise ValueError(
            f"exact {what} is available for 1-D Gaussian mixtures (gt.Gaussian1D, gt.GaussianMixture with "
            f"dim 1), got {names[0]}={p!r} and {names[1]}={q!r}; pass n_samples=N for a Monte Carlo "
            "estimate in any dimension")


def _log_prob(p, x: np.ndarray) -> np.ndarray:
    """``log p(x)`` as a float64 NumPy array of shape [n] (``x`` of shape [n] or [n, d]).

    Gaussian mixtures are evaluated here in NumPy (the same formula as their ``log_prob``, without
    PyTorch's per-call overhead, which dominates quadrature); other distributions through
    their own ``log_prob``."""
    if isinstance(p, GaussianMixture):
        x = np.asarray(x, dtype=np.float64).reshape(-1, p.dim)                 # [n, d]
        mu, var = p.means.numpy(), p.stds.numpy() ** 2                          # [K, d], [K]
        sq = np.square(x[:, None, :] - mu[None, :, :]).sum(axis=2)              # [n, K]
        log_comp = -0.5 * (sq / var + p.dim * (np.log(2 * np.pi) + np.log(var)))  # [n, K]
        with np.errstate(divide="ignore"):  # a zero weight is a component that is never drawn
            return _special.logsumexp(log_comp + np.log(p.weights.numpy()), axis=1)  # [n]
    return p.log_prob(torch.as_tensor(x, dtype=torch.float64)).numpy()


def _components(p) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means [K], standard deviations [K] and weights [K] of a 1-D mixture, in NumPy."""
    return p.means[:, 0].numpy(), p.stds.numpy(), p.weights.numpy()


def _cdf(p, x: np.ndarray) -> np.ndarray:
    """The CDF of a 1-D Gaussian mixture, :math:`F(x) = \\sum_k w_k \\Phi((x - \\mu_k)/\\sigma_k)`."""
    mu, sd, w = _components(p)
    return _special.ndtr((np.asarray(x, dtype=np.float64)[:, None] - mu) / sd) @ w   # [n]


# Breakpoints in units of a component's standard deviation: dense in the bulk, sparse in the
# tails, and far enough (±20σ, where the density is below e^-200) that nothing is lost outside.
_STD_GRID = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0,
                      7.0, 8.0, 10.0, 12.0, 15.0, 20.0])
_STD_GRID = np.concatenate([-_STD_GRID[:0:-1], _STD_GRID])
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(24)


def _edges(*dists) -> np.ndarray:
    """Sorted breakpoints around every component of the 1-D mixtures ``dists``."""
    points = [mu[:, None] + sd[:, None] * _STD_GRID for mu, sd, _ in map(_components, dists)]
    return np.unique(np.concatenate([p.ravel() for p in points]))


def _integrate(f: Callable[[np.ndarray], np.ndarray], edges: np.ndarray) -> float:
    """∫ f over [edges[0], edges[-1]] by 24-point Gauss–Legendre on every sub-interval.

    ``f`` is evaluated once, on all nodes together (so a neural network is called once)."""
    a, b = edges[:-1, None], edges[1:, None]                                    # [S, 1]
    x = 0.5 * (b - a) * _GL_NODES + 0.5 * (a + b)                               # [S, 24]
    values = np.asarray(f(x.ravel()), dtype=np.float64).reshape(x.shape)       # [S, 24]
    return float(np.sum(0.5 * (b - a) * (values @ _GL_WEIGHTS[:, None])))


def _split_at_roots(g: Callable[[np.ndarray], np.ndarray], edges: np.ndarray) -> np.ndarray:
    """Add to ``edges`` the zeros of ``g`` between consecutive edges (where g changes sign), so
    that an integrand with ``|g|`` has its kinks at breakpoints and quadrature stays exact."""
    values = g(edges)
    change = np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)[0]
    roots = [brentq(lambda t: g(np.array([t]))[0], edges[i], edges[i + 1], xtol=1e-14, rtol=1e-14)
             for i in change]
    return np.unique(np.concatenate([edges, roots]))


def _samples_1d(x, name: str) -> np.ndarray:
    x = _finite_float64(x, name)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sample set of shape [n] or [n, 1], "
                         f"got shape {list(x.shape)}; for d > 1 use POT (ot.emd2)")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must contain only finite values")
    return x


def _wasserstein1_samples(x: np.ndarray, y: np.ndarray) -> float:
    """W₁ between the empirical measures of two 1-D sample sets: ∫|F_x − F_y| over the merged
    sorted samples (the average of ``|x_(i) - y_(i)|`` when the sizes are equal)."""
    x, y = np.sort(x), np.sort(y)
    if x.size == y.size:
        return float(np.mean(np.abs(x - y)))
    merged = np.sort(np.concatenate([x, y]))                                    # [n + m]
    fx = np.searchsorted(x, merged[:-1], side="right") / x.size                 # F_x on each gap
    fy = np.searchsorted(y, merged[:-1], side="right") / y.size
    return float(np.sum(np.abs(fx - fy) * np.diff(merged)))
