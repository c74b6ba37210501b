"""gantext's image metrics against independent reference implementations, on fixed features.

References (test-only dependencies, pinned in requirements.lock):

- torch-fidelity's feature-level functions: ``fid_features_to_statistics`` and
  ``fid_statistics_to_metric`` (FID; the matrix square root from ``np.linalg.eigvals`` of the
  non-symmetric product Σ1Σ2, where gantext uses two symmetric eigendecompositions),
  ``kid_features_to_metric`` (KID, Bińkowski et al.'s code), ``isc_features_to_metric``
  (Inception Score from logits);
- scikit-learn's ``polynomial_kernel`` for KID on sets of unequal size, which torch-fidelity
  cannot evaluate without random subsets.

Every feature set is float64, drawn once from fixed seeds: a few hundred samples in 16 to 64
dimensions, with one case where the two sets share a distribution and one where they differ in
mean and covariance. All the metrics are deterministic functions of the features, so the only
admissible difference is rounding: each test states its tolerance and why.
"""

import numpy as np
import pytest
import torch
from sklearn.metrics.pairwise import polynomial_kernel
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric

import gantext as gt
from reference_features import CASES, feature_sets, identity


# =============================================================================================
# FID: torch-fidelity's statistics and Fréchet distance
# =============================================================================================

