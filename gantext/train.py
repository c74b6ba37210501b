"""Training: Algorithm 1 of Goodfellow et al. (2014) as two plain step functions and a thin loop.

``d_step`` makes one discriminator update and ``g_step`` one generator update; ``fit`` alternates
them (``k = config.d_steps`` discriminator steps per generator step), records the losses in a
:class:`History`, and adds what a long run needs: a progress bar, callbacks, detection of
divergence, Ctrl-C that keeps the results so far, and checkpoints from which a run resumes
exactly as if it had never stopped.

Everything else is an argument: the loss pair (:mod:`gantext.losses`), a penalty
(:mod:`gantext.penalties`), weight clipping, the optimisers. Chapter 1 walks through the loop.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from . import _check
from . import losses as _losses
from .data import Distribution
from .models import latent_noise
from .penalties import clip_weights_
from .utils import device as resolve_device
from .utils import load_checkpoint, save_checkpoint

__all__ = ["TrainConfig", "History", "TrainingDiverged", "d_step", "g_step", "fit", "every",
           "at_steps"]

Callback = Callable[[int, nn.Module, nn.Module, "History"], Any]
Penalty = Callable[[nn.Module, Tensor, Tensor], Tensor]


@dataclass
class TrainConfig:
    """What ``fit`` needs besides the models, the data and the loss. Every field has a default."""

    steps: int = 2000                 # generator updates (outer iterations of Algorithm 1)
    batch_size: int = 256             # real and fake samples per minibatch
    d_steps: int = 1                  # k: discriminator updates per generator update (paper: 1; WGAN: 5)
    d_lr: float = 2e-4                # discriminator learning rate
    g_lr: float = 2e-4                # generator learning rate; d_lr != g_lr is TTUR (Heusel et al., 2017)
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's (β1, β2); β1 = 0.5 as in DCGAN
    penalty_weight: float = 10.0      # λ multiplying `penalty` (WGAN-GP: 10; for R1 use γ/2)
    clip: float | None = None         # WGAN weight clipping to [-c, c] after each D step; None: off
    seed: int = 0                     # noise stream: seed, data stream: seed + 1 (space seeds by 2 for independent runs)
    device: str = "auto"              # where to train: "auto" is CUDA when present, else the CPU
    progress: bool = True             # show a tqdm progress bar
    checkpoint_every: int = 0         # write a checkpoint every N generator steps (0: never)
    checkpoint_path: str | None = None  # where to write it (required when checkpoint_every > 0)
    mixed_precision: bool = False     # bf16 autocast for the forward passes on CUDA (no effect on the CPU)

    def __post_init__(self):
        for name in ("steps", "batch_size", "d_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name in ("d_lr", "g_lr"):
            value = getattr(self, name)
            if not (_check.is_number(value) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
            if isinstance(value, np.generic):
                setattr(self, name, value.item())
        if not isinstance(self.betas, (tuple, list)) or len(self.betas) != 2 \
                or not all(_check.is_number(b) and 0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        self.betas = (float(self.betas[0]), float(self.betas[1]))
        if not (_check.is_number(self.penalty_weight) and math.isfinite(self.penalty_weight)
                and self.penalty_weight >= 0):
            raise ValueError(f"penalty_weight must be a finite number >= 0, got {self.penalty_weight!r}")
        if isinstance(self.penalty_weight, np.generic):
            self.penalty_weight = self.penalty_weight.item()
        if self.clip is not None and not (_check.is_number(self.clip) and math.isfinite(self.clip)
                                          and self.clip > 0):
            raise ValueError(f"clip must be None or a number > 0 (and finite), got {self.clip!r}")
        if isinstance(self.clip, np.generic):
            self.clip = self.clip.item()
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0 \
                or self.seed > 2**64 - 2:
            raise ValueError(f"seed must be a non-negative integer below 2**64 - 1 (the data stream "
                             f"uses seed + 1), got {self.seed!r}")
        if isinstance(self.checkpoint_every, bool) or not isinstance(self.checkpoint_every, int) \
                or self.checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be an integer >= 0, got {self.checkpoint_every!r}")
        if self.checkpoint_every and not self.checkpoint_path:
            raise ValueError("checkpoint_path must be set when checkpoint_every > 0")
        if self.checkpoint_path is not None:
            if not isinstance(self.checkpoint_path, (str, os.PathLike)):
                raise TypeError("checkpoint_path must be None or a file path (str or os.PathLike), "
                                f"got {type(self.checkpoint_path).__name__}")
            if os.path.isdir(self.checkpoint_path):
                raise ValueError(f"checkpoint_path must be a file path, got the directory "
                                 f"{os.fspath(self.checkpoint_path)!r}")
        if not isinstance(self.mixed_precision, bool):
            raise TypeError(f"mixed_precision must be True or False, got {self.mixed_precision!r}")
        if not isinstance(self.progress, bool):
            raise TypeError(f"progress must be True or False, got {self.progress!r}")
        try:
            resolve_device(self.device)
        except (TypeError, ValueError) as err:
            raise type(err)(f"device must be a device that can train: {err}") from None


class TrainingDiverged(RuntimeError):
    """Raised by ``fit`` when a loss becomes NaN or infinite."""


class History:
    """Per-step losses and anything callbacks record.

    ``d_loss[i]`` and ``g_loss[i]`` belong to generator step ``i + 1`` (``d_loss`` is the mean over
    that step's ``k`` discriminator updates, without the penalty term). ``log(name, value)`` records
    a number against the current step; ``series(name)`` returns ``(steps, values)``.
    """

    def __init__(self):
        self._d: list[float] = []
        self._g: list[float] = []
        self._pending: list[Tensor] = []   # [2] tensors not yet copied to Python floats
        self.records: dict[str, list[tuple[int, float]]] = {}
        self.interrupted = False

    @property
    def step(self) -> int:
        """The number of generator steps recorded."""
        return len(self._d) + len(self._pending)

    @property
    def d_loss(self) -> list[float]:
        self._flush()
        return self._d

    @property
    def g_loss(self) -> list[float]:
        self._flush()
        return self._g

    def _append(self, d_loss: Tensor, g_loss: Tensor) -> None:
        self._pending.append(torch.stack([d_loss.detach().float(), g_loss.detach().float()]))

    def _flush(self) -> list[list[float]]:
        """Copy pending losses to Python floats (one device sync) and return them."""
        if not self._pending:
            return []
        values = torch.stack(self._pending).cpu().tolist()
        self._pending.clear()
        for d, g in values:
            self._d.append(d)
            self._g.append(g)
        return values

    def log(self, name: str, value) -> None:
        """Record ``value`` (a number or a one-element tensor) under ``name`` at the current step."""
        if hasattr(value, "item"):
            value = value.item()
        self.records.setdefault(name, []).append((self.step, float(value)))

    def series(self, name: str) -> tuple[list[int], list[float]]:
        if name not in self.records:
            raise KeyError(f"nothing was logged as {name!r}; logged: {sorted(self.records)}")
        steps, values = zip(*self.records[name])
        return list(steps), list(values)

    def state_dict(self) -> dict:
        return {"d_loss": self.d_loss, "g_loss": self.g_loss,
                "records": {k: [list(r) for r in v] for k, v in self.records.items()}}

    def load_state_dict(self, state: dict) -> None:
        self._pending.clear()
        self._d, self._g = list(state["d_loss"]), list(state["g_loss"])
        self.records = {k: [(int(s), float(v)) for s, v in r] for k, r in state["records"].items()}

    def __repr__(self) -> str:
        return f"History(steps={self.step}, records={sorted(self.records)})"


def every(n: int, fn: Callback) -> Callback:
    """A callback that calls ``fn(step, G, D, history)`` at step 0 and every ``n`` steps."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return lambda step, G, D, history: fn(step, G, D, history) if step % n == 0 else None


def at_steps(steps: Iterable[int], fn: Callback) -> Callback:
    """A callback that calls ``fn(step, G, D, history)`` at the given steps (0 is before training)."""
    wanted = frozenset(int(s) for s in steps)
    return lambda step, G, D, history: fn(step, G, D, history) if step in wanted else None


def _split(batch) -> tuple[Tensor, Tensor | None]:
    """A batch is a tensor of samples, or ``(samples, labels)`` for a conditional GAN."""
    if isinstance(batch, (tuple, list)):
        if len(batch) != 2:
            raise ValueError(f"a batch must be a tensor or a (samples, labels) pair, got {len(batch)} items")
        return batch[0], batch[1]
    return batch, None


def _call(model: nn.Module, x: Tensor, labels: Tensor | None) -> Tensor:
    return model(x) if labels is None else model(x, labels)


def _autocast(device: torch.device, enabled: bool) -> torch.autocast:
    """bf16 mixed precision for forward passes on CUDA when ``enabled`` (never on the CPU):
    parameters, gradients and optimiser state stay float32, and bf16 has float32's exponent
    range, so no loss scaling is needed."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16,
                          enabled=enabled and device.type == "cuda")


def _check_models(G, D) -> None:
    if not isinstance(G, nn.Module) or not hasattr(G, "latent_dim"):
        raise TypeError("G must be a generator module with a latent_dim attribute (e.g. "
                        f"gt.MLPGenerator), got {type(G).__name__}")
    if not isinstance(D, nn.Module):
        raise TypeError(f"D must be a discriminator module (e.g. gt.MLPDiscriminator), got {type(D).__name__}")


def _check_optimizer(opt, model: nn.Module, name: str, model_name: str) -> None:
    """``opt`` is an optimiser that updates only ``model``'s parameters (at least one)."""
    if not isinstance(opt, torch.optim.Optimizer):
        raise TypeError(f"{name} must be a torch.optim.Optimizer over {model_name}'s parameters, "
                        f"got {type(opt).__name__}")
    own = {id(p) for p in model.parameters()}
    params = [p for group in opt.param_groups for p in group["params"]]
    foreign = sum(id(p) not in own for p in params)
    if not params or foreign:
        raise ValueError(f"{name} must optimise {model_name}'s parameters, but {foreign} of its "
                         f"{len(params)} parameters are not {model_name}'s (an optimiser over the "
                         "other model?)")


def _check_step_args(G, D, loss, labels, noise, mixed_precision) -> None:
    _check_models(G, D)
    if not isinstance(loss, _losses.GANLoss):
        raise TypeError(f"loss must be a gantext GANLoss such as gt.losses.non_saturating, got {loss!r:.80}")
    if labels is not None:
        _check.tensor(labels, "labels", dims=(1,))
    if noise is not None and not isinstance(noise, torch.Generator):
        raise TypeError(f"noise must be None or a torch.Generator, got {type(noise).__name__}")
    _check.boolean(mixed_precision, "mixed_precision")


def _raise_non_finite(name: str, value: Tensor, model: str) -> None:
    raise TrainingDiverged(f"{name} is {value.item()}: training diverged (or its inputs hold "
                           f"NaN/inf); {model} was not updated")


def d_step(G: nn.Module, D: nn.Module, real: Tensor, loss: _losses.GANLoss,
           d_opt: torch.optim.Optimizer, *, labels: Tensor | None = None,
           penalty: Penalty | None = None, penalty_weight: float = 10.0,
           clip: float | None = None, noise: torch.Generator | None = None,
           mixed_precision: bool = False) -> Tensor:
    """One discriminator update: minimise ``loss.d_loss`` (+ λ·penalty) on a real batch and as
    many fakes; then clip D's weights to [−clip, clip] if asked. Returns the loss (no penalty).
    ``mixed_precision`` runs the forward passes under bf16 autocast on CUDA.

    Every argument is checked before anything changes; a NaN or infinite loss raises
    :class:`TrainingDiverged` before D's optimiser steps."""
    _check_step_args(G, D, loss, labels, noise, mixed_precision)
    _check.tensor(real, "real", floating=True)
    _check_optimizer(d_opt, D, "d_opt", "D")
    if penalty is not None and not callable(penalty):
        raise TypeError(f"penalty must be None or a function penalty(D, real, fake), got {penalty!r:.80}")
    _check.number(penalty_weight, "penalty_weight", low=0)
    _check.number(clip, "clip", low=0, low_open=True, none=True)
    return _d_step(G, D, real, loss, d_opt, labels=labels, penalty=penalty,
                   penalty_weight=penalty_weight, clip=clip, noise=noise,
                   mixed_precision=mixed_precision, check_finite=True)


def _d_step(G: nn.Module, D: nn.Module, real: Tensor, loss: _losses.GANLoss,
            d_opt: torch.optim.Optimizer, *, labels: Tensor | None = None,
            penalty: Penalty | None = None, penalty_weight: float = 10.0,
            clip: float | None = None, noise: torch.Generator | None = None,
            mixed_precision: bool = False, check_finite: bool = False) -> Tensor:
    z = latent_noise(real.shape[0], G.latent_dim, real.device, noise)           # [n, latent]
    with _autocast(real.device, mixed_precision):
        with torch.no_grad():
            fake = _call(G, z, labels)                                          # [n, ...]
        # Real and fake batches go through D separately: batch statistics (batch norm, the
        # minibatch-std feature, packing) must never mix the two.
        d_loss = loss.d_loss(_call(D, real, labels), _call(D, fake, labels))
        total = d_loss
        if penalty is not None:
            total = d_loss + penalty_weight * penalty(D, real, fake)
    if check_finite and not bool(torch.isfinite(total.detach()).all()):
        _raise_non_finite("the discriminator loss" + (" with its penalty" if penalty else ""),
                          total.detach(), "D")
    d_opt.zero_grad(set_to_none=True)
    total.backward()
    d_opt.step()
    if clip is not None:
        clip_weights_(D, clip)
    return d_loss.detach()


def g_step(G: nn.Module, D: nn.Module, batch_size: int, loss: _losses.GANLoss,
           g_opt: torch.optim.Optimizer, *, labels: Tensor | None = None,
           noise: torch.Generator | None = None, mixed_precision: bool = False) -> Tensor:
    """One generator update: minimise ``loss.g_loss`` of D on ``batch_size`` fresh fakes.

    D's parameters are frozen during the step, so no gradient is computed for them.
    ``mixed_precision`` runs the forward pass under bf16 autocast on CUDA.

    Every argument is checked before anything changes; a NaN or infinite loss raises
    :class:`TrainingDiverged` before G's optimiser steps."""
    _check_step_args(G, D, loss, labels, noise, mixed_precision)
    _check.integer(batch_size, "batch_size", low=1)
    _check_optimizer(g_opt, G, "g_opt", "G")
    return _g_step(G, D, batch_size, loss, g_opt, labels=labels, noise=noise,
                   mixed_precision=mixed_precision, check_finite=True)


def _g_step(G: nn.Module, D: nn.Module, batch_size: int, loss: _losses.GANLoss,
            g_opt: torch.optim.Optimizer, *, labels: Tensor | None = None,
            noise: torch.Generator | None = None, mixed_precision: bool = False,
            check_finite: bool = False) -> Tensor:
    device = next(G.parameters()).device
    z = latent_noise(batch_size, G.latent_dim, device, noise)                  # [n, latent]
    frozen = [p for p in D.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        with _autocast(device, mixed_precision):
            g_loss = loss.g_loss(_call(D, _call(G, z, labels), labels))
        if check_finite and not bool(torch.isfinite(g_loss.detach()).all()):
            _raise_non_finite("the generator loss", g_loss.detach(), "G")
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        g_opt.step()
    finally:
        for p in frozen:
            p.requires_grad_(True)
    return g_loss.detach()


def _adam(params, lr: float, betas: tuple[float, float]) -> torch.optim.Adam:
    """Adam with the fused kernel where this PyTorch has one for the device (same mathematics)."""
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=lr, betas=betas)


class _Batches:
    """Real minibatches from a :class:`Distribution`, a tensor of samples, a ``(samples, labels)``
    pair of tensors, or any iterable of batches (a DataLoader), forever."""

    def __init__(self, data, batch_size: int, device: torch.device, generator: torch.Generator):
        self.data, self.batch_size, self.device, self.generator = data, batch_size, device, generator
        self._iterator = None
        if isinstance(data, Distribution):
            self.kind = "distribution"
        elif isinstance(data, Tensor) or (isinstance(data, (tuple, list)) and len(data) == 2
                                          and all(isinstance(t, Tensor) for t in data)):
            self.kind = "tensor"
            n = (data if isinstance(data, Tensor) else data[0]).shape[0]
            if n == 0:
                raise ValueError("data must hold at least one sample")
            if isinstance(data, (tuple, list)) and data[1].shape[0] != n:
                raise ValueError("data's samples and labels must have the same length")
        elif isinstance(data, Iterable) and not isinstance(data, (str, bytes, os.PathLike)):
            self.kind = "iterable"
        else:
            raise TypeError("data must be a gantext Distribution, a tensor of samples, a "
                            f"(samples, labels) pair of tensors, or an iterable of batches; got {type(data).__name__}")

    def next(self) -> tuple[Tensor, Tensor | None]:
        if self.kind == "distribution":
            return self.data.sample(self.batch_size, generator=self.generator).to(self.device), None
        if self.kind == "tensor":
            samples, labels = _split(self.data)
            idx = torch.randint(samples.shape[0], (self.batch_size,), generator=self.generator)
            return samples[idx].to(self.device), None if labels is None else labels[idx].to(self.device)
        if self._iterator is None:
            self._iterator = iter(self.data)
        try:
            batch = next(self._iterator)
        except StopIteration:  # a new epoch
            self._iterator = iter(self.data)
            try:
                batch = next(self._iterator)
            except StopIteration:
                raise ValueError("data yielded no batch: an empty DataLoader or iterable (or a "
                                 "one-shot iterator that is used up)") from None
        samples, labels = _split(batch)
        return samples.to(self.device), None if labels is None else labels.to(self.device)


def _check_data(data) -> None:
    """Refuse, before any work, data that ``fit`` cannot draw batches from."""
    if isinstance(data, (str, bytes, os.PathLike)):
        raise TypeError("data must be a gantext Distribution, a tensor of samples, a (samples, "
                        "labels) pair of tensors, or an iterable of batches; got a path or string "
                        f"{data!r:.60} (load the file first, e.g. torch.load or numpy.load)")
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, Tensor) for t in data):
        samples, labels = data
        _check.tensor(labels, "data's labels", dims=(1,))
    elif isinstance(data, Tensor):
        samples = data
    else:
        return
    _check.tensor(samples, "data" if samples is data else "data's samples", floating=True,
                  finite=True)


