r"""A denoising diffusion probabilistic model (DDPM), small enough to read at once (chapter 9).

Ho, Jain and Abbeel (2020) define a fixed *forward* process that adds Gaussian noise to a data
point :math:`x_0` over :math:`T` steps with variances :math:`\beta_1, \dots, \beta_T`. With
:math:`\alpha_t = 1 - \beta_t` and :math:`\bar\alpha_t = \prod_{s \le t} \alpha_s` it has the
closed form

.. math:: q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\, x_0,\ (1 - \bar\alpha_t) I\big),

so :math:`x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \varepsilon`. A network
:math:`\varepsilon_\theta(x_t, t)` learns to predict :math:`\varepsilon` by regression
(:func:`epsilon_loss`, the paper's :math:`L_{\mathrm{simple}}`), and :func:`sample_diffusion` runs
the learned reverse chain from pure noise (the paper's Algorithm 2). Steps are numbered
``0 … T-1`` in code for the paper's ``1 … T``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from . import _check

__all__ = ["NoiseSchedule", "EpsilonMLP", "add_noise", "epsilon_loss", "sample_diffusion"]


@dataclass(frozen=True)
class NoiseSchedule:
    r"""The variances :math:`\beta_t` of the forward process and the products derived from them.

    ``NoiseSchedule.linear(T)`` spaces :math:`\beta` linearly from ``beta_start`` to ``beta_end``,
    as DDPM did (:math:`10^{-4}` to :math:`0.02` with :math:`T = 1000`). All tensors are float64
    on the CPU, ``[T]``; ``alpha_bars[t]`` is :math:`\bar\alpha_{t+1}` of the paper.
    """

    betas: torch.Tensor

    def __post_init__(self):
        b = self.betas
        if not isinstance(b, torch.Tensor) or b.dim() != 1 or len(b) == 0:
            raise ValueError("betas must be a non-empty 1-D tensor")
        if not bool(((b > 0) & (b < 1)).all()):
            raise ValueError("every beta must lie in (0, 1)")

    @classmethod
    def linear(cls, steps: int = 1000, beta_start: float = 1e-4,
               beta_end: float = 0.02) -> "NoiseSchedule":
        _check.integer(steps, "steps", low=1)
        _check.number(beta_start, "beta_start", low=0)
        _check.number(beta_end, "beta_end", low=0)
        return cls(torch.linspace(beta_start, beta_end, steps, dtype=torch.float64))

    @property
    def steps(self) -> int:
        return len(self.betas)

    @property
    def alphas(self) -> torch.Tensor:
        return 1 - self.betas

    @property
    def alpha_bars(self) -> torch.Tensor:
        return torch.cumprod(self.alphas, 0)

    @property
    def posterior_variances(self) -> torch.Tensor:
        r"""The variance of :math:`q(x_{t-1} \mid x_t, x_0)`, zero at the first step:
        :math:`\tilde\beta_t = \beta_t (1 - \bar\alpha_{t-1}) / (1 - \bar\alpha_t)`."""
        previous = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bars[:-1]])
        return self.betas * (1 - previous) / (1 - self.alpha_bars)


class EpsilonMLP(nn.Module):
    r"""The noise predictor :math:`\varepsilon_\theta(x_t, t)`: an MLP on ``x`` and a code of ``t``.

    The step ``t`` (an integer tensor ``[n]`` in ``0 … steps-1``) is scaled to ``[0, 1)`` and
    encoded by ``sin`` and ``cos`` at ``n_frequencies`` geometrically spaced frequencies (the
    Transformer's position code, as in DDPM), then concatenated to ``x``. The highest frequency is
    one period per four steps, so that no frequency aliases to a constant on the integer steps.
    """

    def __init__(self, data_dim: int = 2, steps: int = 1000, hidden: tuple[int, ...] = (128, 128),
                 n_frequencies: int = 8):
        super().__init__()
        _check.integer(data_dim, "data_dim", low=1)
        _check.integer(steps, "steps", low=1)
        _check.integer(n_frequencies, "n_frequencies", low=1)
        hidden = _check.integers(hidden, "hidden")
        self.data_dim, self.steps = data_dim, steps
        top = math.log(max(steps / 4, 1.0))         # cycles over [0, 1): at most steps / 4
        self.register_buffer("frequencies", torch.exp(torch.linspace(0, top, n_frequencies)))
        layers, width = [], data_dim + 2 * n_frequencies
        for h in hidden:
            layers += [nn.Linear(width, h), nn.SiLU()]
            width = h
        layers.append(nn.Linear(width, data_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        angle = 2 * math.pi * (t.to(x.dtype) / self.steps)[:, None] * self.frequencies  # [n, F]
        return self.net(torch.cat([x, angle.sin(), angle.cos()], 1))                    # [n, d]


def _per_sample(values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    # schedule values at steps t, shaped to broadcast over a batch like `like`: [n, 1, ...]
    v = values.to(like.device)[t.to(like.device)].to(like.dtype)
    return v.reshape(-1, *([1] * (like.dim() - 1)))


def add_noise(x0: torch.Tensor, t: torch.Tensor, schedule: NoiseSchedule,
              noise: torch.Tensor) -> torch.Tensor:
    r"""Draw :math:`x_t \sim q(x_t \mid x_0)`, that is
    :math:`\sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\, \varepsilon`.

    ``x0`` and ``noise``: ``[n, ...]``; ``t``: integer steps ``[n]`` (0-based).
    """
    if noise.shape != x0.shape or t.shape != x0.shape[:1]:
        raise ValueError(f"x0 {tuple(x0.shape)}, noise {tuple(noise.shape)} and t {tuple(t.shape)} "
                         "must agree: noise like x0, one step per sample")
    abar = _per_sample(schedule.alpha_bars, t, x0)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def epsilon_loss(model: nn.Module, x0: torch.Tensor, schedule: NoiseSchedule,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    r"""DDPM's :math:`L_{\mathrm{simple}}`: :math:`\mathbb E_{t, \varepsilon} \lVert \varepsilon -
    \varepsilon_\theta(x_t, t) \rVert^2` for a batch ``x0``, ``t`` uniform over the steps.

    The squared error is summed over the data dimensions and averaged over the batch, so that for
    the optimal predictor it equals the trace of :math:`\operatorname{Cov}(\varepsilon \mid x_t)`.
    """
    _check.generator(generator)
    n = len(x0)
    t = torch.randint(0, schedule.steps, (n,), generator=generator, device="cpu").to(x0.device)
    noise = torch.randn(x0.shape, generator=generator, device="cpu", dtype=x0.dtype).to(x0.device)
    prediction = model(add_noise(x0, t, schedule, noise), t)                       # [n, ...]
    return (prediction - noise).pow(2).flatten(1).sum(1).mean()


@torch.no_grad()
def sample_diffusion(model: nn.Module, n: int, schedule: NoiseSchedule,
                     shape: tuple[int, ...] = (2,), generator: torch.Generator | None = None,
                     device: str | torch.device = "cpu") -> torch.Tensor:
    r"""Ancestral sampling (DDPM's Algorithm 2): ``T`` network evaluations per sample.

    From :math:`x_T \sim \mathcal N(0, I)`, each step computes

    .. math:: x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1 - \bar\alpha_t}}
              \,\varepsilon_\theta(x_t, t)\Big) + \sigma_t z, \qquad z \sim \mathcal N(0, I),

    with :math:`\sigma_t^2 = \tilde\beta_t` (the posterior variance, one of the paper's two
    choices) and no noise at the last step. Returns ``[n, *shape]`` on ``device``.
    """
    _check.integer(n, "n", low=1)
    _check.generator(generator)

    def normal():
        return torch.randn((n, *shape), generator=generator, device="cpu").to(device)

    x = normal()                                                                   # [n, *shape]
    betas, alphas, abars = schedule.betas, schedule.alphas, schedule.alpha_bars
    sigmas = schedule.posterior_variances.sqrt()
    for t in reversed(range(schedule.steps)):
        eps = model(x, torch.full((n,), t, device=device))                         # [n, *shape]
        x = (x - float(betas[t] / (1 - abars[t]).sqrt()) * eps) / float(alphas[t].sqrt())
        if t > 0:
            x = x + float(sigmas[t]) * normal()
    return x
