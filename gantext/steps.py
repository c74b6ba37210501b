"""The two updates of Algorithm 1 (Goodfellow et al., 2014), as plain functions.

``d_step`` makes one discriminator update and ``g_step`` one generator update. ``gt.fit`` runs the
same two updates (:func:`update_d` and :func:`update_g`) in a loop; it only saves work the
mathematics does not need (see :func:`gantext.train.fit`). Chapter 1 reads these functions.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
from typing import Callable

import torch
from torch import Tensor, nn

from . import _check
from . import losses as _losses
from .models import (ACGANDiscriminator, DCGANDiscriminator, MinibatchStdDev, MLPDiscriminator,
                     latent_noise)
from .penalties import clip_weights_

__all__ = ["TrainingDiverged", "d_step", "g_step", "update_d", "update_g"]

Penalty = Callable[..., Tensor]


class TrainingDiverged(RuntimeError):
    """Raised when a loss becomes NaN or infinite: by ``d_step``/``g_step`` before the optimiser
    steps, and by ``fit`` naming the step and the last finite losses."""


def forward(model: nn.Module, x: Tensor, labels: Tensor | None) -> Tensor:
    """``model(x, labels)`` for a conditional model (one with ``n_classes``), else ``model(x)``:
    labels reach only the models that use them."""
    return model(x, labels) if labels is not None and hasattr(model, "n_classes") else model(x)


def autocast(device: torch.device, enabled: bool):
    """bf16 mixed precision for forward passes on CUDA when ``enabled`` (never on the CPU):
    parameters, gradients and optimiser state stay float32, and bf16 has float32's exponent
    range, so no loss scaling is needed. When not enabled, autocast is switched off inside (a
    caller's own autocast region included); outside any such region that needs no context."""
    on = enabled and device.type == "cuda"
    if not on and not _check._autocast(device.type):
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=on)


def parameters_of(opt: torch.optim.Optimizer) -> list[Tensor]:
    """The parameters ``opt`` updates, in its order."""
    return [p for group in opt.param_groups for p in group["params"]]


def finite(loss: Tensor) -> bool:
    """Whether every entry of ``loss`` is finite (a host read: on a GPU it waits for the device)."""
    loss = loss.detach()
    return math.isfinite(loss.item()) if loss.numel() == 1 else bool(torch.isfinite(loss).all())


def backward_and_step(loss: Tensor, opt: torch.optim.Optimizer) -> None:
    """Minimise ``loss`` by one step of ``opt``: gradients are computed for ``opt``'s parameters
    only (those of the other network are neither computed nor touched) and replace, not add to,
    the previous step's. The same update as ``opt.zero_grad(); loss.backward(); opt.step()`` with
    the other network frozen, without the bookkeeping that costs more than the arithmetic at the
    book's sizes."""
    trainable = []
    for p in parameters_of(opt):
        p.grad = None
        if p.requires_grad:
            trainable.append(p)
    if not trainable:
        raise ValueError(f"every parameter of the optimiser ({type(opt).__name__}) has "
                         "requires_grad=False: there is nothing to train")
    loss.backward(inputs=trainable)
    opt.step()


def batch_independent(D: nn.Module) -> bool:
    """Whether ``D``'s output for one sample ignores the rest of its batch, so that real and fake
    samples may share one forward pass. Known only for gantext's discriminators: batch norm, the
    minibatch-std feature and packing couple a batch; any other module is assumed to couple it.
    (AC-GAN's discriminator returns a tuple of heads, which a joint pass would have to split too:
    it keeps separate passes.)"""
    if not isinstance(D, (MLPDiscriminator, DCGANDiscriminator)) or getattr(D, "pack", 1) != 1 \
            or isinstance(D, ACGANDiscriminator):
        return False
    return not any(isinstance(m, (nn.modules.batchnorm._BatchNorm, MinibatchStdDev))
                   for m in D.modules())


