"""Metrics (chapter 8): how good, and how diverse, are a generator's images? Everything in float64.

The Fréchet distance, FID and intra-class FID, KID and the Inception Score; precision/recall and
density/coverage live in :mod:`gantext.neighbours` and are re-exported here.
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
from ._features import _check_features_and_samples, _extract_pair
from .neighbours import DensityCoverage, PrecisionRecall, density_coverage, precision_recall

__all__: list[str] = ["frechet_distance", "feature_statistics", "fid", "IntraClassFID", "intra_class_fid", "kid",
                     "InceptionScore", "inception_score",
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


class IntraClassFID(NamedTuple):
    """FID within each class (Miyato and Koyama, 2018), for class-conditional generators."""

    mean: float            # the mean of ``per_class`` over the classes present in both sets
    per_class: np.ndarray  # [n_classes] float64: class c's FID, NaN where a set has no sample of c


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
    f_real, f_fake = _extract_pair(features, real, fake, batch_size)           # [n, k], [m, k]
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
    x, y = _extract_pair(features, real, fake, batch_size)                     # [n, k], [m, k]
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


def _check_labels(labels, samples, name: str) -> torch.Tensor:
    """Integer class labels ``[n]``, one per sample, all >= 0."""
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"{name} must be an integer tensor of class labels [n], got {type(labels).__name__}")
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class labels, got dtype {labels.dtype}")
    if labels.dim() != 1 or labels.shape[0] != samples.shape[0]:
        raise ValueError(f"{name} must have shape [{samples.shape[0]}] (one label per sample), "
                         f"got {list(labels.shape)}")
    if labels.numel() and int(labels.min()) < 0:
        raise ValueError(f"{name} must be class indices >= 0, got {int(labels.min())}")
    return labels.detach().cpu().long()


def intra_class_fid(real, real_labels, fake, fake_labels, features: Callable | None = None, *,
                    batch_size: int = 500) -> IntraClassFID:
    r"""FID computed separately within each class, then averaged (chapters 7 and 8).

    For a class-conditional generator the question is not only whether the images look like the
    data, but whether the images drawn *for class c* look like the data *of class c*, in their
    variety as well as their typical look. Unconditional :func:`fid` pools the classes, so a
    generator that draws one good image per class can score well when the features separate
    the classes; intra-class FID (Miyato and Koyama, 2018) compares the per-class distributions:

    .. math:: \frac{1}{|C|} \sum_{c \in C} \mathrm{FID}\bigl(\{x_i : y_i = c\},
              \{\tilde x_j : \tilde y_j = c\}\bigr),

    over the classes :math:`C` that both sets contain. ``real_labels`` and ``fake_labels`` are
    integer tensors ``[n]`` and ``[m]`` (for generated samples, the labels they were drawn
    for). Each class needs at least 2 samples in each set. Features and conventions as in
    :func:`fid`: each per-class FID carries its own small-sample bias, of order 1/(samples
    in the class), so compare models only at equal per-class counts.
    """
    features = _check_features_and_samples(real, fake, features, batch_size)
    real_labels = _check_labels(real_labels, real, "real_labels")
    fake_labels = _check_labels(fake_labels, fake, "fake_labels")
    n_classes = int(max(real_labels.max(), fake_labels.max())) + 1
    counts = {name: torch.bincount(labels, minlength=n_classes)                # [n_classes] each
              for name, labels in (("real", real_labels), ("fake", fake_labels))}
    shared = [c for c in range(n_classes) if counts["real"][c] > 0 and counts["fake"][c] > 0]
    if not shared:
        raise ValueError("real_labels and fake_labels share no class: intra-class FID is undefined")
    for c in shared:
        for name, count in counts.items():
            if int(count[c]) < 2:
                raise ValueError(f"{name} holds {int(count[c])} sample of class {c}; each class "
                                 "present in both sets needs at least 2 per set to estimate a covariance")
    f_real, f_fake = _extract_pair(features, real, fake, batch_size)           # [n, k], [m, k]
    per_class = np.full(n_classes, np.nan)
    for c in shared:
        per_class[c] = frechet_distance(*feature_statistics(f_real[real_labels == c]),
                                        *feature_statistics(f_fake[fake_labels == c]))
    return IntraClassFID(float(np.nanmean(per_class)), per_class)


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
