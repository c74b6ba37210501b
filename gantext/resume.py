"""Checkpoints of a training run, and the rule for continuing one.

A checkpoint of ``fit`` holds the two models, the two optimisers, the history, every random
stream, the configuration and a record of the run (the architectures, the loss, the penalty,
the optimisers and the data). ``fit(resume_from=...)`` continues it only when the call would
compute exactly what the uninterrupted run computes, and refuses anything else before loading a
single tensor: a run that resumes quietly with other settings is a run nobody can reproduce.
The file itself is written atomically and read with ``weights_only=True``
(:func:`gantext.utils.save_checkpoint`).
"""

from __future__ import annotations

import os
from dataclasses import asdict

import torch
from torch import nn

from .utils import load_checkpoint, save_checkpoint

# Fields of TrainConfig that may differ between a run and its resumption: they do not change the
# numbers it computes.
RESUMABLE = ("steps", "progress", "checkpoint_every", "checkpoint_path", "device")


def config_record(config) -> dict:
    record = asdict(config)
    if record["checkpoint_path"] is not None:
        record["checkpoint_path"] = os.fspath(record["checkpoint_path"])
    if isinstance(record["device"], torch.device):
        record["device"] = str(record["device"])
    return record


def _optimizer_record(opt: torch.optim.Optimizer) -> dict:
    groups = []
    for group in opt.param_groups:
        hyper = {k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()
                 if k not in ("params", "fused", "foreach", "capturable", "differentiable")
                 and isinstance(v, (int, float, bool, str, tuple, type(None)))}
        groups.append(dict(hyper, n_params=len(group["params"])))
    return {"type": type(opt).__name__, "groups": groups}


def run_record(G, D, loss, penalty, device, d_opt, g_opt, data: str) -> dict:
    """What a checkpoint must match for ``fit`` to continue it, besides the configuration."""
    return {"G": repr(G), "D": repr(D), "loss": loss.name,
            "penalty": None if penalty is None else
            getattr(penalty, "__qualname__", type(penalty).__name__),
            "device_type": device.type, "d_opt": _optimizer_record(d_opt),
            "g_opt": _optimizer_record(g_opt), "data": data}


def _same(a, b) -> bool:
    return (list(a) if isinstance(a, tuple) else a) == (list(b) if isinstance(b, tuple) else b)


def check_resume(state: dict, run: dict, config, G: nn.Module, D: nn.Module, path) -> None:
    """Refuse, before anything is loaded, a checkpoint that this call cannot continue exactly."""
    where = f"resume_from={os.fspath(path)!r}"
    needed = ("G", "D", "d_opt", "g_opt", "history", "noise_rng", "data_rng", "torch_rng", "config")
    missing = [k for k in needed if k not in state]
    if missing:
        raise ValueError(f"{where} is not a checkpoint written by fit (it lacks {missing})")
    saved, current = state["config"], config_record(config)
    changed = [f"{k}: {saved.get(k)!r} in the checkpoint, {current[k]!r} now"
               for k in current if k not in RESUMABLE and k in saved and not _same(saved[k], current[k])]
    if changed:
        raise ValueError(f"{where} holds a run with another TrainConfig ({'; '.join(changed)}); "
                         "resume with the same configuration (only a larger steps may differ)")
    done = len(state["history"]["d_loss"])
    if config.steps < done:
        raise ValueError(f"{where} holds {done} steps, more than config.steps={config.steps}; "
                         f"resume with steps >= {done}")
    for name, model in (("G", G), ("D", D)):
        mine = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        theirs = {k: tuple(v.shape) for k, v in state[name].items()}
        if mine != theirs:
            diff = sorted(set(mine.items()) ^ set(theirs.items()))[:3]
            raise ValueError(f"{where} holds another architecture of {name} (differing parameters, "
                             f"shapes: {diff}); nothing was loaded")
    saved_run = state.get("run", {})
    for key, label in (("G", "architecture of G"), ("D", "architecture of D"), ("loss", "loss"),
                       ("penalty", "penalty"), ("device_type", "device type"),
                       ("d_opt", "d_opt optimiser"), ("g_opt", "g_opt optimiser"), ("data", "data")):
        if key in saved_run and saved_run[key] != run[key]:
            raise ValueError(f"{where} holds a run with another {label}: {saved_run[key]!r:.200} in "
                             f"the checkpoint, {run[key]!r:.200} now; nothing was loaded")


def save_state(path, *, G, D, d_opt, g_opt, history, noise, data_rng, config, run, device) -> None:
    """Write everything ``fit`` needs to continue the run exactly."""
    state = dict(G=G.state_dict(), D=D.state_dict(), d_opt=d_opt.state_dict(),
                 g_opt=g_opt.state_dict(), history=history.state_dict(),
                 noise_rng=noise.get_state(), data_rng=data_rng.get_state(),
                 torch_rng=torch.get_rng_state(), config=config_record(config), run=run)
    if device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    save_checkpoint(path, **state)


def load_state(path, *, G, D, d_opt, g_opt, history, noise, data_rng, config, run, device) -> None:
    """Check the checkpoint at ``path`` against this call (:func:`check_resume`), then load it."""
    state = load_checkpoint(path, map_location=device)
    check_resume(state, run, config, G, D, path)
    G.load_state_dict(state["G"])
    D.load_state_dict(state["D"])
    d_opt.load_state_dict(state["d_opt"])
    g_opt.load_state_dict(state["g_opt"])
    history.load_state_dict(state["history"])
    noise.set_state(state["noise_rng"].cpu())
    data_rng.set_state(state["data_rng"].cpu())
    torch.set_rng_state(state["torch_rng"].cpu())
    if device.type == "cuda" and "cuda_rng" in state:
        torch.cuda.set_rng_state(state["cuda_rng"].cpu(), device)
