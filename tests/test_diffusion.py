"""gantext.diffusion against closed forms: the schedule's products, q(x_t | x_0), the loss of the
optimal (linear) denoiser for Gaussian data, and the reverse chain."""

import math

import pytest
import torch

import gantext as gt
from gantext.diffusion import EpsilonMLP, NoiseSchedule, add_noise, epsilon_loss, sample_diffusion


class LinearDenoiser(torch.nn.Module):
    """eps(x_t, t) = c_t (x_t - sqrt(abar_t) m). With c_t = b / (a^2 s^2 + b^2) it is the optimal
    predictor for data N(m, s^2 I), where a = sqrt(abar_t) and b = sqrt(1 - abar_t)."""

    def __init__(self, schedule, mean, var, scale=1.0):
        super().__init__()
        a2 = schedule.alpha_bars
        self.a, self.b = a2.sqrt(), (1 - a2).sqrt()
        self.c = scale * self.b / (a2 * var + 1 - a2)
        self.mean = torch.as_tensor(mean, dtype=torch.float64)

    def forward(self, x, t):
        return (self.c[t, None] * (x.double() - self.a[t, None] * self.mean)).to(x.dtype)


def test_alpha_bars_are_running_products_and_match_a_constant_schedule():
    s = NoiseSchedule.linear(50, 1e-3, 0.2)
    expected, running = [], 1.0
    for beta in s.betas.tolist():
        running *= 1 - beta
        expected.append(running)
    assert s.alpha_bars.tolist() == pytest.approx(expected, rel=1e-12)
    constant = NoiseSchedule(torch.full((10,), 0.1, dtype=torch.float64))
    powers = [0.9 ** k for k in range(1, 11)]
    assert constant.alpha_bars.tolist() == pytest.approx(powers, rel=1e-12)
    assert NoiseSchedule.linear().steps == 1000


def test_posterior_variance_is_bayes_rule_for_two_gaussians():
    # q(x_{t-1} | x_t, x_0): prior N(., 1 - abar_{t-1}),
    # likelihood x_t | x_{t-1} ~ N(sqrt(alpha_t) ., beta_t)
    s = NoiseSchedule.linear(20, 1e-3, 0.3)
    abar, alpha, beta = s.alpha_bars, s.alphas, s.betas
    for t in range(1, 20):
        precision = 1 / (1 - abar[t - 1]) + alpha[t] / beta[t]
        assert float(s.posterior_variances[t]) == pytest.approx(float(1 / precision), rel=1e-10)
    assert float(s.posterior_variances[0]) == 0.0


def test_forward_noising_has_the_closed_form_moments():
    s = NoiseSchedule.linear(100, 1e-4, 0.05)
    n, t = 200_000, 40
    x0 = torch.tensor([[0.7, -1.3]], dtype=torch.float64).expand(n, 2)
    noise = torch.randn(n, 2, generator=gt.rng(0), dtype=torch.float64)
    xt = add_noise(x0, torch.full((n,), t), s, noise)
    a2 = float(s.alpha_bars[t])
    var = 1 - a2
    se_mean, se_var = math.sqrt(var / n), var * math.sqrt(2 / n)
    expected_mean = [0.7 * math.sqrt(a2), -1.3 * math.sqrt(a2)]
    assert xt.mean(0).tolist() == pytest.approx(expected_mean, abs=5 * se_mean)
    assert xt.var(0).tolist() == pytest.approx([var, var], abs=5 * se_var)


@pytest.mark.parametrize("scale", [1.0, 0.5, 1.5])
def test_loss_of_a_linear_denoiser_on_gaussian_data_matches_its_closed_form(scale):
    # eps - c (x_t - a m) = (1 - c b) eps - c a (x0 - m):
    # expected squared norm d [(1 - cb)^2 + c^2 a^2 s^2]
    s = NoiseSchedule.linear(100, 1e-4, 0.05)
    mean, var, d, n = [1.0, -2.0], 0.25, 2, 400_000
    model = LinearDenoiser(s, mean, var, scale)
    noise = torch.randn(n, d, generator=gt.rng(1), dtype=torch.float64)
    x0 = torch.tensor(mean, dtype=torch.float64) + math.sqrt(var) * noise
    loss = float(epsilon_loss(model, x0, s, generator=gt.rng(2)))
    a, b, c = model.a, model.b, model.c
    per_step = d * ((1 - c * b) ** 2 + c ** 2 * a ** 2 * var)                     # [T]
    assert loss == pytest.approx(float(per_step.mean()), rel=0.01)
    if scale == 1.0:  # the optimum: d a^2 s^2 / (a^2 s^2 + b^2), the trace of Cov(eps | x_t)
        optimum = d * a ** 2 * var / (a ** 2 * var + b ** 2)
        assert float(per_step.mean()) == pytest.approx(float(optimum.mean()), rel=1e-12)


def test_one_reverse_step_with_a_zero_predictor_is_the_formula():
    s = NoiseSchedule(torch.tensor([0.1, 0.2], dtype=torch.float64))

    class Zero(torch.nn.Module):
        def forward(self, x, t):
            return torch.zeros_like(x)

    out = sample_diffusion(Zero(), 5, s, shape=(3,), generator=gt.rng(3))
    g = gt.rng(3)
    x = torch.randn(5, 3, generator=g)
    sigma = math.sqrt(float(s.posterior_variances[1]))
    x = x / math.sqrt(0.8) + sigma * torch.randn(5, 3, generator=g)
    x = x / math.sqrt(0.9)
    assert torch.allclose(out, x, atol=1e-6)


def test_ancestral_sampling_with_the_optimal_denoiser_recovers_gaussian_data():
    s = NoiseSchedule.linear(1000)
    mean, var = [1.0, -2.0], 0.25
    x = sample_diffusion(LinearDenoiser(s, mean, var), 20_000, s, generator=gt.rng(4))
    assert x.mean(0).tolist() == pytest.approx(mean, abs=0.02)
    assert x.var(0).tolist() == pytest.approx([var, var], rel=0.05)


def test_epsilon_mlp_shapes_and_a_short_fit_lowers_the_loss():
    s = NoiseSchedule.linear(50, 1e-4, 0.2)
    net = EpsilonMLP(data_dim=2, steps=50, hidden=(32,))
    assert net(torch.zeros(7, 2), torch.arange(7)).shape == (7, 2)
    data = gt.ring(std=0.05)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    g = gt.rng(5)
    held_out = data.sample(4096, generator=gt.rng(6)).float()
    with torch.no_grad():
        first = float(epsilon_loss(net, held_out, s, generator=gt.rng(7)))
    for _ in range(200):
        loss = epsilon_loss(net, data.sample(256, generator=g).float(), s, generator=g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        last = float(epsilon_loss(net, held_out, s, generator=gt.rng(7)))
    assert last < 0.8 * first
    assert sample_diffusion(net, 4, s, generator=gt.rng(8)).shape == (4, 2)


def test_bad_inputs():
    with pytest.raises(ValueError):
        NoiseSchedule(torch.tensor([0.5, 1.0]))
    with pytest.raises(ValueError):
        add_noise(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long), NoiseSchedule.linear(5),
                  torch.zeros(3, 2))
    with pytest.raises(TypeError):
        NoiseSchedule.linear(2.5)
