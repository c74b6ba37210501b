"""Mode coverage (chapter 5): how the samples of a generator cover the modes of a Gaussian mixture.

The protocol of the VEEGAN and PacGAN tables (Srivastava et al., 2017; Lin et al., 2018): modes
captured, the fraction of high-quality samples and the reverse KL of their histogram over the
modes, all in float64. Two measures for a training run rather than a final score: the effective
number of modes (:func:`effective_modes`), which needs no sample to be high quality, and the
distance the sample mean travels between snapshots (:func:`mean_travel`), which shows mode hopping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from . import _check

__all__ = ["ModeCoverage", "mode_coverage", "effective_modes", "mean_travel"]


@dataclass(frozen=True)
class ModeCoverage:
    """How a set of samples covers the modes of a Gaussian mixture (chapter 5).

    ``counts[k]`` is the number of *high-quality* samples assigned to mode ``k``; the three
    headline numbers of the VEEGAN and PacGAN tables are derived from it.
    """

    modes_captured: int            # modes with at least one high-quality sample
    high_quality_fraction: float   # high-quality samples / all samples, in [0, 1]
    reverse_kl: float              # KL(histogram of HQ samples over modes ‖ uniform), nats; NaN if no HQ sample
    counts: tuple[int, ...]        # high-quality samples per mode
    n_samples: int                 # samples evaluated

    @property
    def n_modes(self) -> int:
        return len(self.counts)


def _cpu_tensor(x, name: str) -> torch.Tensor:
    """``x`` (a tensor on any device, an array, a list or a number) as a CPU tensor of real numbers."""
    x = _check.cpu_tensor(x, name)
    if x.dtype == torch.bool or x.is_complex():
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    return x


def _samples_and_means(samples, means) -> tuple[torch.Tensor, torch.Tensor]:
    """``samples`` ``[n, d]`` and ``means`` ``[K, d]`` as CPU tensors, their shapes checked."""
    x, mu = _cpu_tensor(samples, "samples"), _cpu_tensor(means, "means")
    if mu.dim() != 2 or mu.shape[0] == 0:
        raise ValueError(f"means must have shape [K, d] with K >= 1, got {list(mu.shape)}")
    if x.dim() != 2 or x.shape[0] == 0 or x.shape[1] != mu.shape[1]:
        raise ValueError(f"samples must have shape [n, {mu.shape[1]}] with n >= 1 (the means' "
                         f"dimension), got {list(x.shape)}")
    return x, mu


def _check_finite(x: torch.Tensor, mu: torch.Tensor, consequence: str = "") -> None:
    """Refuse NaN/inf means or samples, and a distance matrix too large for memory."""
    if not bool(torch.isfinite(mu).all()):
        raise ValueError("means holds NaN or infinite values; every value must be finite")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("samples holds NaN or infinite values (a diverged generator?)" + consequence)
    _check.memory(x.shape[0] * mu.shape[0] * 8 * 3, f"distances of {x.shape[0]} samples to {mu.shape[0]} means")


def mode_coverage(samples, means, std, threshold: float = 3.0) -> ModeCoverage:
    r"""Modes captured, fraction of high-quality samples and reverse KL over modes (chapter 5).

    The protocol of Srivastava et al. (2017, VEEGAN) and Lin et al. (2018, PacGAN), computed in
    float64:

    1. each sample is assigned to its nearest mean, distances measured in units of that mode's
       standard deviation (with one ``std`` for all modes this is the nearest mean in the
       Euclidean sense);
    2. it is *high quality* when that distance is below ``threshold`` standard deviations;
    3. a mode is *captured* when at least one high-quality sample is assigned to it;
    4. the histogram :math:`\hat p_k = n_k / \sum_j n_j` of the **high-quality** samples over the
       :math:`K` modes is compared with the uniform distribution over the :math:`K` modes,

       .. math:: \mathrm{KL}(\hat p \,\|\, u) = \sum_{k:\,\hat p_k > 0} \hat p_k \log (K \hat p_k)
                 = \log K - H(\hat p),

       the *reverse* KL because the model's distribution comes first. It is 0 for a perfectly
       balanced generator and :math:`\log K` for one that puts every good sample on one mode.

    Only high-quality samples enter the histogram, as in PacGAN's published code (its
    ``MetricLogger`` counts a sample for its nearest mode only when it lies within the
    threshold); a sample far from every mode says nothing about which mode it belongs to.
    When no sample is high quality the histogram is undefined and ``reverse_kl`` is NaN. NaN or
    infinite samples (a diverged generator) raise: such a run has no score
    (:func:`gantext.mode_collapse.table` marks it diverged instead).

    ``samples``: ``[n, d]``; ``means``: ``[K, d]``; ``std``: one positive number or one per mode.
    A perfect sampler of a 2-D mixture scores :math:`1 - e^{-9/2} \approx 98.9\,\%` high quality at
    the default threshold (the probability mass of the 3-standard-deviation disc).
    """
    x, mu = _samples_and_means(samples, means)
    sigma = _cpu_tensor(std, "std").double()
    if sigma.dim() == 0:
        sigma = sigma.expand(mu.shape[0])
    if sigma.shape != (mu.shape[0],) or not torch.all(torch.isfinite(sigma) & (sigma > 0)):
        raise ValueError(f"std must be one finite number > 0 or one per mode ({mu.shape[0]}), got {std!r}")
    _check.number(threshold, "threshold", low=0, low_open=True)
    _check_finite(x, mu, ": such samples have no mode coverage; gt.mode_collapse.table marks the "
                  "run diverged")
    x, mu = x.double(), mu.double()

    scaled = torch.cdist(x, mu) / sigma                                         # [n, K] distances in stds
    distance, nearest = scaled.min(dim=1)                                       # [n], [n]
    good = distance < threshold                                                 # [n]
    counts = torch.bincount(nearest[good], minlength=mu.shape[0])               # [K]
    n_good = int(counts.sum())
    if n_good:
        p = counts[counts > 0].double() / n_good                                # [captured]
        reverse_kl = float((p * (p * mu.shape[0]).log()).sum())
    else:
        reverse_kl = math.nan
    return ModeCoverage(modes_captured=int((counts > 0).sum()),
                        high_quality_fraction=n_good / x.shape[0],
                        reverse_kl=reverse_kl,
                        counts=tuple(int(c) for c in counts),
                        n_samples=int(x.shape[0]))


def effective_modes(samples, means) -> float:
    r"""The effective number of modes :math:`e^{H(q)}` of ``samples`` (chapter 5).

    :math:`q_k` is the share of *all* samples whose nearest mean is :math:`\mu_k` (no
    high-quality cut) and :math:`H(q) = -\sum_k q_k \log q_k` its entropy in nats, so the
    measure is 1 when every sample is nearest one mode, :math:`K` when the samples are spread
    evenly over the :math:`K` modes' neighbourhoods, and :math:`m` for an even spread over
    :math:`m` of them (the perplexity of :math:`q`). Unlike the benchmark's columns it is defined
    before the samples are sharp, so early in training it tells a generator collapsed onto one
    blob from one that spreads its mass. It cannot tell spread from *coverage*: uniform noise on
    a square around the modes also scores about :math:`K`; the high-quality fraction of
    :func:`mode_coverage` says which. ``samples``: ``[n, d]``; ``means``: ``[K, d]``. Float64.
    """
    x, mu = _samples_and_means(samples, means)
    _check_finite(x, mu)
    nearest = torch.cdist(x.double(), mu.double()).argmin(dim=1)                # [n]
    q = torch.bincount(nearest, minlength=mu.shape[0]).double() / x.shape[0]   # [K]
    q = q[q > 0]
    return math.exp(float(-(q * q.log()).sum()))


def mean_travel(snapshots) -> torch.Tensor:
    r"""How far the sample mean moves between consecutive snapshots of one generator (chapter 5).

    ``snapshots``: ``[T, n, d]``, the samples of one model at ``T >= 2`` moments of training
    (drawn from the same latent batch each time). Returns the ``T - 1`` Euclidean distances
    :math:`\lVert \bar x_{t+1} - \bar x_t \rVert`, float64. A generator that covers the ring
    keeps its mean near the centre and moves it little; a collapsed generator's mean is the
    position of its one blob, so *mode hopping* shows as long jumps (two neighbouring modes of the
    unit ring are 0.77 apart, opposite ones 2).
    """
    x = _cpu_tensor(snapshots, "snapshots")
    if x.dim() != 3 or x.shape[0] < 2 or x.shape[1] == 0:
        raise ValueError(f"snapshots must have shape [T, n, d] with T >= 2 and n >= 1, got {list(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("snapshots holds NaN or infinite values (a diverged generator?)")
    mean = x.double().mean(dim=1)                                               # [T, d]
    return (mean[1:] - mean[:-1]).norm(dim=1)                                   # [T - 1]
