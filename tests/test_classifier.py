"""Tests for gantext.classifier: the digits classifier that stands in for Inception (chapters 6–8)."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import gantext as gt
from gantext.classifier import digits_classifier


@pytest.fixture(scope="module")
def digits():
    bunch = load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32)[:, None] / 8 - 1   # [1797, 1, 8, 8]
    return images, torch.tensor(bunch.target)


def test_the_classifier_reads_the_digits_of_gantext_data(digits):
    # It trains on gt.digits(): 16 intensity levels mapped to [-1, 1], the map x / 8 - 1 exactly.
    images, labels = gt.digits().tensors
    assert torch.equal(images, digits[0]) and torch.equal(labels, digits[1])


def test_digits_classifier_training_leaves_the_thread_count_alone():
    threads = torch.get_num_threads()
    digits_classifier()
    assert torch.get_num_threads() == threads


def test_digits_classifier_is_trained_once_and_cached():
    assert digits_classifier() is digits_classifier()
    assert gt.digits_classifier is digits_classifier


def test_digits_classifier_split_is_a_fixed_partition_of_the_digits():
    clf = digits_classifier()
    train, test = clf.train_index, clf.test_index
    assert (train.numel(), test.numel()) == (1347, 450)
    assert torch.equal(torch.cat([train, test]).sort().values, torch.arange(1797))
    expected_test = torch.randperm(1797, generator=torch.Generator().manual_seed(0))[:450].sort().values
    assert torch.equal(test, expected_test)


def test_digits_classifier_accuracy_is_reported_and_high_on_held_out_digits(digits):
    images, labels = digits
    clf = digits_classifier()
    with torch.no_grad():
        predicted = clf(images[clf.test_index]).argmax(1)
    accuracy = float((predicted == labels[clf.test_index]).double().mean())
    assert clf.test_accuracy == pytest.approx(accuracy, abs=1e-12)
    assert accuracy >= 0.95   # an 8x8-digit MLP reaches about 0.98; below 0.95 training is broken
    assert f"test_accuracy={accuracy:.4f}" in repr(clf)


def test_digits_classifier_shapes_features_and_frozen_parameters(digits):
    images, _ = digits
    clf = digits_classifier()
    x = images[:20]
    features, logits = clf.features(x), clf(x)
    assert features.shape == (20, 64) and logits.shape == (20, 10)
    torch.testing.assert_close(logits, clf.head(features))
    assert not clf.training
    assert not any(p.requires_grad for p in clf.parameters())


def test_digits_classifier_features_have_a_full_rank_covariance_on_held_out_digits(digits):
    images, _ = digits
    clf = digits_classifier()
    with torch.no_grad():
        f = clf.features(images[clf.test_index]).double().numpy()              # [450, 64]
    assert np.linalg.matrix_rank(np.cov(f.T)) == 64


def test_digits_classifier_rejects_other_image_shapes():
    clf = digits_classifier()
    with pytest.raises(ValueError, match=r"\[n, 1, 8, 8\]"):
        clf(torch.zeros(3, 1, 16, 16))
    with pytest.raises(TypeError, match="tensor"):
        clf.features(np.zeros((3, 1, 8, 8)))
