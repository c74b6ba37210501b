"""A typed battery of bad inputs (issue 15), independent of the hand-written tables.

Each target is a callable with a valid call and, for some of its parameters, the *kind* of value
it takes. The battery replaces one parameter at a time by every value of a list of bad values of
that kind (every one bad by construction: a str for a count, NaN for a finite number, a meta
tensor for samples, ...), so the cases are generated, not chosen one by one. Each case is a
bad-input table case ``(label, call, name, watch)`` for ``bad_input_harness``.

Forward passes of the networks read metadata only (no GPU synchronisation per call), so their
``model_input`` kind holds no NaN tensor: NaN in gives NaN out there, and ``fit``/``d_step`` catch
it on the loss. Every other tensor kind includes NaN and inf.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch
from torch import nn

import gantext as gt

NAN, INF = float("nan"), float("inf")


def _nan(*shape):
    x = torch.randn(*shape)
    x.view(-1)[::2] = NAN
    return x


def _inf(*shape):
    x = torch.randn(*shape)
    x.view(-1)[1] = -INF
    return x


COMMON_TYPES = {"str": "x", "None": None, "list": [1.0, 2.0], "object": object()}
KINDS = {
    "count>=1": {**COMMON_TYPES, "bool": True, "float": 2.5, "nan": NAN, "inf": INF, "zero": 0, "neg": -1},
    "count>=0": {**COMMON_TYPES, "bool": True, "float": 2.5, "nan": NAN, "neg": -1},
    "positive": {**COMMON_TYPES, "bool": True, "nan": NAN, "inf": INF, "zero": 0, "neg": -1.5},
    "nonneg": {**COMMON_TYPES, "bool": True, "nan": NAN, "inf": INF, "neg": -1.5},
    "finite": {**COMMON_TYPES, "bool": True, "nan": NAN, "inf": INF, "-inf": -INF},
    "bool": {"str 'no'": "no", "None": None, "int": 1, "float": 0.0},
    "module": {"str": "D", "None": None, "tensor": torch.zeros(3), "int": 3},
    "callable": {"str": "f", "None": None, "int": 3},
    "generator": {"int": 3, "str": "g", "tensor": torch.zeros(1)},
    "device": {"int": 3, "meta": "meta", "unknown": "gpu", "list": ["cpu"]},
    "text": {"int": 3, "list": ["t"]},
}


def samples(d: int = 2, n: int = 8) -> dict:
    """Bad values for a batch of samples [n, d] that the function reads the values of."""
    return {**COMMON_TYPES, "empty": torch.zeros(0, d), "rank 1": torch.zeros(n),
            "int64": torch.zeros(n, d, dtype=torch.long), "bool dtype": torch.zeros(n, d, dtype=torch.bool),
            "meta": torch.zeros(n, d, device="meta"), "nan": _nan(n, d), "inf": _inf(n, d),
            "all nan": torch.full((n, d), NAN)}


def model_input(shape: tuple[int, ...]) -> dict:
    """Bad values for a network's input of ``shape`` (metadata only: no NaN case)."""
    n, *rest = shape
    return {**COMMON_TYPES, "numpy": np.zeros(shape, np.float32), "rank 1": torch.zeros(n),
            "extra dim": torch.zeros(*shape, 1), "wrong width": torch.zeros(n, *[r + 1 for r in rest]),
            "int64": torch.zeros(shape, dtype=torch.long), "float64": torch.zeros(shape, dtype=torch.float64),
            "float16": torch.zeros(shape, dtype=torch.float16), "meta": torch.zeros(shape, device="meta")}


def weight() -> dict:
    return {**COMMON_TYPES, "rank 1": torch.zeros(3), "empty": torch.zeros(0, 3), "nan": _nan(3, 3),
            "inf": _inf(3, 3), "int64": torch.ones(3, 3, dtype=torch.long), "meta": torch.zeros(3, 3, device="meta")}


def grid() -> dict:
    return {"str": "grid", "object": object(), "empty": [], "2-D": np.zeros((3, 2)), "nan": [0.0, NAN, 1.0],
            "inf": [0.0, INF], "decreasing": [1.0, 0.0, -1.0], "strings": ["a", "b"]}


def distribution_1d() -> dict:
    return {"str": "normal", "None": None, "2-D": gt.ring(), "tensor": torch.zeros(3)}


