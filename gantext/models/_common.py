"""Argument checks and the latent noise shared by the MLP and DCGAN families."""

from __future__ import annotations

from typing import Sequence

import torch

from .. import _check


def _check_dim(value, name: str) -> int:
    _check.integer(value, name, low=1)
    return int(value)


def _check_hidden(hidden) -> tuple[int, ...]:
    return _check.integers(hidden, "hidden", low=1)


def _check_n(n) -> int:
    _check.integer(n, "n", low=0)
    return int(n)


def _check_memory(n_params: int, what: str) -> None:
    """Refuse a network whose parameters alone would not fit in memory, before building it."""
    _check.memory(n_params * torch.empty(0).element_size(), what)


def _mlp_params(widths: Sequence[int], batch_norm: bool = False) -> int:
    """The number of parameters of a chain of linear layers through ``widths``."""
    linear = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:]))
    return linear + (2 * sum(widths[1:-1]) if batch_norm else 0)


def _check_device(device) -> None:
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
    try:
        kind = torch.device(device).type
    except RuntimeError as err:
        raise ValueError(f"device must be a device name such as 'cpu' or 'cuda', got {device!r}") from err
    if kind == "meta":
        raise ValueError("device must be a device that holds values (cpu, cuda, mps), got 'meta'")


def latent_noise(n: int, latent_dim: int, device: torch.device,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal latent codes ``z`` of shape ``[n, latent_dim]`` on ``device``.

    With a ``generator`` the draw is reproducible; it is made on the generator's device and
    moved, so a CPU generator also seeds a CUDA model.
    """
    _check_n(n)
    _check_dim(latent_dim, "latent_dim")
    _check_device(device)
    _check.generator(generator)
    _check.memory(n * latent_dim * 4, f"latent_noise(n={n}, latent_dim={latent_dim})")
    return draw_latent(n, latent_dim, torch.device(device), generator)


def draw_latent(n: int, latent_dim: int, device: torch.device,
                generator: torch.Generator | None) -> torch.Tensor:
    """:func:`latent_noise` without its argument checks, for a training loop that checked them
    once before its first step (the checks cost more than the draw at the book's sizes)."""
    if generator is None:
        return torch.randn(n, latent_dim, device=device)
    z = torch.randn(n, latent_dim, generator=generator, device=generator.device)
    return z.to(device)
