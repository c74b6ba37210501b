"""Tests of gantext.theory.dynamics (chapter 1): exact growth factors and invariants of gradient play."""

import numpy as np
import pytest

from gantext import theory


@pytest.mark.parametrize("lr", [0.01, 0.1, 0.5])
def test_simultaneous_steps_on_the_bilinear_game_grow_by_exactly_1_plus_lr_squared(lr):
    path = theory.gradient_play(theory.bilinear_field, (0.8, -0.3), lr=lr, steps=30)
    radius2 = (path ** 2).sum(axis=1)
    np.testing.assert_allclose(radius2[1:] / radius2[:-1], 1 + lr**2, rtol=1e-13)


@pytest.mark.parametrize("lr", [0.01, 0.3, 1.5])
def test_alternating_steps_on_the_bilinear_game_conserve_a_quadratic(lr):
    # D first: v' = v + η u, then u' = u - η v'. The form u² + v² + η·u·v is invariant.
    path = theory.gradient_play(theory.bilinear_field, (0.8, -0.3), lr=lr, steps=200, alternating=True)
    u, v = path[:, 0], path[:, 1]
    invariant = u**2 + v**2 + lr * u * v
    np.testing.assert_allclose(invariant, invariant[0], rtol=1e-12)


def test_dirac_gan_simultaneous_steps_grow_by_the_local_factor():
    lr = 0.2
    path = theory.gradient_play(theory.dirac_gan_field, (1.0, 0.5), lr=lr, steps=50)
    theta, psi = path[:-1, 0], path[:-1, 1]
    slope = 1.0 / (1.0 + np.exp(theta * psi))                                   # f'(θψ) = σ(-θψ)
    r2 = (path ** 2).sum(axis=1)
    np.testing.assert_allclose(r2[1:] / r2[:-1], 1 + lr**2 * slope**2, rtol=1e-12)


def test_dirac_gan_with_r1_penalty_converges_to_the_equilibrium():
    path = theory.gradient_play(lambda t, p: theory.dirac_gan_field(t, p, gamma=1.0), (1.0, 1.0),
                                lr=0.1, steps=3000)
    np.testing.assert_allclose(path[-1], [0.0, 0.0], atol=1e-6)
    # without the penalty the same run moves away from the equilibrium
    free = theory.gradient_play(theory.dirac_gan_field, (1.0, 1.0), lr=0.1, steps=3000)
    assert np.hypot(*free[-1]) > np.hypot(1.0, 1.0)


def test_dynamics_reject_bad_input():
    with pytest.raises(ValueError, match="gamma"):
        theory.dirac_gan_field(1.0, 1.0, gamma=-0.1)
    with pytest.raises(ValueError, match="lr"):
        theory.gradient_play(theory.bilinear_field, (1.0, 0.0), lr=0.0, steps=3)
    with pytest.raises(ValueError, match="steps"):
        theory.gradient_play(theory.bilinear_field, (1.0, 0.0), lr=0.1, steps=-1)
    with pytest.raises(TypeError, match="steps"):
        theory.gradient_play(theory.bilinear_field, (1.0, 0.0), lr=0.1, steps=2.5)
