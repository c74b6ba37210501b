"""Training many small GANs at once: stacked weights and batched matrix products (chapter 5).

A table over seeds and methods trains dozens of copies of the same small networks. Trained one
after another, each copy leaves a GPU almost idle: a 2-D GAN's matrices are far too small to
fill it, and the time goes into launching kernels. Here ``M`` independent networks of one
architecture are *stacked*: every linear layer holds a weight tensor ``[M, in, out]`` and is
evaluated for all models with a single :func:`torch.baddbmm`, a batch of ``M`` matrix products.
Nothing is shared between the models: each has its own weights, its own Adam moments, its own
learning rates and, by default, its own random streams, so model ``m`` trained here follows the
same trajectory (to float rounding) as the same network trained alone by :func:`gantext.fit`.
``tests/test_batched.py`` checks exactly that.

* :class:`StackedGenerator` / :class:`StackedDiscriminator` stack :class:`~gantext.MLPGenerator` /
  :class:`~gantext.MLPDiscriminator` networks (with spectral norm, the minibatch feature and
  packing); :func:`stack_models` builds them from seeds.
* :func:`fit_stacked` is :func:`gantext.fit` for stacked models, with the unrolled discriminator
  of Metz et al. (2017) as an option.
* :data:`VEEGAN_PROTOCOL`, :class:`Method` and :func:`mode_collapse_table` compute the chapter's
  table; ``python -m gantext.batched --help`` runs it from a shell (full size on a GPU).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from . import _check
from . import losses as _losses
from .data import Distribution, grid, ring
from .metrics import mode_coverage
from .models import MinibatchStdDev, MLPDiscriminator, MLPGenerator
from .train import TrainConfig, TrainingDiverged
from .utils import device as resolve_device

__all__ = ["StackedLinear", "StackedGenerator", "StackedDiscriminator", "StackedAdam",
           "StackedHistory", "stack_models", "stacked_gradient_penalty", "unrolled_logits",
           "fit_stacked", "mode_collapse_table", "summarise_table"]
# Protocol, Method, VEEGAN_PROTOCOL and CHAPTER_METHODS stay in the module's namespace
# (gt.batched.Method): their short names would be ambiguous at the package's top level.


# ---------------------------------------------------------------------------------------------
# Stacked layers and networks
# ---------------------------------------------------------------------------------------------

class StackedLinear(nn.Module):
    """``M`` independent affine maps ``x ↦ x W_m + b_m``, evaluated with one :func:`torch.baddbmm`.

    ``weight`` is ``[M, in, out]`` (the transpose of :class:`torch.nn.Linear`'s, so that the
    batched product needs no transpose) and ``bias`` is ``[M, 1, out]``. With
    ``spectral_norm=True`` each weight is divided by an estimate of its largest singular value,
    refreshed by one power iteration per forward pass in training mode, exactly as
    :func:`torch.nn.utils.parametrizations.spectral_norm` does (Miyato et al., 2018).
    """

    def __init__(self, weight: Tensor, bias: Tensor, u: Tensor | None = None, v: Tensor | None = None):
        _check.tensor(weight, "weight", dims=(3,), floating=True)
        m, n_in, n_out = weight.shape
        _check.tensor(bias, "bias", dims=(3,), floating=True)
        if tuple(bias.shape) != (m, 1, n_out):
            raise ValueError(f"bias must have shape [{m}, 1, {n_out}] to match weight "
                             f"{list(weight.shape)}, got {list(bias.shape)}")
        if (u is None) != (v is None):
            raise ValueError("u and v must both be given (spectral norm) or both be None")
        if u is not None:
            _check.tensor(u, "u", dims=(2,), floating=True)
            _check.tensor(v, "v", dims=(2,), floating=True)
            if tuple(u.shape) != (m, n_out) or tuple(v.shape) != (m, n_in):
                raise ValueError(f"u and v must have shapes [{m}, {n_out}] and [{m}, {n_in}], got "
                                 f"{list(u.shape)} and {list(v.shape)}")
        super().__init__()
        self.weight = nn.Parameter(weight.detach().clone())                      # [M, in, out]
        self.bias = nn.Parameter(bias.detach().clone())                          # [M, 1, out]
        self.spectral_norm = u is not None
        if self.spectral_norm:
            self.register_buffer("u", u.detach().clone())                        # [M, out]
            self.register_buffer("v", v.detach().clone())                        # [M, in]

    @classmethod
    def stack(cls, layers: Sequence[nn.Linear]) -> "StackedLinear":
        """Stack ``nn.Linear`` layers (plain or with the spectral-norm parametrization)."""
        layers = list(layers) if isinstance(layers, (list, tuple)) else layers
        if not isinstance(layers, (list, tuple)) or not layers \
                or not all(isinstance(l, nn.Linear) and l.bias is not None for l in layers):
            raise TypeError("layers must be a non-empty sequence of nn.Linear layers with biases")
        if len({(l.in_features, l.out_features) for l in layers}) != 1:
            raise ValueError("layers must all have the same in_features and out_features")
        if all(hasattr(l, "parametrizations") for l in layers):
            weight = torch.stack([l.parametrizations.weight.original.T for l in layers])
            u = torch.stack([l.parametrizations.weight[0]._u for l in layers])
            v = torch.stack([l.parametrizations.weight[0]._v for l in layers])
        else:
            weight, u, v = torch.stack([l.weight.T for l in layers]), None, None
        bias = torch.stack([l.bias for l in layers])[:, None, :]
        return cls(weight, bias, u, v)

    def effective_weight(self) -> Tensor:
        """The weight the forward pass uses: ``W``, or ``W / σ(W)`` with spectral norm."""
        w = self.weight                                                          # [M, in, out]
        if not self.spectral_norm:
            return w
        if self.training:
            with torch.no_grad():  # one power iteration, u first, as torch's parametrization
                self.u = F.normalize(torch.einsum("mio,mi->mo", w, self.v), dim=1, eps=1e-12)
                self.v = F.normalize(torch.einsum("mio,mo->mi", w, self.u), dim=1, eps=1e-12)
        sigma = torch.einsum("mo,mio,mi->m", self.u, w, self.v)                 # [M]
        return w / sigma[:, None, None]

    def forward(self, x: Tensor) -> Tensor:
        _check_stacked_input(x, "x", self.weight)
        return torch.baddbmm(self.bias, x, self.effective_weight())             # [M, n, out]


class StackedMinibatchStdDev(nn.Module):
    """:class:`~gantext.MinibatchStdDev` for every model: the spread is computed per model."""

    def forward(self, h: Tensor) -> Tensor:
        spread = h.std(dim=1, unbiased=False).mean(dim=1)                       # [M]
        return torch.cat([h, spread[:, None, None].expand(-1, h.shape[1], 1)], dim=2)  # [M, n, f + 1]


def _stack_sequential(nets: Sequence[nn.Sequential]) -> nn.Sequential:
    """Stack identical ``nn.Sequential`` MLPs layer by layer."""
    layers: list[nn.Module] = []
    for parts in zip(*(net.children() for net in nets)):
        first = parts[0]
        if isinstance(first, nn.Linear):
            layers.append(StackedLinear.stack(parts))
        elif isinstance(first, MinibatchStdDev):
            layers.append(StackedMinibatchStdDev())
        elif isinstance(first, nn.modules.batchnorm._BatchNorm):
            raise TypeError("batch normalisation cannot be stacked here; use a generator without batch_norm")
        elif not any(True for _ in first.parameters()):
            layers.append(copy.deepcopy(first))                                 # an activation
        else:
            raise TypeError(f"cannot stack a layer of type {type(first).__name__}")
    return nn.Sequential(*layers)


def _check_stacked_input(x, name: str, like: Tensor) -> None:
    """Metadata only (no values read): a tensor on ``like``'s device and dtype."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a tensor, got {type(x).__name__}")
    if x.device.type == "meta":
        raise ValueError(f"{name} is a meta tensor, which holds no values")
    if x.dtype != like.dtype:
        raise TypeError(f"{name} must have the models' dtype {like.dtype}, got {x.dtype}")
    if x.device != like.device:
        raise ValueError(f"{name} must be on the models' device {like.device}, got {x.device}")


