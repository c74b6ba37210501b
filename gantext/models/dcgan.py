"""The convolutional networks of chapters 6 and 7: DCGAN (Radford et al., 2016), its conditional
form (Mirza & Osindero, 2014) and AC-GAN's discriminator (Odena, Olah & Shlens, 2017)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from .. import _check
from ._common import _check_dim, _check_memory, _check_n, latent_noise

__all__ = ["dcgan_init_", "DCGANGenerator", "DCGANDiscriminator", "ConditionalDCGANGenerator",
           "ConditionalDCGANDiscriminator", "ACGANDiscriminator", "ACGANOutput"]


_BASE_SIZES = {8: 4, 16: 4, 28: 7, 32: 4}   # image_size -> the smallest feature map (base × base)


def _check_image_args(image_size, channels, width) -> tuple[int, int]:
    """Validate the shared arguments; return (base, number of stride-2 layers)."""
    for name, value, accepted in (("image_size", image_size, f"one of {sorted(_BASE_SIZES)}"),
                                  ("channels", channels, "1 (grey) or 3 (colour)")):
        if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be {accepted} (an int), got {value!r:.80}")
    if image_size not in _BASE_SIZES:
        raise ValueError(f"image_size must be one of {sorted(_BASE_SIZES)}, got {image_size!r}")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (colour), got {channels!r}")
    image_size, channels = int(image_size), int(channels)
    _check_dim(width, "width")
    base = _BASE_SIZES[image_size]
    return base, (image_size // base).bit_length() - 1


def _conv_params(in_channels: int, width: int, n_layers: int, base: int, out: int,
                 generator: bool) -> int:
    """The number of weights of a DCGAN network (biases and batch norm left out), used only to
    refuse networks that cannot fit in memory. ``n_layers`` stride-2 layers; the widest has
    ``width * 2**(n_layers - 1)`` channels; ``out`` channels come out of the last layer."""
    widest = width * 2 ** (n_layers - 1)
    chain = sum((width << i) * (width << (i + 1)) * 16 for i in range(n_layers - 1))
    if generator:   # z (1×1) -> base×base (widest), halving the channels, -> out channels
        return in_channels * widest * base * base + chain + width * out * 16
    return in_channels * width * 16 + chain + widest * out * base * base


def _check_labels(labels: torch.Tensor, n: int, n_classes: int, device=None) -> torch.Tensor:
    if not isinstance(labels, torch.Tensor) or labels.dtype not in (torch.int64, torch.int32, torch.int16,
                                                                    torch.uint8):
        raise TypeError(f"labels must be an integer tensor of shape [{n}], got {labels!r:.60}")
    if labels.device.type == "meta":
        raise ValueError("labels is a meta tensor, which holds no values")
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape [{n}], got {list(labels.shape)}")
    if device is not None and labels.device != device:
        raise ValueError(f"labels is on {labels.device} but the model is on {device}; move one of them")
    if n and bool(((labels < 0) | (labels >= n_classes)).any()):
        raise ValueError(f"labels must be classes in 0..{n_classes - 1}, got values from "
                         f"{labels.min().item()} to {labels.max().item()}")
    return labels.long()


def dcgan_init_(module: nn.Module) -> nn.Module:
    """DCGAN's initialisation, in place: convolution and linear weights ~ N(0, 0.02²), batch-norm
    scales ~ N(1, 0.02²), biases 0 (Radford et al., 2016, §4). Returns ``module``."""
    _check.module(module, "module")
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.affine:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


class DCGANGenerator(nn.Module):
    """G: z ∈ R^latent_dim ↦ an image ``[channels, image_size, image_size]`` in [−1, 1] (chapter 6).

    A transposed convolution of kernel ``base`` maps z (seen as a 1×1 map) to ``base × base``
    (4×4, or 7×7 for 28×28 images); each 4×4 stride-2 transposed convolution then doubles the
    resolution and halves the channels, ending with ``width`` channels before the output layer::

        8×8:   z → 4×4 (w)                      → 8×8 (tanh)
        16×16: z → 4×4 (2w) → 8×8 (w)           → 16×16
        28×28: z → 7×7 (2w) → 14×14 (w)         → 28×28
        32×32: z → 4×4 (4w) → 8×8 (2w) → 16×16 (w) → 32×32

    Hidden layers: batch norm then ReLU (``batch_norm=False`` removes the normalisation, the
    ablation of chapter 6). Weights follow :func:`dcgan_init_`. ``forward`` takes ``[n, latent_dim]``.
    """

    def __init__(self, latent_dim: int = 32, image_size: int = 8, channels: int = 1, width: int = 64,
                 batch_norm: bool = True):
        base, n_up = _check_image_args(image_size, channels, width)
        latent = _check_dim(latent_dim, "latent_dim")
        _check.boolean(batch_norm, "batch_norm")
        extra = getattr(self, "n_classes", 0)   # set by the conditional subclass before this
        _check_memory(_conv_params(latent + extra, width, n_up, base, channels, generator=True),
                      f"{type(self).__name__}(latent_dim={latent_dim}, width={width}"
                      + (f", n_classes={extra}" if extra else "") + ")")
        super().__init__()
        self.latent_dim = latent
        self.image_size, self.channels, self.width = image_size, channels, width
        self.net = nn.Sequential(*self._layers(self._input_dim(), base, n_up, batch_norm))
        dcgan_init_(self)

    def _input_dim(self) -> int:
        return self.latent_dim

    def _layers(self, in_dim: int, base: int, n_up: int, batch_norm: bool) -> list[nn.Module]:
        def block(c_in: int, c_out: int, kernel: int, stride: int, padding: int) -> list[nn.Module]:
            conv = nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, bias=not batch_norm)
            return [conv] + ([nn.BatchNorm2d(c_out)] if batch_norm else []) + [nn.ReLU()]

        c = self.width * 2 ** (n_up - 1)
        layers = block(in_dim, c, base, 1, 0)                                   # 1×1 -> base×base
        for _ in range(n_up - 1):
            layers += block(c, c // 2, 4, 2, 1)                                 # s -> 2s
            c //= 2
        layers += [nn.ConvTranspose2d(c, self.channels, 4, 2, 1), nn.Tanh()]    # -> image_size
        return layers

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    def _check_sample(self, n, generator) -> None:
        _check_n(n)
        _check.generator(generator)
        _check.memory(n * (self.latent_dim + 2 * self.width * self.image_size ** 2) * 4, f"sample(n={n})")

    def _check_z(self, z: torch.Tensor) -> None:
        _check.model_input(z, "z", self.parameters(), f"[n, {self.latent_dim}]")
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape [n, {self.latent_dim}], got {list(z.shape)}")

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``[n, latent_dim]`` ↦ ``[n, c, s, s]``. ``labels`` is accepted and ignored, so that an
        unconditional model trains on a labelled ``DataLoader`` (``gt.fit`` passes them on)."""
        self._check_z(z)
        return self.net(z[:, :, None, None])                                    # [n, c, s, s]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` images G(z), z ~ N(0, I), on the model's device: ``[n, c, s, s]``."""
        self._check_sample(n, generator)
        return self(latent_noise(n, self.latent_dim, self._device(), generator))


