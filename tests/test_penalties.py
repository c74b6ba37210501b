"""Tests of gantext.penalties against closed forms.

Two critics have gradients we can write down: a linear critic f(x) = <w, x> + b has ∇f = w
everywhere, and the quadratic f(x) = ½ a ‖x‖² has ∇f = a x. Each penalty is checked against the
expression it must equal for them, for inputs of shape [n, d] and [n, c, h, w].
"""

import math

import pytest
import torch
from torch import nn

import gantext as gt


class Linear(nn.Module):
    """f(x) = <w, x> + b for inputs of any shape [n, ...]; ∇f = w."""

    def __init__(self, w: torch.Tensor, b: float = 0.3):
        super().__init__()
        self.w = nn.Parameter(w.clone())
        self.b = nn.Parameter(torch.tensor(b, dtype=w.dtype))

    def forward(self, x):
        return (x * self.w).flatten(1).sum(1) + self.b                          # [n]


class Quadratic(nn.Module):
    """f(x) = ½ a ‖x‖² for inputs of any shape [n, ...]; ∇f = a x. Records its inputs."""

    def __init__(self, a: float = 1.0, dtype=torch.float32):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(a, dtype=dtype))
        self.seen = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return 0.5 * self.a * x.flatten(1).pow(2).sum(1)                        # [n]


SHAPES = [(64, 3), (16, 2, 4, 5)]


def _unit(shape):
    w = torch.randn(shape[1:])
    return w / w.norm()


@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_penalty_is_zero_for_a_linear_critic_with_unit_norm_weights(shape):
    critic = Linear(_unit(shape))
    real, fake = torch.randn(shape), torch.randn(shape) + 2
    assert gt.gradient_penalty(critic, real, fake).item() == pytest.approx(0.0, abs=1e-10)
    # with a batch-wide norm the gradient of the batch would have norm sqrt(n), not 1


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("target", [0.0, 0.5, 2.0])
def test_gradient_penalty_for_a_linear_critic_is_the_squared_distance_of_its_norm_to_the_target(shape, target):
    w = 3.0 * _unit(shape)
    critic = Linear(w)
    value = gt.gradient_penalty(critic, torch.randn(shape), torch.randn(shape), target=target)
    assert value.item() == pytest.approx((3.0 - target) ** 2, rel=1e-5)


@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_penalty_of_the_quadratic_critic_when_real_equals_fake(shape):
    """x̂ = x whatever ε is, so the penalty is the sample mean of (a‖x_i‖ − 1)², one norm per row."""
    x = torch.randn(shape, dtype=torch.float64)
    critic = Quadratic(a=0.7, dtype=torch.float64)
    expected = (0.7 * x.flatten(1).norm(dim=1) - 1).pow(2).mean()
    assert gt.gradient_penalty(critic, x, x).item() == pytest.approx(expected.item(), rel=1e-12)
    batch_wide = (0.7 * x.norm() - 1).pow(2).item()
    assert abs(batch_wide - expected.item()) > 0.1  # the test can tell the two apart


@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_penalty_draws_one_epsilon_per_sample(shape):
    """With real = 0 and fake = 1 the interpolate of row i is the constant 1 − ε_i: the same
    value across the row (one ε per sample, not per element) and a different one per row
    (not one ε for the whole batch)."""
    critic = Quadratic()
    gt.gradient_penalty(critic, torch.zeros(shape), torch.ones(shape))
    (seen,) = critic.seen
    rows = seen.flatten(1)                                                      # [n, D]
    assert torch.equal(rows, rows[:, :1].expand_as(rows))
    assert rows[:, 0].unique().numel() == shape[0]
    assert rows.min() >= 0 and rows.max() <= 1


def test_gradient_penalty_expectation_over_epsilon_matches_the_closed_form():
    """1-D, f(x) = ½x², real = 1, fake = −1: x̂ = 2ε − 1 and |f'(x̂)| = |2ε − 1| ~ U[0, 1], so the
    penalty's expectation is E(U − 1)² = 1/3. A batch-wide ε would give one random value of
    (U − 1)² instead, with standard deviation 0.30; per-sample ε has standard error
    sqrt(4/45 / n) ≈ 6.7e-4 at n = 200,000. Tolerance: 5 standard errors."""
    n = 200_000
    critic = Quadratic(dtype=torch.float64)
    g = torch.Generator().manual_seed(1)
    value = gt.gradient_penalty(critic, torch.ones(n, 1, dtype=torch.float64),
                                -torch.ones(n, 1, dtype=torch.float64), generator=g)
    assert value.item() == pytest.approx(1 / 3, abs=5 * math.sqrt(4 / 45 / n))


def test_gradient_penalty_with_a_generator_is_reproducible_and_matches_gt_interpolates():
    real, fake = torch.randn(32, 3, dtype=torch.float64), torch.randn(32, 3, dtype=torch.float64)
    critic = Quadratic(a=1.3, dtype=torch.float64)
    first = gt.gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(5))
    second = gt.gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(5))
    x_hat = gt.interpolates(real, fake, generator=torch.Generator().manual_seed(5))
    expected = (1.3 * x_hat.norm(dim=1) - 1).pow(2).mean()
    assert first.item() == second.item()
    assert first.item() == pytest.approx(expected.item(), rel=1e-12)


def test_gradient_penalty_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="real and fake must have the same shape"):
        gt.gradient_penalty(Quadratic(), torch.randn(8, 2), torch.randn(8, 3))


