"""Tests for gantext.batched: stacked models train exactly as gantext.fit trains each alone."""

import copy
import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

import gantext as gt
from gantext.batched import (CHAPTER_METHODS, Method, Protocol, StackedAdam, StackedDiscriminator,
                             StackedGenerator, StackedLinear, VEEGAN_PROTOCOL, fit_stacked, main,
                             mode_collapse_table, stack_models, stacked_gradient_penalty,
                             summarise_table, unrolled_logits)


def make_g():
    return gt.MLPGenerator(latent_dim=3, hidden=(16, 16))


def make_d(**options):
    return lambda: gt.MLPDiscriminator(hidden=(16, 16), **options)


def _alone(seed, d_options):
    torch.manual_seed(seed)
    return make_g(), make_d(**d_options)()


@pytest.mark.parametrize("d_options", [{}, {"pack": 2}, {"minibatch_std": True}, {"spectral_norm": True}])
def test_stacked_training_follows_fit_for_every_model(d_options):
    seeds = [0, 1, 2]
    config = gt.TrainConfig(steps=20, batch_size=32, d_steps=2, d_lr=1e-3, g_lr=2e-3, seed=5, progress=False)
    G, D = stack_models(make_g, make_d(**d_options), seeds)
    history = fit_stacked(G, D, gt.ring(), config=config)
    for m, seed in enumerate(seeds):
        g, d = _alone(seed, d_options)
        alone = gt.fit(g, d, gt.ring(), config=replace(config, seed=config.seed + 2 * m))
        # every weight of G, and the whole loss history, agree to float32 rounding
        for stacked, linear in zip([l for l in G.net if isinstance(l, StackedLinear)],
                                   [l for l in g.net if isinstance(l, nn.Linear)]):
            torch.testing.assert_close(stacked.weight[m], linear.weight.T, atol=1e-5, rtol=0)
            torch.testing.assert_close(stacked.bias[m, 0], linear.bias, atol=1e-5, rtol=0)
        np.testing.assert_allclose(history.d_loss[:, m], alone.d_loss, atol=1e-5)
        np.testing.assert_allclose(history.g_loss[:, m], alone.g_loss, atol=1e-5)


def test_stacked_training_follows_fit_on_tensor_data_with_per_model_learning_rates():
    data = gt.grid().sample(300, generator=torch.Generator().manual_seed(3))
    d_lrs, g_lrs = [1e-3, 4e-3], [2e-3, 5e-4]
    config = gt.TrainConfig(steps=15, batch_size=20, progress=False, seed=1)
    G, D = stack_models(make_g, make_d(), [7, 8])
    history = fit_stacked(G, D, data, gt.losses.least_squares, config, d_lr=d_lrs, g_lr=g_lrs)
    for m, seed in enumerate([7, 8]):
        g, d = _alone(seed, {})
        alone = gt.fit(g, d, data, gt.losses.least_squares,
                       replace(config, seed=1 + 2 * m, d_lr=d_lrs[m], g_lr=g_lrs[m]))
        np.testing.assert_allclose(history.g_loss[:, m], alone.g_loss, atol=1e-5)
        torch.testing.assert_close(G.net[-1].weight[m], g.net[-1].weight.T, atol=1e-5, rtol=0)


def test_stacked_adam_matches_torch_adam_per_model():
    torch.manual_seed(0)
    start = torch.randn(3, 4, 5)
    lrs = [1e-3, 1e-2, 3e-4]
    p = start.clone().requires_grad_(True)
    opt = StackedAdam([p], lrs, betas=(0.5, 0.9))
    singles = [start[m].clone().requires_grad_(True) for m in range(3)]
    torch_opts = [torch.optim.Adam([s], lr=lr, betas=(0.5, 0.9)) for s, lr in zip(singles, lrs)]
    for _ in range(6):
        grad = torch.randn(3, 4, 5)
        opt.step([grad])
        for m in range(3):
            singles[m].grad = grad[m].clone()
            torch_opts[m].step()
    for m in range(3):
        torch.testing.assert_close(p[m], singles[m], atol=1e-6, rtol=0)


