import json
import math

import numpy as np
import pytest
import torch

import gantext as gt
from gantext import audit


def test_true_claim_prints_one_line_with_a_tick_and_its_kind(capsys):
    gt.verify(-math.log(4), -1.3862943611198906, atol=1e-12, kind="exact", claim="V at p_g = p_data is -log 4")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("✔ [exact] V at p_g = p_data is -log 4: -1.38629 vs expected -1.38629")
    assert "atol 1e-12" in out


def test_false_claim_raises_with_the_same_line(capsys):
    with pytest.raises(AssertionError, match=r"✘ \[exact\] pi is 3: 3.14159 vs expected 3"):
        gt.verify(math.pi, 3.0, atol=0.1, kind="exact", claim="pi is 3")
    assert capsys.readouterr().out.startswith("✘ [exact] pi is 3")


def test_relative_tolerance_and_arrays():
    gt.verify(np.array([100.0, 200.0]), [101.0, 198.0], rtol=0.011, kind="exact", claim="within 1.1 %")
    with pytest.raises(AssertionError):
        gt.verify(np.array([100.0, 200.0]), [101.0, 198.0], rtol=0.009, kind="exact", claim="within 0.9 %")


def test_tensors_on_any_device_and_with_grad():
    x = torch.tensor(2.0, requires_grad=True)
    gt.verify(x * 2, 4.0, atol=0, kind="exact", claim="2 x = 4")


def test_nan_never_passes():
    with pytest.raises(AssertionError):
        gt.verify(float("nan"), 0.0, atol=1e9, kind="statistical", claim="nan")
    with pytest.raises(AssertionError):
        gt.verify(float("nan"), at_least=0.0, kind="statistical", claim="nan bound")


def test_bounds():
    assert gt.verify(0.7, at_least=0.5, at_most=1.0, kind="statistical", claim="in range") is None
    with pytest.raises(AssertionError, match="required >= 0.8"):
        gt.verify(0.7, at_least=0.8, kind="statistical", claim="too small")
    with pytest.raises(AssertionError, match="required <= 0.5"):
        gt.verify([0.1, 0.7], at_most=0.5, kind="statistical", claim="one too large")


@pytest.mark.parametrize("kwargs, message", [
    (dict(value=1.0, claim="", kind="exact"), "claim must be"),
    (dict(value=1.0, claim="x", kind="exact"), "give expected="),
    (dict(value=1.0, expected=1.0, at_least=0.0, claim="x", kind="exact"), "not both"),
    (dict(value=1.0, expected=1.0, atol=-1.0, claim="x", kind="exact"), "atol must be"),
    (dict(value=1.0, expected=1.0, rtol=float("inf"), claim="x", kind="exact"), "rtol must be"),
    (dict(value=[1.0, 2.0], expected=[1.0, 2.0, 3.0], claim="x", kind="exact"), "do not broadcast"),
    (dict(value=1.0, at_least=2.0, at_most=1.0, claim="x", kind="exact"), "exceeds"),
    (dict(value=1.0, at_least=float("nan"), claim="x", kind="exact"), "at_least must be"),
    (dict(value=1.0, expected=1.0, claim="x", kind="proved"), "kind must be one of"),
    (dict(value=[], expected=3.14, claim="x", kind="exact"), "value is empty"),
    (dict(value=np.zeros((0, 3)), at_least=0.0, claim="x", kind="exact"), "value is empty"),
    (dict(value=1.0, expected=[], claim="x", kind="exact"), "expected is empty"),
])
def test_malformed_calls_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gt.verify(**kwargs)


def test_kind_is_required():
    with pytest.raises(TypeError, match="kind"):
        gt.verify(1.0, 1.0, claim="x")


def test_many_values_are_summarised_by_the_largest_deviation(capsys):
    x = np.linspace(0, 1, 101)
    gt.verify(x + 1e-9, x, atol=1e-8, kind="exact", claim="shifted grid")
    assert capsys.readouterr().out.strip() == (
        "✔ [exact] shifted grid: 101 values, largest deviation 1e-09 from expected (tolerance atol 1e-08)")
    gt.verify(x, at_least=0.0, kind="sanity", claim="non-negative")
    assert capsys.readouterr().out.strip() == "✔ [sanity] non-negative: 101 values in [0, 1] (required >= 0)"


