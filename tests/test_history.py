"""gt.History: the public record of a run (append, flush, last, series) and the callback schedules."""

import numpy as np
import pytest
import torch

import gantext as gt


def filled(n=3):
    h = gt.History()
    for i in range(n):
        h.append(torch.tensor(float(i)), torch.tensor(10.0 + i))
    return h


def test_losses_stay_pending_until_read_and_come_back_as_arrays():
    h = filled(3)
    assert h.step == 3
    assert isinstance(h.d_loss, np.ndarray) and h.d_loss.tolist() == [0.0, 1.0, 2.0]
    assert h.g_loss.tolist() == [10.0, 11.0, 12.0]
    assert h.flush() == []            # nothing pending after a read


def test_flush_returns_step_numbered_triples_once():
    h = filled(2)
    assert h.flush() == [(1, 0.0, 10.0), (2, 1.0, 11.0)]
    h.append(torch.tensor(5.0), torch.tensor(6.0))
    assert h.flush() == [(3, 5.0, 6.0)]
    assert h.last(2) == [(2, 1.0, 11.0), (3, 5.0, 6.0)]


def test_series_returns_the_logged_steps_and_values_as_arrays():
    h = filled(2)
    h.log("w1", torch.tensor(0.5))
    h.append(torch.tensor(0.0), torch.tensor(0.0))
    h.log("w1", 0.25)
    steps, values = h.series("w1")
    assert isinstance(steps, np.ndarray) and steps.tolist() == [2, 3]
    assert values.tolist() == [0.5, 0.25]
    with pytest.raises(KeyError, match="nothing was logged as 'fid'"):
        h.series("fid")


def test_state_dict_round_trips():
    h = filled(4)
    h.log("x", 1.0)
    g = gt.History()
    g.load_state_dict(h.state_dict())
    assert np.array_equal(g.d_loss, h.d_loss) and g.records == h.records and g.step == 4


def test_schedules_call_at_the_right_steps():
    seen = []
    cb = gt.every(3, lambda step, G, D, h: seen.append(step))
    for s in range(8):
        cb(s, None, None, None)
    at = gt.at_steps([0, 5], lambda step, G, D, h: seen.append(-step))
    for s in range(8):
        at(s, None, None, None)
    assert seen == [0, 3, 6, 0, -5]


@pytest.mark.parametrize("call, error, message", [
    (lambda: gt.every(0, print), ValueError, "n must be an integer >= 1"),
    (lambda: gt.every(2.5, print), TypeError, "n must be an integer"),
    (lambda: gt.every(2, 3), TypeError, "fn must be a function"),
    (lambda: gt.at_steps([1, -1], print), ValueError, "steps' entries"),
    (lambda: gt.History().log(3, 1.0), TypeError, "name must be a str"),
    (lambda: gt.History().log("x", "a"), TypeError, "value must be a number"),
    (lambda: filled().last(0), ValueError, "n must be an integer >= 1"),
])
def test_bad_arguments_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()
