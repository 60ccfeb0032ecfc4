"""Tests of the a3_backprop checks: visible (course.checks.backprop/layers) and hidden (autograder.checks.*).

One oracle table, several implementations: the reference passes every check, the released stubs fail with
NotImplementedError, and classic wrong answers fail with the hint that names the slip.
"""

import ast
import json
from collections.abc import Callable
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import expected as expected_builder
from autograder.hidden import grading_secret, judge, record
from course.checks import backprop as vis_backprop
from course.checks import check, exercise_ids, spec
from course.checks import layers as vis_layers
from course.gradcheck import eval_numerical_gradient, rel_error
from solutions import backprop, layers
from tests.nbtools import ROOT, grade_id

IDS = [e for e in exercise_ids() if e.startswith(("backprop.", "layers."))]
MODULES = {"backprop": backprop, "layers": layers}


def reference(exercise_id: str) -> Callable:
    module, _, name = exercise_id.partition(".")
    return getattr(MODULES[module], name)


def run_hidden(exercise_id: str, fn: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
               student: str = "alice") -> None:
    """Record in 'the kernel' and judge 'outside' (NNDL_HIDDEN_VERDICT=outside), as the grader does."""
    monkeypatch.setenv("NNDL_EVIDENCE_DIR", str(tmp_path))
    monkeypatch.setenv("NNDL_STUDENT_ID", student)
    monkeypatch.setenv("NNDL_HIDDEN_VERDICT", "outside")
    record(exercise_id, fn)
    judge(tmp_path, exercise_id, student, grading_secret())


def test_every_exercise_of_the_notebook_has_both_checks() -> None:
    """The 22 exercise ids of a3_backprop part 1 all have a visible and a hidden check."""
    from autograder.hidden import lookup

    assert len(IDS) == 22
    for exercise_id in IDS:
        lookup(exercise_id)


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_passes_the_visible_check(exercise_id: str, capsys: pytest.CaptureFixture) -> None:
    """The reference implementation passes its visible check (and prints no overflow note)."""
    check(exercise_id, reference(exercise_id))
    assert "note:" not in capsys.readouterr().out


