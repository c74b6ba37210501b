"""Divergences and the optimal discriminator (chapters 2–4), computed exactly where possible.

D* and the value function (chapter 2), KL, Jensen–Shannon and total variation (chapter 3) and
Wasserstein-1 (chapters 3 and 4) between known distributions. Everything is float64 NumPy: these
are the references that trained models are compared against, so they must be more accurate than
the models.

A *distribution* here is a :class:`gantext.data.Distribution`; quadrature and CDFs
need a 1-D :class:`~gantext.data.GaussianMixture` (``Gaussian1D`` is one), whose components
tell us where the mass is. Every divergence returns an :class:`Estimate`: a float that also
carries the method that produced it and, for Monte Carlo, its standard error. Exact methods
(closed form, quadrature, sorted samples) are the default; passing ``n_samples=`` asks for a
Monte Carlo estimate, which works in any dimension.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import special as _special

from .. import _check
from ..data import Distribution, GaussianMixture
from ._numerics import (_cdf, _check_n_samples, _check_pair, _edges, _finite_float64, _integrate,
                        _log_prob, _require_quadrature, _samples_1d, _split_at_roots,
                        _wasserstein1_samples)

__all__ = ["Estimate", "wasserstein1", "optimal_logit", "optimal_discriminator", "value",
           "kl_divergence", "jensen_shannon", "total_variation"]


class Estimate(float):
    """A number computed by :mod:`gantext.theory`, with how it was computed.

    It *is* a ``float`` (arithmetic, comparisons, ``gt.verify`` and formatting treat it as its
    value) and carries two attributes:

    * ``method``: ``"closed form"``, ``"quadrature"``, ``"sorted samples"`` or ``"monte carlo"``;
    * ``stderr``: the Monte Carlo standard error, and ``0.0`` for the exact methods. Closed forms
      are exact; quadrature of Gaussian mixtures agrees with the closed forms and with SciPy's
      adaptive quadrature to about 1e-14, float64 rounding (``tests/test_theory_divergences.py``).
    """

    method: str
    stderr: float

    METHODS = ("closed form", "quadrature", "sorted samples", "monte carlo")

    def __new__(cls, value: float, method: str, stderr: float = 0.0):
        _check.number(value, "value", finite=False)
        if method not in cls.METHODS:
            raise ValueError(f"method must be one of {cls.METHODS}, got {method!r:.80}")
        _check.number(stderr, "stderr", low=0)
        self = super().__new__(cls, float(value))
        self.method, self.stderr = method, float(stderr)
        return self

    def __repr__(self) -> str:
        if self.method == "monte carlo":
            return f"Estimate({float(self):.6g} ± {self.stderr:.2g}, monte carlo)"
        return f"Estimate({float(self):.10g}, {self.method})"


def wasserstein1(p, q) -> Estimate:
    r"""The Wasserstein-1 (earth mover's) distance between two 1-D laws (chapters 3 and 4).

    On the real line the optimal transport plan is monotone and

    .. math:: W_1(P, Q) = \int_{-\infty}^{\infty} |F_P(x) - F_Q(x)| \, dx .

    ``p`` and ``q`` are either both 1-D Gaussian mixtures (the CDFs are closed-form sums of
    :math:`\Phi`; the integral is done by quadrature split at the points where the CDFs cross,
    accurate to float64 rounding as every quadrature here: see :class:`Estimate`) or both sample
    sets of shape ``[n]`` or ``[n, 1]`` (tensors or arrays, sizes may differ; the distance between
    the empirical measures is exact, from the sorted samples). For d > 1 use POT's ``ot.emd2``
    (chapter 4). Arjovsky et al. (2017), §2.
    """
    if isinstance(p, Distribution) or isinstance(q, Distribution):
        _check_pair(p, q)
        _require_quadrature(p, q, "wasserstein1")
        gap = lambda x: _cdf(p, x) - _cdf(q, x)                                  # noqa: E731
        edges = _split_at_roots(gap, _edges(p, q))
        return Estimate(_integrate(lambda x: np.abs(gap(x)), edges), "quadrature")
    return Estimate(_wasserstein1_samples(_samples_1d(p, "p"), _samples_1d(q, "q")), "sorted samples")


def _points_np(p, x) -> np.ndarray:
    """``x`` (tensor, array or list) as float64 NumPy of shape [n, d]; [n] is accepted in 1-D."""
    x = _finite_float64(x, "x")
    if x.ndim == 1 and p.dim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != p.dim:
        accepted = "[n] or [n, 1]" if p.dim == 1 else f"[n, {p.dim}]"
        raise ValueError(f"x must have shape {accepted}, got {list(x.shape)}")
    return x


def optimal_logit(p_data, p_g, x) -> np.ndarray:
    r"""The logit of the optimal discriminator, :math:`\ell^*(x) = \log p_\mathrm{data}(x) - \log p_g(x)`
    (chapter 2): the log density ratio, which a discriminator trained with the cross-entropy loss
    estimates. Float64 NumPy of shape [n] for ``x`` of shape [n, d] (or [n] in 1-D)."""
    _check_pair(p_data, p_g, ("p_data", "p_g"))
    x = _points_np(p_data, x)                                                   # [n, d]
    return _log_prob(p_data, x) - _log_prob(p_g, x)                             # [n]


def optimal_discriminator(p_data, p_g, x) -> np.ndarray:
    r"""The optimal discriminator against a fixed generator (Goodfellow et al., 2014, Prop. 1;
    chapter 2):

    .. math:: D^*(x) = \frac{p_\mathrm{data}(x)}{p_\mathrm{data}(x) + p_g(x)} = \sigma\bigl(\log p_\mathrm{data}(x) - \log p_g(x)\bigr).

    Computed as the sigmoid of the log-density ratio, so it is exact where both densities
    underflow to 0 (no 0/0): far from both, D* is still the ratio of the two Gaussian tails.
    ``p_data`` and ``p_g`` are gantext distributions; ``x`` has shape [n, d] (or [n] in 1-D).
    Returns float64 NumPy of shape [n].
    """
    return _special.expit(optimal_logit(p_data, p_g, x))


_TINY = float(np.finfo(np.float64).smallest_subnormal)                      # 2^-1074
_BELOW_ONE = float(np.nextafter(1.0, 0.0))                                  # 1 - 2^-53
_LOG_HALF_ULP = -54 * math.log(2.0)                                          # log 2^-54


def _discriminator_log_probs(D, x: np.ndarray, logits: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(log D(x), log(1 - D(x)))`` for ``x`` of shape [n, d], each float64 [n].

    ``D`` is called once, without gradients, on a float64 tensor [n, d]; a ``torch.nn.Module``
    receives it in the dtype and on the device of its parameters."""
    inputs = torch.as_tensor(x, dtype=torch.float64)                            # [n, d]
    if isinstance(D, torch.nn.Module):
        param = next(D.parameters(), None)
        if param is not None:
            inputs = inputs.to(dtype=param.dtype, device=param.device)
    with torch.no_grad():
        out = D(inputs)
    out = (out.detach().cpu().double().numpy() if isinstance(out, torch.Tensor)
           else np.asarray(out, dtype=np.float64)).reshape(-1)                  # [n]
    if out.shape[0] != x.shape[0]:
        raise ValueError(f"D must return one number per input row: {x.shape[0]} inputs gave {out.shape[0]} outputs")
    if np.any(np.isnan(out)):
        raise ValueError("D returned NaN; a diverged or untrained-to-NaN discriminator has no value")
    if logits:  # log σ(ℓ) = -softplus(-ℓ), log(1 - σ(ℓ)) = -softplus(ℓ): no log(0)
        return -np.logaddexp(0.0, -out), -np.logaddexp(0.0, out)
    if np.any((out < 0) | (out > 1)):
        raise ValueError("D returned values outside [0, 1]; if it returns logits (as gantext's "
                         "discriminators do), pass logits=True")
    # A float64 probability of exactly 1 stands for every D within 2^-54 of 1 (they all round to
    # 1.0), and exactly 0 for every D below the smallest subnormal 2^-1074. Read such a D at the
    # edge of what rounds to it, so that both logs stay finite: D* of two Gaussians of different
    # widths rounds to 1 in the tails, where p_g > 0 but p_g < 2^-54 p_data, and the true terms
    # there, p_g·log(1 - D*) ≈ -p_g·ℓ*, are negligible.
    log_d = np.log(np.maximum(out, _TINY))
    log_1md = np.where(out < 1.0, np.log1p(-np.minimum(out, _BELOW_ONE)), _LOG_HALF_ULP)
    return log_d, log_1md


def _mean_and_stderr(values: np.ndarray) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values, ddof=1) / math.sqrt(values.size))


