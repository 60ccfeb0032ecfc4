"""Tests of course.viz.plot_graph and plot_activations: headless (Agg), labelled, generic, reject bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course.viz import plot_activations, plot_graph  # noqa: E402
from solutions import backprop, layers  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_graph_draws_every_node_and_input_with_op_and_shape() -> None:
    """Each node shows name, op and shape; each input (a parent that is not a node) shows its name."""
    ax = plot_graph(backprop.exam_graph(4, 3))
    texts = _texts(ax)
    assert "q3\nmatmul\n(4,)" in texts and "L\nhalf_squared_norm\n()" in texts
    assert {"x", "y", "W1", "W2", "W3"} <= set(texts)
    assert ax.get_title() == "Computational graph" and ax.get_xlabel()


def test_graph_has_one_arrow_per_edge_pointing_forward() -> None:
    """An arrow per (parent, child) pair, each from a smaller to a larger depth (layered left to right)."""
    graph = backprop.exam_graph(2, 5)
    ax = plot_graph(graph)
    arrows = [c for c in ax.texts if getattr(c, "arrow_patch", None) is not None]
    assert len(arrows) == sum(len(node["parents"]) for node in graph.values())
    assert all(a.xyann[0] < a.xy[0] for a in arrows)


def test_graph_is_generic() -> None:
    """Any such dict draws — a diamond with a shared input, list shapes, missing ops — on a given Axes."""
    graph = {"a": {"op": "mul", "parents": ["u", "v"], "shape": [2]}, "b": {"op": "exp", "parents": ["u"], "shape": ()},
             "c": {"parents": ["a", "b"], "shape": ()}}
    _, ax = plt.subplots()
    assert plot_graph(graph, ax=ax, title="diamond") is ax
    assert ax.get_title() == "diamond" and "a\nmul\n(2,)" in _texts(ax)


@pytest.mark.parametrize("graph,match", [
    ({}, "non-empty dict"),
    ({"a": {"op": "x"}}, "'parents' list"),
    ({"a": {"parents": "b"}}, "list of names"),
    ({"a": {"parents": ["b"]}, "b": {"parents": ["a"]}}, "cycle"),
])
def test_graph_rejects_bad_input(graph, match: str) -> None:
    """Empty graphs, missing or malformed parents and cycles raise ValueError saying what was expected."""
    with pytest.raises(ValueError, match=match):
        plot_graph(graph)


def test_activations_panel_per_layer_with_function_and_derivative() -> None:
    """One titled panel per activation, two curves each (f and f'), labelled axes; extra panels hidden."""
    pairs = {name: (getattr(layers, f"{name}_forward"), getattr(layers, f"{name}_backward"))
             for name in ("relu", "sigmoid", "tanh", "softplus", "elu")}
    axes = plot_activations(pairs)
    shown = [ax for ax in axes.flat if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == list(pairs)
    for ax in shown:
        assert len(ax.get_lines()) == 4 and ax.get_xlabel() == "x"  # f, f' and the two zero lines
    sig = shown[1].get_lines()[0].get_ydata()
    assert np.all((sig > 0) & (sig < 1))


def test_activations_tolerate_unimplemented_layers_and_prelu_tuples() -> None:
    """A layer raising NotImplementedError gets a 'not implemented yet' panel; (dx, dalpha) is plotted as dx."""
    def todo(x):
        raise NotImplementedError

    axes = plot_activations({"todo": (todo, todo),
                             "prelu": (lambda x: layers.prelu_forward(x, 0.25), layers.prelu_backward)})
    assert "not implemented yet" in _texts(axes.flat[0])
    dx = axes.flat[1].get_lines()[1].get_ydata()
    assert set(np.unique(dx)) == {0.25, 1.0}


@pytest.mark.parametrize("kwargs,match", [({"layers": {}}, "non-empty"),
                                          ({"layers": {"a": (None, None)}, "x": np.zeros((2, 2))}, "1-D")])
def test_activations_reject_bad_input(kwargs, match: str) -> None:
    """No layers, or x that is not a 1-D array of points, raise ValueError."""
    with pytest.raises(ValueError, match=match):
        plot_activations(**kwargs)
