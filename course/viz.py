"""Figures of the course: decision boundaries, cross-validation curves, timing bars.

Each function draws on ``ax`` (a new figure when None) and returns that Axes, with a title and labelled
axes. They work under any matplotlib backend, including the headless Agg used during grading.
"""

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes

__all__ = ["BoundaryView", "plot_cross_validation", "plot_decision_boundary", "plot_timings"]


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


def _check_resolution(resolution: object) -> None:
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")


def _boundary_grid(X: np.ndarray, y: object, resolution: int, padding: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate (X, y) and lay the grid over them: X (N, 2) float64, y (N,) int64, lo (2,), hi (2,)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be an (N, 2) array of 2D points with N >= 1, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must hold finite numbers only (found NaN or inf)")
    y_arr = np.asarray(y)
    if y_arr.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X {X.shape}, got {y_arr.shape}")
    y_arr = _as_labels(y_arr, "y")
    _check_resolution(resolution)
    if not np.isfinite(padding) or padding < 0:
        raise ValueError(f"padding must be a finite number >= 0, got {padding!r}")
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    flat = hi - lo == 0  # all points share a coordinate and padding is 0: still show a band around them
    lo, hi = np.where(flat, lo - 0.5, lo), np.where(flat, hi + 0.5, hi)
    return X, y_arr, lo, hi


def _grid_labels(predict: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray,
                 resolution: int) -> np.ndarray:
    """predict's labels on the resolution x resolution grid over [lo, hi]: Z (resolution, resolution) int64.

    Row r of Z is x2 = linspace(lo[1], hi[1])[r], column c is x1 = linspace(lo[0], hi[0])[c]; predict is
    called ONCE on all M = resolution**2 grid points G: (M, 2).
    """
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[xx.ravel(), yy.ravel()]  # (M, 2)
    Z = np.asarray(predict(grid))  # one batched call
    M = grid.shape[0]
    if Z.shape != (M,):
        raise ValueError(
            f"predict must return one label per grid point, shape ({M},), got shape {Z.shape}"
            + (" (class scores? take argmax over axis 1)" if Z.ndim == 2 and Z.shape[0] == M else "")
        )
    return _as_labels(Z, "predict's output").reshape(resolution, resolution)


def _label_range(*labels: np.ndarray) -> tuple[float, float]:
    """(vmin, vmax) giving one colour per integer label, shared by the regions and the points."""
    return min(int(a.min()) for a in labels) - 0.5, max(int(a.max()) for a in labels) + 0.5


def _region_image(ax: Axes, Z: np.ndarray, lo: np.ndarray, hi: np.ndarray, cmap: str, vmin: float,
                  vmax: float, **kwargs: object):
    """The coloured regions: one pixel per grid point, centred on it (the grid's ends are the plot's edges)."""
    r = Z.shape[0]
    half = (hi - lo) / (2 * (r - 1))  # half a grid step: the pixels of the end points stop at lo and hi
    return ax.imshow(Z, origin="lower", extent=(lo[0] - half[0], hi[0] + half[0], lo[1] - half[1], hi[1] + half[1]),
                     cmap=cmap, vmin=vmin, vmax=vmax, alpha=0.35, interpolation="bilinear",
                     interpolation_stage="rgba", aspect="auto", **kwargs)


def _points(ax: Axes, X: np.ndarray, y: np.ndarray, cmap: str, vmin: float, vmax: float, **kwargs: object):
    """The data on top of the regions, and a legend of its classes (None when there are more than 10)."""
    points = ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=vmin, vmax=vmax, s=20, edgecolors="k",
                        linewidths=0.5, **kwargs)
    legend = None
    if len(np.unique(y)) <= 10:
        legend = ax.legend(*points.legend_elements(), title="class", loc="best", fontsize="small")
    return points, legend


