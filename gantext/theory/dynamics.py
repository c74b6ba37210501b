"""Game dynamics (chapter 1): the vector fields of two-player games and gradient play on them.

The bilinear game ``V(x, y) = xy`` and the Dirac-GAN of Mescheder et al. (2018) are the smallest
games on which simultaneous gradient steps spiral away from the equilibrium while alternating
steps (Algorithm 1 of Goodfellow et al., 2014) circle it. Everything is float64 NumPy.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["bilinear_field", "dirac_gan_field", "gradient_play"]

VectorField = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def bilinear_field(x, y):
    r"""The update directions of gradient play on :math:`\min_x \max_y V(x, y) = xy`.

    The minimiser x descends, the maximiser y ascends:
    :math:`(\dot x, \dot y) = (-\partial_x V, +\partial_y V) = (-y, x)`, a rotation about the
    unique equilibrium (0, 0). Works elementwise on arrays (for vector-field plots).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return -y, x


def _sigmoid(t):
    return 0.5 * (1 + np.tanh(0.5 * t))


def dirac_gan_field(theta, psi, gamma: float = 0.0):
    r"""The update directions of the Dirac-GAN (Mescheder et al., 2018, §2).

    Data δ₀, generator δ_θ, discriminator :math:`D_\psi(x) = \psi x`, value
    :math:`V(\theta, \psi) = f(\psi\theta) + f(0)` with :math:`f(t) = -\log(1 + e^{-t})`. The
    generator θ descends V, the discriminator ψ ascends it:

    .. math:: \dot\theta = -f'(\theta\psi)\,\psi, \qquad \dot\psi = f'(\theta\psi)\,\theta - \gamma\psi,

    where :math:`f'(t) = \sigma(-t)` and γ ≥ 0 is the weight of the zero-centred gradient penalty
    (γ/2)·ψ² (R1: the discriminator's input gradient is ψ). With γ = 0 the continuous flow
    conserves θ² + ψ²; with γ > 0 it converges to (0, 0).
    """
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma!r}")
    theta, psi = np.asarray(theta, dtype=np.float64), np.asarray(psi, dtype=np.float64)
    slope = _sigmoid(-theta * psi)                                              # f'(θψ)
    return -slope * psi, slope * theta - gamma * psi


def gradient_play(field: VectorField, start, lr: float, steps: int, alternating: bool = False) -> np.ndarray:
    """Run ``steps`` gradient steps of size ``lr`` on a two-player ``field`` from ``start``.

    ``field(u, v)`` returns the update directions ``(du, dv)`` of the first player (the
    generator) and the second (the discriminator). *Simultaneous* steps move both players from
    the same point; *alternating* steps move the discriminator first and then the generator
    against the discriminator's new position, as Algorithm 1 of Goodfellow et al. (2014) does.

    Returns the trajectory, an array of shape ``[steps + 1, 2]`` that starts at ``start``.
    """
    if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    u, v = np.asarray(start, dtype=np.float64).reshape(2)
    path = np.empty((steps + 1, 2))
    path[0] = u, v
    for t in range(1, steps + 1):
        if alternating:
            v = v + lr * field(u, v)[1]
            u = u + lr * field(u, v)[0]
        else:
            du, dv = field(u, v)
            u, v = u + lr * du, v + lr * dv
        path[t] = u, v
    return path