def test_stacked_gradient_penalty_is_each_models_penalty_averaged():
    torch.manual_seed(0)
    ds = [gt.MLPDiscriminator(hidden=(8, 8)) for _ in range(3)]
    D = StackedDiscriminator(ds)
    real, fake = torch.randn(3, 10, 2), torch.randn(3, 10, 2)
    value = stacked_gradient_penalty(D, real, fake, generator=torch.Generator().manual_seed(4))
    eps = torch.rand(3, 10, 1, generator=torch.Generator().manual_seed(4))
    expected = []
    for m, d in enumerate(ds):   # the textbook formula, model by model
        x = (eps[m] * real[m] + (1 - eps[m]) * fake[m]).requires_grad_(True)
        (grad,) = torch.autograd.grad(d(x).sum(), x)
        expected.append((grad.norm(dim=1) - 1).pow(2).mean())
    torch.testing.assert_close(value, torch.stack(expected).mean(), atol=1e-6, rtol=1e-5)


def test_unrolled_logits_match_a_discriminator_trained_k_steps_and_their_gradient_flows_through():
    torch.set_default_dtype(torch.float64)
    try:
        torch.manual_seed(0)
        g, d = make_g(), make_d()()
        G, D = StackedGenerator([g]), StackedDiscriminator([d])
        opt = StackedAdam(list(D.parameters()), 0.05, betas=(0.5, 0.999))
        real, z = torch.randn(1, 16, 2), torch.randn(1, 16, 3)
        loss = gt.losses.non_saturating

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
            G2 = StackedGenerator([g2])
            return loss.g_loss(unrolled_logits(D, opt, loss, real, G2(z), steps=3)[0]).item()

        numeric = (surrogate_at(h) - surrogate_at(-h)) / (2 * h)
        assert (grad * direction).sum().item() == pytest.approx(numeric, rel=1e-5)
    finally:
        torch.set_default_dtype(torch.float32)


def test_unrolled_training_runs_and_changes_the_generator_step():
    config = gt.TrainConfig(steps=3, batch_size=16, progress=False)
    results = []
    for k in (0, 2):
        G, D = stack_models(make_g, make_d(), [0, 1])
        fit_stacked(G, D, gt.ring(), config=config, unroll_steps=k)
        results.append(G.net[0].weight.detach().clone())
    assert not torch.allclose(results[0], results[1])


def test_shared_streams_are_reproducible_and_differ_from_per_model_streams():
    config = gt.TrainConfig(steps=5, batch_size=16, progress=False)
    weights = []
    for shared in (True, True, False):
        G, D = stack_models(make_g, make_d(), [0, 1])
        fit_stacked(G, D, gt.ring(), config=config, per_model_streams=not shared)
        weights.append(G.net[0].weight.detach().clone())
    assert torch.equal(weights[0], weights[1])
    assert not torch.allclose(weights[0], weights[2])


def test_gradient_penalty_and_clipping_options_train():
    config = gt.TrainConfig(steps=4, batch_size=16, progress=False, clip=0.05)
    G, D = stack_models(make_g, make_d(), [0, 1])
    history = fit_stacked(G, D, gt.ring(), gt.losses.wasserstein, config, gradient_penalty=True)
    assert history.d_loss.shape == (4, 2) and torch.isfinite(history.d_loss).all()
    clip = torch.tensor(0.05).item()                                           # 0.05 in float32
    assert max(p.abs().max().item() for p in D.parameters()) == clip            # clipping was active


def test_protocol_initialises_orthogonal_weights_with_the_gain():
    g = VEEGAN_PROTOCOL.make_generator()
    w = g.net[2].weight                                                         # 128 × 128 hidden layer
    torch.testing.assert_close(w @ w.T, 1.4 ** 2 * torch.eye(128), atol=1e-4, rtol=0)
    assert torch.count_nonzero(g.net[2].bias) == 0
    d = VEEGAN_PROTOCOL.make_discriminator(Method("SN", spectral_norm=True, pack=2))
    assert d.pack == 2 and hasattr(d.net[0], "parametrizations")


