"""Benchmark: many small GANs trained at once (gantext.batched) against one after another (gt.fit).

Measures model-iterations per second (generator steps × models / wall-clock seconds) for the
networks of chapter 5's table (VEEGAN's protocol: z ∈ R^256, two tanh layers of 128, batch 512),
training M models

* one after another with the plain loop, :func:`gantext.fit`;
* stacked with :func:`gantext.fit_stacked`, each model drawing from its own random streams
  (bit-for-bit the same trajectories as ``gt.fit``);
* stacked, all models drawing their random numbers in one call per step (same statistics).

Both sides run in the same process on the same device, so the ratio is a fair speed-up. Prints a
table and writes JSON::

    python bench/bench_batched.py                       # defaults: M = 1 4 16 (CPU) or 1 8 32 128 (GPU)
    python bench/bench_batched.py --models 1 8 --steps 50 --out bench/batched.json
    python bench/bench_batched.py --latent-dim 16 --hidden 64 --batch-size 128   # chapter 5's table size

What was seen on the book's 2-core build machine (no GPU; one thread; other jobs running),
stored in ``bench/batched-cpu-*.json``: at the VEEGAN size stacking gained ≈ 1.3× with M = 4
(the matrix products already dominate a step); at chapter 5's table size (latent 16, width 64,
batch 128) ≈ 1.8× with M = 4 and ≈ 2.1× with M = 16. With M = 1 the stacked code is ≈ 10–20 %
slower than gt.fit. The larger gain is expected on a GPU, where one small GAN leaves the device
idle; it has not been measured yet: run this script on a GPU and keep the JSON
(``--out bench/batched-<gpu>.json``).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import replace

import torch

import gantext as gt
from gantext.batched import VEEGAN_PROTOCOL, Method


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_sequential(n_models: int, steps: int, protocol, device: torch.device) -> float:
    """Seconds to train ``n_models`` GANs one after another with gt.fit."""
    config = gt.TrainConfig(steps=steps, batch_size=protocol.batch_size, d_lr=protocol.d_lr,
                            g_lr=protocol.g_lr, betas=protocol.betas, device=str(device), progress=False)
    _sync(device)
    start = time.perf_counter()
    for seed in range(n_models):
        torch.manual_seed(seed)
        G, D = protocol.make_generator(), protocol.make_discriminator(Method("GAN"))
        gt.fit(G, D, gt.ring(), config=replace(config, seed=2 * seed))
    _sync(device)
    return time.perf_counter() - start


def time_stacked(n_models: int, steps: int, protocol, device: torch.device, per_model_streams: bool) -> float:
    """Seconds to train ``n_models`` stacked GANs with gt.fit_stacked."""
    config = gt.TrainConfig(steps=steps, batch_size=protocol.batch_size, d_lr=protocol.d_lr,
                            g_lr=protocol.g_lr, betas=protocol.betas, device=str(device), progress=False)
    _sync(device)
    start = time.perf_counter()
    G, D = gt.stack_models(protocol.make_generator, lambda: protocol.make_discriminator(Method("GAN")),
                           range(n_models))
    gt.fit_stacked(G, D, gt.ring(), config=config, per_model_streams=per_model_streams)
    _sync(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, nargs="+", help="numbers of models M to time")
    parser.add_argument("--steps", type=int, default=None, help="generator steps per model")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--latent-dim", type=int, default=None, help="override the protocol's (256)")
    parser.add_argument("--hidden", type=int, default=None, help="override the protocol's width (128)")
    parser.add_argument("--batch-size", type=int, default=None, help="override the protocol's (512)")
    parser.add_argument("--out", default=None, help="JSON file for the results")
    args = parser.parse_args()
    device = gt.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    on_gpu = device.type == "cuda"
    models = args.models or ([1, 8, 32, 128] if on_gpu else [1, 4, 16])
    steps = args.steps or (200 if on_gpu else 30)
    protocol = replace(VEEGAN_PROTOCOL, latent_dim=args.latent_dim or VEEGAN_PROTOCOL.latent_dim,
                       hidden=(args.hidden,) * 2 if args.hidden else VEEGAN_PROTOCOL.hidden,
                       batch_size=args.batch_size or VEEGAN_PROTOCOL.batch_size)
    name = torch.cuda.get_device_name(device) if on_gpu else f"CPU ({platform.processor() or platform.machine()}, " \
                                                             f"{torch.get_num_threads()} threads)"
    print(f"device: {name}")
    if not on_gpu:
        print("no GPU here: these are CPU figures; run this script on a GPU machine for the batching gain")
    # warm-up (kernels, allocator) so that the first measurement is not penalised
    time_sequential(1, 3, protocol, device)
    time_stacked(2, 3, protocol, device, False)

    rows = []
    print(f"{'M':>5} {'sequential':>12} {'stacked, own streams':>22} {'stacked, shared':>17} {'speed-up':>9}")
    for m in models:
        seq = m * steps / time_sequential(m, steps, protocol, device)
        own = m * steps / time_stacked(m, steps, protocol, device, True)
        shared = m * steps / time_stacked(m, steps, protocol, device, False)
        rows.append(dict(models=m, steps=steps, sequential=seq, stacked_own_streams=own,
                         stacked_shared_streams=shared, speedup=shared / seq))
        print(f"{m:>5} {seq:>12.1f} {own:>22.1f} {shared:>17.1f} {shared / seq:>8.1f}×")
    print("(model-iterations per second: generator steps × models / second)")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(dict(device=name, torch=torch.__version__, protocol=protocol.name,
                           batch_size=protocol.batch_size, latent_dim=protocol.latent_dim,
                           hidden=list(protocol.hidden), rows=rows), f, indent=1)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
