"""Issue 15: the worst cases of the reliability review, each refused before anything changes."""

import os
import stat

import numpy as np
import pytest
import torch

import gantext as gt
from conftest import NaNAfter


def small(hidden=8, seed=0):
    torch.manual_seed(seed)
    return gt.MLPGenerator(2, 2, (hidden,)), gt.MLPDiscriminator(2, (hidden,))


def cfg(**k):
    return gt.TrainConfig(**{**dict(steps=3, batch_size=8, progress=False), **k})


def weights(*models):
    return [p.detach().clone() for m in models for p in m.state_dict().values()]


def unchanged(before, *models):
    after = weights(*models)
    return len(before) == len(after) and all(
        a.device == b.device and torch.equal(a, b) for a, b in zip(before, after))


# --- devices ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["meta", torch.device("meta"), "cpu:1", "xla", "gpu", "", 3, None])
def test_device_refuses_what_cannot_train(spec):
    with pytest.raises((ValueError, TypeError), match="spec must be|asks for"):
        gt.device(spec)


def test_meta_device_config_refused_before_models_move():
    G, D = small()
    before = weights(G, D)
    with pytest.raises(ValueError, match="device must be a device that can train"):
        gt.fit(G, D, gt.ring(), config=cfg(device="meta"))
    assert unchanged(before, G, D)


def test_mps_only_where_present():
    if torch.backends.mps.is_available():
        assert gt.device("mps").type == "mps"
    else:
        with pytest.raises(ValueError, match="no MPS device"):
            gt.device("mps")


# --- resume ----------------------------------------------------------------------------------

@pytest.fixture
def checkpoint(tmp_path):
    G, D = small()
    path = tmp_path / "run.pt"
    gt.fit(G, D, gt.ring(), config=cfg(steps=4, checkpoint_every=4, checkpoint_path=path))
    return path


def test_resume_from_another_architecture_changes_nothing(checkpoint):
    G, D = small(hidden=16)
    before = weights(G, D)
    with pytest.raises(ValueError, match="another architecture of G.*nothing was loaded"):
        gt.fit(G, D, gt.ring(), config=cfg(steps=8), resume_from=checkpoint)
    assert unchanged(before, G, D)
    G, _ = small()
    _, D = small(hidden=16)            # G matches, D does not: G must not be replaced either
    before = weights(G, D)
    with pytest.raises(ValueError, match="another architecture of D"):
        gt.fit(G, D, gt.ring(), config=cfg(steps=8), resume_from=checkpoint)
    assert unchanged(before, G, D)


@pytest.mark.parametrize("change, field", [
    (dict(d_lr=1e-2), "d_lr"), (dict(g_lr=1e-2), "g_lr"), (dict(betas=(0.9, 0.99)), "betas"),
    (dict(seed=7), "seed"), (dict(d_steps=5), "d_steps"), (dict(clip=0.01), "clip"),
    (dict(batch_size=32), "batch_size"), (dict(penalty_weight=1.0), "penalty_weight"),
])
def test_resume_with_another_config_is_refused(checkpoint, change, field):
    G, D = small()
    before = weights(G, D)
    with pytest.raises(ValueError, match=f"another TrainConfig.*{field}"):
        gt.fit(G, D, gt.ring(), config=cfg(steps=8, **change), resume_from=checkpoint)
    assert unchanged(before, G, D)


