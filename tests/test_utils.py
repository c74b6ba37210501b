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


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_seed_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="n must be a non-negative integer"):
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
