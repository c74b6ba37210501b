"""Metrics (chapter 8): how good, and how diverse, are a generator's images? Everything in float64.

The Fréchet distance and FID, KID, the Inception Score, precision/recall and density/coverage.
The Parzen-window log-likelihood is :mod:`gantext.parzen`, mode coverage on the toy mixtures of
chapter 5 is :mod:`gantext.coverage`, and the digits classifier whose features these metrics use
by default is :mod:`gantext.classifier`.
"""

from __future__ import annotations

import math
import warnings
from typing import Callable, NamedTuple

import numpy as np
import torch

from . import _check
from .classifier import digits_classifier

__all__: list[str] = ["frechet_distance", "feature_statistics", "fid", "kid", "InceptionScore", "inception_score",
                     "PrecisionRecall", "precision_recall", "DensityCoverage", "density_coverage"]


# Every metric here compares two sets of samples through a feature map: class probabilities
# (Inception Score) or a classifier's penultimate layer (FID, KID, precision/recall,
# density/coverage). Where the original papers use Inception-v3 or VGG-16 on ImageNet-sized
# images, the book uses :func:`~gantext.classifier.digits_classifier`, a small network trained in
# seconds on the 8×8 digits it evaluates. Statistics are computed in float64 on the CPU.


class InceptionScore(NamedTuple):
    """The Inception Score over ``splits`` disjoint parts of the samples (Salimans et al., 2016)."""

    mean: float   # the mean over the splits of exp(E_x KL(p(y|x) ‖ p(y)))
    std: float    # their standard deviation (ddof 0, as in the original code); 0 for one split


class PrecisionRecall(NamedTuple):
    """Improved precision and recall (Kynkäänniemi et al., 2019), both in [0, 1]."""

    precision: float  # fraction of generated samples inside the real manifold estimate
    recall: float     # fraction of real samples inside the generated manifold estimate


class DensityCoverage(NamedTuple):
    """Density and coverage (Naeem et al., 2020): fidelity and diversity robust to outliers."""

    density: float   # mean count of real k-NN balls holding a generated sample, over k; about 1 for p_g = p_data
    coverage: float  # fraction of real k-NN balls holding at least one generated sample, in [0, 1]


# --- The Fréchet distance and FID ------------------------------------------------------------

def _float64_array(x, name: str) -> np.ndarray:
    return _check.cpu_tensor(x, name, float64=True).numpy()


def _float64_moments(mu, sigma, name: str) -> tuple[np.ndarray, np.ndarray]:
    mu, sigma = _float64_array(mu, f"mu{name}"), _float64_array(sigma, f"sigma{name}")
    if mu.ndim != 1 or mu.size == 0:
        raise ValueError(f"mu{name} must be a vector of shape [k] with k >= 1, got shape {list(mu.shape)}")
    k = mu.size
    if sigma.shape != (k, k):
        raise ValueError(f"sigma{name} must have shape [{k}, {k}] to match mu{name}, got {list(sigma.shape)}")
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))):
        raise ValueError(f"mu{name} and sigma{name} must be finite")
    scale = max(float(np.abs(sigma).max()), 1e-300)
    if float(np.abs(sigma - sigma.T).max()) > 1e-8 * scale:
        raise ValueError(f"sigma{name} must be a symmetric covariance matrix")
    sigma = (sigma + sigma.T) / 2
    if float(np.linalg.eigvalsh(sigma).min()) < -1e-8 * scale * k:
        raise ValueError(f"sigma{name} must be positive semi-definite (a covariance matrix)")
    return mu, sigma


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    r"""The squared Fréchet (Wasserstein-2) distance between N(mu1, sigma1) and N(mu2, sigma2).

    .. math:: d^2 = \lVert \mu_1 - \mu_2 \rVert^2
                  + \operatorname{Tr}\bigl(\Sigma_1 + \Sigma_2 - 2 (\Sigma_1 \Sigma_2)^{1/2}\bigr)

    (Dowson and Landau, 1982), the quantity FID evaluates on feature statistics (Heusel et al.,
    2017; chapter 8). The product :math:`\Sigma_1\Sigma_2` is not symmetric, and taking its square
    root with a general matrix square root (``scipy.linalg.sqrtm``) returns complex rounding
    noise, or fails, when a covariance is singular. Here the trace is computed in the symmetric
    form: :math:`\Sigma_1\Sigma_2` is similar to :math:`M = \Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}`, a
    positive semi-definite matrix, so

    .. math:: \operatorname{Tr}(\Sigma_1\Sigma_2)^{1/2} = \sum_i \sqrt{\lambda_i(M)},

    with two symmetric eigendecompositions in float64 and rounding-level negative eigenvalues
    clipped to zero. Singular covariances (fewer samples than features) are handled exactly.
    Inputs are tensors or arrays: ``mu`` of shape ``[k]``, ``sigma`` of shape ``[k, k]``.
    Returns a float >= 0.
    """
    mu1, sigma1 = _float64_moments(mu1, sigma1, "1")
    mu2, sigma2 = _float64_moments(mu2, sigma2, "2")
    if mu1.size != mu2.size:
        raise ValueError(f"mu1 and mu2 must have the same dimension, got {mu1.size} and {mu2.size}")
    w, v = np.linalg.eigh(sigma1)                                               # [k], [k, k]
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T                            # [k, k] Σ1^½
    m = root1 @ sigma2 @ root1                                                  # [k, k] Σ1^½ Σ2 Σ1^½
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    d2 = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt
    return float(max(d2, 0.0))  # a squared distance; rounding can leave -1e-15


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """The float64 mean ``[k]`` and unbiased covariance ``[k, k]`` of ``features`` ``[n, k]`` (n >= 2)."""
    f = _check.float64_matrix(features, "features").numpy()                           # [n, k]
    if f.shape[0] < 2:
        raise ValueError(f"features must hold at least 2 rows to estimate a covariance, got {f.shape[0]}")
    return f.mean(axis=0), np.cov(f, rowvar=False).reshape(f.shape[1], f.shape[1])


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