def test_summarise_table_gives_mean_and_standard_error():
    rows = [dict(method="GAN", data="ring", modes=m, high_quality=h, reverse_kl=k)
            for m, h, k in [(1, 0.5, 2.0), (3, 0.7, 1.0), (2, 0.9, math.nan)]]
    (summary,) = summarise_table(rows)
    assert summary["n"] == 3
    assert summary["modes"] == pytest.approx((2.0, np.std([1, 3, 2], ddof=1) / math.sqrt(3)))
    assert summary["high_quality"] == pytest.approx((70.0, np.std([50, 70, 90], ddof=1) / math.sqrt(3)))
    assert summary["reverse_kl"] == pytest.approx((1.5, 0.5))                  # the NaN run left out


def test_mode_collapse_table_command_runs_tiny(tmp_path):
    out = tmp_path / "table.json"
    rows = main(["--steps", "3", "--seeds", "2", "--methods", "GAN", "PacGAN2", "--data", "ring",
                 "--device", "cpu", "--out", str(out)])
    stored = json.loads(out.read_text())
    assert len(rows) == 4 and len(stored["rows"]) == 4 and len(stored["summary"]) == 2
    assert {r["method"] for r in rows} == {"GAN", "PacGAN2"} and {r["seed"] for r in rows} == {0, 1}
    assert all(0 <= r["modes"] <= 8 and 0 <= r["high_quality"] <= 1 for r in rows)
    assert stored["protocol"]["steps"] == 3


@pytest.mark.slow   # two spawned processes each import torch
def test_mode_collapse_table_with_two_worker_processes_matches_one():
    protocol = replace(VEEGAN_PROTOCOL, latent_dim=4, hidden=(8, 8), batch_size=16, steps=3, n_eval=100)
    methods = [Method("GAN"), Method("PacGAN2", pack=2)]
    one = mode_collapse_table(protocol, methods, {"ring": gt.ring()}, [0, 1], device="cpu")
    two = mode_collapse_table(protocol, methods, {"ring": gt.ring()}, [0, 1], workers=2, device="cpu")
    strip = lambda rows: [{k: repr(v) for k, v in r.items() if k != "seconds"} for r in rows]  # nan == nan
    assert strip(one) == strip(two)


def test_chapter_methods_have_unique_names():
    names = [m.name for m in CHAPTER_METHODS]
    assert len(names) == len(set(names)) >= 5


def test_bad_input_raises_clear_errors():
    G, D = stack_models(make_g, make_d(), [0, 1])
    _, D3 = stack_models(make_g, make_d(), [0, 1, 2])
    _, D_sn = stack_models(make_g, make_d(spectral_norm=True), [0, 1])
    _, D_pack = stack_models(make_g, make_d(pack=3), [0, 1])
    config = gt.TrainConfig(steps=1, batch_size=16, progress=False)
    with pytest.raises(ValueError, match="same number of models"):
        fit_stacked(G, D3, gt.ring(), config=config)
    with pytest.raises(TypeError, match="StackedGenerator"):
        fit_stacked(make_g(), D, gt.ring(), config=config)
    with pytest.raises(TypeError, match="data"):
        fit_stacked(G, D, [1, 2, 3], config=config)
    with pytest.raises(ValueError, match="unroll_steps"):
        fit_stacked(G, D, gt.ring(), config=config, unroll_steps=-1)
    with pytest.raises(ValueError, match="spectral-norm"):
        fit_stacked(G, D_sn, gt.ring(), config=config, unroll_steps=2)
    with pytest.raises(ValueError, match="multiple of D's pack"):
        fit_stacked(G, D_pack, gt.ring(), config=config)
    with pytest.raises(ValueError, match="d_lr"):
        fit_stacked(G, D, gt.ring(), config=config, d_lr=[1e-3])
    with pytest.raises(ValueError, match="same architecture"):
        StackedGenerator([make_g(), gt.MLPGenerator(latent_dim=3, hidden=(8, 16))])
    with pytest.raises(TypeError, match="batch normalisation"):
        StackedGenerator([gt.MLPGenerator(batch_norm=True)] * 2)
    with pytest.raises(TypeError, match="MLPDiscriminator"):
        StackedDiscriminator([make_g()])
    with pytest.raises(ValueError, match="shape"):
        G(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match="seeds"):
        stack_models(make_g, make_d(), [])
    with pytest.raises(ValueError, match="workers"):
        mode_collapse_table(VEEGAN_PROTOCOL, CHAPTER_METHODS, {"ring": gt.ring()}, [0], workers=0)
    with pytest.raises(TypeError, match="Method"):
        mode_collapse_table(VEEGAN_PROTOCOL, ["GAN"], {"ring": gt.ring()}, [0])
    with pytest.raises(TypeError, match="Gaussian mixtures"):
        mode_collapse_table(VEEGAN_PROTOCOL, CHAPTER_METHODS, {"ring": [1, 2]}, [0])


