"""Bad-input tables of gantext.theory, gantext.metrics, gantext.coverage, gantext.parzen,
gantext.classifier and gantext.critic (issue 15), starting from the reliability review's own
reproductions (NaN rows that gave plausible precision/recall, ``bilinear_field(None, y)``, huge
sizes). Every case a TypeError/ValueError naming the parameter, before any work (a refused
fit_discriminator leaves D unchanged)."""

import numpy as np
import pytest
import torch
from torch import nn

import gantext as gt
from bad_input_harness import check, ids

NAN, INF = float("nan"), float("inf")
th = gt.theory
P, Q = gt.Gaussian1D(0.0, 1.0), gt.Gaussian1D(1.5, 0.5)
identity = lambda x: x            # noqa: E731 - features computed beforehand
torch.manual_seed(0)
REAL, FAKE = torch.randn(64, 2), torch.randn(64, 2)
D_CRITIC = nn.Linear(1, 1)


def one_nan_row(x):
    x = x.clone()
    x[5] = NAN
    return x


def watched():
    return [D_CRITIC]


THEORY_CASES = [
    ("bilinear_field x None", lambda: th.bilinear_field(None, 1.0), "x"),
    ("bilinear_field y nan", lambda: th.bilinear_field(1.0, NAN), "y"),
    ("bilinear_field shapes", lambda: th.bilinear_field(np.zeros(2), np.zeros(3)), "x and y"),
    ("dirac_gan_field gamma -0.1", lambda: th.dirac_gan_field(1.0, 1.0, gamma=-0.1), "gamma"),
    ("dirac_gan_field gamma str", lambda: th.dirac_gan_field(1.0, 1.0, gamma="1"), "gamma"),
    ("dirac_gan_field theta inf", lambda: th.dirac_gan_field(INF, 1.0), "theta"),
    ("gradient_play field", lambda: th.gradient_play("field", (1.0, 0.0), 0.1, 3), "field"),
    ("gradient_play start 3 numbers", lambda: th.gradient_play(th.bilinear_field, (1, 2, 3), 0.1, 3), "start"),
    ("gradient_play start nan", lambda: th.gradient_play(th.bilinear_field, (NAN, 0.0), 0.1, 3), "start"),
    ("gradient_play lr 0", lambda: th.gradient_play(th.bilinear_field, (1.0, 0.0), 0.0, 3), "lr"),
    ("gradient_play lr inf", lambda: th.gradient_play(th.bilinear_field, (1.0, 0.0), INF, 3), "lr"),
    ("gradient_play steps float", lambda: th.gradient_play(th.bilinear_field, (1.0, 0.0), 0.1, 2.5), "steps"),
    ("gradient_play steps huge", lambda: th.gradient_play(th.bilinear_field, (1.0, 0.0), 0.1, 10**15), "steps"),
    ("gradient_play alternating 'no'", lambda: th.gradient_play(th.bilinear_field, (1.0, 0.0), 0.1, 3,
                                                                alternating="no"), "alternating"),
    ("wasserstein1 samples nan", lambda: th.wasserstein1(np.array([0.0, NAN]), np.zeros(3)), "p"),
    ("wasserstein1 samples str", lambda: th.wasserstein1("abc", np.zeros(3)), "p"),
    ("wasserstein1 mixed", lambda: th.wasserstein1(P, np.zeros(3)), "q"),
    ("wasserstein1 2-D samples", lambda: th.wasserstein1(np.zeros((3, 2)), np.zeros(3)), "p"),
    ("optimal_discriminator x nan", lambda: th.optimal_discriminator(P, Q, [0.0, NAN]), "x"),
    ("optimal_discriminator x str", lambda: th.optimal_discriminator(P, Q, "grid"), "x"),
    ("optimal_logit p_g str", lambda: th.optimal_logit(P, "q", [0.0]), "p_g"),
    ("value D NaN logits", lambda: th.value(lambda x: torch.full((x.shape[0],), NAN), P, Q, logits=True), "D"),
    ("value logits 'yes'", lambda: th.value(lambda x: torch.zeros(x.shape[0]), P, Q, logits="yes"), "logits"),
    ("value n_samples huge", lambda: th.value(lambda x: torch.zeros(x.shape[0]), P, Q, logits=True,
                                              n_samples=10**13), "n_samples"),
    ("value generator", lambda: th.value(lambda x: torch.zeros(x.shape[0]), P, Q, logits=True, n_samples=10,
                                         generator=0), "generator"),
    ("kl n_samples 1", lambda: th.kl_divergence(P, Q, n_samples=1), "n_samples"),
    ("kl n_samples float", lambda: th.kl_divergence(P, Q, n_samples=100.0), "n_samples"),
    ("jensen_shannon generator", lambda: th.jensen_shannon(P, Q, n_samples=10, generator="g"), "generator"),
    ("jensen_shannon q None", lambda: th.jensen_shannon(P, None), "q"),
    ("total_variation n_samples huge", lambda: th.total_variation(gt.ring(), gt.grid(), n_samples=10**13),
     "n_samples"),
    ("Estimate method", lambda: th.Estimate(0.5, "guess"), "method"),
    ("Estimate stderr -1", lambda: th.Estimate(0.5, "monte carlo", -1.0), "stderr"),
]

