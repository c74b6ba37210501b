"""Tests of gantext.theory.divergences against closed forms, SciPy quadrature and independent Monte Carlo."""

import math

import numpy as np
import pytest
import scipy.stats as st
import torch
from scipy import special
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


def test_quadrature_is_accurate_to_float64_rounding():
    # What Estimate's docstring states: against closed forms, every quadrature agrees to ~1e-14.
    rng = np.random.default_rng(0)
    for m1, m2, s, s2 in zip(*rng.uniform(-5, 5, (2, 20)), *rng.uniform(0.05, 3, (2, 20))):
        p, q = gt.Gaussian1D(m1, s), gt.Gaussian1D(m2, s)
        assert theory.wasserstein1(p, q) == pytest.approx(abs(m1 - m2), abs=1e-13)
        assert theory.total_variation(p, q) == pytest.approx(2 * st.norm.cdf(abs(m1 - m2) / (2 * s)) - 1, abs=1e-13)
        as_mixtures = gt.GaussianMixture([m1, m1], s), gt.GaussianMixture([m2, m2], s2)  # no closed form used
        closed = theory.kl_divergence(p, gt.Gaussian1D(m2, s2))
        assert theory.kl_divergence(*as_mixtures) == pytest.approx(closed, rel=1e-13, abs=1e-13)


# --------------------------------------------------------------------------------------------
# The optimal discriminator and the value function
# --------------------------------------------------------------------------------------------

def test_optimal_discriminator_is_the_density_ratio():
    p, q = gt.GaussianMixture([-1.0, 2.0], [0.5, 0.8], [0.4, 0.6]), gt.Gaussian1D(0.5, 1.5)
    x = np.linspace(-4, 5, 101)
    pd = 0.4 * st.norm.pdf(x, -1, 0.5) + 0.6 * st.norm.pdf(x, 2, 0.8)
    pg = st.norm.pdf(x, 0.5, 1.5)
    np.testing.assert_allclose(theory.optimal_discriminator(p, q, x), pd / (pd + pg), rtol=1e-12)
    np.testing.assert_allclose(theory.optimal_logit(p, q, torch.as_tensor(x)[:, None]),
                               np.log(pd) - np.log(pg), rtol=1e-10, atol=1e-12)


def test_optimal_discriminator_has_no_0_over_0_where_both_densities_underflow():
    # At x = ±60 both densities are below 1e-300 in float64 (exp underflows to 0), yet the ratio
    # is well defined: the log-ratio of N(0, 0.1²) to N(1, 0.1²) is 50·(1 - 2x).
    p, q = gt.Gaussian1D(0.0, 0.1), gt.Gaussian1D(1.0, 0.1)
    x = np.array([-60.0, 60.0, 0.5, 0.51])
    assert np.all(p.prob(torch.as_tensor(x[:2])).numpy() == 0.0)
    expected = special.expit(50.0 * (1.0 - 2.0 * x))
    np.testing.assert_allclose(theory.optimal_discriminator(p, q, x), expected, rtol=1e-12, atol=0)
    assert theory.optimal_discriminator(p, q, x)[2] == 0.5


def test_optimal_discriminator_in_two_dimensions():
    ring, shifted = gt.ring(), gt.ring(radius=1.1, std=0.05)
    x = ring.sample(50, generator=_seeded(0)).double()
    ratio = ring.log_prob(x) - shifted.log_prob(x)
    np.testing.assert_allclose(theory.optimal_discriminator(ring, shifted, x), torch.sigmoid(ratio).numpy(), rtol=1e-12)


def test_value_at_the_optimal_discriminator_is_theorem_1():
    # V(D*, G) = -log 4 + 2 JSD; at p_g = p_data it is exactly -log 4.
    p, q = gt.GaussianMixture([-2.0, 2.0], [0.3, 0.5], [0.3, 0.7]), gt.Gaussian1D(1.0, 1.0)
    logit = lambda x: theory.optimal_logit(p, q, x)
    v = theory.value(logit, p, q, logits=True)
    assert v == pytest.approx(-math.log(4) + 2 * theory.jensen_shannon(p, q), abs=1e-9)
    assert theory.value(lambda x: theory.optimal_logit(p, p, x), p, p, logits=True) == pytest.approx(-math.log(4), abs=1e-12)
    # The same expectation by SciPy quadrature of the textbook formula with probabilities.
    pd = lambda x: 0.3 * st.norm.pdf(x, -2, 0.3) + 0.7 * st.norm.pdf(x, 2, 0.5)
    pg = lambda x: st.norm.pdf(x, 1, 1)
    ref = sum(quad(lambda x: pd(x) * math.log(pd(x) / (pd(x) + pg(x))), a, b, limit=200)[0]
              + quad(lambda x: pg(x) * math.log(pg(x) / (pd(x) + pg(x))), a, b, limit=200)[0]
              for a, b in [(-8, -2), (-2, 2), (2, 8)])
    assert v == pytest.approx(ref, abs=1e-8)


