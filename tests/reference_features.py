"""Fixed float64 feature sets shared by the metric tests that compare gantext with reference
implementations (tests/test_metrics_reference.py, tests/test_neighbours_reference.py)."""

import numpy as np
import torch


def identity(x):
    return x


def feature_sets(dim: int, case: str, n_real: int = 300, n_fake: int = 250, seed: int = 0):
    """Fixed float64 features ``[n_real, dim]``, ``[n_fake, dim]``: the same distribution
    (``"same"``) or a shifted, anisotropic, correlated one (``"different"``)."""
    rng = np.random.default_rng(seed + dim)
    real = rng.standard_normal((n_real, dim))
    fake = rng.standard_normal((n_fake, dim))
    if case == "different":
        mixing = np.eye(dim) + rng.standard_normal((dim, dim)) / np.sqrt(dim)  # covariance (1.3 M)(1.3 M)ᵀ
        fake = 1.3 * fake @ mixing.T + rng.uniform(-0.3, 0.5, size=dim)
    return torch.from_numpy(real), torch.from_numpy(fake)


CASES = [(16, "same"), (16, "different"), (64, "same"), (64, "different")]
