"""What every interactive piece shares: showing a plotly figure, and the static twin's steps.

* ``show_figure(fig, name=)`` displays a figure so that it renders in JupyterLab (plotly's
  JSON) and in the static book (an HTML div drawn by the site-wide plotly.js);
* ``stepped_figure(fig, states, ...)`` turns precomputed states into plotly frames with a
  slider (and, with ``play=True``, a play/pause button): the static face of a widget;
* ``round_data`` rounds figure data so stored outputs are small and identical across runs;
* ``live_figure(fig)`` is the live face's canvas: a plotly ``FigureWidget`` that is born with
  the figure's traces (plotly's own can render empty in JupyterLab, see its docstring).

A widget's live face redraws its ``FigureWidget`` with the same trace builder that produced
the frames here, so the book and the lab show the same picture.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence

DIGITS = 3  # figure data is rounded: smaller pages and outputs identical across runs


def round_data(values, digits: int = DIGITS):
    """Round nested lists/arrays of floats (None kept) to ``digits`` decimals."""
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (list, tuple)):
        return [round_data(v, digits) for v in values]
    return None if values is None else round(float(values), digits)


def live_figure(fig):
    """A plotly ``FigureWidget`` showing ``fig``, whose widget model opens with its traces.

    plotly's ``FigureWidget`` opens its comm while its data are still empty and sends the
    traces and layout in a second message; its front end draws once, from whatever the model
    holds when the view renders, and ignores later whole-data updates. Under load the view
    can render between the two messages and stay empty for good (seen in JupyterLab: a
    figure with no traces and the default 360 px height). Here the comm opens only after
    the data are in place, so the first message already carries them.
    """
    return _born_drawn_class()(fig)


@functools.cache
def _born_drawn_class():  # plotly is imported on first use only
    import plotly.graph_objects as go

    class BornDrawnFigureWidget(go.FigureWidget):
        def __init__(self, *args, **kwargs):
            self._defer_open = True  # Widget.__init__ would open the comm with empty data
            super().__init__(*args, **kwargs)
            self._defer_open = False
            self.open()

        def open(self):
            if not getattr(self, "_defer_open", False):
                super().open()

    return BornDrawnFigureWidget


def show_figure(fig, *, name: str) -> None:
    """Display a plotly figure so that it renders in JupyterLab *and* in the static book.

    The output carries two representations: plotly's own JSON (JupyterLab, VS Code) and an
    HTML ``<div id="fig-{name}">`` with a script calling ``Plotly.newPlot`` (the book, which
    loads plotly.js once per site instead of inlining 4.8 MB per page). ``name`` makes the
    div id stable, so the stored output is identical on every run. On Colab, which renders
    neither, plotly's own Colab renderer is used.
    """
    from IPython.display import display

    if "google.colab" in sys.modules:  # pragma: no cover - only on Colab
        fig.show(renderer="colab")
        return
    html = fig.to_html(
        include_plotlyjs=False,
        full_html=False,
        div_id=f"fig-{name}",
        auto_play=False,  # figures with frames wait for the reader's slider or play button
        config={"responsive": True, "displaylogo": False},
    )
    bundle = {
        "application/vnd.plotly.v1+json": fig.to_plotly_json(),
        "text/html": html,
        "text/plain": f"<plotly figure {name!r}>",
    }
    display(bundle, raw=True)


def stepped_figure(
    fig,
    states: Sequence,
    traces,
    *,
    labels: Sequence[str],
    title=None,
    prefix: str = "",
    start: int = 0,
    play: bool = False,
    frame_ms: int = 300,
):
    """Static twin of a widget: one plotly frame per precomputed state, a slider over them.

    fig: the base figure (its traces are replaced frame by frame);
    traces(state) -> list of trace dicts/objects replacing the first traces of ``fig``, in
    order (traces of ``fig`` past them stay as they are in every frame);
    title(state) -> str or None; labels: one slider label per state;
    play: add play/pause buttons that step through the frames (an animation).
    Returns ``fig`` with frames, slider and the ``start`` state drawn.
    """
    import plotly.graph_objects as go

    if len(labels) != len(states):
        raise ValueError(f"labels has {len(labels)} entries for {len(states)} states")
    if not states:
        raise ValueError("stepped_figure needs at least one state")
    trace_ids = list(range(len(traces(states[start]))))
    fig.frames = [
        go.Frame(
            name=lab,
            data=traces(st),
            traces=trace_ids,
            layout=dict(title_text=title(st)) if title else None,
        )
        for lab, st in zip(labels, states, strict=True)
    ]
    for tid, tr in zip(trace_ids, traces(states[start]), strict=True):
        fig.data[tid].update(tr)
    if title:
        fig.update_layout(title=dict(text=title(states[start]), font=dict(size=13)))

    def step_args(names, duration, **extra):
        return [
            names,
            dict(
                mode="immediate",
                frame=dict(duration=duration, redraw=True),
                transition=dict(duration=0),
                **extra,
            ),
        ]

    layout = dict(
        sliders=[
            dict(
                active=start,
                currentvalue=dict(prefix=prefix),
                pad=dict(t=40),
                steps=[
                    dict(label=lab, method="animate", args=step_args([lab], 0)) for lab in labels
                ],
            )
        ]
    )
    if play:
        layout["updatemenus"] = [
            dict(
                type="buttons",
                direction="left",
                x=0.0,
                y=-0.08,
                xanchor="right",
                yanchor="top",
                pad=dict(t=40, r=10),
                showactive=False,
                buttons=[
                    dict(
                        label="▶ play",
                        method="animate",
                        args=step_args(None, frame_ms, fromcurrent=True),
                    ),
                    dict(label="❚❚ pause", method="animate", args=step_args([None], 0)),
                ],
            )
        ]
    fig.update_layout(**layout)
    return fig
