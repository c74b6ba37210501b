"""Training speed of the chapter 6–7 GANs on 8×8 digits: generator steps per second through gt.fit.

Run: ``python bench/bench_dcgan.py [--threads N] [--steps S] [--out FILE.json]``; prints one line
per model and, with ``--out``, writes the figures as JSON. The chapters train 1,500 steps at batch
64, width 64. Seen on the book's 2-core build machine under a load of about 6 (other jobs
running), one thread: DCGAN 45, cGAN 36, AC-GAN 31 generator steps/s.
"""

import argparse
import json
import pathlib
import time

import torch

import gantext as gt


def steps_per_second(G, D, data, loss, steps: int, device: str) -> float:
    config = gt.TrainConfig(steps=20, batch_size=64, progress=False, device=device, mixed_precision=True)
    gt.fit(G, D, data, loss, config=config)                                      # warm-up
    config = gt.TrainConfig(steps=steps, batch_size=64, progress=False, device=device, mixed_precision=True)
    start = time.perf_counter()
    gt.fit(G, D, data, loss, config=config)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=pathlib.Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = str(gt.device(args.device))
    images, labels = gt.data.digits().tensors
    models = {
        "DCGAN 8x8": (gt.DCGANGenerator(width=64), gt.DCGANDiscriminator(width=64), images,
                      gt.losses.non_saturating),
        "cGAN 8x8": (gt.ConditionalDCGANGenerator(width=64), gt.ConditionalDCGANDiscriminator(width=64),
                     (images, labels), gt.losses.non_saturating),
        "AC-GAN 8x8": (gt.ConditionalDCGANGenerator(width=64), gt.ACGANDiscriminator(width=64),
                       (images, labels), gt.losses.auxiliary_classifier()),
    }
    results = {}
    for name, (G, D, data, loss) in models.items():
        results[name] = steps_per_second(G, D, data, loss, args.steps, device)
        print(f"{name}: {results[name]:.1f} generator steps/s ({device}, {args.threads} threads)")
    if args.out is not None:
        args.out.write_text(json.dumps({"device": device, "threads": args.threads,
                                        "steps_per_second": results}, indent=2))


if __name__ == "__main__":
    main()
