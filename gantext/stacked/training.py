"""Training stacked GANs: :func:`fit_stacked` is :func:`gantext.fit` for ``M`` models at once.

Nothing is shared between the models: each has its own weights, Adam moments, learning rates
and random streams, so model ``m`` trained with ``config.seed = s`` follows, to float rounding,
the trajectory of the same network trained alone by :func:`gantext.fit` with seed ``s + m``,
the gradient penalty and weight clipping included (``tests/test_stacked_training.py``).

Adam is :class:`torch.optim.Adam` (``foreach``), which acts element by element and so keeps
each model's moments apart; :func:`adam_update` is the same step as a pure function, for the
two things ``torch.optim`` cannot do: one learning rate per model (:class:`PerModelAdam`), and
differentiating through D's future steps in an unrolled GAN (Metz et al., 2017).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor
from torch.func import functional_call
from tqdm.auto import tqdm

from .. import _check
from .. import losses as _losses
from ..data import Distribution
from ..models._common import draw_latent
from ..steps import TrainingDiverged, backward_and_step, check_loss
from ..train import DEFAULT_BETAS, DEFAULT_LR, TrainConfig, real_batches
from ..utils import device as resolve_device
from ..utils import training_streams
from .networks import StackedDiscriminator, StackedGenerator

__all__ = ["adam_update", "PerModelAdam", "stacked_gradient_penalty", "unrolled_logits",
           "StackedHistory", "fit_stacked"]


# ---------------------------------------------------------------------------------------------
# Adam as a pure function, the stacked penalty, unrolling
# ---------------------------------------------------------------------------------------------

def _sqrt_safe_at_zero(v: Tensor) -> Tensor:
    """``v.sqrt()`` with the same values, whose derivative at ``v = 0`` is 0 instead of ∞.

    Adam's second moment ``v`` is exactly 0 for any parameter whose gradients have all been 0
    (a dead ReLU unit). Unrolling differentiates through the update, and there ``m = 0`` times
    d√v/dv = ∞ gives NaN; the true update is 0 for every such ``v``, so its derivative is 0.
    """
    positive = v > 0
    return torch.where(positive, torch.where(positive, v, torch.ones_like(v)).sqrt(), torch.zeros_like(v))


def adam_update(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor, step: int,
                lr: float | Tensor, betas: tuple[float, float] = (0.9, 0.999),
                eps: float = 1e-8) -> tuple[Tensor, Tensor, Tensor]:
    """One Adam step (Kingma & Ba, 2015) as a pure, differentiable function: returns the new
    ``(param, exp_avg, exp_avg_sq)``. ``step`` counts this step (1 for the first).

    The arithmetic is :class:`torch.optim.Adam`'s (bias corrections, ε added after the square
    root). ``lr`` is a number or one rate per model, ``[M]`` for a stacked ``param [M, ...]``.
    """
    b1, b2 = betas
    exp_avg = exp_avg.lerp(grad, 1 - b1)
    exp_avg_sq = exp_avg_sq * b2 + (1 - b2) * grad * grad
    if isinstance(lr, Tensor):
        lr = lr.view(-1, *([1] * (param.dim() - 1)))                            # [M, 1, ...]
    denom = _sqrt_safe_at_zero(exp_avg_sq) / math.sqrt(1 - b2 ** step) + eps
    return param - lr / (1 - b1 ** step) * exp_avg / denom, exp_avg, exp_avg_sq


class PerModelAdam(torch.optim.Optimizer):
    """:class:`torch.optim.Adam` over stacked parameters ``[M, ...]`` with one learning rate per
    model (``lr`` is ``[M]``), which ``torch.optim.Adam`` does not accept; its state has Adam's
    keys (``step``, ``exp_avg``, ``exp_avg_sq``)."""

    def __init__(self, params, lr: Tensor, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state.update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
                state["step"] += 1
                new, state["exp_avg"], state["exp_avg_sq"] = adam_update(
                    p, p.grad, state["exp_avg"], state["exp_avg_sq"], state["step"], group["lr"],
                    group["betas"], group["eps"])
                p.copy_(new)


def _adam(params: list[Tensor], lrs: list[float], betas) -> torch.optim.Optimizer:
    """``torch.optim.Adam`` when the models share one rate, :class:`PerModelAdam` otherwise."""
    if len(set(lrs)) == 1:
        return torch.optim.Adam(params, lr=lrs[0], betas=betas, foreach=True)
    return PerModelAdam(params, torch.tensor(lrs, device=params[0].device), betas)


def stacked_gradient_penalty(D: StackedDiscriminator, real: Tensor, fake: Tensor,
                             generators: Sequence[torch.Generator] | torch.Generator | None = None) -> Tensor:
    r"""The WGAN-GP penalty (Gulrajani et al., 2017) of every model, ``[M]``:
    :math:`\mathbb E_{\hat x}(\lVert\nabla_{\hat x} f_m(\hat x)\rVert_2 - 1)^2`.

    The points :math:`\hat x` are :func:`gantext.interpolates` of each model's pair, with its
    weights drawn from ``generators[m]`` (as :func:`gantext.fit` draws them from model ``m``'s
    noise stream), or from one generator for all models in one call."""
    if not isinstance(D, StackedDiscriminator):
        raise TypeError(f"D must be a StackedDiscriminator, got {type(D).__name__}")
    _check.tensor(real, "real", dims=(3,), floating=True)
    _check.tensor(fake, "fake", dims=(3,), floating=True)
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape [M, n, d], got {list(real.shape)} "
                         f"and {list(fake.shape)}")
    # One weight per sample, drawn as gantext.interpolates draws it: model m's from its own stream.
    if isinstance(generators, (list, tuple)):
        eps = torch.stack([torch.rand(real.shape[1], 1, generator=g, device=g.device) for g in generators])
    else:
        eps = torch.rand(real.shape[0] * real.shape[1], 1, generator=generators,
                         device=real.device if generators is None else generators.device).view(*real.shape[:2], 1)
    eps = eps.to(real)                                                          # [M, n, 1]
    x = eps * real.detach() + (1 - eps) * fake.detach()
    x.requires_grad_(True)                                                      # [M, n, d]
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)             # [M, n, d]
    return (grad.norm(dim=2) - 1).pow(2).mean(dim=1)                            # [M]


def unrolled_logits(D: StackedDiscriminator, d_opt: torch.optim.Optimizer, loss: _losses.GANLoss,
                    real: Tensor, fake: Tensor, steps: int) -> Tensor:
    r"""D's logits on ``fake`` after ``steps`` more Adam steps of D, as a differentiable function
    of ``fake`` (Metz et al., 2017, the surrogate objective of unrolled GANs).

    The parameters :math:`\theta_D^{k+1} = \theta_D^k - \mathrm{Adam}(\nabla L_D)` are computed
    from D's current parameters and ``d_opt``'s moments on the batch (``real``, ``fake``),
    keeping the graph, so the generator's gradient also flows through the way D *would react*
    to its samples. D and ``d_opt`` are not changed.
    """
    if not isinstance(D, StackedDiscriminator):
        raise TypeError(f"D must be a StackedDiscriminator, got {type(D).__name__}")
    if not isinstance(d_opt, (torch.optim.Adam, PerModelAdam)):
        raise TypeError(f"d_opt must be the Adam optimiser of D's parameters, got {type(d_opt).__name__}")
    check_loss(loss)
    _check.integer(steps, "steps", low=0)
    names, params = zip(*D.named_parameters())
    group = d_opt.param_groups[0]
    if len(d_opt.param_groups) != 1 or [id(p) for p in group["params"]] != [id(p) for p in params]:
        raise ValueError("d_opt must be the Adam optimiser of D's parameters (one group, in order)")
    states = [d_opt.state[p] for p in params]
    moments = [(s.get("exp_avg", torch.zeros_like(p)), s.get("exp_avg_sq", torch.zeros_like(p)))
               for s, p in zip(states, params)]
    done = int(states[0].get("step", 0))
    d_loss_per_model = torch.vmap(loss.d_loss)                                  # [M, k], [M, k] -> [M]
    for step in range(done + 1, done + steps + 1):
        logits = [functional_call(D, dict(zip(names, params)), (x,)) for x in (real, fake)]
        grads = torch.autograd.grad(d_loss_per_model(*logits).sum(), params, create_graph=True)
        updated = [adam_update(p, g, m, v, step, group["lr"], group["betas"], group["eps"])
                   for p, g, (m, v) in zip(params, grads, moments)]
        params, moments = [u[0] for u in updated], [u[1:] for u in updated]
    return functional_call(D, dict(zip(names, params)), (fake,))               # [M, n/m]


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

class StackedHistory:
    """:class:`gantext.History` for ``M`` models: ``d_loss`` and ``g_loss`` are float NumPy
    ``[steps, M]`` (row ``i`` belongs to generator step ``i + 1``); ``log(name, values)`` records
    one number per model at the current step and ``series(name)`` returns ``(steps [k],
    values [k, M])`` as NumPy arrays.

    A model whose loss becomes NaN or infinite is marked without stopping the others:
    ``diverged`` (bool ``[M]``) and ``diverged_at`` (its first such generator step, 0 for none).
    The marks are kept on the device, so training never waits for a GPU to report them.
    """

    # Losses are written into preallocated blocks of _BLOCK steps: one small tensor kept per step
    # fragments the C heap between the large transient activations, and over 25,000 steps the
    # process grew by gigabytes (glibc could not return the freed pages).
    _BLOCK = 1024

    def __init__(self, n_models: int, device: torch.device | str = "cpu"):
        self._blocks: list[Tensor] = []                                         # [_BLOCK, 2, M] each
        self._step = 0
        self._first_bad = torch.zeros(n_models, dtype=torch.long, device=device)   # [M]
        self.records: dict[str, list[tuple[int, list[float]]]] = {}
        self.interrupted = False

    @property
    def step(self) -> int:
        """The number of generator steps recorded."""
        return self._step

    def append(self, d_loss: Tensor, g_loss: Tensor) -> None:
        """Record one generator step's losses, ``[M]`` each, and mark models that diverged."""
        i = self._step % self._BLOCK
        if i == 0:
            self._blocks.append(torch.empty(self._BLOCK, 2, self._first_bad.shape[0],
                                            dtype=torch.float32, device=self._first_bad.device))
        row = self._blocks[-1][i]                                               # [2, M]
        row[0].copy_(d_loss.detach())
        row[1].copy_(g_loss.detach())
        self._step += 1
        bad = ~torch.isfinite(row).all(dim=0)                                   # [M]
        self._first_bad.masked_fill_(bad & (self._first_bad == 0), self._step)

    def _series(self, i: int):
        if not self._step:
            return torch.zeros(0, self._first_bad.shape[0]).numpy()
        return torch.cat(self._blocks)[:self._step, i].cpu().numpy()            # [steps, M]

    @property
    def d_loss(self):
        """Each model's discriminator loss per generator step (the mean over its ``k`` D steps)."""
        return self._series(0)

    @property
    def g_loss(self):
        """Each model's generator loss per generator step."""
        return self._series(1)

    def log(self, name: str, values) -> None:
        """Record one value per model (a tensor, array or list) under ``name`` at the current step."""
        _check.text(name, "name", none=False)
        if isinstance(values, (str, bytes)) or not (hasattr(values, "tolist") or hasattr(values, "__iter__")):
            raise TypeError(f"values must be one number per model (a tensor or a list), got {values!r:.60}")
        values = values.tolist() if hasattr(values, "tolist") else list(values)
        self.records.setdefault(name, []).append((self.step, [float(v) for v in values]))

    def series(self, name: str):
        """``(steps [k], values [k, M])`` of a logged quantity, as NumPy arrays."""
        if name not in self.records:
            raise KeyError(f"nothing was logged as {name!r}; logged: {sorted(self.records)}")
        steps, values = zip(*self.records[name])
        return np.array(steps), np.array(values, dtype=np.float64)

    @property
    def diverged_at(self) -> Tensor:
        """The first generator step of each model whose loss was NaN or infinite, 0 when none was; ``[M]``."""
        return self._first_bad.cpu()

    @property
    def diverged(self) -> Tensor:
        """Per model, whether it diverged (a non-finite loss at some step), bool ``[M]``."""
        return self.diverged_at > 0

    def raise_if_diverged(self) -> None:
        """Raise :class:`~gantext.TrainingDiverged` naming every diverged model and its step."""
        at = self.diverged_at
        models = [(m, int(s)) for m, s in enumerate(at.tolist()) if s > 0]
        if models:
            raise TrainingDiverged(f"{len(models)} of {at.shape[0]} stacked models diverged "
                                   f"(model, first step with a NaN/inf loss): {models[:10]}")

    def __repr__(self) -> str:
        n_bad = int(self.diverged.sum())
        return (f"StackedHistory(steps={self.step}, records={sorted(self.records)}"
                + (f", diverged={n_bad} models" if n_bad else "") + ")")


