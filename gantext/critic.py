"""Training a discriminator (or a WGAN critic) alone, against two fixed distributions.

This is the inner maximisation of the GAN game on its own, with the generator frozen: chapter 2
trains D against a fixed p_g and watches it approach D* = p_data / (p_data + p_g) (Proposition 1
of Goodfellow et al., 2014), chapter 3 reads the Jensen–Shannon divergence off its value, and
chapter 4 trains WGAN critics, clipped or spectrally normalised, on fixed sample sets to see what
each constraint does to them. Each step is the discriminator update of
:func:`gantext.steps.d_step` (:func:`~gantext.steps.update_d`), with fakes drawn from a fixed
source instead of a generator being trained: the same loss pair, penalty and weight clipping.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

from . import _check
from . import losses as _losses
from .steps import TrainingDiverged, check_loss, check_optimizer, check_penalty, update_d
from .utils import training_streams

__all__ = ["fit_discriminator"]

Penalty = Callable[..., Tensor]
Sampler = Callable[[int, torch.Generator], Tensor]


def _sampler(source, name: str) -> Sampler:
    """``draw(n, stream)``: ``n`` samples of ``source``, without gradients.

    A distribution (anything with ``sample(n, generator=)``, such as :class:`gantext.data.Gaussian1D`
    or a frozen :class:`gantext.models.MLPGenerator`) is sampled afresh; a tensor of samples
    ``[N, ...]`` gives ``n`` rows drawn uniformly with replacement, as :func:`gantext.train.fit`
    draws minibatches from a tensor."""
    if isinstance(source, Tensor):
        _check.tensor(source, name, floating=True, finite=True)
        return lambda n, stream: source[torch.randint(source.shape[0], (n,), generator=stream)]
    if callable(getattr(source, "sample", None)):
        return lambda n, stream: source.sample(n, generator=stream)
    raise TypeError(f"{name} must be a distribution with a sample(n, generator=) method (e.g. "
                    f"gt.Gaussian1D, a generator model) or a tensor of samples; got {type(source).__name__}")


def fit_discriminator(D: nn.Module, real, fake, loss: _losses.GANLoss = _losses.non_saturating, *,
                      steps: int = 2000, batch_size: int = 256, opt: torch.optim.Optimizer | None = None,
                      lr: float | None = None, betas: tuple[float, float] | None = None,
                      penalty: Penalty | None = None, penalty_weight: float = 10.0,
                      clip: float | None = None, seed: int = 0) -> np.ndarray:
    r"""Train ``D`` (a module returning logits or critic scores) to tell ``real`` from ``fake``.

    Every step draws ``batch_size`` samples of each, minimises ``loss.d_loss(D(real), D(fake))``
    (plus ``penalty_weight · penalty(D, real, fake)`` when a penalty is given), and then clips D's
    weights to [−clip, clip] when asked: :func:`gantext.steps.update_d`, the update of
    :func:`gantext.steps.d_step`, on fakes from a fixed source. With the default cross-entropy
    pair the loss is :math:`-V(D, G)`, whose maximiser is D* (chapter 2); with
    ``gt.losses.wasserstein`` it is the critic's :math:`-(\mathbb E f(x_r) - \mathbb E f(x_f))`
    (chapter 4).

    ``real`` and ``fake`` are distributions (anything with ``sample(n, generator=)``, a frozen
    generator model included) or tensors of samples ``[N, ...]`` from which rows are drawn with
    replacement. ``opt`` is an optimiser over D's parameters; without one, Adam with learning
    rate ``lr`` (default 1e-3) and ``betas`` (default (0.5, 0.999), as in DCGAN) is used, so
    ``lr`` and ``betas`` go with ``opt=None`` only. The real minibatches come from the data
    stream of :func:`gantext.utils.training_streams` (``seed``), the fakes and a penalty's random
    numbers (``gt.gradient_penalty``'s interpolation weights) from its noise stream, as in
    :func:`gantext.train.fit`: the run depends on ``seed`` alone.

    Every argument is checked before any work; a NaN or infinite loss raises
    :class:`~gantext.steps.TrainingDiverged` before D's optimiser steps. Returns ``loss.d_loss``
    (without the penalty) at every step, float64 NumPy of shape ``[steps]``.
    """
    if not isinstance(D, nn.Module):
        raise TypeError(f"D must be a torch.nn.Module returning logits or scores, got {type(D).__name__}")
    param = next(D.parameters(), None)
    if param is None:
        raise ValueError("D must have parameters to train")
    draw_real, draw_fake = _sampler(real, "real"), _sampler(fake, "fake")
    check_loss(loss)
    _check.integer(steps, "steps", low=1)
    _check.memory(steps * 64, f"steps={steps} (one recorded loss per step)")
    _check.integer(batch_size, "batch_size", low=1)
    _check.integer(seed, "seed", low=0, high=2**64 - 1)
    if opt is not None:
        check_optimizer(opt, D, "opt", "D")
        if lr is not None or betas is not None:
            raise ValueError("lr and betas configure the default Adam; with opt= set them on opt instead")
    _check.number(lr, "lr", low=0, low_open=True, none=True)
    if betas is not None:
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"betas must be None or two numbers in [0, 1), got {betas!r:.80}")
        for i, b in enumerate(betas):
            _check.number(b, f"betas[{i}]", low=0, high=1, high_open=True)
    check_penalty(penalty)
    _check.number(penalty_weight, "penalty_weight", low=0)
    _check.number(clip, "clip", low=0, low_open=True, none=True)

    if opt is None:
        opt = torch.optim.Adam(D.parameters(), lr=1e-3 if lr is None else lr,
                               betas=(0.5, 0.999) if betas is None else tuple(betas))
    fake_stream, real_stream = training_streams(seed)
    losses = []
    for step in range(1, steps + 1):
        with torch.no_grad():
            x_real = draw_real(batch_size, real_stream).to(param.device, param.dtype)   # [n, ...]
            x_fake = draw_fake(batch_size, fake_stream).to(param.device, param.dtype)   # [n, ...]
        try:
            losses.append(update_d(D, x_real, x_fake, loss, opt, penalty=penalty,
                                   penalty_weight=penalty_weight, clip=clip, noise=fake_stream))
        except TrainingDiverged as err:
            raise TrainingDiverged(f"step {step}: {err}") from None
    return torch.stack(losses).double().cpu().numpy()                                 # [steps]