def test_resume_refuses_another_loss_penalty_data_or_fewer_steps(checkpoint):
    G, D = small()
    before = weights(G, D)
    with pytest.raises(ValueError, match="another loss"):
        gt.fit(G, D, gt.ring(), gt.losses.wasserstein, config=cfg(steps=8), resume_from=checkpoint)
    with pytest.raises(ValueError, match="another penalty"):
        gt.fit(G, D, gt.ring(), config=cfg(steps=8), penalty=gt.gradient_penalty,
               resume_from=checkpoint)
    with pytest.raises(ValueError, match="another data"):
        gt.fit(G, D, gt.grid(), config=cfg(steps=8), resume_from=checkpoint)
    with pytest.raises(ValueError, match="holds 4 steps.*steps >= 4"):
        gt.fit(G, D, gt.ring(), config=cfg(steps=2), resume_from=checkpoint)
    loader = torch.utils.data.DataLoader(gt.ring().sample(64), batch_size=8)
    with pytest.raises(ValueError, match="DataLoader.*position is not saved"):
        gt.fit(G, D, loader, config=cfg(steps=8), resume_from=checkpoint)
    with pytest.raises(ValueError, match="d_opt optimiser"):
        gt.fit(G, D, gt.ring(), config=cfg(steps=8), resume_from=checkpoint,
               d_opt=torch.optim.SGD(D.parameters(), lr=0.1))
    assert unchanged(before, G, D)


def test_resume_with_larger_steps_and_other_bookkeeping_continues(checkpoint, tmp_path):
    G, D = small()
    history = gt.fit(G, D, gt.ring(), config=cfg(steps=6, progress=False, checkpoint_every=3,
                                                  checkpoint_path=tmp_path / "other.pt"),
                     resume_from=checkpoint)
    assert history.step == 6


def test_resume_refuses_a_file_that_is_not_a_fit_checkpoint(tmp_path):
    path = gt.save_checkpoint(tmp_path / "x.pt", step=3)
    G, D = small()
    with pytest.raises(ValueError, match="not a checkpoint written by fit"):
        gt.fit(G, D, gt.ring(), config=cfg(), resume_from=path)
    with pytest.raises(FileNotFoundError, match="resume_from"):
        gt.fit(G, D, gt.ring(), config=cfg(), resume_from=tmp_path / "missing.pt")


# --- d_step / g_step / fit arguments ----------------------------------------------------------

def test_d_step_refuses_nan_penalty_weight_before_updating():
    G, D = small()
    opt = torch.optim.Adam(D.parameters())
    real = gt.ring().sample(8)
    before = weights(D)
    for bad in (float("nan"), float("inf"), -1.0, "10", True):
        with pytest.raises((ValueError, TypeError), match="penalty_weight"):
            gt.d_step(G, D, real, gt.losses.non_saturating, opt, penalty=gt.gradient_penalty,
                      penalty_weight=bad)
    for bad in (-1, 0, float("nan"), True):
        with pytest.raises((ValueError, TypeError), match="clip"):
            gt.d_step(G, D, real, gt.losses.wasserstein, opt, clip=bad)
    assert unchanged(before, D)