class DCGANDiscriminator(nn.Module):
    """D: an image ``[channels, image_size, image_size]`` ↦ a logit; ``forward`` returns ``[n]``.

    The mirror image of :class:`DCGANGenerator`: 4×4 stride-2 convolutions halve the resolution
    and double the channels (``width`` first) down to ``base × base``; a convolution of kernel
    ``base`` reads that map into one logit. LeakyReLU(0.2) everywhere, batch norm in every hidden
    layer but the first (Radford et al., 2016); ``batch_norm=False`` removes it and
    ``spectral_norm=True`` wraps every convolution in spectral normalisation (Miyato et al., 2018;
    use it with ``batch_norm=False``). Real and fake batches must be passed separately so that
    batch statistics never mix them (``gt.fit`` does).
    """

    def __init__(self, image_size: int = 8, channels: int = 1, width: int = 64,
                 batch_norm: bool = True, spectral_norm: bool = False):
        base, n_down = _check_image_args(image_size, channels, width)
        _check.boolean(batch_norm, "batch_norm")
        _check.boolean(spectral_norm, "spectral_norm")
        extra = getattr(self, "n_classes", 0)   # set by the conditional subclasses before this
        _check_memory(_conv_params(channels + extra, width, n_down, base, 1 + extra, generator=False),
                      f"{type(self).__name__}(width={width}" + (f", n_classes={extra}" if extra else "") + ")")
        super().__init__()
        self.image_size, self.channels, self.width = image_size, channels, width
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        layers: list[nn.Module] = [wrap(nn.Conv2d(self._input_channels(), width, 4, 2, 1)),
                                   nn.LeakyReLU(0.2)]                          # s -> s/2
        c = width
        for _ in range(n_down - 1):
            layers.append(wrap(nn.Conv2d(c, 2 * c, 4, 2, 1, bias=not batch_norm)))
            if batch_norm:
                layers.append(nn.BatchNorm2d(2 * c))
            layers.append(nn.LeakyReLU(0.2))
            c *= 2
        self.features = nn.Sequential(*layers)                                  # [n, c, base, base]
        self.feature_channels, self.base = c, base
        self.head = wrap(nn.Conv2d(c, 1, base))                                 # base×base -> 1×1
        dcgan_init_(self)

    def _input_channels(self) -> int:
        return self.channels

    def _check_x(self, x: torch.Tensor) -> None:
        shape = [self.channels, self.image_size, self.image_size]
        _check.model_input(x, "x", self.parameters(), f"[n, {', '.join(map(str, shape))}]")
        if x.dim() != 4 or list(x.shape[1:]) != shape:
            raise ValueError(f"x must have shape [n, {', '.join(map(str, shape))}], got {list(x.shape)}")

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``[n, c, s, s]`` ↦ logits ``[n]``; ``labels`` is accepted and ignored, as in the generator."""
        self._check_x(x)
        return self.head(self.features(x)).flatten()                            # [n]


class ConditionalDCGANGenerator(DCGANGenerator):
    """G(z, y): a DCGAN generator told which class to draw (cGAN, Mirza & Osindero, 2014; chapter 7).

    The label enters as a one-hot vector concatenated to z, so the first layer learns one
    ``base × base`` "template" per class added to the map z makes. ``forward(z, labels)`` takes
    ``[n, latent_dim]`` and int64 ``[n]``; ``sample(n, labels)`` draws ``n`` images of class
    ``labels`` (one int for all, or a tensor ``[n]``).
    """

    def __init__(self, n_classes: int = 10, latent_dim: int = 32, image_size: int = 8, channels: int = 1,
                 width: int = 64, batch_norm: bool = True):
        self.n_classes = _check_dim(n_classes, "n_classes")
        super().__init__(latent_dim, image_size, channels, width, batch_norm)

    def _input_dim(self) -> int:
        return self.latent_dim + self.n_classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self._check_z(z)
        labels = _check_labels(labels, z.shape[0], self.n_classes, z.device)
        y = nn.functional.one_hot(labels, self.n_classes).to(z.dtype)          # [n, K]
        return self.net(torch.cat([z, y], dim=1)[:, :, None, None])             # [n, c, s, s]

    def sample(self, n: int, labels, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` images G(z, y), z ~ N(0, I); ``labels`` is a class (int) or int64 ``[n]``."""
        self._check_sample(n, generator)
        device = self._device()
        if isinstance(labels, bool):
            raise TypeError(f"labels must be a class (an int) or an integer tensor of shape [{n}], "
                            f"got {labels!r}")
        if isinstance(labels, int):
            if not 0 <= labels < self.n_classes:
                raise ValueError(f"labels must be a class in 0..{self.n_classes - 1}, got {labels}")
            labels = torch.full((n,), labels, dtype=torch.int64)
        labels = _check_labels(labels, n, self.n_classes).to(device)
        return self(latent_noise(n, self.latent_dim, device, generator), labels)