def _finish_axes(ax: Axes, lo: np.ndarray, hi: np.ndarray) -> None:
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


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
    Returns the Axes, with axes labelled "$x_1$", "$x_2$" and the given title. (Explorers that redraw the
    same data many times use `BoundaryView`, which draws the same picture faster.)
    """
    X, y_arr, lo, hi = _boundary_grid(X, y, resolution, padding)
    Z = _grid_labels(predict, lo, hi, resolution)
    vmin, vmax = _label_range(Z, y_arr)
    if ax is None:
        ax = _new_axes()
    _region_image(ax, Z, lo, hi, cmap, vmin, vmax)
    _points(ax, X, y_arr, cmap, vmin, vmax)
    _finish_axes(ax, lo, hi)
    if title is not None:
        ax.set_title(title)
    return ax


class BoundaryView:
    """A decision-boundary figure kept between an explorer's redraws: `render(...)` returns PNG bytes.

    The same picture as `plot_decision_boundary`, but the axes, ticks and labels are drawn once per data set;
    a redraw only paints the regions, the points, the legend and the title over that saved background
    (matplotlib's blitting) and encodes the PNG with fast compression: several times cheaper than a fresh
    figure (bench/widgets.py). An explorer's draw function returns what `render` returns:

        view = BoundaryView(resolution=100)
        def draw(k):
            return view.render(lambda G: model.predict(G, k=k), X, y, title=f"k = {k}")
    """

    def __init__(self, figsize: tuple[float, float] = (6, 5), resolution: int = 200, padding: float = 0.5,
                 cmap: str = "viridis", dpi: float = 100) -> None:
        _check_resolution(resolution)
        self.figsize, self.resolution, self.padding, self.cmap, self.dpi = figsize, int(resolution), padding, cmap, dpi
        self._key: tuple | None = None  # what the saved background shows: data, colour range, size
        self.rebuilds = 0  # how many times the background was drawn (a test counts them)

    def _build(self, key: tuple, X: np.ndarray, y: np.ndarray, Z: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               vmin: float, vmax: float) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure  # no pyplot: this figure is never shown or left open

        fig = Figure(figsize=self.figsize, dpi=self.dpi)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        self._image = _region_image(ax, Z, lo, hi, self.cmap, vmin, vmax, animated=True)
        self._points, self._legend = _points(ax, X, y, self.cmap, vmin, vmax, animated=True)
        if self._legend is not None:
            self._legend.set_animated(True)
        _finish_axes(ax, lo, hi)
        self._title = ax.set_title(" ", animated=True)
        canvas.draw()  # everything but the animated artists
        self._background = canvas.copy_from_bbox(fig.bbox)
        self._fig, self._canvas, self.ax = fig, canvas, ax
        self._key = key
        self.rebuilds += 1

    def render(self, predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
               title: str | None = None,
               overlay: Callable[[Axes], Sequence[object]] | None = None) -> bytes:
        """PNG bytes of the decision boundary of ``predict`` with the points (X: (N, 2), y: (N,)) on top.

        predict is called once on the (resolution**2, 2) grid. overlay(ax), if given, adds artists for this
        frame only (e.g. a margin contour) and returns them; they are drawn on top, then removed.
        """
        import io

        from PIL import Image  # Pillow comes with matplotlib

        X, y_arr, lo, hi = _boundary_grid(X, y, self.resolution, self.padding)
        Z = _grid_labels(predict, lo, hi, self.resolution)
        vmin, vmax = _label_range(Z, y_arr)
        key = (X.tobytes(), y_arr.tobytes(), vmin, vmax)
        if key != self._key:
            self._build(key, X, y_arr, Z, lo, hi, vmin, vmax)
        self._canvas.restore_region(self._background)
        self._image.set_data(Z)
        self._title.set_text(title or "")
        extra = list(overlay(self.ax)) if overlay is not None else []
        try:
            for artist in [self._image, *extra, self._points, self._legend, self._title]:
                if artist is not None:
                    self._fig.draw_artist(artist)
        finally:
            for artist in extra:
                artist.remove()
        width, height = self._canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self._canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1)  # zlib level 1: ~2x faster, ~10% larger
        return buf.getvalue()


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
    ax.set_xticks(ks)  # k is an integer: one tick per value tried
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


__all__ += ["plot_heatmap", "plot_weights_as_images"]


def plot_heatmap(
    values: np.ndarray,
    row_labels: Sequence[object],
    col_labels: Sequence[object],
    ax: Axes | None = None,
    title: str = "Validation accuracy",
    xlabel: str = "",
    ylabel: str = "",
    colorbar_label: str = "",
    fmt: str = "{:.3f}",
    cmap: str = "viridis",
) -> Axes:
    """A grid of numbers as coloured cells, each annotated with its value (e.g. a hyperparameter search).

    values: (R, K) finite numbers or NaN (a NaN cell is left blank, e.g. a run that diverged);
    row_labels: R tick labels for the y axis, col_labels: K tick labels for the x axis.
    Returns the Axes, titled and labelled as given, with a colour bar.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"values must be a non-empty 2-D array (rows, columns), got shape {values.shape}")
    if len(row_labels) != values.shape[0] or len(col_labels) != values.shape[1]:
        raise ValueError(f"expected {values.shape[0]} row labels and {values.shape[1]} column labels for values "
                         f"of shape {values.shape}, got {len(row_labels)} and {len(col_labels)}")
    if ax is None:
        ax = _new_axes()
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, aspect="auto")
    colorbar = ax.figure.colorbar(image, ax=ax)
    colorbar.set_label(colorbar_label)
    ax.set_xticks(range(values.shape[1]), [str(c) for c in col_labels])
    ax.set_yticks(range(values.shape[0]), [str(r) for r in row_labels])
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize="small",
                    color="black" if v > middle else "white")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


