"""Tests of course.widgets: one explorer API — static image under grading, live widget otherwise, no leaks."""

import base64

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

import course.widgets as widgets  # noqa: E402
from course.widgets import Explorer, describe, explorer, render_png  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _no_open_figures():
    plt.close("all")
    yield
    plt.close("all")


@pytest.fixture
def shown(monkeypatch):
    """Everything course.widgets displays, in order (instead of a Jupyter front end)."""
    items = []
    monkeypatch.setattr(widgets, "display", lambda obj, **kw: items.append(obj))
    return items


@pytest.fixture
def interactive(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


@pytest.fixture
def static(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")


class Draw:
    """A draw(k, dataset) that records its calls and draws a line whose slope is k."""

    def __init__(self):
        self.calls = []

    def __call__(self, k, dataset):
        self.calls.append({"k": k, "dataset": dataset})
        plt.plot([0, 1], [0, k], label=dataset)
        plt.title(f"k = {k}")
        plt.xlabel("x")
        plt.ylabel("y")


def _controls():
    return {"k": w.IntSlider(value=5, min=1, max=30, description="k"),
            "dataset": w.Dropdown(options=["moons", "blobs"], value="moons", description="data")}


def _png(output: dict) -> bytes:
    assert output["output_type"] == "display_data", output
    return base64.b64decode(output["data"]["image/png"])


def test_static_mode_shows_one_image_and_no_widget(static, shown) -> None:
    """Under NBGRADER_EXECUTION the explorer draws once with the initial values and displays one PNG, no widget."""
    draw = Draw()
    ex = explorer(draw, figsize=(4, 3), **_controls())
    assert draw.calls == [{"k": 5, "dataset": "moons"}]
    assert len(shown) == 1 and set(shown[0]) == {"image/png", "text/plain"}
    assert base64.b64decode(shown[0]["image/png"]).startswith(PNG_MAGIC)
    assert shown[0]["text/plain"] == "k = 5, dataset = moons"
    assert ex.widget is None and ex.output is None
    assert plt.get_fignums() == []


def test_interactive_mode_builds_controls_plot_and_label(interactive, shown) -> None:
    """Interactive: VBox[HBox(controls), HBox(Output plot, HTML label)], displayed once, first plot drawn."""
    controls = _controls()
    ex = explorer(Draw(), **controls)
    assert shown == [ex.widget]
    top, bottom = ex.widget.children
    assert list(top.children) == [controls["k"], controls["dataset"]]
    assert list(bottom.children) == [ex.output, ex.label]
    assert isinstance(ex.output, w.Output) and isinstance(ex.label, w.HTML)
    assert len(ex.output.outputs) == 1 and _png(ex.output.outputs[0]).startswith(PNG_MAGIC)
    assert "<b>k</b> = 5" in ex.label.value and "<b>dataset</b> = moons" in ex.label.value
    assert plt.get_fignums() == []


def test_sliders_update_on_release_only(interactive, shown) -> None:
    """Controls get continuous_update = False, so a drag costs one redraw instead of one per pixel."""
    controls = _controls()
    explorer(Draw(), **controls)
    assert controls["k"].continuous_update is False


def test_value_change_redraws_into_the_output_and_updates_the_label(interactive, shown) -> None:
    """Moving k redraws with the new value: a new image replaces the old in the Output, the label says k = 7."""
    draw = Draw()
    controls = _controls()
    ex = explorer(draw, **controls)
    before = _png(ex.output.outputs[0])
    controls["k"].value = 7
    assert draw.calls[-1] == {"k": 7, "dataset": "moons"}
    assert len(ex.output.outputs) == 1
    assert _png(ex.output.outputs[0]) != before
    assert "<b>k</b> = 7" in ex.label.value
    controls["dataset"].value = "blobs"
    assert draw.calls[-1] == {"k": 7, "dataset": "blobs"} and len(draw.calls) == 3
    assert ex.values == {"k": 7, "dataset": "blobs"}
    assert plt.get_fignums() == [], "a redraw left a pyplot figure open (it would leak below the cell)"


def test_unchanged_values_cost_no_redraw(interactive, shown) -> None:
    """A change event that leaves the values as drawn does not redraw."""
    draw = Draw()
    ex = explorer(draw, **_controls())
    ex._on_change()
    assert len(draw.calls) == 1


def test_draw_that_opens_its_own_figure_is_rendered_and_closed(interactive, shown) -> None:
    """A draw that makes its own figure (plt.subplots) is the one rendered, and it is closed afterwards."""

    def draw(k):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.bar([0, 1], [1, k])
        ax.set_title("bars")

    ex = explorer(draw, k=w.IntSlider(value=2, min=1, max=5))
    assert _png(ex.output.outputs[0]).startswith(PNG_MAGIC)
    assert plt.get_fignums() == []


def test_draw_returning_png_bytes_is_shown_as_is(interactive, shown) -> None:
    """A draw that renders its own PNG (a course.viz.BoundaryView) is shown byte for byte; no figure leaks."""
    import numpy as np

    from course.viz import BoundaryView

    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    view = BoundaryView(figsize=(3, 3), resolution=20)
    frames = []

    def draw(t):
        frames.append(view.render(lambda G: (G[:, 0] > t).astype(np.int64), X, y, title=f"t = {t}"))
        return frames[-1]

    slider = w.FloatSlider(value=0.0, min=-1, max=1)
    ex = explorer(draw, t=slider)
    slider.value = 0.5
    assert _png(ex.output.outputs[0]) == frames[-1] and frames[0] != frames[-1]
    assert frames[-1].startswith(PNG_MAGIC) and view.rebuilds == 1
    assert plt.get_fignums() == []


def test_draw_error_is_shown_in_the_plot_area(interactive, shown) -> None:
    """If draw raises (an exercise not done yet) the error appears in the Output and the label; no figure leaks."""

    def draw(k):
        plt.plot([0, k])
        raise NotImplementedError("replace this line with your code")

    slider = w.IntSlider(value=2, min=1, max=5)
    ex = explorer(draw, k=slider)
    (out,) = ex.output.outputs
    assert out["output_type"] == "error" and out["ename"] == "NotImplementedError"
    assert "replace this line" in out["evalue"] and "draw failed" in ex.label.value
    slider.value = 3  # the next change tries again
    assert "<b>k</b> = 3" in ex.label.value
    assert plt.get_fignums() == []


def test_static_mode_propagates_draw_errors(static, shown) -> None:
    """Under grading a failing draw raises like any cell (and still leaves no figure open)."""

    def draw(k):
        plt.plot([0, k])
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        explorer(draw, k=w.IntSlider(value=1))
    assert plt.get_fignums() == []


def test_render_png_closes_every_figure_it_opened() -> None:
    """render_png returns PNG bytes and leaves the set of open figures as it found it."""
    keep = plt.figure()
    png = render_png(lambda a: plt.plot([0, a]), {"a": 1}, figsize=(2, 2))
    assert png.startswith(PNG_MAGIC)
    assert plt.get_fignums() == [keep.number]


def test_describe_formats_the_values() -> None:
    """The label text reads like the code: name = value, floats to 4 significant digits."""
    assert describe({"k": 7}) == "k = 7"
    assert describe({"reg": 0.0123456, "loss": "hinge"}) == "reg = 0.01235, loss = hinge"


def test_a_control_without_a_value_is_rejected() -> None:
    """Passing a plain number instead of a widget is a ValueError naming the control."""
    with pytest.raises(ValueError, match="control 'k' must be an ipywidgets control"):
        Explorer(lambda k: None, k=5)


def _run_cell(source: str, env_static: bool, monkeypatch) -> list:
    if env_static:
        monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    else:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    return nb.cells[0].outputs


CELL = """\
%matplotlib inline
import ipywidgets as widgets
import matplotlib.pyplot as plt
from course.widgets import explorer

def draw(k):
    plt.plot([0, 1], [0, k])
    plt.title(f"slope {k}")

explorer(draw, figsize=(3, 2), k=widgets.IntSlider(value=3, min=1, max=9, description="k"))
"""


def test_in_a_kernel_the_explorer_shows_once_and_leaks_no_figure(monkeypatch) -> None:
    """In a real kernel (inline backend) a cell ending in explorer(...) shows ONE widget and no image below it."""
    outputs = _run_cell(CELL, env_static=False, monkeypatch=monkeypatch)
    kinds = [sorted(o.get("data", {})) for o in outputs]
    assert kinds == [["application/vnd.jupyter.widget-view+json", "text/plain"]], kinds


def test_in_a_kernel_under_grading_the_explorer_shows_one_png(monkeypatch) -> None:
    """Under NBGRADER_EXECUTION the same cell outputs one caption line and exactly one PNG, no widget."""
    outputs = _run_cell(CELL, env_static=True, monkeypatch=monkeypatch)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    widgets_shown = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(images) == 1 and not widgets_shown
    assert base64.b64decode(images[0]["data"]["image/png"]).startswith(PNG_MAGIC)
    assert any("k = 3" in o.get("text", "") for o in outputs if o.output_type == "stream")