def test_value_of_optimal_discriminator_probabilities_is_finite_and_exact():
    # The natural call with D* as probabilities: D* rounds to exactly 1 in the tails (the narrower
    # p_g falls off faster), where p_g > 0. The value must still be the finite C(G), computed here
    # independently by SciPy quadrature of the closed form p log(p/(p+q)) + q log(q/(p+q)).
    p, q = gt.Gaussian1D(0.0, 1.0), gt.Gaussian1D(1.5, 0.5)
    x_tail = np.array([-9.0, 12.0])
    assert np.all(theory.optimal_discriminator(p, q, x_tail) == 1.0)       # the rounding happens
    lp = lambda x: st.norm.logpdf(x, 0, 1)
    lq = lambda x: st.norm.logpdf(x, 1.5, 0.5)
    term = lambda x: (math.exp(lp(x)) * -np.logaddexp(0, lq(x) - lp(x))
                      + math.exp(lq(x)) * -np.logaddexp(0, lp(x) - lq(x)))
    ref = sum(quad(term, a, b, limit=200, epsabs=1e-13, epsrel=1e-12)[0]
              for a, b in [(-30, -2), (-2, 0.5), (0.5, 1.5), (1.5, 2.5), (2.5, 30)])
    assert ref == pytest.approx(-0.68391, abs=1e-5)
    v = theory.value(lambda x: theory.optimal_discriminator(p, q, x), p, q)
    assert math.isfinite(v) and v == pytest.approx(ref, abs=1e-9)
    assert theory.value(lambda x: theory.optimal_logit(p, q, x), p, q, logits=True) == pytest.approx(ref, abs=1e-9)
    # A probability of exactly 0 where p_data > 0 is read as the smallest subnormal: finite too.
    v0 = theory.value(lambda x: np.zeros(x.shape[0]), p, q)
    assert v0 == pytest.approx(-1074 * math.log(2), rel=1e-12)


def test_value_of_a_constant_discriminator():
    # D ≡ c gives V = log c + log(1 - c) whatever the distributions.
    p, q = gt.Gaussian1D(0.0, 1.0), gt.GaussianMixture([-3.0, 3.0], 0.5)
    c = 0.3
    v = theory.value(lambda x: torch.full((x.shape[0],), c, dtype=torch.float64), p, q)
    assert v == pytest.approx(math.log(c) + math.log(1 - c), abs=1e-12)


def test_value_by_monte_carlo_matches_quadrature_within_its_standard_error():
    p, q = gt.GaussianMixture([-2.0, 2.0], [0.3, 0.5], [0.3, 0.7]), gt.Gaussian1D(1.0, 1.0)
    logit = lambda x: theory.optimal_logit(p, q, x)
    exact = theory.value(logit, p, q, logits=True)
    mc = theory.value(logit, p, q, logits=True, n_samples=20_000, generator=_seeded(3))
    assert mc.method == "monte carlo" and 0 < mc.stderr < 0.02
    assert abs(mc - exact) < 4 * mc.stderr


def test_value_accepts_a_module_returning_logits():
    D = torch.nn.Linear(1, 1)
    with torch.no_grad():
        D.weight.fill_(2.0)
        D.bias.fill_(-1.0)
    p, q = gt.Gaussian1D(1.0, 0.5), gt.Gaussian1D(-1.0, 0.5)
    # V for D(x) = σ(2x - 1) by SciPy quadrature.
    f = lambda x: st.norm.pdf(x, 1, 0.5) * -np.logaddexp(0, -(2 * x - 1)) + st.norm.pdf(x, -1, 0.5) * -np.logaddexp(0, 2 * x - 1)
    ref, _ = quad(f, -10, 10, limit=200)
    # float32 module: agreement to float32 rounding
    assert theory.value(D, p, q, logits=True) == pytest.approx(ref, abs=1e-6)


