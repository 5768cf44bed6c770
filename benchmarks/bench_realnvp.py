"""Real NVP on the FFJORD 2-D benchmarks: test NLL against each density's entropy floor.

For every toy density (``course_lib.flows.toy``) runs the checkpoint recipe
``flows.CHECKPOINTS["realnvp_<name>"]``: ``real_nvp(2, n_layers=8, hidden=64)`` trained by
maximum likelihood for 3,000 Adam steps on fresh batches of 512 samples, then the mean NLL
on 50,000 held-out samples. Prints it next to the floor (the differential entropy,
``flows.ENTROPY_FLOORS``: no model can go below it), the time (wall clock and process CPU
time), and whether the goals are met: NLL <= goal and training <= 30 s on 2 cores. On a
shared, loaded machine the wall time is an upper bound; CPU time / 2 estimates the wall time
on 2 idle cores.

    python benchmarks/bench_realnvp.py                       # all three
    python benchmarks/bench_realnvp.py moons                 # one
    python benchmarks/bench_realnvp.py --save moons          # also store the checkpoint
"""

from __future__ import annotations

import sys
import time

import torch

from course_lib import checkpoints, flows

torch.set_num_threads(2)

NLL_GOALS = {"moons": 2.42, "8gaussians": 2.95, "checkerboard": 3.70}  # nats
TIME_GOAL_S = 30.0


def run(name: str, save: bool) -> bool:
    key = f"flows.realnvp_{name}"
    wall, cpu = time.perf_counter(), time.process_time()
    state = checkpoints.recipe(key)()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    test_nll, floor, goal = state["test_nll"], flows.ENTROPY_FLOORS[name], NLL_GOALS[name]
    met_nll, met_time = test_nll <= goal, min(wall, cpu / 2) <= TIME_GOAL_S
    print(
        f"{name:13s} test NLL {test_nll:.3f} nats (floor {floor:.3f}, gap {test_nll - floor:.3f}; "
        f"goal <= {goal:.2f}: {'met' if met_nll else 'NOT met'})  "
        f"{state['steps']} steps: wall {wall:.1f} s, CPU {cpu:.1f} s "
        f"(goal <= {TIME_GOAL_S:.0f} s on 2 cores: {'met' if met_time else 'NOT met'})",
        flush=True,
    )
    if save:
        file = checkpoints.path(key)
        torch.save(state, file)
        print(f"  stored {file} ({file.stat().st_size / 1e3:.0f} kB)")
    return met_nll and met_time


def main(args: list[str]) -> None:
    save = "--save" in args
    names = [a for a in args if a != "--save"] or list(NLL_GOALS)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    results = [run(name, save) for name in names]
    print(f"goals met: {sum(results)}/{len(results)}")


if __name__ == "__main__":
    main(sys.argv[1:])
