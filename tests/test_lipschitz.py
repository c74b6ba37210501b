"""Tests of gantext.lipschitz against torch.linalg, NumPy's SVD, SciPy and POT."""

import math

import numpy as np
import ot
import pytest
import scipy.stats
import torch
from torch import nn

import gantext as gt


def _with_singular_values(m, n, values, seed=0):
    """An m×n float64 matrix with the given singular values (in decreasing order)."""
    g = torch.Generator().manual_seed(seed)
    u, _ = torch.linalg.qr(torch.randn(m, m, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    s = torch.zeros(m, n, dtype=torch.float64)
    k = len(values)
    s[range(k), range(k)] = torch.tensor(values, dtype=torch.float64)
    return u @ s @ v.T


# --- spectral norm -------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 3), (1, 7), (7, 1), (64, 64), (3, 2, 3, 3)])
def test_spectral_norm_matches_torch_and_numpy(shape):
    w = torch.randn(shape)
    expected = torch.linalg.matrix_norm(w.flatten(1).double(), 2).item()
    assert gt.largest_singular_value(w) == pytest.approx(expected, rel=1e-12)
    assert gt.largest_singular_value(w) == pytest.approx(np.linalg.svd(w.flatten(1).double().numpy())[1][0], rel=1e-10)


def test_spectral_norm_of_a_layer_is_that_of_its_weight():
    layer = nn.Linear(6, 4)
    assert gt.largest_singular_value(layer) == pytest.approx(torch.linalg.matrix_norm(layer.weight.double(), 2).item(), rel=1e-12)


def test_spectral_norm_of_a_spectrally_normalised_layer_is_one():
    layer = nn.utils.parametrizations.spectral_norm(nn.Linear(16, 32))
    before = gt.largest_singular_value(layer.parametrizations.weight.original)
    for _ in range(30):  # each forward pass in training mode runs one more power iteration
        layer(torch.randn(4, 16))
    assert before != pytest.approx(1.0, abs=0.05)
    assert gt.largest_singular_value(layer) == pytest.approx(1.0, abs=1e-6)


def test_power_iteration_converges_to_the_spectral_norm_from_below():
    w = _with_singular_values(8, 5, [3.0, 1.5, 1.0, 0.5, 0.1])
    errors = {k: 3.0 - gt.power_iteration(w, n_iter=k, generator=torch.Generator().manual_seed(0))
              for k in (1, 5, 6, 40)}
    assert all(e >= -1e-12 for e in errors.values())  # never above σ₁
    assert errors[40] == pytest.approx(0.0, abs=1e-12)
    # the error of the Rayleigh quotient shrinks by (σ₂/σ₁)⁴ = 1/16 per step
    assert errors[6] / errors[5] == pytest.approx(1 / 16, rel=0.05)
    assert errors[1] > 1e-3  # one step is far from converged: the test sees the convergence


# --- a network's Lipschitz constant ---------------------------------------------------------

def test_a_linear_maps_lipschitz_constant_is_its_spectral_norm():
    layer = nn.Linear(5, 1)
    norm = torch.linalg.matrix_norm(layer.weight.double(), 2).item()
    assert gt.lipschitz_upper_bound(layer) == pytest.approx(norm, rel=1e-12)
    assert gt.lipschitz_estimate(nn.Sequential(layer, nn.Flatten(0)), torch.randn(100, 5)) == pytest.approx(norm, rel=1e-6)


def test_upper_bound_is_the_product_of_spectral_norms_and_slopes_and_bounds_the_chain():
    a, b = nn.Linear(4, 6), nn.Linear(6, 3)
    sa, sb = (torch.linalg.matrix_norm(m.weight.double(), 2).item() for m in (a, b))
    assert gt.lipschitz_upper_bound(nn.Sequential(a, nn.ReLU(), b)) == pytest.approx(sa * sb, rel=1e-12)
    assert gt.lipschitz_upper_bound(nn.Sequential(a, nn.LeakyReLU(2.0), b)) == pytest.approx(2 * sa * sb, rel=1e-12)
    assert gt.lipschitz_upper_bound(nn.Sequential(a, nn.Sigmoid(), b)) == pytest.approx(sa * sb / 4, rel=1e-12)
    # without activation the chain is the linear map BA, whose constant is at most the product
    composed = torch.linalg.matrix_norm((b.weight @ a.weight).double(), 2).item()
    assert composed <= sa * sb


def test_upper_bound_of_a_spectrally_normalised_discriminator_is_about_one():
    D = gt.MLPDiscriminator(2, hidden=(32, 32), spectral_norm=True)
    for _ in range(50):
        D(torch.randn(8, 2))
    assert gt.lipschitz_upper_bound(D) == pytest.approx(1.0, abs=1e-4)  # LeakyReLU(0.2) has slope ≤ 1


def test_estimate_of_a_1d_relu_network_matches_finite_differences_and_sits_below_the_bound():
    torch.manual_seed(1)
    critic = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1),
                           nn.Flatten(0)).double()
    xs = torch.linspace(-50, 50, 200_001, dtype=torch.float64)[:, None]
    with torch.no_grad():
        f = critic(xs)
    slopes = (f.diff() / xs.squeeze(1).diff()).abs()
    estimate = gt.lipschitz_estimate(critic, xs)
    assert estimate == pytest.approx(slopes.max().item(), rel=1e-6)
    assert estimate <= gt.lipschitz_upper_bound(critic)


