"""gantext.reproduce: the published tables' protocols, the stored reruns and their provenance."""

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from gantext import reproduce as rp
from gantext.mode_collapse import VEEGAN_PROTOCOL

ROOT = Path(__file__).resolve().parents[1]
RESULTS = rp.RESULTS


def test_stored_reruns_were_made_with_the_code_s_protocol():
    """Every stored run's protocol and remedy equal what the code would use now: change a
    protocol (or a remedy) and this fails until the rows are rerun (`make reproduce`)."""
    runs = rp.load_results(RESULTS)
    assert runs, "gantext/results/reproduce.json holds no run"
    for run in runs:
        want = rp.protocol_record(run["table"], run["method"])
        assert run["protocol"] == want["protocol"], (run["table"], run["method"], run["data"])
        assert run["remedy"] == want["remedy"], (run["table"], run["method"], run["data"])
        assert run["full_protocol"] and run["steps"] == want["protocol"]["steps"]


def test_stored_reruns_carry_provenance_scores_and_samples():
    for run in rp.load_results(RESULTS):
        p = run["provenance"]
        for key in ("command", "commit", "torch", "machine", "device", "date"):
            assert p[key], key
        assert re.fullmatch(r"[0-9a-f]{40}", p["commit"]) and not p["dirty"]
        assert run["wall_seconds"] > 0
        assert [r["seed"] for r in run["rows"]] == run["seeds"] and len(run["seeds"]) >= 5
        for r in run["rows"]:
            assert r["diverged"] or 0 <= r["modes"] <= (8 if run["data"] == "ring" else 25)
        samples = rp.load_samples(run["table"], run["method"], run["data"])
        assert samples.shape == (len(run["seeds"]), rp.N_SAVED, 2)


def test_published_numbers_are_the_ones_protocols_md_records():
    """PUBLISHED is typed from PROTOCOLS.md's tables: parse them and compare every number."""
    text = (ROOT / "PROTOCOLS.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and re.match(r"[\d.]+", cells[1]):
            rows.setdefault(cells[0], []).append([float(c.split("±")[0]) for c in cells[1:]])
    veegan = {"GAN": rows["GAN"][0], "unrolled (k=5)": rows["Unrolled GAN"][0], "WGAN-GP": rows["WGAN-GP"][0]}
    for (method, data), v in rp.PUBLISHED["VEEGAN Table 1"].items():
        modes, hq = veegan[method][:2] if data == "ring" else veegan[method][2:4]
        assert (v["modes"], v["high_quality"]) == (modes, hq)
    pacgan = {"GAN": rows["GAN"][1], **{f"PacGAN{m}": rows[f"PacGAN{m}"][0] for m in (2, 3, 4)}}
    for (method, data), v in rp.PUBLISHED["PacGAN Table 1"].items():
        got = pacgan[method][:3] if data == "ring" else pacgan[method][3:6]
        assert [v["modes"], v["high_quality"], v["reverse_kl"]] == got


def test_maxout_takes_the_largest_piece_of_each_unit():
    torch.manual_seed(0)
    layer = rp.Maxout(3, 4, 5)
    x = torch.randn(7, 3)
    pieces = x @ layer.linear.weight.T + layer.linear.bias          # [7, 20]
    want = pieces.view(7, 4, 5).max(dim=2).values
    assert torch.equal(layer(x), want)


def test_pacgan_networks_follow_the_protocol():
    p = rp.PACGAN_PROTOCOL
    assert p.steps == 400 * 100_000 // 100
    torch.manual_seed(0)
    G, D = p.make_generator(), p.make_discriminator(pack=3)
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in G.modules()) == 4
    assert sum(isinstance(m, rp.Maxout) for m in D.modules()) == 3
    weights = torch.cat([m.weight.flatten() for m in G.modules() if isinstance(m, torch.nn.Linear)])
    assert abs(weights.std().item() - 0.02) < 0.001
    x = torch.randn(12, 2)
    assert G(torch.randn(5, 2)).shape == (5, 2)
    assert D(x).shape == (4,)
    # packing: the three rows of a block are read together, in order
    assert torch.allclose(D(x)[1], D.net(x[3:6].reshape(1, 6)).squeeze())


def test_protocol_record_names_the_rows_it_accepts():
    rec = rp.protocol_record("VEEGAN Table 1", "WGAN-GP")
    assert rec["protocol"]["steps"] == VEEGAN_PROTOCOL.steps == 25_000
    assert rec["protocol"]["activation"] == "Tanh" and rec["remedy"]["loss"] == "wasserstein"
    with pytest.raises(ValueError, match="method must be one of"):
        rp.protocol_record("VEEGAN Table 1", "PacGAN2")
    with pytest.raises(ValueError, match="table must be"):
        rp.protocol_record("GDPP Table 1", "GAN")


def test_a_short_run_is_scored_marked_as_short_and_stored_atomically(tmp_path):
    entry, samples = rp.run("VEEGAN Table 1", "GAN", "ring", [0, 1], steps=2)
    assert not entry["full_protocol"] and entry["steps"] == 2
    assert samples.shape == (2, rp.N_SAVED, 2) and np.isfinite(samples).all()
    assert [r["seed"] for r in entry["rows"]] == [0, 1] and entry["summary"]["n"] == 2
    out = tmp_path / "r.json"
    rp._store(out, entry, samples)
    rp._store(out, entry, samples)          # a rerun of a row replaces it
    assert len(rp.load_results(out)) == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_bad_arguments_are_refused_before_training():
    with pytest.raises(ValueError, match="data_name"):
        rp.run("VEEGAN Table 1", "GAN", "spiral", [0])
    with pytest.raises(ValueError, match="seeds"):
        rp.run("VEEGAN Table 1", "GAN", "ring", [])
    with pytest.raises(SystemExit):
        rp.main(["--table", "veegan", "--methods", "PacGAN2"])


def test_dirty_flag_ignores_the_results_the_runs_write(tmp_path):
    # A table's second row is run after its first row was written into gantext/results: that
    # file is output, and must not mark the code of the second run as modified.
    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def git(*args):
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path,
                              capture_output=True, text=True, check=True).stdout

    (tmp_path / "gantext" / "results").mkdir(parents=True)
    (tmp_path / "gantext" / "code.py").write_text("x = 1\n")
    (tmp_path / "gantext" / "results" / "reproduce.json").write_text("{}\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "init")
    status = ("status", "--porcelain", "--untracked-files=no", "--", *rp.CODE_PATHS)
    (tmp_path / "gantext" / "results" / "reproduce.json").write_text('{"runs": []}\n')
    assert git(*status) == ""
    (tmp_path / "gantext" / "code.py").write_text("x = 2\n")
    assert "code.py" in git(*status)