METRIC_CASES = [
    ("precision_recall one NaN row in real", lambda: gt.precision_recall(one_nan_row(REAL), FAKE, identity), "real"),
    ("precision_recall inf in fake", lambda: gt.precision_recall(REAL, FAKE * INF, identity), "fake"),
    ("precision_recall k 0", lambda: gt.precision_recall(REAL, FAKE, identity, k=0), "k"),
    ("precision_recall k float", lambda: gt.precision_recall(REAL, FAKE, identity, k=2.5), "k"),
    ("precision_recall k too large", lambda: gt.precision_recall(REAL, FAKE[:3], identity, k=3), "k"),
    ("precision_recall batch_size 0", lambda: gt.precision_recall(REAL, FAKE, identity, batch_size=0), "batch_size"),
    ("precision_recall real str", lambda: gt.precision_recall("real", FAKE, identity), "real"),
    ("precision_recall meta", lambda: gt.precision_recall(REAL.to("meta"), FAKE, identity), "real"),
    ("density_coverage NaN row", lambda: gt.density_coverage(REAL, one_nan_row(FAKE), identity), "fake"),
    ("density_coverage features", lambda: gt.density_coverage(REAL, FAKE, "vgg"), "features"),
    ("fid NaN row", lambda: gt.fid(one_nan_row(REAL), FAKE, identity), "real"),
    ("fid empty fake", lambda: gt.fid(REAL, torch.zeros(0, 2), identity), "fake"),
    ("kid degree 0", lambda: gt.kid(REAL, FAKE, identity, degree=0), "degree"),
    ("kid gamma nan", lambda: gt.kid(REAL, FAKE, identity, gamma=NAN), "gamma"),
    ("kid coef0 inf", lambda: gt.kid(REAL, FAKE, identity, coef0=INF), "coef0"),
    ("kid NaN row", lambda: gt.kid(REAL, one_nan_row(FAKE), identity), "fake"),
    ("inception_score probs nan", lambda: gt.inception_score(torch.full((8, 4), NAN)), "probs"),
    ("inception_score splits bool", lambda: gt.inception_score(torch.full((8, 4), 0.25), splits=True), "splits"),
    ("inception_score splits > n", lambda: gt.inception_score(torch.full((8, 4), 0.25), splits=9), "splits"),
    ("frechet_distance mu1 str", lambda: gt.frechet_distance("mu", np.eye(2), np.zeros(2), np.eye(2)), "mu1"),
    ("frechet_distance sigma2 nan", lambda: gt.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2),
                                                                np.full((2, 2), NAN)), "sigma2"),
    ("feature_statistics one row", lambda: gt.metrics.feature_statistics(np.zeros((1, 3))), "features"),
]

COVERAGE_CASES = [
    ("mode_coverage NaN sample", lambda: gt.mode_coverage(one_nan_row(REAL), gt.ring().means, 0.05), "samples"),
    ("mode_coverage samples str", lambda: gt.mode_coverage("x", gt.ring().means, 0.05), "samples"),
    ("mode_coverage means nan", lambda: gt.mode_coverage(REAL, torch.full((8, 2), NAN), 0.05), "means"),
    ("mode_coverage std 0", lambda: gt.mode_coverage(REAL, gt.ring().means, 0.0), "std"),
    ("mode_coverage threshold bool", lambda: gt.mode_coverage(REAL, gt.ring().means, 0.05, threshold=True),
     "threshold"),
    ("mode_coverage meta", lambda: gt.mode_coverage(REAL.to("meta"), gt.ring().means, 0.05), "samples"),
]

