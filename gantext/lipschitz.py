"""Lipschitz continuity: the constraint that turns a critic into an estimate of W₁.

By the Kantorovich–Rubinstein duality (chapter 4), for every function f with Lipschitz constant
at most K,

.. math:: \\mathbb E_{x\\sim P}[f(x)] - \\mathbb E_{y\\sim Q}[f(y)] \\le K\\, W_1(P, Q),

with equality for the best such f. A WGAN critic is therefore only as good as our control of
its Lipschitz constant, and this module measures that constant from both sides:

* from above, :func:`lipschitz_upper_bound`: the product of the layers' spectral norms
  (:func:`largest_singular_value`) and of the activations' slopes, valid for a chain of layers;
* from below, :func:`lipschitz_estimate`: the largest input-gradient norm over a set of points
  (:func:`gradient_norms`), for instance the interpolates on which WGAN-GP puts its penalty
  (:func:`interpolates`).

:func:`power_iteration` is the estimate of the top singular value that spectral normalisation
(Miyato et al., 2018) runs inside every layer, and :func:`wasserstein_estimate` reads a trained
critic as the estimate of W₁ that the duality promises.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from . import _check
from .penalties import interpolates  # the WGAN-GP sampling, shared with the penalty

__all__ = ["largest_singular_value", "power_iteration", "lipschitz_upper_bound", "interpolates",
           "gradient_norms", "lipschitz_estimate", "wasserstein_estimate"]


# --------------------------------------------------------------------------------------------
# One layer: the spectral norm
# --------------------------------------------------------------------------------------------

def _weight_matrix(layer) -> Tensor:
    """A weight tensor, or a layer's ``.weight``, as a float64 matrix ``[out, in]``."""
    if isinstance(layer, nn.Module):
        if not isinstance(getattr(layer, "weight", None), Tensor):
            raise TypeError(f"layer must be a tensor or a module with a .weight tensor, "
                            f"got {type(layer).__name__}")
        layer = layer.weight  # with spectral normalisation, the normalised weight W / σ̂
    if not isinstance(layer, Tensor):
        raise TypeError(f"layer must be a tensor or a module with a .weight tensor, "
                        f"got {type(layer).__name__}")
    if layer.device.type == "meta":
        raise ValueError("layer's weight is a meta tensor, which holds no values")
    if not layer.is_floating_point():
        raise TypeError(f"layer's weight must be a floating-point tensor, got dtype {layer.dtype}")
    if layer.dim() < 2 or layer.numel() == 0:
        raise ValueError(f"layer: a weight must have at least 2 dimensions and no empty one, "
                         f"got shape {list(layer.shape)}")
    _check.memory(layer.numel() * 8 * 3, f"layer of shape {list(layer.shape)} in float64")
    W = layer.detach().flatten(1).double()
    if not bool(torch.isfinite(W).all()):
        raise ValueError("layer's weight holds NaN or infinite values; its spectral norm is undefined")
    return W                                   # [out, in·...]


def largest_singular_value(layer) -> float:
    r"""The largest singular value :math:`\sigma_1(W) = \max_{\lVert v \rVert_2 = 1} \lVert W v \rVert_2`
    of a weight matrix (its spectral norm), computed exactly (an SVD, in float64). The name keeps
    it apart from torch's ``spectral_norm`` wrapper and the models' ``spectral_norm=`` flag.

    ``layer`` is a weight tensor or a module with a ``.weight`` (an ``nn.Linear``, also one
    wrapped in ``nn.utils.parametrizations.spectral_norm``, whose ``.weight`` is the normalised
    W/σ̂). A weight with more than two dimensions is flattened to ``[out, in·…]``, the matrix
    that spectral normalisation normalises (for a convolution this is not the operator norm of
    the convolution itself). σ₁(W) is the Lipschitz constant of x ↦ Wx + b (chapter 4).
    """
    return torch.linalg.matrix_norm(_weight_matrix(layer), ord=2).item()


_MAX_ITER = 10**5   # the estimate converges geometrically; more passes only take time