def _draw(p, n: int, generator) -> np.ndarray:
    return p.sample(n, generator=generator).double().numpy()                    # [n, d]


def value(D, p_data, p_g, *, logits: bool = False, n_samples: int | None = None,
          generator=None) -> Estimate:
    r"""The value function of the GAN game for a fixed discriminator (chapters 1–3):

    .. math:: V(D, G) = \mathbb E_{x\sim p_\mathrm{data}}[\log D(x)] + \mathbb E_{x\sim p_g}[\log(1 - D(x))].

    ``D`` is any callable that maps a float64 tensor of shape [n, d] to n probabilities in
    [0, 1]; with ``logits=True`` it returns logits ℓ instead (as gantext's discriminators do;
    ``D = σ(ℓ)``) and the logs are computed stably as softplus terms. A ``torch.nn.Module``
    receives its inputs in its own dtype and on its own device, and is called without gradients.
    Probabilities lose precision near 1 (float64 cannot hold 1 - 10⁻²⁰): a D that rounds to
    exactly 1 is read as 1 - 2⁻⁵⁴ and one that rounds to 0 as 2⁻¹⁰⁷⁴, the edges of what rounds to
    them, so ``value(lambda x: optimal_discriminator(p, q, x), p, q)`` stays finite and accurate
    (D* rounds to 1 only where p_g < 2⁻⁵⁴ p_data). Logits lose nothing: prefer them.

    By default the expectations are computed by quadrature (1-D Gaussian mixtures only); with
    ``n_samples=N`` they are Monte Carlo averages over N draws from each distribution (any
    dimension; ``generator`` seeds them) and the result carries its standard error.
    With :func:`optimal_logit` as D this is :math:`C(G) = -\log 4 + 2\,\mathrm{JSD}` (Theorem 1).
    """
    _check_pair(p_data, p_g, ("p_data", "p_g"))
    if not callable(D):
        raise TypeError(f"D must be a callable returning probabilities (or logits with logits=True), got {type(D).__name__}")
    _check.boolean(logits, "logits")
    if n_samples is not None:
        _check_n_samples(n_samples, p_data, p_g, generator=generator)
    _check.generator(generator)
    if n_samples is None:
        _require_quadrature(p_data, p_g, "value", ("p_data", "p_g"))

        def integrand(x):
            log_d, log_1md = _discriminator_log_probs(D, x[:, None], logits)
            dens_data, dens_g = np.exp(_log_prob(p_data, x)), np.exp(_log_prob(p_g, x))
            with np.errstate(invalid="ignore"):  # 0·log 0 where a density underflows is 0
                return np.where(dens_data > 0, dens_data * log_d, 0.0) + np.where(dens_g > 0, dens_g * log_1md, 0.0)

        return Estimate(_integrate(integrand, _edges(p_data, p_g)), "quadrature")
    n = _check_n_samples(n_samples)
    log_d, _ = _discriminator_log_probs(D, _draw(p_data, n, generator), logits)
    _, log_1md = _discriminator_log_probs(D, _draw(p_g, n, generator), logits)
    (m1, s1), (m2, s2) = _mean_and_stderr(log_d), _mean_and_stderr(log_1md)
    return Estimate(m1 + m2, "monte carlo", math.hypot(s1, s2))