PARZEN_CASES = [
    ("parzen_log_prob sigma 0", lambda: gt.parzen.parzen_log_prob(REAL, FAKE, 0.0), "sigma"),
    ("parzen_log_prob sigma str", lambda: gt.parzen.parzen_log_prob(REAL, FAKE, "0.1"), "sigma"),
    ("parzen_log_prob NaN centres", lambda: gt.parzen.parzen_log_prob(one_nan_row(REAL), FAKE, 0.1), "centres"),
    ("parzen_log_prob batch_size float", lambda: gt.parzen.parzen_log_prob(REAL, FAKE, 0.1, batch_size=1.5),
     "batch_size"),
    ("parzen_log_prob huge block", lambda: gt.parzen.parzen_log_prob(torch.zeros(10**5, 1), torch.zeros(10**5, 1),
                                                                     0.1, batch_size=10**5), "batch_size"),
    ("parzen_log_likelihood sigmas nan", lambda: gt.parzen.parzen_log_likelihood(
        REAL, FAKE, sigmas=[0.1, NAN], validation=FAKE), "sigmas"),
    ("parzen_log_likelihood test inf", lambda: gt.parzen.parzen_log_likelihood(REAL, FAKE * INF, sigma=0.1), "test"),
]

CLASSIFIER_CASES = [
    ("DigitsClassifier hidden 0", lambda: gt.classifier.DigitsClassifier(hidden=0), "hidden"),
    ("DigitsClassifier hidden huge", lambda: gt.classifier.DigitsClassifier(hidden=10**12), "hidden"),
    ("DigitsClassifier hidden str", lambda: gt.classifier.DigitsClassifier(hidden="256"), "hidden"),
    ("features meta", lambda: gt.classifier.DigitsClassifier(hidden=4).features(
        torch.zeros(2, 1, 8, 8, device="meta")), "x"),
    ("features shape", lambda: gt.classifier.DigitsClassifier(hidden=4).features(torch.zeros(2, 64)), "x"),
]

CRITIC_CASES = [
    ("fit_discriminator D str", lambda: gt.fit_discriminator("D", P, Q, steps=2), "D"),
    ("fit_discriminator real nan", lambda: gt.fit_discriminator(D_CRITIC, torch.full((8, 1), NAN), Q, steps=2),
     "real", watched),
    ("fit_discriminator steps 0", lambda: gt.fit_discriminator(D_CRITIC, P, Q, steps=0), "steps", watched),
    ("fit_discriminator steps huge", lambda: gt.fit_discriminator(D_CRITIC, P, Q, steps=10**15), "steps", watched),
    ("fit_discriminator seed 2**64", lambda: gt.fit_discriminator(D_CRITIC, P, Q, steps=2, seed=2**64), "seed",
     watched),
    ("fit_discriminator betas 1.5", lambda: gt.fit_discriminator(D_CRITIC, P, Q, steps=2, betas=(0.5, 1.5)),
     "betas[1]", watched),
    ("fit_discriminator clip -1", lambda: gt.fit_discriminator(D_CRITIC, P, Q, steps=2, clip=-1.0), "clip", watched),
    ("fit_discriminator lr nan", lambda: gt.fit_discriminator(D_CRITIC, P, Q, steps=2, lr=NAN), "lr", watched),
]

MODULES = {"theory": THEORY_CASES, "metrics": METRIC_CASES, "coverage": COVERAGE_CASES,
           "parzen": PARZEN_CASES, "classifier": CLASSIFIER_CASES, "critic": CRITIC_CASES}
CASES = [case for cases in MODULES.values() for case in cases]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_input_gives_a_clear_error_before_any_work(case):
    check(case)


def test_the_reviews_natural_call_of_value_is_finite_and_accurate():
    """The review's worst theory case: value(D*) returned -inf; it is finite and exact now."""
    p, q = gt.Gaussian1D(0.0, 1.0), gt.Gaussian1D(1.5, 0.5)
    v = th.value(lambda x: th.optimal_discriminator(p, q, x), p, q)
    assert abs(float(v) - (-0.683914771061)) < 1e-9
