"""Tests for gantext.coverage: the mode-coverage protocol of VEEGAN and PacGAN (chapter 5)."""

import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy.stats import chi2, entropy

import gantext as gt
from gantext.coverage import mode_coverage

# =============================================================================================
# Mode coverage (chapter 5)
# =============================================================================================

PERFECT_HQ_2D = 1 - math.exp(-4.5)   # mass of the 3-std disc of a 2-D isotropic Gaussian


@pytest.mark.parametrize("mixture, std", [(gt.ring(), 0.01), (gt.grid(), 0.05)])
def test_perfect_sampler_captures_all_modes_with_the_2d_high_quality_fraction(mixture, std):
    n = 2500
    samples = mixture.sample(n, generator=torch.Generator().manual_seed(1))
    result = mode_coverage(samples, mixture.means, std)
    standard_error = math.sqrt(PERFECT_HQ_2D * (1 - PERFECT_HQ_2D) / n)   # binomial
    assert result.high_quality_fraction == pytest.approx(PERFECT_HQ_2D, abs=4 * standard_error)
    assert result.modes_captured == mixture.n_modes
    assert sum(result.counts) == round(result.high_quality_fraction * n)
    # The G-test: 2·n_HQ·KL(p̂‖u) of a multinomial sample from u is asymptotically χ² with K − 1
    # degrees of freedom; accept within its central 99.9 %.
    g_statistic = 2 * sum(result.counts) * result.reverse_kl
    assert chi2.ppf(0.0005, mixture.n_modes - 1) <= g_statistic <= chi2.ppf(0.9995, mixture.n_modes - 1)


def test_collapsed_sampler_scores_one_mode_and_log_k():
    ring = gt.ring()
    samples = ring.means[3] + 0.01 * torch.randn(500, 2, generator=torch.Generator().manual_seed(0),
                                                 dtype=torch.float64)
    result = mode_coverage(samples, ring.means, 0.01)
    assert result.modes_captured == 1
    assert result.counts[3] == sum(result.counts)
    assert result.reverse_kl == pytest.approx(math.log(8), rel=1e-12)


def _points_at(means, assignment, offset=0.0):
    """One sample per entry of ``assignment``, at the given mode's centre shifted by ``offset``."""
    means = torch.as_tensor(means, dtype=torch.float64)
    return means[torch.as_tensor(assignment)] + torch.tensor([offset, 0.0], dtype=torch.float64)


@pytest.mark.parametrize("assignment", [[0, 0, 0, 1], [0, 1, 2, 3], [2, 2], [0, 1, 1, 2, 2, 2]])
def test_reverse_kl_matches_scipy_on_hand_made_histograms(assignment):
    means = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    result = mode_coverage(_points_at(means, assignment), means, std=0.1)
    histogram = np.bincount(assignment, minlength=4) / len(assignment)
    assert result.reverse_kl == pytest.approx(entropy(histogram, np.full(4, 0.25)), rel=1e-12, abs=1e-15)
    assert result.modes_captured == len(set(assignment))
    assert result.high_quality_fraction == 1.0


def test_reverse_kl_of_two_equal_modes_out_of_four_is_log_two():
    means = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    result = mode_coverage(_points_at(means, [0, 1, 0, 1]), means, std=0.1)
    assert result.reverse_kl == pytest.approx(math.log(2), rel=1e-12)


def test_only_high_quality_samples_enter_the_histogram():
    means = [[0.0, 0.0], [1.0, 0.0]]
    good = _points_at(means, [0, 1])
    far = _points_at(means, [0, 0, 0, 0, 0, 0], offset=0.45)   # 4.5 std from mode 0: low quality
    result = mode_coverage(torch.cat([good, far]), means, std=0.1)
    assert result.counts == (1, 1)
    assert result.reverse_kl == pytest.approx(0.0, abs=1e-15)
    assert result.high_quality_fraction == pytest.approx(2 / 8, rel=1e-12)


def test_threshold_is_measured_in_standard_deviations():
    means = [[0.0, 0.0], [10.0, 0.0]]
    inside = _points_at(means, [0], offset=0.29)      # 2.9 std
    outside = _points_at(means, [1], offset=0.31)     # 3.1 std
    result = mode_coverage(torch.cat([inside, outside]), means, std=0.1)
    assert result.counts == (1, 0)
    assert mode_coverage(outside, means, std=0.1, threshold=3.2).counts == (0, 1)