def test_step_functions_refuse_an_optimiser_over_the_other_model():
    G, D = small()
    real = gt.ring().sample(8)
    with pytest.raises(ValueError, match="d_opt must optimise D's parameters"):
        gt.d_step(G, D, real, gt.losses.non_saturating, torch.optim.SGD(G.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="g_opt must optimise G's parameters"):
        gt.g_step(G, D, 8, gt.losses.non_saturating, torch.optim.SGD(D.parameters(), lr=0.1))
    before = weights(G, D)
    with pytest.raises(ValueError, match="d_opt must optimise D's parameters"):
        gt.fit(G, D, gt.ring(), config=cfg(steps=20), d_opt=torch.optim.SGD(G.parameters(), lr=0.1))
    assert unchanged(before, G, D)


def test_step_functions_raise_on_a_non_finite_loss_without_stepping():
    G, D = small()
    opt = torch.optim.Adam(D.parameters())
    real = torch.full((8, 2), float("nan"))
    before = weights(D)
    with pytest.raises(gt.TrainingDiverged, match="discriminator loss is nan.*D was not updated"):
        gt.d_step(G, D, real, gt.losses.non_saturating, opt)
    assert unchanged(before, D)
    with torch.no_grad():
        next(D.parameters()).fill_(float("inf"))
    g_opt = torch.optim.Adam(G.parameters())
    before = weights(G)
    with pytest.raises(gt.TrainingDiverged, match="generator loss.*G was not updated"):
        gt.g_step(G, D, 8, gt.losses.non_saturating, g_opt)
    assert unchanged(before, G)


@pytest.mark.parametrize("data, error, message", [
    ("ring.npy", TypeError, "got a path or string"),
    (torch.zeros(0, 2), ValueError, "data must hold at least one sample"),
    (torch.full((16, 2), float("nan")), ValueError, "data holds NaN"),
    (torch.zeros(16, 2, dtype=torch.long), TypeError, "data must be a floating-point tensor"),
    ((torch.zeros(16, 2), torch.zeros(16, 2)), ValueError, "data's labels must have 1 dimensions"),
    (torch.utils.data.DataLoader(torch.zeros(0, 2), batch_size=4), ValueError, "data yielded no batch"),
])
def test_fit_refuses_bad_data_clearly(data, error, message):
    G, D = small()
    with pytest.raises(error, match=message):
        gt.fit(G, D, data, config=cfg())


@pytest.mark.parametrize("kwargs, message", [
    (dict(checkpoint_every=1, checkpoint_path=3), "checkpoint_path must be None or a file path"),
    (dict(seed=2**64), "seed must be an integer >= 0 and <= 18446744073709551615"),
    (dict(d_lr=True), "d_lr must be None or a finite number > 0"),
    (dict(clip=True), "clip must be None or a finite number > 0"),
    (dict(clip=float("inf")), "clip must be None or a finite number > 0"),
    (dict(penalty_weight="10"), "penalty_weight must be a finite number"),
    (dict(betas=0.5), "betas must be None or two numbers"),
])
def test_config_refuses_more_bad_values(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        gt.TrainConfig(**kwargs)


def test_config_refuses_a_directory_as_checkpoint_path(tmp_path):
    with pytest.raises(ValueError, match="checkpoint_path must be a file path"):
        gt.TrainConfig(checkpoint_every=1, checkpoint_path=tmp_path)


# --- divergence -------------------------------------------------------------------------------

def test_fit_notices_divergence_on_the_cpu_at_the_step_it_happens():
    G, D = NaNAfter(2, latent_dim=2), gt.MLPDiscriminator(2, (8,))
    with pytest.raises(gt.TrainingDiverged, match="step 3"):
        gt.fit(G, D, gt.ring(), config=cfg(steps=100))
    assert G.calls == 3    # stopped at step 3 (one G pass per step), before any update with NaN


# --- checkpoints ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, hint", [
    (np.zeros(3), "NumPy"), (np.float64(1.0), "NumPy"), (torch.nn.Linear(2, 2), "state_dict"),
    (torch.Generator(), "get_state"), ({1, 2}, "set"), (object(), "object"),
    ({"nested": [1, {"deep": np.zeros(1)}]}, "NumPy"),
])
def test_save_checkpoint_refuses_what_load_checkpoint_refuses(tmp_path, value, hint):
    path = tmp_path / "c.pt"
    with pytest.raises(TypeError, match=f"load_checkpoint cannot read back.*{hint}|{hint}"):
        gt.save_checkpoint(path, a=value)
    assert not path.exists()


def test_save_checkpoint_round_trips_what_it_accepts(tmp_path):
    state = dict(t=torch.ones(2), n=3, x=1.5, s="a", none=None, b=True, tup=(1, 2), lst=[1, "a"],
                 d={"k": torch.zeros(1)}, size=torch.Size([2, 3]), dtype=torch.float32)
    back = gt.load_checkpoint(gt.save_checkpoint(tmp_path / "c.pt", **state))
    assert back["n"] == 3 and back["size"] == torch.Size([2, 3]) and torch.equal(back["t"], torch.ones(2))


