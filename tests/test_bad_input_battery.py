"""The typed battery of bad inputs (tests/bad_input_battery.py) over models, penalties,
lipschitz, utils and widgets: generated cases, each a TypeError/ValueError naming the parameter,
before any work (the models involved are unchanged)."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from bad_input_battery import cases  # noqa: E402
from bad_input_harness import check  # noqa: E402

BATTERY = cases()
ALL = [(module, case) for module, module_cases in BATTERY.items() for case in module_cases]


@pytest.mark.parametrize("module, case", ALL, ids=[f"{m}: {c[0]}" for m, c in ALL])
def test_battery_case_gives_a_clear_error_before_any_work(module, case):
    check(case)
