"""Game dynamics (chapter 1): the vector fields of two-player games and gradient play on them.

The bilinear game ``V(x, y) = xy`` and the Dirac-GAN of Mescheder et al. (2018) are the smallest
games on which simultaneous gradient steps spiral away from the equilibrium while alternating
steps (Algorithm 1 of Goodfellow et al., 2014) circle it. Everything is float64 NumPy.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import _check

__all__ = ["bilinear_field", "dirac_gan_field", "gradient_play"]

VectorField = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _points(x, y, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Two numbers or arrays of finite real numbers of one shape (or shapes that broadcast), as
    float64 NumPy."""
    out = []
    for value, name in zip((x, y), names):
        if value is None or isinstance(value, (str, bytes)):
            raise TypeError(f"{name} must be a number or an array of numbers, got {value!r:.80}")
        try:
            arr = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value, dtype=np.float64)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} must be a number or an array of numbers, got {type(value).__name__}") from err
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} holds NaN or infinite values; every value must be finite")
        out.append(arr)
    try:
        np.broadcast_shapes(out[0].shape, out[1].shape)
    except ValueError as err:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got "
                         f"{list(out[0].shape)} and {list(out[1].shape)}") from err
    return out[0], out[1]


def bilinear_field(x, y):
    r"""The update directions of gradient play on :math:`\min_x \max_y V(x, y) = xy`.

    The minimiser x descends, the maximiser y ascends:
    :math:`(\dot x, \dot y) = (-\partial_x V, +\partial_y V) = (-y, x)`, a rotation about the
    unique equilibrium (0, 0). Works elementwise on arrays (for vector-field plots).
    """
    x, y = _points(x, y, ("x", "y"))
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
    _check.number(gamma, "gamma", low=0)
    theta, psi = _points(theta, psi, ("theta", "psi"))
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
    _check.function(field, "field", "a function field(u, v) returning (du, dv)")
    if isinstance(start, (str, bytes)) or start is None:
        raise TypeError(f"start must be two numbers (u, v), got {start!r:.80}")
    try:
        first = np.asarray(start, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"start must be two numbers (u, v), got {start!r:.80}") from err
    if first.size != 2 or not np.all(np.isfinite(first)):
        raise ValueError(f"start must be two finite numbers (u, v), got {start!r:.80}")
    _check.number(lr, "lr", low=0, low_open=True)
    _check.integer(steps, "steps", low=0)
    _check.boolean(alternating, "alternating")
    _check.memory((steps + 1) * 16, f"steps={steps} (the trajectory)")
    u, v = first.reshape(2)
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
