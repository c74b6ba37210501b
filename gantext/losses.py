"""Losses: the (discriminator, generator) objective pairs of the book, as pure functions of logits.

Each loss is a :class:`GANLoss`, a named pair of functions::

    gt.losses.non_saturating.d_loss(real_logits, fake_logits)  # scalar, minimised by D
    gt.losses.non_saturating.g_loss(fake_logits)               # scalar, minimised by G

Inputs are the discriminator's raw outputs ``l`` (logits); ``D = sigmoid(l)``. Written with
``softplus`` so that no ``log(0)`` can occur: ``-log sigmoid(l) = softplus(-l)`` and
``-log(1 - sigmoid(l)) = softplus(l)``. Every formula below is pinned by a test
(``tests/test_losses.py``) that evaluates the textbook expression directly.

Chapter 1 explains why the *minimax* (saturating) and *non-saturating* generator losses share a
fixed point but not their gradients; chapter 4 derives the Wasserstein and hinge losses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

def _scores(x, name: str) -> None:
    """``x`` is a non-empty floating tensor of one score per sample, ``[n]`` (or ``[n, 1]``).

    Only metadata is read (no values), so the check costs nothing, works under ``torch.vmap``
    (the stacked models of :mod:`gantext.stacked`) and never synchronises a GPU."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a tensor of the discriminator's scores [n], got "
                        f"{type(x).__name__}")
    if x.device.type == "meta":
        raise ValueError(f"{name} is a meta tensor, which holds no values")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor of scores, got dtype {x.dtype}")
    if not (x.dim() == 1 or (x.dim() == 2 and x.shape[1] == 1)):
        raise ValueError(f"{name} must have shape [n] (or [n, 1]): one score per sample, got "
                         f"{list(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one score; got an empty batch")


def _pair(real, fake, prefix: str) -> None:
    _scores(real, f"{prefix}real")
    _scores(fake, f"{prefix}fake")


__all__ = ["GANLoss", "minimax", "non_saturating", "wasserstein", "hinge", "least_squares",
           "auxiliary_classifier"]


@dataclass(frozen=True)
class GANLoss:
    """A named pair of pure functions: ``d_loss(real, fake)`` and ``g_loss(fake)``."""

    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[[Tensor], Tensor]

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty string, got {self.name!r}")
        if not callable(self.d_loss) or not callable(self.g_loss):
            raise TypeError("d_loss and g_loss must be functions d_loss(real, fake) and g_loss(fake)")

    def __repr__(self) -> str:
        return f"GANLoss({self.name})"


def bce_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The discriminator's cross-entropy loss, the negative of the value function:

    .. math:: L_D = -\mathbb E_{x\sim p_\text{data}}[\log D(x)] - \mathbb E_{z}[\log(1 - D(G(z)))].
    """
    _scores(real_logits, "real_logits")
    _scores(fake_logits, "fake_logits")
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_g_loss(fake_logits: Tensor) -> Tensor:
    r"""The saturating generator loss of the original minimax game:

    .. math:: L_G = \mathbb E_{z}[\log(1 - D(G(z)))].

    Its gradient with respect to the logit is ``-D(G(z))``: it vanishes when D confidently
    rejects the fakes, which is exactly the situation early in training.
    """
    _scores(fake_logits, "fake_logits")
    return -F.softplus(fake_logits).mean()


def non_saturating_g_loss(fake_logits: Tensor) -> Tensor:
    r"""The non-saturating generator loss (Goodfellow et al., 2014, §3):

    .. math:: L_G = -\mathbb E_{z}[\log D(G(z))].

    Same fixed point as the minimax loss; the gradient with respect to the logit is
    ``-(1 - D(G(z)))``, large exactly where the minimax gradient vanishes.
    """
    _scores(fake_logits, "fake_logits")
    return F.softplus(-fake_logits).mean()


def wasserstein_d_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""The critic's loss of WGAN (Arjovsky et al., 2017):

    .. math:: L_D = \mathbb E_{z}[f(G(z))] - \mathbb E_{x}[f(x)],

    the negative of the Kantorovich–Rubinstein estimate of W₁ when f is 1-Lipschitz.
    """
    _scores(real_scores, "real_scores")
    _scores(fake_scores, "fake_scores")
    return fake_scores.mean() - real_scores.mean()


def wasserstein_g_loss(fake_scores: Tensor) -> Tensor:
    r"""The WGAN generator loss, :math:`L_G = -\mathbb E_{z}[f(G(z))]`."""
    _scores(fake_scores, "fake_scores")
    return -fake_scores.mean()


