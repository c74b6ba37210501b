import math

import numpy as np
import pytest
import torch
from scipy import stats

import gantext as gt


def test_gaussian1d_log_prob_matches_scipy():
    p = gt.Gaussian1D(mean=1.5, std=0.7)
    x = torch.linspace(-5, 8, 101, dtype=torch.float64)
    expected = stats.norm(1.5, 0.7).logpdf(x.numpy())
    np.testing.assert_allclose(p.log_prob(x).numpy(), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(p.log_prob(x[:, None]).numpy(), expected, rtol=1e-12, atol=1e-12)


def test_far_tails_stay_finite():
    """log_prob is computed in log space: no -inf where the density underflows float64."""
    p = gt.Gaussian1D(0.0, 0.01)
    assert p.prob(torch.tensor([50.0])).item() == 0.0
    assert p.log_prob(torch.tensor([50.0])).item() == pytest.approx(stats.norm(0, 0.01).logpdf(50.0), rel=1e-12)


def test_mixture_log_prob_matches_scipy_in_2d():
    means = [[0.0, 0.0], [2.0, -1.0], [-1.0, 3.0]]
    stds = [0.5, 1.0, 0.3]
    weights = [0.2, 0.5, 0.3]
    p = gt.GaussianMixture(means, stds, weights)
    x = torch.randn(50, 2, dtype=torch.float64) * 2
    expected = np.log(sum(w * stats.multivariate_normal(m, s**2 * np.eye(2)).pdf(x.numpy())
                          for m, s, w in zip(means, stds, weights)))
    np.testing.assert_allclose(p.log_prob(x).numpy(), expected, rtol=1e-10)


def test_mixture_sampling_moments():
    """Mean and variance of a 1-D mixture's samples match the closed forms (5 standard errors)."""
    p = gt.GaussianMixture([-2.0, 1.0, 4.0], [0.5, 1.0, 0.2], [0.3, 0.5, 0.2])
    x = p.sample(200_000, generator=torch.Generator().manual_seed(1)).double().squeeze(1)
    w, m, s = p.weights, p.means.squeeze(1), p.stds
    mean = (w * m).sum()
    var = (w * (s**2 + m**2)).sum() - mean**2
    assert x.mean().item() == pytest.approx(mean.item(), abs=5 * math.sqrt(var.item() / len(x)))
    assert x.var().item() == pytest.approx(var.item(), rel=0.02)


def test_sample_shape_dtype_and_reproducibility():
    p = gt.ring()
    a = p.sample(10, generator=torch.Generator().manual_seed(3))
    b = p.sample(10, generator=torch.Generator().manual_seed(3))
    assert a.shape == (10, 2) and a.dtype == torch.float32
    assert torch.equal(a, b)
    assert p.sample(0).shape == (0, 2)


def test_ring_follows_the_protocol():
    """8 distinct modes at angles 2πk/8 on the unit circle (not linspace(0, 2π, 8))."""
    r = gt.ring()
    assert r.n_modes == 8 and r.dim == 2
    np.testing.assert_allclose(r.means.norm(dim=1).numpy(), 1.0, rtol=1e-12)
    angles = np.sort(np.mod(np.arctan2(r.means[:, 1].numpy(), r.means[:, 0].numpy()), 2 * np.pi))
    np.testing.assert_allclose(angles, 2 * np.pi * np.arange(8) / 8, atol=1e-12)
    assert torch.all(r.stds == 0.01) and torch.allclose(r.weights, torch.full((8,), 1 / 8, dtype=torch.float64))


def test_grid_follows_the_protocol():
    g = gt.grid()
    expected = {(i, j) for i in (-4, -2, 0, 2, 4) for j in (-4, -2, 0, 2, 4)}
    assert {tuple(m) for m in g.means.round().int().tolist()} == expected
    assert torch.all(g.stds == 0.05)


@pytest.mark.parametrize("make, message", [
    (lambda: gt.Gaussian1D(0.0, 0.0), "std must be"),
    (lambda: gt.Gaussian1D(0.0, -1.0), "std must be"),
    (lambda: gt.Gaussian1D(float("nan"), 1.0), "mean must be"),
    (lambda: gt.GaussianMixture([0.0, 1.0], [1.0, 0.0]), "stds must be finite and > 0"),
    (lambda: gt.GaussianMixture([0.0, 1.0], 1.0, [0.5, 0.6]), "weights must sum to 1"),
    (lambda: gt.GaussianMixture([0.0, 1.0], 1.0, [1.5, -0.5]), "weights must be finite and >= 0"),
    (lambda: gt.GaussianMixture([0.0, 1.0], 1.0, [1.0]), "one entry per component"),
    (lambda: gt.GaussianMixture([0.0, 1.0], [1.0, 1.0, 1.0]), "stds must be one number or one per component"),
    (lambda: gt.GaussianMixture([], 1.0), "means must have shape"),
    (lambda: gt.ring(0), "n_modes must be a positive integer"),
    (lambda: gt.ring(8, radius=0), "radius must be > 0"),
    (lambda: gt.grid(0), "side must be a positive integer"),
])
def test_invalid_parameters_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("n", [-1, 2.5, True])
def test_invalid_sample_size_raises(n):
    with pytest.raises(ValueError, match="n must be a non-negative integer"):
        gt.ring().sample(n)


def test_wrong_shape_for_log_prob_raises():
    with pytest.raises(ValueError, match=r"x must have shape \[n, 2\]"):
        gt.ring().log_prob(torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"x must have shape \[n, 2\]"):
        gt.ring().log_prob(torch.zeros(5))
    with pytest.raises(ValueError, match=r"\[n, 1\] or \[n\]"):
        gt.Gaussian1D().log_prob(torch.zeros(2, 2, 2))
