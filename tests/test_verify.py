import math

import numpy as np
import pytest
import torch

import gantext as gt


def test_true_claim_prints_one_line_with_a_tick(capsys):
    gt.verify(-math.log(4), -1.3862943611198906, atol=1e-12, claim="V at p_g = p_data is -log 4")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("✔ V at p_g = p_data is -log 4: -1.38629 vs expected -1.38629")
    assert "atol 1e-12" in out


def test_false_claim_raises_with_the_same_line(capsys):
    with pytest.raises(AssertionError, match="✘ pi is 3: 3.14159 vs expected 3"):
        gt.verify(math.pi, 3.0, atol=0.1, claim="pi is 3")
    assert capsys.readouterr().out.startswith("✘ pi is 3")


def test_relative_tolerance_and_arrays():
    gt.verify(np.array([100.0, 200.0]), [101.0, 198.0], rtol=0.011, claim="within 1.1 %")
    with pytest.raises(AssertionError):
        gt.verify(np.array([100.0, 200.0]), [101.0, 198.0], rtol=0.009, claim="within 0.9 %")


def test_tensors_on_any_device_and_with_grad():
    x = torch.tensor(2.0, requires_grad=True)
    gt.verify(x * 2, 4.0, atol=0, claim="2 x = 4")


def test_nan_never_passes():
    with pytest.raises(AssertionError):
        gt.verify(float("nan"), 0.0, atol=1e9, claim="nan")
    with pytest.raises(AssertionError):
        gt.verify(float("nan"), at_least=0.0, claim="nan bound")


def test_bounds():
    assert gt.verify(0.7, at_least=0.5, at_most=1.0, claim="in range") is None
    with pytest.raises(AssertionError, match="required >= 0.8"):
        gt.verify(0.7, at_least=0.8, claim="too small")
    with pytest.raises(AssertionError, match="required <= 0.5"):
        gt.verify([0.1, 0.7], at_most=0.5, claim="one too large")


@pytest.mark.parametrize("kwargs, message", [
    (dict(value=1.0, claim=""), "claim must be"),
    (dict(value=1.0, claim="x"), "give expected="),
    (dict(value=1.0, expected=1.0, at_least=0.0, claim="x"), "not both"),
    (dict(value=1.0, expected=1.0, atol=-1.0, claim="x"), "rtol and atol"),
    (dict(value=[1.0, 2.0], expected=[1.0, 2.0, 3.0], claim="x"), "do not broadcast"),
    (dict(value=1.0, at_least=2.0, at_most=1.0, claim="x"), "exceeds"),
])
def test_malformed_calls_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gt.verify(**kwargs)


def test_many_values_are_summarised_by_the_largest_deviation(capsys):
    x = np.linspace(0, 1, 101)
    gt.verify(x + 1e-9, x, atol=1e-8, claim="shifted grid")
    assert capsys.readouterr().out.strip() == (
        "✔ shifted grid: 101 values, largest deviation 1e-09 from expected (tolerance atol 1e-08)")
    gt.verify(x, at_least=0.0, claim="non-negative")
    assert capsys.readouterr().out.strip() == "✔ non-negative: 101 values in [0, 1] (required >= 0)"
