"""The digits classifier: the book's stand-in for the Inception network (chapters 6–8).

FID, the Inception Score and precision/recall compare images through a classifier's features;
the papers use Inception-v3 on ImageNet-sized images, the book a small network trained in a few
seconds on the 8×8 digits it evaluates.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import _check
from .data import digits

__all__ = ["DigitsClassifier", "digits_classifier"]


class DigitsClassifier(nn.Module):
    """A small classifier of 8×8 digits whose features stand in for Inception's (chapters 6–8).

    ``forward(x)`` maps images ``[n, 1, 8, 8]`` in [−1, 1] to class logits ``[n, 10]``;
    ``features(x)`` returns the penultimate layer ``[n, 64]`` before its ReLU (after the ReLU
    some units are never active, which would make every feature covariance singular), the
    representation in which :func:`~gantext.metrics.fid` and
    :func:`~gantext.metrics.precision_recall` compare samples. Inputs are moved to the
    classifier's device; outputs stay there. Build the trained one with :func:`digits_classifier`.
    """

    feature_dim = 64

    def __init__(self, hidden: int = 256):
        _check.integer(hidden, "hidden", low=1)
        _check.memory((64 + 1 + self.feature_dim) * hidden * 4, f"DigitsClassifier(hidden={hidden})")
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(),
                                  nn.Linear(hidden, self.feature_dim))
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(self.feature_dim, 10))
        self.test_accuracy = math.nan      # held-out accuracy, set by digits_classifier()
        self.train_index = torch.zeros(0, dtype=torch.int64)  # rows of load_digits() trained on
        self.test_index = torch.zeros(0, dtype=torch.int64)   # rows held out

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a tensor of images [n, 1, 8, 8], got {type(x).__name__}")
        if x.device.type == "meta":
            raise ValueError("x is a meta tensor, which holds no values")
        if x.dtype == torch.bool or x.is_complex():
            raise TypeError(f"x must hold real pixel values in [-1, 1], got dtype {x.dtype}")
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 8, 8):
            raise ValueError(f"x must have shape [n, 1, 8, 8] (8×8 digits in [-1, 1]), got {list(x.shape)}")
        return self.body(x.to(self.head[1].weight.device, torch.float32))        # [n, 64]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))                                     # [n, 10]

    def extra_repr(self) -> str:
        return f"test_accuracy={self.test_accuracy:.4f} on {self.test_index.numel()} held-out digits"


_CLASSIFIERS: dict[str, DigitsClassifier] = {}


def digits_classifier(seed: int = 0) -> DigitsClassifier:
    """The trained digits classifier, the book's stand-in for Inception-v3 (chapters 6–8).

    Trained on first use on a fixed split of scikit-learn's 1,797 digits (1,347 for training,
    450 held out, drawn with seed 0) with Adam for 600 minibatch steps; a few seconds on a CPU.
    The result is cached, so later calls return the same (frozen, evaluation-mode) module at no
    cost. Its held-out accuracy is ``.test_accuracy`` (about 0.98); ``.train_index`` and
    ``.test_index`` give the rows of ``sklearn.datasets.load_digits()`` in each part, so that an
    evaluation can use digits the classifier has not seen.

    ``seed`` seeds the initialisation and the order of minibatches; the split is the same for
    every seed, so classifiers of different seeds share their held-out digits. Chapter 8 uses a
    second seed to show how much a metric depends on the training run of its feature extractor.
    """
    _check.integer(seed, "seed", low=0)
    key = f"digits-{seed}"
    if key not in _CLASSIFIERS:
        # One thread: on matrices this small, more threads only add synchronisation (ten times
        # slower on a loaded 2-core machine), and one thread makes the weights the same on every
        # machine whatever its thread count.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            _CLASSIFIERS[key] = _train_digits_classifier(seed=seed)
        finally:
            torch.set_num_threads(threads)
    return _CLASSIFIERS[key]


def _train_digits_classifier(steps: int = 600, batch_size: int = 128, lr: float = 3e-3,
                             seed: int = 0) -> DigitsClassifier:
    images, labels = digits().tensors                                           # [1797, 1, 8, 8], [1797]
    rng = torch.Generator().manual_seed(seed)
    order = torch.randperm(images.shape[0], generator=rng)                      # [1797]
    if seed != 0:  # the seed-0 split for every seed (seed 0 draws it from rng, as it always has)
        order = torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(0))
    test_index, train_index = order[:450].sort().values, order[450:].sort().values
    with torch.random.fork_rng(devices=[]):  # seed the initialisation without touching global state
        torch.manual_seed(seed)
        model = DigitsClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x_train, y_train = images[train_index], labels[train_index]                 # [1347, 1, 8, 8], [1347]
    for _ in range(steps):
        batch = torch.randint(x_train.shape[0], (batch_size,), generator=rng)   # [b]
        loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval().requires_grad_(False)
    with torch.no_grad():
        predicted = model(images[test_index]).argmax(dim=1)                     # [450]
    model.test_accuracy = float((predicted == labels[test_index]).double().mean())
    model.train_index, model.test_index = train_index, test_index
    return model
