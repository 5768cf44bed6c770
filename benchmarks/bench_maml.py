"""MAML on few-shot sinusoid regression: quality within a training-time budget, and the k-shot
explorer's precompute time and interaction latency (chapter 6).

    python benchmarks/bench_maml.py                 # budget 150 s per K, 2 threads
    python benchmarks/bench_maml.py --budget 60 --threads 1

Goals: test MSE after one inner step (lr 0.01) <= 0.5 with K = 10 and <= 0.8 with K = 5, each
trained in <= 150 s on 2 cores; >= 500 fresh test tasks with 100 query points each. Reference:
MAML's published 5-shot, 1-step MSE 1.13 ± 0.18 (Li et al., 2017, Table 1). Timings on a
loaded machine are upper bounds.
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from course_lib import bayes, checkpoints, meta
from course_lib.widgets import maml as maml_widget

GOALS = {10: 0.5, 5: 0.8}
PUBLISHED = {5: 1.13}


def mse_line(errors: torch.Tensor) -> str:
    return f"{float(errors.mean()):.3f} ± {float(errors.std()) / math.sqrt(len(errors)):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=150.0, help="training seconds per K")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--test-tasks", type=int, default=600)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), budget {args.budget:g} s"
    )

    print("\n== MAML trained within the budget (second order, meta-batch 25, Adam 1e-3) ==")
    for k, goal in GOALS.items():
        test = meta.sinusoid_tasks(args.test_tasks, k, 100, seed=2026)
        t0 = time.perf_counter()
        params, history = meta.train_maml(k, 1_000_000, seed=0, time_limit=args.budget)
        train_s = time.perf_counter() - t0
        one = meta.evaluate(params, test, steps=1)
        ten = meta.evaluate(params, test, steps=10)
        ok = float(one.mean()) <= goal and train_s <= 150.0 + 1.0
        print(
            f"K={k:2d}: {len(history)} meta-iterations in {train_s:.0f} s "
            f"({1000 * train_s / len(history):.1f} ms each); test MSE on {len(test)} tasks: "
            f"1 step {mse_line(one)}, 10 steps {mse_line(ten)}; goal 1 step <= {goal} in <= 150 s: "
            f"{'met' if ok else 'NOT met'}"
            + (f"; published MAML {PUBLISHED[k]}" if k in PUBLISHED else "")
        )

    print("\n== stored checkpoints (recipes in course_lib.meta / course_lib.bayes) ==")
    test = meta.sinusoid_tasks(args.test_tasks, 10, 100, seed=2027)
    base = meta.load_maml("pretrained")
    hyper = meta.load_hypermaml()
    bhyper = bayes.load_bayes_hypermaml()
    for k in (5, 10):
        tk = test.with_shots(k)
        stored = checkpoints.load(f"meta.maml_k{k}")
        params = meta.load_maml(f"maml_k{k}")
        with torch.no_grad():
            h = meta.mse(hyper(tk.x_support, tk.y_support, tk.x_query), tk.y_query)
            bm, _ = bayes.hyper_predictive(bhyper, tk.x_support, tk.y_support, tk.x_query)
        print(
            f"K={k:2d}: MAML ({stored['n_iter']} it) 1 step {mse_line(meta.evaluate(params, tk))}, "
            f"10 steps {mse_line(meta.evaluate(params, tk, steps=10))} | pretrained baseline "
            f"1 step {mse_line(meta.evaluate(base, tk))}, 10 steps "
            f"{mse_line(meta.evaluate(base, tk, steps=10))} | HyperMAML {mse_line(h)} | "
            f"Bayesian HyperMAML mean {mse_line(meta.mse(bm, tk.y_query))}"
        )

    print("\n== k-shot explorer (4 tasks x k 1..10 x steps 0..10, band on) ==")
    tasks = meta.sinusoid_tasks(4, 10, 1, seed=2026)
    t0 = time.perf_counter()
    states = maml_widget.maml_states(meta.load_maml("maml_k10"), tasks, bayes_model=bhyper)
    pre = time.perf_counter() - t0
    t0 = time.perf_counter()
    fig = maml_widget.maml_figure(states)
    static = time.perf_counter() - t0
    print(f"precompute {pre:.2f} s, static twin {static:.2f} s ({len(fig.to_json()) / 1e6:.2f} MB)")
    live = maml_widget.maml_explorer(states)
    moves = (
        [dict(steps=s) for s in list(range(11)) * 2]
        + [dict(k=k) for k in list(range(1, 11)) * 2]
        + [dict(task=t) for t in (1, 2, 3, 0) * 2]
        + [dict(band=b) for b in (False, True) * 4]
    )
    times = []
    for move in moves:
        t0 = time.perf_counter()
        live.select(**move)
        times.append(1000 * (time.perf_counter() - t0))
    times.sort()
    p50, p95 = times[len(times) // 2], times[int(0.95 * len(times))]
    print(
        f"interaction latency over {len(times)} control changes: p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms (goal p95 <= 100 ms: {'met' if p95 <= 100 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