def test_gradient_norms_are_one_per_sample():
    critic = nn.Sequential(nn.Flatten(), nn.Linear(12, 1), nn.Flatten(0))
    norms = gt.gradient_norms(critic, torch.randn(9, 3, 4))
    assert norms.shape == (9,) and norms.dtype == torch.float64
    assert torch.allclose(norms, torch.full((9,), critic[1].weight.norm().item(), dtype=torch.float64))


def test_interpolates_lie_on_the_segments_with_one_epsilon_per_sample():
    real, fake = torch.zeros(20, 2, 3), torch.ones(20, 2, 3)
    x_hat = gt.interpolates(real, fake, generator=torch.Generator().manual_seed(0))
    rows = x_hat.flatten(1)
    assert torch.equal(rows, rows[:, :1].expand_as(rows))
    assert rows[:, 0].unique().numel() == 20 and rows.min() >= 0 and rows.max() <= 1


@pytest.mark.parametrize("kind", ["bn", "std"])
def test_upper_bound_refuses_layers_it_cannot_bound(kind):
    net = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)) if kind == "bn" \
        else gt.MLPDiscriminator(2, minibatch_std=True)
    with pytest.raises(TypeError, match="network contains"):
        gt.lipschitz_upper_bound(net)


# --- the W1 estimate of a critic ------------------------------------------------------------

class Identity1D(nn.Module):
    """f(x) = s·x on R¹: 1-Lipschitz for |s| = 1, the optimal critic between two Gaussians of
    equal variance (s = sign(μ_real − μ_fake))."""

    def __init__(self, s=1.0):
        super().__init__()
        self.s = s

    def forward(self, x):
        return self.s * x.squeeze(1)                                            # [n]


@pytest.mark.parametrize("mu_real,mu_fake", [(2.0, -1.0), (-0.5, 1.5)])
def test_wasserstein_estimate_of_the_optimal_1d_critic_is_the_mean_gap(mu_real, mu_fake):
    """W₁(N(μ₁, σ²), N(μ₂, σ²)) = |μ₁ − μ₂|; the estimate is a difference of two sample means,
    with standard error σ·sqrt(2/n). Tolerance: 5 standard errors."""
    n, sigma = 100_000, 0.8
    g = torch.Generator().manual_seed(0)
    real = (mu_real + sigma * torch.randn(n, 1, generator=g, dtype=torch.float64))
    fake = (mu_fake + sigma * torch.randn(n, 1, generator=g, dtype=torch.float64))
    critic = Identity1D(math.copysign(1.0, mu_real - mu_fake))
    assert gt.wasserstein_estimate(critic, real, fake) == pytest.approx(
        abs(mu_real - mu_fake), abs=5 * sigma * math.sqrt(2 / n))