def _check_models(models, cls, name: str) -> list:
    if isinstance(models, (str, bytes)) or not hasattr(models, "__iter__"):
        raise TypeError(f"{name} must be a non-empty sequence of gantext {cls.__name__} networks")
    models = list(models)
    if not models or not all(isinstance(m, cls) for m in models):
        raise TypeError(f"{name} must be a non-empty sequence of gantext {cls.__name__} networks")
    shapes = {tuple((k, tuple(p.shape)) for k, p in m.state_dict().items()) for m in models}
    if len(shapes) != 1:
        raise ValueError(f"{name} must all have the same architecture (same layers and shapes)")
    return models


class StackedGenerator(nn.Module):
    """``M`` generators of one architecture: ``z [M, n, latent_dim] ↦ x [M, n, data_dim]``."""

    def __init__(self, generators: Sequence[MLPGenerator]):
        super().__init__()
        generators = _check_models(generators, MLPGenerator, "generators")
        self.n_models = len(generators)
        self.latent_dim, self.data_dim = generators[0].latent_dim, generators[0].data_dim
        self.net = _stack_sequential([g.net for g in generators])

    def forward(self, z: Tensor) -> Tensor:
        _check_stacked_input(z, "z", self.net[0].weight)
        if z.dim() != 3 or z.shape[0] != self.n_models or z.shape[2] != self.latent_dim:
            raise ValueError(f"z must have shape [{self.n_models}, n, {self.latent_dim}], got {list(z.shape)}")
        return self.net(z)                                                      # [M, n, data_dim]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` samples from every model, ``[M, n, data_dim]``."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be None or a torch.Generator, got {type(generator).__name__}")
        _check.memory(self.n_models * n * (self.latent_dim + max(l.weight.shape[2] for l in self.net
                                                                  if isinstance(l, StackedLinear))) * 8,
                      f"sample(n={n}) for {self.n_models} models")
        device = self.net[0].weight.device
        gen_device = device if generator is None else generator.device
        z = torch.randn(self.n_models, n, self.latent_dim, generator=generator, device=gen_device)
        return self(z.to(device))                                               # [M, n, data_dim]