@functools.lru_cache(maxsize=64)   # update_d asks at every step; inspecting a signature is slow
def takes_generator(penalty: Penalty | None) -> bool:
    """Whether ``penalty`` accepts a ``generator=`` keyword (``gt.gradient_penalty`` does): then the
    training loop passes its noise stream, and the run depends on its seed alone."""
    if penalty is None:
        return False
    try:
        return "generator" in inspect.signature(penalty).parameters
    except (TypeError, ValueError):
        return False


def update_d(D: nn.Module, real: Tensor, fake: Tensor, loss: _losses.GANLoss,
             d_opt: torch.optim.Optimizer, *, labels: Tensor | None = None,
             penalty: Penalty | None = None, penalty_weight: float = 10.0,
             clip: float | None = None, noise: torch.Generator | None = None,
             joint: bool = False, mixed_precision: bool = False,
             check_finite: bool = True) -> Tensor:
    """Minimise ``loss.d_loss`` (+ λ·penalty) over D's parameters on given real and fake batches;
    clip D's weights if asked. Returns the loss without the penalty. ``joint=True`` sends real and
    fake through D in one pass (only for a ``batch_independent`` D; same mathematics).
    ``check_finite`` refuses a NaN/inf loss before the optimiser steps (a host sync: ``fit``
    checks on the device instead when the device is a GPU)."""
    fake = fake.detach()
    with autocast(real.device, mixed_precision):
        if joint:
            logits = forward(D, torch.cat([real, fake]),                         # [2n, 1]
                             None if labels is None else torch.cat([labels, labels]))
            d_loss = loss.d_loss(logits[:real.shape[0]], logits[real.shape[0]:])
        else:
            # Real and fake batches go through D separately: batch statistics (batch norm, the
            # minibatch-std feature, packing) must never mix the two.
            d_loss = loss.d_loss(forward(D, real, labels), forward(D, fake, labels))
        total = d_loss
        if penalty is not None:
            draws = {"generator": noise} if takes_generator(penalty) else {}
            total = d_loss + penalty_weight * penalty(D, real, fake, **draws)
    if check_finite and not finite(total):
        raise TrainingDiverged(f"the discriminator loss{' with its penalty' if penalty else ''} is "
                               f"{total.item()}: training diverged (or its inputs hold NaN/inf); "
                               "D was not updated")
    backward_and_step(total, d_opt)
    if clip is not None:
        clip_weights_(D, clip)
    return d_loss.detach()


def update_g(D: nn.Module, fake: Tensor, loss: _losses.GANLoss, g_opt: torch.optim.Optimizer, *,
             labels: Tensor | None = None, mixed_precision: bool = False,
             check_finite: bool = True) -> Tensor:
    """Minimise ``loss.g_loss(D(fake))`` over G's parameters, where ``fake`` = G(z) carries G's
    graph. Only ``g_opt``'s parameters receive gradients: none is computed for D's, and D's
    ``.grad`` are left as they were."""
    with autocast(fake.device, mixed_precision):
        g_loss = loss.g_loss(forward(D, fake, labels))
    if check_finite and not finite(g_loss):
        raise TrainingDiverged(f"the generator loss is {g_loss.item()}: training diverged (or "
                               "its inputs hold NaN/inf); G was not updated")
    backward_and_step(g_loss, g_opt)
    return g_loss.detach()


def check_models(G, D) -> None:
    if not isinstance(G, nn.Module) or not hasattr(G, "latent_dim"):
        raise TypeError("G must be a generator module with a latent_dim attribute (e.g. "
                        f"gt.MLPGenerator), got {type(G).__name__}")
    if not isinstance(D, nn.Module):
        raise TypeError(f"D must be a discriminator module (e.g. gt.MLPDiscriminator), got {type(D).__name__}")


