"""Bad-input table of gantext.models (issue 15): every case a TypeError/ValueError naming the
parameter, raised before any work (the watched models' weights and batch-norm statistics are
unchanged)."""

import numpy as np
import pytest
import torch
from torch import nn

import gantext as gt
from bad_input_harness import check, ids

NAN, INF = float("nan"), float("inf")
HUGE = 10**9     # a width whose network cannot fit in memory (over 10**10 weights)

torch.manual_seed(0)
G = gt.MLPGenerator(2, 2, (8,), batch_norm=True)          # batch norm: a forward would change it
D = gt.MLPDiscriminator(2, (8,), minibatch_std=True)
DP = gt.MLPDiscriminator(2, (8,), pack=2)
CG = gt.DCGANGenerator(latent_dim=4, width=4)
CD = gt.DCGANDiscriminator(width=4)
KG = gt.ConditionalDCGANGenerator(n_classes=3, latent_dim=4, width=4)
KD = gt.ConditionalDCGANDiscriminator(n_classes=3, width=4)
AD = gt.ACGANDiscriminator(n_classes=3, width=4)
STD = gt.MinibatchStdDev()
Z, X, IMG = torch.zeros(4, 2), torch.zeros(4, 2), torch.zeros(4, 1, 8, 8)
LABELS = torch.zeros(4, dtype=torch.long)
ALL = [G, D, DP, CG, CD, KG, KD, AD]


def watched():
    return ALL


def meta(*shape):
    return torch.zeros(*shape, device="meta")


