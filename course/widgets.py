"""Interactive explorers: controls → recompute → redraw one figure, with the current values shown beside it.

    explorer(draw, k=IntSlider(value=5, min=1, max=30), dataset=Dropdown(options=["moons", "blobs"]))

`draw(**values)` receives the current control values (keyword = control name) and draws on the current
matplotlib figure (a fresh one of size `figsize` for every redraw; `draw` may also open its own) — or returns
the PNG bytes itself, e.g. from a `course.viz.BoundaryView`, which keeps its figure between redraws and is
several times faster for decision boundaries. Every explorer in the course is this one function, and it
behaves the same everywhere:

- **One figure, inside the widget.** The figure is rendered to a PNG and put into the explorer's Output widget
  (its `outputs`, set from the kernel: no reliance on `with out:` capture), and then closed, so nothing
  leaks below the cell and figures never pile up in memory.
- **Smooth drags.** Controls get `continuous_update = False`: a slider drag costs one redraw, on release.
  A change that leaves the values as drawn costs nothing.
- **Values beside the plot.** A text label to the right of the plot says what it shows ("k = 7").
- **Errors are shown, not lost.** If `draw` raises (e.g. an exercise is not done yet) the traceback appears in
  the plot's place; exceptions in widget callbacks would otherwise go to a log the student never opens.
- **Static under grading.** When NBGRADER_EXECUTION is set (nbgrader's autograde/validate) no widget is made:
  `draw` runs once with the initial values and one static PNG is displayed, so feedback HTML (no JavaScript)
  has a picture and grading never waits on widget round trips.

`explorer(...)` displays itself and returns an `Explorer` (its widgets: `.widget`, `.output`, `.label`,
`.controls`; `.redraw()`). Ending a cell with the call shows the explorer once, not twice.
"""

import base64
import html
import io
import os
import time
import traceback
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
from IPython.display import display

__all__ = ["Explorer", "describe", "explorer", "render_png", "static_mode"]

STATIC_ENV = "NBGRADER_EXECUTION"


def static_mode() -> bool:
    """True while nbgrader executes the notebook (no browser, no widgets): explorers show one static image."""
    return bool(os.environ.get(STATIC_ENV))


def render_png(draw: Callable[..., Any], values: dict[str, Any], figsize: tuple[float, float] = (6, 5)) -> bytes:
    """Run `draw(**values)` on a fresh pyplot figure of size `figsize` and return the figure as PNG bytes.

    If `draw` returns bytes, those are the PNG (it rendered the picture itself). If it opens figures of its
    own, the current figure when it returns is the one rendered. Every figure opened here is closed again,
    also when `draw` raises, so none is left for the inline backend to show.
    """
    before = set(plt.get_fignums())
    try:
        with plt.ioff():  # an interactive backend (ipympl, a GUI) must not pop up a window of its own
            plt.figure(figsize=figsize)
            result = draw(**values)
            if isinstance(result, (bytes, bytearray)):
                return bytes(result)
            buf = io.BytesIO()
            # no bbox_inches="tight": it renders the figure twice (measured: ~1/3 of a redraw, bench/widgets.py)
            plt.gcf().savefig(buf, format="png")
        return buf.getvalue()
    finally:
        for num in set(plt.get_fignums()) - before:
            plt.close(num)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def describe(values: dict[str, Any]) -> str:
    """The values as the explorer's label writes them: "k = 7, dataset = moons"."""
    return ", ".join(f"{name} = {_format_value(v)}" for name, v in values.items())


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    shell = get_ipython()
    return None if shell is None else shell.execution_count


