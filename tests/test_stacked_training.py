"""Tests for gantext.stacked.training: stacked models train exactly as gantext.fit trains each alone."""

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

import gantext as gt
from gantext.stacked import (PerModelAdam, StackedDiscriminator, StackedGenerator, StackedLinear,
                             adam_update, fit_stacked, stack_models, stacked_gradient_penalty,
                             unrolled_logits)

L = gt.losses


def make_g():
    return gt.MLPGenerator(latent_dim=3, hidden=(16, 16))


def make_d(**options):
    return lambda: gt.MLPDiscriminator(hidden=(16, 16), **options)


def _alone(seed, d_options):
    torch.manual_seed(seed)
    return make_g(), make_d(**d_options)()


def _linear_weights(model):
    """The trained ``[in, out]`` weights of every linear layer, stacked ``[M, in, out]`` or plain,
    in order (with spectral norm, the raw weight the optimiser updates)."""
    def raw(l):
        if isinstance(l, StackedLinear):
            return l.weight
        return (l.parametrizations.weight.original if hasattr(l, "parametrizations") else l.weight).T
    return [raw(l) for l in model.modules() if isinstance(l, (StackedLinear, nn.Linear))]


@pytest.fixture
def float64():
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(torch.float32)


def _follows_fit(d_options, loss, data, config, stacked_options={}, fit_options={}, atol=1e-5):
    """Train three stacked models and each model alone with gt.fit; compare every loss and weight."""
    seeds = [0, 1, 2]
    G, D = stack_models(make_g, make_d(**d_options), seeds)
    history = fit_stacked(G, D, data, loss, config, **stacked_options)
    for m, seed in enumerate(seeds):
        g, d = _alone(seed, d_options)
        alone = gt.fit(g, d, data, loss, replace(config, seed=config.seed + m), **fit_options)
        np.testing.assert_allclose(history.d_loss[:, m], alone.d_loss, atol=atol, rtol=0)
        np.testing.assert_allclose(history.g_loss[:, m], alone.g_loss, atol=atol, rtol=0)
        for stacked, single in zip(_linear_weights(G) + _linear_weights(D), _linear_weights(g) + _linear_weights(d)):
            torch.testing.assert_close(stacked[m], single, atol=atol, rtol=0)


# d_steps = 2 everywhere: the generator step reuses the last of two latent batches.
CONFIG = gt.TrainConfig(steps=20, batch_size=32, d_steps=2, d_lr=1e-3, g_lr=2e-3, seed=5, progress=False)
FIT_CASES = {
    "plain": ({}, L.non_saturating, {}, {}, {}),
    "pack": ({"pack": 2}, L.non_saturating, {}, {}, {}),
    "minibatch std": ({"minibatch_std": True}, L.non_saturating, {}, {}, {}),
    "spectral norm": ({"spectral_norm": True}, L.hinge, {}, {}, {}),
    "gradient penalty": ({}, L.wasserstein, {}, {"gradient_penalty": True}, {"penalty": gt.gradient_penalty}),
    "clipping": ({}, L.wasserstein, {"clip": 0.1}, {}, {}),
}


@pytest.mark.parametrize("case", FIT_CASES)
def test_stacked_training_follows_fit_for_every_model_in_float64(case, float64):
    # In float64 every step's arithmetic is fit's; the recorded losses (float32) agree exactly and
    # the weights to 1e-10. In float32, Adam turns rounding in near-zero gradients into steps of
    # size lr, so losses with flat regions (hinge, Wasserstein) drift apart by ~1e-5 in 20 steps.
    d_options, loss, config_options, stacked_options, fit_options = FIT_CASES[case]
    data = gt.ring().sample(4000, generator=torch.Generator().manual_seed(0)).double()   # [4000, 2]
    _follows_fit(d_options, loss, data, replace(CONFIG, **config_options), stacked_options, fit_options,
                 atol=1e-10)


@pytest.mark.parametrize("case", ["plain", "pack", "minibatch std"])
def test_stacked_training_follows_fit_in_float32_drawing_from_the_distribution(case):
    d_options, loss, *_ = FIT_CASES[case]
    _follows_fit(d_options, loss, gt.ring(), CONFIG, atol=1e-5)


def test_stacked_training_follows_fit_on_tensor_data_with_per_model_learning_rates():
    data = gt.grid().sample(300, generator=torch.Generator().manual_seed(3))
    d_lrs, g_lrs = [1e-3, 4e-3], [2e-3, 5e-4]
    config = gt.TrainConfig(steps=15, batch_size=20, progress=False, seed=1)
    G, D = stack_models(make_g, make_d(), [7, 8])
    history = fit_stacked(G, D, data, L.least_squares, config, d_lr=d_lrs, g_lr=g_lrs)
    for m, seed in enumerate([7, 8]):
        g, d = _alone(seed, {})
        alone = gt.fit(g, d, data, L.least_squares, replace(config, seed=1 + m, d_lr=d_lrs[m], g_lr=g_lrs[m]))
        np.testing.assert_allclose(history.g_loss[:, m], alone.g_loss, atol=1e-5, rtol=0)
        torch.testing.assert_close(_linear_weights(G)[-1][m], _linear_weights(g)[-1], atol=1e-5, rtol=0)


