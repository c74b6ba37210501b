"""gantext: the companion package of *Generative Adversarial Networks, an executable textbook*.

Notebooks and exercises write ``import gantext as gt``; the public names of every module are
re-exported here (``gt.MLPGenerator``, ``gt.fit``, ``gt.verify``, …) and the modules themselves are
available as ``gt.losses``, ``gt.theory``, ``gt.metrics``, ``gt.plot`` and so on.
"""

import os as _os

from . import audit

# An audit run (tools/audit.py) draws every random number afresh; a reader's session is untouched.
audit.perturb_seeds(int(_os.environ.get("GANTEXT_AUDIT_RUN", "0")))

from . import data, lipschitz, losses, metrics, models, penalties, plot, theory, train, utils, verify as _verify_module
from . import widgets
from . import history, resume, steps
from . import classifier, coverage, critic, parzen
from . import mode_collapse, stacked
from .data import *  # noqa: F401,F403
from .lipschitz import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .penalties import *  # noqa: F401,F403
from .history import History, at_steps, every
from .steps import TrainingDiverged, d_step, g_step
from .train import TrainConfig, fit
from .utils import *  # noqa: F401,F403
from .classifier import DigitsClassifier, digits_classifier
from .coverage import ModeCoverage, mode_coverage
from .critic import fit_discriminator
from .parzen import ParzenEstimate, parzen_log_likelihood, parzen_log_prob
from .stacked import StackedDiscriminator, StackedGenerator, fit_stacked, stack_models
from .verify import count_claims, verify

__version__ = "0.1.0"
