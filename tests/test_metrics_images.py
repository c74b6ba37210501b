"""Tests for the image metrics of gantext.metrics (chapter 8): the Fréchet distance and FID, the
Inception Score and precision/recall.

References are closed forms or independent implementations: SciPy's general matrix square root
(``scipy.linalg.sqrtm``), SciPy's entropies and multivariate normal, scikit-learn's nearest
neighbours.
"""

import math

import numpy as np
import pytest
import scipy.linalg
import torch
from scipy.stats import entropy
from sklearn.datasets import load_digits
from sklearn.neighbors import NearestNeighbors

import gantext as gt
from gantext.classifier import digits_classifier
from gantext.metrics import feature_statistics, fid, frechet_distance, inception_score, precision_recall


def identity(x):
    return x


def random_covariance(k, rng, rank=None):
    a = rng.standard_normal((k, rank or k))
    return a @ a.T / (rank or k)


def scipy_frechet(mu1, s1, mu2, s2):
    """The textbook formula with a general matrix square root, as in the original FID code."""
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean.real))


@pytest.fixture(scope="module")
def digits():
    bunch = load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32)[:, None] / 8 - 1   # [1797, 1, 8, 8]
    return images, torch.tensor(bunch.target)


# =============================================================================================
# Fréchet distance
# =============================================================================================

def test_frechet_distance_of_identical_gaussians_is_zero():
    rng = np.random.default_rng(0)
    mu, sigma = rng.standard_normal(10), random_covariance(10, rng)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-10)


def test_frechet_distance_between_unit_gaussians_is_the_squared_mean_difference():
    mu = np.array([1.0, -2.0, 0.5])
    assert frechet_distance(np.zeros(3), np.eye(3), mu, np.eye(3)) == pytest.approx(float(mu @ mu), rel=1e-12)


def test_frechet_distance_of_diagonal_covariances_is_the_sum_of_squared_root_differences():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.1, 3, 6), rng.uniform(0.1, 3, 6)
    mu1, mu2 = rng.standard_normal(6), rng.standard_normal(6)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-12)


def test_frechet_distance_handles_singular_covariances_exactly():
    # Zero variances (a rank-deficient covariance, as with fewer samples than features): the
    # closed form sum (sqrt a - sqrt b)^2 still holds, and the symmetric form reproduces it.
    a, b = np.array([0.0, 0.0, 2.0, 1.0]), np.array([1.0, 0.0, 0.5, 0.0])
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(np.zeros(4), np.diag(a), np.zeros(4), np.diag(b)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("k", [2, 5, 30])
def test_frechet_distance_matches_scipy_sqrtm_on_random_covariances(k):
    rng = np.random.default_rng(k)
    mu1, mu2 = rng.standard_normal(k), rng.standard_normal(k)
    s1, s2 = random_covariance(k, rng), random_covariance(k, rng)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(scipy_frechet(mu1, s1, mu2, s2), rel=1e-8)


def test_frechet_distance_is_symmetric_and_rotation_invariant_and_accepts_tensors():
    rng = np.random.default_rng(3)
    mu1, mu2 = rng.standard_normal(8), rng.standard_normal(8)
    s1, s2 = random_covariance(8, rng, rank=3), random_covariance(8, rng)
    q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    d = frechet_distance(mu1, s1, mu2, s2)
    assert frechet_distance(mu2, s2, mu1, s1) == pytest.approx(d, rel=1e-9)
    assert frechet_distance(q @ mu1, q @ s1 @ q.T, q @ mu2, q @ s2 @ q.T) == pytest.approx(d, rel=1e-9)
    as_tensors = [torch.tensor(v, dtype=torch.float64) for v in (mu1, s1, mu2, s2)]
    assert frechet_distance(*as_tensors) == pytest.approx(d, rel=1e-12)


@pytest.mark.parametrize("args, message", [
    ((np.zeros(3), np.eye(3), np.zeros(2), np.eye(2)), "same dimension"),
    ((np.zeros(3), np.eye(2), np.zeros(3), np.eye(3)), "sigma1 must have shape"),
    ((np.zeros((3, 1)), np.eye(3), np.zeros(3), np.eye(3)), "mu1 must be a vector"),
    ((np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]), np.zeros(2), np.eye(2)), "symmetric"),
    ((np.zeros(2), np.eye(2), np.zeros(2), np.diag([1.0, -1.0])), "positive semi-definite"),
    ((np.array([np.nan, 0.0]), np.eye(2), np.zeros(2), np.eye(2)), "finite"),
])
def test_frechet_distance_rejects_bad_moments(args, message):
    with pytest.raises(ValueError, match=message):
        frechet_distance(*args)


