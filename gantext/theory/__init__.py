"""Theory: the closed forms and numerical procedures that make the book's mathematics computable.

Two families, one module each:

* :mod:`~gantext.theory.dynamics` (chapter 1): the vector fields of the bilinear game
  ``V(x, y) = xy`` and of the Dirac-GAN (Mescheder et al., 2018), and gradient play on them with
  simultaneous or alternating steps;
* :mod:`~gantext.theory.divergences` (chapters 2–4): D*, the value function, KL, Jensen–Shannon,
  Wasserstein-1 and total variation between known distributions.

Every name is re-exported here, so the chapters write ``gt.theory.wasserstein1``. Everything is
float64 NumPy: these are the references that trained models are compared against. Training a
discriminator against fixed distributions (D* approached by training) is
:func:`gantext.critic.fit_discriminator`.
"""

from .divergences import (Estimate, jensen_shannon, kl_divergence, optimal_discriminator, optimal_logit,
                          total_variation, value, wasserstein1)
from .dynamics import bilinear_field, dirac_gan_field, gradient_play

__all__ = ["bilinear_field", "dirac_gan_field", "gradient_play",
           "Estimate", "wasserstein1", "optimal_logit", "optimal_discriminator", "value",
           "kl_divergence", "jensen_shannon", "total_variation"]
