"""Interactive pieces of the course: each has a live face and a static face from one code path.

* live: an ipywidgets control driving a plotly ``FigureWidget`` in a running kernel (lab);
* static: a plotly figure whose slider (or play button) steps through precomputed states,
  which keeps working in the published HTML book where no kernel runs.

Both faces draw with the same trace builders, so what a reader sees in the book is what a
student sees in the lab. This package is the only part of ``course_lib`` that knows about
notebooks: one module per chapter's piece, plus ``display`` (what they share).

* chapter 3 (``sinkhorn``): ``sinkhorn_sweep`` -> ``sinkhorn_figure`` / ``sinkhorn_explorer``;
* chapter 4 (``vae``): ``latent_sweep`` -> ``vae_sweep_figure`` / ``vae_explorer``;
* chapter 5 (``gan``): ``collapse_states`` -> ``collapse_figure`` / ``collapse_explorer``;
* chapter 6 (``cnf``): ``cnf_frames`` -> ``cnf_figure`` / ``cnf_explorer``;
* chapter 6 (``maml``): ``maml_states`` -> ``maml_figure`` / ``maml_explorer``.

The chapter modules are imported on first use (``widgets.vae``, ``from course_lib.widgets
import gan``), so importing this package stays light.
"""

from .display import live_figure, round_data, show_figure, stepped_figure
from .sinkhorn import (
    SinkhornExplorer,
    SinkhornFrame,
    sinkhorn_explorer,
    sinkhorn_figure,
    sinkhorn_frame,
    sinkhorn_sweep,
)

__all__ = [
    "SinkhornExplorer",
    "SinkhornFrame",
    "live_figure",
    "round_data",
    "show_figure",
    "sinkhorn_explorer",
    "sinkhorn_figure",
    "sinkhorn_frame",
    "sinkhorn_sweep",
    "stepped_figure",
]

_CHAPTER_MODULES = {"vae", "gan", "cnf", "maml"}


def __getattr__(name: str):
    """``widgets.vae`` etc.: import a chapter's module on first use."""
    if name in _CHAPTER_MODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
