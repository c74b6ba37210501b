"""Theory: the closed forms and numerical procedures that make the book's mathematics computable.

Two families live here:

* **game dynamics** (chapter 1): the vector fields of the bilinear game ``V(x, y) = xy`` and of the
  Dirac-GAN (Mescheder et al., 2018), and gradient play on them with simultaneous or alternating
  steps;
* **divergences and the optimal discriminator** (chapters 2–4): D*, the value function, KL,
  Jensen–Shannon, Wasserstein-1 and total variation between known distributions.

Everything is computed in float64 NumPy: these are references that the trained models are
compared against, so they must be more accurate than the models.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["bilinear_field", "dirac_gan_field", "gradient_play",
           "Estimate", "wasserstein1"]

VectorField = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------------------------
# Game dynamics (chapter 1)
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Divergences and the optimal discriminator (chapters 2–4)
# --------------------------------------------------------------------------------------------
#
# Conventions. A *distribution* is a :class:`gantext.data.Distribution`; quadrature and CDFs
# need a 1-D :class:`~gantext.data.GaussianMixture` (``Gaussian1D`` is one), whose components
# tell us where the mass is. Every divergence returns an :class:`Estimate`: a float that also
# carries the method that produced it and, for Monte Carlo, its standard error. Exact methods
# (closed form, quadrature, sorted samples) are the default; passing ``n_samples=`` asks for a
# Monte Carlo estimate, which works in any dimension.

from scipy import special as _special  # noqa: E402  (kept next to the code that uses it)


class Estimate(float):
    """A number computed by :mod:`gantext.theory`, with how it was computed.

    It *is* a ``float`` (arithmetic, comparisons, ``gt.verify`` and formatting treat it as its
    value) and carries two attributes:

    * ``method``: ``"closed form"``, ``"quadrature"``, ``"sorted samples"`` or ``"monte carlo"``;
    * ``stderr``: the Monte Carlo standard error, and ``0.0`` for the exact methods (closed forms
      are exact; quadrature here is accurate to about 1e-9 for Gaussian mixtures).
    """

    method: str
    stderr: float

    def __new__(cls, value: float, method: str, stderr: float = 0.0):
        self = super().__new__(cls, float(value))
        self.method, self.stderr = method, float(stderr)
        return self

    def __repr__(self) -> str:
        if self.method == "monte carlo":
            return f"Estimate({float(self):.6g} ± {self.stderr:.2g}, monte carlo)"
        return f"Estimate({float(self):.10g}, {self.method})"


def _is_mixture_1d(p) -> bool:
    from .data import GaussianMixture
    return isinstance(p, GaussianMixture) and p.dim == 1


def _check_distribution(p, name: str):
    from .data import Distribution
    if not isinstance(p, Distribution):
        raise TypeError(f"{name} must be a gantext Distribution (e.g. gt.Gaussian1D, gt.GaussianMixture), "
                        f"got {type(p).__name__}")


def _check_pair(p, q, names=("p", "q")) -> None:
    _check_distribution(p, names[0])
    _check_distribution(q, names[1])
    if p.dim != q.dim:
        raise ValueError(f"{names[0]} and {names[1]} must live in the same dimension, "
                         f"got {names[0]}.dim={p.dim} and {names[1]}.dim={q.dim}")


def _check_n_samples(n_samples) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2 (or None for an exact method), got {n_samples!r}")
    return n_samples


def _require_quadrature(p, q, what: str, names=("p", "q")) -> None:
    if not (_is_mixture_1d(p) and _is_mixture_1d(q)):
        raise ValueError(
            f"exact {what} is available for 1-D Gaussian mixtures (gt.Gaussian1D, gt.GaussianMixture with "
            f"dim 1), got {names[0]}={p!r} and {names[1]}={q!r}; pass n_samples=N for a Monte Carlo "
            "estimate in any dimension")


def _log_prob(p, x: np.ndarray) -> np.ndarray:
    """``log p(x)`` as a float64 NumPy array of shape [n] (``x`` of shape [n] or [n, d])."""
    import torch
    return p.log_prob(torch.as_tensor(x, dtype=torch.float64)).numpy()


def _components(p) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means [K], standard deviations [K] and weights [K] of a 1-D mixture, in NumPy."""
    return p.means[:, 0].numpy(), p.stds.numpy(), p.weights.numpy()


def _cdf(p, x: np.ndarray) -> np.ndarray:
    """The CDF of a 1-D Gaussian mixture, :math:`F(x) = \\sum_k w_k \\Phi((x - \\mu_k)/\\sigma_k)`."""
    mu, sd, w = _components(p)
    return _special.ndtr((np.asarray(x, dtype=np.float64)[:, None] - mu) / sd) @ w   # [n]


