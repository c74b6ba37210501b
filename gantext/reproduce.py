"""Published mode-collapse tables rerun on their own protocols, with provenance.

Chapter 5 trains its remedies at a budget a laptop affords; this module reruns the published
tables as their papers describe them (``PROTOCOLS.md``), so that the chapter can set "published"
beside "our rerun on the same protocol":

* VEEGAN's Table 1 (Srivastava et al., 2017), in the 25,000-iteration form of GDPP (Elfeki et
  al., 2019): :data:`VEEGAN_PROTOCOL` with the rows GAN, unrolled GAN (k = 5) and WGAN-GP;
* PacGAN's Table 1 (Lin et al., 2018): ``PACGAN_PROTOCOL``, a 4 × 400 ReLU generator with
  batch normalisation, a maxout discriminator judging m packed samples, m = 1…4.

Every run is written to a results file shipped with the package (``gantext/results/reproduce.json``,
``RESULTS``) with what produced it:
command, protocol, commit, torch, machine, device and wall time, and 1,000 of each model's samples
beside it (``.npz``). ``python -m gantext.reproduce --help`` (``make reproduce``) runs them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

from . import _check
from . import losses as _losses
from .coverage import mode_coverage
from .data import grid, ring
from .mode_collapse import VEEGAN_PROTOCOL, Remedy, summarise, train_stacked
from .steps import TrainingDiverged
from .train import TrainConfig, fit
from .utils import device as resolve_device

__all__ = ["PacGANProtocol", "PACGAN_PROTOCOL", "VEEGAN_PROTOCOL", "VEEGAN_REMEDIES",
           "PACGAN_PACKING", "PUBLISHED", "RESULTS", "protocol_record", "run", "load_results",
           "load_samples", "main"]

# The rows of VEEGAN's Table 1 that are GAN variants (ALI, VEEGAN and GDPP need their own models).
VEEGAN_REMEDIES = (
    Remedy("GAN"),
    Remedy("unrolled (k=5)", unroll_steps=5),
    Remedy("WGAN-GP", loss=_losses.wasserstein, gradient_penalty=True),
)
PACGAN_PACKING = (1, 2, 3, 4)

# Published means (PROTOCOLS.md). VEEGAN's Table 1 as printed in GDPP (Elfeki et al., 2019): the
# GAN and unrolled rows are Srivastava et al.'s own numbers, the WGAN-GP row GDPP's (5 runs).
# PacGAN's Table 1: mean ± standard error over 10 trials; "GAN" is packing degree 1.
PUBLISHED = {
    "VEEGAN Table 1": {
        ("GAN", "ring"): dict(modes=1.0, high_quality=99.3),
        ("GAN", "grid"): dict(modes=3.3, high_quality=0.5),
        ("unrolled (k=5)", "ring"): dict(modes=7.6, high_quality=35.6),
        ("unrolled (k=5)", "grid"): dict(modes=23.6, high_quality=16.0),
        ("WGAN-GP", "ring"): dict(modes=6.8, high_quality=59.6),
        ("WGAN-GP", "grid"): dict(modes=24.2, high_quality=28.7),
    },
    "PacGAN Table 1": {
        ("GAN", "ring"): dict(modes=6.3, high_quality=98.2, reverse_kl=0.45),
        ("GAN", "grid"): dict(modes=17.3, high_quality=94.8, reverse_kl=0.70),
        ("PacGAN2", "ring"): dict(modes=7.9, high_quality=95.6, reverse_kl=0.07),
        ("PacGAN2", "grid"): dict(modes=23.8, high_quality=91.3, reverse_kl=0.13),
        ("PacGAN3", "ring"): dict(modes=7.8, high_quality=97.7, reverse_kl=0.10),
        ("PacGAN3", "grid"): dict(modes=24.6, high_quality=94.2, reverse_kl=0.06),
        ("PacGAN4", "ring"): dict(modes=7.8, high_quality=95.9, reverse_kl=0.07),
        ("PacGAN4", "grid"): dict(modes=24.8, high_quality=93.6, reverse_kl=0.04),
    },
}
N_SAVED = 1000   # samples of each model stored beside the results
RESULTS = Path(__file__).resolve().parent / "results" / "reproduce.json"


@dataclass(frozen=True)
class PacGANProtocol:
    """PacGAN's Table 1 set-up (Lin et al., 2018; PROTOCOLS.md and the authors' code).

    As in the authors' code: the generator's hidden layers have no bias (batch norm follows, its
    running statistics with momentum 0.05), the discriminator sees ``batch_size`` packed inputs
    (``m · batch_size`` samples), the generator loss is the non-saturating one. One difference
    remains: their code (ALI's training algorithm) updates D and G simultaneously from one
    minibatch, :func:`gantext.fit` alternates them."""

    name: str = "PacGAN Table 1"
    latent_dim: int = 2                              # z ~ N(0, I) in R^2
    g_hidden: tuple[int, ...] = (400, 400, 400, 400)  # ReLU layers with batch norm, linear output
    d_hidden: tuple[int, ...] = (200, 200, 200)      # maxout layers, linear output
    maxout_pieces: int = 5                           # linear pieces of each maxout unit
    init_std: float = 0.02                           # every weight ~ N(0, init_std²), biases 0
    lr: float = 1e-4                                 # Adam, both players
    betas: tuple[float, float] = (0.8, 0.999)
    batch_size: int = 100                            # packed inputs per minibatch
    n_train: int = 100_000                           # training points drawn once
    epochs: int = 400
    n_eval: int = 2500

    @property
    def steps(self) -> int:
        return self.epochs * self.n_train // self.batch_size

    def make_generator(self) -> nn.Module:
        layers: list[nn.Module] = []
        width = self.latent_dim
        for h in self.g_hidden:
            layers += [nn.Linear(width, h, bias=False), nn.BatchNorm1d(h, momentum=0.05), nn.ReLU()]
            width = h
        return _normal_init(_Generator(nn.Sequential(*layers, nn.Linear(width, 2)), self.latent_dim),
                            self.init_std)

    def make_discriminator(self, pack: int) -> nn.Module:
        layers: list[nn.Module] = []
        width = 2 * pack
        for h in self.d_hidden:
            layers.append(Maxout(width, h, self.maxout_pieces))
            width = h
        return _normal_init(_PackedCritic(nn.Sequential(*layers, nn.Linear(width, 1)), pack),
                            self.init_std)


PACGAN_PROTOCOL = PacGANProtocol()


class Maxout(nn.Module):
    """``pieces`` linear maps, then the largest of them per unit (Goodfellow et al., 2013)."""

    def __init__(self, in_features: int, out_features: int, pieces: int):
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(x.shape[0], self.out_features, self.pieces).amax(dim=2)


class _Generator(nn.Module):
    def __init__(self, net: nn.Module, latent_dim: int):
        super().__init__()
        self.net, self.latent_dim = net, latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class _PackedCritic(nn.Module):
    """D on ``m`` packed samples: consecutive blocks of ``m`` rows are concatenated."""

    def __init__(self, net: nn.Module, pack: int):
        super().__init__()
        self.net, self.pack = net, pack

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(x.shape[0] // self.pack, 2 * self.pack)).squeeze(1)


@torch.no_grad()
def _normal_init(model: nn.Module, std: float) -> nn.Module:
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


def protocol_record(table: str, method: str) -> dict:
    """What the results file stores as a run's protocol: the table's set-up and the row's remedy.

    A stored run whose record differs from this one was made under other code (the unit tests
    compare them)."""
    if table == VEEGAN_PROTOCOL.name:
        remedy = {r.name: r for r in VEEGAN_REMEDIES}.get(method)
        if remedy is None:
            raise ValueError(f"method must be one of {[r.name for r in VEEGAN_REMEDIES]}, got {method!r}")
        protocol = {k: v for k, v in asdict(VEEGAN_PROTOCOL).items() if k != "activation"}
        protocol["activation"] = VEEGAN_PROTOCOL.activation.__name__
        row = {f.name: getattr(remedy, f.name) for f in fields(remedy)}
        row["loss"] = remedy.loss.name
        return _jsonable(dict(protocol=protocol, remedy=row))
    if table == PACGAN_PROTOCOL.name:
        names = {("GAN" if m == 1 else f"PacGAN{m}"): m for m in PACGAN_PACKING}
        if method not in names:
            raise ValueError(f"method must be one of {list(names)}, got {method!r}")
        return _jsonable(dict(protocol=asdict(PACGAN_PROTOCOL) | {"steps": PACGAN_PROTOCOL.steps},
                              remedy=dict(name=method, pack=names[method])))
    raise ValueError(f"table must be {VEEGAN_PROTOCOL.name!r} or {PACGAN_PROTOCOL.name!r}, got {table!r}")


def _jsonable(x):
    return json.loads(json.dumps(x))


def _train_veegan(method: str, data, seeds: list[int], steps: int, device: str):
    remedy = {r.name: r for r in VEEGAN_REMEDIES}[method]
    samples, diverged = train_stacked(VEEGAN_PROTOCOL, remedy, data, seeds, steps, device,
                                      per_model_streams=True)
    return samples.cpu(), diverged


def _train_pacgan(method: str, data, seeds: list[int], steps: int, device: str):
    p = PACGAN_PROTOCOL
    pack = 1 if method == "GAN" else int(method.removeprefix("PacGAN"))
    out, diverged = [], []
    for seed in seeds:
        torch.manual_seed(seed)
        G, D = p.make_generator(), p.make_discriminator(pack)
        points = data.sample(p.n_train, generator=torch.Generator().manual_seed(seed))
        loader = torch.utils.data.DataLoader(points, batch_size=p.batch_size * pack, shuffle=True,
                                             drop_last=True,
                                             generator=torch.Generator().manual_seed(seed + 1))
        config = TrainConfig(steps=steps, batch_size=p.batch_size * pack, d_lr=p.lr, g_lr=p.lr,
                             betas=p.betas, seed=seed, device=device, progress=False)
        try:
            fit(G, D, loader, _losses.non_saturating, config)
            bad = False
        except TrainingDiverged:
            bad = True
        G.eval()
        with torch.no_grad():
            z = torch.randn(p.n_eval, p.latent_dim, generator=torch.Generator().manual_seed(10**6))
            out.append(G(z.to(resolve_device(device))).cpu())
        diverged.append(bad)
    return torch.stack(out), diverged


# What a run's ``dirty`` flag looks at: the package's tracked files, without gantext/results,
# whose files the runs write (a table's earlier rows included): their output, not their code.
CODE_PATHS = ("gantext", ":(exclude)gantext/results")


def _provenance(argv: Sequence[str], device: str) -> dict:
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return dict(command="python -m gantext.reproduce " + " ".join(argv),
                commit=git("rev-parse", "HEAD"),
                dirty=bool(git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)),
                torch=torch.__version__, python=platform.python_version(),
                machine=f"{platform.machine()}, {cpu}, {os.cpu_count()} cores",
                threads=torch.get_num_threads(), device=str(resolve_device(device)),
                date=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


def run(table: str, method: str, data_name: str, seeds: Sequence[int], *, steps: int | None = None,
        device: str = "auto", argv: Sequence[str] = ()) -> tuple[dict, np.ndarray]:
    """Train one row of a published table on one data set for every seed; score every model.

    Returns the run's entry for the results file (protocol, provenance, one row per seed with
    the scores of :func:`~gantext.mode_coverage`, and their summary) and the first
    ``N_SAVED`` samples of each model, ``[len(seeds), N_SAVED, 2]``. ``steps`` shortens the
    run (a test); the entry then says so, and it is not a rerun of the protocol."""
    record = protocol_record(table, method)
    if data_name not in ("ring", "grid"):
        raise ValueError(f"data_name must be 'ring' or 'grid', got {data_name!r}")
    seeds = [int(s) for s in seeds]
    if not seeds or any(s < 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of non-negative integers, got {seeds!r}")
    full = record["protocol"]["steps"]
    if steps is not None:
        _check.integer(steps, "steps", low=1)
    steps = full if steps is None else int(steps)
    data = {"ring": ring, "grid": grid}[data_name]()
    start = time.perf_counter()
    train = _train_veegan if table == VEEGAN_PROTOCOL.name else _train_pacgan
    samples, diverged = train(method, data, seeds, steps, device)
    wall = time.perf_counter() - start
    rows = []
    for seed, x, bad in zip(seeds, samples, diverged):
        row = dict(method=method, data=data_name, seed=seed)
        if bad or not torch.isfinite(x).all():
            rows.append(dict(row, modes=math.nan, high_quality=math.nan, reverse_kl=math.nan, diverged=True))
            continue
        score = mode_coverage(x, data.means, data.stds)
        rows.append(dict(row, modes=score.modes_captured, high_quality=score.high_quality_fraction,
                         reverse_kl=score.reverse_kl, diverged=False))
    entry = dict(table=table, method=method, data=data_name, steps=steps, full_protocol=steps == full,
                 seeds=seeds, wall_seconds=round(wall, 1), **record,
                 provenance=_provenance(argv, device), rows=rows, summary=summarise(rows)[0])
    return entry, samples[:, :N_SAVED].numpy().astype(np.float32)


def load_results(path: str | os.PathLike = RESULTS) -> list[dict]:
    """The runs stored in a results file (an empty list if there is none); by default the
    reruns shipped with gantext."""
    path = Path(path)
    return json.loads(path.read_text(encoding="utf-8"))["runs"] if path.is_file() else []


def _samples_path(results: Path, table: str, method: str, data: str) -> Path:
    stem = "".join(c if c.isalnum() else "_" for c in f"{table} {method} {data}")
    return results.parent / f"{results.stem}-samples" / f"{stem}.npz"


def load_samples(table: str, method: str, data: str, path: str | os.PathLike = RESULTS) -> np.ndarray:
    """The stored samples of one rerun row, ``[seeds, N_SAVED, 2]``."""
    return np.load(_samples_path(Path(path), table, method, data))["samples"]


def _store(path: Path, entry: dict, samples: np.ndarray) -> None:
    """Add ``entry`` to the results file, replacing an earlier run of the same row, atomically."""
    runs = [r for r in load_results(path)
            if (r["table"], r["method"], r["data"]) != (entry["table"], entry["method"], entry["data"])]
    runs.append(entry)
    runs.sort(key=lambda r: (r["table"], r["method"], r["data"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(runs=runs), indent=1, allow_nan=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    target = _samples_path(path, entry["table"], entry["method"], entry["data"])
    target.parent.mkdir(exist_ok=True)
    np.savez_compressed(target, samples=samples)


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """``python -m gantext.reproduce``: rerun rows of VEEGAN's or PacGAN's Table 1 on their protocol."""
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m gantext.reproduce", description=main.__doc__)
    ap.add_argument("--table", choices=["veegan", "pacgan"], default="veegan")
    ap.add_argument("--methods", nargs="+", default=None,
                    help="rows (default: all of the table's: "
                         f"{', '.join(r.name for r in VEEGAN_REMEDIES)} | GAN, PacGAN2, PacGAN3, PacGAN4)")
    ap.add_argument("--data", nargs="+", default=["ring", "grid"], choices=["ring", "grid"])
    ap.add_argument("--seeds", type=int, default=5, help="independent runs per row and data set")
    ap.add_argument("--steps", type=int, default=None, help="fewer steps than the protocol's (a test)")
    ap.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda'")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--out", default=str(RESULTS), help="the results file (JSON)")
    args = ap.parse_args(argv)
    table = VEEGAN_PROTOCOL.name if args.table == "veegan" else PACGAN_PROTOCOL.name
    methods = args.methods or ([r.name for r in VEEGAN_REMEDIES] if args.table == "veegan"
                               else ["GAN"] + [f"PacGAN{m}" for m in PACGAN_PACKING[1:]])
    for m in methods:
        try:
            protocol_record(table, m)
        except ValueError as e:
            ap.error(str(e))
    if args.seeds < 1:
        ap.error("--seeds must be positive")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    entries = []
    for method in methods:
        for data_name in args.data:
            entry, samples = run(table, method, data_name, range(args.seeds), steps=args.steps,
                                 device=args.device, argv=argv)
            if entry["full_protocol"] or Path(args.out).resolve() != RESULTS:
                _store(Path(args.out), entry, samples)
            s = entry["summary"]
            print(f"{table} | {method:>15} {data_name:>4}: modes {s['modes'][0]:5.2f} ± {s['modes'][1]:.2f}"
                  f"   HQ {s['high_quality'][0]:5.1f} ± {s['high_quality'][1]:.1f} %   reverse KL "
                  f"{s['reverse_kl'][0]:.3f} ± {s['reverse_kl'][1]:.3f}   (n={s['n']}, "
                  f"{s['diverged']} diverged, {entry['wall_seconds']:.0f} s)", flush=True)
            entries.append(entry)
    return entries


if __name__ == "__main__":
    main()