def test_adam_update_has_the_same_values_and_a_finite_derivative_where_the_second_moment_is_zero():
    # Adam's v is exactly 0 for a parameter whose gradients were all 0 (a dead ReLU unit);
    # unrolling differentiates through the update, and d sqrt(v)/dv = inf there gave NaN.
    p = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    opt = StackedAdam([p.clone()], lr=0.1)
    g = torch.tensor([[0.5, 0.0, -2.0]], dtype=torch.float64, requires_grad=True)
    (new_p,), _ = opt.update([p], [g], opt.state)
    expected = p - 0.1 * torch.sign(g.detach()) * g.detach().abs() / (g.detach().abs() + 1e-8)
    torch.testing.assert_close(new_p, expected)                      # same values as before
    (grad,) = torch.autograd.grad(new_p.sum(), g)
    assert torch.isfinite(grad).all()
    # at g = 0 only m moves to first order: d/dg [-(lr / c1) (1 - b1) g / eps] = -(0.1 / 0.1) 0.1 / 1e-8
    assert grad[0, 1].item() == pytest.approx(-1e7)


def test_unrolled_training_with_relu_networks_stays_finite():
    relu_g = lambda: gt.MLPGenerator(latent_dim=3, hidden=(16, 16), activation=nn.ReLU)
    relu_d = lambda: gt.MLPDiscriminator(hidden=(16, 16), activation=nn.ReLU)
    G, D = stack_models(relu_g, relu_d, [0, 1, 2])
    with torch.no_grad():                    # a dead first-layer unit in D: its gradients are all 0
        D.net[0].weight[:, :, 0] = 0.0                                # weight [M, in, out]
        D.net[0].bias[:, 0] = -1.0
    fit_stacked(G, D, gt.ring(), config=gt.TrainConfig(steps=5, batch_size=32, progress=False), unroll_steps=2)
    assert all(torch.isfinite(p).all() for p in G.parameters())


def test_a_diverged_model_is_scored_nan_not_zero_modes(monkeypatch):
    import gantext.batched as batched
    real_fit = batched.fit_stacked

    def fit_then_break_model_1(G, D, *args, **kwargs):
        history = real_fit(G, D, *args, **kwargs)
        with torch.no_grad():
            G.net[-1].bias[1] = math.nan                               # model 1 diverged
        return history

    monkeypatch.setattr(batched, "fit_stacked", fit_then_break_model_1)
    protocol = replace(VEEGAN_PROTOCOL, latent_dim=3, hidden=(8, 8), batch_size=16, steps=2, n_eval=100)
    with pytest.warns(RuntimeWarning, match="not finite"):
        rows = mode_collapse_table(protocol, [Method("GAN")], {"ring": gt.ring()}, [0, 1, 2], device="cpu")
    assert [r["diverged"] for r in rows] == [False, True, False]
    assert math.isnan(rows[1]["modes"]) and math.isnan(rows[1]["high_quality"])
    assert not math.isnan(rows[0]["modes"])
    (summary,) = summarise_table(rows)
    assert summary["diverged"] == 1
    assert all(math.isnan(summary[k][0]) for k in ("modes", "high_quality", "reverse_kl"))