def test_per_model_adam_matches_torch_adam_model_by_model():
    torch.manual_seed(0)
    start = torch.randn(3, 4, 5)
    lrs = [1e-3, 1e-2, 3e-4]
    p = start.clone().requires_grad_(True)
    opt = PerModelAdam([p], torch.tensor(lrs), betas=(0.5, 0.9))
    singles = [start[m].clone().requires_grad_(True) for m in range(3)]
    torch_opts = [torch.optim.Adam([s], lr=lr, betas=(0.5, 0.9)) for s, lr in zip(singles, lrs)]
    for _ in range(6):
        grad = torch.randn(3, 4, 5)
        p.grad = grad
        opt.step()
        for m in range(3):
            singles[m].grad = grad[m].clone()
            torch_opts[m].step()
    for m in range(3):
        torch.testing.assert_close(p[m], singles[m], atol=1e-6, rtol=0)


def test_adam_update_has_the_same_values_and_a_finite_derivative_where_the_second_moment_is_zero():
    # Adam's v is exactly 0 for a parameter whose gradients were all 0 (a dead ReLU unit);
    # unrolling differentiates through the update, and d sqrt(v)/dv = inf there gave NaN (issue 12).
    p = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    g = torch.tensor([[0.5, 0.0, -2.0]], dtype=torch.float64, requires_grad=True)
    zero = torch.zeros_like(p)
    new_p, _, _ = adam_update(p, g, zero, zero, step=1, lr=0.1)
    expected = p - 0.1 * g.detach() / (g.detach().abs() + 1e-8)
    torch.testing.assert_close(new_p, expected)
    (grad,) = torch.autograd.grad(new_p.sum(), g)
    assert torch.isfinite(grad).all()
    # at g = 0 only m moves to first order: d/dg [-(lr / c1) (1 - b1) g / eps] = -(0.1 / 0.1) 0.1 / 1e-8
    assert grad[0, 1].item() == pytest.approx(-1e7)


def test_stacked_gradient_penalty_is_each_models_gradient_penalty_with_its_own_stream():
    torch.manual_seed(0)
    ds = [gt.MLPDiscriminator(hidden=(8, 8)) for _ in range(3)]
    D = StackedDiscriminator(ds)
    real, fake = torch.randn(3, 10, 2), torch.randn(3, 10, 2)
    streams = lambda: [torch.Generator().manual_seed(40 + m) for m in range(3)]
    value = stacked_gradient_penalty(D, real, fake, streams())
    expected = [gt.gradient_penalty(d, r, f, generator=s) for d, r, f, s in zip(ds, real, fake, streams())]
    torch.testing.assert_close(value, torch.stack(expected), atol=1e-6, rtol=1e-5)


def test_unrolled_logits_match_a_discriminator_trained_k_steps_and_their_gradient_flows_through():
    torch.set_default_dtype(torch.float64)
    try:
        torch.manual_seed(0)
        g, d = make_g(), make_d()()
        G, D = StackedGenerator([g]), StackedDiscriminator([d])
        opt = torch.optim.Adam(D.parameters(), lr=0.05, betas=(0.5, 0.999), foreach=True)
        real, z = torch.randn(1, 16, 2), torch.randn(1, 16, 3)
        loss = L.non_saturating

        def reference(generator):   # D trained k steps by torch.optim.Adam against G's fakes, in a copy
            d_copy = copy.deepcopy(d)
            adam = torch.optim.Adam(d_copy.parameters(), lr=0.05, betas=(0.5, 0.999))
            fake = generator(z[0]).detach()
            for _ in range(3):
                adam.zero_grad()
                loss.d_loss(d_copy(real[0]), d_copy(fake)).backward()
                adam.step()
            return loss.g_loss(d_copy(generator(z[0])))

        surrogate = loss.g_loss(unrolled_logits(D, opt, loss, real, G(z), steps=3)[0])
        assert surrogate.item() == pytest.approx(reference(g).item(), rel=1e-10)
        assert surrogate.item() != pytest.approx(loss.g_loss(D(G(z))[0]).item(), rel=1e-3)

        # The gradient reaches G through D's reaction: compare with a finite difference of the
        # surrogate along a random direction of G's last layer.
        (grad,) = torch.autograd.grad(surrogate, G.net[-1].weight)
        direction = torch.randn_like(grad)
        h = 1e-6

        def surrogate_at(t):
            g2 = copy.deepcopy(g)
            with torch.no_grad():
                g2.net[-1].weight += t * direction[0].T
            return loss.g_loss(unrolled_logits(D, opt, loss, real, StackedGenerator([g2])(z), steps=3)[0]).item()

        numeric = (surrogate_at(h) - surrogate_at(-h)) / (2 * h)
        assert (grad * direction).sum().item() == pytest.approx(numeric, rel=1e-5)
    finally:
        torch.set_default_dtype(torch.float32)