class StackedDiscriminator(nn.Module):
    """``M`` discriminators of one architecture: ``x [M, n, data_dim] ↦ logits [M, n / pack]``."""

    def __init__(self, discriminators: Sequence[MLPDiscriminator]):
        super().__init__()
        discriminators = _check_models(discriminators, MLPDiscriminator, "discriminators")
        self.n_models = len(discriminators)
        self.data_dim, self.pack = discriminators[0].data_dim, discriminators[0].pack
        self.net = _stack_sequential([d.net for d in discriminators])

    @property
    def spectral_norm(self) -> bool:
        return any(getattr(layer, "spectral_norm", False) for layer in self.net)

    def forward(self, x: Tensor) -> Tensor:
        _check_stacked_input(x, "x", self.net[0].weight)
        if x.dim() != 3 or x.shape[0] != self.n_models or x.shape[2] != self.data_dim:
            raise ValueError(f"x must have shape [{self.n_models}, n, {self.data_dim}], got {list(x.shape)}")
        if x.shape[1] % self.pack:
            raise ValueError(f"the batch size ({x.shape[1]}) must be a multiple of pack={self.pack}")
        x = x.reshape(x.shape[0], x.shape[1] // self.pack, self.pack * self.data_dim)  # [M, n/m, m·d]
        return self.net(x).squeeze(2)                                           # [M, n/m]


def stack_models(make_g: Callable[[], MLPGenerator], make_d: Callable[[], MLPDiscriminator],
                 seeds: Sequence[int]) -> tuple[StackedGenerator, StackedDiscriminator]:
    """Build one (G, D) pair per seed, each as ``torch.manual_seed(seed); G = make_g(); D = make_d()``
    would, and stack them. Training model ``m`` alone starts from exactly the same weights."""
    if not callable(make_g) or not callable(make_d):
        raise TypeError("make_g and make_d must be functions that build one MLPGenerator and one "
                        "MLPDiscriminator (e.g. lambda: gt.MLPGenerator(2, 2))")
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a sequence of non-negative integers, got {seeds!r:.60}")
    seeds = list(seeds)
    for s in seeds:
        _check.integer(s, "each seed", low=0, high=2**64 - 1)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    gs, ds = [], []
    for s in seeds:
        torch.manual_seed(s)
        gs.append(make_g())
        ds.append(make_d())
    return StackedGenerator(gs), StackedDiscriminator(ds)


# ---------------------------------------------------------------------------------------------
# Optimiser, penalty, history
# ---------------------------------------------------------------------------------------------

def _sqrt_safe_at_zero(v: Tensor) -> Tensor:
    """``v.sqrt()`` with the same values, whose derivative at ``v = 0`` is 0 instead of ∞.

    Adam's second moment ``v`` is exactly 0 for any parameter whose gradients have all been 0
    (a dead ReLU unit). Unrolling differentiates through the update, and there ``m = 0`` times
    d√v/dv = ∞ gives NaN; the true update is 0 for every such ``v``, so its derivative is 0.
    """
    positive = v > 0
    return torch.where(positive, torch.where(positive, v, torch.ones_like(v)).sqrt(), torch.zeros_like(v))


class StackedAdam:
    """Adam (Kingma & Ba, 2015) for stacked parameters ``[M, ...]`` with one learning rate per model.

    Adam acts element by element, so on stacked tensors each model keeps its own moments; the
    arithmetic is that of :class:`torch.optim.Adam` (bias corrections, ε added after the square
    root). :meth:`update` is the same step as a pure function, for unrolling.
    """

    def __init__(self, params: Sequence[Tensor], lr, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        if isinstance(params, Tensor) or not hasattr(params, "__iter__"):
            raise TypeError("params must be a sequence of stacked tensors [M, ...]")
        self.params = list(params)
        if not self.params or not all(isinstance(p, Tensor) and p.dim() >= 1 for p in self.params):
            raise TypeError("params must be a non-empty sequence of stacked tensors [M, ...]")
        if len({p.shape[0] for p in self.params}) != 1:
            raise ValueError("params must all stack the same number of models (first dimension)")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2 \
                or not all(_check.is_number(b) and 0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        _check.number(eps, "eps", low=0, low_open=True)
        if isinstance(lr, bool) or (isinstance(lr, (list, tuple)) and any(isinstance(x, bool) for x in lr)):
            raise TypeError(f"lr must be one number > 0 or one per model, got {lr!r}")
        if isinstance(lr, (str, bytes)):
            raise TypeError(f"lr must be one number > 0 or one per model, got {lr!r}")
        n_models = self.params[0].shape[0]
        lr = torch.as_tensor(lr, dtype=self.params[0].dtype, device=self.params[0].device)
        if lr.dim() == 0:
            lr = lr.expand(n_models)
        if lr.shape != (n_models,) or not torch.all(lr > 0) or not torch.all(torch.isfinite(lr)):
            raise ValueError(f"lr must be one number > 0 or one per model ({n_models}), got {lr.tolist()}")
        self.lr, self.betas, self.eps = lr, betas, eps
        self.state = {"step": 0, "m": [torch.zeros_like(p) for p in self.params],
                      "v": [torch.zeros_like(p) for p in self.params]}

    def update(self, params, grads, state) -> tuple[list[Tensor], dict]:
        """One Adam step as a pure function: ``(params, grads, state) -> (new params, new state)``."""
        b1, b2 = self.betas
        step = state["step"] + 1
        c1, c2 = 1 - b1 ** step, 1 - b2 ** step
        new_p, new_m, new_v = [], [], []
        for p, g, m, v in zip(params, grads, state["m"], state["v"]):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            lr = (self.lr / c1).view(-1, *([1] * (p.dim() - 1)))                # [M, 1, ...]
            new_p.append(p - lr * m / (_sqrt_safe_at_zero(v) / math.sqrt(c2) + self.eps))
            new_m.append(m)
            new_v.append(v)
        return new_p, {"step": step, "m": new_m, "v": new_v}

    @torch.no_grad()
    def step(self, grads: Sequence[Tensor]) -> None:
        """Update the parameters in place with the given gradients."""
        new_p, self.state = self.update(self.params, grads, self.state)
        for p, q in zip(self.params, new_p):
            p.copy_(q)


def stacked_gradient_penalty(D: StackedDiscriminator, real: Tensor, fake: Tensor,
                             generator: torch.Generator | None = None) -> Tensor:
    r"""The WGAN-GP penalty (Gulrajani et al., 2017) of every model, averaged over models:
    :math:`\frac1M\sum_m \mathbb E_{\hat x}(\lVert\nabla_{\hat x} f_m(\hat x)\rVert_2 - 1)^2`, with one
    interpolation weight per sample. Model ``m``'s term equals :func:`gantext.gradient_penalty`
    of the ``m``-th critic for the same interpolation weights."""
    if not isinstance(D, StackedDiscriminator):
        raise TypeError(f"D must be a StackedDiscriminator, got {type(D).__name__}")
    _check.tensor(real, "real", dims=(3,), floating=True)
    _check.tensor(fake, "fake", dims=(3,), floating=True)
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape [M, n, d], got {list(real.shape)} "
                         f"and {list(fake.shape)}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be None or a torch.Generator, got {type(generator).__name__}")
    m, n = real.shape[:2]
    gen_device = real.device if generator is None else generator.device
    eps = torch.rand(m, n, 1, generator=generator, device=gen_device).to(real)  # [M, n, 1]
    x = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)  # [M, n, d]
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)             # [M, n, d]
    return (grad.norm(dim=2) - 1).pow(2).mean()