def test_checkpoint_respects_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = gt.save_checkpoint(tmp_path / "c.pt", a=1)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_orphan_temporary_files_are_cleaned_on_the_next_save(tmp_path):
    path = tmp_path / "c.pt"
    dead_pid = 2**22 + 12345                                  # above pid_max: no such process
    orphan = tmp_path / f".c.pt.{dead_pid}.abcd1234.tmp"
    old_style = tmp_path / ".c.pt.abcd1234.tmp"               # from a version without the pid
    orphan.write_bytes(b"x" * 100)
    old_style.write_bytes(b"x" * 100)
    unrelated = tmp_path / ".other.pt.1.abcd.tmp"
    unrelated.write_bytes(b"x")
    gt.save_checkpoint(path, a=1)
    assert not orphan.exists() and not old_style.exists() and unrelated.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.pt.1.abcd.tmp", "c.pt"]


@pytest.fixture
def ctrl_c_raises():
    """Python's own SIGINT handler, as in a terminal. A process started in the background by a
    non-interactive shell (as CI may be) inherits SIGINT ignored, and then Ctrl-C does nothing."""
    import signal
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_during_a_save_completes_the_file_then_interrupts(tmp_path, monkeypatch, ctrl_c_raises):
    import signal
    path = tmp_path / "c.pt"
    gt.save_checkpoint(path, step=1)
    real_save = torch.save

    def save_with_sigint(obj, f, *a, **k):
        os.kill(os.getpid(), signal.SIGINT)    # Ctrl-C arrives in the middle of the write
        return real_save(obj, f, *a, **k)

    monkeypatch.setattr(torch, "save", save_with_sigint)
    with pytest.raises(KeyboardInterrupt):
        gt.save_checkpoint(path, step=2)
    assert gt.load_checkpoint(path)["step"] == 2          # the write completed first
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_fit_returns_the_history_when_ctrl_c_lands_in_a_checkpoint(tmp_path, monkeypatch, ctrl_c_raises):
    import signal
    real_save = torch.save
    calls = []

    def save_with_sigint(obj, f, *a, **k):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return real_save(obj, f, *a, **k)

    monkeypatch.setattr(torch, "save", save_with_sigint)
    G, D = small()
    path = tmp_path / "run.pt"
    history = gt.fit(G, D, gt.ring(), config=cfg(steps=10, checkpoint_every=2, checkpoint_path=path))
    assert history.interrupted and history.step == 4
    assert len(gt.load_checkpoint(path)["history"]["d_loss"]) == 4


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x03\x04truncated"])
def test_load_checkpoint_names_a_corrupted_file(tmp_path, content):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="bad.pt"):
        gt.load_checkpoint(path)


# --- NaN inputs and impossible sizes ----------------------------------------------------------

def _nan_rows(n=16):
    x = gt.ring().sample(n)
    x[::2] = float("nan")
    return x


@pytest.mark.parametrize("call, name", [
    (lambda D: gt.r1_penalty(D, _nan_rows()), "real"),
    (lambda D: gt.gradient_penalty(D, _nan_rows(), gt.ring().sample(16)), "real"),
    (lambda D: gt.gradient_penalty(D, gt.ring().sample(16), _nan_rows()), "fake"),
    (lambda D: gt.lipschitz_estimate(D, torch.full((16, 2), float("nan"))), "points"),
    (lambda D: gt.lipschitz_estimate(D, gt.ring().sample(16), _nan_rows()), "fake"),
    (lambda D: gt.precision_recall(_nan_rows(64), gt.ring().sample(64), lambda x: x), "real"),
    (lambda D: gt.precision_recall(gt.ring().sample(64), _nan_rows(64), lambda x: x), "fake"),
])
def test_nan_inputs_raise_naming_the_parameter(call, name):
    _, D = small()
    with pytest.raises(ValueError, match=f"{name} holds NaN or infinite values"):
        call(D)


@pytest.mark.parametrize("call", [
    lambda: gt.ring(n_modes=10**12), lambda: gt.grid(side=10**7), lambda: gt.ring().sample(10**14),
])
def test_impossible_sizes_are_refused_with_the_memory_needed(call):
    with pytest.raises(ValueError, match="would need .* of memory; this machine has"):
        call()
