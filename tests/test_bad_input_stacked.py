"""Bad-input tables of gantext.stacked and gantext.mode_collapse (issue 15): every case a
TypeError/ValueError naming the parameter, before any work (a refused fit_stacked call leaves the
stacked models unchanged)."""

import pytest
import torch
from torch import nn

import gantext as gt
from bad_input_harness import check, ids
from gantext.mode_collapse import CHAPTER_REMEDIES, VEEGAN_PROTOCOL, table
from gantext.stacked import (StackedDiscriminator, StackedGenerator, StackedHistory, StackedLinear,
                             fit_stacked, orthogonal_init_, stack_models, stacked_gradient_penalty,
                             unrolled_logits)

L = gt.losses
NAN, INF = float("nan"), float("inf")
make_g = lambda: gt.MLPGenerator(latent_dim=3, hidden=(16, 16))
make_d = lambda **options: (lambda: gt.MLPDiscriminator(hidden=(16, 16), **options))


def watched():
    return [G2, D2, G_small, D_small]


G2, D2 = stack_models(lambda: gt.MLPGenerator(2, 2, (4,)), lambda: gt.MLPDiscriminator(2, (4,)), range(2))
_, D3 = stack_models(make_g, make_d(), [0, 1, 2])
_, D_sn = stack_models(make_g, make_d(spectral_norm=True), [0, 1])
_, D_pack = stack_models(make_g, make_d(pack=3), [0, 1])
G_small, D_small = stack_models(make_g, make_d(), [0, 1])
ONE_STEP = gt.TrainConfig(steps=1, batch_size=16, progress=False)
STACKED_CASES = [
    ("StackedLinear weight rank", lambda: StackedLinear(torch.zeros(2, 3), torch.zeros(2, 1, 3)), "weight"),
    ("StackedLinear bias shape", lambda: StackedLinear(torch.zeros(2, 3, 4), torch.zeros(2, 4)), "bias"),
    ("StackedLinear int weight", lambda: StackedLinear(torch.zeros(2, 3, 4, dtype=torch.long),
                                                       torch.zeros(2, 1, 4)), "weight"),
    ("StackedLinear u without v", lambda: StackedLinear(torch.zeros(2, 3, 4), torch.zeros(2, 1, 4),
                                                        u=torch.zeros(2, 4)), "u and v"),
    ("StackedLinear meta", lambda: StackedLinear(torch.zeros(2, 3, 4, device="meta"), torch.zeros(2, 1, 4)), "weight"),
    ("StackedLinear.stack empty", lambda: StackedLinear.stack([]), "layers"),
    ("StackedLinear.stack not Linear", lambda: StackedLinear.stack([nn.ReLU()]), "layers"),
    ("StackedLinear.stack shapes", lambda: StackedLinear.stack([nn.Linear(2, 3), nn.Linear(3, 3)]), "layers"),
    ("StackedGenerator str", lambda: StackedGenerator("G"), "generators"),
    ("StackedGenerator empty", lambda: StackedGenerator([]), "generators"),
    ("StackedGenerator mixed", lambda: StackedGenerator([gt.MLPGenerator(2, 2, (4,)), gt.MLPGenerator(2, 2, (5,))]),
     "generators"),
    ("StackedGenerator batch norm", lambda: StackedGenerator([gt.MLPGenerator(batch_norm=True)] * 2),
     "batch normalisation"),
    ("StackedDiscriminator wrong class", lambda: StackedDiscriminator([gt.MLPGenerator()]), "discriminators"),
    ("G forward str", lambda: G2("z"), "z"),
    ("G forward shape", lambda: G2(torch.zeros(3, 4, 2)), "z"),
    ("G forward meta", lambda: G2(torch.zeros(2, 4, 2, device="meta")), "z"),
    ("G forward float64", lambda: G2(torch.zeros(2, 4, 2, dtype=torch.float64)), "z"),
    ("G forward int64", lambda: G2(torch.zeros(2, 4, 2, dtype=torch.long)), "z"),
    ("G sample -1", lambda: G2.sample(-1), "n"),
    ("G sample huge", lambda: G2.sample(10**14), "sample"),
    ("G sample generator", lambda: G2.sample(4, generator=3), "generator"),
    ("D forward meta", lambda: D2(torch.zeros(2, 8, 2, device="meta")), "x"),
    ("D forward shape", lambda: D2(torch.zeros(2, 8, 3)), "x"),
    ("D forward float16", lambda: D2(torch.zeros(2, 8, 2, dtype=torch.float16)), "x"),
    ("stack_models make_g", lambda: stack_models(3, lambda: gt.MLPDiscriminator(), [0]), "make_g"),
    ("stack_models seeds str", lambda: stack_models(gt.MLPGenerator, gt.MLPDiscriminator, "01"), "seeds"),
    ("stack_models seed -1", lambda: stack_models(gt.MLPGenerator, gt.MLPDiscriminator, [-1]), "seed"),
    ("stack_models seed float", lambda: stack_models(gt.MLPGenerator, gt.MLPDiscriminator, [1.5]), "seed"),
    ("stack_models empty", lambda: stack_models(gt.MLPGenerator, gt.MLPDiscriminator, []), "seeds"),
    ("orthogonal gain", lambda: orthogonal_init_(gt.MLPGenerator(), gain=-1), "gain"),
    ("penalty D", lambda: stacked_gradient_penalty("D", torch.zeros(2, 4, 2), torch.zeros(2, 4, 2)), "D"),
    ("penalty shapes", lambda: stacked_gradient_penalty(D2, torch.zeros(2, 4, 2), torch.zeros(2, 5, 2)), "real and fake"),
    ("penalty rank", lambda: stacked_gradient_penalty(D2, torch.zeros(4, 2), torch.zeros(4, 2)), "real"),
    ("penalty empty", lambda: stacked_gradient_penalty(D2, torch.zeros(0, 4, 2), torch.zeros(0, 4, 2)), "real"),
    ("history log name", lambda: StackedHistory(1).log(3, [1.0]), "name"),
    ("history log values", lambda: StackedHistory(1).log("x", "ab"), "values"),
    ("unrolled D", lambda: unrolled_logits("D", None, L.non_saturating, None, None, 1), "D"),
    ("unrolled d_opt", lambda: unrolled_logits(D2, "adam", L.non_saturating, None, None, 1), "d_opt"),
    ("unrolled steps", lambda: unrolled_logits(D2, torch.optim.Adam(D2.parameters()), L.non_saturating,
                                               None, None, -1), "steps"),
    ("unrolled other params", lambda: unrolled_logits(D2, torch.optim.Adam(G2.parameters()), L.non_saturating,
                                                      None, None, 1), "d_opt"),
    ("fit_stacked G", lambda: fit_stacked("G", D2, gt.ring()), "G and D", watched),
    ("fit_stacked G not stacked", lambda: fit_stacked(make_g(), D_small, gt.ring(), config=ONE_STEP),
     "StackedGenerator", watched),
    ("fit_stacked model counts", lambda: fit_stacked(G_small, D3, gt.ring(), config=ONE_STEP), "same number of models", watched),
    ("fit_stacked data str", lambda: fit_stacked(G2, D2, "ring"), "data", watched),
    ("fit_stacked data list", lambda: fit_stacked(G2, D2, [1, 2, 3]), "data", watched),
    ("fit_stacked data nan", lambda: fit_stacked(G2, D2, torch.full((8, 2), NAN)), "data", watched),
    ("fit_stacked data dim", lambda: fit_stacked(G2, D2, gt.Gaussian1D()), "data", watched),
    ("fit_stacked data int", lambda: fit_stacked(G2, D2, torch.zeros(8, 2, dtype=torch.long)), "data", watched),
    ("fit_stacked loss", lambda: fit_stacked(G2, D2, gt.ring(), "bce"), "loss", watched),
    ("fit_stacked config", lambda: fit_stacked(G2, D2, gt.ring(), config={}), "config", watched),
    ("fit_stacked unroll -1", lambda: fit_stacked(G2, D2, gt.ring(), unroll_steps=-1), "unroll_steps", watched),
    ("fit_stacked unroll with spectral norm", lambda: fit_stacked(G_small, D_sn, gt.ring(), config=ONE_STEP,
                                                                  unroll_steps=2), "spectral-norm", watched),
    ("fit_stacked pack", lambda: fit_stacked(G_small, D_pack, gt.ring(), config=ONE_STEP), "multiple of D's pack", watched),
    ("fit_stacked d_lr bool", lambda: fit_stacked(G2, D2, gt.ring(), d_lr=True), "d_lr", watched),
    ("fit_stacked d_lr nan", lambda: fit_stacked(G2, D2, gt.ring(), d_lr=NAN), "d_lr", watched),
    ("fit_stacked d_lr count", lambda: fit_stacked(G2, D2, gt.ring(), d_lr=[1e-3]), "d_lr", watched),
    ("fit_stacked g_lr inf", lambda: fit_stacked(G2, D2, gt.ring(), g_lr=[1e-3, INF]), "g_lr", watched),
    ("fit_stacked gradient_penalty", lambda: fit_stacked(G2, D2, gt.ring(), gradient_penalty="no"),
     "gradient_penalty", watched),
    ("fit_stacked per_model_streams", lambda: fit_stacked(G2, D2, gt.ring(), per_model_streams=1),
     "per_model_streams", watched),
    ("fit_stacked on_divergence", lambda: fit_stacked(G2, D2, gt.ring(), on_divergence="stop"), "on_divergence", watched),
    ("fit_stacked callbacks", lambda: fit_stacked(G2, D2, gt.ring(), callbacks=print), "callbacks", watched),
]

MODE_COLLAPSE_CASES = [
    ("workers 0", lambda: table(VEEGAN_PROTOCOL, CHAPTER_REMEDIES, {"ring": gt.ring()}, [0], workers=0), "workers"),
    ("protocol", lambda: table("VEEGAN", CHAPTER_REMEDIES, {"ring": gt.ring()}, [0]), "protocol"),
    ("remedies", lambda: table(VEEGAN_PROTOCOL, ["GAN"], {"ring": gt.ring()}, [0]), "Remedy"),
    ("datasets", lambda: table(VEEGAN_PROTOCOL, CHAPTER_REMEDIES, {"ring": [1, 2]}, [0]), "Gaussian mixtures"),
    ("seeds", lambda: table(VEEGAN_PROTOCOL, CHAPTER_REMEDIES, {"ring": gt.ring()}, [-1]), "seeds"),
]

MODULES = {"stacked": STACKED_CASES, "mode_collapse": MODE_COLLAPSE_CASES}
CASES = STACKED_CASES + MODE_COLLAPSE_CASES


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_input_gives_a_clear_error_before_any_work(case):
    check(case)