def fid(real, fake, features: Callable | None = None, *, batch_size: int = 500) -> float:
    r"""The Fréchet Inception Distance between two sets of samples (Heusel et al., 2017; chapter 8).

    Both sets are mapped through ``features`` (any callable from a batch of samples to a
    ``[n, k]`` tensor; by default the penultimate layer of :func:`~gantext.classifier.digits_classifier`, which
    expects 8×8 digits ``[n, 1, 8, 8]`` in [−1, 1]), a Gaussian is fitted to each set of features
    (mean and unbiased covariance, float64) and :func:`frechet_distance` between the two is
    returned. Pass ``features=lambda x: x.flatten(1)`` for the distance in pixel space, or
    the identity for features computed beforehand.

    FID is a biased estimator: with ``n`` samples per set the expected value exceeds the
    population distance by a term of order ``1/n`` (two independent samples of one distribution
    score about ``2·Tr(Σ)/n`` in the mean term alone), so FIDs are comparable only at equal
    ``n``. With ``n <= k`` the covariance estimates are singular (rank at most ``n - 1``); the
    distance is still computed exactly from the symmetric form, but it is dominated by this
    bias, and a :class:`UserWarning` says so.
    """
    features = _check_features_and_samples(real, fake, features, batch_size)
    f_real = _extract(features, real, batch_size, "real")                       # [n, k]
    f_fake = _extract(features, fake, batch_size, "fake")                       # [m, k]
    if f_real.shape[1] != f_fake.shape[1]:
        raise ValueError(f"features of real and fake differ in dimension: {f_real.shape[1]} vs {f_fake.shape[1]}")
    k = f_real.shape[1]
    for name, f in (("real", f_real), ("fake", f_fake)):
        if f.shape[0] < 2:
            raise ValueError(f"{name} must hold at least 2 samples to estimate a covariance, got {f.shape[0]}")
        if f.shape[0] <= k:
            warnings.warn(f"{name} has {f.shape[0]} samples for {k} features: its covariance is "
                          f"singular and FID is dominated by its small-sample bias; use n > {k}",
                          UserWarning, stacklevel=2)
    return frechet_distance(*feature_statistics(f_real), *feature_statistics(f_fake))


