"""Table-driven bad-input tests (issue 15), in the categories of the reliability review: wrong
types, bool for a number, negative/zero, NaN/inf, empty, wrong shape/rank, wrong dtype, meta
tensors and impossible sizes. Each case must raise a TypeError or ValueError (or
FileNotFoundError for a path) that names the parameter, before any work is done."""

import inspect
import math

import matplotlib
import numpy as np
import pytest
import torch

import gantext as gt
from bad_input_harness import check

matplotlib.use("Agg")
NAN, INF = float("nan"), float("inf")
META = torch.zeros(4, device="meta")


def _logits(n=8):
    return torch.randn(n)


class _H:     # a History-like object
    d_loss = [1.0, 2.0]
    g_loss = [1.0, 2.0]


L = gt.losses
LOSS_CASES = []
for pair in (L.minimax, L.non_saturating, L.wasserstein, L.hinge, L.least_squares):
    # the parameters' own names (real_logits / real_scores ...), which the errors must name as words
    real, fake = inspect.signature(pair.d_loss).parameters
    (g_fake,) = inspect.signature(pair.g_loss).parameters
    LOSS_CASES += [
        (f"{pair.name}.d_loss str", lambda p=pair: p.d_loss("x", _logits()), real),
        (f"{pair.name}.d_loss None fake", lambda p=pair: p.d_loss(_logits(), None), fake),
        (f"{pair.name}.d_loss list", lambda p=pair: p.d_loss([1.0, 2.0], _logits()), real),
        (f"{pair.name}.d_loss empty", lambda p=pair: p.d_loss(torch.zeros(0), _logits()), real),
        (f"{pair.name}.d_loss rank 0", lambda p=pair: p.d_loss(torch.tensor(1.0), _logits()), real),
        (f"{pair.name}.d_loss [n, 2]", lambda p=pair: p.d_loss(torch.zeros(4, 2), _logits()), real),
        (f"{pair.name}.d_loss int64", lambda p=pair: p.d_loss(_logits(), torch.ones(4, dtype=torch.long)), fake),
        (f"{pair.name}.d_loss meta", lambda p=pair: p.d_loss(META, _logits()), real),
        (f"{pair.name}.g_loss str", lambda p=pair: p.g_loss("x"), g_fake),
        (f"{pair.name}.g_loss empty", lambda p=pair: p.g_loss(torch.zeros(0)), g_fake),
        (f"{pair.name}.g_loss rank 3", lambda p=pair: p.g_loss(torch.zeros(2, 2, 2)), g_fake),
        (f"{pair.name}.g_loss bool dtype", lambda p=pair: p.g_loss(torch.ones(3, dtype=torch.bool)), g_fake),
        (f"{pair.name}.g_loss meta", lambda p=pair: p.g_loss(META), g_fake),
    ]


def _ac_out(labels, k=3, n=4):
    return gt.models.ACGANOutput(torch.zeros(n), torch.zeros(n, k), labels)


LOSS_CASES += [
    ("GANLoss name", lambda: L.GANLoss(3, L.bce_d_loss, L.minimax_g_loss), "name"),
    ("GANLoss not callable", lambda: L.GANLoss("x", 1, 2), "d_loss"),
    ("auxiliary base", lambda: L.auxiliary_classifier("bce"), "base"),
    ("auxiliary weight nan", lambda: L.auxiliary_classifier(weight=NAN), "weight"),
    ("auxiliary weight -1", lambda: L.auxiliary_classifier(weight=-1), "weight"),
    ("auxiliary weight bool", lambda: L.auxiliary_classifier(weight=True), "weight"),
    ("AC d_loss tensor", lambda: L.auxiliary_classifier().d_loss(_logits(4), _logits(4)), "real"),
    ("AC labels -100", lambda: L.auxiliary_classifier().d_loss(
        _ac_out(torch.full((4,), -100)), _ac_out(torch.zeros(4, dtype=torch.long))), "real.labels"),
    ("AC labels >= K", lambda: L.auxiliary_classifier().g_loss(_ac_out(torch.full((4,), 3))), "fake.labels"),
    ("AC labels float", lambda: L.auxiliary_classifier().g_loss(_ac_out(torch.zeros(4))), "fake.labels"),
    ("AC class_logits shape", lambda: L.auxiliary_classifier().g_loss(
        gt.models.ACGANOutput(torch.zeros(4), torch.zeros(3, 2), torch.zeros(4, dtype=torch.long))),
     "fake.class_logits"),
]

