"""Tests of course.viz: figures draw headless (Agg), are labelled, and reject bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from course.viz import plot_cross_validation, plot_decision_boundary, plot_timings  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    return X, (X[:, 0] > 0).astype(np.int64)


class RecordingPredict:
    """A predict that records every array it is called with (threshold on x1)."""

    def __init__(self):
        self.calls = []

    def __call__(self, G):
        self.calls.append(G.copy())
        return (G[:, 0] > 0).astype(np.int64)


def test_decision_boundary_calls_predict_once_on_the_grid():
    """predict is called exactly once, with a (resolution**2, 2) grid covering X plus padding."""
    X, y = _data()
    predict = RecordingPredict()
    plot_decision_boundary(predict, X, y, resolution=30, padding=0.5)
    assert len(predict.calls) == 1
    G = predict.calls[0]
    assert G.shape == (900, 2)
    assert np.allclose(G.min(axis=0), X.min(axis=0) - 0.5)
    assert np.allclose(G.max(axis=0), X.max(axis=0) + 0.5)


def test_decision_boundary_returns_labelled_axes():
    """The result is an Axes titled as asked, axes labelled $x_1$/$x_2$, with the regions image and the scatter."""
    X, y = _data()
    ax = plot_decision_boundary(RecordingPredict(), X, y, resolution=20, title="kNN, k=5")
    assert isinstance(ax, Axes)
    assert ax.get_title() == "kNN, k=5"
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    assert len(ax.images) == 1 and len(ax.collections) == 1  # the regions + the scatter
    Z = ax.images[0].get_array()
    assert Z.shape == (20, 20)
    x1 = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 20)
    assert np.array_equal(Z[0], (x1 > 0).astype(np.int64))  # row r = x2 step r, column c = x1 step c
    ax.figure.canvas.draw()  # renders headless without error


def test_decision_boundary_draws_on_given_axes():
    """Given an ax, the plot is drawn there and that same ax is returned."""
    X, y = _data()
    _, ax = plt.subplots()
    assert plot_decision_boundary(RecordingPredict(), X, y, ax=ax, resolution=10) is ax


def test_decision_boundary_accepts_multiclass_and_whole_floats():
    """Three classes, and a predict returning whole-number floats, plot without error."""
    X, _ = _data()
    y = np.arange(40) % 3
    ax = plot_decision_boundary(lambda G: np.floor(np.clip(G[:, 0] + 1, 0, 2)), X, y, resolution=15)
    assert isinstance(ax, Axes)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((5, 3)), np.zeros(5, dtype=int), r"\(N, 2\)"),
        (np.zeros(10), np.zeros(5, dtype=int), r"\(N, 2\)"),
        (np.zeros((0, 2)), np.zeros(0, dtype=int), r"\(N, 2\)"),
        (np.zeros((5, 2)), np.zeros(4, dtype=int), "y must have shape"),
    ],
)
def test_decision_boundary_rejects_bad_data_shapes(X, y, match):
    """X not (N, 2) or y not (N,) raises ValueError stating the expected shape."""
    with pytest.raises(ValueError, match=match):
        plot_decision_boundary(RecordingPredict(), X, y, resolution=5)


@pytest.mark.parametrize(
    "predict, match",
    [
        (lambda G: np.zeros((len(G), 3)), "argmax"),
        (lambda G: np.zeros(len(G) - 1, dtype=int), "one label per grid point"),
        (lambda G: np.full(len(G), 0.3), "integer class labels"),
    ],
    ids=["scores", "too-few", "probabilities"],
)
def test_decision_boundary_rejects_bad_predict_output(predict, match):
    """predict returning scores, the wrong count, or non-integer values raises ValueError."""
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        plot_decision_boundary(predict, X, y, resolution=5)


def test_decision_boundary_rejects_bad_resolution():
    """resolution < 2 raises ValueError."""
    X, y = _data()
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(RecordingPredict(), X, y, resolution=1)


def test_cross_validation_plot_points_and_labels():
    """Every fold accuracy is a dot; the mean line passes through each k's mean; axes are labelled."""
    results = {1: [0.5, 0.6, 0.7], 3: [0.8, 0.8, 0.9], 5: [0.7, 0.75, 0.8]}
    ax = plot_cross_validation(results)
    assert isinstance(ax, Axes)
    assert ax.get_title() == "Cross-validation"
    assert ax.get_xlabel() == "k" and ax.get_ylabel() == "validation accuracy"
    dots = np.concatenate([c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)])
    assert len(dots) == 9
    line = ax.lines[0]
    assert np.allclose(line.get_xdata(), [1, 3, 5])
    assert np.allclose(line.get_ydata(), [np.mean(results[k]) for k in (1, 3, 5)])


