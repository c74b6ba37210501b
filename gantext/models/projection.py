"""Conditioning by projection and by normalisation (chapter 7).

Two ways to tell the networks of a conditional GAN the class, both from the SN-GAN line of work
and both kept by SA-GAN and BigGAN:

* the **projection discriminator** (Miyato & Koyama, 2018) adds to the unconditional logit
  ψ(φ(x)) the inner product of a learned class embedding with the features:
  ``f(x, y) = ψ(φ(x)) + ⟨V e_y, φ(x)⟩``. It is the form a logit takes when the class-conditional
  densities' log-ratio is linear in φ (a log-linear model), and the label cannot be ignored as
  it can when it is only concatenated to the input;
* **class-conditional batch normalisation** (de Vries et al., 2017; Dumoulin et al., 2017, for
  style) in the generator: each batch-norm layer normalises without its own affine map and then
  scales and shifts every channel by a per-class γ_y and β_y, so the class modulates every layer
  instead of entering once with z.
"""

from __future__ import annotations

import torch
from torch import nn

from .dcgan import ConditionalDCGANGenerator, DCGANDiscriminator, _check_labels
from ._common import _check_dim

__all__ = ["ConditionalBatchNorm2d", "ConditionalBNGenerator", "ProjectionDiscriminator"]


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose scale and shift depend on the class: ``γ_y · BN(h) + β_y``.

    ``BN`` is :class:`torch.nn.BatchNorm2d` without its affine map (running statistics as usual);
    γ starts at 1 and β at 0 for every class, so an untrained layer is plain batch norm."""

    def __init__(self, num_features: int, n_classes: int):
        super().__init__()
        self.num_features = _check_dim(num_features, "num_features")
        self.n_classes = _check_dim(n_classes, "n_classes")
        self.norm = nn.BatchNorm2d(num_features, affine=False)
        self.gamma = nn.Embedding(n_classes, num_features)
        self.beta = nn.Embedding(n_classes, num_features)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``h`` ``[n, C, s, s]``, ``labels`` int64 ``[n]`` ↦ ``[n, C, s, s]``."""
        labels = _check_labels(labels, h.shape[0], self.n_classes, h.device)
        return (self.gamma(labels)[:, :, None, None] * self.norm(h)
                + self.beta(labels)[:, :, None, None])


class ConditionalBNGenerator(ConditionalDCGANGenerator):
    """G(z, y) with class-conditional batch norm in every hidden layer (chapter 7).

    The DCGAN generator of :class:`~gantext.DCGANGenerator` with each ``BatchNorm2d`` replaced by
    :class:`ConditionalBatchNorm2d`; z alone is its input (the label is not concatenated to it).
    ``forward(z, labels)`` and ``sample(n, labels)`` as for
    :class:`~gantext.ConditionalDCGANGenerator`."""

    def __init__(self, n_classes: int = 10, latent_dim: int = 32, image_size: int = 8, channels: int = 1,
                 width: int = 64):
        super().__init__(n_classes, latent_dim, image_size, channels, width, batch_norm=True)
        layers = [ConditionalBatchNorm2d(m.num_features, self.n_classes)
                  if isinstance(m, nn.BatchNorm2d) else m for m in self.net]
        self.net = nn.Sequential(*layers)   # convolutions keep the DCGAN initialisation

    def _input_dim(self) -> int:
        return self.latent_dim

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self._check_z(z)
        labels = _check_labels(labels, z.shape[0], self.n_classes, z.device)
        h = z[:, :, None, None]
        for layer in self.net:
            h = layer(h, labels) if isinstance(layer, ConditionalBatchNorm2d) else layer(h)
        return h                                                                # [n, c, s, s]


class ProjectionDiscriminator(DCGANDiscriminator):
    """D(x, y) = ψ(φ(x)) + ⟨V e_y, Σ φ(x)⟩: the projection discriminator (Miyato & Koyama, 2018).

    φ is the DCGAN discriminator's convolutional trunk (``[n, C, base, base]``), ψ its
    unconditional head, and Σ sums φ over the ``base × base`` positions (global sum pooling, as
    in the paper); ``V`` is an embedding of the classes in R^C, initialised at zero so that an
    untrained D starts unconditional. ``forward(x, labels)`` returns the logits ``[n]``.
    ``spectral_norm=True`` also normalises ``V``, as Miyato & Koyama do (then V starts small,
    N(0, 0.02²): the spectral norm of a zero matrix is 0)."""

    def __init__(self, n_classes: int = 10, image_size: int = 8, channels: int = 1, width: int = 64,
                 batch_norm: bool = True, spectral_norm: bool = False):
        self.n_classes = _check_dim(n_classes, "n_classes")
        super().__init__(image_size, channels, width, batch_norm, spectral_norm)
        self.embed = nn.Embedding(n_classes, self.feature_channels)
        if spectral_norm:
            nn.init.normal_(self.embed.weight, 0.0, 0.02)
            self.embed = nn.utils.parametrizations.spectral_norm(self.embed)
        else:
            nn.init.zeros_(self.embed.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self._check_x(x)
        labels = _check_labels(labels, x.shape[0], self.n_classes, x.device)
        h = self.features(x)                                                    # [n, C, b, b]
        projection = (self.embed(labels) * h.sum(dim=(2, 3))).sum(dim=1)        # [n]
        return self.head(h).flatten() + projection                             # [n]