P = gt.plot
xs = torch.linspace(-1, 1, 11)
PLOT_CASES = [
    ("density xs str", lambda: P.density_1d("grid"), "xs"),
    ("density xs nan", lambda: P.density_1d(torch.tensor([0.0, NAN, 1.0])), "xs"),
    ("density xs empty", lambda: P.density_1d(torch.zeros(0)), "xs"),
    ("density xs decreasing", lambda: P.density_1d(torch.tensor([1.0, 0.0])), "xs"),
    ("density xs meta", lambda: P.density_1d(META), "xs"),
    ("density p_data length", lambda: P.density_1d(xs, np.ones(3)), "p_data"),
    ("density generated nan", lambda: P.density_1d(xs, generated=torch.full((5,), NAN)), "generated"),
    ("density discriminator length", lambda: P.density_1d(xs, discriminator=np.ones(4)), "discriminator"),
    ("density optimal inf", lambda: P.density_1d(xs, optimal=torch.full((11,), INF)), "optimal"),
    ("density bins 0", lambda: P.density_1d(xs, bins=0), "bins"),
    ("density bins bool", lambda: P.density_1d(xs, bins=True), "bins"),
    ("density bins huge", lambda: P.density_1d(xs, bins=10**9), "bins"),
    ("density ax", lambda: P.density_1d(xs, ax="ax"), "ax"),
    ("density title", lambda: P.density_1d(xs, title=3), "title"),
    ("samples rank 1", lambda: P.samples_2d(torch.zeros(5)), "samples"),
    ("samples 3 columns", lambda: P.samples_2d(torch.zeros(5, 3)), "samples"),
    ("samples nan", lambda: P.samples_2d(torch.full((5, 2), NAN)), "samples"),
    ("samples empty", lambda: P.samples_2d(torch.zeros(0, 2)), "samples"),
    ("samples str", lambda: P.samples_2d("points"), "samples"),
    ("samples meta", lambda: P.samples_2d(torch.zeros(5, 2, device="meta")), "samples"),
    ("means shape", lambda: P.samples_2d(means=torch.zeros(8)), "means"),
    ("data inf", lambda: P.samples_2d(data=torch.full((4, 2), INF)), "data"),
    ("limit -1", lambda: P.samples_2d(torch.zeros(5, 2), limit=-1), "limit"),
    ("limit nan", lambda: P.samples_2d(torch.zeros(5, 2), limit=NAN), "limit"),
    ("s 0", lambda: P.samples_2d(torch.zeros(5, 2), s=0), "s"),
    ("s str", lambda: P.samples_2d(torch.zeros(5, 2), s="big"), "s"),
    ("field not callable", lambda: P.vector_field(3), "field"),
    ("extent 0", lambda: P.vector_field(gt.theory.dirac_gan_field, extent=0), "extent"),
    ("extent inf", lambda: P.vector_field(gt.theory.dirac_gan_field, extent=INF), "extent"),
    ("density 1", lambda: P.vector_field(gt.theory.dirac_gan_field, density=1), "density"),
    ("density huge", lambda: P.vector_field(gt.theory.dirac_gan_field, density=10**7), "density"),
    ("trajectory shape", lambda: P.vector_field(gt.theory.dirac_gan_field, trajectories=[np.zeros(5)]),
     "trajectories"),
    ("trajectory nan", lambda: P.vector_field(gt.theory.dirac_gan_field,
                                              trajectories=[np.full((3, 2), NAN)]), "trajectories"),
    ("trajectories str", lambda: P.vector_field(gt.theory.dirac_gan_field, trajectories="ab"), "trajectories"),
    ("history str", lambda: P.training_curves("history"), "history"),
    ("history empty", lambda: P.training_curves(gt.History()), "history"),
    ("smooth 0", lambda: P.training_curves(_H(), smooth=0), "smooth"),
    ("smooth float", lambda: P.training_curves(_H(), smooth=2.5), "smooth"),
    ("images rank 3", lambda: P.image_grid(torch.zeros(4, 8, 8)), "images"),
    ("images 2 channels", lambda: P.image_grid(torch.zeros(4, 2, 8, 8)), "images"),
    ("images empty", lambda: P.image_grid(torch.zeros(0, 1, 8, 8)), "images"),
    ("images nan", lambda: P.image_grid(torch.full((4, 1, 8, 8), NAN)), "images"),
    ("images str", lambda: P.image_grid("digits"), "images"),
    ("nrow 0", lambda: P.image_grid(torch.zeros(4, 1, 8, 8), nrow=0), "nrow"),
    ("nrow huge", lambda: P.image_grid(torch.zeros(4, 1, 8, 8), nrow=10**9), "nrow"),
    ("padding -1", lambda: P.image_grid(torch.zeros(4, 1, 8, 8), padding=-1), "padding"),
    ("value_range reversed", lambda: P.image_grid(torch.zeros(4, 1, 8, 8), value_range=(1, -1)), "value_range"),
    ("value_range nan", lambda: P.image_grid(torch.zeros(4, 1, 8, 8), value_range=(NAN, 1)), "value_range"),
    ("row_labels count", lambda: P.image_grid(torch.zeros(4, 1, 8, 8), nrow=2, row_labels=["a"]), "row_labels"),
]