@pytest.mark.parametrize("results", [{}, {1: []}, {1: [[0.5, 0.6]]}])
def test_cross_validation_rejects_empty_results(results):
    """An empty dict or an empty/nested fold list raises ValueError."""
    with pytest.raises(ValueError):
        plot_cross_validation(results)


def test_timings_bar_chart_log_scale():
    """One bar per implementation, log-scale y, labelled axes and the given title."""
    timings = {"two loops": 12.0, "one loop": 3.0, "no loops": 0.05}
    ax = plot_timings(timings, title="Distance timings")
    assert isinstance(ax, Axes)
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "Distance timings"
    assert ax.get_xlabel() and "s" in ax.get_ylabel()
    heights = [p.get_height() for p in ax.patches]
    assert heights == [12.0, 3.0, 0.05]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(timings)


@pytest.mark.parametrize("timings", [{}, {"a": 0.0}, {"a": -1.0}, {"a": float("nan")}])
def test_timings_rejects_empty_or_non_positive(timings):
    """No timings, or a time <= 0 (impossible on a log scale), raises ValueError."""
    with pytest.raises(ValueError):
        plot_timings(timings)


# --- BoundaryView: the explorers' fast decision boundary -------------------------------------------------------

def _png_pixels(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_boundary_view_draws_the_same_picture_as_plot_decision_boundary():
    """BoundaryView.render's PNG shows the same pixels as plot_decision_boundary saved at the same size."""
    import io

    from course.viz import BoundaryView

    X, y = _data()
    view = BoundaryView(figsize=(5, 4), resolution=40)
    fast = _png_pixels(view.render(RecordingPredict(), X, y, title="threshold"))
    fig = plt.figure(figsize=(5, 4))
    plot_decision_boundary(RecordingPredict(), X, y, ax=fig.gca(), resolution=40, title="threshold")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    slow = _png_pixels(buf.getvalue())
    assert fast.shape == slow.shape
    differing = np.any(fast != slow, axis=-1).mean()  # anti-aliased edges of the markers blend differently
    assert differing < 0.03, f"{differing:.2%} of the pixels differ"
    assert np.mean(np.abs(fast.astype(int) - slow.astype(int))) < 0.5


def test_boundary_view_redraws_only_what_changed():
    """A new predict reuses the saved background; new data rebuilds it; predict runs once per render."""
    from course.viz import BoundaryView

    X, y = _data()
    view = BoundaryView(resolution=25)
    first, second = RecordingPredict(), lambda G: (G[:, 1] > 0).astype(np.int64)
    a = view.render(first, X, y, title="x1 > 0")
    b = view.render(second, X, y, title="x2 > 0")
    assert len(first.calls) == 1 and first.calls[0].shape == (625, 2)
    assert view.rebuilds == 1
    assert a[:8] == b[:8] == b"\x89PNG\r\n\x1a\n" and not np.array_equal(_png_pixels(a), _png_pixels(b))
    view.render(first, X + 1.0, y)
    assert view.rebuilds == 2
    assert plt.get_fignums() == []  # never a pyplot figure: nothing for the inline backend to show


def test_boundary_view_overlay_is_drawn_for_one_frame():
    """overlay(ax)'s artists appear in that frame only: the next render without it equals a plain one."""
    from course.viz import BoundaryView

    X, y = _data()
    view = BoundaryView(resolution=20)
    plain = _png_pixels(view.render(RecordingPredict(), X, y))
    marked = _png_pixels(view.render(RecordingPredict(), X, y,
                                     overlay=lambda ax: [ax.axvline(0.0, color="r", linewidth=3)]))
    assert not np.array_equal(plain, marked)
    assert len(view.ax.lines) == 0
    assert np.array_equal(_png_pixels(view.render(RecordingPredict(), X, y)), plain)


@pytest.mark.parametrize("predict, match", [
    (lambda G: np.zeros((len(G), 2)), "argmax"),
    (lambda G: G[:, 0] * 0.5, "integer class labels"),
])
def test_boundary_view_rejects_bad_predictions(predict, match):
    """A predict returning scores or fractional values gets the same clear message as plot_decision_boundary."""
    from course.viz import BoundaryView

    X, y = _data()
    with pytest.raises(ValueError, match=match):
        BoundaryView(resolution=5).render(predict, X, y)
    with pytest.raises(ValueError, match="resolution"):
        BoundaryView(resolution=1)
