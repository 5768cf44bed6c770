"""VAE quality on the bundled digits (binarised at >= 8/16) and the latent-sweep widget's latency.

    .venv/bin/python benchmarks/bench_vae.py            # about 1 minute on 2 idle cores
    .venv/bin/python benchmarks/bench_vae.py --quick    # few epochs, a smoke run

For a 2-D and a 10-D latent it trains ``autoencoders.train_vae`` (MLP 64-256-256-d, Adam 2e-3,
batch 64, 100 epochs, seeded) on the 1,438 training images and prints, on the 359 test images:

* the test ELBO in nats per image (Bernoulli log-likelihood summed over 64 pixels minus the
  closed-form KL; the one-sample estimate averaged over 10 draws per image);
* the importance-weighted bound with k = 100 (tighter, closer to log p(x));
* the training time, against the goal of 20 s on 2 cores;
* as a reference measured in the same run: the test log-likelihood of independent Bernoulli
  pixels with the training means (no latent at all), and the gain of each VAE over it.

Then it times the live widget's callback (a slider move: look up, redraw) over 200 random
moves and prints the p50 / p95 latency against the goal of 100 ms.
Timings on a loaded machine are upper bounds.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from course_lib import autoencoders as ae
from course_lib import data

GOALS = {2: -19.5, 10: -18.0}  # test ELBO, nats per image
TIME_GOAL_S = 20.0
LATENCY_GOAL_MS = 100.0


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def independent_pixels_log_likelihood(x_train: torch.Tensor, x_test: torch.Tensor) -> float:
    """Test log-likelihood of a product of Bernoullis with the training pixel means (smoothed)."""
    p = (x_train.sum(0) + 1) / (len(x_train) + 2)  # Laplace smoothing: no log 0
    return float((x_test * p.log() + (1 - x_test) * (1 - p).log()).sum(1).mean())


def evaluate(model, x_test) -> tuple[float, float]:
    g = torch.Generator().manual_seed(123)
    with torch.no_grad():
        elbo = torch.stack([ae.elbo(model, x_test, generator=g) for _ in range(10)]).mean()
    iwae = ae.iwae_bound(model, x_test, 100, generator=g).mean()
    return float(elbo), float(iwae)


def widget_latency(model, digits) -> list[float]:
    from course_lib.widgets import vae as wv

    explorer = wv.vae_explorer(sweep=wv.latent_sweep(model, digits.x_test, digits.y_test))
    n = len(explorer.sweep.values)
    g = torch.Generator().manual_seed(0)
    times = []
    for _ in range(200):
        i, j = torch.randint(n, (2,), generator=g).tolist()
        t0 = time.perf_counter()
        explorer.sliders[0].value = i  # what dragging a slider does: observer -> select()
        explorer.sliders[1].value = j
        times.append((time.perf_counter() - t0) * 1000 / 2)  # per slider move
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 epochs: a smoke run")
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    epochs = 3 if args.quick else args.epochs
    torch.set_num_threads(2)

    digits = data.digits()
    x_train, x_test = ae.binarize(digits.x_train), ae.binarize(digits.x_test)
    baseline = independent_pixels_log_likelihood(x_train, x_test)
    print(f"data: {len(x_train)} train / {len(x_test)} test images, 64 binary pixels (>= 8/16)")
    print(f"reference, independent pixels (no latent): test log-likelihood {baseline:.2f} nats")
    print(f"VAE: MLP 64-256-256-d, Adam lr 2e-3, batch 64, {epochs} epochs, torch threads 2\n")
    print(
        f"{'latent':>6} {'ELBO':>8} {'goal':>7} {'':8} {'IWAE-100':>9} {'gain':>6} "
        f"{'train s':>8} {'goal':>5}"
    )
    models = {}
    for latent, goal in GOALS.items():
        t0 = time.perf_counter()
        model, _ = ae.train_vae(latent, epochs, hidden=(256, 256), batch_size=64, lr=2e-3, seed=0)
        seconds = time.perf_counter() - t0
        elbo, iwae = evaluate(model, x_test)
        models[latent] = model
        print(
            f"{latent:>6} {elbo:8.2f} {goal:7.1f} {met(elbo >= goal):8} {iwae:9.2f} "
            f"{elbo - baseline:+6.1f} {seconds:8.1f} {TIME_GOAL_S:5.0f} {met(seconds <= TIME_GOAL_S)}"
        )
    print("(gain: ELBO minus the independent-pixels log-likelihood; IWAE-100 >= ELBO expected)\n")

    times = widget_latency(models[2], digits)
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(
        f"widget slider move (lookup + redraw of 3 traces): p50 {p50:.1f} ms, "
        f"p95 {p95:.1f} ms, goal p95 <= {LATENCY_GOAL_MS:.0f} ms: {met(p95 <= LATENCY_GOAL_MS)}"
    )


if __name__ == "__main__":
    main()
