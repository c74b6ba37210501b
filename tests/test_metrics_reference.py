"""gantext's image metrics against independent reference implementations, on fixed features.

References (test-only dependencies, pinned in requirements.lock):

- torch-fidelity's feature-level functions: ``fid_features_to_statistics`` and
  ``fid_statistics_to_metric`` (FID; the matrix square root from ``np.linalg.eigvals`` of the
  non-symmetric product Σ1Σ2, where gantext uses two symmetric eigendecompositions),
  ``kid_features_to_metric`` (KID, Bińkowski et al.'s code), ``isc_features_to_metric``
  (Inception Score from logits) and ``prc_features_to_metric`` (Kynkäänniemi et al.'s precision
  and recall);
- ``prdc`` (Naeem et al.'s own code) for precision, recall, density and coverage;
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
from prdc import compute_prdc
from sklearn.metrics.pairwise import polynomial_kernel
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_isc import isc_features_to_metric
from torch_fidelity.metric_kid import kid_features_to_metric
from torch_fidelity.metric_prc import prc_features_to_metric

import gantext as gt


def identity(x):
    return x


def feature_sets(dim: int, case: str, n_real: int = 300, n_fake: int = 250, seed: int = 0):
    """Fixed float64 features ``[n_real, dim]``, ``[n_fake, dim]``: the same distribution
    (``"same"``) or a shifted, anisotropic, correlated one (``"different"``)."""
    rng = np.random.default_rng(seed + dim)
    real = rng.standard_normal((n_real, dim))
    fake = rng.standard_normal((n_fake, dim))
    if case == "different":
        mixing = np.eye(dim) + rng.standard_normal((dim, dim)) / np.sqrt(dim)  # covariance (1.3 M)(1.3 M)ᵀ
        fake = 1.3 * fake @ mixing.T + rng.uniform(-0.3, 0.5, size=dim)
    return torch.from_numpy(real), torch.from_numpy(fake)


CASES = [(16, "same"), (16, "different"), (64, "same"), (64, "different")]


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

# =============================================================================================
# Precision, recall, density and coverage: prdc and torch-fidelity
# =============================================================================================

def assert_no_near_ties(points: np.ndarray, queries: np.ndarray, k: int):
    """No query lies within 1e-9 (relative) of the boundary of any k-NN ball of ``points``, so
    implementations that round distances differently (scikit-learn's and torch's Euclidean
    distances both use the ‖a‖² + ‖b‖² − 2a·b form, in their own order) must agree exactly."""
    within = np.linalg.norm(points[:, None] - points[None], axis=2)           # [n, n]
    radii = np.sort(within, axis=1)[:, k]                                       # [n] (column 0: itself)
    gaps = np.abs(np.linalg.norm(queries[:, None] - points[None], axis=2) - radii) / radii  # [m, n]
    assert gaps.min() > 1e-9


@pytest.mark.parametrize("dim, case", CASES)
@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_density_coverage_match_prdc_and_torch_fidelity(dim, case, k):
    real, fake = feature_sets(dim, case)
    r, f = real.numpy(), fake.numpy()
    assert_no_near_ties(r, f, k)
    assert_no_near_ties(f, r, k)
    # prdc: nearest_k = k means the k-th nearest *other* point (its kth-value of k + 1 includes
    # the point itself at distance 0), the same radius as gantext's and torch-fidelity's.
    reference = compute_prdc(r, f, nearest_k=k)
    # torch-fidelity's convention is the other way round: features_1 generated, features_2 real.
    fidelity = prc_features_to_metric(fake, real, prc_neighborhood=k, prc_batch_size=10000,
                                      save_cpu_ram=False, verbose=False)
    pr = gt.precision_recall(real, fake, features=identity, k=k)
    dc = gt.density_coverage(real, fake, features=identity, k=k)
    n, m = len(r), len(f)
    # Fractions of points: compared as exact counts. torch-fidelity averages in float32, hence the
    # rounding of its fractions to counts before comparing.
    assert round(pr.precision * m) == round(reference["precision"] * m) == round(fidelity["precision"] * m)
    assert round(pr.recall * n) == round(reference["recall"] * n) == round(fidelity["recall"] * n)
    assert pr.precision == reference["precision"] and pr.recall == reference["recall"]
    assert round(dc.coverage * n) == round(reference["coverage"] * n)
    assert dc.coverage == reference["coverage"]
    # Density is a count of (generated sample, real ball) memberships over k·M: compared as the
    # exact integer count (the two divide in different orders, so the floats can differ by 1 ulp).
    assert round(dc.density * k * m) == round(reference["density"] * k * m)
    assert dc.density == pytest.approx(reference["density"], rel=1e-14)


def test_density_and_coverage_of_the_real_set_itself_are_one_as_in_prdc():
    # A generator that returns the real features: every real ball holds the copy of its centre
    # and of the k − 1 neighbours strictly inside it, k memberships per ball, so density is
    # exactly kN / (kN) = 1 with prdc's strict `<`; a closed ball (`<=`) would also count the
    # k-th neighbour on the boundary and give (k + 1)/k.
    real, _ = feature_sets(16, "same", n_real=200)
    for k in (1, 5):
        reference = compute_prdc(real.numpy(), real.numpy(), nearest_k=k)
        result = gt.density_coverage(real, real.clone(), features=identity, k=k)
        assert tuple(result) == (1.0, 1.0)
        assert reference["density"] == 1.0 and reference["coverage"] == 1.0


def test_ball_boundary_convention_precision_recall_closed_density_coverage_open():
    # Where a point lies exactly on a ball's boundary the libraries differ by design:
    # Kynkäänniemi et al.'s code, torch-fidelity and gantext.precision_recall count it inside
    # (distance <= radius); prdc counts it outside (distance < radius) for all four metrics, and
    # gantext.density_coverage follows prdc. Points on a line, k = 1: every real radius is 1 and
    # the fake point 4 lies at distance exactly 1 from the real point 3 (the others far away;
    # prdc needs k + 2 points in each set).
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0]], dtype=torch.float64)
    fake = torch.tensor([[4.0], [10.0], [11.0], [12.0]], dtype=torch.float64)
    fidelity = prc_features_to_metric(fake, real, prc_neighborhood=1, save_cpu_ram=False, verbose=False)
    reference = compute_prdc(real.numpy(), fake.numpy(), nearest_k=1)
    assert gt.precision_recall(real, fake, features=identity, k=1).precision == 0.25 == fidelity["precision"]
    assert reference["precision"] == 0.0
    assert tuple(gt.density_coverage(real, fake, features=identity, k=1)) == (0.0, 0.0)
    assert (reference["density"], reference["coverage"]) == (0.0, 0.0)


def test_density_coverage_rejects_bad_arguments():
    x = torch.randn(6, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="k must be smaller"):
        gt.density_coverage(x, x, features=identity, k=6)
    with pytest.raises(ValueError, match="an integer >= 1"):
        gt.density_coverage(x, x, features=identity, k=0)
    with pytest.raises(ValueError, match="differ in dimension"):
        gt.density_coverage(x, x[:, :2], features=identity)


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