TRAIN_CASES = [
    ("config steps str", lambda: gt.TrainConfig(steps="10"), "steps"),
    ("config d_lr bool", lambda: gt.TrainConfig(d_lr=True), "d_lr"),
    ("config g_lr inf", lambda: gt.TrainConfig(g_lr=INF), "g_lr"),
    ("config betas scalar", lambda: gt.TrainConfig(betas=0.5), "betas"),
    ("config betas str", lambda: gt.TrainConfig(betas=("a", "b")), "betas"),
    ("config penalty_weight nan", lambda: gt.TrainConfig(penalty_weight=NAN), "penalty_weight"),
    ("config penalty_weight str", lambda: gt.TrainConfig(penalty_weight="10"), "penalty_weight"),
    ("config clip bool", lambda: gt.TrainConfig(clip=True), "clip"),
    ("config seed huge", lambda: gt.TrainConfig(seed=2**64), "seed"),
    ("config device meta", lambda: gt.TrainConfig(device="meta"), "device"),
    ("config device int", lambda: gt.TrainConfig(device=0), "device"),
    ("config progress str", lambda: gt.TrainConfig(progress="no"), "progress"),
    ("config checkpoint_path int", lambda: gt.TrainConfig(checkpoint_every=1, checkpoint_path=3), "checkpoint_path"),
    ("every 0", lambda: gt.every(0, print), "n"),
    ("fit G str", lambda: gt.fit("G", gt.MLPDiscriminator(), gt.ring()), "G"),
    ("fit D str", lambda: gt.fit(gt.MLPGenerator(), "D", gt.ring()), "D"),
    ("fit data str", lambda: gt.fit(gt.MLPGenerator(), gt.MLPDiscriminator(), "ring.npy"), "data"),
    ("fit callbacks", lambda: gt.fit(gt.MLPGenerator(), gt.MLPDiscriminator(), gt.ring(), callbacks=print), "callbacks"),
    ("fit penalty", lambda: gt.fit(gt.MLPGenerator(), gt.MLPDiscriminator(), gt.ring(), penalty=3), "penalty"),
    ("fit resume_from int", lambda: gt.fit(gt.MLPGenerator(), gt.MLPDiscriminator(), gt.ring(), resume_from=3),
     "resume_from"),
    ("d_step real str", lambda: gt.d_step(gt.MLPGenerator(), gt.MLPDiscriminator(), "x", L.non_saturating,
                                          torch.optim.SGD(gt.MLPDiscriminator().parameters(), 0.1)), "real"),
    ("d_step loss", lambda: gt.d_step(gt.MLPGenerator(), gt.MLPDiscriminator(), torch.zeros(4, 2), "bce", None), "loss"),
    ("d_step opt", lambda: gt.d_step(gt.MLPGenerator(), gt.MLPDiscriminator(), torch.zeros(4, 2),
                                     L.non_saturating, "adam"), "d_opt"),
    ("d_step mixed_precision", lambda: gt.d_step(gt.MLPGenerator(), gt.MLPDiscriminator(), torch.zeros(4, 2),
                                                 L.non_saturating, None, mixed_precision="yes"), "mixed_precision"),
    ("d_step noise", lambda: gt.d_step(gt.MLPGenerator(), gt.MLPDiscriminator(), torch.zeros(4, 2),
                                       L.non_saturating, None, noise=3), "noise"),
    ("d_step real empty", lambda: gt.d_step(gt.MLPGenerator(), gt.MLPDiscriminator(), torch.zeros(0, 2),
                                            L.non_saturating, None), "real"),
    ("d_step real int", lambda: gt.d_step(gt.MLPGenerator(), gt.MLPDiscriminator(),
                                          torch.zeros(4, 2, dtype=torch.long), L.non_saturating, None), "real"),
    ("d_step real meta", lambda: gt.d_step(gt.MLPGenerator(), gt.MLPDiscriminator(),
                                           torch.zeros(4, 2, device="meta"), L.non_saturating, None), "real"),
    ("g_step batch_size 0", lambda: gt.g_step(gt.MLPGenerator(), gt.MLPDiscriminator(), 0, L.non_saturating, None),
     "batch_size"),
    ("g_step batch_size float", lambda: gt.g_step(gt.MLPGenerator(), gt.MLPDiscriminator(), 2.5,
                                                  L.non_saturating, None), "batch_size"),
    ("g_step opt", lambda: gt.g_step(gt.MLPGenerator(), gt.MLPDiscriminator(), 4, L.non_saturating, 3), "g_opt"),
    ("save_checkpoint path int", lambda: gt.save_checkpoint(3, a=1), "path"),
    ("save_checkpoint numpy", lambda: gt.save_checkpoint("/tmp/never-written.pt", a=np.zeros(2)), "a"),
    ("load_checkpoint path None", lambda: gt.load_checkpoint(None), "path"),
    ("device meta", lambda: gt.device("meta"), "spec"),
    ("seed 2**64", lambda: gt.seed(2**64), "n"),
]