def test_gradient_penalty_is_differentiable_with_respect_to_the_critics_parameters():
    """Double backward. For f(x) = ½ a ‖x‖² with real = fake = x and a > 0 the penalty is
    P(a) = mean (a‖x_i‖ − 1)², so dP/da = mean 2 (a‖x_i‖ − 1) ‖x_i‖."""
    x = torch.randn(50, 4, dtype=torch.float64)
    critic = Quadratic(a=0.8, dtype=torch.float64)
    gt.gradient_penalty(critic, x, x).backward()
    norms = x.norm(dim=1)
    assert critic.a.grad.item() == pytest.approx((2 * (0.8 * norms - 1) * norms).mean().item(), rel=1e-12)


def test_gradient_penalty_gradient_of_an_mlp_matches_finite_differences():
    torch.manual_seed(3)
    critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0)).double()
    real, fake = torch.randn(16, 3, dtype=torch.float64), torch.randn(16, 3, dtype=torch.float64)

    def penalty():
        return gt.gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(0))

    penalty().backward()
    weight = critic[0].weight
    analytic = weight.grad[2, 1].item()
    h = 1e-6
    with torch.no_grad():
        weight[2, 1] += h
    up = penalty().item()
    with torch.no_grad():
        weight[2, 1] -= 2 * h
    down = penalty().item()
    assert analytic == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9)
    assert analytic != 0


@pytest.mark.parametrize("shape", SHAPES)
def test_r1_penalty_closed_forms(shape):
    x = torch.randn(shape, dtype=torch.float64)
    # quadratic critic: ∇f = a x, so R1 = mean a² ‖x_i‖²
    expected = (0.7 ** 2 * x.flatten(1).pow(2).sum(1)).mean()
    assert gt.r1_penalty(Quadratic(a=0.7, dtype=torch.float64), x).item() == pytest.approx(expected.item(), rel=1e-12)
    # linear critic: ∇f = w, so R1 = ‖w‖²
    w = torch.randn(shape[1:], dtype=torch.float64)
    assert gt.r1_penalty(Linear(w), x).item() == pytest.approx(w.pow(2).sum().item(), rel=1e-12)


def test_r1_penalty_is_differentiable_with_respect_to_the_critics_parameters():
    x = torch.randn(40, 3, dtype=torch.float64)
    critic = Quadratic(a=0.5, dtype=torch.float64)
    gt.r1_penalty(critic, x).backward()
    # R1(a) = a² mean ‖x‖², so dR1/da = 2a mean ‖x‖²
    assert critic.a.grad.item() == pytest.approx(2 * 0.5 * x.pow(2).sum(1).mean().item(), rel=1e-12)


def test_r1_penalty_fits_fits_penalty_signature_and_ignores_fake():
    """R1 takes (D, real, fake) like every penalty fit calls, so penalty=gt.r1_penalty works
    without a lambda; fake does not change the value (R1 looks at real data only)."""
    x = torch.randn(16, 3, dtype=torch.float64)
    critic = Quadratic(a=0.7, dtype=torch.float64)
    alone = gt.r1_penalty(critic, x)
    with_fake = gt.r1_penalty(critic, x, torch.randn(16, 3, dtype=torch.float64) * 100)
    assert torch.equal(alone, with_fake)
    assert len(critic.seen) == 2 and torch.equal(critic.seen[1], x)  # the critic never sees fake
    assert torch.equal(gt.r1_penalty(critic, real=x, fake=None), alone)
    with pytest.raises(TypeError, match="fake"):
        gt.r1_penalty(critic, x, "fake")
    with pytest.raises(ValueError, match="fake"):
        gt.r1_penalty(critic, x, torch.zeros(16, 4, dtype=torch.float64))


def test_r1_penalty_trains_as_fit_penalty_without_a_lambda():
    torch.manual_seed(0)
    G, D = gt.MLPGenerator(2, 2, (8,)), gt.MLPDiscriminator(2, (8,))
    history = gt.fit(G, D, gt.ring(), config=gt.TrainConfig(steps=3, batch_size=8, progress=False,
                                                            penalty_weight=1.0),
                     penalty=gt.r1_penalty)
    assert len(history.d_loss) == 3 and all(math.isfinite(v) for v in history.d_loss)


def test_clip_weights_bounds_every_parameter_and_leaves_the_rest_alone():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    for p in model.parameters():
        nn.init.normal_(p, std=0.05)
    before = [p.detach().clone() for p in model.parameters()]
    assert gt.clip_weights_(model, 0.03) is model
    for old, new in zip(before, model.parameters()):
        assert torch.equal(new, old.clamp(-0.03, 0.03))
        assert new.abs().max().item() <= 0.03
        assert (old.abs() > 0.03).any()  # something was clipped: the test exercises the clamp


@pytest.mark.parametrize("c, error", [(0, ValueError), (-0.01, ValueError), (0.0, ValueError),
                                      (float("inf"), ValueError), (float("nan"), ValueError),
                                      ("0.01", TypeError), (None, TypeError), (True, TypeError)])
def test_clip_weights_rejects_non_positive_or_non_numeric_c(c, error):
    model = nn.Linear(2, 1)
    before = model.weight.detach().clone()
    with pytest.raises(error, match="c must be a finite number > 0"):
        gt.clip_weights_(model, c)
    assert torch.equal(model.weight, before)