def test_per_mode_stds_assign_by_standardised_distance():
    means = [[0.0, 0.0], [1.0, 0.0]]
    x = torch.tensor([[0.4, 0.0]], dtype=torch.float64)   # nearer mode 0 in metres, mode 1 in stds
    result = mode_coverage(x, means, std=[0.01, 0.3])
    assert result.counts == (0, 1)


def test_no_high_quality_sample_gives_nan_reverse_kl():
    means = [[0.0, 0.0], [1.0, 0.0]]
    x = torch.tensor([[5.0, 5.0], [-4.0, 0.0], [7.0, 1.0]])
    result = mode_coverage(x, means, std=0.1)
    assert result.modes_captured == 0 and result.high_quality_fraction == 0.0
    assert math.isnan(result.reverse_kl)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_samples_raise_instead_of_scoring_low(bad):
    """A diverged generator has no coverage score (issue 15: no silent result on NaN input);
    gt.mode_collapse.table marks such a run diverged before scoring."""
    x = torch.tensor([[0.0, 0.0], [bad, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="samples holds NaN or infinite"):
        mode_coverage(x, [[0.0, 0.0], [1.0, 0.0]], std=0.1)


def test_result_is_frozen():
    result = mode_coverage([[0.0, 0.0]], [[0.0, 0.0]], std=1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.modes_captured = 3


@pytest.mark.parametrize("samples, means, std, threshold, match", [
    (torch.zeros(5, 3), torch.zeros(2, 2), 0.1, 3.0, "samples"),
    (torch.zeros(0, 2), torch.zeros(2, 2), 0.1, 3.0, "samples"),
    (torch.zeros(5), torch.zeros(2, 2), 0.1, 3.0, "samples"),
    (torch.zeros(5, 2), torch.zeros(2), 0.1, 3.0, "means"),
    (torch.zeros(5, 2), torch.zeros(2, 2), -0.1, 3.0, "std"),
    (torch.zeros(5, 2), torch.zeros(2, 2), [0.1, 0.1, 0.1], 3.0, "std"),
    (torch.zeros(5, 2), torch.zeros(2, 2), 0.1, 0.0, "threshold"),
    (torch.zeros(5, 2), torch.zeros(2, 2), 0.1, float("inf"), "threshold"),
])
def test_bad_input_raises_a_clear_value_error(samples, means, std, threshold, match):
    with pytest.raises(ValueError, match=match):
        mode_coverage(samples, means, std, threshold=threshold)


# =============================================================================================
# Effective number of modes and the travel of the sample mean (chapter 5)
# =============================================================================================

def test_effective_modes_is_the_exponential_of_the_nearest_mode_entropy_by_hand():
    from gantext.coverage import effective_modes
    means = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    # All on one mode: 1; evenly on two: 2; evenly on all four: 4 (far from any mode: still counted).
    assert effective_modes(_points_at(means, [2, 2, 2]), means) == pytest.approx(1.0, abs=1e-15)
    assert effective_modes(_points_at(means, [0, 3, 0, 3]), means) == pytest.approx(2.0, rel=1e-12)
    assert effective_modes(_points_at(means, [0, 1, 2, 3], offset=0.3), means) == pytest.approx(4.0, rel=1e-12)
    # Shares (1/2, 1/4, 1/4): H = (1/2) log 2 + 2 (1/4) log 4 = (3/2) log 2, exp H = 2^(3/2).
    assert effective_modes(_points_at(means, [1, 1, 0, 3]), means) == pytest.approx(2 ** 1.5, rel=1e-12)


def test_effective_modes_ignores_the_high_quality_cut_unlike_mode_coverage():
    from gantext.coverage import effective_modes
    ring = gt.ring()
    x = _points_at(ring.means, list(range(8)), offset=0.2)    # 20 σ off every mode
    assert mode_coverage(x, ring.means, 0.01).modes_captured == 0
    assert effective_modes(x, ring.means) == pytest.approx(8.0, rel=1e-12)


def test_mean_travel_is_the_distance_between_consecutive_sample_means_by_hand():
    from gantext.coverage import mean_travel
    snapshots = torch.tensor([[[0.0, 0.0], [2.0, 0.0]],       # mean (1, 0)
                              [[1.0, 3.0], [1.0, 5.0]],       # mean (1, 4): 4 away
                              [[4.0, 0.0], [4.0, 8.0]]])      # mean (4, 4): 3 away
    torch.testing.assert_close(mean_travel(snapshots), torch.tensor([4.0, 3.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="T >= 2"):
        mean_travel(snapshots[:1])
    with pytest.raises(ValueError, match="NaN"):
        mean_travel(torch.full((2, 3, 2), float("nan")))
