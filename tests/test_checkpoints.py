"""Shipped checkpoints: each has a recipe that reproduces it, loads safely and stays small."""

from __future__ import annotations

import pytest
import torch

from course_lib import checkpoints

STORED = checkpoints.stored()


@pytest.mark.parametrize("name", STORED)
def test_every_stored_checkpoint_has_a_recipe_and_loads(name):
    recipe = checkpoints.recipe(name)  # course_lib.MODULE.CHECKPOINTS[KEY]
    assert callable(recipe), f"{name}: course_lib.MODULE.CHECKPOINTS[KEY] must be a function"
    state = checkpoints.load(name)  # weights_only=True: tensors and plain data only
    assert isinstance(state, dict) and state
    size = checkpoints.path(name).stat().st_size
    assert size < 1024 * 1024, f"{name} is {size / 1024:.0f} KiB; checkpoints ship in the package"
    for key, value in state.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            assert torch.isfinite(value).all(), f"{name}[{key!r}] holds NaN or inf"


def test_names_are_module_dot_key():
    for bad in ("gans", ".x", "gans.", ""):
        with pytest.raises(ValueError, match="MODULE.KEY"):
            checkpoints.path(bad)
    with pytest.raises(ValueError, match="no checkpoint recipes"):
        checkpoints.recipe("nosuchmodule.key")


def test_a_missing_checkpoint_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match="python -m course_lib.checkpoints x.y"):
        checkpoints.load("x.y")


def test_make_writes_what_the_recipe_returns(tmp_path, monkeypatch):
    import types

    module = types.ModuleType("course_lib._fake_ckpt")
    module.CHECKPOINTS = {"tiny": lambda: {"w": torch.arange(3.0)}}
    monkeypatch.setitem(__import__("sys").modules, "course_lib._fake_ckpt", module)
    monkeypatch.setattr(checkpoints, "DIR", tmp_path)
    file = checkpoints.make("_fake_ckpt.tiny")
    assert file == tmp_path / "_fake_ckpt.tiny.pt"
    assert torch.equal(checkpoints.load("_fake_ckpt.tiny")["w"], torch.arange(3.0))
    assert checkpoints.stored() == ["_fake_ckpt.tiny"]
