"""Data: distributions the book can both sample from and evaluate, and real images.

Every distribution here has ``sample(n, generator=None)`` returning a float32 tensor of shape
``[n, d]`` and, because the theory chapters need the true density, ``log_prob(x)`` returning a
tensor of shape ``[n]``. Densities are evaluated in float64 so that quadrature is accurate far
in the tails.

The mode-collapse benchmarks (chapter 5) use :func:`ring` and :func:`grid`, built to the
protocol of ``PROTOCOLS.md``: a ring of 8 Gaussians at angles 2πk/8 (not ``linspace(0, 2π, 8)``,
which makes two centres coincide) and a 5×5 grid.
"""

from __future__ import annotations

import math
import torch

__all__ = ["Distribution", "Gaussian1D", "GaussianMixture", "ring", "grid"]

_LOG_2PI = math.log(2 * math.pi)


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return n


class Distribution:
    """A distribution on R^d with a sampler and a log-density."""

    dim: int

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def prob(self, x: torch.Tensor) -> torch.Tensor:
        """The density, ``exp(log_prob(x))``."""
        return self.log_prob(x).exp()

    def _points(self, x) -> torch.Tensor:
        """``x`` as a float64 tensor of shape ``[n, d]``; 1-D distributions also take ``[n]``."""
        x = torch.as_tensor(x)
        if not torch.is_floating_point(x):
            x = x.double()
        if x.dim() == 1 and self.dim == 1:
            x = x[:, None]
        if x.dim() != 2 or x.shape[1] != self.dim:
            accepted = "[n, 1] or [n]" if self.dim == 1 else f"[n, {self.dim}]"
            raise ValueError(f"x must have shape {accepted}, got {list(x.shape)}")
        return x.double()


class GaussianMixture(Distribution):
    """A mixture of isotropic Gaussians in any dimension.

    ``means`` has shape ``[K, d]`` (or ``[K]`` for a 1-D mixture); ``stds`` is one number for all
    components or one per component; ``weights`` default to uniform, must be non-negative and
    sum to 1. The density is

    .. math:: p(x) = \\sum_k w_k \\, \\mathcal N(x;\\, \\mu_k, \\sigma_k^2 I).
    """

    def __init__(self, means, stds, weights=None):
        means = torch.as_tensor(means, dtype=torch.float64)
        if means.dim() == 1:
            means = means[:, None]
        if means.dim() != 2 or means.shape[0] == 0:
            raise ValueError(f"means must have shape [K, d] or [K] with K >= 1, got {list(means.shape)}")
        k = means.shape[0]
        stds = torch.as_tensor(stds, dtype=torch.float64)
        if stds.dim() == 0:
            stds = stds.expand(k).clone()
        if stds.shape != (k,):
            raise ValueError(f"stds must be one number or one per component ({k}), got shape {list(stds.shape)}")
        if not torch.all(stds > 0) or not torch.all(torch.isfinite(stds)):
            raise ValueError(f"stds must be finite and > 0, got {stds.tolist()}")
        if weights is None:
            weights = torch.full((k,), 1.0 / k, dtype=torch.float64)
        weights = torch.as_tensor(weights, dtype=torch.float64)
        if weights.shape != (k,):
            raise ValueError(f"weights must have one entry per component ({k}), got shape {list(weights.shape)}")
        if torch.any(weights < 0) or not torch.all(torch.isfinite(weights)):
            raise ValueError(f"weights must be finite and >= 0, got {weights.tolist()}")
        if abs(weights.sum().item() - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1, got sum {weights.sum().item():.6g}")
        if not torch.all(torch.isfinite(means)):
            raise ValueError("means must be finite")
        self.means, self.stds, self.weights = means, stds, weights
        self.dim = means.shape[1]

    @property
    def n_modes(self) -> int:
        return self.means.shape[0]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` points, float32 ``[n, d]``; pass ``generator`` for reproducible draws."""
        n = _check_n(n)
        component = torch.multinomial(self.weights, n, replacement=True, generator=generator) if n else \
            torch.zeros(0, dtype=torch.long)                                    # [n]
        noise = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)  # [n, d]
        x = self.means[component] + self.stds[component, None] * noise         # [n, d]
        return x.float()

    def log_prob(self, x) -> torch.Tensor:
        """``log p(x)`` for ``x`` of shape ``[n, d]``, computed with log-sum-exp in float64."""
        x = self._points(x)
        sq = torch.cdist(x, self.means).pow(2)                                   # [n, K]
        var = self.stds.pow(2)                                                   # [K]
        log_comp = -0.5 * (sq / var + self.dim * (_LOG_2PI + var.log()))         # [n, K]
        return torch.logsumexp(log_comp + self.weights.log(), dim=1)             # [n]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(K={self.n_modes}, d={self.dim})"


class Gaussian1D(GaussianMixture):
    """The normal distribution N(mean, std²) on the real line (a one-component mixture)."""

    def __init__(self, mean: float = 0.0, std: float = 1.0):
        if not (isinstance(std, (int, float)) and math.isfinite(std) and std > 0):
            raise ValueError(f"std must be a finite number > 0, got {std!r}")
        if not (isinstance(mean, (int, float)) and math.isfinite(mean)):
            raise ValueError(f"mean must be a finite number, got {mean!r}")
        super().__init__([float(mean)], float(std))
        self.mean, self.std = float(mean), float(std)

    def __repr__(self) -> str:
        return f"Gaussian1D(mean={self.mean:g}, std={self.std:g})"


def ring(n_modes: int = 8, radius: float = 1.0, std: float = 0.01) -> GaussianMixture:
    """``n_modes`` equal-weight Gaussians with means ``radius·(cos 2πk/n, sin 2πk/n)``.

    The defaults are the 2-D ring of VEEGAN and PacGAN (8 modes, radius 1, std 0.01).
    """
    if isinstance(n_modes, bool) or not isinstance(n_modes, int) or n_modes < 1:
        raise ValueError(f"n_modes must be a positive integer, got {n_modes!r}")
    if not radius > 0:
        raise ValueError(f"radius must be > 0, got {radius!r}")
    angle = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
    means = radius * torch.stack([angle.cos(), angle.sin()], dim=1)             # [K, 2]
    return GaussianMixture(means, std)


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """``side²`` equal-weight Gaussians on a square grid centred at the origin.

    The defaults are the 5×5 grid of VEEGAN and PacGAN: means (i, j) for i, j ∈ {−4, −2, 0, 2, 4}.
    """
    if isinstance(side, bool) or not isinstance(side, int) or side < 1:
        raise ValueError(f"side must be a positive integer, got {side!r}")
    if not spacing > 0:
        raise ValueError(f"spacing must be > 0, got {spacing!r}")
    ticks = spacing * (torch.arange(side, dtype=torch.float64) - (side - 1) / 2)
    means = torch.cartesian_prod(ticks, ticks)                                  # [side², 2]
    return GaussianMixture(means, std)