def hinge_d_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""The hinge discriminator loss (Lim & Ye, 2017; Miyato et al., 2018):

    .. math:: L_D = \mathbb E_{x}[\max(0, 1 - f(x))] + \mathbb E_{z}[\max(0, 1 + f(G(z)))].
    """
    _scores(real_scores, "real_scores")
    _scores(fake_scores, "fake_scores")
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


def least_squares_d_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""The least-squares discriminator loss (Mao et al., 2017) with targets a = 0, b = 1:

    .. math:: L_D = \tfrac12 \mathbb E_{x}[(f(x) - 1)^2] + \tfrac12 \mathbb E_{z}[f(G(z))^2].
    """
    _scores(real_scores, "real_scores")
    _scores(fake_scores, "fake_scores")
    return 0.5 * (real_scores - 1).pow(2).mean() + 0.5 * fake_scores.pow(2).mean()


def least_squares_g_loss(fake_scores: Tensor) -> Tensor:
    r"""The least-squares generator loss with target c = 1,
    :math:`L_G = \tfrac12 \mathbb E_{z}[(f(G(z)) - 1)^2]`."""
    _scores(fake_scores, "fake_scores")
    return 0.5 * (fake_scores - 1).pow(2).mean()


minimax = GANLoss("minimax", bce_d_loss, minimax_g_loss)
non_saturating = GANLoss("non_saturating", bce_d_loss, non_saturating_g_loss)
wasserstein = GANLoss("wasserstein", wasserstein_d_loss, wasserstein_g_loss)
hinge = GANLoss("hinge", hinge_d_loss, wasserstein_g_loss)
least_squares = GANLoss("least_squares", least_squares_d_loss, least_squares_g_loss)


def auxiliary_classifier(base: GANLoss = non_saturating, weight: float = 1.0) -> GANLoss:
    r"""The AC-GAN loss pair (Odena, Olah & Shlens, 2017; chapter 7) built on an adversarial ``base``.

    The discriminator returns an :class:`~gantext.models.ACGANOutput` ``(logits, class_logits,
    labels)``. With the class cross-entropy
    :math:`L_C(x, y) = -\log q(y \mid x)` (mean over the batch),

    .. math::

        L_D = L_D^{\text{base}}(\ell_\text{real}, \ell_\text{fake})
              + w\,\big(L_C(x, y) + L_C(G(z, y), y)\big), \qquad
        L_G = L_G^{\text{base}}(\ell_\text{fake}) + w\, L_C(G(z, y), y).

    Both players *minimise* the classification loss on fakes: D learns to classify, G learns to
    draw images that D's classifier files under the requested class. ``weight`` is w (the paper: 1).
    """
    if not isinstance(base, GANLoss):
        raise TypeError(f"base must be a GANLoss such as gt.losses.non_saturating, got {base!r}")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight >= 0 \
            or weight == float("inf"):
        raise ValueError(f"weight must be a finite number >= 0, got {weight!r}")

    def check(out, name: str) -> None:
        if not all(hasattr(out, f) for f in ("logits", "class_logits", "labels")):
            raise TypeError(f"{name} must be an ACGANOutput (logits, class_logits, labels) from "
                            f"gt.ACGANDiscriminator, got {type(out).__name__}")
        _scores(out.logits, f"{name}.logits")
        cl, labels = out.class_logits, out.labels
        if not isinstance(cl, Tensor) or cl.dim() != 2 or cl.shape[0] != out.logits.shape[0]:
            raise ValueError(f"{name}.class_logits must have shape [n, K] with n = "
                             f"{out.logits.shape[0]}, got {getattr(cl, 'shape', type(cl).__name__)}")
        if not isinstance(labels, Tensor) or labels.dtype != torch.long \
                or tuple(labels.shape) != (cl.shape[0],):
            raise ValueError(f"{name}.labels must be an int64 tensor of shape [{cl.shape[0]}], got "
                             f"{getattr(labels, 'dtype', type(labels).__name__)} "
                             f"{list(getattr(labels, 'shape', []))}")
        if bool(((labels < 0) | (labels >= cl.shape[1])).any()):
            raise ValueError(f"{name}.labels must be classes in 0..{cl.shape[1] - 1}, got "
                             f"{labels.min().item()}..{labels.max().item()}")

    def class_loss(out) -> Tensor:
        return F.cross_entropy(out.class_logits.float(), out.labels)

    def d_loss(real, fake) -> Tensor:
        check(real, "real")
        check(fake, "fake")
        return base.d_loss(real.logits, fake.logits) + weight * (class_loss(real) + class_loss(fake))

    def g_loss(fake) -> Tensor:
        check(fake, "fake")
        return base.g_loss(fake.logits) + weight * class_loss(fake)

    return GANLoss(f"AC-{base.name}", d_loss, g_loss)