def _is_gaussian(p) -> bool:
    return isinstance(p, GaussianMixture) and p.n_modes == 1


def kl_divergence(p, q, *, n_samples: int | None = None, generator=None) -> Estimate:
    r"""The Kullback–Leibler divergence :math:`\mathrm{KL}(P\,\Vert\,Q) = \mathbb E_{x\sim P}[\log p(x) - \log q(x)]`
    in nats (chapter 3). Not symmetric: ``kl_divergence(q, p)`` is the *reverse* KL.

    Exact by default: the closed form for two isotropic Gaussians in any dimension,

    .. math:: \mathrm{KL} = d\log\frac{\sigma_q}{\sigma_p} + \frac{d\,\sigma_p^2 + \lVert\mu_p - \mu_q\rVert^2}{2\sigma_q^2} - \frac d2,

    and quadrature for 1-D Gaussian mixtures. With ``n_samples=N``: the Monte Carlo average of
    the log-ratio over N draws from P, in any dimension, with its standard error.
    """
    _check_pair(p, q)
    _check.generator(generator)
    if n_samples is not None:
        _check_n_samples(n_samples, p, q)
    if n_samples is None:
        if _is_gaussian(p) and _is_gaussian(q):
            d = p.dim
            sp, sq = p.stds[0].item(), q.stds[0].item()
            dist2 = (p.means[0] - q.means[0]).pow(2).sum().item()
            return Estimate(d * math.log(sq / sp) + (d * sp**2 + dist2) / (2 * sq**2) - d / 2, "closed form")
        _require_quadrature(p, q, "kl_divergence")

        def integrand(x):
            lp, lq = _log_prob(p, x), _log_prob(q, x)
            return np.exp(lp) * (lp - lq)

        return Estimate(_integrate(integrand, _edges(p, q)), "quadrature")
    x = _draw(p, _check_n_samples(n_samples), generator)
    mean, err = _mean_and_stderr(_log_prob(p, x) - _log_prob(q, x))
    return Estimate(mean, "monte carlo", err)


