"""Figures of the course: decision boundaries, cross-validation curves, timing bars.

Each function draws on ``ax`` (a new figure when None) and returns that Axes, with a title and labelled
axes. They work under any matplotlib backend, including the headless Agg used during grading.
"""

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

__all__ = ["plot_cross_validation", "plot_decision_boundary", "plot_timings"]


def _new_axes() -> Axes:
    import matplotlib.pyplot as plt  # lazily: importing course.viz does not pick a backend

    _, ax = plt.subplots()
    return ax


def _as_labels(values: object, what: str) -> np.ndarray:
    """values as an int64 array; floats are accepted only if they are whole numbers."""
    arr = np.asarray(values)
    if arr.dtype == bool or np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        return arr.astype(np.int64)
    raise ValueError(
        f"{what} must be integer class labels, got dtype {arr.dtype}"
        + (f" with values such as {arr.ravel()[:3]}" if arr.size else "")
        + " (scores or probabilities? take the argmax or threshold them first)"
    )


def plot_decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    resolution: int = 200,
    padding: float = 0.5,
    title: str | None = None,
    cmap: str = "viridis",
) -> Axes:
    """Colour the plane by the class ``predict`` assigns to it, and scatter the data on top.

    predict: maps grid points G: (M, 2) to labels (M,) ints; called ONCE on all M = resolution**2 points.
    X: (N, 2) points, y: (N,) integer labels (the scatter's colours).
    resolution: grid points per axis; padding: margin added around the range of X on every side.
    Returns the Axes, with axes labelled "$x_1$", "$x_2$" and the given title.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be an (N, 2) array of 2D points with N >= 1, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must hold finite numbers only (found NaN or inf)")
    y_arr = np.asarray(y)
    if y_arr.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X {X.shape}, got {y_arr.shape}")
    y_arr = _as_labels(y_arr, "y")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    if not np.isfinite(padding) or padding < 0:
        raise ValueError(f"padding must be a finite number >= 0, got {padding!r}")

    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    flat = hi - lo == 0  # all points share a coordinate and padding is 0: still show a band around them
    lo, hi = np.where(flat, lo - 0.5, lo), np.where(flat, hi + 0.5, hi)
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[xx.ravel(), yy.ravel()]  # (M, 2)

    Z = np.asarray(predict(grid))  # one batched call
    M = grid.shape[0]
    if Z.shape != (M,):
        raise ValueError(
            f"predict must return one label per grid point, shape ({M},), got shape {Z.shape}"
            + (" (class scores? take argmax over axis 1)" if Z.ndim == 2 and Z.shape[0] == M else "")
        )
    Z = _as_labels(Z, "predict's output")

    labels = np.concatenate([Z, y_arr])
    vmin, vmax = labels.min() - 0.5, labels.max() + 0.5  # one colour per integer label, shared below
    levels = np.arange(vmin, vmax + 1.0)

    if ax is None:
        ax = _new_axes()
    ax.contourf(xx, yy, Z.reshape(xx.shape), levels=levels, cmap=cmap, vmin=vmin, vmax=vmax, alpha=0.35)
    points = ax.scatter(X[:, 0], X[:, 1], c=y_arr, cmap=cmap, vmin=vmin, vmax=vmax,
                        s=20, edgecolors="k", linewidths=0.5)
    if len(np.unique(y_arr)) <= 10:
        ax.legend(*points.legend_elements(), title="class", loc="best", fontsize="small")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_cross_validation(
    results: Mapping[int, Sequence[float]],
    ax: Axes | None = None,
    title: str = "Cross-validation",
) -> Axes:
    """Accuracy of every fold for each k (dots) and their mean +- std (error-bar line).

    results: {k: [validation accuracy of fold 1, ..., fold F]}, e.g. the output of ``cross_validate_k``.
    Returns the Axes, with axes labelled "k" and "validation accuracy".
    """
    if not isinstance(results, Mapping) or len(results) == 0:
        raise ValueError("results must be a non-empty dict {k: [accuracy per fold]}")
    ks = sorted(results)
    folds = {}
    for k in ks:
        accs = np.asarray(results[k], dtype=np.float64)
        if accs.ndim != 1 or accs.size == 0:
            raise ValueError(f"results[{k!r}] must be a non-empty list of fold accuracies, got {results[k]!r}")
        folds[k] = accs
    if ax is None:
        ax = _new_axes()
    for k, accs in folds.items():
        ax.scatter(np.full(accs.size, k), accs, color="tab:blue", alpha=0.6, s=15)
    means = [accs.mean() for accs in folds.values()]
    stds = [accs.std() for accs in folds.values()]
    ax.errorbar(ks, means, yerr=stds, color="tab:orange", marker="o", capsize=4, label="mean ± std")
    ax.legend(loc="best")
    ax.set_xlabel("k")
    ax.set_ylabel("validation accuracy")
    ax.set_title(title)
    return ax


def plot_timings(
    timings: Mapping[str, float],
    ax: Axes | None = None,
    title: str = "Run time per implementation",
) -> Axes:
    """Bar chart of the seconds each implementation took, on a log-scale y axis.

    timings: {implementation name: seconds > 0}, e.g. {"two loops": 12.3, "no loops": 0.05}.
    Returns the Axes, with axes labelled "implementation" and "time (s)" and the y axis in log scale.
    """
    if not isinstance(timings, Mapping) or len(timings) == 0:
        raise ValueError("timings must be a non-empty dict {implementation name: seconds}")
    names = [str(name) for name in timings]
    seconds = np.asarray(list(timings.values()), dtype=np.float64)
    if seconds.ndim != 1 or not np.all(np.isfinite(seconds)) or np.any(seconds <= 0):
        raise ValueError(f"every timing must be a finite number of seconds > 0 (log scale), got {dict(timings)}")
    if ax is None:
        ax = _new_axes()
    bars = ax.bar(names, seconds, color="tab:blue")
    ax.bar_label(bars, labels=[f"{s:.3g} s" for s in seconds], fontsize="small")
    ax.set_yscale("log")
    ax.set_xlabel("implementation")
    ax.set_ylabel("time (s)")
    ax.set_title(title)
    return ax
