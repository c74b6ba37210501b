"""Tests for gantext.stacked.networks: a stack of M networks computes what each computes alone."""

import pytest
import torch
from torch import nn

import gantext as gt
from gantext.stacked import StackedDiscriminator, StackedGenerator, orthogonal_init_, stack_models


def make_g():
    return gt.MLPGenerator(latent_dim=3, hidden=(16, 16))


def make_d(**options):
    return lambda: gt.MLPDiscriminator(hidden=(16, 16), **options)


def test_orthogonal_init_gives_orthogonal_weights_with_the_gain_and_zero_biases():
    model = orthogonal_init_(gt.MLPDiscriminator(hidden=(32, 32), spectral_norm=True), gain=1.4)
    for layer in (m for m in model.modules() if isinstance(m, nn.Linear)):
        w = layer.parametrizations.weight.original                             # [out, in]
        small = min(w.shape)
        gram = w @ w.T if w.shape[0] == small else w.T @ w                      # [small, small]
        torch.testing.assert_close(gram, 1.4 ** 2 * torch.eye(small), atol=1e-4, rtol=0)
        assert torch.count_nonzero(layer.bias) == 0


def test_stacked_models_compute_what_each_model_computes_alone():
    torch.manual_seed(0)
    gs = [make_g() for _ in range(3)]
    ds = [make_d(pack=2, minibatch_std=True)() for _ in range(3)]
    G, D = StackedGenerator(gs), StackedDiscriminator(ds)
    z = torch.randn(3, 8, 3)
    x = G(z)                                                                    # [3, 8, 2]
    for m in range(3):
        torch.testing.assert_close(x[m], gs[m](z[m]))
        torch.testing.assert_close(D(x)[m], ds[m](x[m]))


@pytest.mark.parametrize("training", [True, False])
def test_stacked_spectral_norm_runs_the_power_iteration_of_each_model(training):
    G, D = stack_models(make_g, make_d(spectral_norm=True), [0, 1])
    alone = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        make_g()
        alone.append(make_d(spectral_norm=True)())
    D.train(training)
    x = torch.randn(2, 8, 2)
    for _ in range(3):   # u and v move on every forward pass in training mode, for each model
        logits = D(x)                                                           # [2, 8]
        for m, d in enumerate(alone):
            d.train(training)
            torch.testing.assert_close(logits[m], d(x[m]), atol=1e-6, rtol=1e-5)


def test_stack_models_builds_the_networks_each_seed_builds_alone():
    G, D = stack_models(make_g, make_d(), [4, 9])
    z = torch.randn(2, 5, 3)
    for m, seed in enumerate((4, 9)):
        torch.manual_seed(seed)
        g, d = make_g(), make_d()()
        torch.testing.assert_close(G(z)[m], g(z[m]))
        torch.testing.assert_close(D(G(z))[m], d(g(z[m])))
