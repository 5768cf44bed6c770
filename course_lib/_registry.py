"""A name -> function table that students can extend (toy data, kernels, Sinkhorn variants)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


class Registry(dict):
    """``dict`` of named functions with a ``register`` decorator and a lookup whose error
    lists the valid choices. ``kind`` names what is stored, for the error message."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def register(self, name: str) -> Callable[[F], F]:
        def deco(fn: F) -> F:
            self[name] = fn
            return fn

        return deco

    def lookup(self, name: str) -> Callable:
        if name not in self:
            raise ValueError(
                f"unknown {self.kind} {name!r}; choose one of {sorted(self)} or register your own"
            )
        return self[name]
