import pytest
import torch

import gantext as gt


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state."""
    gt.seed(0)
    torch.set_num_threads(1)
    yield


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device; none is available here")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


class NaNAfter(torch.nn.Module):
    """A generator ``z -> w z`` whose output turns to NaN after ``calls`` forward passes, to
    test where training notices divergence."""

    def __init__(self, calls: int, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.w = torch.nn.Parameter(torch.ones(1))
        self.limit, self.calls = calls, 0

    def forward(self, z):
        self.calls += 1
        return z * self.w * (float("nan") if self.calls > self.limit else 1.0)