def test_value_rejects_bad_input():
    p, q = gt.Gaussian1D(), gt.Gaussian1D(1.0)
    with pytest.raises(ValueError, match="logits=True"):
        theory.value(lambda x: torch.full((x.shape[0],), 3.0), p, q)
    with pytest.raises(ValueError, match="one number per input row"):
        theory.value(lambda x: torch.zeros(3), p, q)
    with pytest.raises(ValueError, match="n_samples=N"):
        theory.value(lambda x: torch.zeros(x.shape[0]), gt.ring(), gt.ring(), logits=True)
    with pytest.raises(TypeError, match="callable"):
        theory.value(0.5, p, q)
    with pytest.raises(ValueError, match="n_samples"):
        theory.value(lambda x: torch.zeros(x.shape[0]), p, q, logits=True, n_samples=1)
    with pytest.raises(ValueError, match="shape"):
        theory.optimal_discriminator(gt.ring(), gt.ring(), np.zeros((4, 3)))


# --------------------------------------------------------------------------------------------
# KL, Jensen–Shannon, total variation
# --------------------------------------------------------------------------------------------

def _scipy_divergences(pdf_p, pdf_q, lo, hi, points):
    def integral(f):
        return quad(f, lo, hi, points=points, limit=500, epsabs=1e-13, epsrel=1e-12)[0]
    kl = integral(lambda x: pdf_p(x) * (math.log(pdf_p(x)) - math.log(pdf_q(x))) if pdf_p(x) > 0 else 0.0)
    m = lambda x: 0.5 * (pdf_p(x) + pdf_q(x))
    js = 0.5 * integral(lambda x: (pdf_p(x) * math.log(pdf_p(x) / m(x)) if pdf_p(x) > 0 else 0.0)
                        + (pdf_q(x) * math.log(pdf_q(x) / m(x)) if pdf_q(x) > 0 else 0.0))
    tv = 0.5 * integral(lambda x: abs(pdf_p(x) - pdf_q(x)))
    return kl, js, tv


def test_kl_between_gaussians_is_the_closed_form():
    p, q = gt.Gaussian1D(0.5, 0.7), gt.Gaussian1D(-1.0, 1.3)
    expected = math.log(1.3 / 0.7) + (0.7**2 + 1.5**2) / (2 * 1.3**2) - 0.5
    kl = theory.kl_divergence(p, q)
    assert kl == pytest.approx(expected, rel=1e-14) and kl.method == "closed form"
    # A one-component GaussianMixture in 1-D also takes the closed form; quadrature of a
    # two-component mixture whose components coincide gives the same number.
    q2 = gt.GaussianMixture([-1.0, -1.0], 1.3)
    assert theory.kl_divergence(p, q2) == pytest.approx(expected, abs=1e-10)


def test_kl_between_isotropic_gaussians_in_3d():
    p = gt.GaussianMixture([[0.0, 1.0, 2.0]], 0.5)
    q = gt.GaussianMixture([[1.0, 1.0, 0.0]], 2.0)
    expected = 3 * math.log(4.0) + (3 * 0.25 + 5.0) / 8.0 - 1.5
    assert theory.kl_divergence(p, q) == pytest.approx(expected, rel=1e-14)
    mc = theory.kl_divergence(p, q, n_samples=50_000, generator=_seeded(0))
    assert abs(mc - expected) < 4 * mc.stderr


@pytest.mark.parametrize("p, q, pdf_p, pdf_q", [
    (gt.GaussianMixture([-2.0, 2.0], [0.3, 0.5], [0.3, 0.7]), gt.Gaussian1D(1.0, 1.0),
     lambda x: 0.3 * st.norm.pdf(x, -2, 0.3) + 0.7 * st.norm.pdf(x, 2, 0.5), lambda x: st.norm.pdf(x, 1, 1)),
    (gt.Gaussian1D(0.0, 0.2), gt.GaussianMixture([-1.0, 0.5], [0.4, 0.3]),
     lambda x: st.norm.pdf(x, 0, 0.2), lambda x: 0.5 * st.norm.pdf(x, -1, 0.4) + 0.5 * st.norm.pdf(x, 0.5, 0.3)),
])
def test_divergences_of_mixtures_match_scipy_quadrature(p, q, pdf_p, pdf_q):
    kl, js, tv = _scipy_divergences(pdf_p, pdf_q, -9, 9, [-2, -1, 0, 0.5, 1, 2])
    assert theory.kl_divergence(p, q) == pytest.approx(kl, abs=1e-8)
    assert theory.jensen_shannon(p, q) == pytest.approx(js, abs=1e-9)
    assert theory.jensen_shannon(q, p) == pytest.approx(js, abs=1e-9)          # symmetric
    assert theory.total_variation(p, q) == pytest.approx(tv, abs=1e-9)


