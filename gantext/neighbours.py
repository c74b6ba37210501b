"""Metrics from k-nearest-neighbour balls (chapter 8): improved precision and recall
(Kynkäänniemi et al., 2019) and density and coverage (Naeem et al., 2020).

Each estimates the support of a set of samples as a union of balls around its feature vectors and
asks how much of the other set falls inside. Unlike the moment-based metrics of
:mod:`gantext.metrics` (FID, KID), which they complement, they separate fidelity from diversity.
Both are re-exported by :mod:`gantext.metrics` and at the top level. Distances in float64.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch

from . import _check
from ._features import _check_features_and_samples, _check_pairwise_memory, _extract_pair

__all__: list[str] = ["PrecisionRecall", "precision_recall", "DensityCoverage", "density_coverage"]


class PrecisionRecall(NamedTuple):
    """Improved precision and recall (Kynkäänniemi et al., 2019), both in [0, 1]."""

    precision: float  # fraction of generated samples inside the real manifold estimate
    recall: float     # fraction of real samples inside the generated manifold estimate


class DensityCoverage(NamedTuple):
    """Density and coverage (Naeem et al., 2020): fidelity and diversity robust to outliers."""

    density: float   # mean count of real k-NN balls holding a generated sample, over k; about 1 for p_g = p_data
    coverage: float  # fraction of real k-NN balls holding at least one generated sample, in [0, 1]


# --- Precision and recall ---------------------------------------------------------------------

def _kth_neighbour_radius(points: torch.Tensor, k: int, batch_size: int) -> torch.Tensor:
    """Distance from each row of ``points`` ``[n, d]`` to its k-th nearest other row, ``[n]``."""
    radii = []
    for start in range(0, points.shape[0], batch_size):
        dist = torch.cdist(points[start:start + batch_size], points)           # [b, n]
        radii.append(dist.topk(k + 1, dim=1, largest=False).values[:, k])      # [b] (column 0: itself)
    return torch.cat(radii)                                                     # [n]


def _inside_fraction(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor,
                     batch_size: int) -> float:
    """Fraction of ``queries`` lying in at least one ball (centre ``centres[j]``, radius ``radii[j]``)."""
    inside = 0
    for start in range(0, queries.shape[0], batch_size):
        dist = torch.cdist(queries[start:start + batch_size], centres)         # [b, n]
        inside += int((dist <= radii).any(dim=1).sum())
    return inside / queries.shape[0]


def precision_recall(real, fake, features: Callable | None = None, *, k: int = 3,
                     batch_size: int = 500) -> PrecisionRecall:
    r"""Improved precision and recall of Kynkäänniemi et al. (2019) in feature space (chapter 8).

    Each set's manifold is estimated as the union of balls around its feature vectors, the radius
    of each ball being the distance to the point's ``k``-th nearest neighbour within its own set.
    *Precision* is the fraction of generated samples that fall inside the real manifold (are
    they realistic?); *recall* the fraction of real samples inside the generated manifold (is
    the data covered?). A collapsed generator has high precision and low recall.

    ``features`` is as in :func:`~gantext.metrics.fid` (default: the digits classifier's penultimate layer; pass
    the identity for features computed beforehand). ``k`` must be smaller than both set sizes
    (the paper uses ``k = 3``). Distances in float64.
    """
    f_real, f_fake = _neighbour_features(real, fake, features, k, batch_size)  # [n, d], [m, d]
    if not k < min(f_real.shape[0], f_fake.shape[0]):
        raise ValueError(f"k must be smaller than both set sizes ({f_real.shape[0]} real, "
                         f"{f_fake.shape[0]} fake), got k={k}")
    real_radii = _kth_neighbour_radius(f_real, k, batch_size)                   # [n]
    fake_radii = _kth_neighbour_radius(f_fake, k, batch_size)                   # [m]
    return PrecisionRecall(precision=_inside_fraction(f_fake, f_real, real_radii, batch_size),
                           recall=_inside_fraction(f_real, f_fake, fake_radii, batch_size))


def _neighbour_features(real, fake, features, k, batch_size):
    """Check ``k`` and the feature extractor, then extract both sets' features (float64)."""
    _check.integer(k, "k", low=1)
    features = _check_features_and_samples(real, fake, features, batch_size)
    n, m = real.shape[0], fake.shape[0]
    _check_pairwise_memory(max(n, m), max(n, m), batch_size, f"distances between {n} real and {m} fake samples")
    return _extract_pair(features, real, fake, batch_size)


def density_coverage(real, fake, features: Callable | None = None, *, k: int = 5,
                     batch_size: int = 500) -> DensityCoverage:
    r"""Density and coverage of Naeem et al. (2020), "Reliable Fidelity and Diversity Metrics for
    Generative Models" (chapter 8).

    Like :func:`precision_recall`, they use balls :math:`B(x_i, r_i)` around the real features
    :math:`x_1..x_N`, :math:`r_i` being the distance from :math:`x_i` to its ``k``-th nearest
    other real feature; unlike it, they never build balls around the generated features
    :math:`y_1..y_M`, so one outlying generated sample cannot swallow the data:

    .. math:: \text{density} = \frac{1}{kM} \sum_{j=1}^{M} \sum_{i=1}^{N} 1[y_j \in B(x_i, r_i)],
              \qquad
              \text{coverage} = \frac{1}{N} \sum_{i=1}^{N} 1[\exists\, j:\ y_j \in B(x_i, r_i)].

    *Density* counts how many real neighbourhoods each generated sample falls in (about 1 when
    the two distributions coincide, above 1 for samples crowded where the data are dense, so
    unbounded); *coverage* is the fraction of real neighbourhoods that some generated sample
    reaches, in [0, 1]. Membership is strict, :math:`\lVert y - x_i \rVert < r_i`, as in the
    authors' code (``prdc``): a generator that returns the real set itself scores density exactly
    1 and coverage 1. ``features`` is as in :func:`~gantext.metrics.fid`; ``k`` must be smaller than the number of
    real samples (the paper uses ``k = 5``). Distances in float64.
    """
    f_real, f_fake = _neighbour_features(real, fake, features, k, batch_size)  # [N, d], [M, d]
    if not k < f_real.shape[0]:
        raise ValueError(f"k must be smaller than the number of real samples ({f_real.shape[0]}), got k={k}")
    # Distances from the differences themselves, not from |a|² + |b|² − 2a·b: each pair then
    # gets the same bits in every call: a generated copy of a real point is exactly as far from
    # each real point as the original, so a copy of a ball's k-th neighbour lies on its boundary.
    def distances(a, b):
        return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")    # [len(a), len(b)]

    radii = torch.cat([distances(f_real[start:start + batch_size], f_real).topk(k + 1, dim=1, largest=False)
                       .values[:, k] for start in range(0, f_real.shape[0], batch_size)])  # [N] (column 0: itself)
    memberships = 0
    covered = torch.zeros(f_real.shape[0], dtype=torch.bool)                    # [N]
    for start in range(0, f_fake.shape[0], batch_size):
        inside = distances(f_fake[start:start + batch_size], f_real) < radii    # [b, N]
        memberships += int(inside.sum())
        covered |= inside.any(dim=0)
    return DensityCoverage(density=memberships / (k * f_fake.shape[0]),
                           coverage=float(covered.double().mean()))
