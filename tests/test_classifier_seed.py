"""Tests for digits_classifier(seed=...): classifiers of other seeds on the same split (chapter 8)."""

import pytest
import torch

import gantext as gt
from gantext.classifier import digits_classifier


@pytest.fixture(scope="module")
def pair():
    return digits_classifier(), digits_classifier(seed=1)


def test_the_default_classifier_is_seed_0():
    assert digits_classifier(seed=0) is digits_classifier()


def test_another_seed_is_trained_once_and_cached(pair):
    assert digits_classifier(seed=1) is pair[1]
    assert pair[1] is not pair[0]


def test_another_seed_shares_the_split_and_its_held_out_digits(pair):
    first, second = pair
    assert torch.equal(first.train_index, second.train_index)
    assert torch.equal(first.test_index, second.test_index)


def test_another_seed_draws_other_weights_and_still_classifies_well(pair):
    first, second = pair
    assert not torch.equal(first.body[1].weight, second.body[1].weight)
    images, labels = gt.digits().tensors
    with torch.no_grad():
        predicted = second(images[second.test_index]).argmax(1)
    accuracy = float((predicted == labels[second.test_index]).double().mean())
    assert second.test_accuracy == pytest.approx(accuracy, abs=1e-12)
    assert accuracy >= 0.95
    assert not second.training and not any(p.requires_grad for p in second.parameters())


def test_the_seed_must_be_a_non_negative_integer():
    with pytest.raises(TypeError, match="seed"):
        digits_classifier(seed="1")
    with pytest.raises(ValueError, match="seed"):
        digits_classifier(seed=-1)