CASES = [
    # MLPGenerator(latent_dim, data_dim, hidden, activation, batch_norm)
    ("MLPGenerator latent_dim 0", lambda: gt.MLPGenerator(0), "latent_dim"),
    ("MLPGenerator latent_dim -1", lambda: gt.MLPGenerator(-1), "latent_dim"),
    ("MLPGenerator latent_dim float", lambda: gt.MLPGenerator(2.0), "latent_dim"),
    ("MLPGenerator latent_dim str", lambda: gt.MLPGenerator("2"), "latent_dim"),
    ("MLPGenerator latent_dim None", lambda: gt.MLPGenerator(None), "latent_dim"),
    ("MLPGenerator latent_dim bool", lambda: gt.MLPGenerator(True), "latent_dim"),
    ("MLPGenerator latent_dim nan", lambda: gt.MLPGenerator(NAN), "latent_dim"),
    ("MLPGenerator data_dim 0", lambda: gt.MLPGenerator(2, 0), "data_dim"),
    ("MLPGenerator data_dim inf", lambda: gt.MLPGenerator(2, INF), "data_dim"),
    ("MLPGenerator hidden empty", lambda: gt.MLPGenerator(hidden=()), "hidden"),
    ("MLPGenerator hidden int", lambda: gt.MLPGenerator(hidden=8), "hidden"),
    ("MLPGenerator hidden str", lambda: gt.MLPGenerator(hidden="88"), "hidden"),
    ("MLPGenerator hidden None", lambda: gt.MLPGenerator(hidden=None), "hidden"),
    ("MLPGenerator hidden negative", lambda: gt.MLPGenerator(hidden=(8, -1)), "hidden"),
    ("MLPGenerator hidden float", lambda: gt.MLPGenerator(hidden=(8.5,)), "hidden"),
    ("MLPGenerator hidden bool", lambda: gt.MLPGenerator(hidden=(True,)), "hidden"),
    ("MLPGenerator hidden huge", lambda: gt.MLPGenerator(hidden=(10**6, 10**6)), "hidden"),
    ("MLPGenerator latent_dim huge", lambda: gt.MLPGenerator(10**12, 2, (8,)), "latent_dim"),
    ("MLPGenerator activation", lambda: gt.MLPGenerator(activation="relu"), "activation"),
    ("MLPGenerator batch_norm str", lambda: gt.MLPGenerator(batch_norm="no"), "batch_norm"),
    ("MLPGenerator batch_norm int", lambda: gt.MLPGenerator(batch_norm=1), "batch_norm"),
    # MLPGenerator.forward / sample
    ("G(z) str", lambda: G("z"), "z", watched),
    ("G(z) None", lambda: G(None), "z", watched),
    ("G(z) list", lambda: G([[0.0, 0.0]] * 4), "z", watched),
    ("G(z) rank 1", lambda: G(torch.zeros(2)), "z", watched),
    ("G(z) rank 3", lambda: G(torch.zeros(4, 2, 1)), "z", watched),
    ("G(z) wrong width", lambda: G(torch.zeros(4, 3)), "z", watched),
    ("G(z) int64", lambda: G(torch.zeros(4, 2, dtype=torch.long)), "z", watched),
    ("G(z) float64", lambda: G(torch.zeros(4, 2, dtype=torch.float64)), "z", watched),
    ("G(z) float16", lambda: G(torch.zeros(4, 2, dtype=torch.float16)), "z", watched),
    ("G(z) bool", lambda: G(torch.zeros(4, 2, dtype=torch.bool)), "z", watched),
    ("G(z) meta", lambda: G(meta(4, 2)), "z", watched),
    ("G(z) numpy", lambda: G(np.zeros((4, 2), np.float32)), "z", watched),
    ("G.sample -1", lambda: G.sample(-1), "n", watched),
    ("G.sample float", lambda: G.sample(2.5), "n", watched),
    ("G.sample str", lambda: G.sample("4"), "n", watched),
    ("G.sample None", lambda: G.sample(None), "n", watched),
    ("G.sample bool", lambda: G.sample(True), "n", watched),
    ("G.sample huge", lambda: G.sample(10**14), "n=", watched),
    ("G.sample generator int", lambda: G.sample(4, generator=3), "generator", watched),
    ("G.sample generator str", lambda: G.sample(4, generator="rng"), "generator", watched),
    # MLPDiscriminator(data_dim, hidden, activation, spectral_norm, minibatch_std, pack)
    ("MLPDiscriminator data_dim 0", lambda: gt.MLPDiscriminator(0), "data_dim"),
    ("MLPDiscriminator data_dim float", lambda: gt.MLPDiscriminator(2.0), "data_dim"),
    ("MLPDiscriminator data_dim None", lambda: gt.MLPDiscriminator(None), "data_dim"),
    ("MLPDiscriminator hidden empty", lambda: gt.MLPDiscriminator(hidden=[]), "hidden"),
    ("MLPDiscriminator hidden str", lambda: gt.MLPDiscriminator(hidden="x"), "hidden"),
    ("MLPDiscriminator hidden zero", lambda: gt.MLPDiscriminator(hidden=(0,)), "hidden"),
    ("MLPDiscriminator hidden huge", lambda: gt.MLPDiscriminator(hidden=(10**6, 10**6)), "hidden"),
    ("MLPDiscriminator pack 0", lambda: gt.MLPDiscriminator(pack=0), "pack"),
    ("MLPDiscriminator pack float", lambda: gt.MLPDiscriminator(pack=1.5), "pack"),
    ("MLPDiscriminator pack huge", lambda: gt.MLPDiscriminator(2, (10**4,), pack=10**9), "pack"),
    ("MLPDiscriminator spectral_norm 'no'", lambda: gt.MLPDiscriminator(spectral_norm="no"), "spectral_norm"),
    ("MLPDiscriminator spectral_norm None", lambda: gt.MLPDiscriminator(spectral_norm=None), "spectral_norm"),
    ("MLPDiscriminator minibatch_std 1", lambda: gt.MLPDiscriminator(minibatch_std=1), "minibatch_std"),
    ("MLPDiscriminator activation", lambda: gt.MLPDiscriminator(activation=nn.ReLU()(torch.zeros(1))),
     "activation"),
    ("D(x) str", lambda: D("x"), "x", watched),
    ("D(x) rank 1", lambda: D(torch.zeros(4)), "x", watched),
    ("D(x) wrong width", lambda: D(torch.zeros(4, 3)), "x", watched),
    ("D(x) int64", lambda: D(torch.zeros(4, 2, dtype=torch.long)), "x", watched),
    ("D(x) float64", lambda: D(torch.zeros(4, 2, dtype=torch.float64)), "x", watched),
    ("D(x) meta", lambda: D(meta(4, 2)), "x", watched),
    ("D(x) numpy", lambda: D(np.zeros((4, 2), np.float32)), "x", watched),
    ("D(x) pack remainder", lambda: DP(torch.zeros(3, 2)), "x", watched),
    ("MinibatchStdDev str", lambda: STD("h"), "h"),
    ("MinibatchStdDev empty", lambda: STD(torch.zeros(0, 3)), "h"),
    ("MinibatchStdDev rank 1", lambda: STD(torch.zeros(3)), "h"),
    ("MinibatchStdDev int", lambda: STD(torch.zeros(3, 2, dtype=torch.long)), "h"),
    ("MinibatchStdDev meta", lambda: STD(meta(3, 2)), "h"),
    # latent_noise(n, latent_dim, device, generator)
    ("latent_noise n -1", lambda: gt.latent_noise(-1, 2, "cpu"), "n"),
    ("latent_noise n float", lambda: gt.latent_noise(2.5, 2, "cpu"), "n"),
    ("latent_noise n huge", lambda: gt.latent_noise(10**12, 10**3, "cpu"), "n="),
    ("latent_noise latent_dim 0", lambda: gt.latent_noise(4, 0, "cpu"), "latent_dim"),
    ("latent_noise latent_dim str", lambda: gt.latent_noise(4, "2", "cpu"), "latent_dim"),
    ("latent_noise device int", lambda: gt.latent_noise(4, 2, 3), "device"),
    ("latent_noise device meta", lambda: gt.latent_noise(4, 2, "meta"), "device"),
    ("latent_noise device bad", lambda: gt.latent_noise(4, 2, "gpu"), "device"),
    ("latent_noise generator", lambda: gt.latent_noise(4, 2, "cpu", generator=0), "generator"),
    # dcgan_init_
    ("dcgan_init_ str", lambda: gt.dcgan_init_("G"), "module"),
    ("dcgan_init_ tensor", lambda: gt.dcgan_init_(torch.zeros(3)), "module"),
    # DCGANGenerator / DCGANDiscriminator construction
    ("DCGANGenerator image_size 64", lambda: gt.DCGANGenerator(image_size=64), "image_size"),
    ("DCGANGenerator image_size float", lambda: gt.DCGANGenerator(image_size=8.0), "image_size"),
    ("DCGANGenerator image_size str", lambda: gt.DCGANGenerator(image_size="8"), "image_size"),
    ("DCGANGenerator channels 2", lambda: gt.DCGANGenerator(channels=2), "channels"),
    ("DCGANGenerator channels None", lambda: gt.DCGANGenerator(channels=None), "channels"),
    ("DCGANGenerator width 0", lambda: gt.DCGANGenerator(width=0), "width"),
    ("DCGANGenerator width float", lambda: gt.DCGANGenerator(width=8.0), "width"),
    ("DCGANGenerator width huge", lambda: gt.DCGANGenerator(width=HUGE), "width"),
    ("DCGANGenerator latent_dim 0", lambda: gt.DCGANGenerator(latent_dim=0), "latent_dim"),
    ("DCGANGenerator latent_dim huge", lambda: gt.DCGANGenerator(latent_dim=10**12), "latent_dim"),
    ("DCGANGenerator batch_norm str", lambda: gt.DCGANGenerator(batch_norm="yes"), "batch_norm"),
    ("DCGANDiscriminator image_size 10", lambda: gt.DCGANDiscriminator(image_size=10), "image_size"),
    ("DCGANDiscriminator channels bool", lambda: gt.DCGANDiscriminator(channels=True), "channels"),
    ("DCGANDiscriminator width -4", lambda: gt.DCGANDiscriminator(width=-4), "width"),
    ("DCGANDiscriminator width huge", lambda: gt.DCGANDiscriminator(width=HUGE), "width"),
    ("DCGANDiscriminator spectral_norm 'no'", lambda: gt.DCGANDiscriminator(spectral_norm="no"), "spectral_norm"),
    ("DCGANDiscriminator batch_norm 0", lambda: gt.DCGANDiscriminator(batch_norm=0), "batch_norm"),
    # DCGAN forwards and sample
    ("CG(z) str", lambda: CG("z"), "z", watched),
    ("CG(z) wrong width", lambda: CG(torch.zeros(4, 5)), "z", watched),
    ("CG(z) image shaped", lambda: CG(torch.zeros(4, 4, 1, 1)), "z", watched),
    ("CG(z) int64", lambda: CG(torch.zeros(4, 4, dtype=torch.long)), "z", watched),
    ("CG(z) float64", lambda: CG(torch.zeros(4, 4, dtype=torch.float64)), "z", watched),
    ("CG(z) meta", lambda: CG(meta(4, 4)), "z", watched),
    ("CG.sample -1", lambda: CG.sample(-1), "n", watched),
    ("CG.sample huge", lambda: CG.sample(10**12), "n=", watched),
    ("CG.sample generator", lambda: CG.sample(2, generator=1), "generator", watched),
    ("CD(x) str", lambda: CD("x"), "x", watched),
    ("CD(x) flat", lambda: CD(torch.zeros(4, 64)), "x", watched),
    ("CD(x) 16x16", lambda: CD(torch.zeros(4, 1, 16, 16)), "x", watched),
    ("CD(x) 3 channels", lambda: CD(torch.zeros(4, 3, 8, 8)), "x", watched),
    ("CD(x) uint8", lambda: CD(torch.zeros(4, 1, 8, 8, dtype=torch.uint8)), "x", watched),
    ("CD(x) float16", lambda: CD(torch.zeros(4, 1, 8, 8, dtype=torch.float16)), "x", watched),
    ("CD(x) meta", lambda: CD(meta(4, 1, 8, 8)), "x", watched),
    # conditional models
    ("ConditionalDCGANGenerator n_classes 0", lambda: gt.ConditionalDCGANGenerator(n_classes=0), "n_classes"),
    ("ConditionalDCGANGenerator n_classes float", lambda: gt.ConditionalDCGANGenerator(n_classes=2.0),
     "n_classes"),
    ("ConditionalDCGANGenerator n_classes huge", lambda: gt.ConditionalDCGANGenerator(n_classes=10**12),
     "n_classes"),
    ("ConditionalDCGANDiscriminator n_classes -1", lambda: gt.ConditionalDCGANDiscriminator(n_classes=-1),
     "n_classes"),
    ("ConditionalDCGANDiscriminator n_classes huge",
     lambda: gt.ConditionalDCGANDiscriminator(n_classes=10**12), "n_classes"),
    ("ACGANDiscriminator n_classes None", lambda: gt.ACGANDiscriminator(n_classes=None), "n_classes"),
    ("ACGANDiscriminator n_classes huge", lambda: gt.ACGANDiscriminator(n_classes=10**12), "n_classes"),
    ("KG labels missing class", lambda: KG(torch.zeros(4, 4), torch.tensor([0, 1, 2, 3])), "labels", watched),
    ("KG labels negative", lambda: KG(torch.zeros(4, 4), torch.tensor([0, -1, 2, 0])), "labels", watched),
    ("KG labels float", lambda: KG(torch.zeros(4, 4), torch.zeros(4)), "labels", watched),
    ("KG labels shape", lambda: KG(torch.zeros(4, 4), torch.zeros(3, dtype=torch.long)), "labels", watched),
    ("KG labels meta", lambda: KG(torch.zeros(4, 4), torch.zeros(4, dtype=torch.long, device="meta")),
     "labels", watched),
    ("KG labels list", lambda: KG(torch.zeros(4, 4), [0, 1, 2, 0]), "labels", watched),
    ("KG z meta", lambda: KG(meta(4, 4), LABELS), "z", watched),
    ("KG.sample class 3", lambda: KG.sample(4, 3), "labels", watched),
    ("KG.sample class -1", lambda: KG.sample(4, -1), "labels", watched),
    ("KG.sample class bool", lambda: KG.sample(4, True), "labels", watched),
    ("KG.sample class str", lambda: KG.sample(4, "2"), "labels", watched),
    ("KG.sample n -2", lambda: KG.sample(-2, 0), "n", watched),
    ("KG.sample labels length", lambda: KG.sample(4, torch.zeros(5, dtype=torch.long)), "labels", watched),
    ("KD labels 3", lambda: KD(IMG, torch.full((4,), 3)), "labels", watched),
    ("KD labels float", lambda: KD(IMG, torch.zeros(4)), "labels", watched),
    ("KD x meta", lambda: KD(meta(4, 1, 8, 8), LABELS), "x", watched),
    ("KD x shape", lambda: KD(torch.zeros(4, 1, 8), LABELS), "x", watched),
    ("AD labels 10", lambda: AD(IMG, torch.tensor([10, -1, 0, 0])), "labels", watched),
    ("AD labels -100", lambda: AD(IMG, torch.full((4,), -100)), "labels", watched),
    ("AD labels None", lambda: AD(IMG, None), "labels", watched),
    ("AD x int", lambda: AD(torch.zeros(4, 1, 8, 8, dtype=torch.long), LABELS), "x", watched),
    ("AD.classify str", lambda: AD.classify("x"), "x", watched),
    ("AD.classify meta", lambda: AD.classify(meta(4, 1, 8, 8)), "x", watched),
]

