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