@pytest.mark.parametrize("dim, case", CASES)
def test_fid_matches_torch_fidelity(dim, case):
    real, fake = feature_sets(dim, case)
    stats_real, stats_fake = fid_features_to_statistics(real), fid_features_to_statistics(fake)
    reference = fid_statistics_to_metric(stats_real, stats_fake, verbose=False)["frechet_inception_distance"]
    # The statistics: the same NumPy mean and unbiased covariance on the same float64 numbers;
    # only summation order may differ, so agreement to a few units in the last place.
    mu, sigma = gt.feature_statistics(real)
    np.testing.assert_allclose(mu, stats_real["mu"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(sigma, stats_real["sigma"], rtol=1e-13, atol=1e-15)
    # The distance: float64 on both sides, but different algorithms for Tr (Σ1Σ2)^½ (general
    # eigenvalues of the product vs symmetric eigenvalues of Σ1^½ Σ2 Σ1^½). Their rounding errors
    # are about cond(Σ1Σ2)·eps·Tr Σ (~1e-13 relative here, covariances of condition < 10); a
    # relative tolerance of 1e-9 leaves four orders of margin and is a million times tighter
    # than any formula error (dropping the trace term or the factor 2 changes FID by O(1)).
    assert gt.fid(real, fake, features=identity) == pytest.approx(reference, rel=1e-9)
    assert gt.frechet_distance(stats_real["mu"], stats_real["sigma"],
                               stats_fake["mu"], stats_fake["sigma"]) == pytest.approx(reference, rel=1e-9)


# =============================================================================================
# KID: torch-fidelity's unbiased MMD² with the cubic polynomial kernel
# =============================================================================================

@pytest.mark.parametrize("dim, case", CASES)
def test_kid_matches_torch_fidelity_with_one_subset_of_all_samples(dim, case):
    # torch-fidelity averages the unbiased MMD² over `kid_subsets` random subsets of
    # `kid_subset_size` samples drawn without replacement from each set. With one subset holding
    # every sample, the draw is a permutation of each set, which leaves the estimate unchanged:
    # it is gantext's full-sample estimate. torch-fidelity needs equal set sizes for that.
    real, fake = feature_sets(dim, case, n_real=300, n_fake=300)
    reference = kid_features_to_metric(real, fake, kid_subsets=1, kid_subset_size=300, kid_kernel="poly",
                                       kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None,
                                       kid_kernel_poly_coef0=1, rng_seed=2020, verbose=False)
    assert reference["kernel_inception_distance_std"] == 0.0
    # Same kernel (degree 3, γ = 1/dim, c0 = 1, the paper's and both libraries' defaults), same
    # float64 sums in a different order: errors of order eps times the kernel sums (~1e-13 of the
    # kernel scale). KID is near 0 for equal distributions, hence the absolute floor 1e-12; the
    # biased estimator (keeping the diagonal) differs by 0.05 to 0.5 here and fails.
    value = gt.kid(real, fake, features=identity)
    assert value == pytest.approx(reference["kernel_inception_distance_mean"], rel=1e-9, abs=1e-12)
    if case == "same":
        assert abs(value) < 0.02        # unbiased: near 0, either sign
    else:
        assert value > 0.1


@pytest.mark.parametrize("degree, gamma, coef0", [(3, None, 1.0), (2, 0.5, 0.0), (4, 0.01, 2.0)])
def test_kid_on_sets_of_unequal_size_matches_scikit_learn_kernels(degree, gamma, coef0):
    # torch-fidelity cannot take sets of unequal size without random subsets, so this compares
    # with the U-statistic written out from scikit-learn's polynomial kernel (its own defaults,
    # γ = 1/dim and c0 = 1, are the paper's). Tolerance as above.
    real, fake = feature_sets(32, "different", n_real=300, n_fake=170)
    x, y = real.numpy(), fake.numpy()
    n, m = len(x), len(y)
    kw = dict(degree=degree, gamma=gamma, coef0=coef0)
    k_xx, k_yy, k_xy = polynomial_kernel(x, x, **kw), polynomial_kernel(y, y, **kw), polynomial_kernel(x, y, **kw)
    expected = ((k_xx.sum() - np.trace(k_xx)) / (n * (n - 1)) + (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
                - 2 * k_xy.mean())
    assert gt.kid(real, fake, features=identity, **kw) == pytest.approx(expected, rel=1e-9, abs=1e-12)


# =============================================================================================
# Inception Score: torch-fidelity's ISC from logits, without shuffling
# =============================================================================================

def classifier_outputs(n: int, classes: int = 10, seed: int = 0) -> torch.Tensor:
    """Fixed float64 logits ``[n, classes]``: some confident, some not, classes unevenly used."""
    g = torch.Generator().manual_seed(seed)
    confidence = torch.linspace(0.3, 6.0, n, dtype=torch.float64)[:, None]     # [n, 1]
    bias = torch.linspace(0.0, 1.5, classes, dtype=torch.float64)              # [C] uneven marginal
    return confidence * torch.randn(n, classes, generator=g, dtype=torch.float64) + bias


@pytest.mark.parametrize("n, splits", [(1000, 10), (1000, 1), (450, 5), (1003, 10), (457, 7)])
def test_inception_score_matches_torch_fidelity(n, splits):
    # torch-fidelity's `isc_features_to_metric` takes *logits* and softmaxes them in float64; by
    # default it shuffles the samples first (shuffle=True), so shuffle=False for the same parts.
    # Both then cut the samples at rows i·n//splits, as Salimans et al.'s original code does
    # (n = 1003 and 457 are not multiples of the splits, where other cuts give other parts), and
    # report the population (ddof 0) standard deviation over the parts.
    logits = classifier_outputs(n)
    reference = isc_features_to_metric(logits, splits=splits, shuffle=False)
    from_logits = gt.inception_score(logits=logits, splits=splits)
    from_probs = gt.inception_score(torch.softmax(logits, dim=1), splits=splits)
    # Both float64; they differ only in how the KL is formed (xlogy(p, p) − xlogy(p, p̄) vs
    # p·(log_softmax − log p̄)) and summed: relative errors ~1e-15, so 1e-10 leaves a wide margin.
    # exp H(p̄), the classic wrong formula, is off by a factor of 2 or more here and fails.
    for score in (from_logits, from_probs):
        assert score.mean == pytest.approx(reference["inception_score_mean"], rel=1e-10)
        assert score.std == pytest.approx(reference["inception_score_std"], rel=1e-8, abs=1e-12)


def test_inception_score_parts_are_cut_where_the_original_code_cuts_them():
    # The same split convention without a library: Salimans et al.'s code scores rows
    # i·n//splits to (i+1)·n//splits. For n = 103 and 10 splits these parts have 10 or 11 rows,
    # the 11-row parts being the 4th, 7th and 10th (torch.tensor_split would make them the first
    # three). Scores of the parts are independent of each other, so the exact parts must match.
    probs = torch.softmax(classifier_outputs(103), dim=1)
    parts = [gt.inception_score(probs[i * 103 // 10:(i + 1) * 103 // 10], splits=1).mean for i in range(10)]
    score = gt.inception_score(probs, splits=10)
    assert score.mean == pytest.approx(np.mean(parts), rel=1e-12)
    assert score.std == pytest.approx(np.std(parts), rel=1e-10)

def test_kid_rejects_bad_arguments():
    x = torch.randn(6, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="at least 2"):
        gt.kid(x, x[:1], features=identity)
    with pytest.raises(ValueError, match="degree"):
        gt.kid(x, x, features=identity, degree=0)
    with pytest.raises(ValueError, match="gamma"):
        gt.kid(x, x, features=identity, gamma=-1.0)
    with pytest.raises(ValueError, match="differ in dimension"):
        gt.kid(x, x[:, :2], features=identity)
