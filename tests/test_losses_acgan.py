"""gt.losses.auxiliary_classifier: the AC-GAN loss pair (chapter 7), pinned to its formula."""

import numpy as np
import pytest
import torch

import gantext as gt


def _log_softmax(a: np.ndarray) -> np.ndarray:
    a = a - a.max(axis=1, keepdims=True)
    return a - np.log(np.exp(a).sum(axis=1, keepdims=True))


def _softplus(t: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(t))


def _outputs(seed: int, n: int = 7, k: int = 4):
    g = torch.Generator().manual_seed(seed)
    return gt.ACGANOutput(torch.randn(n, generator=g, dtype=torch.float64),
                          torch.randn(n, k, generator=g, dtype=torch.float64),
                          torch.randint(k, (n,), generator=g))


@pytest.mark.parametrize("weight", [0.0, 1.0, 2.5])
def test_acgan_losses_are_the_adversarial_loss_plus_w_times_class_cross_entropy(weight):
    real, fake = _outputs(0), _outputs(1)
    loss = gt.losses.auxiliary_classifier(gt.losses.non_saturating, weight)

    def nll(out):  # −log q(y | x), averaged over the batch, in NumPy float64
        lp = _log_softmax(out.class_logits.numpy())
        return -lp[np.arange(len(out.labels)), out.labels.numpy()].mean()

    lr, lf = real.logits.numpy(), fake.logits.numpy()
    d_expected = _softplus(-lr).mean() + _softplus(lf).mean() + weight * (nll(real) + nll(fake))
    g_expected = _softplus(-lf).mean() + weight * nll(fake)
    assert loss.d_loss(real, fake).item() == pytest.approx(d_expected, rel=1e-6)
    assert loss.g_loss(fake).item() == pytest.approx(g_expected, rel=1e-6)
    assert loss.name == "AC-non_saturating"


def test_acgan_generator_is_rewarded_for_the_requested_class():
    """Raising the logit of the requested class lowers G's loss; raising another class's raises it."""
    fake = _outputs(2)
    loss = gt.losses.auxiliary_classifier()
    rows = torch.arange(len(fake.labels))
    better = fake.class_logits.clone()
    better[rows, fake.labels] += 1.0
    worse = fake.class_logits.clone()
    worse[rows, (fake.labels + 1) % 4] += 1.0
    base = loss.g_loss(fake).item()
    assert loss.g_loss(fake._replace(class_logits=better)).item() < base
    assert loss.g_loss(fake._replace(class_logits=worse)).item() > base


def test_bad_arguments_raise():
    with pytest.raises(TypeError, match="base must be a GANLoss"):
        gt.losses.auxiliary_classifier("non_saturating")
    for weight in (-1.0, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="weight must be a finite number >= 0"):
            gt.losses.auxiliary_classifier(weight=weight)