# --- trained claims and the audit record -------------------------------------------------------

@pytest.fixture
def record(monkeypatch):
    """Replace the shipped audit record by one the test writes."""
    claims = {}
    monkeypatch.setattr(audit, "_claims", lambda: claims)
    monkeypatch.delenv("GANTEXT_AUDIT_RECORD", raising=False)
    monkeypatch.delenv("GANTEXT_REQUIRE_AUDIT", raising=False)
    return claims


def _audited(values):
    return {"chapter": "x", "kind": "trained", "runs": [{"run": i, "numerics": "default", "value": v, "ok": True}
                                                        for i, v in enumerate(values)]}


def test_trained_claim_prints_what_the_audit_saw(record, capsys):
    record["FID falls"] = _audited([8.0 + i for i in range(20)])
    gt.verify(12.0, at_least=5, kind="trained", claim="FID falls")
    assert capsys.readouterr().out.strip() == (
        "✔ [trained] FID falls: 12 (required >= 5); audit: 20 of 20 runs clear it, observed 8 to 27")


def test_trained_claim_fails_when_an_audited_run_misses_the_threshold(record):
    record["FID falls"] = _audited([8.0 + i for i in range(20)])
    with pytest.raises(AssertionError, match="audit: 18 of 20 runs clear it"):
        gt.verify(12.0, at_least=10, kind="trained", claim="FID falls")  # this run clears it, two audited runs do not


def test_trained_claim_needs_enough_audited_runs(record):
    record["few"] = _audited([9.0] * (audit.MIN_RUNS - 1))
    with pytest.raises(AssertionError, match="19 of 19"):
        gt.verify(9.0, at_least=5, kind="trained", claim="few")


def test_unaudited_trained_claim_fails_only_when_the_audit_is_required(record, monkeypatch, capsys):
    gt.verify(1.0, at_least=0, kind="trained", claim="new claim")
    assert "not audited" in capsys.readouterr().out
    monkeypatch.setenv("GANTEXT_REQUIRE_AUDIT", "1")
    with pytest.raises(AssertionError, match="not audited"):
        gt.verify(1.0, at_least=0, kind="trained", claim="new claim")


def test_an_audit_run_records_every_claim_and_does_not_raise(record, monkeypatch, tmp_path):
    out = tmp_path / "run.jsonl"
    monkeypatch.setenv("GANTEXT_AUDIT_RECORD", str(out))
    gt.verify(3.0, at_least=5, kind="trained", claim="misses")
    gt.verify([1.0, float("nan")], at_least=0, kind="statistical", claim="has a nan")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    for line in lines:
        line.pop("test")
    assert lines == [{"claim": "misses", "kind": "trained", "ok": False, "value": 3.0},
                     {"claim": "has a nan", "kind": "statistical", "ok": False, "value": [1.0, None]}]


def _notebook(tmp_path, *sources):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    return path


def test_count_claims_reads_each_call_site_by_kind(tmp_path):
    path = _notebook(tmp_path,
                     '%pip install x\ngt.verify(1, 1, kind="exact", claim="a")',
                     'for s in range(5):\n    gt.verify(s, at_least=0, kind="trained", claim="b")\nverify(2, 2, kind="sanity", claim="c")',
                     'print("no claim here")')
    assert gt.count_claims(path) == {"exact": 1, "statistical": 0, "trained": 1, "sanity": 1}


def test_count_claims_refuses_a_kind_that_is_not_written_literally(tmp_path):
    path = _notebook(tmp_path, 'k = "exact"\ngt.verify(1, 1, kind=k, claim="a")')
    with pytest.raises(ValueError, match="cell 0, line 2: verify needs kind="):
        gt.count_claims(path)


def test_every_chapter_declares_the_kind_of_every_claim():
    from pathlib import Path

    chapters = sorted((Path(__file__).resolve().parents[1] / "book").glob("[0-9]*.ipynb"))
    assert chapters
    for chapter in chapters:
        counts = gt.count_claims(chapter)  # raises on a missing or computed kind
        assert sum(counts.values()) > 0, chapter.name
