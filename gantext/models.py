"""Models: the generator and discriminator networks of the book.

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

__all__ = ["MLPGenerator", "MLPDiscriminator", "MinibatchStdDev", "latent_noise"]


def _check_dim(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _check_hidden(hidden) -> tuple[int, ...]:
    hidden = tuple(hidden)
    if not hidden or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in hidden):
        raise ValueError(f"hidden must be a non-empty sequence of positive integers, got {hidden!r}")
    return hidden


def latent_noise(n: int, latent_dim: int, device: torch.device,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal latent codes ``z`` of shape ``[n, latent_dim]`` on ``device``.

    With a ``generator`` the draw is reproducible; it is made on the generator's device and
    moved, so a CPU generator also seeds a CUDA model.
    """
    if generator is None:
        return torch.randn(n, latent_dim, device=device)
    z = torch.randn(n, latent_dim, generator=generator, device=generator.device)
    return z.to(device)


class MLPGenerator(nn.Module):
    """G: z ∈ R^latent_dim ↦ x ∈ R^data_dim, a multilayer perceptron.

    ``activation`` is a factory for the hidden non-linearity (``nn.ReLU`` by default; VEEGAN's
    protocol uses ``nn.Tanh``); ``batch_norm`` adds batch normalisation after each hidden linear
    layer (PacGAN's protocol). The output layer is linear: the data live on all of R^d.
    """

    def __init__(self, latent_dim: int = 2, data_dim: int = 2, hidden: Sequence[int] = (128, 128),
                 activation: Callable[[], nn.Module] = nn.ReLU, batch_norm: bool = False):
        super().__init__()
        self.latent_dim = _check_dim(latent_dim, "latent_dim")
        self.data_dim = _check_dim(data_dim, "data_dim")
        layers: list[nn.Module] = []
        width = latent_dim
        for h in _check_hidden(hidden):
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(activation())
            width = h
        layers.append(nn.Linear(width, data_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape [n, {self.latent_dim}], got {list(z.shape)}")
        return self.net(z)                                                      # [n, data_dim]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` samples G(z), z ~ N(0, I), on the model's device."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
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
        super().__init__()
        self.data_dim = _check_dim(data_dim, "data_dim")
        self.pack = _check_dim(pack, "pack")
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = []
        width = data_dim * pack
        for h in _check_hidden(hidden):
            layers += [wrap(nn.Linear(width, h)), activation()]
            width = h
        if minibatch_std:
            layers.append(MinibatchStdDev())
            width += 1
        layers.append(wrap(nn.Linear(width, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.data_dim:
            raise ValueError(f"x must have shape [n, {self.data_dim}], got {list(x.shape)}")
        if x.shape[0] % self.pack:
            raise ValueError(f"the batch size ({x.shape[0]}) must be a multiple of pack={self.pack}")
        x = x.reshape(x.shape[0] // self.pack, self.pack * self.data_dim)      # [n/m, m·d]
        return self.net(x).squeeze(1)                                           # [n/m]