MODULES = {"models": CASES}


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_input_gives_a_clear_error_before_any_work(case):
    check(case)


def test_valid_calls_still_work_and_train_mode_forward_changes_batch_norm():
    """The watch is meaningful: a valid training-mode forward does change G's batch-norm
    statistics, so an unchanged state after a bad call means the call stopped before work."""
    from bad_input_harness import same, snapshot
    before = snapshot([G])
    G(torch.randn(4, 2))
    assert not same(before, snapshot([G]))
    assert KG(torch.zeros(4, 4), torch.tensor([0, 1, 2, 0])).shape == (4, 1, 8, 8)
    assert AD(IMG, LABELS).class_logits.shape == (4, 3)


@pytest.mark.parametrize("image_size", [8, 16, 28, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_memory_estimate_counts_the_weights_exactly(image_size, channels):
    """The size check refuses only networks that cannot fit: its count of weights is exact for
    every architecture (so no network that fits is refused)."""
    from gantext.models._common import _mlp_params
    from gantext.models.dcgan import _BASE_SIZES, _conv_params
    base = _BASE_SIZES[image_size]
    layers = (image_size // base).bit_length() - 1
    for width in (4, 8):
        G = gt.DCGANGenerator(latent_dim=5, image_size=image_size, channels=channels, width=width)
        D = gt.DCGANDiscriminator(image_size=image_size, channels=channels, width=width)
        for model, estimate in ((G, _conv_params(5, width, layers, base, channels, generator=True)),
                                (D, _conv_params(channels, width, layers, base, 1, generator=False))):
            assert estimate == sum(p.numel() for p in model.parameters() if p.dim() > 1)
    mlp = gt.MLPGenerator(3, 2, (7, 5), batch_norm=True)
    assert _mlp_params((3, 7, 5, 2), batch_norm=True) == sum(p.numel() for p in mlp.parameters())


def test_other_float_dtypes_pass_under_autocast_only():
    """Mixed precision (fit's bf16 autocast) feeds bf16 activations to float32 networks: the dtype
    check lets them through under autocast and refuses them outside it."""
    D = gt.MLPDiscriminator(2, (8,))
    x = torch.randn(4, 2).bfloat16()
    with pytest.raises(TypeError, match="x must have the model's dtype torch.float32"):
        D(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert D(x).shape == (4,)
        assert gt.DCGANDiscriminator(width=4)(torch.randn(2, 1, 8, 8).bfloat16()).shape == (2,)
