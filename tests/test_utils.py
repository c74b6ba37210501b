import os

import pytest
import torch

import gantext as gt


def test_device_auto_resolves_to_cuda_iff_available():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert gt.device("auto").type == expected
    assert gt.device("cpu") == torch.device("cpu")
    assert gt.device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("spec", ["gpu0", "tpu"])
def test_device_rejects_unknown_strings(spec):
    with pytest.raises(ValueError, match="spec must be"):
        gt.device(spec)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_device_cuda_without_cuda_raises():
    with pytest.raises(ValueError, match="no CUDA device"):
        gt.device("cuda")


def test_seed_makes_draws_reproducible_and_returns_a_generator():
    g = gt.seed(7)
    a = torch.randn(5), torch.randn(3, generator=g)
    g = gt.seed(7)
    b = torch.randn(5), torch.randn(3, generator=g)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (2**64, ValueError), (1.5, TypeError),
                                        ("3", TypeError), (True, TypeError)])
def test_seed_rejects_bad_values(bad, error):
    with pytest.raises(error, match="n must be an integer >= 0"):
        gt.seed(bad)


def test_checkpoint_round_trip(tmp_path):
    model = torch.nn.Linear(3, 2)
    path = gt.save_checkpoint(tmp_path / "sub" / "ckpt.pt", model=model.state_dict(), step=12,
                              losses=[1.0, 0.5], name="run")
    state = gt.load_checkpoint(path)
    assert state["step"] == 12 and state["losses"] == [1.0, 0.5] and state["name"] == "run"
    for key, value in model.state_dict().items():
        assert torch.equal(state["model"][key], value)
    assert [p.name for p in path.parent.iterdir()] == ["ckpt.pt"]  # no temporary files left


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    """A failure while writing leaves the previous checkpoint intact and no temporary file."""
    path = gt.save_checkpoint(tmp_path / "ckpt.pt", step=1)

    def broken_save(obj, f):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        gt.save_checkpoint(path, step=2)
    monkeypatch.undo()
    assert gt.load_checkpoint(path)["step"] == 1
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_load_checkpoint_refuses_arbitrary_objects(tmp_path):
    """weights_only=True: a pickled object that is not plain data cannot be loaded."""
    path = tmp_path / "evil.pt"
    torch.save({"obj": _Arbitrary()}, path)
    with pytest.raises(Exception, match="[Ww]eights only load failed|Unsupported"):
        gt.load_checkpoint(path)


class _Arbitrary:
    pass


def test_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match="at least one keyword"):
        gt.save_checkpoint(tmp_path / "x.pt")
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        gt.load_checkpoint(tmp_path / "missing.pt")


def test_save_checkpoint_fsyncs_the_directory_after_the_rename(tmp_path, monkeypatch):
    """The rename is made durable: after os.replace, the directory holding the checkpoint is
    opened and fsynced (the file itself is fsynced before the rename)."""
    import stat
    events = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src, dst):
        events.append(("replace", os.path.basename(dst)))
        return real_replace(src, dst)

    def fsync(fd):
        mode = os.fstat(fd).st_mode
        events.append(("fsync", "dir" if stat.S_ISDIR(mode) else "file",
                       os.path.realpath(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else None))
        return real_fsync(fd)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    path = gt.save_checkpoint(tmp_path / "sub" / "ckpt.pt", step=3)
    monkeypatch.undo()
    kinds = [e[:2] for e in events]
    assert kinds == [("fsync", "file"), ("replace", "ckpt.pt"), ("fsync", "dir")]
    if events[-1][2] is not None:
        assert events[-1][2] == os.path.realpath(path.parent)
    assert gt.load_checkpoint(path)["step"] == 3


def test_save_checkpoint_survives_a_directory_that_refuses_fsync(tmp_path, monkeypatch):
    """Some file systems refuse fsync on a directory: the checkpoint is still written."""
    import stat
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(22, "Invalid argument")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    path = gt.save_checkpoint(tmp_path / "ckpt.pt", step=4)
    monkeypatch.undo()
    assert gt.load_checkpoint(path)["step"] == 4
    assert os.listdir(tmp_path) == ["ckpt.pt"]


@pytest.mark.parametrize("spec, error", [("meta", ValueError), ("gpu", ValueError), (3, TypeError)])
def test_rng_and_streams_refuse_devices_that_cannot_draw(spec, error):
    with pytest.raises(error, match="device"):
        gt.rng(0, device=spec)
    with pytest.raises(error, match="device"):
        gt.training_streams(0, device=spec)


def test_load_checkpoint_refuses_a_bad_map_location(tmp_path):
    path = gt.save_checkpoint(tmp_path / "c.pt", step=1)
    with pytest.raises(TypeError, match="map_location"):
        gt.load_checkpoint(path, map_location=3)
    with pytest.raises(ValueError, match="map_location"):
        gt.load_checkpoint(path, map_location="meta")
    with pytest.raises(ValueError, match="map_location"):
        gt.load_checkpoint(path, map_location="gpu")
