"""Tests of gantext.theory against closed forms, SciPy quadrature and independent Monte Carlo."""

import math

import numpy as np
import pytest
import scipy.stats as st
import torch
from scipy.integrate import quad

import gantext as gt
from gantext import theory


def _seeded(n: int) -> torch.Generator:
    return torch.Generator().manual_seed(n)


# --------------------------------------------------------------------------------------------
# Wasserstein-1
# --------------------------------------------------------------------------------------------

def test_wasserstein1_equal_width_gaussians_is_the_shift():
    # Two Gaussians of the same width differ by a translation, so W1 is the shift exactly.
    w = theory.wasserstein1(gt.Gaussian1D(-0.7, 0.4), gt.Gaussian1D(1.8, 0.4))
    assert w == pytest.approx(2.5, abs=1e-10)
    assert w.method == "quadrature" and w.stderr == 0.0


def test_wasserstein1_matches_the_quantile_formula():
    # W1 = ∫_0^1 |F_p^{-1}(u) - F_q^{-1}(u)| du, computed independently from SciPy's ppf.
    p, q = gt.Gaussian1D(0.0, 1.0), gt.Gaussian1D(0.3, 2.0)
    reference, _ = quad(lambda u: abs(st.norm.ppf(u, 0.0, 1.0) - st.norm.ppf(u, 0.3, 2.0)), 0, 1,
                        limit=400, epsabs=1e-13)
    assert theory.wasserstein1(p, q) == pytest.approx(reference, abs=1e-8)


def test_wasserstein1_of_mixtures_matches_scipy_cdf_quadrature():
    p = gt.GaussianMixture([-2.0, 2.0], [0.3, 0.5], [0.3, 0.7])
    q = gt.GaussianMixture([0.0, 5.0], [1.0, 0.2], [0.6, 0.4])
    cdf_p = lambda x: 0.3 * st.norm.cdf(x, -2, 0.3) + 0.7 * st.norm.cdf(x, 2, 0.5)
    cdf_q = lambda x: 0.6 * st.norm.cdf(x, 0, 1.0) + 0.4 * st.norm.cdf(x, 5, 0.2)
    reference, _ = quad(lambda x: abs(cdf_p(x) - cdf_q(x)), -15, 15, points=[-2, 0, 2, 5],
                        limit=500, epsabs=1e-12)
    assert theory.wasserstein1(p, q) == pytest.approx(reference, abs=1e-8)
    assert theory.wasserstein1(q, p) == pytest.approx(reference, abs=1e-8)  # symmetric


def test_wasserstein1_of_samples_matches_scipy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=700), rng.exponential(size=300)        # unequal sizes
    assert theory.wasserstein1(x, y) == pytest.approx(st.wasserstein_distance(x, y), rel=1e-12)
    x2, y2 = rng.normal(size=500), rng.normal(1.0, 2.0, size=500)  # equal sizes: sorted pairs
    w = theory.wasserstein1(torch.as_tensor(x2)[:, None], torch.as_tensor(y2))
    assert w == pytest.approx(st.wasserstein_distance(x2, y2), rel=1e-12)
    assert w.method == "sorted samples"


def test_wasserstein1_samples_converge_to_the_exact_distance():
    p = gt.GaussianMixture([-2.0, 2.0], [0.3, 0.5], [0.3, 0.7])
    q = gt.Gaussian1D(0.0, 1.0)
    n = 200_000
    w_samples = theory.wasserstein1(p.sample(n, generator=_seeded(0)), q.sample(n, generator=_seeded(1)))
    # The empirical W1 fluctuates by O(1/sqrt(n)) ≈ 0.002 around the exact value.
    assert w_samples == pytest.approx(theory.wasserstein1(p, q), abs=0.01)


def test_wasserstein1_rejects_bad_input():
    with pytest.raises(ValueError, match="same dimension"):
        theory.wasserstein1(gt.Gaussian1D(), gt.ring())
    with pytest.raises(ValueError, match="1-D Gaussian mixtures"):
        theory.wasserstein1(gt.ring(), gt.ring(radius=2.0))
    with pytest.raises(ValueError, match="shape"):
        theory.wasserstein1(np.zeros((5, 2)), np.zeros(5))
    with pytest.raises(ValueError, match="non-empty"):
        theory.wasserstein1(np.zeros(0), np.zeros(5))
    with pytest.raises(TypeError, match="Distribution"):
        theory.wasserstein1(gt.Gaussian1D(), np.zeros(5))