DATA_CASES = [
    ("ring n_modes huge", lambda: gt.ring(n_modes=10**12), "ring"),
    ("ring radius nan", lambda: gt.ring(radius=NAN), "radius"),
    ("ring radius str", lambda: gt.ring(radius="1"), "radius"),
    ("ring std 0", lambda: gt.ring(std=0), "std"),
    ("ring std inf", lambda: gt.ring(std=INF), "std"),
    ("grid side huge", lambda: gt.grid(side=10**7), "grid"),
    ("grid spacing inf", lambda: gt.grid(spacing=INF), "spacing"),
    ("grid std -1", lambda: gt.grid(std=-1), "std"),
    ("sample huge", lambda: gt.ring().sample(10**14), "sample"),
    ("sample generator", lambda: gt.ring().sample(4, generator="rng"), "generator"),
    ("sample n float", lambda: gt.ring().sample(2.5), "n"),
]

MODULES = {"losses": LOSS_CASES, "plot": PLOT_CASES, "train": TRAIN_CASES,
           "data": DATA_CASES}
ALL = [(module, *case) for module, cases in MODULES.items() for case in cases]


@pytest.mark.parametrize("module, label, call, name", ALL, ids=[f"{m}: {c}" for m, c, *_ in ALL])
def test_bad_input_gives_a_clear_error(module, label, call, name):
    check((label, call, name))   # a clear error type, naming the parameter as a word
