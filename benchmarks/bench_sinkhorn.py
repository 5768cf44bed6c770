"""Sinkhorn at n = 1000 against POT, in the same run: time per iteration, total time, plan agreement.

    .venv/bin/python benchmarks/bench_sinkhorn.py            # about 3-4 minutes on 2 cores
    .venv/bin/python benchmarks/bench_sinkhorn.py --quick    # n = 300, for a smoke run

Two toy clouds (8-Gaussian ring vs moons) are scaled so that the median squared-Euclidean cost
is about 5, in absolute units; eps runs from 1.0 down to 0.01. For each eps it prints

* time per iteration (median of 3 runs of a fixed number of iterations, no early stop) for
  course_lib plain / log and POT plain (`ot.sinkhorn`, method="sinkhorn") / log
  (method="sinkhorn_log"), and the ratios that the course's goals are stated in;
* rounds and total time to reach the marginal tolerance, for each solver that gets there;
* the largest plan difference to POT's plan, relative to the plan's largest entry;
* whether a solver broke down (NaN, or course_lib's SinkhornBreakdown).

POT's log-domain solver is ~10x slower than the others, so its total time to convergence is
measured only where that takes under a minute; elsewhere the row says "skipped" (its
per-iteration time is always measured).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import ot as pot
import torch

from course_lib import data
from course_lib import ot as cot

warnings.simplefilter("ignore")  # POT warns on non-convergence and on its own NaNs; we report them


def clouds(n: int):
    x = data.gaussian_ring(n, std=0.2, seed=0)
    y = data.sample_2d("moons", n, seed=1)
    cost = cot.cost_matrix(x, y)
    scale = (5.0 / cost.median()).sqrt()  # median cost about 5
    x, y = x * scale, y * scale
    cost = cot.cost_matrix(x, y)
    a = torch.full((n,), 1 / n, dtype=torch.float64)
    return a, a.clone(), cost


def timed(fn, repeats=3):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def per_iteration(a, b, cost, eps, iters):
    """Seconds per Sinkhorn round, each solver running exactly `iters` rounds."""
    A, B, C = a.numpy(), b.numpy(), cost.numpy()
    runs = {
        "ours plain": lambda: cot.solve_sinkhorn(
            a, b, cost, eps, method="plain", max_iter=iters, tol=1e-300
        ),
        "ours log": lambda: cot.solve_sinkhorn(
            a, b, cost, eps, method="log", max_iter=iters, tol=1e-300
        ),
        "POT plain": lambda: pot.sinkhorn(
            A, B, C, eps, method="sinkhorn", numItermax=iters, stopThr=0
        ),
        "POT log": lambda: pot.sinkhorn(
            A, B, C, eps, method="sinkhorn_log", numItermax=iters, stopThr=0
        ),
    }
    out = {}
    for name, fn in runs.items():
        try:
            t, _ = timed(fn, repeats=1 if name == "POT log" else 3)
            out[name] = t / iters
        except cot.SinkhornBreakdown:
            out[name] = None
    return out


def to_convergence(a, b, cost, eps, tol, max_iter, pot_log_budget_s):
    A, B, C = a.numpy(), b.numpy(), cost.numpy()
    rows = {}
    ref = None
    for name, method in (("POT plain", "sinkhorn"), ("POT log", "sinkhorn_log")):
        if name == "POT log" and pot_log_budget_s is not None:
            projected = (
                rows.get("POT plain", {}).get("rounds")
                or rows.get("ours log", {}).get("rounds")
                or max_iter
            )
            if projected * per_it["POT log"] > pot_log_budget_s:
                rows[name] = dict(status="skipped (over budget)")
                continue
        t0 = time.perf_counter()
        plan, log = pot.sinkhorn(
            A, B, C, eps, method=method, numItermax=max_iter, stopThr=tol, log=True
        )
        dt = time.perf_counter() - t0
        nan = not np.isfinite(plan).all() or not np.isfinite(log["err"][-1] if log["err"] else 0)
        rounds = int(log.get("niter", len(log["err"]) * 10))
        conv = not nan and bool(log["err"]) and log["err"][-1] <= tol  # POT's own stopping rule
        rows[name] = dict(
            status="NaN (breaks down)" if nan else ("converged" if conv else "max_iter"),
            time=dt,
            rounds=rounds,
            plan=plan,
        )
        if conv and ref is None:
            ref = plan
    for name, method in (("ours plain", "plain"), ("ours log", "log")):
        t0 = time.perf_counter()
        try:
            r = cot.solve_sinkhorn(a, b, cost, eps, method=method, tol=tol, max_iter=max_iter)
        except cot.SinkhornBreakdown:
            rows[name] = dict(status="SinkhornBreakdown (raised, no NaN)")
            continue
        dt = time.perf_counter() - t0
        plan = r.plan.numpy()
        status = "converged" if r.converged else "max_iter"
        if not np.isfinite(plan).all():
            status = "NaN"
        rows[name] = dict(status=status, time=dt, rounds=r.n_iter, plan=plan)
    for row in rows.values():
        if "plan" in row and ref is not None and np.isfinite(row["plan"]).all():
            row["rel_diff"] = float(np.abs(row["plan"] - ref).max() / ref.max())
    return rows


def main():
    global per_it
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="n = 300 and fewer eps values")
    ap.add_argument(
        "--tol", type=float, default=1e-9, help="marginal tolerance (L1) for the totals"
    )
    ap.add_argument("--max-iter", type=int, default=20_000)
    ap.add_argument(
        "--pot-log-budget",
        type=float,
        default=60.0,
        help="seconds POT's log solver may take per eps",
    )
    args = ap.parse_args()
    n = 300 if args.quick else args.n
    eps_values = [1.0, 0.1, 0.01] if args.quick else [1.0, 0.3, 0.1, 0.03, 0.01]
    a, b, cost = clouds(n)
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), POT {pot.__version__}, float64"
    )
    print(
        f"n = m = {n}; cost median {cost.median().item():.3f}, max {cost.max().item():.2f}; tol {args.tol:g}\n"
    )
    print("Per-iteration time (ms), fixed number of rounds, no early stop")
    print(
        f"{'eps':>6} | {'ours plain':>10} {'POT plain':>10} {'ratio':>6} | {'ours log':>9} {'POT log':>9} {'speed-up':>8}"
    )
    per_its = {}
    for eps in eps_values:
        per_it = per_iteration(a, b, cost, eps, iters=100)
        per_its[eps] = per_it

        def ms(v):
            return f"{v * 1e3:10.3f}" if v is not None else f"{'breaks':>10}"

        ratio = (
            (per_it["ours plain"] / per_it["POT plain"]) if per_it["ours plain"] else float("nan")
        )
        speed = per_it["POT log"] / per_it["ours log"]
        print(
            f"{eps:6g} | {ms(per_it['ours plain'])} {ms(per_it['POT plain'])} {ratio:6.2f} | "
            f"{per_it['ours log'] * 1e3:9.3f} {per_it['POT log'] * 1e3:9.3f} {speed:7.1f}x"
        )
    print(
        "\nTo convergence (rounds, seconds, max |P - P_POT| / max P_POT against POT's converged plan)"
    )
    for eps in eps_values:
        per_it = per_its[eps]
        rows = to_convergence(a, b, cost, eps, args.tol, args.max_iter, args.pot_log_budget)
        print(f"eps = {eps:g}")
        for name in ("ours plain", "POT plain", "ours log", "POT log"):
            row = rows[name]
            extra = ""
            if "time" in row:
                extra = f"{row['rounds']:6d} rounds {row['time']:8.2f} s"
            if "rel_diff" in row:
                extra += f"   plan rel. diff {row['rel_diff']:.1e}"
            print(f"   {name:10s} {row['status']:34s} {extra}")


if __name__ == "__main__":
    main()
