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

__all__ = ["GANLoss", "minimax", "non_saturating", "wasserstein", "hinge", "least_squares",
           "auxiliary_classifier"]


@dataclass(frozen=True)
class GANLoss:
    """A named pair of pure functions: ``d_loss(real, fake)`` and ``g_loss(fake)``."""

    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[[Tensor], Tensor]

    def __repr__(self) -> str:
        return f"GANLoss({self.name})"


def bce_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The discriminator's cross-entropy loss, the negative of the value function:

    .. math:: L_D = -\mathbb E_{x\sim p_\text{data}}[\log D(x)] - \mathbb E_{z}[\log(1 - D(G(z)))].
    """
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_g_loss(fake_logits: Tensor) -> Tensor:
    r"""The saturating generator loss of the original minimax game:

    .. math:: L_G = \mathbb E_{z}[\log(1 - D(G(z)))].

    Its gradient with respect to the logit is ``-D(G(z))``: it vanishes when D confidently
    rejects the fakes, which is exactly the situation early in training.
    """
    return -F.softplus(fake_logits).mean()


def non_saturating_g_loss(fake_logits: Tensor) -> Tensor:
    r"""The non-saturating generator loss (Goodfellow et al., 2014, §3):

    .. math:: L_G = -\mathbb E_{z}[\log D(G(z))].

    Same fixed point as the minimax loss; the gradient with respect to the logit is
    ``-(1 - D(G(z)))``, large exactly where the minimax gradient vanishes.
    """
    return F.softplus(-fake_logits).mean()


def wasserstein_d_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""The critic's loss of WGAN (Arjovsky et al., 2017):

    .. math:: L_D = \mathbb E_{z}[f(G(z))] - \mathbb E_{x}[f(x)],

    the negative of the Kantorovich–Rubinstein estimate of W₁ when f is 1-Lipschitz.
    """
    return fake_scores.mean() - real_scores.mean()


def wasserstein_g_loss(fake_scores: Tensor) -> Tensor:
    r"""The WGAN generator loss, :math:`L_G = -\mathbb E_{z}[f(G(z))]`."""
    return -fake_scores.mean()


def hinge_d_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""The hinge discriminator loss (Lim & Ye, 2017; Miyato et al., 2018):

    .. math:: L_D = \mathbb E_{x}[\max(0, 1 - f(x))] + \mathbb E_{z}[\max(0, 1 + f(G(z)))].
    """
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


def least_squares_d_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""The least-squares discriminator loss (Mao et al., 2017) with targets a = 0, b = 1:

    .. math:: L_D = \tfrac12 \mathbb E_{x}[(f(x) - 1)^2] + \tfrac12 \mathbb E_{z}[f(G(z))^2].
    """
    return 0.5 * (real_scores - 1).pow(2).mean() + 0.5 * fake_scores.pow(2).mean()


def least_squares_g_loss(fake_scores: Tensor) -> Tensor:
    r"""The least-squares generator loss with target c = 1,
    :math:`L_G = \tfrac12 \mathbb E_{z}[(f(G(z)) - 1)^2]`."""
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

    def class_loss(out) -> Tensor:
        return F.cross_entropy(out.class_logits.float(), out.labels)

    def d_loss(real, fake) -> Tensor:
        return base.d_loss(real.logits, fake.logits) + weight * (class_loss(real) + class_loss(fake))

    def g_loss(fake) -> Tensor:
        return base.g_loss(fake.logits) + weight * class_loss(fake)

    return GANLoss(f"AC-{base.name}", d_loss, g_loss)