def jensen_shannon(p, q, *, n_samples: int | None = None, generator=None) -> Estimate:
    r"""The Jensen–Shannon divergence in nats, with the ½ convention of the book (chapter 3):

    .. math:: \mathrm{JSD}(P\,\Vert\,Q) = \tfrac12\mathrm{KL}(P\,\Vert\,M) + \tfrac12\mathrm{KL}(Q\,\Vert\,M), \qquad M = \tfrac12(P + Q),

    so that :math:`0 \le \mathrm{JSD} \le \log 2`, with ``log 2`` exactly when the supports are
    disjoint. (Arjovsky et al. (2017) write JS without the ½ yet quote log 2 for disjoint
    supports; Goodfellow et al.'s Theorem 1, :math:`C(G) = -\log 4 + 2\,\mathrm{JSD}`, uses
    this convention.) Symmetric in P and Q.

    Exact by default: quadrature for 1-D Gaussian mixtures. With ``n_samples=N``: Monte Carlo over
    N draws from each of P and Q, in any dimension, with its standard error; each term is
    :math:`\log 2 + \log p - \operatorname{logaddexp}(\log p, \log q)`, so it never overflows.
    """
    _check_pair(p, q)
    _check.generator(generator)
    if n_samples is not None:
        _check_n_samples(n_samples, p, q)
    log2 = math.log(2.0)
    if n_samples is None:
        _require_quadrature(p, q, "jensen_shannon")

        def integrand(x):
            lp, lq = _log_prob(p, x), _log_prob(q, x)
            lm = np.logaddexp(lp, lq) - log2                                     # log of the mixture M
            return 0.5 * (np.exp(lp) * (lp - lm) + np.exp(lq) * (lq - lm))

        return Estimate(_integrate(integrand, _edges(p, q)), "quadrature")
    n = _check_n_samples(n_samples)
    x, y = _draw(p, n, generator), _draw(q, n, generator)
    lpx, lqx, lpy, lqy = _log_prob(p, x), _log_prob(q, x), _log_prob(p, y), _log_prob(q, y)
    (a, sa), (b, sb) = (_mean_and_stderr(log2 + lpx - np.logaddexp(lpx, lqx)),
                        _mean_and_stderr(log2 + lqy - np.logaddexp(lpy, lqy)))
    return Estimate(0.5 * (a + b), "monte carlo", 0.5 * math.hypot(sa, sb))


def total_variation(p, q, *, n_samples: int | None = None, generator=None) -> Estimate:
    r"""The total variation distance :math:`\mathrm{TV}(P, Q) = \sup_A |P(A) - Q(A)| = \tfrac12\int |p - q|`
    (chapter 3), between 0 and 1.

    Exact by default for 1-D Gaussian mixtures: quadrature split at the points where p = q, so the
    kinks of ``|p - q|`` fall on breakpoints. With ``n_samples=N``: the Monte Carlo average of
    :math:`(1 - q(x)/p(x))_+` over N draws from P, in any dimension, with its standard error.
    """
    _check_pair(p, q)
    _check.generator(generator)
    if n_samples is not None:
        _check_n_samples(n_samples, p, q)
    if n_samples is None:
        _require_quadrature(p, q, "total_variation")
        gap = lambda x: np.exp(_log_prob(p, x)) - np.exp(_log_prob(q, x))        # noqa: E731
        edges = _split_at_roots(gap, _edges(p, q))
        return Estimate(0.5 * _integrate(lambda x: np.abs(gap(x)), edges), "quadrature")
    x = _draw(p, _check_n_samples(n_samples), generator)
    mean, err = _mean_and_stderr(np.maximum(0.0, -np.expm1(_log_prob(q, x) - _log_prob(p, x))))
    return Estimate(mean, "monte carlo", err)
