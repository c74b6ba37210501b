"""gantext: the companion package of *Generative Adversarial Networks, an executable textbook*.

Notebooks and exercises write ``import gantext as gt``. The names below are the package's table of
contents: what a chapter or an exercise calls as ``gt.<name>``. Everything else stays in its
module (``gt.losses.wasserstein``, ``gt.theory.jensen_shannon``, ``gt.plot.samples_2d``,
``gt.mode_collapse.table``, ``gt.stacked.unrolled_logits``, …).

One rule for what comes back: reference numbers (closed forms, quadrature, metrics) are float64
NumPy arrays or Python floats; anything computed on a model's outputs for further training is a
tensor.
"""

import os as _os
from importlib import metadata as _metadata

from . import audit

# An audit run (tools/audit.py) draws every random number afresh; a reader's session is untouched.
audit.perturb_seeds(int(_os.environ.get("GANTEXT_AUDIT_RUN", "0")))

from . import (classifier, coverage, critic, data, history, lipschitz, losses, metrics,  # noqa: E402
               mode_collapse, models, parzen, penalties, plot, resume, stacked, steps, theory,
               train, utils, widgets)

# Data (chapters 1-8)
from .data import Distribution, Gaussian1D, GaussianMixture, digits, grid, mnist, ring  # noqa: E402
# Networks (chapters 1-7)
from .models import (ACGANDiscriminator, ACGANOutput, ConditionalBatchNorm2d,  # noqa: E402
                     ConditionalBNGenerator, ConditionalDCGANDiscriminator,
                     ConditionalDCGANGenerator, DCGANDiscriminator, DCGANGenerator,
                     MinibatchStdDev, MLPDiscriminator, MLPGenerator, ProjectionDiscriminator,
                     dcgan_init_, latent_noise)
# Training (chapter 1 onwards)
from .history import History, at_steps, every  # noqa: E402
from .penalties import clip_weights_, gradient_penalty, interpolates, r1_penalty  # noqa: E402
from .steps import TrainingDiverged, d_step, g_step  # noqa: E402
from .train import TrainConfig, fit  # noqa: E402
from .critic import fit_discriminator  # noqa: E402
from .stacked import StackedDiscriminator, StackedGenerator, fit_stacked, stack_models  # noqa: E402
# Lipschitz continuity (chapter 4)
from .lipschitz import (gradient_norms, largest_singular_value, lipschitz_estimate,  # noqa: E402
                        lipschitz_upper_bound, power_iteration, wasserstein_estimate)
# Evaluation (chapters 5 and 8)
from .coverage import ModeCoverage, mode_coverage  # noqa: E402
from .metrics import (DensityCoverage, InceptionScore, IntraClassFID, PrecisionRecall,  # noqa: E402
                      density_coverage, feature_statistics, fid, frechet_distance,
                      inception_score, intra_class_fid, kid, precision_recall)
from .parzen import ParzenEstimate, parzen_log_likelihood, parzen_log_prob  # noqa: E402
from .classifier import DigitsClassifier, digits_classifier  # noqa: E402
# Diffusion models (chapter 9)
from .diffusion import EpsilonMLP, NoiseSchedule, add_noise, epsilon_loss, sample_diffusion  # noqa: E402
# Utilities and verified claims
from .utils import device, load_checkpoint, rng, save_checkpoint, seed, training_streams  # noqa: E402
from .verify import count_claims, verify  # noqa: E402

try:  # the installed distribution's version (pyproject.toml), not a copy of it
    __version__ = _metadata.version("gantext")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