# --- targets: (module, callable, valid kwargs, {parameter: kind or dict of bad values}) -------------

def targets() -> list[tuple]:
    torch.manual_seed(0)
    G, D = gt.MLPGenerator(2, 2, (8,)), gt.MLPDiscriminator(2, (8,))
    CG, CD = gt.DCGANGenerator(latent_dim=4, width=4), gt.DCGANDiscriminator(width=4)
    KG = gt.ConditionalDCGANGenerator(3, latent_dim=4, width=4)
    KD = gt.ConditionalDCGANDiscriminator(3, width=4)
    AD = gt.ACGANDiscriminator(3, width=4)
    X, Y, IMG, LAB = torch.randn(8, 2), torch.randn(8, 2), torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long)
    labels = {**COMMON_TYPES, "float": torch.zeros(4), "too many": torch.zeros(5, dtype=torch.long),
              "class 3": torch.full((4,), 3), "negative": torch.full((4,), -1),
              "meta": torch.zeros(4, dtype=torch.long, device="meta")}
    P1, P2 = gt.Gaussian1D(0.0, 1.0), gt.Gaussian1D(1.0, 0.5)
    M = "models"
    out = [
        (M, gt.MLPGenerator, dict(latent_dim=2, data_dim=2, hidden=(8,)),
         dict(latent_dim="count>=1", data_dim="count>=1", activation="callable", batch_norm="bool",
              hidden={"int": 8, "str": "88", "empty": (), "zero": (0,), "float": (2.5,), "huge": (10**6, 10**6)})),
        (M, gt.MLPDiscriminator, dict(data_dim=2, hidden=(8,)),
         dict(data_dim="count>=1", pack="count>=1", activation="callable", spectral_norm="bool",
              minibatch_std="bool", hidden={"None": None, "neg": (-1,), "bool": (True,)})),
        (M, G.forward, dict(z=torch.zeros(4, 2)), dict(z=model_input((4, 2)))),
        (M, G.sample, dict(n=4), dict(n={**KINDS["count>=0"], "huge": 10**14}, generator="generator")),
        (M, D.forward, dict(x=torch.zeros(4, 2)), dict(x=model_input((4, 2)))),
        (M, gt.MinibatchStdDev().forward, dict(h=torch.zeros(4, 2)),
         dict(h={**COMMON_TYPES, "empty": torch.zeros(0, 2), "rank 1": torch.zeros(4),
                 "int64": torch.zeros(4, 2, dtype=torch.long), "meta": torch.zeros(4, 2, device="meta")})),
        (M, gt.latent_noise, dict(n=4, latent_dim=2, device="cpu"),
         dict(n="count>=0", latent_dim="count>=1", device="device", generator="generator")),
        (M, gt.dcgan_init_, dict(module=nn.Linear(2, 2)), dict(module="module")),
        (M, gt.DCGANGenerator, dict(latent_dim=4, width=4),
         dict(latent_dim="count>=1", width={**KINDS["count>=1"], "huge": 10**9}, batch_norm="bool",
              image_size={**COMMON_TYPES, "10": 10, "64": 64, "float": 8.0},
              channels={**COMMON_TYPES, "2": 2, "bool": True})),
        (M, gt.DCGANDiscriminator, dict(width=4),
         dict(width="count>=1", batch_norm="bool", spectral_norm="bool", image_size={"0": 0, "str": "8"})),
        (M, CG.forward, dict(z=torch.zeros(4, 4)), dict(z=model_input((4, 4)))),
        (M, CG.sample, dict(n=4), dict(n="count>=0", generator="generator")),
        (M, CD.forward, dict(x=IMG), dict(x=model_input((4, 1, 8, 8)))),
        (M, gt.ConditionalDCGANGenerator, dict(n_classes=3, latent_dim=4, width=4),
         dict(n_classes={**KINDS["count>=1"], "huge": 10**12})),
        (M, gt.ConditionalDCGANDiscriminator, dict(n_classes=3, width=4), dict(n_classes="count>=1")),
        (M, gt.ACGANDiscriminator, dict(n_classes=3, width=4), dict(n_classes="count>=1")),
        (M, KG.forward, dict(z=torch.zeros(4, 4), labels=LAB), dict(z=model_input((4, 4)), labels=labels)),
        (M, KG.sample, dict(n=4, labels=1), dict(n="count>=0", generator="generator",
                                                  labels={"str": "1", "bool": True, "3": 3, "-1": -1, "float": 1.5})),
        (M, KD.forward, dict(x=IMG, labels=LAB), dict(x=model_input((4, 1, 8, 8)), labels=labels)),
        (M, AD.forward, dict(x=IMG, labels=LAB), dict(x=model_input((4, 1, 8, 8)), labels=labels)),
        (M, AD.classify, dict(x=IMG), dict(x=model_input((4, 1, 8, 8)))),
    ]
    P = "penalties"
    out += [
        (P, gt.penalties.interpolates, dict(real=X, fake=Y),
         dict(real=samples(), fake=samples(), generator="generator")),
        (P, gt.gradient_penalty, dict(critic=D, real=X, fake=Y),
         dict(critic="callable", real=samples(), fake=samples(), target="nonneg", generator="generator")),
        (P, gt.r1_penalty, dict(critic=D, real=X),
         dict(critic="callable", real=samples(), fake={"str": "x", "list": [1.0], "rank 1": torch.zeros(8),
                                                        "int64": torch.zeros(8, 2, dtype=torch.long)})),
        (P, gt.clip_weights_, dict(module=nn.Linear(2, 2), c=0.01), dict(module="module", c="positive")),
    ]
    L = "lipschitz"
    out += [
        (L, gt.largest_singular_value, dict(layer=torch.randn(3, 3)), dict(layer=weight())),
        (L, gt.power_iteration, dict(layer=torch.randn(3, 3)),
         dict(layer=weight(), n_iter={**KINDS["count>=1"], "huge": 10**12}, generator="generator")),
        (L, gt.lipschitz_upper_bound, dict(network=D), dict(network="module")),
        (L, gt.gradient_norms, dict(critic=D, points=X), dict(critic="module", points=samples())),
        (L, gt.lipschitz_estimate, dict(critic=D, points=X),
         dict(critic="module", points=samples(), fake=samples(), generator="generator")),
        (L, gt.wasserstein_estimate, dict(critic=D, real=X, fake=Y),
         dict(critic="module", real=samples(), fake=samples(), lipschitz="positive")),
    ]
    U = "utils"
    seed = {**KINDS["count>=0"], "2**64": 2**64}
    out += [
        (U, gt.device, dict(spec="cpu"), dict(spec={**KINDS["device"], "None": None, "cpu:1": "cpu:1"})),
        (U, gt.seed, dict(n=0), dict(n=seed)),
        (U, gt.rng, dict(n=0), dict(n=seed, device="device")),
        (U, gt.training_streams, dict(n=0), dict(n=seed, device="device")),
        (U, gt.load_checkpoint, dict(path="/nonexistent/c.pt"),
         dict(path={"int": 3, "None": None, "list": ["c.pt"]}, map_location={"int": 3, "meta": "meta", "gpu": "gpu"})),
        (U, gt.save_checkpoint, dict(path="/nonexistent-dir-for-gantext/c.pt", weights=1),
         dict(path={"int": 3, "None": None, "list": ["c.pt"]},
              weights={"ndarray": np.zeros(2), "numpy scalar": np.float32(1), "module": nn.Linear(1, 1),
                 "generator": torch.Generator(), "set": {1}, "object": object(),
                 "meta": torch.zeros(2, device="meta")})),
    ]
    W = "widgets"
    out += [
        (W, gt.widgets.draw_optimal_discriminator, dict(p_data=P1, p_g=P2),
         dict(p_data=distribution_1d(), p_g=distribution_1d(), xs=grid(), ax={"str": "ax", "int": 1}, title="text")),
        (W, gt.widgets.optimal_discriminator_gallery, dict(p_data=P1, settings=[(0.0, 1.0)]),
         dict(p_data=distribution_1d(), xs=grid(), ncols={**KINDS["count>=1"], "huge": 10**7},
              settings={"str": "ab", "None": None, "empty": [], "triple": [(0, 1, 2)], "numbers": [1.0, 2.0],
                        "std 0": [(0.0, 0.0)], "mean nan": [(NAN, 1.0)], "std inf": [(0.0, INF)],
                        "too many": [(0.0, 1.0)] * 1000})),
        (W, gt.widgets.OptimalDiscriminatorExplorer, dict(p_data=P1),
         dict(p_data={"str": "normal", "2-D": gt.ring()}, xs=grid(),
              mean={**KINDS["finite"], "outside the slider": 10.0},
              std={**KINDS["positive"], "outside the slider": 10.0})),
    ]
    th = gt.theory
    T = "theory"
    dirac = th.dirac_gan_field
    dist_pair = {"str": "normal", "None": None, "tensor": torch.zeros(3), "2-D": gt.ring()}
    points = {"str": "x", "None": None, "object": object(), "nan": [0.0, NAN], "inf": np.array([INF, 1.0]),
              "wrong width": np.zeros((3, 2)), "meta": torch.zeros(3, device="meta")}
    mc = {**KINDS["count>=1"], "one": 1, "huge": 10**13}
    out += [
        (T, th.bilinear_field, dict(x=np.zeros(2), y=np.ones(2)),
         dict(x={"str": "x", "None": None, "nan": NAN, "inf": INF, "nan array": [1.0, NAN]},
              y={"object": object(), "other shape": np.zeros(3), "inf": -INF})),
        (T, dirac, dict(theta=1.0, psi=1.0),
         dict(theta={"str": "1", "nan": NAN}, psi={"None": None, "inf": INF}, gamma="nonneg")),
        (T, th.gradient_play, dict(field=th.bilinear_field, start=(1.0, 0.0), lr=0.1, steps=3),
         dict(field="callable", lr="positive", steps={**KINDS["count>=0"], "huge": 10**15}, alternating="bool",
              start={"str": "ab", "None": None, "three": (1.0, 2.0, 3.0), "nan": (NAN, 0.0), "strings": ("a", "b")})),
        (T, th.wasserstein1, dict(p=P1, q=P2), dict(p=dist_pair, q={**dist_pair, "2-D": gt.ring()})),
        (T, th.wasserstein1, dict(p=np.zeros(4), q=np.ones(3)),
         dict(p={"str": "x", "empty": [], "2-D": np.zeros((3, 2)), "nan": [0.0, NAN], "meta": torch.zeros(3, device="meta")},
              q={"inf": [INF], "object": object(), "None": None})),
        (T, th.optimal_logit, dict(p_data=P1, p_g=P2, x=np.zeros(3)),
         dict(p_data=dist_pair, p_g=dist_pair, x=points)),
        (T, th.optimal_discriminator, dict(p_data=P1, p_g=P2, x=np.zeros(3)),
         dict(p_data=dist_pair, p_g=dist_pair, x=points)),
        (T, th.value, dict(D=lambda x: torch.zeros(x.shape[0]), p_data=P1, p_g=P2, logits=True),
         dict(D={"float": 0.5, "str": "D", "None": None, "NaN logits": lambda x: torch.full((x.shape[0],), NAN)},
              p_data=dist_pair, p_g=dist_pair, logits="bool", n_samples=mc, generator="generator")),
        (T, th.kl_divergence, dict(p=P1, q=P2), dict(p=dist_pair, q=dist_pair, n_samples=mc, generator="generator")),
        (T, th.jensen_shannon, dict(p=P1, q=P2), dict(p=dist_pair, q=dist_pair, n_samples=mc, generator="generator")),
        (T, th.total_variation, dict(p=P1, q=P2), dict(p=dist_pair, q=dist_pair, n_samples=mc, generator="generator")),
        (T, th.Estimate, dict(value=0.5, method="quadrature"),
         dict(value={"str": "0.5", "None": None, "list": [0.5]}, method={"unknown": "guess", "int": 1},
              stderr={"neg": -1.0, "nan": NAN, "str": "0"})),
    ]
    flat = lambda x: x.flatten(1)                                                 # noqa: E731
    R, F = torch.randn(20, 3), torch.randn(20, 3)
    image_sets = {**COMMON_TYPES, "numpy": np.zeros((20, 3)), "empty": torch.zeros(0, 3), "nan": _nan(20, 3),
                  "inf": _inf(20, 3), "all nan": torch.full((20, 3), NAN), "meta": torch.zeros(20, 3, device="meta")}
    feats = {"str": "inception", "int": 3, "scalar out": lambda x: x.sum(), "nan out": lambda x: x * NAN}
    batch = {**KINDS["count>=1"]}
    me = gt.metrics
    MT = "metrics"
    vec = {"str": "x", "None": None, "nan": [NAN, 0.0], "matrix": np.zeros((2, 2)), "empty": [],
           "meta": torch.zeros(2, device="meta")}
    cov = {"str": "x", "None": None, "nan": np.full((2, 2), NAN), "vector": np.zeros(2), "wrong size": np.eye(3),
           "asymmetric": np.array([[1.0, 0.5], [0.0, 1.0]]), "not PSD": np.diag([1.0, -1.0])}
    out += [
        (MT, me.frechet_distance, dict(mu1=np.zeros(2), sigma1=np.eye(2), mu2=np.zeros(2), sigma2=np.eye(2)),
         dict(mu1=vec, sigma1=cov, mu2=vec, sigma2=cov)),
        (MT, me.feature_statistics, dict(features=np.random.default_rng(0).normal(size=(5, 2))),
         dict(features={**COMMON_TYPES, "one row": np.zeros((1, 2)), "nan": _nan(5, 2), "rank 1": np.zeros(5),
                        "meta": torch.zeros(5, 2, device="meta")})),
        (MT, me.fid, dict(real=R, fake=F, features=flat),
         dict(real=image_sets, fake=image_sets, features=feats, batch_size=batch)),
        (MT, me.kid, dict(real=R, fake=F, features=flat),
         dict(real=image_sets, fake=image_sets, features=feats, batch_size=batch, degree="count>=1",
              gamma={**KINDS["positive"], "None": 0}, coef0="finite")),
        (MT, me.inception_score, dict(probs=torch.full((20, 4), 0.25)),
         dict(probs={**COMMON_TYPES, "nan": torch.full((20, 4), NAN), "rows not 1": torch.full((20, 4), 0.3),
                     "negative": torch.tensor([[1.5, -0.5]] * 20), "rank 3": torch.full((20, 4, 1), 0.25),
                     "empty": torch.zeros(0, 4), "meta": torch.zeros(20, 4, device="meta")},
              splits={**KINDS["count>=1"], "more than n": 21})),
        (MT, me.inception_score, dict(logits=torch.zeros(20, 4)),
         dict(logits={"str": "x", "nan": torch.full((20, 4), NAN), "inf": _inf(20, 4), "rank 1": torch.zeros(20)})),
        (MT, me.precision_recall, dict(real=R, fake=F, features=flat),
         dict(real=image_sets, fake=image_sets, features=feats, batch_size=batch,
              k={**KINDS["count>=1"], "too large": 20})),
        (MT, me.density_coverage, dict(real=R, fake=F, features=flat),
         dict(real=image_sets, fake=image_sets, features=feats, batch_size=batch,
              k={**KINDS["count>=1"], "too large": 20})),
    ]
    ring = gt.ring()
    C = "coverage"
    out += [
        (C, gt.mode_coverage, dict(samples=torch.zeros(10, 2), means=ring.means, std=0.1),
         dict(samples={**COMMON_TYPES, "empty": torch.zeros(0, 2), "rank 1": torch.zeros(10),
                       "wrong width": torch.zeros(10, 3), "nan": _nan(10, 2), "inf": _inf(10, 2),
                       "meta": torch.zeros(10, 2, device="meta"), "bool": torch.zeros(10, 2, dtype=torch.bool)},
              means={"str": "x", "None": None, "rank 1": torch.zeros(8), "empty": torch.zeros(0, 2),
                     "nan": _nan(8, 2)},
              std={"str": "0.1", "None": None, "zero": 0.0, "neg": -0.1, "nan": NAN, "inf": INF,
                   "wrong count": [0.1, 0.1]},
              threshold="positive")),
    ]
    CL = "classifier"
    clf = gt.classifier.DigitsClassifier(hidden=8)
    out += [
        (CL, gt.classifier.DigitsClassifier, dict(hidden=8), dict(hidden={**KINDS["count>=1"], "huge": 10**12})),
        (CL, clf.features, dict(x=torch.zeros(4, 1, 8, 8)),
         dict(x={**COMMON_TYPES, "flat": torch.zeros(4, 64), "16x16": torch.zeros(4, 1, 16, 16),
                 "meta": torch.zeros(4, 1, 8, 8, device="meta"), "bool": torch.zeros(4, 1, 8, 8, dtype=torch.bool)})),
        (CL, clf.forward, dict(x=torch.zeros(4, 1, 8, 8)), dict(x={"str": "x", "rank 2": torch.zeros(4, 64)})),
    ]
    PZ = "parzen"
    pz = gt.parzen
    centres = {**COMMON_TYPES, "empty": torch.zeros(0, 2), "nan": _nan(5, 2), "inf": _inf(5, 2),
               "meta": torch.zeros(5, 2, device="meta"), "rank 1": torch.zeros(5)}
    out += [
        (PZ, pz.parzen_log_prob, dict(centres=torch.zeros(5, 2), x=torch.zeros(4, 2), sigma=0.1),
         dict(centres=centres, x={**centres, "wrong width": torch.zeros(4, 3)}, sigma="positive",
              batch_size={**KINDS["count>=1"]})),
        (PZ, pz.parzen_log_prob, dict(centres=torch.zeros(10**5, 1), x=torch.zeros(10**5, 1), sigma=0.1),
         dict(batch_size={"huge block": 10**5})),
        (PZ, pz.parzen_log_likelihood, dict(samples=torch.zeros(5, 2), test=torch.zeros(4, 2), sigma=0.1),
         dict(samples=centres, test={**centres, "wrong width": torch.zeros(4, 3)}, sigma="positive",
              batch_size=KINDS["count>=1"], validation={"given with sigma": torch.zeros(3, 2)},
              sigmas={"given with sigma": [0.1]})),
        (PZ, pz.parzen_log_likelihood, dict(samples=torch.zeros(5, 2), test=torch.zeros(4, 2), sigmas=[0.1, 0.2],
                                            validation=torch.zeros(3, 2)),
         dict(sigmas={"str": "ab", "nan": [0.1, NAN], "zero": [0.0], "empty": [], "None and no sigma": None},
              validation={"nan": _nan(3, 2), "wrong width": torch.zeros(3, 3), "None": None, "str": "v"})),
    ]
    CR = "critic"
    Dc = nn.Linear(1, 1)
    out += [
        (CR, gt.fit_discriminator, dict(D=Dc, real=P1, fake=P2, steps=2, batch_size=4),
         dict(D={"str": "D", "None": None, "no parameters": nn.ReLU()},
              real={"str": "x", "None": None, "nan": _nan(8, 1), "int64": torch.zeros(8, 1, dtype=torch.long)},
              fake={"list": [1.0], "inf": _inf(8, 1), "meta": torch.zeros(8, 1, device="meta")},
              loss={"str": "bce", "None": None}, steps={**KINDS["count>=1"], "huge": 10**15},
              batch_size=KINDS["count>=1"], seed={**KINDS["count>=0"], "2**64": 2**64},
              lr={"zero": 0.0, "nan": NAN, "str": "1e-3"}, betas={"scalar": 0.5, "above 1": (0.5, 1.5), "nan": (NAN, 0.9)},
              penalty={"str": "gp", "int": 3}, penalty_weight="nonneg", clip={"zero": 0.0, "nan": NAN, "str": "0.1"},
              opt={"str": "adam", "other model": torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)})),
    ]
    return out


def cases() -> dict[str, list]:
    """module -> bad-input cases, one per (target, parameter, bad value)."""
    by_module: dict[str, list] = {}
    for module, fn, valid, params in targets():
        name = getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))
        models = [m for m in valid.values() if isinstance(m, nn.Module)]
        owner = getattr(fn, "__self__", None)
        if isinstance(owner, nn.Module):
            models.append(owner)
        watch = (lambda ms=tuple(models): list(ms)) if models else None
        try:
            signature = inspect.signature(fn).parameters
        except (TypeError, ValueError):  # pragma: no cover - every target has a signature
            signature = {}
        for param, kind in params.items():
            bad_values = KINDS[kind] if isinstance(kind, str) else kind
            optional = param in signature and signature[param].default is None
            for label, bad in bad_values.items():
                if bad is None and optional:
                    continue    # None is this parameter's default: not a bad value
                kwargs = {**valid, param: bad}
                case = (f"{name}({param}={label})", lambda f=fn, k=kwargs: f(**k), param)
                by_module.setdefault(module, []).append(case + ((watch,) if watch else ()))
    return by_module
