"""Chapter 5's experiment: how many modes of a ring and a grid each remedy for mode collapse
captures, over seeds, under a fixed benchmark protocol.

A :class:`BenchmarkProtocol` fixes the networks, the optimiser and the budget (by default VEEGAN's
Table 1: Srivastava et al., 2017, as Elfeki et al., 2019 describe it); a :class:`Remedy` is one
row of the table: a loss and what is done against collapse (packing, the minibatch feature, spectral norm, a gradient penalty,
unrolling). :func:`table` trains every remedy on every data set for every seed, the seeds of
one row as one stacked computation (:func:`gantext.fit_stacked`), and scores each model with
:func:`gantext.mode_coverage`; :func:`summarise` gives mean ± standard error per row. From a
shell, ``python -m gantext.mode_collapse --help`` computes the table at any size (full size on
a GPU).
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from typing import Callable, Sequence

import torch
from torch import nn

from . import _check
from . import losses as _losses
from .data import grid, ring
from .coverage import mode_coverage
from .models import MLPDiscriminator, MLPGenerator
from .stacked import fit_stacked, orthogonal_init_, stack_models
from .train import TrainConfig
from .utils import device as resolve_device

__all__ = ["BenchmarkProtocol", "Remedy", "VEEGAN_PROTOCOL", "CHAPTER_REMEDIES", "table",
           "train_stacked", "baseline_rows", "summarise", "main"]


@dataclass(frozen=True)
class BenchmarkProtocol:
    """The networks, optimiser and budget of a mode-collapse benchmark (chapter 5).

    Both networks are MLPs with ``hidden`` layers of ``activation``; with ``orthogonal_gain``
    every weight matrix starts orthogonal with that gain and every bias at zero.
    """

    name: str                                  # how tables refer to it
    latent_dim: int = 256                      # z ~ N(0, I) in R^latent_dim
    hidden: tuple[int, ...] = (128, 128)       # hidden widths of G and of D
    activation: Callable[[], nn.Module] = nn.Tanh  # hidden non-linearity of both networks
    orthogonal_gain: float | None = 1.4        # orthogonal initialisation gain; None: PyTorch's default
    batch_size: int = 512                      # real and fake samples per minibatch
    d_lr: float = 1e-4                         # discriminator learning rate (Adam)
    g_lr: float = 1e-3                         # generator learning rate (Adam)
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's (β1, β2)
    steps: int = 25_000                        # generator updates
    n_eval: int = 2500                         # generator samples scored per model

    def make_generator(self) -> MLPGenerator:
        return self._init(MLPGenerator(self.latent_dim, 2, self.hidden, activation=self.activation))

    def make_discriminator(self, remedy: "Remedy") -> MLPDiscriminator:
        return self._init(MLPDiscriminator(2, self.hidden, activation=self.activation, pack=remedy.pack,
                                           minibatch_std=remedy.minibatch_std,
                                           spectral_norm=remedy.spectral_norm))

    def _init(self, model: nn.Module) -> nn.Module:
        return model if self.orthogonal_gain is None else orthogonal_init_(model, self.orthogonal_gain)


# Srivastava et al. (2017), Table 1, as GDPP (Elfeki et al., 2019) describes it; VEEGAN trained 100k steps.
VEEGAN_PROTOCOL = BenchmarkProtocol("VEEGAN Table 1")


@dataclass(frozen=True)
class Remedy:
    """One row of a mode-collapse table: the loss and the remedy trained under a protocol."""

    name: str                                          # row label
    loss: _losses.GANLoss = _losses.non_saturating     # the (d_loss, g_loss) pair
    pack: int = 1                                      # PacGAN packing degree m
    minibatch_std: bool = False                        # the minibatch standard-deviation feature
    spectral_norm: bool = False                        # spectral normalisation of D's layers
    gradient_penalty: bool = False                     # WGAN-GP's penalty, weight penalty_weight
    penalty_weight: float = 10.0                       # λ of the gradient penalty
    unroll_steps: int = 0                              # Metz et al.'s k; 0: no unrolling
    d_steps: int = 1                                   # discriminator steps per generator step
    d_lr: float | None = None                          # overrides the protocol's D learning rate
    g_lr: float | None = None                          # overrides the protocol's G learning rate


# The rows of chapter 5's table, by the names the command line accepts.
CHAPTER_REMEDIES = (
    Remedy("GAN"),
    Remedy("PacGAN2", pack=2),
    Remedy("minibatch std", minibatch_std=True),
    Remedy("spectral norm", spectral_norm=True),
    Remedy("WGAN-GP", loss=_losses.wasserstein, gradient_penalty=True),
    Remedy("unrolled (k=5)", unroll_steps=5),
)


def train_stacked(protocol: BenchmarkProtocol, remedy: Remedy, data, seeds: Sequence[int], steps: int,
                  device: str, per_model_streams: bool) -> tuple[torch.Tensor, list[bool]]:
    """Train one remedy under ``protocol`` for ``steps`` generator steps, the seeds stacked
    (model ``m`` from the weights of seed ``seeds[m]``); return ``protocol.n_eval`` samples of
    every model, ``[M, n_eval, d]``, drawn from one fixed evaluation stream, and which models
    diverged."""
    G, D = stack_models(protocol.make_generator, lambda: protocol.make_discriminator(remedy), seeds)
    config = TrainConfig(steps=steps, batch_size=protocol.batch_size, d_steps=remedy.d_steps,
                         d_lr=remedy.d_lr or protocol.d_lr, g_lr=remedy.g_lr or protocol.g_lr,
                         betas=protocol.betas, penalty_weight=remedy.penalty_weight, seed=seeds[0],
                         device=device, progress=False)
    history = fit_stacked(G, D, data, remedy.loss, config, gradient_penalty=remedy.gradient_penalty,
                          unroll_steps=remedy.unroll_steps, per_model_streams=per_model_streams)
    G.eval()
    with torch.no_grad():   # one fixed evaluation stream, the same for every remedy
        samples = G.sample(protocol.n_eval, torch.Generator(device=resolve_device(device)).manual_seed(10**6))
    return samples, history.diverged.tolist()


def _train_and_score(protocol: BenchmarkProtocol, remedy: Remedy, data_name: str, data,
                     seeds: Sequence[int], device: str, threads: int | None) -> list[dict]:
    """Train one remedy on one data set for every seed at once; score each model.

    A model that diverged in training, or whose samples are not finite, gets no score: its row
    is marked ``diverged`` with NaN scores (it is not a generator that captured 0 modes)."""
    if threads is not None:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    samples, diverged_models = train_stacked(protocol, remedy, data, seeds, protocol.steps, device,
                                             per_model_streams=False)
    seconds = time.perf_counter() - start
    rows = []
    for seed, x, diverged in zip(seeds, samples, diverged_models):
        row = dict(method=remedy.name, data=data_name, seed=int(seed), steps=protocol.steps,
                   n_modes=len(data.means), seconds=seconds / len(seeds))
        if diverged or not torch.isfinite(x).all():
            warnings.warn(f"{remedy.name} on {data_name}, seed {seed}: training diverged (a NaN or "
                          "infinite loss or sample); its scores are NaN", RuntimeWarning, stacklevel=2)
            rows.append(dict(row, modes=math.nan, high_quality=math.nan, reverse_kl=math.nan,
                             n_high_quality=math.nan, diverged=True))
            continue
        rows.append(dict(row, **_score_row(x, data)))
    return rows


def _score_row(x: torch.Tensor, data) -> dict:
    """The columns of a table row for samples ``x`` of a mixture ``data``."""
    score = mode_coverage(x, data.means, data.stds)
    return dict(modes=score.modes_captured, high_quality=score.high_quality_fraction,
                reverse_kl=score.reverse_kl, n_high_quality=sum(score.counts), diverged=False)


def _relative_cost(remedy: Remedy) -> float:
    """A rough cost of one generator step relative to the plain GAN (for scheduling only)."""
    d_cost = remedy.d_steps * (2.2 if remedy.gradient_penalty else 1.0)
    return d_cost + 1.0 + 2.5 * remedy.unroll_steps


def table(protocol: BenchmarkProtocol, remedies: Sequence[Remedy], datasets: dict,
          seeds: Sequence[int], *, workers: int = 1, device: str = "auto") -> list[dict]:
    """Train every remedy on every data set for every seed; return one row per trained model.

    ``datasets`` maps a name to a :class:`~gantext.GaussianMixture` (``gt.ring()``, ``gt.grid()``).
    The seeds of one (remedy, data set) pair are trained together by :func:`~gantext.fit_stacked`,
    model ``m`` starting from the weights of seed ``seeds[m]``; with ``workers > 1`` the pairs are
    spread over that many processes with one thread each (on a CPU the fastest arrangement; on a
    GPU keep ``workers=1``). Each row holds the remedy's name (``method``), the seed, the modes
    captured, the fraction of high-quality samples and the reverse KL of
    :func:`~gantext.mode_coverage` on ``protocol.n_eval`` samples, the number of high-quality
    samples these scores rest on (``n_high_quality``), ``diverged``, and the training time per
    model in seconds.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if not isinstance(protocol, BenchmarkProtocol):
        raise TypeError(f"protocol must be a BenchmarkProtocol, got {type(protocol).__name__}")
    remedies = list(remedies)
    if not remedies or not all(isinstance(r, Remedy) for r in remedies):
        raise TypeError("remedies must be a non-empty sequence of Remedy")
    if not datasets or not all(hasattr(d, "means") and hasattr(d, "stds") for d in datasets.values()):
        raise TypeError("datasets must map names to Gaussian mixtures such as gt.ring() and gt.grid()")
    seeds = [int(s) for s in seeds]
    if not seeds or any(s < 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of non-negative integers, got {seeds!r}")
    resolve_device(device)
    jobs = [(protocol, r, name, data, seeds, device) for r in remedies for name, data in datasets.items()]
    if workers == 1:
        results = [_train_and_score(*job, None) for job in jobs]
    else:
        # Costly jobs first, so that no worker is left alone with the slowest one at the end.
        order = sorted(range(len(jobs)), key=lambda i: -_relative_cost(jobs[i][1]))
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {i: pool.submit(_train_and_score, *jobs[i], 1) for i in order}
            results = [futures[i].result() for i in range(len(jobs))]
    return [row for rows in results for row in rows]


def baseline_rows(data, data_name: str, half_width: float, *, n: int = 2500, draws: int = 100,
                  seed: int = 0) -> list[dict]:
    """Rows of two samplers that involve no training, scored as :func:`table` scores a model.

    ``"data"``: ``n`` samples of the mixture ``data`` itself (the best a generator can score);
    ``"uniform noise"``: ``n`` points uniform on the square ``[-half_width, half_width]^d``
    around it (what a generator that has learned nothing but the data's extent scores by
    chance). Each sampler is drawn ``draws`` times (row ``seed`` = draw), all from one stream
    seeded with ``seed``; :func:`summarise` gives their mean and standard error. Rows have
    :func:`table`'s columns, with ``steps = 0``.
    """
    if not (hasattr(data, "means") and hasattr(data, "stds") and hasattr(data, "sample")):
        raise TypeError("data must be a Gaussian mixture such as gt.ring() or gt.grid()")
    _check.number(half_width, "half_width", low=0, low_open=True)
    _check.integer(n, "n", low=1)
    _check.integer(draws, "draws", low=1)
    _check.integer(seed, "seed", low=0)
    rng = torch.Generator().manual_seed(seed)
    dim = data.means.shape[1]
    samplers = {"data": lambda: data.sample(n, generator=rng),
                "uniform noise": lambda: half_width * (2 * torch.rand(n, dim, generator=rng,
                                                                      dtype=torch.float64) - 1)}
    rows = []
    for label, draw in samplers.items():
        for i in range(draws):
            rows.append(dict(method=label, data=data_name, seed=i, steps=0, n_modes=len(data.means),
                             seconds=0.0, **_score_row(draw(), data)))
    return rows


def _mean_se(values: list[float]) -> tuple[float, float]:
    """Mean and standard error; NaN if any value is NaN (a table must not hide a failed run)."""
    if not values or any(math.isnan(v) for v in values):
        return (math.nan, math.nan)
    mean = sum(values) / len(values)
    if len(values) < 2:
        return (mean, math.nan)
    return (mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1) / len(values)))