class Explorer:
    """Controls, one plot and a label of the current values; `draw(**values)` redraws the plot on every change.

    Attributes: `controls` {name: widget}; `values` the values of the plot shown; `seconds` how long its
    redraw took; `widget` (the VBox), `output` (ipywidgets.Output), `label` (ipywidgets.HTML) — all None in
    static mode.
    """

    def __init__(self, draw: Callable[..., Any], figsize: tuple[float, float] = (6, 5), **controls: Any) -> None:
        if not callable(draw):
            raise ValueError(f"draw must be a function draw(**values), got {draw!r}")
        for name, control in controls.items():
            if not (hasattr(control, "value") and hasattr(control, "observe")):
                raise ValueError(
                    f"control {name!r} must be an ipywidgets control with a .value (e.g. IntSlider, Dropdown), "
                    f"got {control!r}"
                )
        self.draw = draw
        self.figsize = figsize
        self.controls = dict(controls)
        self.values: dict[str, Any] | None = None
        self.seconds: float | None = None
        self.static = static_mode()
        self.widget = self.output = self.label = None
        self._shown_in: int | None = None
        if not self.static:
            self._build()

    def current_values(self) -> dict[str, Any]:
        """{name: value} of every control now."""
        return {name: control.value for name, control in self.controls.items()}

    def _build(self) -> None:
        import ipywidgets as w

        for control in self.controls.values():
            if hasattr(control, "continuous_update"):
                control.continuous_update = False  # a drag is one redraw, on release
            control.observe(self._on_change, names="value")
        self.output = w.Output(layout=w.Layout(flex="0 1 auto"))
        self.output.add_class("course-explorer-plot")
        self.label = w.HTML(layout=w.Layout(margin="0 0 0 1em", min_width="9em"))
        self.label.add_class("course-explorer-values")
        controls = w.HBox(list(self.controls.values()), layout=w.Layout(flex_flow="row wrap"))
        plot = w.HBox([self.output, self.label], layout=w.Layout(align_items="center"))
        self.widget = w.VBox([controls, plot])
        self.widget.add_class("course-explorer")

    def _on_change(self, change: Any = None) -> None:
        if self.current_values() != self.values:
            self.redraw()

    def redraw(self) -> None:
        """Redraw the plot for the controls' current values (and update the label beside it)."""
        values = self.current_values()
        start = time.perf_counter()
        try:
            png = render_png(self.draw, values, self.figsize)
        except Exception as exc:  # shown in the plot's place: a callback's exception would be invisible
            output = {
                "output_type": "error",
                "ename": type(exc).__name__,
                "evalue": str(exc),
                "traceback": "".join(traceback.format_exception(exc)).splitlines(),
            }
            status = f"<br><span style='color:#b00'>draw failed: {type(exc).__name__}</span>"
        else:
            output = {
                "output_type": "display_data",
                "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": describe(values)},
                "metadata": {},
            }
            status = ""
        self.seconds = time.perf_counter() - start
        self.values = values
        self.output.outputs = (output,)
        self.label.value = "<br>".join(
            f"<b>{html.escape(name)}</b> = {html.escape(_format_value(v))}" for name, v in values.items()
        ) + status

    def show(self) -> None:
        """Display the explorer (static mode: draw once and display one PNG with its values as caption)."""
        self._shown_in = _execution_count()
        if self.static:
            self.values = self.current_values()
            start = time.perf_counter()
            png = render_png(self.draw, self.values, self.figsize)
            self.seconds = time.perf_counter() - start
            print(f"{describe(self.values)}  (static image: the sliders are live when you run the notebook)")
            image = base64.b64encode(png).decode("ascii")
            display({"image/png": image, "text/plain": describe(self.values)}, raw=True)
            return
        display(self.widget)
        if self.values is None:
            self.redraw()

    def _ipython_display_(self) -> None:
        # `explorer(...)` as a cell's last expression: it has shown itself in this cell already
        if self._shown_in is None or self._shown_in != _execution_count():
            self.show()


def explorer(draw: Callable[..., Any], figsize: tuple[float, float] = (6, 5), **controls: Any) -> Explorer:
    """Show `controls` (ipywidgets with a .value) and one figure redrawn by `draw(**values)` on every change.

    Returns the displayed `Explorer`. Under NBGRADER_EXECUTION it shows one static image instead.
    """
    ex = Explorer(draw, figsize=figsize, **controls)
    ex.show()
    return ex
