"""Data: distributions the book can both sample from and evaluate, and real images.

Every distribution here has ``sample(n, generator=None)`` returning a float32 tensor of shape
``[n, d]`` and, because the theory chapters need the true density, ``log_prob(x)`` returning a
tensor of shape ``[n]``. Densities are evaluated in float64 so that quadrature is accurate far
in the tails.

The mode-collapse benchmarks (chapter 5) use :func:`ring` and :func:`grid`, built to the
protocol of ``PROTOCOLS.md``: a ring of 8 Gaussians at angles 2πk/8 (not ``linspace(0, 2π, 8)``,
which makes two centres coincide) and a 5×5 grid.
"""

from __future__ import annotations

import math
import torch

from . import _check

__all__ = ["Distribution", "Gaussian1D", "GaussianMixture", "ring", "grid", "digits", "mnist"]

_LOG_2PI = math.log(2 * math.pi)


def _check_std(std) -> None:
    if not (_check.is_number(std) and math.isfinite(std) and std > 0):
        raise ValueError(f"std must be a finite number > 0, got {std!r}")


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return n


class Distribution:
    """A distribution on R^d with a sampler and a log-density."""

    dim: int

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def prob(self, x: torch.Tensor) -> torch.Tensor:
        """The density, ``exp(log_prob(x))``."""
        return self.log_prob(x).exp()

    def _points(self, x) -> torch.Tensor:
        """``x`` as a float64 tensor of shape ``[n, d]``; 1-D distributions also take ``[n]``."""
        x = torch.as_tensor(x)
        if not torch.is_floating_point(x):
            x = x.double()
        if x.dim() == 1 and self.dim == 1:
            x = x[:, None]
        if x.dim() != 2 or x.shape[1] != self.dim:
            accepted = "[n, 1] or [n]" if self.dim == 1 else f"[n, {self.dim}]"
            raise ValueError(f"x must have shape {accepted}, got {list(x.shape)}")
        return x.double()


