"""Benchmark of chapter 6's continuous normalizing flows (course_lib.cnf) and their widget.

    python benchmarks/bench_cnf.py            # full: 5 minutes of 8-Gaussian training
    python benchmarks/bench_cnf.py --quick    # 60 s of training instead

Prints, each with its goal and whether it was met:
1. ms per training iteration (batch 256, 2-D, 6 RK4 steps) with the exact trace and with
   Hutchinson's estimator; goal <= 40 ms;
2. test NLL on FFJORD's 8 Gaussians against training time (Hutchinson, the checkpoint's
   recipe); goal <= 3.0 nats within 5 minutes (the entropy floor is ~2.84);
3. the widget: precompute time per toy, and p95 latency of a control callback in the kernel
   (time slider and toy dropdown, redraw only); goal <= 100 ms.
Seeded; timings are wall-clock on this machine (upper bounds on a loaded one).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from course_lib import checkpoints, cnf


def goal(ok: bool) -> str:
    return "met" if ok else "NOT met"


def training_speed(iterations: int = 15) -> None:
    print("1. training iteration, batch 256, 2-D, CNF(2, 64, 3), 6 RK4 steps")
    x = cnf.sample_toy("8gaussians", 10_000, seed=0)
    for trace in ("exact", "hutchinson"):
        torch.manual_seed(0)
        model = cnf.CNF(2, 64, 3, steps=6, trace=trace)
        cnf.train_cnf(model, x, iterations=3, batch=256)  # warm-up
        start = time.perf_counter()
        cnf.train_cnf(model, x, iterations=iterations, batch=256)
        ms = 1000 * (time.perf_counter() - start) / iterations
        print(f"   {trace:10s}: {ms:7.1f} ms/iter   (goal <= 40 ms: {goal(ms <= 40)})")


def nll_vs_time(budget_s: float) -> None:
    print(
        f"2. 8 Gaussians: test NLL (exact trace, 2000 samples) vs training time, {budget_s:.0f} s"
    )
    torch.manual_seed(0)
    model = cnf.CNF(2, hidden=64, n_layers=3, T=1.0, steps=6, trace="hutchinson")
    x = cnf.sample_toy("8gaussians", 50_000, seed=1)
    test = cnf.sample_toy("8gaussians", 2000, seed=2)
    recipe = cnf.RECIPES["8gaussians"]
    opt = torch.optim.Adam(model.parameters(), lr=recipe["lr"])
    g = torch.Generator().manual_seed(0)
    train_s, best, reached, next_eval, it = 0.0, float("inf"), None, 15.0, 0
    while train_s < budget_s:
        start = time.perf_counter()
        idx = torch.randint(len(x), (256,), generator=g)
        loss = cnf.nll(model, x[idx], trace="hutchinson", generator=g)
        opt.zero_grad()
        loss.backward()
        opt.step()
        train_s += time.perf_counter() - start
        it += 1
        if train_s >= next_eval or train_s >= budget_s:
            with torch.no_grad():
                value = float(cnf.nll(model, test))
            best = min(best, value)
            if reached is None and value <= 3.0:
                reached = train_s
            print(f"   {train_s:6.0f} s  ({it:5d} iterations): test NLL {value:.3f}")
            next_eval += 30.0
    ok = reached is not None and reached <= 300
    when = f"first at {reached:.0f} s" if reached is not None else "not reached"
    print(f"   NLL <= 3.0 within 5 min: {when} (goal: {goal(ok)}); best {best:.3f}")
    if "cnf.8gaussians" in checkpoints.stored():
        ckpt = checkpoints.load("cnf.8gaussians")
        print(
            f"   stored checkpoint: test NLL {ckpt['test_nll']:.3f} after "
            f"{ckpt['train_seconds']:.0f} s of training"
        )


def widget_latency() -> None:
    from course_lib.widgets import cnf as wcnf

    print("3. widget (3 toys, 21 times each): precompute, and callback latency in the kernel")
    frames = {}
    for toy in cnf.CHECKPOINTS:
        model, _ = cnf.load_cnf(toy)
        start = time.perf_counter()
        frames[toy] = wcnf.cnf_frames(model, toy)
        print(f"   precompute {toy:13s}: {time.perf_counter() - start:6.2f} s")
    start = time.perf_counter()
    explorer = wcnf.cnf_explorer(frames)
    print(f"   build the explorer (traces of all frames): {time.perf_counter() - start:.2f} s")
    rng = np.random.default_rng(0)
    times = []
    toys = list(frames)
    for i in range(60):
        start = time.perf_counter()
        if i % 10 == 9:
            explorer.toy.value = toys[(toys.index(explorer.toy.value) + 1) % len(toys)]
        else:
            explorer.time.value = int(rng.integers(0, 21))
        times.append(1000 * (time.perf_counter() - start))
    p50, p95 = np.percentile(times, [50, 95])
    print(
        f"   callback latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms (goal p95 <= 100 ms: {goal(p95 <= 100)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="60 s of training, not 300 s")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s)")
    training_speed()
    nll_vs_time(60.0 if args.quick else 300.0)
    widget_latency()


if __name__ == "__main__":
    main()