class StackedHistory:
    """Per-step losses of every model: ``d_loss`` and ``g_loss`` are ``[steps, M]`` tensors."""

    def __init__(self):
        self._d: list[Tensor] = []
        self._g: list[Tensor] = []
        self.records: dict[str, list[tuple[int, list[float]]]] = {}

    @property
    def step(self) -> int:
        return len(self._d)

    @property
    def d_loss(self) -> Tensor:
        return torch.stack(self._d).cpu() if self._d else torch.zeros(0)

    @property
    def g_loss(self) -> Tensor:
        return torch.stack(self._g).cpu() if self._g else torch.zeros(0)

    def log(self, name: str, values) -> None:
        """Record one value per model under ``name`` at the current step."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a string, got {type(name).__name__}")
        if isinstance(values, (str, bytes)) or not (hasattr(values, "tolist") or hasattr(values, "__iter__")):
            raise TypeError(f"values must be one number per model (a tensor or a list), got {values!r:.60}")
        values = values.tolist() if hasattr(values, "tolist") else list(values)
        self.records.setdefault(name, []).append((self.step, [float(v) for v in values]))

    def series(self, name: str) -> tuple[list[int], Tensor]:
        """``(steps, values [len(steps), M])`` of a logged quantity."""
        if name not in self.records:
            raise KeyError(f"nothing was logged as {name!r}; logged: {sorted(self.records)}")
        steps, values = zip(*self.records[name])
        return list(steps), torch.tensor(values, dtype=torch.float64)

    @property
    def diverged_at(self) -> Tensor:
        """The first generator step of each model whose loss was NaN or infinite, 0 when none was; ``[M]``."""
        first = getattr(self, "_first_bad", None)
        if first is None:
            n = self._d[0].shape[0] if self._d else 0
            return torch.zeros(n, dtype=torch.long)
        return first.cpu()

    @property
    def diverged(self) -> Tensor:
        """Per model, whether it diverged (a non-finite loss at some step), bool ``[M]``."""
        return self.diverged_at > 0

    def _raise_if_diverged(self) -> None:
        at = self.diverged_at
        if bool((at > 0).any()):
            models = [(m, int(s)) for m, s in enumerate(at.tolist()) if s > 0]
            raise TrainingDiverged(f"{len(models)} of {at.shape[0]} stacked models diverged "
                                   f"(model, first step with a NaN/inf loss): {models[:10]}")

    def __repr__(self) -> str:
        n_bad = int(self.diverged.sum()) if self._d else 0
        return (f"StackedHistory(steps={self.step}, records={sorted(self.records)}"
                + (f", diverged={n_bad} models" if n_bad else "") + ")")


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def _draw(data, n: int, generator: torch.Generator) -> Tensor:
    """``n`` real samples as :func:`gantext.fit` draws them (a distribution or a tensor)."""
    if isinstance(data, Distribution):
        return data.sample(n, generator=generator)
    return data[torch.randint(data.shape[0], (n,), generator=generator)]


def _per_model(values, n_models: int, name: str) -> list[float]:
    if isinstance(values, (bool, str, bytes)) or (isinstance(values, (list, tuple)) and not all(
            _check.is_number(v) for v in values)) or not (isinstance(values, (list, tuple))
                                                        or _check.is_number(values)):
        raise ValueError(f"{name} must be one finite number > 0 or one per model ({n_models}), got {values!r}")
    values = [float(v) for v in values] if isinstance(values, (list, tuple)) else [float(values)] * n_models
    if len(values) != n_models or not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"{name} must be one finite number > 0 or one per model ({n_models}), got {values!r}")
    return values


def unrolled_logits(D: StackedDiscriminator, d_opt: StackedAdam, loss: _losses.GANLoss,
                    real: Tensor, fake: Tensor, steps: int) -> Tensor:
    r"""D's logits on ``fake`` after ``steps`` more Adam steps of D, as a differentiable function
    of ``fake`` (Metz et al., 2017, the surrogate objective of unrolled GANs).

    The discriminator's parameters :math:`\theta_D^{k+1} = \theta_D^k - \mathrm{Adam}(\nabla L_D)`
    are computed from its current parameters and Adam state on the batch (``real``, ``fake``),
    keeping the graph, so the generator's gradient also flows through the way D *would react*
    to its samples. D itself is not changed.
    """
    if not isinstance(D, StackedDiscriminator):
        raise TypeError(f"D must be a StackedDiscriminator, got {type(D).__name__}")
    if not isinstance(d_opt, StackedAdam):
        raise TypeError(f"d_opt must be the StackedAdam over D's parameters, got {type(d_opt).__name__}")
    if not isinstance(loss, _losses.GANLoss):
        raise TypeError(f"loss must be a gantext GANLoss such as gt.losses.non_saturating, got {loss!r:.80}")
    _check.integer(steps, "steps", low=0)
    own = {id(p) for p in D.parameters()}
    if len(d_opt.params) != len(own) or any(id(p) not in own for p in d_opt.params):
        raise ValueError("d_opt must be the StackedAdam over D's parameters")
    names = [name for name, _ in D.named_parameters()]
    d_loss_per_model = torch.vmap(loss.d_loss)                                  # [M, k], [M, k] -> [M]
    params, state = list(D.parameters()), d_opt.state
    for _ in range(steps):
        logits = [functional_call(D, dict(zip(names, params)), (x,)) for x in (real, fake)]
        inner = d_loss_per_model(*logits).sum()
        grads = torch.autograd.grad(inner, params, create_graph=True)
        params, state = d_opt.update(params, grads, state)
    return functional_call(D, dict(zip(names, params)), (fake,))               # [M, n/m]


def fit_stacked(G: StackedGenerator, D: StackedDiscriminator, data,
                loss: _losses.GANLoss = _losses.non_saturating, config: TrainConfig | None = None, *,
                gradient_penalty: bool = False, unroll_steps: int = 0,
                d_lr: float | Sequence[float] | None = None, g_lr: float | Sequence[float] | None = None,
                per_model_streams: bool = True,
                callbacks: Sequence[Callable] = (), on_divergence: str = "mark") -> StackedHistory:
    """Train ``M`` stacked GANs at once, each exactly as :func:`gantext.fit` would train it alone.

    ``config`` is the :class:`~gantext.TrainConfig` of :func:`gantext.fit` (steps, batch size,
    ``d_steps``, learning rates, betas, ``penalty_weight``, ``clip``, device, progress); its
    checkpoint fields are not used. Model ``m`` uses the seed ``config.seed + 2m`` (``fit``
    draws data from ``seed + 1``, so even offsets keep the models' random streams disjoint) and,
    with ``per_model_streams=True``, draws its latent codes and real batches from its own
    generators in the order ``fit`` does: it then follows ``fit``'s trajectory to float
    rounding. ``per_model_streams=False`` draws every model's numbers in one call per step
    (faster for many models on a GPU; the same statistics, not the same bits).

    ``gradient_penalty=True`` adds ``config.penalty_weight`` times
    :func:`stacked_gradient_penalty` (WGAN-GP). ``unroll_steps=k > 0`` trains G against the
    discriminator as it will be after ``k`` more Adam steps on the current real batch and
    G's current fakes, differentiating through those steps (Metz et al., 2017); D itself takes
    its ordinary step. ``d_lr``/``g_lr`` override the config's rates with one number per model
    (a sweep over TTUR settings in one run). Each callback is called as
    ``cb(step, G, D, history)`` at step 0 and after every generator step. Losses must be means
    over samples (all of :mod:`gantext.losses` are). A model that diverges produces NaN without
    disturbing the others; it is marked: ``history.diverged`` (bool ``[M]``) and
    ``history.diverged_at`` (the first generator step with a non-finite loss, 0 for none) are kept
    on the device without synchronising. ``on_divergence="raise"`` instead raises
    :class:`~gantext.TrainingDiverged` (checked every 10 steps and at the end) naming the models
    and their steps.
    """
    config = TrainConfig() if config is None else config
    if not isinstance(G, StackedGenerator) or not isinstance(D, StackedDiscriminator):
        raise TypeError("G and D must be a StackedGenerator and a StackedDiscriminator (see stack_models)")
    if G.n_models != D.n_models:
        raise ValueError(f"G and D must stack the same number of models, got {G.n_models} and {D.n_models}")
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(loss, _losses.GANLoss):
        raise TypeError(f"loss must be a gantext GANLoss such as gt.losses.non_saturating, got {loss!r}")
    if not (isinstance(data, Distribution) or (isinstance(data, Tensor) and data.dim() == 2 and len(data))):
        raise TypeError("data must be a gantext Distribution or a non-empty [N, d] tensor of samples")
    if isinstance(unroll_steps, bool) or not isinstance(unroll_steps, int) or unroll_steps < 0:
        raise ValueError(f"unroll_steps must be an integer >= 0, got {unroll_steps!r}")
    if isinstance(data, Tensor):
        _check.tensor(data, "data", dims=(2,), floating=True, finite=True)
    data_dim = getattr(data, "dim", D.data_dim) if isinstance(data, Distribution) else data.shape[1]
    if data_dim != D.data_dim or G.data_dim != D.data_dim:
        raise ValueError(f"data ({data_dim}-D), G ({G.data_dim}-D) and D ({D.data_dim}-D) must agree "
                         "in dimension")
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
    d_lrs = _per_model(config.d_lr if d_lr is None else d_lr, n_models, "d_lr")
    g_lrs = _per_model(config.g_lr if g_lr is None else g_lr, n_models, "g_lr")

    dev = resolve_device(config.device)
    G.to(dev).train()
    D.to(dev).train()
    g_params, d_params = list(G.parameters()), list(D.parameters())
    d_opt = StackedAdam(d_params, d_lrs, config.betas)
    g_opt = StackedAdam(g_params, g_lrs, config.betas)
    seeds = [config.seed + 2 * m for m in range(n_models)]
    if per_model_streams:
        noise = [torch.Generator(device=dev).manual_seed(s) for s in seeds]
        data_rngs = [torch.Generator().manual_seed(s + 1) for s in seeds]
    else:
        noise = torch.Generator(device=dev).manual_seed(config.seed)
        data_rngs = torch.Generator().manual_seed(config.seed + 1)

    def latent() -> Tensor:                                                     # [M, n, latent]
        if per_model_streams:
            return torch.stack([torch.randn(n, G.latent_dim, generator=g, device=dev) for g in noise])
        return torch.randn(n_models, n, G.latent_dim, generator=noise, device=dev)

    def real_batch() -> Tensor:                                                 # [M, n, d]
        if per_model_streams:
            return torch.stack([_draw(data, n, g) for g in data_rngs]).to(dev)
        return _draw(data, n_models * n, data_rngs).reshape(n_models, n, -1).to(dev)

    d_loss_per_model = torch.vmap(loss.d_loss)                                  # [M, k], [M, k] -> [M]
    g_loss_per_model = torch.vmap(loss.g_loss)                                  # [M, k] -> [M]

    history = StackedHistory()
    history._first_bad = torch.zeros(n_models, dtype=torch.long, device=dev)
    for cb in callbacks:
        cb(0, G, D, history)
    from tqdm.auto import tqdm

    for step in tqdm(range(1, config.steps + 1), disable=not config.progress, desc="stacked GANs", leave=False):
        d_total = torch.zeros(n_models, device=dev)
        for _ in range(config.d_steps):
            real = real_batch()                                                 # [M, n, d]
            with torch.no_grad():
                fake = G(latent())                                              # [M, n, d]
            per_model = d_loss_per_model(D(real), D(fake))                      # [M]
            total = per_model.sum()                     # the models share no parameter: Σ_m trains each
            if gradient_penalty:
                total = total + config.penalty_weight * n_models * stacked_gradient_penalty(D, real, fake)
            d_opt.step(torch.autograd.grad(total, d_params))
            if config.clip is not None:
                with torch.no_grad():
                    for p in d_params:
                        p.clamp_(-config.clip, config.clip)
            d_total += per_model.detach()

        z = latent()                                                            # [M, n, latent]
        fake = G(z)                                                             # [M, n, d]
        if unroll_steps:
            fake_logits = unrolled_logits(D, d_opt, loss, real, fake, unroll_steps)  # [M, n/m]
        else:
            fake_logits = D(fake)                                               # [M, n/m]
        g_per_model = g_loss_per_model(fake_logits)                             # [M]
        g_opt.step(torch.autograd.grad(g_per_model.sum(), g_params))
        history._d.append(d_total / config.d_steps)
        history._g.append(g_per_model.detach())
        bad = ~(torch.isfinite(history._d[-1]) & torch.isfinite(history._g[-1]))   # [M]
        history._first_bad = torch.where(bad & (history._first_bad == 0), step, history._first_bad)
        if on_divergence == "raise" and (step % 10 == 0 or step == config.steps):
            history._raise_if_diverged()
        for cb in callbacks:
            cb(step, G, D, history)
    return history


# ---------------------------------------------------------------------------------------------
# The mode-collapse table (chapter 5)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Protocol:
    """The networks, optimiser and budget of a mode-collapse benchmark (PROTOCOLS.md).

    Both networks are MLPs with ``hidden`` layers of ``activation``; with ``orthogonal_gain``
    every weight matrix starts orthogonal with that gain and every bias at zero.
    """

    name: str                                  # how tables refer to it
    latent_dim: int = 256                      # z ~ N(0, I) in R^latent_dim
    hidden: tuple[int, ...] = (128, 128)       # hidden widths of G and of D
    activation: Callable[[], nn.Module] = nn.Tanh  # hidden non-linearity of both networks
    orthogonal_gain: float | None = 1.4        # orthogonal initialisation gain; None: PyTorch's default
    batch_size: int = 512                      # real and fake samples per minibatch
    d_lr: float = 1e-4                         # discriminator learning rate (Adam)
    g_lr: float = 1e-3                         # generator learning rate (Adam)
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's (β1, β2)
    steps: int = 25_000                        # generator updates
    n_eval: int = 2500                         # generator samples scored per model

    def make_generator(self) -> MLPGenerator:
        return self._init(MLPGenerator(self.latent_dim, 2, self.hidden, activation=self.activation))

    def make_discriminator(self, method: "Method") -> MLPDiscriminator:
        return self._init(MLPDiscriminator(2, self.hidden, activation=self.activation, pack=method.pack,
                                           minibatch_std=method.minibatch_std,
                                           spectral_norm=method.spectral_norm))

    def _init(self, model: nn.Module) -> nn.Module:
        if self.orthogonal_gain is not None:
            with torch.no_grad():
                for layer in model.modules():
                    if isinstance(layer, nn.Linear):
                        weight = layer.parametrizations.weight.original \
                            if hasattr(layer, "parametrizations") else layer.weight
                        nn.init.orthogonal_(weight, gain=self.orthogonal_gain)
                        nn.init.zeros_(layer.bias)
        return model


# Srivastava et al. (2017), Table 1, as GDPP (Elfeki et al., 2019) describes it; VEEGAN trained 100k steps.
VEEGAN_PROTOCOL = Protocol("VEEGAN Table 1")


@dataclass(frozen=True)
class Method:
    """One row of a mode-collapse table: the loss and the remedy trained under a protocol."""

    name: str                                          # row label
    loss: _losses.GANLoss = _losses.non_saturating     # the (d_loss, g_loss) pair
    pack: int = 1                                      # PacGAN packing degree m
    minibatch_std: bool = False                        # the minibatch standard-deviation feature
    spectral_norm: bool = False                        # spectral normalisation of D's layers
    gradient_penalty: bool = False                     # WGAN-GP's penalty, weight penalty_weight
    penalty_weight: float = 10.0                       # λ of the gradient penalty
    unroll_steps: int = 0                              # Metz et al.'s k; 0: no unrolling
    d_steps: int = 1                                   # discriminator steps per generator step
    d_lr: float | None = None                          # overrides the protocol's D learning rate
    g_lr: float | None = None                          # overrides the protocol's G learning rate


def _train_and_score(protocol: Protocol, method: Method, data_name: str, data, seeds: Sequence[int],
                     device: str, threads: int | None) -> list[dict]:
    """Train one method on one data set for every seed at once; score each model."""
    if threads is not None:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    G, D = stack_models(protocol.make_generator, lambda: protocol.make_discriminator(method), seeds)
    config = TrainConfig(steps=protocol.steps, batch_size=protocol.batch_size, d_steps=method.d_steps,
                         d_lr=method.d_lr or protocol.d_lr, g_lr=method.g_lr or protocol.g_lr,
                         betas=protocol.betas, penalty_weight=method.penalty_weight, seed=2 * seeds[0],
                         device=device, progress=False)
    fit_stacked(G, D, data, method.loss, config, gradient_penalty=method.gradient_penalty,
                unroll_steps=method.unroll_steps, per_model_streams=False)
    G.eval()
    with torch.no_grad():   # one fixed evaluation stream, the same for every method
        samples = G.sample(protocol.n_eval, torch.Generator(device=resolve_device(device)).manual_seed(10**6))
    seconds = time.perf_counter() - start
    rows = []
    for seed, x in zip(seeds, samples):
        row = dict(method=method.name, data=data_name, seed=int(seed), steps=protocol.steps,
                   n_modes=len(data.means), seconds=seconds / len(seeds))
        if not torch.isfinite(x).all():   # a diverged model is not "0 modes": it has no score
            warnings.warn(f"{method.name} on {data_name}, seed {seed}: the generator's samples are not "
                          "finite (training diverged); its scores are NaN", RuntimeWarning, stacklevel=2)
            rows.append(dict(row, modes=math.nan, high_quality=math.nan, reverse_kl=math.nan, diverged=True))
            continue
        score = mode_coverage(x, data.means, data.stds)
        rows.append(dict(row, modes=score.modes_captured, high_quality=score.high_quality_fraction,
                         reverse_kl=score.reverse_kl, diverged=False))
    return rows


def mode_collapse_table(protocol: Protocol, methods: Sequence[Method], datasets: dict,
                        seeds: Sequence[int], *, workers: int = 1, device: str = "auto") -> list[dict]:
    """Train every method on every data set for every seed; return one row per trained model.

    ``datasets`` maps a name to a :class:`~gantext.GaussianMixture` (``gt.ring()``, ``gt.grid()``).
    The seeds of one (method, data set) pair are trained together by :func:`fit_stacked`; with
    ``workers > 1`` the pairs are spread over that many processes with one thread each (on a
    CPU the fastest arrangement; on a GPU keep ``workers=1``). Each row holds the seed, the
    modes captured, the fraction of high-quality samples and the reverse KL of
    :func:`~gantext.metrics.mode_coverage` on ``protocol.n_eval`` samples, and the training
    time per model in seconds.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if not isinstance(protocol, Protocol):
        raise TypeError(f"protocol must be a Protocol, got {type(protocol).__name__}")
    methods = list(methods)
    if not methods or not all(isinstance(m, Method) for m in methods):
        raise TypeError("methods must be a non-empty sequence of Method")
    if not datasets or not all(hasattr(d, "means") and hasattr(d, "stds") for d in datasets.values()):
        raise TypeError("datasets must map names to Gaussian mixtures such as gt.ring() and gt.grid()")
    seeds = [int(s) for s in seeds]
    if not seeds or any(s < 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of non-negative integers, got {seeds!r}")
    resolve_device(device)
    jobs = [(protocol, m, name, data, seeds, device) for m in methods for name, data in datasets.items()]
    if workers == 1:
        results = [_train_and_score(*job, None) for job in jobs]
    else:
        # Costly jobs first, so that no worker is left alone with the slowest one at the end.
        order = sorted(range(len(jobs)), key=lambda i: -_relative_cost(jobs[i][1]))
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {i: pool.submit(_train_and_score, *jobs[i], 1) for i in order}
            results = [futures[i].result() for i in range(len(jobs))]
    return [row for rows in results for row in rows]


def _relative_cost(method: Method) -> float:
    """A rough cost of one generator step relative to the plain GAN (for scheduling only)."""
    d_cost = method.d_steps * (2.2 if method.gradient_penalty else 1.0)
    return d_cost + 1.0 + 2.5 * method.unroll_steps


def summarise_table(rows: Sequence[dict]) -> list[dict]:
    """Mean and standard error over seeds for each (method, data set), in the order of ``rows``.

    Each summary holds ``modes``, ``high_quality`` (a percentage) and ``reverse_kl`` as
    ``(mean, standard error)`` pairs, and the number of seeds ``n``. Runs without a single
    high-quality sample (reverse KL undefined) are left out of the reverse-KL mean. A diverged
    run (``diverged`` true, or NaN modes) makes every mean of its group NaN: a table must not
    hide it.
    """
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["method"], row["data"]), []).append(row)

    def mean_se(values, skip_nan=False):
        values = [float(v) for v in values]
        if not skip_nan and any(math.isnan(v) for v in values):
            return (math.nan, math.nan)
        values = [v for v in values if not math.isnan(v)]
        if not values:
            return (math.nan, math.nan)
        mean = sum(values) / len(values)
        if len(values) < 2:
            return (mean, math.nan)
        var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
        return (mean, math.sqrt(var / len(values)))

    def diverged(r):
        return bool(r.get("diverged", False)) or math.isnan(float(r["modes"]))

    return [dict(method=method, data=data, n=len(group), diverged=sum(map(diverged, group)),
                 modes=mean_se([r["modes"] for r in group]),
                 high_quality=mean_se([100 * r["high_quality"] for r in group]),
                 reverse_kl=(mean_se([math.nan] * len(group)) if any(map(diverged, group))
                             else mean_se([r["reverse_kl"] for r in group], skip_nan=True)))
            for (method, data), group in groups.items()]


