"""Small trained weights that chapters load instead of training for minutes in a cell.

A checkpoint is named ``MODULE.KEY`` and stored as ``course_lib/checkpoints/MODULE.KEY.pt``
(a ``torch.save``-d dict of tensors and plain numbers, loaded with ``weights_only=True``).
Its recipe is the function ``course_lib.MODULE.CHECKPOINTS[KEY]``: called with no argument,
it trains from scratch with fixed seeds and returns the dict to store. So every checkpoint is
reproduced by one command, which is also how it was made:

    python -m course_lib.checkpoints gans.collapse      # retrain and overwrite one
    python -m course_lib.checkpoints --list             # every checkpoint and its recipe

Keep them small (well under 1 MB): they ship inside the package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import torch

DIR = Path(__file__).resolve().parent


def _split(name: str) -> tuple[str, str]:
    module, dot, key = name.partition(".")
    if not dot or not module or not key:
        raise ValueError(
            f"checkpoint name {name!r} must look like 'MODULE.KEY', e.g. 'gans.collapse'"
        )
    return module, key


def recipe(name: str) -> Callable[[], dict]:
    """The function that produces checkpoint ``name`` (``course_lib.MODULE.CHECKPOINTS[KEY]``)."""
    module, key = _split(name)
    try:
        recipes = importlib.import_module(f"course_lib.{module}").CHECKPOINTS
    except (ImportError, AttributeError) as err:
        raise ValueError(
            f"no checkpoint recipes for {name!r}: course_lib.{module} has no CHECKPOINTS dict"
        ) from err
    if key not in recipes:
        raise ValueError(f"unknown checkpoint {name!r}; course_lib.{module} has {sorted(recipes)}")
    return recipes[key]


def path(name: str) -> Path:
    _split(name)
    return DIR / f"{name}.pt"


def load(name: str) -> dict:
    """The stored checkpoint ``name`` (CPU tensors). Raises FileNotFoundError saying how to make it."""
    file = path(name)
    if not file.exists():
        raise FileNotFoundError(
            f"checkpoint {name!r} is missing ({file}); make it with "
            f"`python -m course_lib.checkpoints {name}`"
        )
    return torch.load(file, map_location="cpu", weights_only=True)


def make(name: str) -> Path:
    """Run the recipe of ``name`` and store its result; returns the file written."""
    state = recipe(name)()
    file = path(name)
    tmp = file.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(file)
    return file


def stored() -> list[str]:
    """Names of the checkpoints shipped in this folder."""
    return sorted(p.stem for p in DIR.glob("*.pt"))
