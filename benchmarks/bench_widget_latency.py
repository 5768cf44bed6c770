"""Latency of one interaction with the chapter 3 Sinkhorn explorer (compute + redraw).

    .venv/bin/python benchmarks/bench_widget_latency.py

Builds the explorer exactly as the chapter does (30 + 30 points, 18 eps values), then moves
the eps slider to every value and flips the method toggle, in a seeded random order, 200 times.
Each interaction is timed from setting the control's value to the end of the FigureWidget
update (the traces are rebuilt and the state diff is serialised for the front end). Prints
p50 / p95 / max in ms; the goal is p95 <= 100 ms. Rendering in the browser is not included
(see the JupyterLab browser test for end-to-end numbers).
"""

import random
import statistics
import time

import numpy as np

from course_lib import data, widgets


def main(n_interactions: int = 200) -> None:
    x = data.sample_2d("moons", 30, seed=0)
    y = data.gaussian_ring(30, std=0.15, seed=1)
    eps_values = np.logspace(1, -2.4, 18)
    t0 = time.perf_counter()
    explorer = widgets.sinkhorn_explorer(x, y, eps_values)
    build = time.perf_counter() - t0
    rng = random.Random(0)
    slider, toggle = explorer.eps_slider, explorer.method
    latencies = []
    for _ in range(n_interactions):
        if rng.random() < 0.2:
            control, value = toggle, ("plain" if toggle.value == "log" else "log")
        else:
            control = slider
            value = rng.choice([v for _, v in slider.options if v != slider.value])
        t = time.perf_counter()
        control.value = value  # fires the observer: look up / compute the frame, redraw
        latencies.append((time.perf_counter() - t) * 1e3)
    q = statistics.quantiles(latencies, n=20)
    print(f"explorer construction (sweep of both methods + figure): {build:.2f} s")
    print(
        f"{n_interactions} interactions: p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {q[-1]:.1f} ms, max {max(latencies):.1f} ms (goal: p95 <= 100 ms)"
    )


if __name__ == "__main__":
    main()