@pytest.mark.parametrize("student", ["alice", "bob", "carol"])
@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_passes_the_hidden_check(exercise_id: str, student: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference passes its hidden check on every student's grading-time inputs (recorded, then judged)."""
    run_hidden(exercise_id, reference(exercise_id), tmp_path, monkeypatch, student)


def _stubs() -> dict[str, Callable]:
    """The functions of the release notebook's answer cells, as students receive them."""
    nb = nbformat.read(ROOT / "release" / "a3_backprop" / "backprop.ipynb", as_version=4)
    namespace: dict = {"np": np, "Callable": Callable}
    for cell in nb.cells:
        if grade_id(cell).endswith("-solution"):
            exec(cell.source, namespace)  # noqa: S102 - our own release notebook
    return namespace


@pytest.mark.parametrize("exercise_id", IDS)
def test_released_stub_fails_with_not_implemented(exercise_id: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each released stub raises NotImplementedError in its visible and hidden check (0 points, no crash)."""
    stub = _stubs()[exercise_id.partition(".")[2]]
    with pytest.raises(NotImplementedError):
        check(exercise_id, stub)
    with pytest.raises(NotImplementedError):
        run_hidden(exercise_id, stub, tmp_path, monkeypatch)


# ---- classic wrong answers ------------------------------------------------------------------------------
def relu_np_max(x):
    return np.max(x, 0), x


def relu_python_max(x):
    return np.array([max(0, v) for v in x]) if x.ndim == 1 else max(0, x), x


def leaky_as_relu(x, alpha=0.01):
    return np.maximum(x, 0), (x, alpha)


def prelu_shorthand(x, alpha):
    return np.maximum(alpha * x, x), (x, alpha)


def softplus_naive(x):
    return np.log(1 + np.exp(x)), x


def elu_shorthand(x, alpha=1.0):
    return np.maximum(alpha * np.expm1(np.minimum(x, 50)), x), (x, alpha)


def elu_exp_everywhere(x, alpha=1.0):
    out = x * (x > 0) + alpha * (np.exp(x) - 1) * (x <= 0)  # inf * 0 = nan at x = 1000
    return out, (x, alpha)


def sigmoid_naive(x):
    out = np.exp(x) / (1 + np.exp(x))
    return out, out


def relu_backward_ge(dout, cache):
    return dout * (cache >= 0)  # right off 0, wrong AT 0: only the hidden check sees it


def elu_backward_no_dout(dout, cache):
    x, alpha = cache
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))


def prelu_backward_unsummed(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout), np.where(x > 0, 0.0, x * dout)


def sigmoid_backward_again(dout, cache):
    s = 1 / (1 + np.exp(-cache))
    return dout * s * (1 - s)


def sce_naive(logits, y):
    s = 1 / (1 + np.exp(-logits))
    return np.mean(-y * np.log(s) - (1 - y) * np.log(1 - s)), (s - y) / len(y)


def sce_sum(logits, y):
    loss, d = layers.sigmoid_cross_entropy(logits, y)
    return loss * len(y), d * len(y)


def mult_gate_unswitched(x, y, df):
    return df * x, df * y


def max_gate_tie_to_x(x, y, df):
    return df * (x >= y), df * (x < y)


def small_graph_min(x, y, z, w):
    q, m = x + y, np.minimum(z, w)
    dq, dm = mult_gate(q, m, np.ones_like(q * m))  # noqa: F821 - rebound by the check
    dz, dw = max_gate(z, w, dm)  # noqa: F821
    dx, dy = add_gate(x, y, dq)  # noqa: F821
    return q * m, (dx, dy, dz, dw)


def relu_layer_no_two(W, b, x, z):
    loss, grads = backprop.relu_layer_squared_loss(W, b, x, z)
    return loss, {k: v / 2 for k, v in grads.items()}


def relu_layer_transposed(W, b, x, z):
    loss, grads = backprop.relu_layer_squared_loss(W, b, x, z)
    return loss, {**grads, "W": grads["W"].T}


def exam_graph_swapped(n, m):
    g = backprop.exam_graph(n, m)
    g["q1"] = {**g["q1"], "parents": ["x", "W1"]}
    return g


def exam_graph_bad_shape(n, m):
    g = backprop.exam_graph(n, m)
    g["q5"] = {**g["q5"], "shape": (n,)}
    return g


def three_layer_no_half(*args):
    L, grads = backprop.three_layer_prelu_elu(*args)
    return 2 * L, {k: 2 * v for k, v in grads.items()}


def three_layer_overflow(x, y, W1, W2, W3, alpha_prelu, alpha_elu):
    q1 = W1 @ x
    q2 = np.where(q1 > 0, q1, alpha_prelu * q1)
    q3 = W2 @ q2
    q4 = (q3 > 0) * q3 + (q3 <= 0) * alpha_elu * (np.exp(q3) - 1)  # inf * 0 = nan for large q3
    q6 = W3 @ q4 - y
    slope = (q3 > 0) + (q3 <= 0) * alpha_elu * np.exp(q3)
    dq3 = slope * (W3.T @ q6)
    dq2 = W2.T @ dq3
    dq1 = np.where(q1 > 0, 1.0, alpha_prelu) * dq2
    return 0.5 * q6 @ q6, {"W1": np.outer(dq1, x), "W2": np.outer(dq3, q2), "W3": np.outer(q6, q4),
                           "alpha_prelu": float(np.sum(dq2 * np.minimum(q1, 0.0)))}


def three_layer_elu_slope_at_zero_one(x, y, W1, W2, W3, alpha_prelu, alpha_elu):
    """Right except ELU'(0) = 1 (the x >= 0 branch): only the hidden check (zero rows of W2) sees it."""
    q1 = W1 @ x
    q2 = np.where(q1 > 0, q1, alpha_prelu * q1)
    q3 = W2 @ q2
    q4 = np.where(q3 > 0, q3, alpha_elu * np.expm1(np.minimum(q3, 0)))
    q6 = W3 @ q4 - y
    dq3 = np.where(q3 >= 0, 1.0, alpha_elu * np.exp(np.minimum(q3, 0))) * (W3.T @ q6)
    dq2 = W2.T @ dq3
    dq1 = np.where(q1 > 0, 1.0, alpha_prelu) * dq2
    return 0.5 * q6 @ q6, {"W1": np.outer(dq1, x), "W2": np.outer(dq3, q2), "W3": np.outer(q6, q4),
                           "alpha_prelu": float(np.sum(dq2 * np.minimum(q1, 0.0)))}


WRONG = [  # (exercise id, wrong answer, phrase the visible check's message must contain)
    ("layers.relu_forward", relu_np_max, "np.maximum"),
    ("layers.relu_forward", relu_python_max, "elementwise numpy"),
    ("layers.leaky_relu_forward", leaky_as_relu, "slope alpha"),
    ("layers.prelu_forward", prelu_shorthand, "max(alpha x, x)"),
    ("layers.softplus_forward", softplus_naive, "np.logaddexp"),
    ("layers.elu_forward", elu_shorthand, "NOT ELU"),
    ("layers.elu_forward", elu_exp_everywhere, "np.exp(np.minimum(x, 0))"),
    ("layers.sigmoid_forward", sigmoid_naive, "inf/inf"),
    ("layers.elu_backward", elu_backward_no_dout, "multiply it by the upstream gradient"),
    ("layers.prelu_backward", prelu_backward_unsummed, "sum over them"),
    ("layers.sigmoid_backward", sigmoid_backward_again, "differ"),
    ("layers.sigmoid_cross_entropy", sce_naive, "softplus(s) - y s"),
    ("layers.sigmoid_cross_entropy", sce_sum, "average over N"),
    ("backprop.mult_gate", mult_gate_unswitched, "SWITCHES"),
    ("backprop.max_gate", max_gate_tie_to_x, "goes to y"),
    ("backprop.small_graph_backward", small_graph_min, "max of z and w"),
    ("backprop.relu_layer_squared_loss", relu_layer_no_two, "2 (h - z)"),
    ("backprop.relu_layer_squared_loss", relu_layer_transposed, "transposed"),
    ("backprop.exam_graph", exam_graph_swapped, "matrix first"),
    ("backprop.exam_graph", exam_graph_bad_shape, "W3 is (m, n)"),
    ("backprop.three_layer_prelu_elu", three_layer_no_half, "factor 1/2"),
    ("backprop.three_layer_prelu_elu", three_layer_overflow, "np.exp(np.minimum(q3, 0))"),
]


@pytest.mark.parametrize("exercise_id,fn,phrase", WRONG, ids=lambda v: getattr(v, "__name__", None))
def test_wrong_answer_fails_both_checks_with_a_teaching_message(exercise_id, fn, phrase, tmp_path, monkeypatch) -> None:
    """A classic slip fails the visible check with a hint naming it, and fails the hidden check too."""
    with pytest.raises(AssertionError, match=None) as info:
        check(exercise_id, fn)
    assert phrase in str(info.value), str(info.value)
    with pytest.raises(AssertionError):
        run_hidden(exercise_id, fn, tmp_path, monkeypatch)


@pytest.mark.parametrize("exercise_id,fn", [("layers.relu_backward", relu_backward_ge),
                                            ("backprop.three_layer_prelu_elu", three_layer_elu_slope_at_zero_one)])
def test_derivative_at_zero_is_graded_only_by_the_hidden_check(exercise_id, fn, tmp_path, monkeypatch) -> None:
    """The x >= 0 branch at exactly 0 passes the visible check (no zeros there) but fails the hidden one."""
    check(exercise_id, fn)
    with pytest.raises(AssertionError, match="exactly 0|x == 0"):
        run_hidden(exercise_id, fn, tmp_path, monkeypatch)


def test_a_wrong_gate_costs_only_the_gate() -> None:
    """small_graph_backward is checked with stand-in gates: the student's wrong gates do not matter."""
    ns = {"np": np, "add_gate": mult_gate_unswitched, "mult_gate": mult_gate_unswitched, "max_gate": max_gate_tie_to_x}
    src = "\n".join(__import__("inspect").getsource(backprop.small_graph_backward.__wrapped__).splitlines()[1:])
    exec(src, ns)  # noqa: S102 - the reference body, with wrong gates as globals
    check("backprop.small_graph_backward", ns["small_graph_backward"])


def test_passing_answer_that_overflows_gets_a_note_not_a_penalty(capsys: pytest.CaptureFixture) -> None:
    """A right softplus that overflows inside np.where passes and prints a note about the overflow."""
    def softplus_where(x):
        return np.where(x > 30, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(x))), x

    check("layers.softplus_forward", softplus_where)
    assert "note: softplus_forward is right, but numpy warned" in capsys.readouterr().out


# ---- the fixed inputs and expected values ---------------------------------------------------------------
@pytest.mark.parametrize("module", ["backprop", "layers"])
def test_expected_values_are_fresh(module: str) -> None:
    """course/expected/<module>.json equals a fresh generation from the reference (numerically, rtol 1e-12)."""
    assert expected_builder.stale_entries(module) == []


def test_exam_graph_answer_is_not_spelled_out_in_the_student_files() -> None:
    """The expected graph ships as digests: no op name or parent list appears in backprop.json."""
    text = (expected_builder.EXPECTED_DIR / "backprop.json").read_text()
    assert not any(f'"{op}"' in text for op in backprop.EXAM_OPS + backprop.EXAM_INPUTS)


def test_visible_inputs_stay_away_from_the_kinks() -> None:
    """Fixed inputs of the activation layers: |x| >= 1e-3."""
    for name in layers.ACTIVATIONS:
        for case in vis_layers.forward_cases(name) + vis_layers.backward_cases(name):
            x = case["args"][0] if "args" in case else (case["cache"][0] if isinstance(case["cache"], tuple)
                                                        else case["cache"])
            if name not in ("sigmoid", "tanh") or "args" in case:
                assert np.min(np.abs(x)) >= 1e-3, (name, case["label"])


def test_visible_draws_of_the_specs_reach_the_kinks() -> None:
    """The gates, small graph and ReLU layer draw every case type visibly too: the max gate's ties, the small
    graph's tie z == w and a ReLU pre-activation of exactly 0 (the x <= 0 branch) are in the public draw."""
    gates = dict(zip(spec.lookup("backprop.max_gate").cases, spec.visible_cases(spec.lookup("backprop.max_gate"))))
    assert np.any(gates["ties x == y"]["x"] == gates["ties x == y"]["y"])
    graph = spec.visible_cases(spec.lookup("backprop.small_graph_backward"))
    assert any(c["draw"][2] == c["draw"][3] for c in graph)
    layer = spec.visible_cases(spec.lookup("backprop.relu_layer_squared_loss"))
    assert any(np.any(c["W"] @ c["x"] + c["b"] == 0) for c in layer)


def test_three_layer_visible_draws_are_well_scaled_for_centred_differences() -> None:
    """The well-scaled visible draws: |q1|, |q2|, |q3| in [0.05, 3], and the reference meets 1e-8 (10x margin)."""
    draws = vis_backprop.three_layer_inputs()
    args = ("x", "y", "W1", "W2", "W3", "alpha_prelu", "alpha_elu")
    for d in draws[:-1]:
        q1 = d["W1"] @ d["x"]
        q2 = layers.prelu_forward(q1, d["alpha_prelu"])[0]
        q = np.concatenate([q1, q2, d["W2"] @ q2])
        assert np.all((np.abs(q) >= 0.05) & (np.abs(q) <= 3))
        _, grads = backprop.three_layer_prelu_elu(*[d[k] for k in args])
        for name in ("W1", "W2", "W3"):
            num = eval_numerical_gradient(
                lambda W: backprop.three_layer_prelu_elu(*[W if k == name else d[k] for k in args])[0], d[name].copy())
            assert rel_error(grads[name], num) < 1e-8
    big = draws[-1]
    q1 = big["W1"] @ big["x"]
    q3 = big["W2"] @ layers.prelu_forward(q1, big["alpha_prelu"])[0]
    assert np.abs(q1).max() > 100 and q3.max() > 50 and q3.min() < -50  # large pre-activations of both signs


def test_hidden_inputs_hit_the_edge_cases() -> None:
    """Every draw has exact zeros, |x| = 1000 and PReLU alpha > 1 (layers), max-gate ties, a tie z == w, an exact 0
    pre-activation (ReLU layer), zero rows of W1 and W2 and alpha_PReLU > 1 (exam network)."""
    from autograder.hidden import lookup

    for seed in range(10):
        rng = np.random.default_rng(seed)
        cases = lookup("layers.prelu_forward").make_inputs(rng)["cases"]
        xs = np.concatenate([np.ravel(c["x"]) for c in cases])
        assert np.any(xs == 0) and np.any(xs == 1000) and np.any(xs == -1000)
        assert any(np.max(c["alpha"]) > 1 for c in cases)
        assert any(np.max(c["alpha"]) > 1 for c in lookup("layers.elu_forward").make_inputs(rng)["cases"])
        gates = lookup("backprop.max_gate").make_inputs(rng)["cases"]
        assert any(np.any(c["x"] == c["y"]) for c in gates)
        graphs = lookup("backprop.small_graph_backward").make_inputs(rng)["cases"]
        assert any(c["draw"][2] == c["draw"][3] for c in graphs)
        layer = lookup("backprop.relu_layer_squared_loss").make_inputs(rng)["cases"]
        assert any(np.any(c["W"] @ c["x"] + c["b"] == 0) for c in layer)
        nets = lookup("backprop.three_layer_prelu_elu").make_inputs(rng)["cases"]
        assert any(np.any(np.all(c["W1"] == 0, axis=1)) for c in nets)
        assert any(np.any(np.all(c["W2"] == 0, axis=1)) for c in nets)
        assert any(c["alpha_prelu"] > 1 for c in nets) and any(c["alpha_elu"] > 1 for c in nets)


def test_course_checks_import_neither_solutions_nor_autograder() -> None:
    """The visible checks of a3 (shipped to students) never import solutions or autograder."""
    for path in (ROOT / "course" / "checks" / "backprop.py", ROOT / "course" / "checks" / "layers.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not any(n.split(".")[0] in ("solutions", "autograder") for n in names), (path, names)


def test_expected_files_are_plain_json() -> None:
    """The expected-value files parse as JSON with an entry for every visible check that reads them."""
    for module, keys in (("backprop", {"backprop.add_gate", "exam_graph", "three_layer_prelu_elu"}),
                         ("layers", {"relu_forward", "prelu_backward", "sigmoid_cross_entropy"})):
        assert keys <= set(json.loads((expected_builder.EXPECTED_DIR / f"{module}.json").read_text()))
