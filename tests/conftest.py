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
