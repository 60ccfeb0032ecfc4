"""Benchmark: one redraw of the kNN decision-boundary explorer (goal: <= 100 ms median at 200 × 200).

    python bench/widgets.py [--repeats N] [--resolutions 200 120 80] [--json PATH]

What one slider move costs in the a1_knn explorer: `course.widgets.render_png` running a draw that predicts
every point of a resolution × resolution grid with the reference kNN (`solutions.knn`: the no-loop distances and
`predict_labels`) on a 2D moons set of 150 points, k = 5, then draws it with `course.viz.plot_decision_boundary`
and encodes the PNG (Agg, headless — the browser's own decoding is not included).

Split of the median redraw: distances (no-loop, (M, 150)), the vote (`predict_labels`: a stable argsort of every
row, then a Python loop with np.bincount over the M = resolution² rows), and drawing (contourf + scatter +
legend + PNG encoding). An extra row times a loop-free vote, written here (solutions/knn.py is not touched),
to show what the Python loop costs. Every part is warmed up, then timed `repeats` times; medians of wall time
and of this process's CPU time are reported (a busy machine inflates the first more than the second).
Nothing here asserts on a time.

Results: a table on stdout and JSON in bench/results/widgets.json (git-ignored).
"""

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from course import data, viz  # noqa: E402
from course.widgets import render_png  # noqa: E402
from solutions import knn  # noqa: E402

GOAL_MS = 100.0
K = 5


def vote_without_loop(dists: np.ndarray, y_train: np.ndarray, k: int) -> np.ndarray:
    """predict_labels without the per-row Python loop: one-hot counts of the k nearest, argmax (ties → smallest)."""
    nearest = np.argpartition(dists, k - 1, axis=1)[:, :k] if k < dists.shape[1] else np.argsort(dists, axis=1)
    counts = np.zeros((dists.shape[0], int(y_train.max()) + 1), dtype=np.int64)
    np.add.at(counts, (np.arange(dists.shape[0])[:, None], y_train[nearest]), 1)
    return np.argmax(counts, axis=1)


def grid(X: np.ndarray, resolution: int, padding: float = 0.5) -> np.ndarray:
    """The (resolution², 2) grid plot_decision_boundary predicts on."""
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    return np.c_[xx.ravel(), yy.ravel()]


CPU: dict[str, float] = {}  # name -> median CPU ms of the last bench() (process time: robust to a busy machine)


def median_ms(fn, repeats: int, name: str = "") -> float:
    """Median wall time of fn() in ms (after a warm-up); its median CPU time goes to CPU[name]."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU[name] = 1e3 * statistics.median(cpu)
    return 1e3 * statistics.median(wall)


def bench(resolution: int, repeats: int) -> dict[str, float]:
    X, y = data.load_2d("moons", n_samples=150, seed=0)
    model = knn.KNearestNeighbor()
    model.train(X, y)
    G = grid(X, resolution)
    dists = knn.compute_distances_no_loops(G, X)
    labels = knn.predict_labels(dists, y, k=K)
    assert np.array_equal(vote_without_loop(dists, y, K), labels), "the loop-free vote must agree"

    def draw(k: int) -> None:
        viz.plot_decision_boundary(lambda P: model.predict(P, k=k), X, y, ax=plt.gca(), resolution=resolution,
                                   title=f"kNN decision boundary, k = {k} (moons)")

    def draw_only(k: int) -> None:  # the same figure with the labels precomputed: drawing + PNG only
        viz.plot_decision_boundary(lambda P: labels, X, y, ax=plt.gca(), resolution=resolution,
                                   title=f"kNN decision boundary, k = {k} (moons)")

    parts = {
        "redraw": lambda: render_png(draw, {"k": K}),
        "distances": lambda: knn.compute_distances_no_loops(G, X),
        "vote (predict_labels)": lambda: knn.predict_labels(dists, y, k=K),
        "drawing + PNG": lambda: render_png(draw_only, {"k": K}),
        "vote without loop (variant)": lambda: vote_without_loop(dists, y, K),
    }
    row = {name: median_ms(fn, repeats, name) for name, fn in parts.items()}
    row["predict"] = row["distances"] + row["vote (predict_labels)"]
    row.update({f"{name} (CPU)": CPU[name] for name in parts})
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--resolutions", type=int, nargs="+", default=[200, 120, 80])
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "widgets.json")
    args = parser.parse_args(argv)

    results = {str(r): bench(r, args.repeats) for r in args.resolutions}
    names = ["redraw", "predict", "distances", "vote (predict_labels)", "drawing + PNG",
             "vote without loop (variant)"]
    print(f"kNN explorer redraw, moons n=150, k={K}, medians of {args.repeats} (ms)")
    print(f"{'resolution':>28}" + "".join(f"{r + '²':>10}" for r in results))
    for name in names:
        print(f"{name:>28}" + "".join(f"{results[r][name]:10.1f}" for r in results))
    print("median CPU time (this process only: what a busy machine's wall times inflate)")
    for name in names[:1] + names[2:]:
        print(f"{name:>28}" + "".join(f"{results[r][name + ' (CPU)']:10.1f}" for r in results))
    for r, row in results.items():
        verdict = "within" if row["redraw"] <= GOAL_MS else "OVER"
        print(f"resolution {r}: redraw {row['redraw']:.1f} ms ({verdict} the {GOAL_MS:.0f} ms goal): "
              f"predict {row['predict']:.1f} ms (vote {row['vote (predict_labels)']:.1f}), "
              f"drawing + PNG {row['drawing + PNG']:.1f} ms")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"goal_ms": GOAL_MS, "repeats": args.repeats, "k": K, "n_train": 150,
                                     "machine": platform.platform(), "numpy": np.__version__,
                                     "matplotlib": matplotlib.__version__, "results_ms": results}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