def check_optimizer(opt, model: nn.Module, name: str, model_name: str) -> None:
    """``opt`` is an optimiser that updates only ``model``'s parameters (at least one)."""
    if not isinstance(opt, torch.optim.Optimizer):
        raise TypeError(f"{name} must be a torch.optim.Optimizer over {model_name}'s parameters, "
                        f"got {type(opt).__name__}")
    own = {id(p) for p in model.parameters()}
    params = parameters_of(opt)
    foreign = sum(id(p) not in own for p in params)
    if not params or foreign:
        raise ValueError(f"{name} must optimise {model_name}'s parameters, but {foreign} of its "
                         f"{len(params)} parameters are not {model_name}'s (an optimiser over the "
                         "other model?)")


def check_loss(loss) -> None:
    if not isinstance(loss, _losses.GANLoss):
        raise TypeError(f"loss must be a gantext GANLoss such as gt.losses.non_saturating, got {loss!r:.80}")


def check_penalty(penalty) -> None:
    if penalty is not None and not callable(penalty):
        raise TypeError(f"penalty must be None or a function penalty(D, real, fake), got {penalty!r:.80}")


def _check_step_args(G, D, loss, labels, noise, mixed_precision) -> None:
    check_models(G, D)
    check_loss(loss)
    if labels is not None:
        _check.tensor(labels, "labels", dims=(1,))
    if noise is not None and not isinstance(noise, torch.Generator):
        raise TypeError(f"noise must be None or a torch.Generator, got {type(noise).__name__}")
    _check.boolean(mixed_precision, "mixed_precision")


def d_step(G: nn.Module, D: nn.Module, real: Tensor, loss: _losses.GANLoss,
           d_opt: torch.optim.Optimizer, *, labels: Tensor | None = None,
           penalty: Penalty | None = None, penalty_weight: float = 10.0,
           clip: float | None = None, noise: torch.Generator | None = None,
           mixed_precision: bool = False) -> Tensor:
    """One discriminator update: draw as many fakes as ``real`` has rows, minimise
    ``loss.d_loss`` (+ λ·penalty), then clip D's weights to [−clip, clip] if asked.
    Returns the loss (no penalty). ``mixed_precision`` runs the forward passes under bf16
    autocast on CUDA.

    Every argument is checked before anything changes; a NaN or infinite loss raises
    :class:`TrainingDiverged` before D's optimiser steps."""
    _check_step_args(G, D, loss, labels, noise, mixed_precision)
    _check.tensor(real, "real", floating=True)
    check_optimizer(d_opt, D, "d_opt", "D")
    check_penalty(penalty)
    _check.number(penalty_weight, "penalty_weight", low=0)
    _check.number(clip, "clip", low=0, low_open=True, none=True)
    z = latent_noise(real.shape[0], G.latent_dim, real.device, noise)           # [n, latent]
    with torch.no_grad(), autocast(real.device, mixed_precision):
        fake = forward(G, z, labels)                                            # [n, ...]
    return update_d(D, real, fake, loss, d_opt, labels=labels, penalty=penalty,
                    penalty_weight=penalty_weight, clip=clip, noise=noise,
                    mixed_precision=mixed_precision)


def g_step(G: nn.Module, D: nn.Module, batch_size: int, loss: _losses.GANLoss,
           g_opt: torch.optim.Optimizer, *, labels: Tensor | None = None,
           noise: torch.Generator | None = None, mixed_precision: bool = False) -> Tensor:
    """One generator update: minimise ``loss.g_loss`` of D on ``batch_size`` fresh fakes.

    No gradient is computed for D's parameters, and D's ``.grad`` are left as they were.
    ``mixed_precision`` runs the forward pass under bf16 autocast on CUDA.

    Every argument is checked before anything changes; a NaN or infinite loss raises
    :class:`TrainingDiverged` before G's optimiser steps."""
    _check_step_args(G, D, loss, labels, noise, mixed_precision)
    _check.integer(batch_size, "batch_size", low=1)
    check_optimizer(g_opt, G, "g_opt", "G")
    device = next(G.parameters()).device
    z = latent_noise(batch_size, G.latent_dim, device, noise)                  # [n, latent]
    with autocast(device, mixed_precision):
        fake = forward(G, z, labels)                                            # [n, ...]
    return update_g(D, fake, loss, g_opt, labels=labels, mixed_precision=mixed_precision)
