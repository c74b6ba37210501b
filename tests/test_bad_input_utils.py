"""Bad-input tables of gantext.utils and gantext.widgets (issue 15): every case a TypeError or
ValueError (FileNotFoundError / IsADirectoryError for a path) naming the parameter, before any
work: no file written, no figure drawn, no widget built."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import gantext as gt  # noqa: E402
from bad_input_harness import check, ids  # noqa: E402

NAN, INF = float("nan"), float("inf")
W = gt.widgets
P1, P2 = gt.Gaussian1D(0.0, 1.0), gt.Gaussian1D(1.0, 0.5)


import tempfile  # noqa: E402

_ROOT = tempfile.TemporaryDirectory(prefix="gantext-bad-input-")   # removed when the process ends


def tmpdir():
    return tempfile.mkdtemp(prefix="gantext-bad-input-", dir=_ROOT.name)


def checkpoint_file(content: bytes):
    import os
    path = os.path.join(tmpdir(), "c.pt")
    with open(path, "wb") as f:
        f.write(content)
    return path


def valid_checkpoint():
    import os
    return gt.save_checkpoint(os.path.join(tmpdir(), "ok.pt"), step=1)


class Custom:
    pass


UTILS_CASES = [
    # device(spec)
    ("device meta", lambda: gt.device("meta"), "spec"),
    ("device torch meta", lambda: gt.device(torch.device("meta")), "spec"),
    ("device gpu", lambda: gt.device("gpu"), "spec"),
    ("device empty", lambda: gt.device(""), "spec"),
    ("device int", lambda: gt.device(0), "spec"),
    ("device None", lambda: gt.device(None), "spec"),
    ("device cpu:1", lambda: gt.device("cpu:1"), "spec"),
    ("device cuda:99", lambda: gt.device("cuda:99"), "spec"),
    # seed(n)
    ("seed -1", lambda: gt.seed(-1), "n"),
    ("seed 2**64", lambda: gt.seed(2**64), "n"),
    ("seed float", lambda: gt.seed(1.5), "n"),
    ("seed nan", lambda: gt.seed(NAN), "n"),
    ("seed str", lambda: gt.seed("3"), "n"),
    ("seed None", lambda: gt.seed(None), "n"),
    ("seed bool", lambda: gt.seed(True), "n"),
    # rng(n, device), training_streams(n, device)
    ("rng -1", lambda: gt.rng(-1), "n"),
    ("rng 2**64", lambda: gt.rng(2**64), "n"),
    ("rng float", lambda: gt.rng(0.5), "n"),
    ("rng bool", lambda: gt.rng(False), "n"),
    ("rng device meta", lambda: gt.rng(0, device="meta"), "device"),
    ("rng device int", lambda: gt.rng(0, device=1), "device"),
    ("rng device bad", lambda: gt.rng(0, device="gpu"), "device"),
    ("training_streams -1", lambda: gt.training_streams(-1), "n"),
    ("training_streams str", lambda: gt.training_streams("0"), "n"),
    ("training_streams 2**64", lambda: gt.training_streams(2**64), "n"),
    ("training_streams device meta", lambda: gt.training_streams(0, device="meta"), "device"),
    # save_checkpoint(path, **state)
    ("save path int", lambda: gt.save_checkpoint(3, a=1), "path"),
    ("save path None", lambda: gt.save_checkpoint(None, a=1), "path"),
    ("save path directory", lambda: gt.save_checkpoint(tmpdir(), a=1), "path"),
    ("save nothing", lambda: gt.save_checkpoint(tmpdir() + "/x.pt"), "keyword"),
    ("save numpy", lambda: gt.save_checkpoint(tmpdir() + "/x.pt", a=np.zeros(3)), "a"),
    ("save numpy scalar", lambda: gt.save_checkpoint(tmpdir() + "/x.pt", a=np.float64(1.0)), "a"),
    ("save module", lambda: gt.save_checkpoint(tmpdir() + "/x.pt", model=torch.nn.Linear(2, 2)), "model"),
    ("save generator", lambda: gt.save_checkpoint(tmpdir() + "/x.pt", rng=torch.Generator()), "rng"),
    ("save set", lambda: gt.save_checkpoint(tmpdir() + "/x.pt", s={1, 2}), "s"),
    ("save custom", lambda: gt.save_checkpoint(tmpdir() + "/x.pt", obj=Custom()), "obj"),
    ("save nested numpy", lambda: gt.save_checkpoint(tmpdir() + "/x.pt", d={"k": [np.ones(2)]}), "d['k'][0]"),
    ("save meta tensor", lambda: gt.save_checkpoint(tmpdir() + "/x.pt", t=torch.zeros(2, device="meta")), "t"),
    ("save key object", lambda: gt.save_checkpoint(tmpdir() + "/x.pt", d={Custom(): 1}), "d"),
    # load_checkpoint(path, map_location)
    ("load path None", lambda: gt.load_checkpoint(None), "path"),
    ("load path int", lambda: gt.load_checkpoint(3), "path"),
    ("load missing", lambda: gt.load_checkpoint(tmpdir() + "/missing.pt"), "missing.pt"),
    ("load directory", lambda: gt.load_checkpoint(tmpdir()), "gantext-bad-input-"),
    ("load empty file", lambda: gt.load_checkpoint(checkpoint_file(b"")), "c.pt"),
    ("load corrupted", lambda: gt.load_checkpoint(checkpoint_file(b"PK\x03\x04garbage" * 10)), "c.pt"),
    ("load text file", lambda: gt.load_checkpoint(checkpoint_file(b"not a checkpoint\n")), "c.pt"),
    ("load map_location int", lambda: gt.load_checkpoint(valid_checkpoint(), map_location=3), "map_location"),
    ("load map_location meta", lambda: gt.load_checkpoint(valid_checkpoint(), map_location="meta"),
     "map_location"),
    ("load map_location bad", lambda: gt.load_checkpoint(valid_checkpoint(), map_location="gpu"),
     "map_location"),
]

XS = np.linspace(-3, 3, 11)
WIDGET_CASES = [
    # draw_optimal_discriminator(p_data, p_g, xs, ax, title)
    ("draw p_data 2-D", lambda: W.draw_optimal_discriminator(gt.ring(), P2), "p_data"),
    ("draw p_g 2-D", lambda: W.draw_optimal_discriminator(P1, gt.ring()), "p_g"),
    ("draw p_data str", lambda: W.draw_optimal_discriminator("normal", P2), "p_data"),
    ("draw p_g None", lambda: W.draw_optimal_discriminator(P1, None), "p_g"),
    ("draw xs nan", lambda: W.draw_optimal_discriminator(P1, P2, xs=[0.0, NAN, 1.0]), "xs"),
    ("draw xs inf", lambda: W.draw_optimal_discriminator(P1, P2, xs=[0.0, INF]), "xs"),
    ("draw xs empty", lambda: W.draw_optimal_discriminator(P1, P2, xs=[]), "xs"),
    ("draw xs 2-D", lambda: W.draw_optimal_discriminator(P1, P2, xs=np.zeros((3, 2))), "xs"),
    ("draw xs decreasing", lambda: W.draw_optimal_discriminator(P1, P2, xs=[1.0, 0.0, -1.0]), "xs"),
    ("draw xs str", lambda: W.draw_optimal_discriminator(P1, P2, xs="grid"), "xs"),
    ("draw xs strings", lambda: W.draw_optimal_discriminator(P1, P2, xs=["a", "b"]), "xs"),
    ("draw xs meta", lambda: W.draw_optimal_discriminator(P1, P2, xs=torch.zeros(3, device="meta")), "xs"),
    ("draw xs huge", lambda: W.draw_optimal_discriminator(P1, P2, xs=np.broadcast_to(np.arange(1.0), (10**8,))),
     "xs"),
    ("draw ax", lambda: W.draw_optimal_discriminator(P1, P2, ax="ax"), "ax"),
    ("draw title", lambda: W.draw_optimal_discriminator(P1, P2, title=3), "title"),
    # optimal_discriminator_gallery(p_data, settings, xs, ncols)
    ("gallery ncols 10**7", lambda: W.optimal_discriminator_gallery(P1, [(1, 1)], ncols=10**7), "ncols"),
    ("gallery ncols 0", lambda: W.optimal_discriminator_gallery(P1, [(1, 1)], ncols=0), "ncols"),
    ("gallery ncols float", lambda: W.optimal_discriminator_gallery(P1, [(1, 1)], ncols=2.0), "ncols"),
    ("gallery ncols bool", lambda: W.optimal_discriminator_gallery(P1, [(1, 1)], ncols=True), "ncols"),
    ("gallery settings empty", lambda: W.optimal_discriminator_gallery(P1, []), "settings"),
    ("gallery settings too many", lambda: W.optimal_discriminator_gallery(P1, [(0, 1)] * 10**5), "settings"),
    ("gallery settings str", lambda: W.optimal_discriminator_gallery(P1, "ab"), "settings"),
    ("gallery settings None", lambda: W.optimal_discriminator_gallery(P1, None), "settings"),
    ("gallery settings triple", lambda: W.optimal_discriminator_gallery(P1, [(0, 1, 2)]), "settings"),
    ("gallery settings tensor", lambda: W.optimal_discriminator_gallery(P1, torch.zeros(3)), "settings"),
    ("gallery settings numbers", lambda: W.optimal_discriminator_gallery(P1, [1.0, 2.0]), "settings"),
    ("gallery std 0", lambda: W.optimal_discriminator_gallery(P1, [(0, 0)]), "std"),
    ("gallery std -1", lambda: W.optimal_discriminator_gallery(P1, [(0, 1), (0, -1)]), "std"),
    ("gallery mean nan", lambda: W.optimal_discriminator_gallery(P1, [(NAN, 1)]), "mean"),
    ("gallery mean str", lambda: W.optimal_discriminator_gallery(P1, [("1", 1)]), "mean"),
    ("gallery std bool", lambda: W.optimal_discriminator_gallery(P1, [(0, True)]), "std"),
    ("gallery std inf", lambda: W.optimal_discriminator_gallery(P1, [(0, INF)]), "std"),
    ("gallery p_data 2-D", lambda: W.optimal_discriminator_gallery(gt.ring(), [(0, 1)]), "p_data"),
    ("gallery xs nan", lambda: W.optimal_discriminator_gallery(P1, [(0, 1)], xs=[NAN, 1.0]), "xs"),
    # OptimalDiscriminatorExplorer(p_data, mean, std, xs)
    ("explorer p_data 2-D", lambda: W.OptimalDiscriminatorExplorer(gt.ring()), "p_data"),
    ("explorer p_data str", lambda: W.OptimalDiscriminatorExplorer("normal"), "p_data"),
    ("explorer std -1", lambda: W.OptimalDiscriminatorExplorer(std=-1.0), "std"),
    ("explorer std nan", lambda: W.OptimalDiscriminatorExplorer(std=NAN), "std"),
    ("explorer std above slider", lambda: W.OptimalDiscriminatorExplorer(std=10.0), "std"),
    ("explorer mean above slider", lambda: W.OptimalDiscriminatorExplorer(mean=10.0), "mean"),
    ("explorer mean inf", lambda: W.OptimalDiscriminatorExplorer(mean=-INF), "mean"),
    ("explorer mean str", lambda: W.OptimalDiscriminatorExplorer(mean="0"), "mean"),
    ("explorer mean None", lambda: W.OptimalDiscriminatorExplorer(mean=None), "mean"),
    ("explorer xs decreasing", lambda: W.OptimalDiscriminatorExplorer(xs=XS[::-1]), "xs"),
]

MODULES = {"utils": UTILS_CASES, "widgets": WIDGET_CASES}
CASES = UTILS_CASES + WIDGET_CASES


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_input_gives_a_clear_error_before_any_work(case):
    check(case)


def test_a_refused_save_writes_nothing(tmp_path):
    import os
    path = gt.save_checkpoint(tmp_path / "c.pt", step=1)
    with pytest.raises(TypeError, match="a is a ndarray"):
        gt.save_checkpoint(path, step=2, a=np.zeros(3))
    assert os.listdir(tmp_path) == ["c.pt"] and gt.load_checkpoint(path)["step"] == 1
