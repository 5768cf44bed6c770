"""Interactive pieces of the course: each has a live face and a static face from one code path.

* live: an ipywidgets control driving a plotly ``FigureWidget`` in a running kernel (lab);
* static: a plotly figure whose slider (or play button) steps through precomputed states,
  which keeps working in the published HTML book where no kernel runs.

Both faces draw with the same trace builders, so what a reader sees in the book is what a
student sees in the lab. This package is the only part of ``course_lib`` that knows about
notebooks: one module per chapter's piece, plus ``display`` (what they share).

* chapter 3 (``sinkhorn``): ``sinkhorn_sweep`` -> ``sinkhorn_figure`` / ``sinkhorn_explorer``.
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
