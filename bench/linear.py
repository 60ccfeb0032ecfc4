"""Benchmark: naive (loops) vs vectorized SVM and softmax losses on a CIFAR-10-sized problem.

N = 500 samples, D = 3073 (32·32·3 pixels + bias), C = 10 classes, float64, the same inputs for every run, all
in this one process. Each function runs `--repeats` times after one warm-up call; we report medians and the
ratio naive / vectorized (the goal is >= 50x). Prints a table and writes bench/results/linear.json.
No assertion on the timings: they depend on the machine.

A floor is timed as well: the two matrix products every vectorized loss-and-gradient needs, scores = X @ W
(N, C) and dW = X.T @ dscores (D, C), and nothing else. No vectorized implementation can be faster than that
floor, so naive / floor is the largest ratio this machine allows (BLAS threads as numpy found them).

    python bench/linear.py [--repeats 7] [--out bench/results/linear.json]
"""
import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable

import numpy as np

from solutions import linear

N, D, C = 500, 3073, 10


def median_seconds(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """Median wall time of fn() over `repeats` calls (after one warm-up call), and all the times."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per function (default 7)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "linear.json",
                        help="where to write the JSON results")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    X = rng.normal(scale=60.0, size=(N, D))  # centred CIFAR-like pixel values
    X[:, -1] = 1.0  # bias column
    y = rng.integers(0, C, size=N)
    W = 1e-4 * rng.standard_normal((D, C))
    reg = 2.5e4 * 1e-4  # any value: it does not change the work

    pairs = {"svm": (linear.svm_loss_naive, linear.svm_loss_vectorized),
             "softmax": (linear.softmax_loss_naive, linear.softmax_loss_vectorized)}
    results = {"N": N, "D": D, "C": C, "repeats": args.repeats, "numpy": np.__version__,
               "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
               "losses": {}}
    print(f"naive vs vectorized losses, N={N}, D={D}, C={C}, median of {args.repeats} runs")
    dscores = rng.standard_normal((N, C))
    t_floor, all_floor = median_seconds(lambda: (X @ W, X.T @ dscores), args.repeats)
    results["floor_two_products_s"] = t_floor
    results["floor_runs_s"] = all_floor
    print(f"   floor: X @ W and X.T @ dscores alone {t_floor * 1e3:7.2f} ms")
    for name, (naive, vectorized) in pairs.items():
        t_naive, all_naive = median_seconds(lambda: naive(W, X, y, reg), args.repeats)
        t_vec, all_vec = median_seconds(lambda: vectorized(W, X, y, reg), args.repeats)
        ratio = t_naive / t_vec
        ceiling = t_naive / t_floor
        results["losses"][name] = {"naive_s": t_naive, "vectorized_s": t_vec, "ratio": ratio,
                                   "ceiling_ratio_naive_over_floor": ceiling,
                                   "vectorized_over_floor": t_vec / t_floor,
                                   "naive_runs_s": all_naive, "vectorized_runs_s": all_vec}
        print(f"{name:>8}: naive {t_naive * 1e3:8.2f} ms   vectorized {t_vec * 1e3:7.2f} ms   ratio {ratio:6.1f}x"
              f"   (at most {ceiling:5.1f}x here: vectorized = {t_vec / t_floor:.2f} x floor)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")
    return results


if __name__ == "__main__":
    main()