def _config_record(config: TrainConfig) -> dict:
    record = asdict(config)
    if record["checkpoint_path"] is not None:
        record["checkpoint_path"] = os.fspath(record["checkpoint_path"])
    if isinstance(record["device"], torch.device):
        record["device"] = str(record["device"])
    return record


# Fields that may differ between a run and its resumption: they do not change the numbers.
_RESUMABLE = ("steps", "progress", "checkpoint_every", "checkpoint_path", "device")


def _optimizer_record(opt: torch.optim.Optimizer) -> dict:
    groups = []
    for group in opt.param_groups:
        hyper = {k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()
                 if k not in ("params", "fused", "foreach", "capturable", "differentiable")
                 and isinstance(v, (int, float, bool, str, tuple, type(None)))}
        groups.append(dict(hyper, n_params=len(group["params"])))
    return {"type": type(opt).__name__, "groups": groups}


def _data_record(batches: "_Batches") -> str:
    if batches.kind == "distribution":
        return repr(batches.data)
    if batches.kind == "tensor":
        samples, labels = _split(batches.data)
        return f"tensor{list(samples.shape)}" + ("" if labels is None else " with labels")
    return "iterable"


def _run_record(G, D, loss, penalty, config, dev, d_opt, g_opt, batches) -> dict:
    """What a checkpoint must match for ``fit`` to continue it: everything but the config."""
    return {"G": repr(G), "D": repr(D), "loss": loss.name,
            "penalty": None if penalty is None else
            getattr(penalty, "__qualname__", type(penalty).__name__),
            "device_type": dev.type, "d_opt": _optimizer_record(d_opt),
            "g_opt": _optimizer_record(g_opt), "data": _data_record(batches)}


