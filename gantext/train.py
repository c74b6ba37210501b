"""Training: Algorithm 1 of Goodfellow et al. (2014), the loop around ``d_step`` and ``g_step``.

``fit`` alternates ``k = config.d_steps`` discriminator updates with one generator update
(:mod:`gantext.steps`), records the losses in a :class:`~gantext.history.History`, and adds what
a long run needs: a progress bar, callbacks, detection of divergence, Ctrl-C that keeps the
results so far, and checkpoints from which a run resumes exactly as if it had never stopped
(:mod:`gantext.resume`).

Everything else is an argument: the loss pair (:mod:`gantext.losses`), a penalty
(:mod:`gantext.penalties`), weight clipping, the optimisers. Chapter 1 walks through the loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from . import _check
from . import losses as _losses
from . import resume as _resume
from .data import Distribution
from .history import Callback, History
from .models._common import draw_latent
from .steps import (Penalty, TrainingDiverged, autocast, batch_independent, check_loss,
                    check_models, check_optimizer, check_penalty, forward, update_d, update_g)
from .utils import device as resolve_device
from .utils import training_streams

__all__ = ["TrainConfig", "fit"]

DEFAULT_LR = 2e-4                  # Adam's rate when none is given (Radford et al., 2016)
DEFAULT_BETAS = (0.5, 0.999)       # Adam's (β1, β2) when none are given; β1 = 0.5 as in DCGAN

# On a GPU, reading a loss on the host makes the host wait for the device. fit keeps a running
# "all losses finite" flag on the device and reads it every CHECK_EVERY steps; the CPU has no such
# cost, and there every loss is checked before its optimiser steps.
CHECK_EVERY = 4
# How often the progress bar shows the latest losses (a host read on a GPU, so not every step).
SHOW_EVERY = 50


@dataclass
class TrainConfig:
    """What ``fit`` needs besides the models, the data and the loss. Every field has a default."""

    steps: int = 2000                 # generator updates (outer iterations of Algorithm 1)
    batch_size: int = 256             # real and fake samples per minibatch
    d_steps: int = 1                  # k: discriminator updates per generator update (paper: 1; WGAN: 5)
    d_lr: float | None = None         # discriminator's Adam rate; None: 2e-4, or the rate of a d_opt passed to fit
    g_lr: float | None = None         # generator's, likewise; d_lr != g_lr is TTUR (Heusel et al., 2017)
    betas: tuple[float, float] | None = None  # Adam's (β1, β2); None: (0.5, 0.999) as in DCGAN
    penalty_weight: float = 10.0      # λ multiplying `penalty` (WGAN-GP: 10; for R1 use γ/2)
    clip: float | None = None         # WGAN weight clipping to [-c, c] after each D step; None: off
    seed: int = 0                     # one seed, two independent streams (noise, data): gt.training_streams
    device: str = "auto"              # where to train: "auto" is CUDA when present, else the CPU
    progress: bool = True             # show a tqdm progress bar
    checkpoint_every: int = 0         # write a checkpoint every N generator steps (0: never)
    checkpoint_path: str | None = None  # where to write it (required when checkpoint_every > 0)
    mixed_precision: bool = False     # bf16 autocast for the forward passes on CUDA (no effect on the CPU)

    def __post_init__(self):
        for name in ("steps", "batch_size", "d_steps"):
            _check.integer(getattr(self, name), name, low=1)
            setattr(self, name, int(getattr(self, name)))
        for name in ("d_lr", "g_lr"):
            _check.number(getattr(self, name), name, low=0, low_open=True, none=True)
            if getattr(self, name) is not None:
                setattr(self, name, float(getattr(self, name)))
        if self.betas is not None:
            if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2:
                raise TypeError(f"betas must be None or two numbers in [0, 1), got {self.betas!r:.80}")
            for b in self.betas:
                _check.number(b, "betas' entries", low=0, high=1, high_open=True)
            self.betas = (float(self.betas[0]), float(self.betas[1]))
        _check.number(self.penalty_weight, "penalty_weight", low=0)
        self.penalty_weight = float(self.penalty_weight)
        _check.number(self.clip, "clip", low=0, low_open=True, none=True)
        if self.clip is not None:
            self.clip = float(self.clip)
        _check.integer(self.seed, "seed", low=0, high=2**64 - 1)
        self.seed = int(self.seed)
        _check.integer(self.checkpoint_every, "checkpoint_every", low=0)
        if self.checkpoint_every and not self.checkpoint_path:
            raise ValueError("checkpoint_path must be set when checkpoint_every > 0")
        if self.checkpoint_path is not None:
            if not isinstance(self.checkpoint_path, (str, os.PathLike)):
                raise TypeError("checkpoint_path must be None or a file path (str or os.PathLike), "
                                f"got {type(self.checkpoint_path).__name__}")
            if os.path.isdir(self.checkpoint_path):
                raise ValueError(f"checkpoint_path must be a file path, got the directory "
                                 f"{os.fspath(self.checkpoint_path)!r}")
        _check.boolean(self.mixed_precision, "mixed_precision")
        _check.boolean(self.progress, "progress")
        try:
            resolve_device(self.device)
        except (TypeError, ValueError) as err:
            raise type(err)(f"device must be a device that can train: {err}") from None


def _adam(params, lr: float, betas: tuple[float, float]) -> torch.optim.Adam:
    """Adam with the fused kernel where this PyTorch has one for the device (same mathematics,
    fewer kernel launches); the ordinary implementation elsewhere."""
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=lr, betas=betas)


def _optimizer(opt, model: nn.Module, lr: float | None, betas, name: str, model_name: str):
    """The optimiser passed to ``fit``, checked against the config, or Adam from the config."""
    if opt is None:
        return _adam(model.parameters(), DEFAULT_LR if lr is None else lr,
                     DEFAULT_BETAS if betas is None else betas)
    check_optimizer(opt, model, name, model_name)
    field = f"{model_name.lower()}_lr"
    for group in opt.param_groups:
        if lr is not None and group.get("lr") != lr:
            raise ValueError(f"config.{field}={lr} conflicts with {name}'s learning rate "
                             f"{group.get('lr')}; set config.{field}=None when passing {name}")
        if betas is not None and tuple(group.get("betas", ())) != betas:
            raise ValueError(f"config.betas={betas} conflicts with {name} ({type(opt).__name__}, "
                             f"betas {group.get('betas')}); set config.betas=None when passing {name}")
    return opt


def _samples_and_labels(batch) -> tuple[Tensor, Tensor | None]:
    """A batch is a tensor of samples, ``(samples,)`` (what a DataLoader over a one-tensor
    ``TensorDataset`` yields), or ``(samples, labels)`` for a conditional GAN."""
    if isinstance(batch, (tuple, list)):
        if len(batch) not in (1, 2):
            raise ValueError("a batch must be a tensor, a (samples,) tuple or a (samples, labels) "
                             f"pair, got {len(batch)} items")
        return batch[0], batch[1] if len(batch) == 2 else None
    return batch, None


def _is_tensor_data(data) -> bool:
    return isinstance(data, Tensor) or (isinstance(data, (tuple, list)) and len(data) == 2
                                        and all(isinstance(t, Tensor) for t in data))


def _check_data(data) -> None:
    """Refuse, before any work, data that ``fit`` cannot draw batches from."""
    accepted = ("data must be a gantext Distribution, a tensor of samples, a (samples, labels) "
                "pair of tensors, or an iterable of batches (a DataLoader)")
    if isinstance(data, (str, bytes, os.PathLike)):
        raise TypeError(f"{accepted}; got a path or string {data!r:.60} (load the file first, "
                        "e.g. torch.load or numpy.load)")
    if isinstance(data, Distribution):
        return
    if _is_tensor_data(data):
        samples, labels = _samples_and_labels(data)
        name = "data" if labels is None else "data's samples"
        _check.tensor(samples, name, floating=True, finite=True)
        if labels is not None:
            _check.tensor(labels, "data's labels", dims=(1,))
            if labels.shape[0] != samples.shape[0]:
                raise ValueError(f"data's samples and labels must have the same length, got "
                                 f"{samples.shape[0]} and {labels.shape[0]}")
        return
    if not isinstance(data, Iterable):
        raise TypeError(f"{accepted}; got {type(data).__name__}")


def real_batches(data, batch_size: int, device: torch.device,
                 generator: torch.Generator) -> Iterator[tuple[Tensor, Tensor | None]]:
    """Real minibatches ``(samples, labels or None)`` on ``device``, forever: drawn from a
    Distribution, drawn with replacement from a tensor (or ``(samples, labels)``), or read from an
    iterable of batches such as a DataLoader, epoch after epoch."""
    if isinstance(data, Distribution):
        while True:
            yield data.sample(batch_size, generator=generator).to(device), None
    if _is_tensor_data(data):
        samples, labels = _samples_and_labels(data)
        while True:
            idx = torch.randint(samples.shape[0], (batch_size,), generator=generator)   # [n]
            yield samples[idx].to(device), None if labels is None else labels[idx].to(device)
    while True:
        empty = True
        for batch in data:
            empty = False
            samples, labels = _samples_and_labels(batch)
            yield samples.to(device), None if labels is None else labels.to(device)
        if empty:
            raise ValueError("data yielded no batch: an empty DataLoader or iterable (or a "
                             "one-shot iterator that is used up)")


def _describe_data(data) -> str:
    """The data as a checkpoint records it: a resumed run must draw from the same data."""
    if isinstance(data, Distribution):
        return repr(data)
    if _is_tensor_data(data):
        samples, labels = _samples_and_labels(data)
        return f"tensor{list(samples.shape)}" + ("" if labels is None else " with labels")
    return "iterable"


def fit(G: nn.Module, D: nn.Module, data, loss: _losses.GANLoss = _losses.non_saturating,
        config: TrainConfig | None = None, *, penalty: Penalty | None = None,
        callbacks: Sequence[Callback] = (), d_opt: torch.optim.Optimizer | None = None,
        g_opt: torch.optim.Optimizer | None = None, resume_from: str | os.PathLike | None = None,
        ) -> History:
    """Train ``G`` against ``D`` on ``data`` for ``config.steps`` generator steps; return the history.

    ``data`` is a :class:`~gantext.data.Distribution`, a tensor of samples (minibatches are drawn
    with replacement), a ``(samples, labels)`` pair, or any iterable of batches such as a
    ``DataLoader``; labels go to conditional models only. ``penalty(D, real, fake)`` is added to
    the discriminator loss with weight ``config.penalty_weight`` (``gt.gradient_penalty``,
    ``gt.r1_penalty``); a penalty that takes a ``generator=`` keyword draws its random numbers
    from the run's noise stream. ``d_opt``/``g_opt`` replace the default Adam optimisers (e.g.
    RMSProp for WGAN); a config rate that contradicts them is an error. Each callback is called
    as ``cb(step, G, D, history)`` at step 0 and after every generator step.

    One generator step is Algorithm 1: ``k = config.d_steps`` discriminator updates, each on a
    fresh real batch and fresh fakes G(z), then one generator update. The generator update reuses
    the latent codes z of the last discriminator update and the forward pass G(z) already made
    (G has not changed since; pytorch/examples' DCGAN does the same), and re-evaluates the updated
    D on it. When D treats samples independently (:func:`gantext.steps.batch_independent`), real
    and fake samples share one forward pass through D. Neither changes the mathematics, with one
    nuance: a spectrally normalised D then makes one power iteration per update, not two (as in
    Miyato et al.'s Algorithm 1).

    ``config.seed`` gives two independent streams (:func:`gantext.utils.training_streams`): the
    latent noise and the choice of real batches. With ``resume_from``, training continues from a
    checkpoint written by an earlier run with the same configuration; for distribution and
    tensor data the result is identical to an uninterrupted run. Ctrl-C stops training and
    returns the history so far (``history.interrupted`` is then True). A NaN or infinite loss
    raises :class:`~gantext.steps.TrainingDiverged`, naming the step and the last finite losses:
    on the CPU before the offending update, on a GPU within ``CHECK_EVERY`` steps.

    Every argument is checked before the models change. A checkpoint records the configuration,
    the loss, the penalty, the optimisers and both architectures: resuming refuses, before
    anything is loaded, a checkpoint of another run (any change but a larger ``steps``,
    ``progress`` or where and how often to checkpoint) and a DataLoader or other iterable, whose
    position cannot be restored exactly.
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    check_loss(loss)
    check_models(G, D)
    if not any(True for _ in G.parameters()) or not any(True for _ in D.parameters()):
        raise ValueError("G and D must each have parameters to train")
    check_penalty(penalty)
    if callable(callbacks) or not all(callable(cb) for cb in callbacks):
        raise TypeError("callbacks must be a list of functions cb(step, G, D, history), "
                        f"got {callbacks!r:.80}")
    _check_data(data)
    if resume_from is not None:
        if not isinstance(resume_from, (str, os.PathLike)):
            raise TypeError(f"resume_from must be None or a checkpoint path, got {type(resume_from).__name__}")
        if not os.path.isfile(resume_from):
            raise FileNotFoundError(f"resume_from: no checkpoint at {os.fspath(resume_from)}")
        if not isinstance(data, Distribution) and not _is_tensor_data(data):
            raise ValueError("resume_from cannot continue exactly on a DataLoader or other iterable "
                             "of batches: its position is not saved, so the resumed run would differ "
                             "from an uninterrupted one; pass the samples as a tensor (or a "
                             "(samples, labels) pair of tensors) to resume exactly")
    d_opt = _optimizer(d_opt, D, config.d_lr, config.betas, "d_opt", "D")
    g_opt = _optimizer(g_opt, G, config.g_lr, config.betas, "g_opt", "G")
    dev = resolve_device(config.device)
    G.to(dev)
    D.to(dev)
    G.train()
    D.train()
    noise, data_rng = training_streams(config.seed, dev)
    batches = real_batches(data, config.batch_size, dev, data_rng)
    history = History()
    run = _resume.run_record(G, D, loss, penalty, dev, d_opt, g_opt, _describe_data(data))
    state = dict(G=G, D=D, d_opt=d_opt, g_opt=g_opt, history=history, noise=noise,
                 data_rng=data_rng, config=config, run=run, device=dev)
    if resume_from is not None:
        _resume.load_state(resume_from, **state)
    else:
        for cb in callbacks:
            cb(0, G, D, history)

    on_cpu = dev.type == "cpu"
    joint = batch_independent(D)
    update = dict(penalty=penalty, penalty_weight=config.penalty_weight, clip=config.clip,
                  noise=noise, joint=joint, mixed_precision=config.mixed_precision,
                  check_finite=on_cpu)
    finite = torch.ones((), dtype=torch.bool, device=dev)      # all losses so far finite

    def check_finite() -> None:
        """Read the losses recorded since the last read; raise at the first non-finite one."""
        for step, d, g in history.flush():
            if not (np.isfinite(d) and np.isfinite(g)):
                last = [r for r in history.last(4) if r[0] < step]
                raise TrainingDiverged(
                    f"training diverged at generator step {step}: d_loss={d}, g_loss={g}; "
                    f"last losses (step, d_loss, g_loss): {last}")

    bar = tqdm(total=config.steps, initial=history.step, disable=not config.progress,
               desc=f"{loss.name} GAN", leave=False)
    try:
        for step in range(history.step + 1, config.steps + 1):
            d_losses = []
            for i in range(config.d_steps):
                real, labels = next(batches)
                z = draw_latent(real.shape[0], G.latent_dim, dev, noise)        # [n, latent]
                last = i == config.d_steps - 1
                with torch.set_grad_enabled(last), autocast(dev, config.mixed_precision):
                    fake = forward(G, z, labels)    # [n, ...]; the last one keeps G's graph
                try:
                    d_losses.append(update_d(D, real, fake, loss, d_opt, labels=labels, **update))
                except TrainingDiverged as err:
                    raise TrainingDiverged(f"training diverged at generator step {step}: {err}; "
                                           f"last losses (step, d_loss, g_loss): {history.last(3)}") from None
            try:
                g_loss = update_g(D, fake, loss, g_opt, labels=labels,
                                  mixed_precision=config.mixed_precision, check_finite=on_cpu)
            except TrainingDiverged as err:
                raise TrainingDiverged(f"training diverged at generator step {step}: {err}; "
                                       f"last losses (step, d_loss, g_loss): {history.last(3)}") from None
            d_loss = d_losses[0] if len(d_losses) == 1 else torch.stack(d_losses).mean()
            history.append(d_loss, g_loss)
            if not on_cpu:
                finite &= torch.isfinite(d_loss) & torch.isfinite(g_loss)
                if step % CHECK_EVERY == 0 and not bool(finite):
                    check_finite()
            if callbacks or (config.checkpoint_every and step % config.checkpoint_every == 0):
                check_finite()
            for cb in callbacks:
                cb(step, G, D, history)
            if config.checkpoint_every and step % config.checkpoint_every == 0:
                _resume.save_state(config.checkpoint_path, **state)
            if config.progress and step % SHOW_EVERY == 0:
                check_finite()
                _, d_now, g_now = history.last()[0]
                bar.set_postfix(d_loss=f"{d_now:.3f}", g_loss=f"{g_now:.3f}")
            bar.update(1)
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        bar.close()
    check_finite()
    return history