# Breakpoints in units of a component's standard deviation: dense in the bulk, sparse in the
# tails, and far enough (±20σ, where the density is below e^-200) that nothing is lost outside.
_STD_GRID = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0,
                      7.0, 8.0, 10.0, 12.0, 15.0, 20.0])
_STD_GRID = np.concatenate([-_STD_GRID[:0:-1], _STD_GRID])
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(24)


def _edges(*dists) -> np.ndarray:
    """Sorted breakpoints around every component of the 1-D mixtures ``dists``."""
    points = [mu[:, None] + sd[:, None] * _STD_GRID for mu, sd, _ in map(_components, dists)]
    return np.unique(np.concatenate([p.ravel() for p in points]))


def _integrate(f: Callable[[np.ndarray], np.ndarray], edges: np.ndarray) -> float:
    """∫ f over [edges[0], edges[-1]] by 24-point Gauss–Legendre on every sub-interval.

    ``f`` is evaluated once, on all nodes together (so a neural network is called once)."""
    a, b = edges[:-1, None], edges[1:, None]                                    # [S, 1]
    x = 0.5 * (b - a) * _GL_NODES + 0.5 * (a + b)                               # [S, 24]
    values = np.asarray(f(x.ravel()), dtype=np.float64).reshape(x.shape)       # [S, 24]
    return float(np.sum(0.5 * (b - a) * (values @ _GL_WEIGHTS[:, None])))


def _split_at_roots(g: Callable[[np.ndarray], np.ndarray], edges: np.ndarray) -> np.ndarray:
    """Add to ``edges`` the zeros of ``g`` between consecutive edges (where g changes sign), so
    that an integrand with ``|g|`` has its kinks at breakpoints and quadrature stays exact."""
    from scipy.optimize import brentq
    values = g(edges)
    change = np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)[0]
    roots = [brentq(lambda t: g(np.array([t]))[0], edges[i], edges[i + 1], xtol=1e-14, rtol=1e-14)
             for i in change]
    return np.unique(np.concatenate([edges, roots]))


def _samples_1d(x, name: str) -> np.ndarray:
    import torch
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().double().numpy()
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sample set of shape [n] or [n, 1], "
                         f"got shape {list(x.shape)}; for d > 1 use POT (ot.emd2)")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must contain only finite values")
    return x


def _wasserstein1_samples(x: np.ndarray, y: np.ndarray) -> float:
    """W₁ between the empirical measures of two 1-D sample sets: ∫|F_x − F_y| over the merged
    sorted samples (the average of |x_(i) − y_(i)| when the sizes are equal)."""
    x, y = np.sort(x), np.sort(y)
    if x.size == y.size:
        return float(np.mean(np.abs(x - y)))
    merged = np.sort(np.concatenate([x, y]))                                    # [n + m]
    fx = np.searchsorted(x, merged[:-1], side="right") / x.size                 # F_x on each gap
    fy = np.searchsorted(y, merged[:-1], side="right") / y.size
    return float(np.sum(np.abs(fx - fy) * np.diff(merged)))


def wasserstein1(p, q) -> Estimate:
    r"""The Wasserstein-1 (earth mover's) distance between two 1-D laws (chapters 3 and 4).

    On the real line the optimal transport plan is monotone and

    .. math:: W_1(P, Q) = \int_{-\infty}^{\infty} |F_P(x) - F_Q(x)| \, dx .

    ``p`` and ``q`` are either both 1-D Gaussian mixtures (the CDFs are closed-form sums of
    :math:`\Phi`; the integral is done by quadrature split at the points where the CDFs cross,
    accurate to about 1e-10) or both sample sets of shape ``[n]`` or ``[n, 1]`` (tensors or
    arrays, sizes may differ; the distance between the empirical measures is exact, from the
    sorted samples). For d > 1 use POT's ``ot.emd2`` (chapter 4). Arjovsky et al. (2017), §2.
    """
    from .data import Distribution
    if isinstance(p, Distribution) or isinstance(q, Distribution):
        _check_pair(p, q)
        _require_quadrature(p, q, "wasserstein1")
        gap = lambda x: _cdf(p, x) - _cdf(q, x)                                  # noqa: E731
        edges = _split_at_roots(gap, _edges(p, q))
        return Estimate(_integrate(lambda x: np.abs(gap(x)), edges), "quadrature")
    return Estimate(_wasserstein1_samples(_samples_1d(p, "p"), _samples_1d(q, "q")), "sorted samples")