class GaussianMixture(Distribution):
    """A mixture of isotropic Gaussians in any dimension.

    ``means`` has shape ``[K, d]`` (or ``[K]`` for a 1-D mixture); ``stds`` is one number for all
    components or one per component; ``weights`` default to uniform, must be non-negative and
    sum to 1. The density is

    .. math:: p(x) = \\sum_k w_k \\, \\mathcal N(x;\\, \\mu_k, \\sigma_k^2 I).
    """

    def __init__(self, means, stds, weights=None):
        means = torch.as_tensor(means, dtype=torch.float64)
        if means.dim() == 1:
            means = means[:, None]
        if means.dim() != 2 or means.shape[0] == 0:
            raise ValueError(f"means must have shape [K, d] or [K] with K >= 1, got {list(means.shape)}")
        k = means.shape[0]
        stds = torch.as_tensor(stds, dtype=torch.float64)
        if stds.dim() == 0:
            stds = stds.expand(k).clone()
        if stds.shape != (k,):
            raise ValueError(f"stds must be one number or one per component ({k}), got shape {list(stds.shape)}")
        if not torch.all(stds > 0) or not torch.all(torch.isfinite(stds)):
            raise ValueError(f"stds must be finite and > 0, got {stds.tolist()}")
        if weights is None:
            weights = torch.full((k,), 1.0 / k, dtype=torch.float64)
        weights = torch.as_tensor(weights, dtype=torch.float64)
        if weights.shape != (k,):
            raise ValueError(f"weights must have one entry per component ({k}), got shape {list(weights.shape)}")
        if torch.any(weights < 0) or not torch.all(torch.isfinite(weights)):
            raise ValueError(f"weights must be finite and >= 0, got {weights.tolist()}")
        if abs(weights.sum().item() - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1, got sum {weights.sum().item():.6g}")
        if not torch.all(torch.isfinite(means)):
            raise ValueError("means must be finite")
        self.means, self.stds, self.weights = means, stds, weights
        self.dim = means.shape[1]

    @property
    def n_modes(self) -> int:
        return self.means.shape[0]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` points, float32 ``[n, d]``; pass ``generator`` for reproducible draws."""
        n = _check_n(n)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be None or a torch.Generator, got {type(generator).__name__}")
        _check.memory(n * (8 + 8 * self.dim * 4), f"sample(n={n})")
        component = torch.multinomial(self.weights, n, replacement=True, generator=generator) if n else \
            torch.zeros(0, dtype=torch.long)                                    # [n]
        noise = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)  # [n, d]
        x = self.means[component] + self.stds[component, None] * noise         # [n, d]
        return x.float()

    def log_prob(self, x) -> torch.Tensor:
        """``log p(x)`` for ``x`` of shape ``[n, d]``, computed with log-sum-exp in float64."""
        x = self._points(x)
        sq = torch.cdist(x, self.means).pow(2)                                   # [n, K]
        var = self.stds.pow(2)                                                   # [K]
        log_comp = -0.5 * (sq / var + self.dim * (_LOG_2PI + var.log()))         # [n, K]
        return torch.logsumexp(log_comp + self.weights.log(), dim=1)             # [n]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(K={self.n_modes}, d={self.dim})"


class Gaussian1D(GaussianMixture):
    """The normal distribution N(mean, std²) on the real line (a one-component mixture)."""

    def __init__(self, mean: float = 0.0, std: float = 1.0):
        if not (isinstance(std, (int, float)) and math.isfinite(std) and std > 0):
            raise ValueError(f"std must be a finite number > 0, got {std!r}")
        if not (isinstance(mean, (int, float)) and math.isfinite(mean)):
            raise ValueError(f"mean must be a finite number, got {mean!r}")
        super().__init__([float(mean)], float(std))
        self.mean, self.std = float(mean), float(std)

    def __repr__(self) -> str:
        return f"Gaussian1D(mean={self.mean:g}, std={self.std:g})"


def ring(n_modes: int = 8, radius: float = 1.0, std: float = 0.01) -> GaussianMixture:
    """``n_modes`` equal-weight Gaussians with means ``radius·(cos 2πk/n, sin 2πk/n)``.

    The defaults are the 2-D ring of VEEGAN and PacGAN (8 modes, radius 1, std 0.01).
    """
    if isinstance(n_modes, bool) or not isinstance(n_modes, int) or n_modes < 1:
        raise ValueError(f"n_modes must be a positive integer, got {n_modes!r}")
    if not (_check.is_number(radius) and math.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be > 0 and finite, got {radius!r}")
    _check_std(std)
    _check.memory(n_modes * 8 * 8, f"ring(n_modes={n_modes})")
    angle = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
    means = radius * torch.stack([angle.cos(), angle.sin()], dim=1)             # [K, 2]
    return GaussianMixture(means, std)


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """``side²`` equal-weight Gaussians on a square grid centred at the origin.

    The defaults are the 5×5 grid of VEEGAN and PacGAN: means (i, j) for i, j ∈ {−4, −2, 0, 2, 4}.
    """
    if isinstance(side, bool) or not isinstance(side, int) or side < 1:
        raise ValueError(f"side must be a positive integer, got {side!r}")
    if not (_check.is_number(spacing) and math.isfinite(spacing) and spacing > 0):
        raise ValueError(f"spacing must be > 0 and finite, got {spacing!r}")
    _check_std(std)
    _check.memory(side * side * 8 * 8, f"grid(side={side}) ({side * side} modes)")
    ticks = spacing * (torch.arange(side, dtype=torch.float64) - (side - 1) / 2)
    means = torch.cartesian_prod(ticks, ticks)                                  # [side², 2]
    return GaussianMixture(means, std)



# --- Real images (chapters 6–8) -------------------------------------------------------------
#
# The image chapters share one convention: images are float32 tensors [n, channels, H, W]
# scaled to [−1, 1] (the range of the generator's tanh output) and labels are int64 [n].

def _to_unit_range(pixels: torch.Tensor, max_value: float) -> torch.Tensor:
    """Intensities in [0, max_value] as float32 in [−1, 1]."""
    return (pixels.float() / max_value * 2 - 1).clamp_(-1, 1)


def digits(size: int = 8) -> "torch.utils.data.TensorDataset":
    """scikit-learn's bundled handwritten digits as a dataset of ``(image, label)`` pairs.

    1,797 real 8×8 grey-scale digits (the UCI optical-recognition set, 16 intensity levels),
    shipped inside scikit-learn, so no download is needed (chapters 6–8). Images are float32
    ``[1797, 1, size, size]`` in [−1, 1]; labels int64 ``[1797]`` in 0..9. ``size=16`` upsamples
    bilinearly to 16×16 (a convex combination of pixels, so the range stays [−1, 1]).
    The tensors are ``dataset.tensors``; pass the dataset to a ``DataLoader`` or the pair
    ``dataset.tensors`` straight to :func:`gantext.train.fit`.
    """
    if type(size) is not int or size not in (8, 16):
        raise ValueError(f"size must be 8 or 16, got {size!r}")
    from sklearn.datasets import load_digits

    bunch = load_digits()
    pixels = torch.as_tensor(bunch.images, dtype=torch.float32)                 # [n, 8, 8] in 0..16
    images = _to_unit_range(pixels, 16.0)[:, None]                              # [n, 1, 8, 8]
    if size == 16:
        images = torch.nn.functional.interpolate(images, size=(16, 16), mode="bilinear",
                                                 align_corners=False)           # [n, 1, 16, 16]
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)                   # [n]
    return torch.utils.data.TensorDataset(images.contiguous(), labels)


def mnist(root, train: bool = True, download: bool = False) -> "torch.utils.data.TensorDataset":
    """MNIST (LeCun et al., 1998) through torchvision, as a dataset of ``(image, label)`` pairs.

    Images are float32 ``[n, 1, 28, 28]`` in [−1, 1] (60,000 for ``train=True``, 10,000 for
    the test split); labels int64 ``[n]``. torchvision keeps the four IDX files in
    ``root/MNIST/raw``; ``download=True`` fetches them (about 12 MB) when they are missing.
    With ``download=False`` and no files a :class:`FileNotFoundError` says how to get them.
    The book uses :func:`digits` by default; chapter 6 shows how to switch to MNIST.
    """
    import os

    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path (str or os.PathLike), got {type(root).__name__}")
    if not isinstance(train, bool):
        raise TypeError(f"train must be True or False, got {train!r}")
    if not isinstance(download, bool):
        raise TypeError(f"download must be True or False, got {download!r}")
    try:
        from torchvision.datasets import MNIST
    except ImportError as err:
        raise ImportError("gt.data.mnist needs torchvision: pip install 'gantext[vision]'") from err

    raw = os.path.join(os.fspath(root), "MNIST", "raw")
    wanted = [f"{split}-{kind}-idx{dims}-ubyte" for split in ("train", "t10k")
              for kind, dims in (("images", 3), ("labels", 1))]
    missing = [name for name in wanted if not os.path.isfile(os.path.join(raw, name))]
    if missing and not download:
        raise FileNotFoundError(
            f"MNIST is not in {raw} (missing: {', '.join(missing)}). Call "
            f"gt.data.mnist({os.fspath(root)!r}, download=True) on a machine with internet access "
            "(Colab, Binder, a GPU server), or copy the four *-ubyte files there.")
    dataset = MNIST(os.fspath(root), train=train, download=download)
    images = _to_unit_range(dataset.data, 255.0)[:, None]                       # [n, 1, 28, 28]
    labels = dataset.targets.to(torch.int64)                                    # [n]
    return torch.utils.data.TensorDataset(images.contiguous(), labels)
