"""Regularisers of the discriminator (critic).

The penalties return a scalar tensor that the caller multiplies by its weight and adds to the
discriminator loss; they never call ``backward()`` or step an optimiser. Weight clipping is the
one in-place operation and is named with a trailing underscore, like PyTorch's own in-place ops.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from . import _check

__all__ = ["interpolates", "gradient_penalty", "r1_penalty", "clip_weights_"]


def _check_critic(critic) -> None:
    _check.function(critic, "critic", "a module (or function) mapping samples to scores")


def _check_pair(real, fake) -> None:
    """Metadata of a real and a fake batch: tensors, not meta, floating, same shape [n, ...]."""
    _check.tensor(real, "real", floating=True)
    _check.tensor(fake, "fake", floating=True)
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape [n, ...], got "
                         f"{list(real.shape)} and {list(fake.shape)}")
    if real.device != fake.device:
        raise ValueError(f"real and fake must be on one device, got {real.device} and {fake.device}")


def _input_gradient(critic: nn.Module, x: Tensor, name: str) -> Tensor:
    """∇ₓ f(x) for each row of ``x``, kept in the graph so the penalty can be differentiated;
    ``name`` is the argument ``x`` comes from, for the critic's errors."""
    x = x.detach().requires_grad_(True)
    scores = _check.passed_on(name, critic, x)
    if not isinstance(scores, Tensor) or scores.numel() != x.shape[0]:
        raise ValueError(f"critic must return one score per sample ({x.shape[0]}), got "
                         f"{list(scores.shape) if isinstance(scores, Tensor) else type(scores).__name__}")
    (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
    return grad.flatten(1)                                                      # [n, prod(shape)]


def interpolates(real: Tensor, fake: Tensor, generator: torch.Generator | None = None) -> Tensor:
    r"""Points :math:`\hat x_i = \epsilon_i x_i + (1 - \epsilon_i)\tilde x_i` with one
    :math:`\epsilon_i \sim U[0, 1]` per sample, on the segments between paired real and fake
    samples of any shape ``[n, ...]``: where WGAN-GP (Gulrajani et al., 2017) measures and
    penalises the critic's gradient. Returns a detached tensor of the same shape.
    NaN or infinite samples raise."""
    _check_pair(real, fake)
    _check.generator(generator)
    _check.finite_array(real, "real")
    _check.finite_array(fake, "fake")
    return _interpolates(real, fake, generator)


def _interpolates(real: Tensor, fake: Tensor, generator: torch.Generator | None) -> Tensor:
    eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    if generator is None:
        eps = torch.rand(eps_shape, device=real.device, dtype=real.dtype)       # [n, 1, ...]
    else:
        eps = torch.rand(eps_shape, generator=generator, device=generator.device).to(real)
    return eps * real.detach() + (1 - eps) * fake.detach()                      # [n, ...]


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor, target: float = 1.0,
                     generator: torch.Generator | None = None) -> Tensor:
    r"""The WGAN-GP penalty of Gulrajani et al. (2017):

    .. math:: \mathbb E_{\hat x}\big[(\lVert \nabla_{\hat x} f(\hat x) \rVert_2 - t)^2\big],
       \quad \hat x = \epsilon x + (1 - \epsilon)\tilde x,\ \epsilon \sim U[0, 1],

    with **one** ε per sample (not one per batch) and **one** norm per sample (not one over the
    batch), for inputs of any shape ``[n, ...]``. ``target`` is t (1 in the paper).
    Multiply by λ (10 in the paper) and add to the critic loss. NaN or infinite samples raise.
    """
    _check_critic(critic)
    _check_pair(real, fake)
    _check.number(target, "target", low=0)
    _check.generator(generator)
    _check.tensor(real, "real", finite=True)
    _check.tensor(fake, "fake", finite=True)
    grad = _input_gradient(critic, _interpolates(real, fake, generator), "real and fake")  # [n, D]
    return (grad.norm(dim=1) - target).pow(2).mean()


def r1_penalty(critic: nn.Module, real: Tensor, fake: Tensor | None = None) -> Tensor:
    r"""The zero-centred R1 penalty of Mescheder et al. (2018) on real data:
    :math:`\mathbb E_{x \sim p_\text{data}} \lVert \nabla_x f(x) \rVert_2^2`.

    The paper's regulariser is (γ/2) times this value. NaN or infinite samples raise.
    ``fake`` is accepted and not used (R1 looks at real data only), so the penalty has the
    signature ``penalty(D, real, fake)`` that :func:`gantext.fit` calls: ``penalty=gt.r1_penalty``.
    """
    _check_critic(critic)
    _check.tensor(real, "real", floating=True)
    if fake is not None:
        _check.tensor(fake, "fake", floating=True)
        if fake.shape[1:] != real.shape[1:]:
            raise ValueError(f"fake must have samples of real's shape {list(real.shape[1:])}, "
                             f"got {list(fake.shape)}")
    _check.tensor(real, "real", finite=True)
    return _input_gradient(critic, real, "real").pow(2).sum(dim=1).mean()


@torch.no_grad()
def clip_weights_(module: nn.Module, c: float) -> nn.Module:
    """Clamp every parameter of ``module`` to [−c, c] in place (WGAN, Arjovsky et al., 2017)."""
    _check.module(module, "module")
    _check.number(c, "c", low=0, low_open=True)
    for p in module.parameters():
        p.clamp_(-c, c)
    return module