def kid(real, fake, features: Callable | None = None, *, degree: int = 3, gamma: float | None = None,
        coef0: float = 1.0, batch_size: int = 500) -> float:
    r"""The Kernel Inception Distance of Bińkowski et al. (2018), an unbiased alternative to FID.

    Both sets are mapped through ``features`` as in :func:`fid`, and the squared maximum mean
    discrepancy between the two sets of features :math:`x_1..x_n` and :math:`y_1..y_m` is
    estimated without bias, with the polynomial kernel :math:`k(a, b) = (\gamma\, a \cdot b +
    c_0)^{d}` (defaults :math:`d = 3`, :math:`\gamma = 1/\text{dimension}`, :math:`c_0 = 1`, as in
    the paper):

    .. math:: \widehat{\mathrm{MMD}}{}^2_u = \frac{1}{n(n-1)} \sum_{i \ne j} k(x_i, x_j)
              + \frac{1}{m(m-1)} \sum_{i \ne j} k(y_i, y_j) - \frac{2}{nm} \sum_{i, j} k(x_i, y_j).

    Unlike FID its expectation does not depend on the number of samples, so it can be slightly
    negative when the two distributions coincide. The paper (and torch-fidelity) average this
    estimate over random subsets of 1,000 samples per set; here it is computed once on all the
    samples (which equals one subset holding them all). Kernel sums in float64; ``n, m >= 2``.
    """
    _check.integer(degree, "degree", low=1)
    _check.number(gamma, "gamma", low=0, low_open=True, none=True)
    _check.number(coef0, "coef0")
    features = _check_features_and_samples(real, fake, features, batch_size)
    n, m = real.shape[0], fake.shape[0]
    _check.memory((n + m) ** 2 * 8 * 2, f"kid's kernel matrices for {n} real and {m} fake samples")
    x = _extract(features, real, batch_size, "real")                            # [n, k]
    y = _extract(features, fake, batch_size, "fake")                            # [m, k]
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"features of real and fake differ in dimension: {x.shape[1]} vs {y.shape[1]}")
    for name, f in (("real", x), ("fake", y)):
        if f.shape[0] < 2:
            raise ValueError(f"{name} must hold at least 2 samples for the unbiased estimate, got {f.shape[0]}")
    g = 1.0 / x.shape[1] if gamma is None else float(gamma)
    n, m = x.shape[0], y.shape[0]

    def kernel(a, b):
        return (g * (a @ b.T) + coef0) ** degree                                # [len(a), len(b)]

    k_xx, k_yy = kernel(x, x), kernel(y, y)                                     # [n, n], [m, m]
    within_x = (k_xx.sum() - k_xx.diagonal().sum()) / (n * (n - 1))             # pairs i != j only
    within_y = (k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    return float(within_x + within_y - 2 * kernel(x, y).mean())

# --- Inception Score --------------------------------------------------------------------------

def inception_score(probs=None, *, logits=None, splits: int = 10) -> InceptionScore:
    r"""The Inception Score of Salimans et al. (2016) from a classifier's outputs (chapter 8).

    .. math:: \mathrm{IS} = \exp\Bigl(\mathbb E_{x}\,
              \mathrm{KL}\bigl(p(y \mid x) \,\Vert\, p(y)\bigr)\Bigr),
              \qquad p(y) = \mathbb E_x\, p(y \mid x),

    the exponential of the mutual information between the sample and its predicted class, so
    :math:`1 \le \mathrm{IS} \le C` for ``C`` classes. Give class probabilities ``probs``
    ``[n, C]`` (rows summing to 1) or ``logits`` ``[n, C]`` (keyword). As in the original code,
    the samples are cut into ``splits`` consecutive parts, the score is computed on each part and
    the mean and standard deviation over the parts are returned. Computed in float64; with the
    book's :func:`~gantext.classifier.digits_classifier` as the "Inception" network.
    """
    if (probs is None) == (logits is None):
        raise ValueError("give exactly one of probs (class probabilities) or logits= (keyword)")
    _check.integer(splits, "splits", low=1)
    given, name = (probs, "probs") if logits is None else (logits, "logits")
    shape = list(given.shape) if isinstance(given, torch.Tensor) else list(np.shape(given))
    if len(shape) != 2:
        raise ValueError(f"{name} must have shape [n, C], got {shape}")
    x = _check.float64_matrix(given, name)                                            # [n, C]
    if logits is None:
        if torch.any(x < 0) or not torch.allclose(x.sum(dim=1), torch.ones(x.shape[0], dtype=torch.float64),
                                                  atol=1e-5):
            raise ValueError("probs must be non-negative with rows summing to 1; pass logits= for raw scores")
        p = x / x.sum(dim=1, keepdim=True)                                      # [n, C]
    else:
        p = torch.softmax(x, dim=1)                                             # [n, C]
    _check.integer(splits, "splits", low=1)
    if not 1 <= splits <= p.shape[0]:
        raise ValueError(f"splits must be an integer between 1 and the number of samples ({p.shape[0]}), "
                         f"got {splits!r}")
    scores, n = [], p.shape[0]
    for i in range(splits):  # the original code's parts: rows i·n//splits to (i+1)·n//splits
        part = p[i * n // splits:(i + 1) * n // splits]                         # [n/splits, C]
        marginal = part.mean(dim=0, keepdim=True)                               # [1, C]
        kl = (torch.special.xlogy(part, part) - torch.special.xlogy(part, marginal)).sum(dim=1)  # [n/splits]
        scores.append(math.exp(float(kl.mean())))
    scores_np = np.array(scores)
    return InceptionScore(float(scores_np.mean()), float(scores_np.std()))


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

    ``features`` is as in :func:`fid` (default: the digits classifier's penultimate layer; pass
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
    f_real = _extract(features, real, batch_size, "real")
    f_fake = _extract(features, fake, batch_size, "fake")
    if f_real.shape[1] != f_fake.shape[1]:
        raise ValueError(f"features of real and fake differ in dimension: {f_real.shape[1]} vs {f_fake.shape[1]}")
    return f_real, f_fake


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
    1 and coverage 1. ``features`` is as in :func:`fid`; ``k`` must be smaller than the number of
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
