"""Benchmark: many small GANs trained at once (gantext.stacked) against one after another (gt.fit).

Measures model-iterations per second (generator steps × models / wall-clock seconds) for the
networks of chapter 5's table (VEEGAN's protocol: z ∈ R^256, two tanh layers of 128, batch 512;
``--latent-dim 16 --hidden 64 --batch-size 128`` is the chapter's own CPU size), training M seeds

* one after another with :func:`gantext.fit`, with torch's default number of threads (all
  cores) or ``--fit-threads``;
* stacked with :func:`gantext.fit_stacked`, each model drawing from its own random streams
  (the same trajectories as ``gt.fit``), in ``--workers`` processes of one thread each, each
  process training its share of the seeds as one stack: how ``gt.mode_collapse.table`` uses a
  CPU's cores. The workers are started before the clock runs.
* on a GPU, stacked in one process (``--workers 1``), all models drawing their random numbers in
  one call per step as well.

Both sides run on the same machine, so the ratio is the speed-up a reader sees; each is the
fastest of ``--repeats`` timings. Prints a table and writes JSON::

    python bench/bench_batched.py                       # defaults: M = 4 16 (CPU) or 8 32 128 (GPU)
    python bench/bench_batched.py --models 16 --steps 50 --out bench/batched.json
    python bench/bench_batched.py --latent-dim 16 --hidden 64 --batch-size 128   # chapter 5's table size

Issue 10's target for many seeds on both cores of a CPU is a speed-up of at least 2.5×. What was
seen on the book's 2-core build machine (shared with other jobs; gt.fit on two threads), stored
in ``bench/batched-cpu-*.json``: at chapter 5's size 1.9× with M = 4 and 3.4× with M = 16 (3.9×
against gt.fit on one thread); at the VEEGAN size, where the matrix products already dominate a
step, 1.3× and 1.4×. The GPU has not been measured yet: run this script there and keep the JSON
(``--out bench/batched-<gpu>.json``).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context

import torch

import gantext as gt
from gantext.mode_collapse import VEEGAN_PROTOCOL, Remedy


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _config(protocol, steps: int, device: torch.device, seed: int = 0) -> gt.TrainConfig:
    return gt.TrainConfig(steps=steps, batch_size=protocol.batch_size, d_lr=protocol.d_lr,
                          g_lr=protocol.g_lr, betas=protocol.betas, seed=seed, device=str(device),
                          progress=False)


def time_sequential(seeds: range, steps: int, protocol, device: torch.device) -> float:
    """Seconds to train one GAN per seed, one after another, with gt.fit."""
    _sync(device)
    start = time.perf_counter()
    for seed in seeds:
        torch.manual_seed(seed)
        G, D = protocol.make_generator(), protocol.make_discriminator(Remedy("GAN"))
        gt.fit(G, D, gt.ring(), config=_config(protocol, steps, device, seed))
    _sync(device)
    return time.perf_counter() - start


def train_stacked(seeds: range, steps: int, protocol, device: str, per_model_streams: bool,
                  threads: int | None = None) -> float:
    """Seconds to train one GAN per seed as one stack with gt.fit_stacked (in this process)."""
    if threads is not None:
        torch.set_num_threads(threads)
    device = gt.device(device)
    _sync(device)
    start = time.perf_counter()
    G, D = gt.stack_models(protocol.make_generator, lambda: protocol.make_discriminator(Remedy("GAN")), seeds)
    gt.fit_stacked(G, D, gt.ring(), config=_config(protocol, steps, device, seeds[0]),
                   per_model_streams=per_model_streams)
    _sync(device)
    return time.perf_counter() - start


def time_stacked(pool, seeds: range, steps: int, protocol, device: torch.device, workers: int,
                 per_model_streams: bool = True) -> float:
    """Seconds to train the seeds stacked, split over ``workers`` processes of one thread."""
    if pool is None:
        return train_stacked(seeds, steps, protocol, str(device), per_model_streams)
    shares = [seeds[w::workers] for w in range(workers) if len(seeds[w::workers])]
    start = time.perf_counter()
    futures = [pool.submit(train_stacked, share, steps, protocol, str(device), per_model_streams, 1)
               for share in shares]
    for f in futures:
        f.result()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", help="numbers of seeds M to time")
    parser.add_argument("--steps", type=int, default=None, help="generator steps per model")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--workers", type=int, default=None, help="stacked processes (CPU: 2, GPU: 1)")
    parser.add_argument("--fit-threads", type=int, default=None, help="torch threads for gt.fit (default: torch's)")
    parser.add_argument("--latent-dim", type=int, default=None, help="override the protocol's (256)")
    parser.add_argument("--hidden", type=int, default=None, help="override the protocol's width (128)")
    parser.add_argument("--batch-size", type=int, default=None, help="override the protocol's (512)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per cell; the fastest is kept")
    parser.add_argument("--out", default=None, help="JSON file for the results")
    args = parser.parse_args()
    device = gt.device(args.device)
    if args.fit_threads:
        torch.set_num_threads(args.fit_threads)
    on_gpu = device.type == "cuda"
    models = args.models or ([8, 32, 128] if on_gpu else [4, 16])
    steps = args.steps or (200 if on_gpu else 30)
    workers = args.workers or (1 if on_gpu else 2)
    protocol = replace(VEEGAN_PROTOCOL, latent_dim=args.latent_dim or VEEGAN_PROTOCOL.latent_dim,
                       hidden=(args.hidden,) * 2 if args.hidden else VEEGAN_PROTOCOL.hidden,
                       batch_size=args.batch_size or VEEGAN_PROTOCOL.batch_size)
    name = torch.cuda.get_device_name(device) if on_gpu else \
        f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads for gt.fit)"
    print(f"device: {name}; stacked: {workers} process(es) of one thread each" if workers > 1
          else f"device: {name}; stacked: one process")
    pool = None if workers == 1 else ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
    try:
        # warm-up (process start, imports, kernels, allocator): the clock starts after it
        time_sequential(range(1), 3, protocol, device)
        time_stacked(pool, range(2 * workers), 3, protocol, device, workers)
        rows = []
        print(f"{'M':>5} {'sequential fit':>15} {'stacked':>10} {'speed-up':>9}")
        for m in models:
            # the fastest of a few runs: on a shared machine the slower ones measure the neighbours
            seq = m * steps / min(time_sequential(range(m), steps, protocol, device) for _ in range(args.repeats))
            stacked = m * steps / min(time_stacked(pool, range(m), steps, protocol, device, workers)
                                      for _ in range(args.repeats))
            row = dict(models=m, steps=steps, workers=workers, sequential=seq, stacked=stacked,
                       speedup=stacked / seq)
            if on_gpu:
                row["stacked_shared_streams"] = m * steps / time_stacked(pool, range(m), steps, protocol,
                                                                         device, workers, False)
            rows.append(row)
            print(f"{m:>5} {seq:>15.1f} {stacked:>10.1f} {stacked / seq:>8.2f}×")
        print("(model-iterations per second: generator steps × models / second)")
    finally:
        if pool is not None:
            pool.shutdown()
    if args.out:
        with open(args.out, "w") as f:
            json.dump(dict(device=name, torch=torch.__version__, fit_threads=torch.get_num_threads(), repeats=args.repeats, protocol=protocol.name,
                           batch_size=protocol.batch_size, latent_dim=protocol.latent_dim,
                           hidden=list(protocol.hidden), rows=rows), f, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
