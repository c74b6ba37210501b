"""The multilayer perceptrons of chapters 1-5: generator and discriminator.

The toy chapters use multilayer perceptrons. The discriminator returns *logits* (real numbers,
before any sigmoid): every loss in :mod:`gantext.losses` is a function of logits, which keeps the
saturating and non-saturating losses numerically stable, and a Wasserstein critic is the same
network read without a sigmoid.

Options on :class:`MLPDiscriminator` are the remedies of chapter 5 that live inside the network:
spectral normalisation (Miyato et al., 2018), the minibatch standard-deviation feature (Karras
et al., 2018, a simple form of Salimans et al.'s minibatch discrimination) and packing (PacGAN,
Lin et al., 2018).
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from .. import _check
from ._common import _check_dim, _check_hidden, _check_memory, _check_n, _mlp_params, latent_noise

__all__ = ["MLPGenerator", "MLPDiscriminator", "MinibatchStdDev"]


class MLPGenerator(nn.Module):
    """G: z ∈ R^latent_dim ↦ x ∈ R^data_dim, a multilayer perceptron.

    ``activation`` is a factory for the hidden non-linearity (``nn.ReLU`` by default; VEEGAN's
    protocol uses ``nn.Tanh``); ``batch_norm`` adds batch normalisation after each hidden linear
    layer (PacGAN's protocol). The output layer is linear: the data live on all of R^d.
    """

    def __init__(self, latent_dim: int = 2, data_dim: int = 2, hidden: Sequence[int] = (128, 128),
                 activation: Callable[[], nn.Module] = nn.ReLU, batch_norm: bool = False):
        self_latent, self_data = _check_dim(latent_dim, "latent_dim"), _check_dim(data_dim, "data_dim")
        hidden = _check_hidden(hidden)
        _check.function(activation, "activation", "a function returning an nn.Module, such as nn.ReLU")
        _check.boolean(batch_norm, "batch_norm")
        _check_memory(_mlp_params((latent_dim, *hidden, data_dim), batch_norm),
                      f"MLPGenerator(latent_dim={latent_dim}, data_dim={data_dim}, hidden={hidden})")
        super().__init__()
        self.latent_dim, self.data_dim = self_latent, self_data
        layers: list[nn.Module] = []
        width = latent_dim
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(activation())
            width = h
        layers.append(nn.Linear(width, data_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _check.model_input(z, "z", self.parameters(), f"[n, {self.latent_dim}]")
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape [n, {self.latent_dim}], got {list(z.shape)}")
        return self.net(z)                                                      # [n, data_dim]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` samples G(z), z ~ N(0, I), on the model's device."""
        _check_n(n)
        _check.generator(generator)
        _check.memory(n * (self.latent_dim + self.data_dim + max(
            (m.out_features for m in self.net if isinstance(m, nn.Linear)), default=0)) * 4,
            f"sample(n={n})")
        device = next(self.parameters()).device
        return self(latent_noise(n, self.latent_dim, device, generator))        # [n, data_dim]


class MinibatchStdDev(nn.Module):
    """Append one feature to every row: the average over features of the standard deviation
    across the minibatch (Karras et al., 2018, §3).

    A collapsed generator produces a batch with almost no spread, and this feature lets the
    discriminator see that at once. Statistics are computed over the batch that is passed in, so
    real and fake batches must go through the discriminator separately (``fit`` does).
    """

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if not isinstance(h, torch.Tensor):
            raise TypeError(f"h must be a torch tensor of shape [n, features], got {type(h).__name__}")
        if h.device.type == "meta":
            raise ValueError("h is a meta tensor, which holds no values")
        if not h.is_floating_point():
            raise TypeError(f"h must be a floating-point tensor, got dtype {h.dtype}")
        if h.dim() != 2 or h.shape[0] == 0:
            raise ValueError(f"h must have shape [n, features] with n >= 1, got {list(h.shape)}")
        spread = h.std(dim=0, unbiased=False).mean()                            # []
        return torch.cat([h, spread.expand(h.shape[0], 1)], dim=1)              # [n, f + 1]


class MLPDiscriminator(nn.Module):
    """D: x ∈ R^data_dim ↦ a logit, a multilayer perceptron; ``forward`` returns shape ``[n]``.

    ``D(x) = sigmoid(logit)`` is the probability that ``x`` is real. Options:

    * ``spectral_norm=True`` wraps every linear layer in spectral normalisation, so each has
      spectral norm ≈ 1 and the network is (about) 1-Lipschitz for 1-Lipschitz activations;
    * ``minibatch_std=True`` appends the :class:`MinibatchStdDev` feature before the last layer;
    * ``pack=m`` makes the discriminator judge ``m`` samples jointly (PacGAN): the input's rows are
      grouped in consecutive blocks of ``m`` and concatenated, so ``n`` rows give ``n // m``
      logits; ``n`` must be a multiple of ``m``.
    """

    def __init__(self, data_dim: int = 2, hidden: Sequence[int] = (128, 128),
                 activation: Callable[[], nn.Module] = lambda: nn.LeakyReLU(0.2),
                 spectral_norm: bool = False, minibatch_std: bool = False, pack: int = 1):
        self_data, self_pack = _check_dim(data_dim, "data_dim"), _check_dim(pack, "pack")
        hidden = _check_hidden(hidden)
        _check.function(activation, "activation", "a function returning an nn.Module, such as nn.ReLU")
        _check.boolean(spectral_norm, "spectral_norm")
        _check.boolean(minibatch_std, "minibatch_std")
        widths = (data_dim * pack, *hidden, 1)
        _check_memory(_mlp_params(widths) + (hidden[-1] + 1 if minibatch_std else 0),
                      f"MLPDiscriminator(data_dim={data_dim}, hidden={hidden}, pack={pack})")
        super().__init__()
        self.data_dim, self.pack = self_data, self_pack
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = []
        width = data_dim * pack
        for h in hidden:
            layers += [wrap(nn.Linear(width, h)), activation()]
            width = h
        if minibatch_std:
            layers.append(MinibatchStdDev())
            width += 1
        layers.append(wrap(nn.Linear(width, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check.model_input(x, "x", self.parameters(), f"[n, {self.data_dim}]")
        if x.dim() != 2 or x.shape[1] != self.data_dim:
            raise ValueError(f"x must have shape [n, {self.data_dim}], got {list(x.shape)}")
        if x.shape[0] % self.pack:
            raise ValueError(f"x's batch size ({x.shape[0]}) must be a multiple of pack={self.pack}")
        x = x.reshape(x.shape[0] // self.pack, self.pack * self.data_dim)      # [n/m, m·d]
        return self.net(x).squeeze(1)                                           # [n/m]


# --- Convolutional GANs (chapter 6) and their conditional variants (chapter 7) ---------------
#
# DCGAN (Radford, Metz & Chintala, 2016) fixed a recipe that made convolutional GANs train:
# strided convolutions instead of pooling (D) and strided transposed convolutions instead of
# upsampling (G); batch normalisation in both networks except G's output and D's input layers;
# ReLU in G with tanh at the output; LeakyReLU(0.2) in D; no fully connected hidden layers;
# weights drawn from N(0, 0.02²). The networks below follow it for small images: G projects z to
# a base×base map and doubles the resolution with each 4×4 stride-2 transposed convolution; D
# mirrors it and reads the base×base map with one convolution of that size into a logit.