def _check_resume(state, run: dict, config: TrainConfig, G, D, path) -> None:
    """Refuse, before anything is loaded, a checkpoint that this call cannot continue exactly."""
    where = f"resume_from={os.fspath(path)!r}"
    needed = ("G", "D", "d_opt", "g_opt", "history", "noise_rng", "data_rng", "torch_rng", "config")
    missing = [k for k in needed if k not in state]
    if missing:
        raise ValueError(f"{where} is not a checkpoint written by fit (it lacks {missing})")
    saved = state["config"]
    current = _config_record(config)
    changed = [f"{k}: {saved.get(k)!r} in the checkpoint, {current[k]!r} now"
               for k in current if k not in _RESUMABLE and k in saved
               and (list(saved[k]) if isinstance(saved[k], tuple) else saved[k])
               != (list(current[k]) if isinstance(current[k], tuple) else current[k])]
    if changed:
        raise ValueError(f"{where} holds a run with another TrainConfig ({'; '.join(changed)}); "
                         "resume with the same configuration (only a larger steps may differ)")
    done = len(state["history"]["d_loss"])
    if config.steps < done:
        raise ValueError(f"{where} holds {done} steps, more than config.steps={config.steps}; "
                         f"resume with steps >= {done}")
    for name, model in (("G", G), ("D", D)):
        mine = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        theirs = {k: tuple(v.shape) for k, v in state[name].items()}
        if mine != theirs:
            diff = sorted(set(mine.items()) ^ set(theirs.items()))[:3]
            raise ValueError(f"{where} holds another architecture of {name} (differing parameters, "
                             f"shapes: {diff}); nothing was loaded")
    saved_run = state.get("run", {})
    for key, label in (("G", "architecture of G"), ("D", "architecture of D"), ("loss", "loss"),
                       ("penalty", "penalty"), ("device_type", "device type"),
                       ("d_opt", "d_opt optimiser"), ("g_opt", "g_opt optimiser"), ("data", "data")):
        if key in saved_run and saved_run[key] != run[key]:
            raise ValueError(f"{where} holds a run with another {label}: {saved_run[key]!r:.200} in "
                             f"the checkpoint, {run[key]!r:.200} now; nothing was loaded")


