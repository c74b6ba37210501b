"""Tests for gantext.mode_collapse: chapter 5's table, its summary and its command line."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

import gantext as gt
from gantext import mode_collapse
from gantext.mode_collapse import (CHAPTER_REMEDIES, VEEGAN_PROTOCOL, Remedy, main, summarise, table)

TINY = replace(VEEGAN_PROTOCOL, latent_dim=3, hidden=(8, 8), batch_size=16, steps=2, n_eval=100)


def test_protocol_builds_orthogonally_initialised_networks_with_the_remedys_options():
    g = VEEGAN_PROTOCOL.make_generator()
    hidden = [l for l in g.modules() if isinstance(l, nn.Linear) and l.in_features == l.out_features == 128]
    assert hidden                                                               # the 128 × 128 layer
    for layer in hidden:
        torch.testing.assert_close(layer.weight @ layer.weight.T, 1.4 ** 2 * torch.eye(128), atol=1e-4, rtol=0)
        assert torch.count_nonzero(layer.bias) == 0
    d = VEEGAN_PROTOCOL.make_discriminator(Remedy("SN", spectral_norm=True, pack=2))
    linears = [l for l in d.modules() if isinstance(l, nn.Linear)]
    assert d.pack == 2 and all(nn.utils.parametrize.is_parametrized(l, "weight") for l in linears)
    default = replace(VEEGAN_PROTOCOL, orthogonal_gain=None).make_generator()
    assert any(torch.count_nonzero(l.bias) for l in default.modules() if isinstance(l, nn.Linear))


def test_each_row_is_the_stacked_model_of_its_seed_scored_by_mode_coverage():
    rows = table(TINY, [Remedy("GAN")], {"ring": gt.ring()}, [3, 4], device="cpu")
    assert [r["seed"] for r in rows] == [3, 4] and not any(r["diverged"] for r in rows)
    G, D = gt.stack_models(TINY.make_generator, lambda: TINY.make_discriminator(Remedy("GAN")), [3, 4])
    config = gt.TrainConfig(steps=2, batch_size=16, d_lr=TINY.d_lr, g_lr=TINY.g_lr, betas=TINY.betas,
                            seed=3, device="cpu", progress=False)
    gt.fit_stacked(G, D, gt.ring(), config=config, per_model_streams=False)
    G.eval()
    with torch.no_grad():
        samples = G.sample(TINY.n_eval, torch.Generator().manual_seed(10**6))
    for row, x in zip(rows, samples):
        score = gt.mode_coverage(x, gt.ring().means, gt.ring().stds)
        assert (row["modes"], row["high_quality"], repr(row["reverse_kl"])) == \
            (score.modes_captured, score.high_quality_fraction, repr(score.reverse_kl))


def test_summarise_gives_mean_and_standard_error():
    rows = [dict(method="GAN", data="ring", modes=m, high_quality=h, reverse_kl=k)
            for m, h, k in [(1, 0.5, 2.0), (3, 0.7, 1.0), (2, 0.9, math.nan)]]
    (summary,) = summarise(rows)
    assert summary["n"] == 3 and summary["diverged"] == 0
    assert summary["modes"] == pytest.approx((2.0, np.std([1, 3, 2], ddof=1) / math.sqrt(3)))
    assert summary["high_quality"] == pytest.approx((70.0, np.std([50, 70, 90], ddof=1) / math.sqrt(3)))
    assert summary["reverse_kl"] == pytest.approx((1.5, 0.5))                  # the NaN run left out


def test_a_diverged_model_is_marked_and_scored_nan_not_zero_modes(monkeypatch):
    real_fit = mode_collapse.fit_stacked

    def fit_then_break_model_1(G, D, *args, **kwargs):
        history = real_fit(G, D, *args, **kwargs)
        with torch.no_grad():
            G.net[-1].bias[1] = math.nan                            # model 1's samples are NaN
        return history

    monkeypatch.setattr(mode_collapse, "fit_stacked", fit_then_break_model_1)
    with pytest.warns(RuntimeWarning, match="diverged"):
        rows = table(TINY, [Remedy("GAN")], {"ring": gt.ring()}, [0, 1, 2], device="cpu")
    assert [r["diverged"] for r in rows] == [False, True, False]
    assert math.isnan(rows[1]["modes"]) and math.isnan(rows[1]["high_quality"])
    assert not math.isnan(rows[0]["modes"])
    (summary,) = summarise(rows)
    assert summary["diverged"] == 1
    assert all(math.isnan(summary[k][0]) for k in ("modes", "high_quality", "reverse_kl"))


def test_models_that_diverge_in_training_are_marked():
    exploding = Remedy("GAN", d_lr=1e30, g_lr=1e30)
    with pytest.warns(RuntimeWarning, match="diverged"):
        rows = table(replace(TINY, steps=12, activation=nn.LeakyReLU), [exploding], {"ring": gt.ring()}, [0, 1], device="cpu")
    assert all(r["diverged"] and math.isnan(r["modes"]) for r in rows)


def test_command_line_runs_the_table_at_a_tiny_size(tmp_path):
    out = tmp_path / "table.json"
    rows = main(["--steps", "3", "--seeds", "2", "--methods", "GAN", "PacGAN2", "--data", "ring",
                 "--device", "cpu", "--out", str(out)])
    stored = json.loads(out.read_text())
    assert len(rows) == 4 and len(stored["rows"]) == 4 and len(stored["summary"]) == 2
    assert {r["method"] for r in rows} == {"GAN", "PacGAN2"} and {r["seed"] for r in rows} == {0, 1}
    assert all(0 <= r["modes"] <= 8 and 0 <= r["high_quality"] <= 1 for r in rows)
    assert stored["protocol"]["steps"] == 3


@pytest.mark.slow   # two spawned processes each import torch
def test_two_worker_processes_give_the_rows_of_one():
    remedies = [Remedy("GAN"), Remedy("PacGAN2", pack=2)]
    one = table(TINY, remedies, {"ring": gt.ring()}, [0, 1], device="cpu")
    two = table(TINY, remedies, {"ring": gt.ring()}, [0, 1], workers=2, device="cpu")
    strip = lambda rows: [{k: repr(v) for k, v in r.items() if k != "seconds"} for r in rows]  # nan == nan
    assert strip(one) == strip(two)


def test_chapter_remedies_have_unique_names():   # a smoke test of the constant the CLI offers
    names = [r.name for r in CHAPTER_REMEDIES]
    assert len(names) == len(set(names)) >= 5


def test_rows_carry_the_number_of_high_quality_samples_behind_each_score():
    rows = table(TINY, [Remedy("GAN")], {"ring": gt.ring()}, [0, 1], device="cpu")
    for row in rows:
        assert row["n_high_quality"] == round(row["high_quality"] * TINY.n_eval)
    summary = summarise(rows)[0]
    values = [float(r["n_high_quality"]) for r in rows]
    assert summary["n_high_quality"][0] == pytest.approx(np.mean(values))


def test_baseline_rows_score_data_and_uniform_noise_as_the_table_scores_a_model():
    ring = gt.ring()
    rows = mode_collapse.baseline_rows(ring, "ring", 1.5, n=500, draws=3, seed=4)
    assert [(r["method"], r["seed"]) for r in rows] == [("data", i) for i in range(3)] + \
        [("uniform noise", i) for i in range(3)]
    rng = torch.Generator().manual_seed(4)   # the same stream, drawn in the same order
    expected = [ring.sample(500, generator=rng) for _ in range(3)]
    expected += [1.5 * (2 * torch.rand(500, 2, generator=rng, dtype=torch.float64) - 1) for _ in range(3)]
    for row, x in zip(rows, expected):
        score = gt.mode_coverage(x, ring.means, ring.stds)
        assert (row["modes"], row["high_quality"], row["n_high_quality"]) == \
            (score.modes_captured, score.high_quality_fraction, sum(score.counts))
        assert row["data"] == "ring" and not row["diverged"]
    noise = rows[3:]
    assert all(abs(x).max() <= 1.5 for x in expected[3:])
    assert max(r["high_quality"] for r in noise) < 0.02 < min(r["high_quality"] for r in rows[:3])
    with pytest.raises(ValueError, match="half_width"):
        mode_collapse.baseline_rows(ring, "ring", 0.0)
