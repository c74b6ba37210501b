"""Many small GANs trained as one computation (chapter 5).

A table over seeds and methods trains dozens of copies of the same small networks. Trained one
after another, each copy leaves a GPU almost idle: a 2-D GAN's matrices are far too small to
fill it, and the time goes into launching kernels. Stacking ``M`` networks of one architecture
turns every layer into a batch of ``M`` matrix products (:mod:`.networks`), and
:func:`~gantext.stacked.training.fit_stacked` trains them as :func:`gantext.train.fit` trains
each alone (:mod:`.training`).
"""

from .networks import (StackedDiscriminator, StackedGenerator, StackedLinear, orthogonal_init_,
                       stack_models)
from .training import (PerModelAdam, StackedHistory, adam_update, fit_stacked, stacked_gradient_penalty,
                       unrolled_logits)

__all__ = ["StackedLinear", "StackedGenerator", "StackedDiscriminator", "stack_models",
           "orthogonal_init_", "adam_update", "PerModelAdam", "stacked_gradient_penalty",
           "unrolled_logits", "StackedHistory", "fit_stacked"]