def power_iteration(layer, n_iter: int = 20, generator: torch.Generator | None = None) -> float:
    r"""Estimate σ₁(W) by ``n_iter`` steps of power iteration, the estimator spectral
    normalisation uses (Miyato et al., 2018, Algorithm 1):

    .. math:: v \leftarrow W^\top u / \lVert W^\top u \rVert, \quad
              u \leftarrow W v / \lVert W v \rVert, \qquad \hat\sigma = u^\top W v.

    Starting from a random u, the estimate never exceeds σ₁; after k steps v is off the top
    singular direction by :math:`O((\sigma_2/\sigma_1)^{2k})`, and the estimate, a Rayleigh
    quotient, is off σ₁ by the square of that, :math:`O((\sigma_2/\sigma_1)^{4k})`.
    ``n_iter`` is at most 100,000. Chapter 4 compares it with :func:`largest_singular_value`.
    """
    _check.integer(n_iter, "n_iter", low=1, high=_MAX_ITER)
    _check.generator(generator)
    if generator is not None and generator.device.type != "cpu":
        raise ValueError(f"generator must be a CPU torch.Generator (the draw is made on the CPU), "
                         f"got one on {generator.device}")
    W = _weight_matrix(layer)                                                   # [m, n]
    u = torch.randn(W.shape[0], generator=generator, dtype=torch.float64)       # [m]
    u = u / u.norm()
    for _ in range(n_iter):
        v = W.T @ u                                                             # [n]
        v = v / v.norm().clamp_min(1e-300)
        u = W @ v                                                               # [m]
        u = u / u.norm().clamp_min(1e-300)
    return (u @ W @ v).item()


# --------------------------------------------------------------------------------------------
# A network: bounds on its Lipschitz constant
# --------------------------------------------------------------------------------------------

def _activation_slope(module: nn.Module) -> float | None:
    """The Lipschitz constant of a known element-wise activation, or None if it is not one."""
    if isinstance(module, (nn.ReLU, nn.Tanh, nn.Hardtanh, nn.Softsign)):
        return 1.0
    if isinstance(module, (nn.Identity, nn.Flatten, nn.Unflatten)):  # reshapes keep the norm
        return 1.0
    if isinstance(module, nn.LeakyReLU):
        return max(1.0, abs(module.negative_slope))
    if isinstance(module, nn.ELU):
        return max(1.0, module.alpha)
    if isinstance(module, nn.Sigmoid):
        return 0.25
    return None


def _layers(module: nn.Module):
    """The layers of a network in order: linear layers (with their parametrisations, such as
    spectral normalisation, kept inside) and the leaf modules of everything else."""
    children = list(module.children())
    if isinstance(module, nn.Linear) or not children:
        yield module
        return
    for child in children:
        yield from _layers(child)


def lipschitz_upper_bound(network: nn.Module) -> float:
    r"""An upper bound on the Lipschitz constant (Euclidean norms) of a chain of layers:

    .. math:: \operatorname{Lip}(f_L \circ \dots \circ f_1) \le \prod_l \operatorname{Lip}(f_l),

    with :math:`\operatorname{Lip}(x \mapsto Wx + b) = \sigma_1(W)` (:func:`largest_singular_value`) and
    the slope bound of each activation (ReLU, tanh: 1; LeakyReLU(a): max(1, abs(a)); sigmoid: ¼).

    ``network`` is an ``nn.Linear``, an activation, or a module whose leaf modules are such
    layers applied one after another (an ``nn.Sequential``, :class:`gantext.MLPDiscriminator`
    without the minibatch feature; with ``pack=m`` the bound is for the packed input). Any
    other leaf (batch norm, convolution, the minibatch-std feature) raises ``TypeError``: the
    bound would not hold, or not be computed, for it. The bound is often loose by orders of
    magnitude for a trained network (chapter 4 measures by how much).
    """
    _check.module(network, "network")
    bound = 1.0
    for module in _layers(network):
        if isinstance(module, nn.Linear):
            bound *= largest_singular_value(module)
            continue
        slope = _activation_slope(module)
        if slope is None:
            raise TypeError(
                f"lipschitz_upper_bound accepts chains of nn.Linear layers and element-wise "
                f"activations (ReLU, LeakyReLU, Tanh, ELU, Sigmoid, Hardtanh, Softsign) and reshapes (Identity, Flatten); "
                f"network contains {type(module).__name__}")
        bound *= slope
    return bound


def _check_points(points, name: str) -> None:
    """A floating tensor of shape [n, ...] with n >= 1 and at least 2 dimensions (metadata only)."""
    if not isinstance(points, Tensor):
        raise TypeError(f"{name} must be a tensor of shape [n, ...], got {type(points).__name__}")
    if points.device.type == "meta":
        raise ValueError(f"{name} is a meta tensor, which holds no values")
    if not points.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {points.dtype}")
    if points.dim() < 2 or points.shape[0] == 0:
        raise ValueError(f"{name} must be a tensor of shape [n, ...] with n >= 1, got "
                         f"{list(points.shape)}")


