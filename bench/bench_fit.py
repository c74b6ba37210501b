"""Benchmark: ``gt.fit`` against a plain tutorial training loop, measured in the same run.

Both train the same non-saturating GAN (MLPs on the 8-Gaussian ring, at the two sizes in
``SIZES``) for the same number of generator steps, at each thread count asked for. The reference
is the loop most tutorials write (pytorch/examples' DCGAN): ``torch.optim.Adam`` without the fused
kernel, ``BCEWithLogitsLoss`` on separate real and fake batches, the fakes reused for the
generator step, D's gradients computed in the generator step too, and a ``.item()`` per step to
log the losses. A third loop, ``gt.fit`` with its per-step divergence checks switched off,
measures what the checks cost. The figure of merit is the ratio of iterations per second, not
the absolute speed, which depends on the machine.

The last column bounds what any eager loop with ``gt.fit``'s arithmetic could reach: the time
``gt.fit`` spends inside ATen operators (kernels and their dispatch, from ``torch.profiler``,
summed per step) is a floor no reordering of the Python around them removes, so the reference's
time per step divided by it is a ceiling on the ratio. Where the ceiling is below a target, the
target needs other arithmetic (fewer or cheaper operations: bf16 products, fused kernels), not
a leaner loop. Prints a table and writes ``bench/results/fit.json``.

    .venv/bin/python bench/bench_fit.py [--steps 1000] [--repeats 5] [--threads 1 2] [--device auto]
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


SIZES = {  # name: (hidden widths of G and D, batch size)
    "wide": ((128, 128, 128), 256),   # the size this benchmark has always used
    "chapter": ((64, 64), 128),       # the size of most of the book's 2-D GANs
}


def models(device, hidden):
    gt.seed(0)
    return (gt.MLPGenerator(2, 2, hidden=hidden).to(device),
            gt.MLPDiscriminator(2, hidden=hidden).to(device))


def timed(fn, device):
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def fit_unchecked(G, D, data, config):
    """gt.fit with its divergence checks switched off: their cost is the difference to gt.fit."""
    train = gt.train
    checked = train.update_d, train.update_g
    train.update_d = lambda *a, **k: checked[0](*a, **{**k, "check_finite": False})
    train.update_g = lambda *a, **k: checked[1](*a, **{**k, "check_finite": False})
    try:
        return gt.fit(G, D, data, config=config)
    finally:
        train.update_d, train.update_g = checked


def operator_seconds(loop, device, hidden) -> float:
    """Seconds one run of ``loop`` spends inside ATen operators (self time, summed)."""
    from torch.profiler import ProfilerActivity, profile
    G, D = models(device, hidden)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        loop(G, D)
    return sum(e.self_cpu_time_total for e in prof.key_averages() if e.key.startswith("aten::")) / 1e6


def measure(device, hidden, batch_size, steps, repeats):
    """Iterations per second of the loops, interleaved so that drifts in load hit all alike."""
    data = gt.ring()
    config = gt.TrainConfig(steps=steps, batch_size=batch_size, progress=False, device=str(device))
    loops = {
        "reference": lambda G, D: reference_loop(G, D, data, steps, batch_size, 2e-4, device),
        "gt.fit": lambda G, D: gt.fit(G, D, data, config=config),
        "unchecked": lambda G, D: fit_unchecked(G, D, data, config),
    }
    results = {name: [] for name in loops}
    for _ in range(repeats):
        for name, loop in loops.items():
            G, D = models(device, hidden)
            results[name].append(steps / timed(lambda: loop(G, D), device))
    floor = operator_seconds(loops["gt.fit"], device, hidden) / steps if device.type == "cpu" else None
    return results, floor


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = gt.device(args.device)
    name = (torch.cuda.get_device_name(device) if device.type == "cuda"
            else platform.processor() or platform.machine())
    print(f"device: {device} ({name}), torch {torch.__version__}, {args.steps} steps, "
          f"best of {args.repeats} interleaved runs")
    print(f"{'threads':>7} {'size':<8}{'reference it/s':>16}{'gt.fit it/s':>14}{'ratio':>8}"
          f"{'checks cost':>13}{'ceiling':>9}")
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for size in args.sizes:
            hidden, batch_size = SIZES[size]
            results, floor = measure(device, hidden, batch_size, args.steps, args.repeats)
            best = {k: max(v) for k, v in results.items()}
            ratio = best["gt.fit"] / best["reference"]
            checks = 1 - best["gt.fit"] / best["unchecked"]    # fraction of the time spent checking
            ceiling = None if floor is None else 1 / (best["reference"] * floor)
            print(f"{threads:>7} {size:<8}{best['reference']:>16.1f}{best['gt.fit']:>14.1f}{ratio:>7.2f}x"
                  f"{100 * checks:>12.1f}%" + ("" if ceiling is None else f"{ceiling:>8.2f}x"))
            rows.append({"threads": threads, "size": size, "hidden": hidden, "batch_size": batch_size,
                         "iterations_per_second": results, "ratio_best": ratio,
                         "divergence_check_cost": checks, "operator_seconds_per_step": floor,
                         "ceiling": ceiling})
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "fit.json").write_text(json.dumps({
        "device": str(device), "processor": name, "torch": torch.__version__, "steps": args.steps,
        "command": "python bench/bench_fit.py " + " ".join(__import__("sys").argv[1:]),
        "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