def test_feature_statistics_are_the_float64_mean_and_unbiased_covariance():
    x = torch.randn(50, 4)
    mu, sigma = feature_statistics(x)
    assert mu.dtype == np.float64 and sigma.shape == (4, 4)
    np.testing.assert_allclose(mu, x.double().numpy().mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(x.double().numpy().T, ddof=1), rtol=1e-12)
    with pytest.raises(ValueError, match="at least 2 rows"):
        feature_statistics(torch.randn(1, 4))


# =============================================================================================
# FID
# =============================================================================================

def test_fid_with_identity_features_is_the_frechet_distance_of_the_sample_moments():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(300, 5, generator=g), 2 * torch.randn(200, 5, generator=g) + 1
    r, f = real.double().numpy(), fake.double().numpy()
    expected = scipy_frechet(r.mean(0), np.cov(r.T), f.mean(0), np.cov(f.T))
    assert fid(real, fake, features=identity) == pytest.approx(expected, rel=1e-8)


def test_fid_of_a_set_with_itself_is_zero_and_of_a_shifted_copy_is_the_squared_shift():
    x = torch.randn(200, 6)
    shift = torch.tensor([1.0, 0.0, -2.0, 0.5, 0.0, 3.0])
    assert fid(x, x, features=identity) == pytest.approx(0.0, abs=1e-9)
    expected = float((shift.double() ** 2).sum())
    assert fid(x, x + shift, features=identity) == pytest.approx(expected, rel=1e-5)


def test_fid_applies_the_given_feature_map_to_images():
    images = torch.rand(100, 1, 8, 8) * 2 - 1
    other = torch.rand(120, 1, 8, 8) * 2 - 1
    pixels = fid(images, other, features=lambda x: x.flatten(1))
    stats = [feature_statistics(t.flatten(1)) for t in (images, other)]
    assert pixels == pytest.approx(frechet_distance(*stats[0], *stats[1]), rel=1e-12)


def test_fid_does_not_depend_on_the_batch_size():
    real, fake = torch.randn(103, 4), torch.randn(97, 4) * 1.5
    assert fid(real, fake, features=identity, batch_size=10) == pytest.approx(
        fid(real, fake, features=identity, batch_size=1000), rel=1e-12)


def test_fid_warns_when_samples_do_not_exceed_the_feature_dimension():
    with pytest.warns(UserWarning, match="singular"):
        value = fid(torch.randn(8, 10), torch.randn(50, 10), features=identity)
    assert math.isfinite(value)


def test_fid_defaults_to_the_digits_classifier_features(digits):
    images, _ = digits
    clf = digits_classifier()
    a, b = images[:300], images[300:700]
    assert fid(a, b) == pytest.approx(fid(a, b, features=clf.features), rel=1e-12)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(features=3), TypeError, "features must be a callable"),
    (dict(features=identity, batch_size=0), ValueError, "batch_size"),
    (dict(features=lambda x: x.sum(1)), ValueError, r"shape \[n, k\]"),
])
def test_fid_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        fid(torch.randn(20, 3), torch.randn(20, 3), **kwargs)


def test_fid_rejects_non_tensors_and_mismatched_features():
    with pytest.raises(TypeError, match="real must be a torch tensor"):
        fid(np.zeros((20, 3)), torch.randn(20, 3), features=identity)
    with pytest.raises(ValueError, match="differ in dimension"):
        fid(torch.randn(20, 3), torch.randn(20, 4), features=identity)
    with pytest.raises(ValueError, match="at least 2 samples"):
        fid(torch.randn(1, 3), torch.randn(20, 3), features=identity)


# =============================================================================================
# Inception Score
# =============================================================================================

def test_inception_score_of_uniform_predictions_is_one():
    score = inception_score(torch.full((100, 10), 0.1), splits=1)
    assert score.mean == pytest.approx(1.0, abs=1e-12)
    assert score.std == 0.0


@pytest.mark.parametrize("classes", [2, 10])
def test_inception_score_of_confident_uniformly_spread_predictions_is_the_number_of_classes(classes):
    probs = torch.eye(classes).repeat(7, 1)                                     # one-hot, each class 7 times
    assert inception_score(probs, splits=1).mean == pytest.approx(classes, rel=1e-12)


def test_inception_score_of_one_confident_class_is_one():
    probs = torch.zeros(50, 10)
    probs[:, 3] = 1
    assert inception_score(probs, splits=1).mean == pytest.approx(1.0, abs=1e-12)