def gradient_norms(critic: nn.Module, points: Tensor) -> Tensor:
    r"""The norm :math:`\lVert \nabla_x f(x) \rVert_2` of the critic's input gradient at every
    point of ``points`` (shape ``[n, ...]``, one norm per sample), as a float64 tensor ``[n]``.

    Each row's score depends only on that row (true for every critic in gantext except those
    with the minibatch feature or packing, whose gradients mix the rows)."""
    _check.module(critic, "critic")
    _check_points(points, "points")
    _check.finite_array(points, "points")
    with torch.enable_grad():
        x = points.detach().requires_grad_(True)
        scores = _check.passed_on("points", critic, x)                          # [n]
        if scores.numel() != x.shape[0]:
            raise ValueError(f"critic must return one score per sample ({x.shape[0]}), "
                             f"got {scores.numel()}")
        (grad,) = torch.autograd.grad(scores.sum(), x)                          # [n, ...]
    return grad.flatten(1).double().norm(dim=1)                                 # [n]


def lipschitz_estimate(critic: nn.Module, points: Tensor, fake: Tensor | None = None,
                       generator: torch.Generator | None = None) -> float:
    r"""A lower estimate of the critic's Lipschitz constant: the largest gradient norm
    :math:`\max_i \lVert \nabla f(x_i) \rVert` over ``points``, or, when ``fake`` is given, over
    the :func:`interpolates` of ``points`` (real samples) and ``fake``.

    For a differentiable f the Lipschitz constant is :math:`\sup_x \lVert \nabla f(x) \rVert`, so
    this never exceeds it, and it approaches it as the points fill the region where the sup is
    attained (for a ReLU network on R¹, a fine grid over a wide interval attains it).
    Compare with :func:`lipschitz_upper_bound` (chapter 4). NaN or infinite samples raise."""
    _check.module(critic, "critic")
    _check_points(points, "points")
    if fake is not None:
        _check_points(fake, "fake")
        if fake.shape != points.shape:
            raise ValueError(f"points (real) and fake must have the same shape [n, ...], got "
                             f"{list(points.shape)} and {list(fake.shape)}")
    _check.generator(generator)
    _check.finite_array(points, "points")
    if fake is not None:
        _check.finite_array(fake, "fake")
        points = interpolates(points, fake, generator)
    return gradient_norms(critic, points).max().item()


@torch.no_grad()
def wasserstein_estimate(critic: nn.Module, real: Tensor, fake: Tensor, lipschitz: float = 1.0) -> float:
    r"""The critic's estimate of :math:`W_1(p_\mathrm{data}, p_g)` from the
    Kantorovich–Rubinstein duality, in float64:

    .. math:: \widehat W_1 = \frac{1}{K}\Big(\frac1n \sum_i f(x_i) - \frac1m \sum_j f(\tilde x_j)\Big),

    where ``real`` holds the :math:`x_i`, ``fake`` the :math:`\tilde x_j` and ``lipschitz`` is K,
    a bound on the critic's Lipschitz constant (1 for an ideal WGAN-GP or spectrally normalised
    critic; a clipped critic is K-Lipschitz for an unknown K). When f/K is 1-Lipschitz the
    estimate is at most the W₁ distance between the two empirical distributions, with equality
    for the optimal critic. It is the negative of the WGAN critic loss
    (:func:`gantext.losses.wasserstein_d_loss`) divided by K.
    """
    _check.module(critic, "critic")
    for name, x in (("real", real), ("fake", fake)):
        _check.tensor(x, name, floating=True, nonempty=False)
        if x.dim() < 1 or x.shape[0] == 0:
            raise ValueError(f"{name} must be a tensor of shape [n, ...] with n >= 1")
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(f"real and fake samples must have the same shape, got "
                         f"{list(real.shape[1:])} and {list(fake.shape[1:])}")
    _check.number(lipschitz, "lipschitz", low=0, low_open=True)
    _check.tensor(real, "real", finite=True)
    _check.tensor(fake, "fake", finite=True)
    gap = _check.passed_on("real", critic, real).double().mean() \
        - _check.passed_on("fake", critic, fake).double().mean()
    return gap.item() / lipschitz
