import os

import pytest
import torch

os.environ.setdefault("PYTHONHASHSEED", "0")


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same global random state (generators also take seeds)."""
    torch.manual_seed(0)
    yield
