"""gantext.metrics.intra_class_fid against an independent computation: per-class Gaussian fits and
the Fréchet distance through scipy.linalg.sqrtm, averaged over the classes both sets contain."""

import numpy as np
import pytest
import scipy.linalg
import torch

from gantext.metrics import IntraClassFID, fid, intra_class_fid


def _reference_fid(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s_a @ s_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a + s_b - 2 * root))


def _labelled(seed: int, n: int, k: int, shift: float):
    g = np.random.default_rng(seed)
    labels = g.integers(0, 3, n)
    x = g.normal(size=(n, k)) * (1 + labels[:, None]) + shift * labels[:, None]
    return torch.tensor(x), torch.tensor(labels)


def identity(x):
    return x


def test_matches_per_class_reference_and_mean():
    real, yr = _labelled(0, 400, 4, 2.0)
    fake, yf = _labelled(1, 300, 4, 2.5)
    got = intra_class_fid(real, yr, fake, yf, features=identity)
    assert isinstance(got, IntraClassFID)
    want = [_reference_fid(real[yr == c].numpy(), fake[yf == c].numpy()) for c in range(3)]
    np.testing.assert_allclose(got.per_class, want, rtol=1e-8)
    assert got.mean == pytest.approx(np.mean(want), rel=1e-10)


def test_one_class_equals_fid_and_missing_classes_are_nan():
    real, _ = _labelled(2, 200, 3, 0.0)
    fake, _ = _labelled(3, 150, 3, 0.0)
    ones_r, ones_f = torch.full((200,), 4), torch.full((150,), 4)
    got = intra_class_fid(real, ones_r, fake, ones_f, features=identity)
    assert got.per_class.shape == (5,)
    assert np.isnan(got.per_class[:4]).all()
    assert got.mean == pytest.approx(fid(real, fake, features=identity), rel=1e-12)


def test_swapped_labels_separate_what_pooled_fid_cannot_see():
    # the same pooled distribution, each image drawn for the wrong class: FID ≈ its real-vs-real
    # floor, intra-class FID large (the failure mode of a generator that ignores its label)
    real, yr = _labelled(4, 600, 2, 6.0)
    fake, yf = _labelled(5, 600, 2, 6.0)
    wrong = (yf + 1) % 3
    assert fid(real, fake, features=identity) < 1.0
    assert intra_class_fid(real, yr, fake, yf, features=identity).mean < 1.0
    assert intra_class_fid(real, yr, fake, wrong, features=identity).mean > 20.0


@pytest.mark.parametrize("bad, match", [
    (dict(real_labels=[0, 1]), "real_labels must be an integer tensor"),
    (dict(real_labels=torch.zeros(10)), "integer class labels"),
    (dict(real_labels=torch.zeros(9, dtype=torch.long)), r"shape \[10\]"),
    (dict(fake_labels=-torch.ones(10, dtype=torch.long)), ">= 0"),
    (dict(fake_labels=torch.full((10,), 7)), "share no class"),
    (dict(fake_labels=torch.tensor([0] * 9 + [1])), "1 sample of class 1"),
])
def test_rejects_bad_labels_before_any_work(bad, match):
    x = torch.randn(10, 2, dtype=torch.float64)
    args = dict(real=x, real_labels=torch.tensor([0] * 5 + [1] * 5), fake=x.clone(),
                fake_labels=torch.tensor([0] * 5 + [1] * 5))
    args.update(bad)
    calls = []

    def features(batch):
        calls.append(1)
        return batch

    with pytest.raises((TypeError, ValueError), match=match):
        intra_class_fid(args["real"], args["real_labels"], args["fake"], args["fake_labels"],
                        features=features)
    assert not calls