def test_inception_score_matches_scipy_kl_and_the_mutual_information_identity():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(10, 0.3), size=200)                          # [200, 10]
    marginal = probs.mean(0)
    kl = np.mean([entropy(p, marginal) for p in probs])                         # SciPy's KL
    mutual_information = entropy(marginal) - np.mean([entropy(p) for p in probs])
    score = inception_score(probs, splits=1).mean
    assert score == pytest.approx(math.exp(kl), rel=1e-10)
    assert score == pytest.approx(math.exp(mutual_information), rel=1e-10)


def test_inception_score_from_logits_equals_that_from_softmax_probabilities():
    logits = torch.randn(120, 10) * 3
    from_logits = inception_score(logits=logits, splits=4)
    from_probs = inception_score(torch.softmax(logits.double(), 1), splits=4)
    assert from_logits.mean == pytest.approx(from_probs.mean, rel=1e-10)
    assert from_logits.std == pytest.approx(from_probs.std, rel=1e-8)


def test_inception_score_splits_are_consecutive_parts_with_population_std():
    rng = np.random.default_rng(2)
    parts = [rng.dirichlet(np.full(5, a), size=40) for a in (0.1, 1.0, 10.0)]
    separate = [inception_score(p, splits=1).mean for p in parts]
    joint = inception_score(np.concatenate(parts), splits=3)
    assert joint.mean == pytest.approx(np.mean(separate), rel=1e-12)
    assert joint.std == pytest.approx(np.std(separate), rel=1e-10)


@pytest.mark.parametrize("args, kwargs, message", [
    ((), {}, "exactly one"),
    ((torch.full((4, 2), 0.5),), dict(logits=torch.zeros(4, 2)), "exactly one"),
    ((torch.full((4, 2), 0.4),), {}, "summing to 1"),
    ((torch.tensor([[1.5, -0.5], [0.5, 0.5]]),), {}, "non-negative"),
    ((torch.full((4, 2), 0.5),), dict(splits=5), "splits"),
    ((torch.full((4, 2), 0.5),), dict(splits=0), "splits"),
    ((torch.full((4, 2, 1), 0.5),), {}, r"shape \[n, C\]"),
])
def test_inception_score_rejects_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        inception_score(*args, **kwargs)


# =============================================================================================
# Precision and recall
# =============================================================================================

def test_precision_and_recall_of_identical_sets_are_one():
    x = torch.randn(200, 5)
    assert tuple(precision_recall(x, x.clone(), features=identity)) == (1.0, 1.0)


def test_precision_and_recall_of_far_apart_sets_are_zero():
    x = torch.randn(200, 5)
    assert tuple(precision_recall(x, x + 100, features=identity)) == (0.0, 0.0)


def test_precision_and_recall_on_a_hand_computed_example():
    # real 0, 1, 2, 3 on a line with k = 1: every radius is 1, so of the fakes 0.5 and 10 only
    # 0.5 is realistic (precision 1/2). Each fake's radius is its distance to the other, 9.5,
    # which covers every real point (recall 1).
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
    fake = torch.tensor([[0.5], [10.0]])
    assert tuple(precision_recall(real, fake, features=identity, k=1)) == (0.5, 1.0)


def test_a_subset_of_the_real_data_has_full_precision():
    x = torch.randn(300, 4)
    assert precision_recall(x, x[:40], features=identity).precision == 1.0


@pytest.mark.parametrize("k", [1, 3, 10])
def test_precision_and_recall_match_a_scikit_learn_reference(k):
    g = torch.Generator().manual_seed(k)
    real = torch.randn(250, 6, generator=g)
    fake = 1.3 * torch.randn(180, 6, generator=g) + 0.4
    result = precision_recall(real, fake, features=identity, k=k, batch_size=64)

    def manifold(points):
        distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
        return points, distances[:, k]                                          # column 0 is the point itself

    def inside(queries, centres, radii):
        d = np.linalg.norm(queries[:, None, :] - centres[None, :, :], axis=2)
        return float(np.mean((d <= radii[None, :]).any(axis=1)))

    r, f = real.double().numpy(), fake.double().numpy()
    assert result.precision == pytest.approx(inside(f, *manifold(r)), abs=1e-12)
    assert result.recall == pytest.approx(inside(r, *manifold(f)), abs=1e-12)


def test_precision_recall_rejects_bad_k():
    x = torch.randn(5, 2)
    with pytest.raises(ValueError, match="smaller than both set sizes"):
        precision_recall(x, torch.randn(20, 2), features=identity, k=5)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        precision_recall(x, x, features=identity, k=0)