class ConditionalDCGANDiscriminator(DCGANDiscriminator):
    """D(x, y): a DCGAN discriminator that also sees the label (cGAN; chapter 7).

    The one-hot label is broadcast to ``n_classes`` constant feature maps and concatenated to
    the image's channels, so every filter of the first layer can respond to the class. It is
    trained on real pairs against generated pairs and never sees a real image with a wrong label,
    so the objective asks nothing of it there. Once trained (chapter 7, exercise 7-2) it still
    scores most real images higher under their true label, by about one standard deviation of its
    logits on real pairs, which are all small: near equilibrium it separates real pairs from
    generated ones poorly. ``forward(x, labels)`` returns logits ``[n]``.
    """

    def __init__(self, n_classes: int = 10, image_size: int = 8, channels: int = 1, width: int = 64,
                 batch_norm: bool = True, spectral_norm: bool = False):
        self.n_classes = _check_dim(n_classes, "n_classes")
        super().__init__(image_size, channels, width, batch_norm, spectral_norm)

    def _input_channels(self) -> int:
        return self.channels + self.n_classes

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self._check_x(x)
        labels = _check_labels(labels, x.shape[0], self.n_classes, x.device)
        y = nn.functional.one_hot(labels, self.n_classes).to(x.dtype)          # [n, K]
        y = y[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])          # [n, K, s, s]
        return self.head(self.features(torch.cat([x, y], dim=1))).flatten()     # [n]


class ACGANOutput(NamedTuple):
    """What :class:`ACGANDiscriminator` returns: the real/fake logit ``[n]``, the class logits
    ``[n, K]``, and the labels ``[n]`` the batch claims (so a loss can score the classifier)."""

    logits: torch.Tensor
    class_logits: torch.Tensor
    labels: torch.Tensor


class ACGANDiscriminator(DCGANDiscriminator):
    """The discriminator of AC-GAN (Odena, Olah & Shlens, 2017; chapter 7): one trunk, two heads.

    It does not take the label as input; instead it predicts it. ``forward(x, labels)`` returns an
    :class:`ACGANOutput` ``(logits [n], class_logits [n, K], labels [n])``, which the loss pair
    of :func:`gantext.losses.auxiliary_classifier` turns into the adversarial loss plus the
    classification loss; ``classify(x)`` returns the class logits alone.
    """

    def __init__(self, n_classes: int = 10, image_size: int = 8, channels: int = 1, width: int = 64,
                 batch_norm: bool = True, spectral_norm: bool = False):
        self.n_classes = _check_dim(n_classes, "n_classes")
        super().__init__(image_size, channels, width, batch_norm, spectral_norm)
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        self.class_head = wrap(nn.Conv2d(self.feature_channels, n_classes, self.base))
        dcgan_init_(self.class_head)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """The auxiliary classifier's logits ``[n, K]``."""
        self._check_x(x)
        return self.class_head(self.features(x)).flatten(1)                     # [n, K]

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> ACGANOutput:
        self._check_x(x)
        labels = _check_labels(labels, x.shape[0], self.n_classes, x.device)
        h = self.features(x)                                                    # [n, c, base, base]
        return ACGANOutput(self.head(h).flatten(), self.class_head(h).flatten(1), labels)
