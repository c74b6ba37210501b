"""Each loss is pinned to the formula in its docstring, evaluated directly from D = sigmoid(l)."""
import pytest
import torch

import gantext as gt

L = gt.losses


@pytest.fixture
def logits():
    g = torch.Generator().manual_seed(0)
    return torch.randn(64, generator=g, dtype=torch.float64) * 3, torch.randn(64, generator=g, dtype=torch.float64) * 3


def test_cross_entropy_discriminator_loss_is_minus_the_value_function(logits):
    real, fake = logits
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    value = torch.log(d_real).mean() + torch.log(1 - d_fake).mean()
    for loss in (L.minimax, L.non_saturating):
        assert loss.d_loss(real, fake).item() == pytest.approx(-value.item(), rel=1e-12)


def test_minimax_generator_loss_formula(logits):
    _, fake = logits
    assert L.minimax.g_loss(fake).item() == pytest.approx(torch.log(1 - torch.sigmoid(fake)).mean().item(), rel=1e-12)


def test_non_saturating_generator_loss_formula(logits):
    _, fake = logits
    assert L.non_saturating.g_loss(fake).item() == pytest.approx(-torch.log(torch.sigmoid(fake)).mean().item(), rel=1e-12)


def test_saturating_and_non_saturating_differ_in_value_and_gradient():
    """Same fixed point, different gradients: d/dl log(1 - σ(l)) = -σ(l) and d/dl -log σ(l) = -(1 - σ(l))."""
    fake = torch.tensor([-6.0, -2.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    (g_sat,) = torch.autograd.grad(L.minimax.g_loss(fake) * len(fake), fake)
    (g_ns,) = torch.autograd.grad(L.non_saturating.g_loss(fake) * len(fake), fake)
    d = torch.sigmoid(fake.detach())
    torch.testing.assert_close(g_sat, -d)
    torch.testing.assert_close(g_ns, -(1 - d))
    # where D confidently rejects the fake (l = -6), the saturating gradient is ~400x smaller
    assert (g_ns[0] / g_sat[0]).item() == pytest.approx(((1 - d[0]) / d[0]).item(), rel=1e-12)
    assert L.minimax.g_loss(fake).item() != pytest.approx(L.non_saturating.g_loss(fake).item())


def test_losses_are_finite_for_extreme_logits():
    extreme = torch.tensor([-1e4, 1e4])
    for loss in (L.minimax, L.non_saturating):
        assert torch.isfinite(loss.d_loss(extreme, extreme)) and torch.isfinite(loss.g_loss(extreme))


def test_wasserstein_formula(logits):
    real, fake = logits
    assert L.wasserstein.d_loss(real, fake).item() == pytest.approx((fake.mean() - real.mean()).item(), rel=1e-12)
    assert L.wasserstein.g_loss(fake).item() == pytest.approx(-fake.mean().item(), rel=1e-12)


def test_hinge_formula(logits):
    real, fake = logits
    expected = torch.clamp(1 - real, min=0).mean() + torch.clamp(1 + fake, min=0).mean()
    assert L.hinge.d_loss(real, fake).item() == pytest.approx(expected.item(), rel=1e-12)
    assert L.hinge.g_loss(fake).item() == pytest.approx(-fake.mean().item(), rel=1e-12)


def test_least_squares_formula(logits):
    real, fake = logits
    expected = 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake ** 2).mean()
    assert L.least_squares.d_loss(real, fake).item() == pytest.approx(expected.item(), rel=1e-12)
    assert L.least_squares.g_loss(fake).item() == pytest.approx((0.5 * (fake - 1) ** 2).mean().item(), rel=1e-12)


def test_losses_are_pure():
    real, fake = torch.randn(8), torch.randn(8)
    before = real.clone(), fake.clone()
    for loss in (L.minimax, L.non_saturating, L.wasserstein, L.hinge, L.least_squares):
        assert torch.equal(loss.d_loss(real, fake), loss.d_loss(real, fake))
    assert torch.equal(real, before[0]) and torch.equal(fake, before[1])
