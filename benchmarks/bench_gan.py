"""Chapter 5 quality benchmark: mode collapse and its fix on the 2-D Gaussian mixtures.

Ring: 8 Gaussians of std 0.02 on a circle of radius 2 (``data.gaussian_ring``); grid: 25
Gaussians of std 0.05, spacing 2 (``data.gaussian_grid``). Metric: ``gan_metrics.mode_coverage``
on 2,000 generator samples (high quality = within 3 std of the nearest mode).

Goals (from the chapter's brief):
* WGAN-GP (``gans.WGAN_GP``) covers 8/8 ring modes with >= 50% high-quality samples in at
  least 4 of 5 seeds, each run <= 60 s;
* the collapse setting (``gans.COLLAPSE``) ends with <= 3 of 8 modes in at least 2 of 3 seeds;
* WGAN-GP on the 25-grid covers >= 23/25 modes in <= 3 min.

    python benchmarks/bench_gan.py            # everything (several minutes on 2 idle cores)
    python benchmarks/bench_gan.py --quick    # 1 WGAN-GP seed, 2 collapse seeds, no grid

Times are wall-clock on this machine; on a shared, loaded machine they are upper bounds.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import torch

from course_lib import data, gans
from course_lib import gan_metrics as gm

GRID_WGAN_GP = replace(gans.WGAN_GP, steps=1500)


def run(cfg, real, modes, std, seed):
    r = gans.train_gan(real, replace(cfg, seed=seed))
    cov = gm.mode_coverage(r.sample(2000, seed=seed + 100), modes, std)
    return cov, r.seconds


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="1 WGAN-GP seed, 2 collapse seeds, no 25-grid run"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ring, ring_modes = data.gaussian_ring(50_000, seed=0), data.ring_modes()
    wgan_seeds = range(1) if args.quick else range(5)
    collapse_seeds = range(2) if args.quick else range(3)
    print(f"mode {'--quick' if args.quick else 'full'}; torch threads = {torch.get_num_threads()}")

    print("\nCollapse setting on the 8-ring (goal: <= 3 of 8 modes in >= 2 of 3 seeds)")
    collapsed = 0
    for seed in collapse_seeds:
        cov, sec = run(gans.COLLAPSE, ring, ring_modes, 0.02, seed)
        collapsed += cov.covered <= 3
        print(
            f"  seed {seed}: {cov}, {sec:6.1f} s  [{'collapsed' if cov.covered <= 3 else 'not collapsed'}]"
        )
    need = 2 if len(collapse_seeds) == 3 else len(collapse_seeds)
    print(
        f"  -> {collapsed}/{len(collapse_seeds)} collapsed (need {need}): {verdict(collapsed >= need)}"
    )
    if not args.quick:
        cov, sec = run(gans.WIDE_NOISE, ring, ring_modes, 0.02, 0)
        print(f"  reference, same GAN with noise N(0, I): {cov}, {sec:.1f} s")

    print(
        "\nWGAN-GP on the 8-ring (goal: 8/8 modes and >= 50% HQ in >= 4 of 5 seeds, <= 60 s each)"
    )
    good = 0
    times = []
    for seed in wgan_seeds:
        cov, sec = run(gans.WGAN_GP, ring, ring_modes, 0.02, seed)
        ok = cov.covered == 8 and cov.high_quality >= 0.5
        good += ok
        times.append(sec)
        print(f"  seed {seed}: {cov}, {sec:6.1f} s  [{verdict(ok and sec <= 60)}]")
    need = 4 if len(wgan_seeds) == 5 else len(wgan_seeds)
    print(
        f"  -> {good}/{len(wgan_seeds)} seeds good (need {need}), slowest {max(times):.1f} s: "
        f"{verdict(good >= need and max(times) <= 60)}"
    )

    if not args.quick:
        print("\nWGAN-GP on the 25-grid (goal: >= 23/25 modes in <= 180 s)")
        grid = data.gaussian_grid(50_000, seed=0)
        g = torch.arange(5, dtype=torch.float64) * 2 - 4
        grid_modes = torch.cartesian_prod(g, g)
        cov, sec = run(GRID_WGAN_GP, grid, grid_modes, 0.05, 0)
        print(f"  seed 0: {cov}, {sec:.1f} s  [{verdict(cov.covered >= 23 and sec <= 180)}]")

    print(
        "\nPublished anchor (GDPP paper, Elfeki et al. 2019, VEEGAN protocol, 8-ring): "
        "GAN 1/8 modes; WGAN-GP 6.8/8 modes at 59.6% high quality."
    )


if __name__ == "__main__":
    main()