def test_total_variation_of_equal_width_gaussians_is_closed_form():
    # TV(N(0, s²), N(d, s²)) = 2Φ(d / 2s) - 1.
    for d in (0.1, 1.0, 3.0):
        expected = 2 * st.norm.cdf(d / (2 * 0.4)) - 1
        assert theory.total_variation(gt.Gaussian1D(0, 0.4), gt.Gaussian1D(d, 0.4)) == pytest.approx(expected, abs=1e-11)


def test_jensen_shannon_bounds_and_the_half_convention():
    p = gt.Gaussian1D(0.0, 0.5)
    assert theory.jensen_shannon(p, p) == pytest.approx(0.0, abs=1e-13)
    far = gt.Gaussian1D(40.0, 0.5)                                 # disjoint for float64
    assert theory.jensen_shannon(p, far) == pytest.approx(math.log(2), abs=1e-12)
    assert theory.total_variation(p, far) == pytest.approx(1.0, abs=1e-12)
    # JSD = ½KL(P‖M) + ½KL(Q‖M), M the mixture, checked with our own KL by quadrature.
    q = gt.Gaussian1D(1.0, 1.0)
    m = gt.GaussianMixture([0.0, 1.0], [0.5, 1.0])
    assert theory.jensen_shannon(p, q) == pytest.approx(
        0.5 * theory.kl_divergence(p, m) + 0.5 * theory.kl_divergence(q, m), abs=1e-10)


def test_monte_carlo_divergences_agree_with_quadrature_within_standard_errors():
    p, q = gt.GaussianMixture([-2.0, 2.0], [0.3, 0.5], [0.3, 0.7]), gt.Gaussian1D(1.0, 1.0)
    for fn in (theory.kl_divergence, theory.jensen_shannon, theory.total_variation):
        exact = fn(p, q)
        mc = fn(p, q, n_samples=40_000, generator=_seeded(7))
        assert mc.method == "monte carlo" and mc.stderr > 0
        assert abs(mc - exact) < 4 * mc.stderr, fn.__name__


def test_monte_carlo_jensen_shannon_in_two_dimensions():
    # Two 2-D isotropic Gaussians one unit apart: the JSD only depends on the coordinate along
    # the shift, so it equals the 1-D JSD computed by quadrature.
    p2 = gt.GaussianMixture([[0.0, 0.0]], 0.6)
    q2 = gt.GaussianMixture([[0.6, 0.8]], 0.6)
    exact = theory.jensen_shannon(gt.Gaussian1D(0.0, 0.6), gt.Gaussian1D(1.0, 0.6))
    mc = theory.jensen_shannon(p2, q2, n_samples=40_000, generator=_seeded(11))
    assert abs(mc - exact) < 4 * mc.stderr
    tv = theory.total_variation(p2, q2, n_samples=40_000, generator=_seeded(12))
    assert abs(tv - theory.total_variation(gt.Gaussian1D(0.0, 0.6), gt.Gaussian1D(1.0, 0.6))) < 4 * tv.stderr


def test_divergences_reject_unsupported_pairs():
    with pytest.raises(ValueError, match="same dimension"):
        theory.jensen_shannon(gt.Gaussian1D(), gt.ring())
    for fn in (theory.kl_divergence, theory.jensen_shannon, theory.total_variation):
        with pytest.raises(ValueError, match="1-D Gaussian mixtures.*n_samples"):
            fn(gt.ring(), gt.grid())
        with pytest.raises(ValueError, match="n_samples"):
            fn(gt.Gaussian1D(), gt.Gaussian1D(1.0), n_samples=0)
        with pytest.raises(TypeError, match="Distribution"):
            fn(np.zeros(3), gt.Gaussian1D())


def test_estimate_is_a_float_that_remembers_its_method():
    e = theory.Estimate(0.25, "monte carlo", 0.01)
    assert isinstance(e, float) and e + 1 == 1.25 and e.stderr == 0.01
    assert "±" in repr(e)
    gt.verify(e, 0.25, atol=1e-12, kind="sanity", claim="an Estimate goes through verify")  # raises if not


@pytest.mark.gpu
def test_value_with_a_cuda_discriminator_matches_the_cpu():
    p, q = gt.Gaussian1D(-1.0, 0.7), gt.Gaussian1D(1.0, 0.7)
    D_cpu = torch.nn.Linear(1, 1)
    D_gpu = torch.nn.Linear(1, 1).cuda()
    D_gpu.load_state_dict(D_cpu.state_dict())
    assert theory.value(D_gpu, p, q, logits=True) == pytest.approx(theory.value(D_cpu, p, q, logits=True), abs=1e-6)
    x = torch.linspace(-2, 2, 5, device="cuda")
    np.testing.assert_allclose(theory.optimal_discriminator(p, q, x), theory.optimal_discriminator(p, q, x.cpu()))