def test_wasserstein_estimate_equals_the_exact_empirical_w1_for_shifted_samples():
    """fake = real − 3 exactly: the empirical W₁ is 3 (SciPy), and f(x) = x attains it."""
    real = torch.randn(500, 1, dtype=torch.float64)
    fake = real - 3.0
    exact = scipy.stats.wasserstein_distance(real.squeeze(1).numpy(), fake.squeeze(1).numpy())
    assert exact == pytest.approx(3.0, rel=1e-12)
    assert gt.wasserstein_estimate(Identity1D(), real, fake) == pytest.approx(exact, rel=1e-12)
    # a 5-Lipschitz critic 5x gives 5·W₁; dividing by its constant recovers W₁
    assert gt.wasserstein_estimate(Identity1D(5.0), real, fake, lipschitz=5.0) == pytest.approx(exact, rel=1e-12)


def test_wasserstein_estimate_of_a_normalised_critic_is_bounded_by_the_2d_transport_cost():
    """Kantorovich–Rubinstein on two empirical measures: for any f, (E f(x) − E f(y)) / Lip(f)
    ≤ W₁, which POT computes as a linear programme."""
    torch.manual_seed(2)
    critic = gt.MLPDiscriminator(2, hidden=(16, 16))
    real, fake = torch.randn(300, 2) + torch.tensor([1.0, 0.0]), torch.randn(300, 2)
    w1 = ot.emd2(np.full(300, 1 / 300), np.full(300, 1 / 300), ot.dist(real.double().numpy(), fake.double().numpy(), metric="euclidean"))
    for sign in (1.0, -1.0):
        f = nn.Sequential(critic, _Scale(sign))
        assert gt.wasserstein_estimate(f, real, fake, lipschitz=gt.lipschitz_upper_bound(critic)) <= w1


class _Scale(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s

    def forward(self, x):
        return self.s * x


# --- bad input ------------------------------------------------------------------------------

def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        gt.largest_singular_value(torch.randn(5))
    with pytest.raises(TypeError, match="layer must be a tensor or a module"):
        gt.largest_singular_value(nn.ReLU())
    with pytest.raises(TypeError, match="layer must be a tensor or a module"):
        gt.largest_singular_value([[1.0, 2.0]])
    with pytest.raises(ValueError, match="n_iter must be an integer >= 1"):
        gt.power_iteration(torch.randn(3, 3), n_iter=0)
    with pytest.raises(TypeError, match="network must be an nn.Module"):
        gt.lipschitz_upper_bound(torch.randn(3, 3))
    with pytest.raises(ValueError, match="real and fake must have the same shape"):
        gt.interpolates(torch.randn(4, 2), torch.randn(5, 2))
    with pytest.raises(ValueError, match="points must be a tensor of shape"):
        gt.gradient_norms(nn.Linear(1, 1), torch.randn(5))
    with pytest.raises(ValueError, match="one score per sample"):
        gt.gradient_norms(nn.Linear(2, 3), torch.randn(5, 2))
    critic = Identity1D()
    with pytest.raises(ValueError, match="lipschitz must be a finite number > 0"):
        gt.wasserstein_estimate(critic, torch.randn(5, 1), torch.randn(5, 1), lipschitz=0)
    with pytest.raises(ValueError, match="lipschitz must be a finite number > 0"):
        gt.wasserstein_estimate(critic, torch.randn(5, 1), torch.randn(5, 1), lipschitz=float("inf"))
    with pytest.raises(ValueError, match="same shape"):
        gt.wasserstein_estimate(critic, torch.randn(5, 1), torch.randn(5, 2))
    with pytest.raises(ValueError, match="fake must be a tensor"):
        gt.wasserstein_estimate(critic, torch.randn(5, 1), torch.randn(0, 1))