def _per_model(values, n_models: int, name: str) -> list[float]:
    """One finite positive number per model, from one number or a list of ``n_models``."""
    values = list(values) if isinstance(values, (list, tuple)) else [values] * n_models
    if len(values) != n_models:
        raise ValueError(f"{name} must be one number > 0 or one per model ({n_models}), got {len(values)}")
    for v in values:
        _check.number(v, name, low=0, low_open=True)
    return [float(v) for v in values]


def fit_stacked(G: StackedGenerator, D: StackedDiscriminator, data,
                loss: _losses.GANLoss = _losses.non_saturating, config: TrainConfig | None = None, *,
                gradient_penalty: bool = False, unroll_steps: int = 0,
                d_lr: float | Sequence[float] | None = None, g_lr: float | Sequence[float] | None = None,
                per_model_streams: bool = True, callbacks: Sequence[Callable] = (),
                on_divergence: str = "mark") -> StackedHistory:
    """Train ``M`` stacked GANs at once, each exactly as :func:`gantext.fit` would train it alone.

    ``config`` is :func:`gantext.fit`'s :class:`~gantext.TrainConfig` (its checkpoint fields are
    not used). Model ``m`` takes the random streams of ``gt.fit`` with seed ``config.seed + m``
    (:func:`gantext.training_streams`) and draws from them in ``fit``'s order: per discriminator
    step a real batch, a latent batch and, with the penalty, the interpolation weights; the
    generator step reuses the last latent batch. It then follows ``fit``'s trajectory to float
    rounding. ``per_model_streams=False`` draws every model's numbers in one call from the
    streams of ``config.seed`` (faster for many models on a GPU; the same statistics, not the
    same bits as ``fit``).

    ``gradient_penalty=True`` adds ``config.penalty_weight`` times
    :func:`stacked_gradient_penalty` (WGAN-GP). ``unroll_steps=k > 0`` trains G against the
    discriminator as it will be after ``k`` more Adam steps on the current batch, differentiating
    through those steps (Metz et al., 2017); D itself takes its ordinary step. ``d_lr``/``g_lr``
    give one learning rate per model (a sweep over TTUR settings in one run). Each callback is
    called as ``cb(step, G, D, history)`` at step 0 and after every generator step. Losses must
    be means over samples (all of :mod:`gantext.losses` are). A model that diverges produces NaN
    without disturbing the others and is marked in ``history.diverged``;
    ``on_divergence="raise"`` instead raises :class:`~gantext.TrainingDiverged` (checked every
    10 steps and at the end). Ctrl-C stops training and returns the history so far.
    """
    config = TrainConfig() if config is None else config
    if not isinstance(G, StackedGenerator) or not isinstance(D, StackedDiscriminator):
        raise TypeError("G and D must be a StackedGenerator and a StackedDiscriminator (see stack_models)")
    if G.n_models != D.n_models:
        raise ValueError(f"G and D must stack the same number of models, got {G.n_models} and {D.n_models}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    check_loss(loss)
    if isinstance(data, Tensor):
        _check.tensor(data, "data", dims=(2,), floating=True, finite=True)
    elif not isinstance(data, Distribution):
        raise TypeError("data must be a gantext Distribution or a non-empty [N, d] tensor of samples")
    data_dim = data.shape[1] if isinstance(data, Tensor) else getattr(data, "dim", D.data_dim)
    if data_dim != D.data_dim or G.data_dim != D.data_dim:
        raise ValueError(f"data ({data_dim}-D), G ({G.data_dim}-D) and D ({D.data_dim}-D) must agree in dimension")
    _check.integer(unroll_steps, "unroll_steps", low=0)
    _check.boolean(gradient_penalty, "gradient_penalty")
    _check.boolean(per_model_streams, "per_model_streams")
    if on_divergence not in ("mark", "raise"):
        raise ValueError(f"on_divergence must be 'mark' or 'raise', got {on_divergence!r}")
    if callable(callbacks) or not all(callable(cb) for cb in callbacks):
        raise TypeError(f"callbacks must be a list of functions cb(step, G, D, history), got {callbacks!r:.80}")
    if unroll_steps and D.spectral_norm:
        raise ValueError("unroll_steps > 0 cannot be combined with a spectral-norm discriminator")
    if config.batch_size % D.pack:
        raise ValueError(f"config.batch_size ({config.batch_size}) must be a multiple of D's pack ({D.pack})")
    n_models, n = G.n_models, config.batch_size
    d_lrs = _per_model((config.d_lr or DEFAULT_LR) if d_lr is None else d_lr, n_models, "d_lr")
    g_lrs = _per_model((config.g_lr or DEFAULT_LR) if g_lr is None else g_lr, n_models, "g_lr")
    betas = config.betas or DEFAULT_BETAS

    dev = resolve_device(config.device)
    G.to(dev).train()
    D.to(dev).train()
    d_params, g_params = list(D.parameters()), list(G.parameters())
    d_opt, g_opt = _adam(d_params, d_lrs, betas), _adam(g_params, g_lrs, betas)
    if per_model_streams:   # model m: the streams of gt.fit(seed=config.seed + m), drawn as fit draws
        noise, data_rng = zip(*(training_streams(config.seed + m, dev) for m in range(n_models)))
        batches = [real_batches(data, n, dev, g) for g in data_rng]
        latent = lambda: torch.stack([draw_latent(n, G.latent_dim, dev, g) for g in noise])
        real_batch = lambda: torch.stack([next(b)[0] for b in batches])
    else:                   # one call per draw for all models
        noise, data_rng = training_streams(config.seed, dev)
        batches = real_batches(data, n_models * n, dev, data_rng)
        latent = lambda: draw_latent(n_models * n, G.latent_dim, dev, noise).view(n_models, n, -1)
        real_batch = lambda: next(batches)[0].view(n_models, n, -1)
    joint = D.batch_independent
    d_loss_per_model = torch.vmap(loss.d_loss)                                  # [M, k], [M, k] -> [M]
    g_loss_per_model = torch.vmap(loss.g_loss)                                  # [M, k] -> [M]

    history = StackedHistory(n_models, dev)
    for cb in callbacks:
        cb(0, G, D, history)
    try:
        for step in tqdm(range(1, config.steps + 1), disable=not config.progress, desc="stacked GANs",
                         leave=False):
            d_losses = []
            for i in range(config.d_steps):
                real, z = real_batch(), latent()                                # [M, n, d], [M, n, latent]
                with torch.set_grad_enabled(i == config.d_steps - 1):
                    fake = G(z)                       # [M, n, d]; the last one keeps G's graph
                if joint:   # one pass, as fit makes when D's output for a sample ignores its batch
                    logits = D(torch.cat([real, fake.detach()], dim=1))          # [M, 2n]
                    per_model = d_loss_per_model(logits[:, :n], logits[:, n:])  # [M]
                else:
                    per_model = d_loss_per_model(D(real), D(fake.detach()))     # [M]
                total = per_model.sum()               # the models share no parameter: Σ_m trains each
                if gradient_penalty:
                    total = total + config.penalty_weight * stacked_gradient_penalty(
                        D, real, fake, noise).sum()
                backward_and_step(total, d_opt)
                if config.clip is not None:
                    with torch.no_grad():
                        for p in d_params:
                            p.clamp_(-config.clip, config.clip)
                d_losses.append(per_model.detach())

            if unroll_steps:
                fake_logits = unrolled_logits(D, d_opt, loss, real, fake, unroll_steps)   # [M, n/m]
            else:
                fake_logits = D(fake)                                           # [M, n/m]
            g_per_model = g_loss_per_model(fake_logits)                         # [M]
            backward_and_step(g_per_model.sum(), g_opt)
            history.append(torch.stack(d_losses).mean(dim=0), g_per_model)
            if on_divergence == "raise" and (step % 10 == 0 or step == config.steps):
                history.raise_if_diverged()
            for cb in callbacks:
                cb(step, G, D, history)
    except KeyboardInterrupt:
        history.interrupted = True
    return history
