"""Benchmark: one redraw of a decision-boundary explorer (goal: <= 100 ms median on a 200 × 200 grid).

    python bench/widgets.py [--repeats N] [--resolutions 200 80] [--json PATH]

One redraw = what the explorer does after a slider move once the model is fixed: predict every point of a
resolution × resolution grid, paint the regions with the data on top, and encode the PNG (Agg, headless; the
browser's own decoding is not included). Measured for the course's three decision-boundary explorers, with
the reference code standing in for a student's:

- knn:     a1's kNN (no-loop distances + `predict_labels`, whose vote is a Python loop over the grid rows, as
           the lecture writes it) on the 150-point moons set, k = 5;
- linear:  a2's softmax classifier (trained once here, 300 SGD steps) on 150 blobs in 3 classes;
- xor_net: a3's two-layer ReLU net (trained once here) on the 200-point XOR set.

Two ways of drawing, in the same process on the same labels: the baseline `fresh figure` (a new pyplot
figure, `plot_decision_boundary`, `savefig`: what every explorer did before `course.viz.BoundaryView`) and
`BoundaryView.render` (the figure kept between redraws; only the regions, points, legend and title are
repainted over a saved background; PNG at zlib level 1). The kNN rows also split predict into distances and
vote. Every part is warmed up, then timed `repeats` times; medians of wall time, and of this process's CPU
time (a busy machine inflates the first more than the second). Nothing here asserts on a time.

Results: a table on stdout and JSON in bench/results/widgets.json (git-ignored).
"""

import argparse
import io
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from course import data, viz  # noqa: E402
from solutions import backprop, knn, layers, linear  # noqa: E402

GOAL_MS = 100.0
K = 5


def median_ms(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(median wall ms, median CPU ms of this process) of fn() over `repeats` calls, after one warm-up call."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1e3 * statistics.median(wall), 1e3 * statistics.median(cpu)


def add_bias(P: np.ndarray) -> np.ndarray:
    return np.hstack([P, np.ones((len(P), 1))])


def explorers() -> dict[str, tuple[Callable[[np.ndarray], np.ndarray], np.ndarray, np.ndarray, int]]:
    """name -> (predict on grid points (M, 2), X, y, the resolution the notebook's explorer uses)."""
    Xk, yk = data.load_2d("moons", n_samples=150, seed=0)
    model = knn.KNearestNeighbor()
    model.train(Xk, yk)

    Xl, yl = data.load_2d("blobs", n_samples=150, num_classes=3, noise=1.2, seed=0)
    softmax = linear.Softmax()
    softmax.train(add_bias(Xl), yl, learning_rate=0.1, reg=1e-2, num_iters=300, batch_size=50)

    Xx, yx = data.make_xor(200, noise=0.2, seed=0)
    net, _ = backprop.train_two_layer_net(Xx, yx, 4, layers.relu_forward, layers.relu_backward,
                                          num_iters=1000, seed=0)
    return {
        "knn": (lambda P: model.predict(P, k=K), Xk, yk, 80),
        "linear": (lambda P: softmax.predict(add_bias(P)), Xl, yl, 120),
        "xor_net": (net, Xx, yx, 80),
    }


def fresh_figure_png(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                     resolution: int) -> bytes:
    """The baseline: a new pyplot figure, plot_decision_boundary, savefig (default PNG compression)."""
    fig = plt.figure(figsize=(6, 5))
    try:
        viz.plot_decision_boundary(predict, X, y, ax=fig.gca(), resolution=resolution, title="decision boundary")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)


def grid(X: np.ndarray, resolution: int, padding: float = 0.5) -> np.ndarray:
    """The (resolution², 2) grid the boundary plots predict on."""
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    return np.c_[xx.ravel(), yy.ravel()]


def bench(name: str, predict, X, y, resolution: int, repeats: int) -> dict[str, float]:
    G = grid(X, resolution)
    labels = np.asarray(predict(G))
    view = viz.BoundaryView(resolution=resolution)
    parts: dict[str, Callable[[], object]] = {
        "predict": lambda: predict(G),
        "fresh figure redraw": lambda: fresh_figure_png(predict, X, y, resolution),
        "BoundaryView redraw": lambda: view.render(predict, X, y, title=f"{name}, redraw"),
        "BoundaryView drawing only": lambda: view.render(lambda P: labels, X, y, title=f"{name}, redraw"),
    }
    if name == "knn":
        model_X, model_y = X, y
        dists = knn.compute_distances_no_loops(G, model_X)
        parts["knn distances"] = lambda: knn.compute_distances_no_loops(G, model_X)
        parts["knn vote (predict_labels)"] = lambda: knn.predict_labels(dists, model_y, k=K)
    row: dict[str, float] = {}
    for part, fn in parts.items():
        row[part], row[f"{part} (CPU)"] = median_ms(fn, repeats)
    row["ratio fresh / BoundaryView"] = row["fresh figure redraw"] / row["BoundaryView redraw"]
    row["rebuilds"] = view.rebuilds  # 1: the background was drawn once, every timed redraw reused it
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--resolutions", type=int, nargs="+", default=[200],
                        help="grids to time besides each explorer's own (default: 200)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "widgets.json")
    args = parser.parse_args(argv)

    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, (predict, X, y, own) in explorers().items():
        for resolution in sorted(set(args.resolutions) | {own}, reverse=True):
            results.setdefault(name, {})[str(resolution)] = bench(name, predict, X, y, resolution, args.repeats)

    print(f"decision-boundary explorer redraw, medians of {args.repeats} runs (ms; CPU ms of this process in "
          "brackets)")
    cols = ["predict", "fresh figure redraw", "BoundaryView redraw", "BoundaryView drawing only"]
    print(f"{'explorer':>9} {'grid':>6}" + "".join(f"{c:>28}" for c in cols) + f"{'fresh/view':>12}")
    for name, rows in results.items():
        for resolution, row in rows.items():
            cells = "".join(f"{row[c]:>17.1f} [{row[c + ' (CPU)']:6.1f}]  " for c in cols)
            print(f"{name:>9} {resolution + '²':>6}{cells}{row['ratio fresh / BoundaryView']:>10.1f}x")
    for resolution, row in results["knn"].items():
        print(f"knn {resolution}²: distances {row['knn distances']:.1f} ms, vote (predict_labels) "
              f"{row['knn vote (predict_labels)']:.1f} ms")
    for name, rows in results.items():
        for resolution, row in rows.items():
            verdict = "within" if row["BoundaryView redraw"] <= GOAL_MS else "OVER"
            print(f"{name} {resolution}²: redraw {row['BoundaryView redraw']:.1f} ms ({verdict} the {GOAL_MS:.0f} ms "
                  f"goal; baseline fresh figure {row['fresh figure redraw']:.1f} ms)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"goal_ms": GOAL_MS, "repeats": args.repeats, "k": K,
                                     "machine": platform.platform(), "numpy": np.__version__,
                                     "matplotlib": matplotlib.__version__, "results_ms": results}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