# The methods of chapter 5's table, by the names the command line accepts.
CHAPTER_METHODS = (
    Method("GAN"),
    Method("PacGAN2", pack=2),
    Method("minibatch std", minibatch_std=True),
    Method("spectral norm", spectral_norm=True),
    Method("WGAN-GP", loss=_losses.wasserstein, gradient_penalty=True),
    Method("unrolled (k=5)", unroll_steps=5),
)


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """``python -m gantext.batched``: the chapter 5 table at any size (full size on a GPU)."""
    names = [m.name for m in CHAPTER_METHODS]
    parser = argparse.ArgumentParser(prog="python -m gantext.batched", description=main.__doc__)
    parser.add_argument("--steps", type=int, default=VEEGAN_PROTOCOL.steps, help="generator steps per run")
    parser.add_argument("--seeds", type=int, default=10, help="independent runs per method and data set")
    parser.add_argument("--methods", nargs="+", default=names, choices=names, metavar="NAME",
                        help=f"rows of the table, from: {', '.join(names)}")
    parser.add_argument("--data", nargs="+", default=["ring", "grid"], choices=["ring", "grid"])
    parser.add_argument("--workers", type=int, default=1, help="processes (CPU: one per core; GPU: 1)")
    parser.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda'")
    parser.add_argument("--out", default="mode_collapse_table.json", help="where to write the rows (JSON)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.seeds < 1:
        parser.error("--steps and --seeds must be positive")
    protocol = replace(VEEGAN_PROTOCOL, steps=args.steps)
    methods = [m for m in CHAPTER_METHODS if m.name in args.methods]
    mixtures = {"ring": ring, "grid": grid}
    datasets = {name: mixtures[name]() for name in args.data}
    start = time.perf_counter()
    rows = mode_collapse_table(protocol, methods, datasets, range(args.seeds), workers=args.workers,
                               device=args.device)
    summary = summarise_table(rows)
    for s in summary:
        print(f"{s['method']:>16} {s['data']:>5}: modes {s['modes'][0]:5.2f} ± {s['modes'][1]:.2f}   "
              f"HQ {s['high_quality'][0]:5.1f} ± {s['high_quality'][1]:.1f} %   "
              f"reverse KL {s['reverse_kl'][0]:.3f} ± {s['reverse_kl'][1]:.3f}   (n={s['n']}"
              + (f", {s['diverged']} diverged" if s["diverged"] else "") + ")")
    with open(args.out, "w") as f:
        json.dump(dict(protocol={k: v for k, v in asdict(protocol).items() if k != "activation"},
                       device=str(resolve_device(args.device)), seconds=time.perf_counter() - start,
                       rows=rows, summary=summary), f, indent=1)
    print(f"wrote {len(rows)} rows to {args.out}")
    return rows


if __name__ == "__main__":
    main()
