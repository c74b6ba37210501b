"""Bad-input tables of gantext.penalties and gantext.lipschitz (issue 15): every case a
TypeError/ValueError naming the parameter, before any work; NaN/inf inputs always raise (LeakyReLU's
backward would otherwise mask NaN rows into plausible numbers)."""

import pytest
import torch
from torch import nn

import gantext as gt
from bad_input_harness import check, ids

NAN, INF = float("nan"), float("inf")
torch.manual_seed(0)
D = gt.MLPDiscriminator(2, (8,))
X, Y = torch.randn(8, 2), torch.randn(8, 2)


def nan_rows(n=8, d=2):
    x = torch.randn(n, d)
    x[::2] = NAN
    return x


def inf_row(n=8, d=2):
    x = torch.randn(n, d)
    x[3, 1] = INF
    return x


def meta(*shape):
    return torch.zeros(*shape, device="meta")


def watched():
    return [D]


def nan_linear():
    layer = nn.Linear(3, 3)
    with torch.no_grad():
        layer.weight[0, 0] = NAN
    return layer


P = gt.penalties
PENALTY_CASES = [
    # interpolates(real, fake, generator)
    ("interpolates real str", lambda: P.interpolates("x", Y), "real"),
    ("interpolates fake None", lambda: P.interpolates(X, None), "fake"),
    ("interpolates shapes", lambda: P.interpolates(X, torch.randn(5, 2)), "real and fake"),
    ("interpolates empty", lambda: P.interpolates(torch.zeros(0, 2), torch.zeros(0, 2)), "real"),
    ("interpolates rank 0", lambda: P.interpolates(torch.tensor(1.0), torch.tensor(1.0)), "real"),
    ("interpolates int64", lambda: P.interpolates(torch.zeros(4, 2, dtype=torch.long), torch.zeros(4, 2)),
     "real"),
    ("interpolates meta", lambda: P.interpolates(meta(4, 2), meta(4, 2)), "real"),
    ("interpolates nan", lambda: P.interpolates(nan_rows(), Y), "real"),
    ("interpolates inf fake", lambda: P.interpolates(X, inf_row()), "fake"),
    ("interpolates generator", lambda: P.interpolates(X, Y, generator=0), "generator"),
    # gradient_penalty(critic, real, fake, target, generator)
    ("gradient_penalty critic str", lambda: P.gradient_penalty("D", X, Y), "critic", watched),
    ("gradient_penalty critic None", lambda: P.gradient_penalty(None, X, Y), "critic", watched),
    ("gradient_penalty real list", lambda: P.gradient_penalty(D, [[0.0, 0.0]], Y), "real", watched),
    ("gradient_penalty real nan", lambda: P.gradient_penalty(D, nan_rows(), Y), "real", watched),
    ("gradient_penalty real all nan", lambda: P.gradient_penalty(D, torch.full((8, 2), NAN), Y), "real",
     watched),
    ("gradient_penalty fake inf", lambda: P.gradient_penalty(D, X, inf_row()), "fake", watched),
    ("gradient_penalty shapes", lambda: P.gradient_penalty(D, X, torch.randn(4, 2)), "real and fake", watched),
    ("gradient_penalty empty", lambda: P.gradient_penalty(D, torch.zeros(0, 2), torch.zeros(0, 2)), "real",
     watched),
    ("gradient_penalty int64", lambda: P.gradient_penalty(D, X.long(), Y.long()), "real", watched),
    ("gradient_penalty meta", lambda: P.gradient_penalty(D, meta(8, 2), meta(8, 2)), "real", watched),
    ("gradient_penalty target nan", lambda: P.gradient_penalty(D, X, Y, target=NAN), "target", watched),
    ("gradient_penalty target -1", lambda: P.gradient_penalty(D, X, Y, target=-1), "target", watched),
    ("gradient_penalty target str", lambda: P.gradient_penalty(D, X, Y, target="1"), "target", watched),
    ("gradient_penalty target bool", lambda: P.gradient_penalty(D, X, Y, target=True), "target", watched),
    ("gradient_penalty generator", lambda: P.gradient_penalty(D, X, Y, generator="g"), "generator", watched),
    ("gradient_penalty critic scores", lambda: P.gradient_penalty(nn.Linear(2, 3), X, Y), "critic"),
    # r1_penalty(critic, real, fake=None)
    ("r1 critic int", lambda: P.r1_penalty(3, X), "critic", watched),
    ("r1 real str", lambda: P.r1_penalty(D, "x"), "real", watched),
    ("r1 real half nan", lambda: P.r1_penalty(D, nan_rows()), "real", watched),
    ("r1 real inf", lambda: P.r1_penalty(D, inf_row()), "real", watched),
    ("r1 real empty", lambda: P.r1_penalty(D, torch.zeros(0, 2)), "real", watched),
    ("r1 real int64", lambda: P.r1_penalty(D, X.long()), "real", watched),
    ("r1 real meta", lambda: P.r1_penalty(D, meta(8, 2)), "real", watched),
    ("r1 fake str", lambda: P.r1_penalty(D, X, "fake"), "fake", watched),
    ("r1 fake other sample shape", lambda: P.r1_penalty(D, X, torch.zeros(8, 3)), "fake", watched),
    ("r1 critic scores", lambda: P.r1_penalty(nn.Linear(2, 2), X), "critic"),
    ("r1 real rank 1 (refused by D)", lambda: P.r1_penalty(D, torch.zeros(3)), "real", watched),
    ("r1 real wrong width (refused by D)", lambda: P.r1_penalty(D, torch.zeros(4, 3)), "real", watched),
    ("r1 real float16 (refused by D)", lambda: P.r1_penalty(D, X.half()), "real", watched),
    ("gradient_penalty wrong width (refused by D)", lambda: P.gradient_penalty(D, torch.zeros(4, 3),
                                                                               torch.zeros(4, 3)), "real", watched),
    # clip_weights_(module, c)
    ("clip c 0", lambda: P.clip_weights_(D, 0), "c", watched),
    ("clip c -1", lambda: P.clip_weights_(D, -1), "c", watched),
    ("clip c nan", lambda: P.clip_weights_(D, NAN), "c", watched),
    ("clip c inf", lambda: P.clip_weights_(D, INF), "c", watched),
    ("clip c str", lambda: P.clip_weights_(D, "0.01"), "c", watched),
    ("clip c None", lambda: P.clip_weights_(D, None), "c", watched),
    ("clip c bool", lambda: P.clip_weights_(D, True), "c", watched),
    ("clip module str", lambda: P.clip_weights_("D", 0.01), "module"),
    ("clip module tensor", lambda: P.clip_weights_(torch.ones(3), 0.01), "module"),
]