def summarise(rows: Sequence[dict]) -> list[dict]:
    """Mean and standard error over seeds for each (remedy, data set), in the order of ``rows``.

    Each summary holds ``modes``, ``high_quality`` (a percentage), ``reverse_kl`` and, when the
    rows have it, ``n_high_quality`` as ``(mean, standard error)`` pairs, the number of seeds ``n`` and of diverged runs
    ``diverged``. Runs without a single high-quality sample (reverse KL undefined) are left out
    of the reverse-KL mean. A diverged run (``diverged`` true, or NaN modes) makes every mean of
    its group NaN: a table must not hide it.
    """
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["method"], row["data"]), []).append(row)
    summaries = []
    for (method, data), group in groups.items():
        failed = sum(bool(r.get("diverged", False)) or math.isnan(float(r["modes"])) for r in group)
        reverse_kl = [float(r["reverse_kl"]) for r in group]
        summaries.append(dict(
            method=method, data=data, n=len(group), diverged=failed,
            modes=_mean_se([math.nan if failed else float(r["modes"]) for r in group]),
            high_quality=_mean_se([math.nan if failed else 100 * float(r["high_quality"]) for r in group]),
            reverse_kl=_mean_se([math.nan] if failed else [v for v in reverse_kl if not math.isnan(v)])))
        if all("n_high_quality" in r for r in group):
            summaries[-1]["n_high_quality"] = _mean_se(
                [math.nan if failed else float(r["n_high_quality"]) for r in group])
    return summaries


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """``python -m gantext.mode_collapse``: the chapter 5 table at any size (full size on a GPU)."""
    names = [r.name for r in CHAPTER_REMEDIES]
    parser = argparse.ArgumentParser(prog="python -m gantext.mode_collapse", description=main.__doc__)
    parser.add_argument("--steps", type=int, default=VEEGAN_PROTOCOL.steps, help="generator steps per run")
    parser.add_argument("--seeds", type=int, default=10, help="independent runs per remedy and data set")
    parser.add_argument("--methods", nargs="+", default=names, choices=names, metavar="NAME",
                        help=f"rows of the table, from: {', '.join(names)}")
    parser.add_argument("--data", nargs="+", default=["ring", "grid"], choices=["ring", "grid"])
    parser.add_argument("--workers", type=int, default=1, help="processes (CPU: one per core; GPU: 1)")
    parser.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda'")
    parser.add_argument("--out", default="mode_collapse_table.json", help="where to write the rows (JSON)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.seeds < 1:
        parser.error("--steps and --seeds must be positive")
    protocol = replace(VEEGAN_PROTOCOL, steps=args.steps)
    remedies = [r for r in CHAPTER_REMEDIES if r.name in args.methods]
    datasets = {name: {"ring": ring, "grid": grid}[name]() for name in args.data}
    start = time.perf_counter()
    rows = table(protocol, remedies, datasets, range(args.seeds), workers=args.workers, device=args.device)
    summary = summarise(rows)
    for s in summary:
        print(f"{s['method']:>16} {s['data']:>5}: modes {s['modes'][0]:5.2f} ± {s['modes'][1]:.2f}   "
              f"HQ {s['high_quality'][0]:5.1f} ± {s['high_quality'][1]:.1f} %   "
              f"reverse KL {s['reverse_kl'][0]:.3f} ± {s['reverse_kl'][1]:.3f}   (n={s['n']}"
              + (f", {s['diverged']} diverged" if s["diverged"] else "") + ")")
    with open(args.out, "w") as f:
        json.dump(dict(protocol={k: v for k, v in asdict(protocol).items() if k != "activation"},
                       device=str(resolve_device(args.device)), seconds=time.perf_counter() - start,
                       rows=rows, summary=summary), f, indent=1)
    print(f"wrote {len(rows)} rows to {args.out}")
    return rows


if __name__ == "__main__":
    main()
