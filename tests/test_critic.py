"""Tests of gantext.critic.fit_discriminator against closed forms and against gantext.train.d_step."""

import math

import numpy as np
import pytest
import torch

import gantext as gt
from gantext import theory
from gantext.critic import fit_discriminator


def test_a_trained_logistic_discriminator_approaches_d_star():
    # p = N(-1, 0.7²), q = N(1, 0.7²): the log-ratio ℓ*(x) = -4x / 0.98 is linear, so a Linear
    # layer can represent D* = σ(ℓ*) exactly, and Proposition 1 says training finds it.
    p, q = gt.Gaussian1D(-1.0, 0.7), gt.Gaussian1D(1.0, 0.7)
    torch.manual_seed(0)
    D = torch.nn.Linear(1, 1)
    losses = fit_discriminator(D, p, q, steps=800, batch_size=512, lr=0.05, seed=0)
    assert losses.shape == (800,) and losses.dtype == np.float64
    assert D.weight.item() == pytest.approx(-4 / 0.98, rel=0.1)
    assert D.bias.item() == pytest.approx(0.0, abs=0.2)
    x = np.linspace(-3, 3, 61)
    with torch.no_grad():
        d_hat = torch.sigmoid(D(torch.as_tensor(x, dtype=torch.float32)[:, None])).double().numpy()[:, 0]
    assert np.abs(d_hat - theory.optimal_discriminator(p, q, x)).max() < 0.03
    v = theory.value(D, p, q, logits=True)
    c = theory.value(lambda x: theory.optimal_logit(p, q, x), p, q, logits=True)
    assert c - 0.01 < v <= c                         # V(D, G) <= C(G) = max_D V, and close to it
    # the minibatch loss is -V(D, G): its last 200 steps average to -C = log 4 - 2 JSD
    assert losses[-200:].mean() == pytest.approx(-c, abs=0.01)


def test_clipping_keeps_every_weight_in_the_box():
    c = 0.01
    torch.manual_seed(0)
    critic = gt.MLPDiscriminator(data_dim=1, hidden=(16, 16))
    real = gt.GaussianMixture([[-2.0], [2.0]], 0.3).sample(500, generator=gt.rng(0))   # [500, 1]
    fake = gt.Gaussian1D(0.0, 1.0).sample(500, generator=gt.rng(1))                     # [500, 1]
    fit_discriminator(critic, real, fake, gt.losses.wasserstein, steps=100, batch_size=64,
                      opt=torch.optim.RMSprop(critic.parameters(), lr=5e-4), clip=c, seed=3)
    weights = torch.cat([p.detach().flatten() for p in critic.parameters()])
    assert weights.abs().max() <= c
    assert (weights.abs() == c).double().mean() > 0.3      # the critic pushes many weights to the wall


def test_each_step_is_d_step_against_the_fixed_fakes():
    # With a frozen generator as the fake distribution, fit_discriminator's steps are d_step's:
    # same loss pair, penalty and clipping, and the same two streams (data; noise for the latent
    # codes and the penalty's interpolation weights) give the same D, bit for bit.
    data, seed, n = gt.Gaussian1D(1.0, 0.5), 4, 32
    G = gt.MLPGenerator(latent_dim=2, data_dim=1, hidden=(8,))
    D1 = gt.MLPDiscriminator(data_dim=1, hidden=(8, 8))
    D2 = gt.MLPDiscriminator(data_dim=1, hidden=(8, 8))
    D2.load_state_dict(D1.state_dict())
    start = [p.detach().clone() for p in D1.parameters()]
    fit_discriminator(D1, data, G, gt.losses.wasserstein, steps=3, batch_size=n,
                      penalty=gt.gradient_penalty, penalty_weight=5.0, clip=0.5, seed=seed)
    noise, draws = gt.training_streams(seed)
    opt = torch.optim.Adam(D2.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for _ in range(3):
        gt.d_step(G, D2, data.sample(n, generator=draws), gt.losses.wasserstein, opt,
                  penalty=gt.gradient_penalty, penalty_weight=5.0, clip=0.5, noise=noise)
    for a, b in zip(D1.parameters(), D2.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not all(torch.equal(a, before) for a, before in zip(D1.parameters(), start))


def test_sample_tensors_are_drawn_by_row_and_the_seed_fixes_the_run():
    real, fake = torch.randn(200, 2, generator=gt.rng(0)), torch.randn(300, 2, generator=gt.rng(1)) + 1

    def run(seed):
        torch.manual_seed(0)
        D = gt.MLPDiscriminator(data_dim=2, hidden=(8,))
        return fit_discriminator(D, real, fake, steps=20, batch_size=16, seed=seed)

    first, again, other = run(0), run(0), run(1)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert np.all(np.isfinite(first))


def test_a_non_finite_loss_raises_before_the_step():
    class Broken:
        def sample(self, n, generator=None):
            return torch.full((n, 1), math.nan)

    D = torch.nn.Linear(1, 1)
    before = [p.detach().clone() for p in D.parameters()]
    with pytest.raises(gt.TrainingDiverged, match="step 1"):
        fit_discriminator(D, gt.Gaussian1D(), Broken(), steps=5)
    assert all(torch.equal(a, b) for a, b in zip(before, D.parameters()))


LINEAR = torch.nn.Linear(1, 1)
P = gt.Gaussian1D()


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(D=lambda x: x), TypeError, "nn.Module"),
    (dict(D=torch.nn.ReLU()), ValueError, "parameters"),
    (dict(real=3.0), TypeError, "real must be a distribution"),
    (dict(fake=torch.zeros(4, 1, dtype=torch.int64)), TypeError, "fake must be a floating-point"),
    (dict(fake=torch.tensor([[math.inf]])), ValueError, "fake holds NaN or infinite"),
    (dict(loss="wasserstein"), TypeError, "GANLoss"),
    (dict(steps=0), ValueError, "steps"),
    (dict(batch_size=2.5), TypeError, "batch_size"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(lr=0.0), ValueError, "lr"),
    (dict(betas=(0.5, 1.0)), ValueError, "betas"),
    (dict(opt=torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)), ValueError, "D's parameters"),
    (dict(opt=torch.optim.SGD(LINEAR.parameters(), lr=0.1), lr=0.1), ValueError, "lr and betas"),
    (dict(penalty="gp"), TypeError, "penalty"),
    (dict(penalty_weight=-1.0), ValueError, "penalty_weight"),
    (dict(clip=0.0), ValueError, "clip"),
])
def test_bad_arguments_raise_before_any_work(kwargs, error, message):
    args = dict(D=LINEAR, real=P, fake=P) | kwargs
    before = [p.detach().clone() for p in LINEAR.parameters()]
    with pytest.raises(error, match=message):
        fit_discriminator(args.pop("D"), args.pop("real"), args.pop("fake"), **args)
    assert all(torch.equal(a, b) for a, b in zip(before, LINEAR.parameters()))


@pytest.mark.gpu
def test_a_cuda_discriminator_trains_on_cpu_distributions():
    p, q = gt.Gaussian1D(-1.0, 0.7), gt.Gaussian1D(1.0, 0.7)
    D = torch.nn.Linear(1, 1).cuda()
    losses = fit_discriminator(D, p, q, steps=50, batch_size=64, lr=0.05, seed=0)
    assert losses.shape == (50,) and np.all(np.isfinite(losses))
    assert D.weight.item() < 0                        # moving towards ℓ*(x) = -4x / 0.98