def plot_weights_as_images(
    W: np.ndarray,
    image_shape: tuple[int, ...],
    class_names: Sequence[object] | None = None,
    title: str = "Learned weights per class",
    cmap: str = "coolwarm",
) -> object:
    """Show each column of a linear classifier's weights as an image (its "template" for that class).

    W: (P, C) with P = prod(image_shape) pixel weights (drop a bias row first); image_shape: e.g. (8, 8) or
    (32, 32, 3). Grey images use a diverging colour map centred on 0 (red: evidence for the class, blue:
    against); colour images are rescaled to [0, 1] per class. class_names: C titles (default 0 .. C-1).
    Returns the matplotlib Figure (one panel per class, titled; axes hidden since pixels have no scale).
    """
    import matplotlib.pyplot as plt

    W = np.asarray(W, dtype=np.float64)
    P = int(np.prod(image_shape))
    if W.ndim != 2 or W.shape[0] != P:
        raise ValueError(f"W must have shape (prod(image_shape), C) = ({P}, C), got {W.shape}"
                         + (" (drop the bias row: W[:-1])" if W.ndim == 2 and W.shape[0] == P + 1 else ""))
    C = W.shape[1]
    names = list(range(C)) if class_names is None else list(class_names)
    if len(names) != C:
        raise ValueError(f"expected {C} class names, got {len(names)}")
    cols = min(C, 10)
    rows = -(-C // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.5 * rows + 0.4), squeeze=False)
    limit = float(np.abs(W).max()) or 1.0
    for c, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if c >= C:
            continue
        img = W[:, c].reshape(image_shape)
        if img.ndim == 3:
            lo, hi = img.min(), img.max()
            ax.imshow((img - lo) / (hi - lo if hi > lo else 1.0))
        else:
            ax.imshow(img, cmap=cmap, vmin=-limit, vmax=limit)
        ax.set_title(str(names[c]), fontsize="small")
    fig.suptitle(title)
    return fig


__all__ += ["plot_graph", "plot_activations"]


def _graph_layers(graph: Mapping[str, Mapping[str, object]]) -> dict[str, int]:
    """Depth of every node and input: inputs (names that appear only as parents) 0, a node 1 + its deepest parent."""
    if not isinstance(graph, Mapping) or not graph:
        raise ValueError("graph must be a non-empty dict {node: {'op': ..., 'parents': [...], 'shape': ...}}")
    for name, node in graph.items():
        if not isinstance(node, Mapping) or "parents" not in node:
            raise ValueError(f"graph[{name!r}] must be a dict with a 'parents' list (and 'op', 'shape')")
        if isinstance(node["parents"], str) or not all(isinstance(p, str) for p in node["parents"]):
            raise ValueError(f"graph[{name!r}]['parents'] must be a list of names, got {node['parents']!r}")
    depth: dict[str, int] = {}

    def visit(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            raise ValueError(f"graph has a cycle: {' -> '.join(path + (name,))}")
        if name not in depth:
            parents = list(graph[name]["parents"]) if name in graph else []
            depth[name] = 1 + max((visit(p, path + (name,)) for p in parents), default=-1)
        return depth[name]

    for name in graph:
        visit(name, ())
    return depth


def plot_graph(graph: Mapping[str, Mapping[str, object]], ax: Axes | None = None,
               title: str = "Computational graph") -> Axes:
    """Draw a computational graph given as data, in layers from the inputs (left) to the output (right).

    graph: {node: {"op": str, "parents": [names], "shape": tuple}}; a parent that is not a key of graph is an
    input (drawn grey). Each node shows its name, op and shape; an arrow runs from every parent to its child.
    Returns the Axes (title given; the x axis is the depth, the number of operations from the inputs).
    """
    depth = _graph_layers(graph)
    for name in depth:  # an input sits one column before the first node that uses it
        if name not in graph:
            depth[name] = min(depth[c] for c, node in graph.items() if name in node["parents"]) - 1
    columns: dict[int, list[str]] = {}
    for name in sorted(depth, key=lambda n: (depth[n], n in graph, n)):
        columns.setdefault(depth[name], []).append(name)
    pos = {}
    for d, names in columns.items():
        inputs = [n for n in names if n not in graph]
        nodes = [n for n in names if n in graph]
        for i, name in enumerate(nodes):  # nodes on the main line (y <= 0), inputs above them
            pos[name] = (1.6 * d, -float(i))
        for i, name in enumerate(inputs):
            pos[name] = (1.6 * d, 1.0 + i)
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(1.3 * (len(columns) + 1), 3.4))
        fig.subplots_adjust(bottom=0.2)
    for name, node in graph.items():
        for parent in node["parents"]:
            ax.annotate("", xy=pos[name], xytext=pos[parent],
                        arrowprops={"arrowstyle": "-|>", "color": "0.35", "shrinkA": 22, "shrinkB": 22})
    for name, (x, y) in pos.items():
        if name in graph:
            node = graph[name]
            shape = node.get("shape", "")
            label = f"{name}\n{node.get('op', '')}\n{tuple(shape) if isinstance(shape, (list, tuple)) else shape}"
            style = {"boxstyle": "round,pad=0.4", "facecolor": "#dbe9f6", "edgecolor": "tab:blue"}
        else:
            label, style = name, {"boxstyle": "round,pad=0.4", "facecolor": "0.92", "edgecolor": "0.5"}
        ax.text(x, y, label, ha="center", va="center", fontsize="small", bbox=style)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_xticks([1.6 * d for d in sorted(columns)], [str(d) for d in sorted(columns)])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("depth (operations from the inputs)")
    ax.set_title(title)
    return ax


def plot_activations(
    layers: Mapping[str, tuple[Callable[..., object], Callable[..., object]]],
    x: np.ndarray | None = None,
    title: str = "Activation functions (solid) and their derivatives (dashed)",
) -> np.ndarray:
    """One panel per activation: f(x) from forward(x) -> (out, cache) and f'(x) from backward(ones, cache).

    layers: {name: (forward, backward)}; backward may return dx or a tuple whose first item is dx (PReLU).
    x: the points to plot (default 401 points in [-4, 4]). A pair that raises NotImplementedError is shown
    as an empty panel saying so. Returns the array of Axes (each titled, axes labelled "x" and "f(x), f'(x)").
    """
    import matplotlib.pyplot as plt

    if not isinstance(layers, Mapping) or not layers:
        raise ValueError("layers must be a non-empty dict {name: (forward, backward)}")
    x = np.linspace(-4.0, 4.0, 401) if x is None else np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"x must be a 1-D array of at least 2 points, got shape {x.shape}")
    cols = min(4, len(layers))
    rows = -(-len(layers) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax, (name, (forward, backward)) in zip(axes.flat, layers.items()):
        try:
            out, cache = forward(x.copy())
            grad = backward(np.ones_like(x), cache)
            grad = grad[0] if isinstance(grad, tuple) else grad
            ax.plot(x, np.asarray(out, dtype=float), color="tab:blue", label="f(x)")
            ax.plot(x, np.asarray(grad, dtype=float), color="tab:orange", linestyle="--", label="f'(x)")
        except NotImplementedError:
            ax.text(0.5, 0.5, "not implemented yet", ha="center", va="center", transform=ax.transAxes)
        ax.axhline(0, color="0.8", linewidth=0.8)
        ax.axvline(0, color="0.8", linewidth=0.8)
        ax.set_title(name)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x), f'(x)")
    for ax in axes.flat[len(layers):]:
        ax.set_visible(False)
    drawn = [ax for ax in axes.flat if any(line.get_label() == "f(x)" for line in ax.get_lines())]
    if drawn:
        drawn[0].legend(loc="upper left", fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return axes