LIP_CASES = [
    # largest_singular_value(layer)
    ("largest_singular_value rank 1", lambda: gt.largest_singular_value(torch.randn(5)), "layer"),
    ("largest_singular_value empty", lambda: gt.largest_singular_value(torch.zeros(0, 3)), "layer"),
    ("largest_singular_value ReLU", lambda: gt.largest_singular_value(nn.ReLU()), "layer"),
    ("largest_singular_value list", lambda: gt.largest_singular_value([[1.0, 2.0]]), "layer"),
    ("largest_singular_value None", lambda: gt.largest_singular_value(None), "layer"),
    ("largest_singular_value nan", lambda: gt.largest_singular_value(torch.full((3, 3), NAN)), "layer"),
    ("largest_singular_value inf", lambda: gt.largest_singular_value(torch.full((3, 3), INF)), "layer"),
    ("largest_singular_value nan Linear", lambda: gt.largest_singular_value(nan_linear()), "layer"),
    ("largest_singular_value int", lambda: gt.largest_singular_value(torch.ones(3, 3, dtype=torch.long)), "layer"),
    ("largest_singular_value meta", lambda: gt.largest_singular_value(meta(3, 3)), "layer"),
    # power_iteration(layer, n_iter, generator)
    ("power_iteration n_iter 0", lambda: gt.power_iteration(torch.randn(3, 3), n_iter=0), "n_iter"),
    ("power_iteration n_iter float", lambda: gt.power_iteration(torch.randn(3, 3), n_iter=2.5), "n_iter"),
    ("power_iteration n_iter str", lambda: gt.power_iteration(torch.randn(3, 3), n_iter="20"), "n_iter"),
    ("power_iteration n_iter bool", lambda: gt.power_iteration(torch.randn(3, 3), n_iter=True), "n_iter"),
    ("power_iteration n_iter huge", lambda: gt.power_iteration(torch.randn(3, 3), n_iter=10**12), "n_iter"),
    ("power_iteration generator", lambda: gt.power_iteration(torch.randn(3, 3), generator=1), "generator"),
    ("power_iteration nan", lambda: gt.power_iteration(torch.full((3, 3), NAN)), "layer"),
    ("power_iteration layer str", lambda: gt.power_iteration("W"), "layer"),
    # lipschitz_upper_bound(network)
    ("upper_bound tensor", lambda: gt.lipschitz_upper_bound(torch.randn(3, 3)), "network"),
    ("upper_bound None", lambda: gt.lipschitz_upper_bound(None), "network"),
    ("upper_bound batch norm", lambda: gt.lipschitz_upper_bound(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))),
     "network"),
    ("upper_bound nan weights", lambda: gt.lipschitz_upper_bound(nn.Sequential(nan_linear(), nn.ReLU())), "layer"),
    # gradient_norms(critic, points)
    ("gradient_norms critic str", lambda: gt.gradient_norms("D", X), "critic", watched),
    ("gradient_norms points rank 1", lambda: gt.gradient_norms(D, torch.randn(5)), "points", watched),
    ("gradient_norms points empty", lambda: gt.gradient_norms(D, torch.zeros(0, 2)), "points", watched),
    ("gradient_norms points str", lambda: gt.gradient_norms(D, "x"), "points", watched),
    ("gradient_norms points int", lambda: gt.gradient_norms(D, X.long()), "points", watched),
    ("gradient_norms points meta", lambda: gt.gradient_norms(D, meta(4, 2)), "points", watched),
    ("gradient_norms points nan", lambda: gt.gradient_norms(D, nan_rows()), "points", watched),
    ("gradient_norms scores", lambda: gt.gradient_norms(nn.Linear(2, 3), X), "critic"),
    ("gradient_norms rank 3 (refused by D)", lambda: gt.gradient_norms(D, torch.zeros(2, 2, 2)), "points", watched),
    ("gradient_norms float16 (refused by D)", lambda: gt.gradient_norms(D, X.half()), "points", watched),
    ("lipschitz_estimate wrong width (refused by D)", lambda: gt.lipschitz_estimate(D, torch.zeros(4, 3)),
     "points", watched),
    # lipschitz_estimate(critic, points, fake, generator)
    ("lipschitz_estimate all nan", lambda: gt.lipschitz_estimate(D, torch.full((16, 2), NAN)), "points", watched),
    ("lipschitz_estimate inf", lambda: gt.lipschitz_estimate(D, inf_row()), "points", watched),
    ("lipschitz_estimate fake nan", lambda: gt.lipschitz_estimate(D, X, nan_rows()), "fake", watched),
    ("lipschitz_estimate fake shape", lambda: gt.lipschitz_estimate(D, X, torch.randn(5, 2)), "fake", watched),
    ("lipschitz_estimate fake str", lambda: gt.lipschitz_estimate(D, X, "fake"), "fake", watched),
    ("lipschitz_estimate critic", lambda: gt.lipschitz_estimate(lambda x: x.sum(1), X), "critic"),
    ("lipschitz_estimate points list", lambda: gt.lipschitz_estimate(D, [[0.0, 1.0]]), "points", watched),
    ("lipschitz_estimate generator", lambda: gt.lipschitz_estimate(D, X, Y, generator=5), "generator", watched),
    ("lipschitz_estimate meta", lambda: gt.lipschitz_estimate(D, meta(4, 2)), "points", watched),
    # wasserstein_estimate(critic, real, fake, lipschitz)
    ("wasserstein critic str", lambda: gt.wasserstein_estimate("D", X, Y), "critic"),
    ("wasserstein real str", lambda: gt.wasserstein_estimate(D, "x", Y), "real", watched),
    ("wasserstein real nan", lambda: gt.wasserstein_estimate(D, nan_rows(), Y), "real", watched),
    ("wasserstein fake inf", lambda: gt.wasserstein_estimate(D, X, inf_row()), "fake", watched),
    ("wasserstein fake empty", lambda: gt.wasserstein_estimate(D, X, torch.zeros(0, 2)), "fake", watched),
    ("wasserstein shapes", lambda: gt.wasserstein_estimate(D, X, torch.zeros(8, 3)), "real and fake", watched),
    ("wasserstein int", lambda: gt.wasserstein_estimate(D, X.long(), Y), "real", watched),
    ("wasserstein meta", lambda: gt.wasserstein_estimate(D, meta(8, 2), Y), "real", watched),
    ("wasserstein real float16 (refused by D)", lambda: gt.wasserstein_estimate(D, X.half(), Y), "real", watched),
    ("wasserstein fake float64 (refused by D)", lambda: gt.wasserstein_estimate(D, X, Y.double()), "fake", watched),
    ("wasserstein lipschitz 0", lambda: gt.wasserstein_estimate(D, X, Y, lipschitz=0), "lipschitz", watched),
    ("wasserstein lipschitz inf", lambda: gt.wasserstein_estimate(D, X, Y, lipschitz=INF), "lipschitz", watched),
    ("wasserstein lipschitz nan", lambda: gt.wasserstein_estimate(D, X, Y, lipschitz=NAN), "lipschitz", watched),
    ("wasserstein lipschitz str", lambda: gt.wasserstein_estimate(D, X, Y, lipschitz="1"), "lipschitz", watched),
    ("wasserstein lipschitz bool", lambda: gt.wasserstein_estimate(D, X, Y, lipschitz=True), "lipschitz",
     watched),
]

MODULES = {"penalties": PENALTY_CASES, "lipschitz": LIP_CASES}
CASES = PENALTY_CASES + LIP_CASES


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_input_gives_a_clear_error_before_any_work(case):
    check(case)
