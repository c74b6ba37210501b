"""gantext.neighbours (precision/recall, density/coverage) against independent reference
implementations, on fixed features: ``prdc`` (Naeem et al.'s own code) for all four, and
torch-fidelity's ``prc_features_to_metric`` (Kynkäänniemi et al.'s precision and recall).
Test-only dependencies, pinned in requirements.lock. The metrics are deterministic functions of
the features, so they are compared as exact counts; each test says why that is admissible."""

import numpy as np
import pytest
import torch
from prdc import compute_prdc
from torch_fidelity.metric_prc import prc_features_to_metric

import gantext as gt
from reference_features import CASES, feature_sets, identity


# =============================================================================================
# Precision, recall, density and coverage: prdc and torch-fidelity
# =============================================================================================

def assert_no_near_ties(points: np.ndarray, queries: np.ndarray, k: int):
    """No query lies within 1e-9 (relative) of the boundary of any k-NN ball of ``points``, so
    implementations that round distances differently (scikit-learn's and torch's Euclidean
    distances both use the ‖a‖² + ‖b‖² − 2a·b form, in their own order) must agree exactly."""
    within = np.linalg.norm(points[:, None] - points[None], axis=2)           # [n, n]
    radii = np.sort(within, axis=1)[:, k]                                       # [n] (column 0: itself)
    gaps = np.abs(np.linalg.norm(queries[:, None] - points[None], axis=2) - radii) / radii  # [m, n]
    assert gaps.min() > 1e-9


@pytest.mark.parametrize("dim, case", CASES)
@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_density_coverage_match_prdc_and_torch_fidelity(dim, case, k):
    real, fake = feature_sets(dim, case)
    r, f = real.numpy(), fake.numpy()
    assert_no_near_ties(r, f, k)
    assert_no_near_ties(f, r, k)
    # prdc: nearest_k = k means the k-th nearest *other* point (its kth-value of k + 1 includes
    # the point itself at distance 0), the same radius as gantext's and torch-fidelity's.
    reference = compute_prdc(r, f, nearest_k=k)
    # torch-fidelity's convention is the other way round: features_1 generated, features_2 real.
    fidelity = prc_features_to_metric(fake, real, prc_neighborhood=k, prc_batch_size=10000,
                                      save_cpu_ram=False, verbose=False)
    pr = gt.precision_recall(real, fake, features=identity, k=k)
    dc = gt.density_coverage(real, fake, features=identity, k=k)
    n, m = len(r), len(f)
    # Fractions of points: compared as exact counts. torch-fidelity averages in float32, hence the
    # rounding of its fractions to counts before comparing.
    assert round(pr.precision * m) == round(reference["precision"] * m) == round(fidelity["precision"] * m)
    assert round(pr.recall * n) == round(reference["recall"] * n) == round(fidelity["recall"] * n)
    assert pr.precision == reference["precision"] and pr.recall == reference["recall"]
    assert round(dc.coverage * n) == round(reference["coverage"] * n)
    assert dc.coverage == reference["coverage"]
    # Density is a count of (generated sample, real ball) memberships over k·M: compared as the
    # exact integer count (the two divide in different orders, so the floats can differ by 1 ulp).
    assert round(dc.density * k * m) == round(reference["density"] * k * m)
    assert dc.density == pytest.approx(reference["density"], rel=1e-14)


def test_density_and_coverage_of_the_real_set_itself_are_one_as_in_prdc():
    # A generator that returns the real features: every real ball holds the copy of its centre
    # and of the k − 1 neighbours strictly inside it, k memberships per ball, so density is
    # exactly kN / (kN) = 1 with prdc's strict `<`; a closed ball (`<=`) would also count the
    # k-th neighbour on the boundary and give (k + 1)/k.
    real, _ = feature_sets(16, "same", n_real=200)
    for k in (1, 5):
        reference = compute_prdc(real.numpy(), real.numpy(), nearest_k=k)
        result = gt.density_coverage(real, real.clone(), features=identity, k=k)
        assert tuple(result) == (1.0, 1.0)
        assert reference["density"] == 1.0 and reference["coverage"] == 1.0


def test_ball_boundary_convention_precision_recall_closed_density_coverage_open():
    # Where a point lies exactly on a ball's boundary the libraries differ by design:
    # Kynkäänniemi et al.'s code, torch-fidelity and gantext.precision_recall count it inside
    # (distance <= radius); prdc counts it outside (distance < radius) for all four metrics, and
    # gantext.density_coverage follows prdc. Points on a line, k = 1: every real radius is 1 and
    # the fake point 4 lies at distance exactly 1 from the real point 3 (the others far away;
    # prdc needs k + 2 points in each set).
    real = torch.tensor([[0.0], [1.0], [2.0], [3.0]], dtype=torch.float64)
    fake = torch.tensor([[4.0], [10.0], [11.0], [12.0]], dtype=torch.float64)
    fidelity = prc_features_to_metric(fake, real, prc_neighborhood=1, save_cpu_ram=False, verbose=False)
    reference = compute_prdc(real.numpy(), fake.numpy(), nearest_k=1)
    assert gt.precision_recall(real, fake, features=identity, k=1).precision == 0.25 == fidelity["precision"]
    assert reference["precision"] == 0.0
    assert tuple(gt.density_coverage(real, fake, features=identity, k=1)) == (0.0, 0.0)
    assert (reference["density"], reference["coverage"]) == (0.0, 0.0)


def test_density_coverage_rejects_bad_arguments():
    x = torch.randn(6, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="k must be smaller"):
        gt.density_coverage(x, x, features=identity, k=6)
    with pytest.raises(ValueError, match="an integer >= 1"):
        gt.density_coverage(x, x, features=identity, k=0)
    with pytest.raises(ValueError, match="differ in dimension"):
        gt.density_coverage(x, x[:, :2], features=identity)
