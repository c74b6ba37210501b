"""gt.d_step / gt.g_step and the updates fit runs (gantext.steps), against plain PyTorch."""

import copy

import pytest
import torch
import torch.nn.functional as F

import gantext as gt
from gantext import steps


def models(seed=0, **d_kwargs):
    gt.seed(seed)
    return gt.MLPGenerator(2, 2, hidden=(16,)), gt.MLPDiscriminator(2, hidden=(16,), **d_kwargs)


@pytest.mark.parametrize("kwargs, expected", [
    ({}, True), ({"spectral_norm": True}, True), ({"pack": 2}, False), ({"minibatch_std": True}, False),
])
def test_batch_independence_of_the_mlp_discriminators(kwargs, expected):
    assert steps.batch_independent(models(**kwargs)[1]) is expected


def test_batch_norm_and_foreign_modules_count_as_coupling_the_batch():
    assert steps.batch_independent(gt.DCGANDiscriminator(image_size=32, batch_norm=True)) is False
    assert steps.batch_independent(gt.DCGANDiscriminator(batch_norm=False)) is True
    assert steps.batch_independent(torch.nn.Linear(2, 1)) is False


def test_one_joint_pass_gives_the_update_of_two_separate_passes():
    G, D = models()
    D2 = copy.deepcopy(D)
    real, fake = torch.randn(32, 2), torch.randn(32, 2)
    losses = []
    for joint, d in ((False, D), (True, D2)):
        opt = torch.optim.Adam(d.parameters(), lr=1e-2)
        losses.append(steps.update_d(d, real, fake, gt.losses.non_saturating, opt, joint=joint))
    assert losses[0].item() == pytest.approx(losses[1].item(), rel=1e-6)
    for a, b in zip(D.parameters(), D2.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_d_step_minimises_the_cross_entropy_written_out_by_hand():
    """The returned loss is -E log σ(D(x)) - E log(1 - σ(D(G(z)))), with z from the given stream."""
    G, D = models()
    real = torch.randn(64, 2)
    z = torch.randn(64, 2, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        expected = -(F.logsigmoid(D(real)).mean() + F.logsigmoid(-D(G(z))).mean())
    opt = torch.optim.SGD(D.parameters(), lr=0.0)
    loss = gt.d_step(G, D, real, gt.losses.non_saturating, opt, noise=torch.Generator().manual_seed(5))
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_update_g_leaves_d_unchanged_and_without_gradients():
    G, D = models()
    before = [p.clone() for p in D.parameters()]
    opt = torch.optim.SGD(G.parameters(), lr=0.1)
    steps.update_g(D, G(torch.randn(8, 2)), gt.losses.non_saturating, opt)
    assert all(torch.equal(a, b) for a, b in zip(before, D.parameters()))
    assert all(p.grad is None and p.requires_grad for p in D.parameters())


def test_labels_reach_only_conditional_models():
    G, D = models()
    x, y = torch.randn(5, 2), torch.zeros(5, dtype=torch.long)
    assert torch.equal(steps.forward(D, x, y), D(x))
    cD = gt.ConditionalDCGANDiscriminator(n_classes=3, batch_norm=False)
    img = torch.randn(5, 1, 8, 8)
    assert torch.equal(steps.forward(cD, img, y), cD(img, y))


def test_a_non_finite_loss_stops_the_update_before_the_optimiser_steps():
    G, D = models()
    before = [p.clone() for p in D.parameters()]
    opt = torch.optim.SGD(D.parameters(), lr=0.1)
    with pytest.raises(gt.TrainingDiverged, match="D was not updated"):
        steps.update_d(D, torch.full((4, 2), float("nan")), torch.randn(4, 2),
                       gt.losses.non_saturating, opt)
    assert all(torch.equal(a, b) for a, b in zip(before, D.parameters()))


def test_an_update_is_zero_grad_backward_step_on_the_optimiser_s_parameters_only():
    """backward_and_step gives the textbook update exactly: the other network's gradients, left
    over from its own last step, are neither added to nor cleared; a gradient left on one of
    the optimiser's parameters is replaced, not accumulated."""
    G, D = models()
    G2, D2 = copy.deepcopy(G), copy.deepcopy(D)
    z = torch.randn(16, 2)
    for d in (D, D2):                       # both D's carry the gradients of a D step
        (d(torch.randn(16, 2)) ** 2).mean().backward()
    d_grads = [p.grad.clone() for p in D.parameters()]
    opt = torch.optim.Adam(G.parameters(), lr=1e-2)
    opt2 = torch.optim.Adam(G2.parameters(), lr=1e-2)
    for p in G.parameters():
        p.grad = torch.full_like(p, 7.0)    # stale: must not reach the update
    steps.update_g(D, G(z), gt.losses.non_saturating, opt)
    # the textbook way: freeze D, zero G's gradients, backward, step
    D2.requires_grad_(False)
    opt2.zero_grad()
    gt.losses.non_saturating.g_loss(D2(G2(z))).backward()
    opt2.step()
    for a, b in zip(G.parameters(), G2.parameters()):
        assert torch.equal(a, b)
    assert all(torch.equal(p.grad, g) for p, g in zip(D.parameters(), d_grads))


def test_a_partly_frozen_model_trains_its_trainable_part_and_a_fully_frozen_one_is_refused():
    G, D = models()
    first = G.net[0].weight
    first.requires_grad_(False)
    before, bias = first.clone(), G.net[0].bias.clone()
    opt = torch.optim.Adam(G.parameters(), lr=1e-2)
    steps.update_g(D, G(torch.randn(8, 2)), gt.losses.non_saturating, opt)
    assert torch.equal(first, before) and first.grad is None
    assert not torch.equal(G.net[0].bias, bias)             # Adam moves every entry by ≈ lr
    G.requires_grad_(False)
    with pytest.raises(ValueError, match="requires_grad=False: there is nothing to train"):
        steps.update_g(D, G(torch.randn(8, 2)), gt.losses.non_saturating, opt)


def test_an_update_without_mixed_precision_switches_a_caller_s_autocast_off():
    """Outside autocast no context is entered; inside a caller's CPU autocast region the update
    still runs in float32, as torch.autocast(enabled=False) makes it."""
    G, D = models()
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        with steps.autocast(torch.device("cpu"), False):
            assert not torch.is_autocast_enabled("cpu")
            assert D(real).dtype == torch.float32
        assert D(real).dtype == torch.bfloat16      # the caller's region is restored
    loss = steps.update_d(D, real, fake, gt.losses.non_saturating,
                          torch.optim.SGD(D.parameters(), lr=0.0))
    assert loss.dtype == torch.float32
