"""Benchmark: ``gt.fit`` against a plain tutorial training loop, measured in the same run.

Both train the same non-saturating GAN (MLPs, 8-Gaussian ring, batch 256) for the same number of
generator steps. The reference is the loop most tutorials write: ``torch.optim.Adam`` without the
fused kernel, ``BCEWithLogitsLoss`` on real and fake batches, and a ``.item()`` per step to log the
losses. The figure of merit is the ratio of iterations per second, not the absolute speed, which
depends on the machine. Prints a table and writes ``bench/results/fit.json``.

    .venv/bin/python bench/bench_fit.py [--steps 1000] [--repeats 3] [--device auto]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch
from torch import nn

import gantext as gt


def reference_loop(G, D, data, steps, batch_size, lr, device):
    """The tutorial loop: what gt.fit is compared against."""
    bce = nn.BCEWithLogitsLoss()
    d_opt = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    g_opt = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    ones = torch.ones(batch_size, device=device)
    zeros = torch.zeros(batch_size, device=device)
    log = []
    for _ in range(steps):
        real = data.sample(batch_size).to(device)
        fake = G(torch.randn(batch_size, G.latent_dim, device=device))
        d_loss = bce(D(real), ones) + bce(D(fake.detach()), zeros)
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()
        g_loss = bce(D(fake), ones)
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        log.append((d_loss.item(), g_loss.item()))
    return log


def models(device):
    gt.seed(0)
    return (gt.MLPGenerator(2, 2, hidden=(128, 128, 128)).to(device),
            gt.MLPDiscriminator(2, hidden=(128, 128, 128)).to(device))


def timed(fn, device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = gt.device(args.device)
    data = gt.ring()
    config = gt.TrainConfig(steps=args.steps, batch_size=256, d_lr=2e-4, g_lr=2e-4, progress=False,
                            device=str(device))
    results = {"reference": [], "gt.fit": []}
    for _ in range(args.repeats):  # interleaved, so drifts in machine load hit both alike
        G, D = models(device)
        results["reference"].append(args.steps / timed(
            lambda: reference_loop(G, D, data, args.steps, 256, 2e-4, device), device))
        G, D = models(device)
        results["gt.fit"].append(args.steps / timed(lambda: gt.fit(G, D, data, config=config), device))
    best = {name: max(v) for name, v in results.items()}
    ratio = best["gt.fit"] / best["reference"]
    print(f"device: {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else platform.processor() or platform.machine()}), "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'loop':<12}{'best it/s':>12}{'all runs (it/s)':>40}")
    for name, values in results.items():
        print(f"{name:<12}{best[name]:>12.1f}{', '.join(f'{v:.1f}' for v in values):>40}")
    print(f"gt.fit / reference: {ratio:.2f}x")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "fit.json").write_text(json.dumps({
        "device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads(),
        "steps": args.steps, "iterations_per_second": results, "ratio_best": ratio}, indent=2))


if __name__ == "__main__":
    main()