def fit(G: nn.Module, D: nn.Module, data, loss: _losses.GANLoss = _losses.non_saturating,
        config: TrainConfig | None = None, *, penalty: Penalty | None = None,
        callbacks: Sequence[Callback] = (), d_opt: torch.optim.Optimizer | None = None,
        g_opt: torch.optim.Optimizer | None = None, resume_from: str | os.PathLike | None = None,
        ) -> History:
    """Train ``G`` against ``D`` on ``data`` for ``config.steps`` generator steps; return the history.

    ``data`` is a :class:`~gantext.data.Distribution`, a tensor of samples (minibatches are drawn
    with replacement), a ``(samples, labels)`` pair, or any iterable of batches such as a
    ``DataLoader``. ``penalty(D, real, fake)`` is added to the discriminator loss with weight
    ``config.penalty_weight``; for R1 pass ``lambda D, real, fake: gt.r1_penalty(D, real)``.
    ``d_opt``/``g_opt`` replace the default Adam optimisers (e.g. RMSProp for WGAN).
    Each callback is called as ``cb(step, G, D, history)`` at step 0 and after every generator
    step. With ``resume_from``, training continues from a checkpoint written by an earlier run
    with the same configuration; for distribution and tensor data the result is identical to an
    uninterrupted run. Ctrl-C stops training and returns the history so far
    (``history.interrupted`` is then True). A NaN or infinite loss raises
    :class:`TrainingDiverged`, naming the step and the last finite losses; the losses are checked
    on the device and read every few steps (every step on the CPU), so this happens within a few
    steps of the first bad one.

    Every argument is checked before the models change. A checkpoint records the configuration,
    the loss, the penalty, the optimisers and both architectures: resuming refuses, before
    anything is loaded, a checkpoint of another run (any change but a larger ``steps``,
    ``progress`` or where and how often to checkpoint) and a DataLoader or other iterable, whose
    position cannot be restored exactly.
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(loss, _losses.GANLoss):
        raise TypeError(f"loss must be a gantext GANLoss such as gt.losses.non_saturating, got {loss!r}")
    _check_models(G, D)
    if not any(True for _ in G.parameters()) or not any(True for _ in D.parameters()):
        raise ValueError("G and D must each have parameters to train")
    if penalty is not None and not callable(penalty):
        raise TypeError(f"penalty must be None or a function penalty(D, real, fake), got {penalty!r:.80}")
    if callable(callbacks) or not all(callable(cb) for cb in callbacks):
        raise TypeError("callbacks must be a list of functions cb(step, G, D, history), "
                        f"got {callbacks!r:.80}")
    if d_opt is not None:
        _check_optimizer(d_opt, D, "d_opt", "D")
    if g_opt is not None:
        _check_optimizer(g_opt, G, "g_opt", "G")
    _check_data(data)
    if resume_from is not None:
        if not isinstance(resume_from, (str, os.PathLike)):
            raise TypeError(f"resume_from must be None or a checkpoint path, got {type(resume_from).__name__}")
        if not os.path.isfile(resume_from):
            raise FileNotFoundError(f"resume_from: no checkpoint at {os.fspath(resume_from)}")
    dev = resolve_device(config.device)
    G.to(dev)
    D.to(dev)
    G.train()
    D.train()
    d_opt = d_opt or _adam(D.parameters(), config.d_lr, config.betas)
    g_opt = g_opt or _adam(G.parameters(), config.g_lr, config.betas)
    noise = torch.Generator(device=dev).manual_seed(config.seed)
    data_rng = torch.Generator().manual_seed(config.seed + 1)
    batches = _Batches(data, config.batch_size, dev, data_rng)
    history = History()

    run = _run_record(G, D, loss, penalty, config, dev, d_opt, g_opt, batches)
    if resume_from is not None:
        if batches.kind == "iterable":
            raise ValueError("resume_from cannot continue exactly on a DataLoader or other iterable "
                             "of batches: its position is not saved, so the resumed run would differ "
                             "from an uninterrupted one; pass the samples as a tensor (or a "
                             "(samples, labels) pair of tensors) to resume exactly")
        state = load_checkpoint(resume_from, map_location=dev)
        _check_resume(state, run, config, G, D, resume_from)
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        d_opt.load_state_dict(state["d_opt"])
        g_opt.load_state_dict(state["g_opt"])
        history.load_state_dict(state["history"])
        noise.set_state(state["noise_rng"].cpu())
        data_rng.set_state(state["data_rng"].cpu())
        torch.set_rng_state(state["torch_rng"].cpu())
        if dev.type == "cuda" and "cuda_rng" in state:
            torch.cuda.set_rng_state(state["cuda_rng"].cpu(), dev)
    else:
        for cb in callbacks:
            cb(0, G, D, history)

    def checkpoint() -> None:
        state = dict(G=G.state_dict(), D=D.state_dict(), d_opt=d_opt.state_dict(),
                     g_opt=g_opt.state_dict(), history=history.state_dict(),
                     noise_rng=noise.get_state(), data_rng=data_rng.get_state(),
                     torch_rng=torch.get_rng_state(), config=_config_record(config), run=run)
        if dev.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state(dev)
        save_checkpoint(config.checkpoint_path, **state)

    def check_finite() -> None:
        start = len(history._d)
        for i, (d, g) in enumerate(history._flush()):
            if not (math.isfinite(d) and math.isfinite(g)):
                step = start + i + 1
                last = [(s + 1, history._d[s], history._g[s]) for s in range(max(0, step - 4), step - 1)]
                raise TrainingDiverged(
                    f"training diverged at generator step {step}: d_loss={d}, g_loss={g}; "
                    f"last losses (step, d_loss, g_loss): {last}")

    # Divergence: one finiteness flag kept on the device, read every `check_every` steps.
    check_every = 1 if dev.type == "cpu" else 4
    finite = None

    from tqdm.auto import tqdm

    bar = tqdm(total=config.steps, initial=history.step, disable=not config.progress,
               desc=f"{loss.name} GAN", leave=False)
    try:
        for step in range(history.step + 1, config.steps + 1):
            d_total = 0.0
            for _ in range(config.d_steps):
                real, labels = batches.next()
                d_total = d_total + _d_step(G, D, real, loss, d_opt, labels=labels, penalty=penalty,
                                           penalty_weight=config.penalty_weight, clip=config.clip,
                                           noise=noise, mixed_precision=config.mixed_precision)
            g_loss = _g_step(G, D, config.batch_size, loss, g_opt, labels=labels, noise=noise,
                             mixed_precision=config.mixed_precision)
            history._append(d_total / config.d_steps, g_loss)
            ok = torch.isfinite(history._pending[-1]).all()
            finite = ok if finite is None else finite & ok
            if step % check_every == 0 and not bool(finite):
                check_finite()
            if callbacks or step % 50 == 0 or step == config.steps:
                check_finite()
            for cb in callbacks:
                cb(step, G, D, history)
            if config.checkpoint_every and step % config.checkpoint_every == 0:
                check_finite()
                checkpoint()
            if step % 50 == 0 and config.progress:
                bar.set_postfix(d_loss=f"{history._d[-1]:.3f}", g_loss=f"{history._g[-1]:.3f}")
            bar.update(1)
    except KeyboardInterrupt:
        history.interrupted = True
    finally:
        bar.close()
    check_finite()
    return history
