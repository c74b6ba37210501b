"""Stacked networks: ``M`` MLPs of one architecture evaluated as one computation (chapter 5).

Every linear layer holds a weight ``[M, in, out]`` and is evaluated for all models with one
:func:`torch.baddbmm`, a batch of ``M`` matrix products; activations, packing and the
minibatch feature act on each model's slice. :func:`stack_models` builds the models from seeds
exactly as they would be built one at a time.
"""

from __future__ import annotations

import copy
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import _check
from ..models import MinibatchStdDev, MLPDiscriminator, MLPGenerator

__all__ = ["StackedLinear", "StackedGenerator", "StackedDiscriminator", "stack_models", "orthogonal_init_"]


class StackedLinear(nn.Module):
    """``M`` independent affine maps ``x ↦ x W_m + b_m``, evaluated with one :func:`torch.baddbmm`.

    ``weight`` is ``[M, in, out]`` (the transpose of :class:`torch.nn.Linear`'s, so that the
    batched product needs no transpose) and ``bias`` is ``[M, 1, out]``. With ``u`` and ``v``
    (spectral norm) each weight is divided by an estimate of its largest singular value,
    refreshed by one power iteration per forward pass in training mode, exactly as
    :func:`torch.nn.utils.parametrizations.spectral_norm` does (Miyato et al., 2018).
    """

    def __init__(self, weight: Tensor, bias: Tensor, u: Tensor | None = None, v: Tensor | None = None):
        _check.tensor(weight, "weight", dims=(3,), floating=True)
        _check.tensor(bias, "bias", dims=(3,), floating=True)
        m, n_in, n_out = weight.shape
        if tuple(bias.shape) != (m, 1, n_out):
            raise ValueError(f"bias must have shape [{m}, 1, {n_out}] to match weight "
                             f"{list(weight.shape)}, got {list(bias.shape)}")
        if (u is None) != (v is None):
            raise ValueError("u and v must both be given (spectral norm) or both be None")
        if u is not None and (tuple(u.shape) != (m, n_out) or tuple(v.shape) != (m, n_in)):
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
        if not isinstance(layers, (list, tuple)) or not layers \
                or not all(isinstance(l, nn.Linear) and l.bias is not None for l in layers):
            raise TypeError("layers must be a non-empty sequence of nn.Linear layers with biases")
        if len({(l.in_features, l.out_features) for l in layers}) != 1:
            raise ValueError("layers must all have the same in_features and out_features")
        u = v = None
        if all(hasattr(l, "parametrizations") for l in layers):
            weight = torch.stack([l.parametrizations.weight.original.T for l in layers])
            u = torch.stack([l.parametrizations.weight[0]._u for l in layers])
            v = torch.stack([l.parametrizations.weight[0]._v for l in layers])
        else:
            weight = torch.stack([l.weight.T for l in layers])
        return cls(weight, torch.stack([l.bias for l in layers])[:, None, :], u, v)

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
        _check.model_input(x, "x", [self.weight], "[M, n, in]")
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


def _same_architecture(models, cls, name: str) -> list:
    if isinstance(models, (str, bytes)) or not hasattr(models, "__iter__") \
            or not (models := list(models)) or not all(isinstance(m, cls) for m in models):
        raise TypeError(f"{name} must be a non-empty sequence of gantext {cls.__name__} networks")
    if len({tuple((k, tuple(p.shape)) for k, p in m.state_dict().items()) for m in models}) != 1:
        raise ValueError(f"{name} must all have the same architecture (same layers and shapes)")
    return models


class StackedGenerator(nn.Module):
    """``M`` generators of one architecture: ``z [M, n, latent_dim] ↦ x [M, n, data_dim]``."""

    def __init__(self, generators: Sequence[MLPGenerator]):
        super().__init__()
        generators = _same_architecture(generators, MLPGenerator, "generators")
        self.n_models = len(generators)
        self.latent_dim, self.data_dim = generators[0].latent_dim, generators[0].data_dim
        self.net = _stack_sequential([g.net for g in generators])

    def forward(self, z: Tensor) -> Tensor:
        _check.model_input(z, "z", [self.net[0].weight], f"[{self.n_models}, n, {self.latent_dim}]")
        if z.dim() != 3 or z.shape[0] != self.n_models or z.shape[2] != self.latent_dim:
            raise ValueError(f"z must have shape [{self.n_models}, n, {self.latent_dim}], got {list(z.shape)}")
        return self.net(z)                                                      # [M, n, data_dim]

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` samples from every model, ``[M, n, data_dim]``."""
        _check.integer(n, "n", low=0)
        if generator is not None:
            _check.generator(generator)
        width = max(l.weight.shape[2] for l in self.net if isinstance(l, StackedLinear))
        _check.memory(self.n_models * n * (self.latent_dim + width) * 8,
                      f"sample(n={n}) for {self.n_models} models")
        device = self.net[0].weight.device
        z = torch.randn(self.n_models, n, self.latent_dim, generator=generator,
                        device=device if generator is None else generator.device)
        return self(z.to(device))                                               # [M, n, data_dim]


class StackedDiscriminator(nn.Module):
    """``M`` discriminators of one architecture: ``x [M, n, data_dim] ↦ logits [M, n / pack]``."""

    def __init__(self, discriminators: Sequence[MLPDiscriminator]):
        super().__init__()
        discriminators = _same_architecture(discriminators, MLPDiscriminator, "discriminators")
        self.n_models = len(discriminators)
        self.data_dim, self.pack = discriminators[0].data_dim, discriminators[0].pack
        self.net = _stack_sequential([d.net for d in discriminators])

    @property
    def spectral_norm(self) -> bool:
        return any(getattr(layer, "spectral_norm", False) for layer in self.net)

    @property
    def batch_independent(self) -> bool:
        """Whether a sample's logit ignores the rest of its batch (no packing, no minibatch
        feature), so that real and fake samples may share one forward pass."""
        return self.pack == 1 and not any(isinstance(l, StackedMinibatchStdDev) for l in self.net)

    def forward(self, x: Tensor) -> Tensor:
        _check.model_input(x, "x", [self.net[0].weight], f"[{self.n_models}, n, {self.data_dim}]")
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
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    for s in seeds:
        _check.integer(s, "each seed", low=0, high=2**64 - 1)
    pairs = []
    for s in seeds:
        torch.manual_seed(int(s))
        pairs.append((make_g(), make_d()))
    return StackedGenerator([g for g, _ in pairs]), StackedDiscriminator([d for _, d in pairs])


@torch.no_grad()
def orthogonal_init_(model: nn.Module, gain: float) -> nn.Module:
    """Every linear layer of ``model``: an orthogonal weight scaled by ``gain``, a zero bias (in
    place; Saxe et al., 2014). VEEGAN's mode-collapse benchmark starts its MLPs this way. With
    spectral norm the raw weight is initialised, as the parametrization stores it."""
    _check.number(gain, "gain", low=0, low_open=True)
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            weight = layer.parametrizations.weight.original if hasattr(layer, "parametrizations") \
                else layer.weight
            nn.init.orthogonal_(weight, gain=gain)
            nn.init.zeros_(layer.bias)
    return model