def test_unrolled_training_changes_the_generator_step():
    config = gt.TrainConfig(steps=3, batch_size=16, progress=False)
    results = []
    for k in (0, 2):
        G, D = stack_models(make_g, make_d(), [0, 1])
        fit_stacked(G, D, gt.ring(), config=config, unroll_steps=k)
        results.append(G.net[0].weight.detach().clone())
    assert not torch.allclose(results[0], results[1])


def test_unrolled_training_with_relu_networks_stays_finite():
    relu_g = lambda: gt.MLPGenerator(latent_dim=3, hidden=(16, 16), activation=nn.ReLU)
    relu_d = lambda: gt.MLPDiscriminator(hidden=(16, 16), activation=nn.ReLU)
    G, D = stack_models(relu_g, relu_d, [0, 1, 2])
    with torch.no_grad():                    # a dead first-layer unit in D: its gradients are all 0
        D.net[0].weight[:, :, 0] = 0.0                                # weight [M, in, out]
        D.net[0].bias[:, 0] = -1.0
    history = fit_stacked(G, D, gt.ring(), config=gt.TrainConfig(steps=5, batch_size=32, progress=False),
                          unroll_steps=2)
    assert all(torch.isfinite(p).all() for p in G.parameters())
    assert not history.diverged.any()


def test_shared_streams_are_reproducible_and_differ_from_per_model_streams():
    config = gt.TrainConfig(steps=5, batch_size=16, progress=False)
    weights = []
    for shared in (True, True, False):
        G, D = stack_models(make_g, make_d(), [0, 1])
        fit_stacked(G, D, gt.ring(), config=config, per_model_streams=not shared)
        weights.append(G.net[0].weight.detach().clone())
    assert torch.equal(weights[0], weights[1])
    assert not torch.allclose(weights[0], weights[2])


def test_history_holds_one_column_per_model_as_arrays_like_gt_history():
    G, D = stack_models(make_g, make_d(), [0, 1])
    log = lambda step, G, D, history: history.log("mean x", G.sample(8, gt.rng(0)).mean(dim=(1, 2)))
    history = fit_stacked(G, D, gt.ring(), config=gt.TrainConfig(steps=4, batch_size=16, progress=False),
                          callbacks=[gt.every(2, log)])
    assert isinstance(history.d_loss, np.ndarray) and history.d_loss.shape == (4, 2)
    assert isinstance(history.g_loss, np.ndarray) and np.isfinite(history.g_loss).all()
    steps, values = history.series("mean x")
    assert steps.tolist() == [0, 2, 4] and values.shape == (3, 2) and values.dtype == np.float64
    assert history.step == 4 and not history.interrupted


def test_a_diverging_model_is_marked_without_stopping_the_others_or_raises_when_asked():
    make = lambda: stack_models(lambda: gt.MLPGenerator(2, 2, (8,)), lambda: gt.MLPDiscriminator(2, (8,)), range(2))
    config = gt.TrainConfig(steps=12, batch_size=16, progress=False)
    G, D = make()
    history = fit_stacked(G, D, gt.ring(), config=config, d_lr=[1e30, 2e-4], g_lr=[1e30, 2e-4])
    assert history.diverged.tolist() == [True, False]
    assert history.diverged_at[0] >= 1 and history.diverged_at[1] == 0
    assert np.isfinite(history.g_loss[:, 1]).all()
    assert "diverged=1 models" in repr(history)
    G, D = make()
    with pytest.raises(gt.TrainingDiverged, match=r"1 of 2 stacked models diverged .*\(0, "):
        fit_stacked(G, D, gt.ring(), config=config, d_lr=[1e30, 2e-4], g_lr=[1e30, 2e-4],
                    on_divergence="raise")


def test_stacked_history_keeps_every_step_across_its_storage_blocks():
    """Losses are written into preallocated blocks (one tensor per step fragmented the heap by
    gigabytes over 25,000 steps); steps on both sides of a block boundary read back exactly."""
    from gantext.stacked.training import StackedHistory
    h = StackedHistory(3)
    n = StackedHistory._BLOCK + 7
    d = torch.arange(3 * n, dtype=torch.float32).view(n, 3)
    for i in range(n):
        g = -d[i] if i != n - 2 else torch.tensor([1.0, float("nan"), 2.0])
        h.append(d[i], g)
    assert h.step == n and h.d_loss.shape == (n, 3)
    np.testing.assert_array_equal(h.d_loss, d.numpy())
    np.testing.assert_array_equal(h.g_loss[:5], -d[:5].numpy())
    assert h.diverged_at.tolist() == [0, n - 1, 0]
