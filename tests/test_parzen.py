"""Tests for gantext.parzen (chapter 8) against SciPy's multivariate normal and log-sum-exp."""

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gantext.parzen import parzen_log_likelihood, parzen_log_prob


def test_parzen_with_one_kernel_is_a_gaussian_log_density():
    rng = np.random.default_rng(0)
    centre, x, sigma = rng.standard_normal((1, 7)), rng.standard_normal((20, 7)), 0.7
    expected = multivariate_normal(mean=centre[0], cov=sigma**2 * np.eye(7)).logpdf(x)
    np.testing.assert_allclose(parzen_log_prob(centre, x, sigma).numpy(), expected, rtol=1e-12)


def test_parzen_is_the_log_of_the_mean_of_gaussian_kernels():
    rng = np.random.default_rng(1)
    centres, x, sigma = rng.standard_normal((30, 3)), rng.standard_normal((15, 3)), 0.4
    per_kernel = np.stack([multivariate_normal(mean=c, cov=sigma**2 * np.eye(3)).logpdf(x) for c in centres])
    expected = logsumexp(per_kernel, axis=0) - math.log(30)
    np.testing.assert_allclose(parzen_log_prob(centres, x, sigma, batch_size=4).numpy(), expected, rtol=1e-12)


def test_parzen_is_finite_far_below_the_smallest_double_in_784_dimensions():
    # One kernel at 0, a point at distance 10 with sigma 0.05: the density is e^(-20000 - ...),
    # which underflows any float, while its logarithm is an ordinary number.
    d, sigma = 784, 0.05
    x = torch.zeros(1, d, dtype=torch.float64)
    x[0, 0] = 10.0
    expected = -100.0 / (2 * sigma**2) - d / 2 * math.log(2 * math.pi * sigma**2)
    assert float(parzen_log_prob(torch.zeros(1, d), x, sigma)) == pytest.approx(expected, rel=1e-12)


def test_parzen_log_likelihood_reports_mean_standard_error_and_sigma():
    samples, test = torch.randn(100, 2), torch.randn(40, 2)
    log_p = parzen_log_prob(samples, test, 0.3).numpy()
    result = parzen_log_likelihood(samples, test, sigma=0.3)
    assert result.mean == pytest.approx(log_p.mean(), rel=1e-12)
    assert result.stderr == pytest.approx(log_p.std(ddof=1) / math.sqrt(40), rel=1e-10)
    assert result.sigma == 0.3


def test_parzen_log_likelihood_chooses_sigma_on_the_validation_set():
    g = torch.Generator().manual_seed(4)
    samples, validation, test = (torch.randn(n, 3, generator=g) for n in (300, 200, 100))
    grid = [0.05, 0.1, 0.2, 0.4, 0.8, 1.6]
    best = max(grid, key=lambda s: float(parzen_log_prob(samples, validation, s).mean()))
    result = parzen_log_likelihood(samples, test, validation=validation, sigmas=grid)
    assert result.sigma == best
    assert result.mean == pytest.approx(float(parzen_log_prob(samples, test, best).mean()), rel=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "either sigma"),
    (dict(sigma=0.1, sigmas=[0.1]), "either sigma"),
    (dict(sigmas=[0.1]), "validation"),
    (dict(sigma=0.1, validation=torch.zeros(3, 2)), "validation is used only"),
    (dict(sigma=-1.0), "sigma must be a finite number > 0"),
    (dict(sigmas=[0.1, 0.0], validation=torch.zeros(3, 2)), "every entry of sigmas"),
])
def test_parzen_log_likelihood_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        parzen_log_likelihood(torch.zeros(5, 2), torch.zeros(4, 2), **kwargs)


def test_parzen_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match="dimension"):
        parzen_log_prob(torch.zeros(5, 2), torch.zeros(4, 3), 0.1)
    with pytest.raises(ValueError, match="test must have the samples' dimension"):
        parzen_log_likelihood(torch.zeros(5, 2), torch.zeros(4, 3), sigma=0.1)
    with pytest.raises(ValueError, match="validation must have the samples' dimension"):
        parzen_log_likelihood(torch.zeros(5, 2), torch.zeros(4, 2), validation=torch.zeros(3, 3), sigmas=[0.1, 1])
