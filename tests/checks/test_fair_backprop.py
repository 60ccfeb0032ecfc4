"""Fairness of the a3_backprop graph checks (gates, small graph, ReLU layer, exam graph, exam network): every known
bug is caught for every student, the reference for none.

Per exercise, a table of known-bug variants, one per failure mode the notebook teaches, replayed through the hidden
check over 50 students' seeds (tests/fairness.py) and once through the visible check on its fixed inputs. A bug
the visible check deliberately leaves to the hidden check is listed in HIDDEN_ONLY with its reason. (The activation
layers are tests/checks/test_fair_layers.py's.)
"""

import inspect
from typing import Any, Callable

import numpy as np

from course.checks.core import with_globals
from solutions import backprop
from tests import fairness

IDS = ("backprop.add_gate", "backprop.mult_gate", "backprop.max_gate", "backprop.small_graph_backward",
       "backprop.relu_layer_squared_loss", "backprop.exam_graph", "backprop.three_layer_prelu_elu")


def _named(name: str, table: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    for fn in table.values():
        fn.__name__ = name
    return table


# ---- gates ----------------------------------------------------------------------------------------------
ADD_BUGS = _named("add_gate", {
    # the local derivative 1 instead of df (the add gate passes df on)
    "local derivative only": lambda x, y, df: (np.ones_like(np.asarray(df, dtype=float)),
                                               np.ones_like(np.asarray(df, dtype=float))),
    # dy dropped: only x gets the gradient
    "dy dropped": lambda x, y, df: (df * 1.0, df * 0.0),
    # the gradient split in half between x and y
    "split in half": lambda x, y, df: (df * 0.5, df * 0.5),
})

MULT_BUGS = _named("mult_gate", {
    # not switched: dx = df * x
    "unswitched": lambda x, y, df: (df * x, df * y),
    # the upstream gradient df forgotten
    "forgets df": lambda x, y, df: (y * 1.0, x * 1.0),
})

MAX_BUGS = _named("max_gate", {
    # a tie x == y routed to x (x >= y), not to y
    "tie to x": lambda x, y, df: (df * (x >= y), df * (x < y)),
    # a tie routed to both inputs
    "tie to both": lambda x, y, df: (df * (x >= y), df * (y >= x)),
    # routed to the SMALLER input
    "routes to the smaller": lambda x, y, df: (df * (x < y), df * (x >= y)),
    # the upstream gradient df forgotten (indicators only)
    "forgets df": lambda x, y, df: (1.0 * (x > y), 1.0 * (x <= y)),
    # a Python `if`: works for numbers, not elementwise for arrays
    "python if": lambda x, y, df: (df, 0 * df) if x > y else (0 * df, df),
})


# ---- the small graph (the check rebinds add_gate, mult_gate, max_gate to its stand-ins) -----------------
def _graph(x, y, z, w, gates, *, op=np.maximum, start="one", mult_to_max=True, add_from="dq", swap=False, own_max=False,
           f_op="mult", unpack_swapped=False):
    add_gate, mult_gate, max_gate = gates  # the gates the check handed to the calling lambda
    q, m = x + y, op(z, w)
    f = q * m if f_op == "mult" else q + m
    df = np.ones_like(f) if start == "one" else f
    dq, dm = mult_gate(q, m, df)
    if own_max:
        dz, dw = dm * (z >= w), dm * (z < w)
    else:
        dz, dw = max_gate(w, z, dm)[::-1] if swap else max_gate(z, w, dm if mult_to_max else df)
    dx, dy = add_gate(x, y, dq if add_from == "dq" else df)
    return f, (dx, dy, dw, dz) if unpack_swapped else (dx, dy, dz, dw)


# each lambda names the three gates itself: the check rebinds them in the lambda's globals (course.checks.core.
# with_globals), and passes them on to _graph
SMALL_GRAPH_BUGS = _named("small_graph_backward", {  # noqa: F821 - add_gate, mult_gate, max_gate are the check's
    # min instead of max in the forward pass
    "min instead of max": lambda x, y, z, w: _graph(x, y, z, w, (add_gate, mult_gate, max_gate), op=np.minimum),
    # f = q + m: the multiply gate replaced by an add
    "adds q and m": lambda x, y, z, w: _graph(x, y, z, w, (add_gate, mult_gate, max_gate), f_op="add"),
    # backprop starts from f instead of df/df = 1
    "starts from f": lambda x, y, z, w: _graph(x, y, z, w, (add_gate, mult_gate, max_gate), start="f"),
    # the max gate gets df, not dm = df * q (the multiply gate's switch skipped)
    "max gate gets df": lambda x, y, z, w: _graph(x, y, z, w, (add_gate, mult_gate, max_gate), mult_to_max=False),
    # the add gate gets df, not dq = df * m
    "add gate gets df": lambda x, y, z, w: _graph(x, y, z, w, (add_gate, mult_gate, max_gate), add_from="df"),
    # dz and dw swapped: the gradient goes to the smaller of z and w
    "dz and dw swapped": lambda x, y, z, w: _graph(x, y, z, w, (add_gate, mult_gate, max_gate), unpack_swapped=True),
    # max_gate(w, z, ...): the routing of a tie reversed
    "max gate called as (w, z)": lambda x, y, z, w: _graph(x, y, z, w, (add_gate, mult_gate, max_gate), swap=True),
    # its own routing with z >= w: a tie z == w goes to z
    "own routing, tie to z": lambda x, y, z, w: _graph(x, y, z, w, (add_gate, mult_gate, max_gate), own_max=True),
})


# ---- the ReLU layer with squared loss -------------------------------------------------------------------
def _relu_layer(W, b, x, z, *, half=False, grad_two=2.0, sqrt=False, slope="gt", sign=1.0, transpose=False,
                dx_untransposed=False, db_skips_relu=False):
    q = W @ x + b
    h = np.maximum(q, 0.0)
    r = h - z
    loss = np.sqrt(np.sum(r * r)) if sqrt else (0.5 if half else 1.0) * np.sum(r * r)
    dh = sign * (1.0 if half else grad_two) * r
    if sqrt:
        dh = r / loss
    dq = dh * {"gt": q > 0, "ge": q >= 0, "none": np.ones_like(q)}[slope]
    dW = np.outer(x, dq) if transpose else np.outer(dq, x)
    dx = W @ dq if dx_untransposed else W.T @ dq
    return float(loss), {"W": dW, "b": dh if db_skips_relu else dq, "x": dx}


RELU_LAYER_BUGS = _named("relu_layer_squared_loss", {
    # grad_h l = (h - z): the factor 2 forgotten
    "no factor 2": lambda W, b, x, z: _relu_layer(W, b, x, z, grad_two=1.0),
    # l = 1/2 ||h - z||^2 (the exam's convention, not this exercise's)
    "1/2 convention": lambda W, b, x, z: _relu_layer(W, b, x, z, half=True),
    # l = ||h - z|| (the norm, not its square)
    "norm not squared": lambda W, b, x, z: _relu_layer(W, b, x, z, sqrt=True),
    # no Hadamard product with ReLU'(q)
    "ReLU' skipped": lambda W, b, x, z: _relu_layer(W, b, x, z, slope="none"),
    # ReLU'(0) = 1 (q >= 0): the x <= 0 branch at exactly 0 not taken
    "ReLU'(0) = 1": lambda W, b, x, z: _relu_layer(W, b, x, z, slope="ge"),
    # grad_h l = 2 (z - h): wrong sign
    "wrong sign": lambda W, b, x, z: _relu_layer(W, b, x, z, sign=-1.0),
    # dW = x dq^T (transposed)
    "dW transposed": lambda W, b, x, z: _relu_layer(W, b, x, z, transpose=True),
    # dx = W dq (W not transposed)
    "dx = W dq": lambda W, b, x, z: _relu_layer(W, b, x, z, dx_untransposed=True),
    # db = grad_h l (the ReLU skipped for b only)
    "db skips the ReLU": lambda W, b, x, z: _relu_layer(W, b, x, z, db_skips_relu=True),
})


# ---- the exam graph -------------------------------------------------------------------------------------
def _edit_graph(n, m, **changes):
    g = backprop.exam_graph(n, m)
    for node, entry in changes.items():
        g[node] = {**g[node], **entry}
    return g


EXAM_GRAPH_BUGS = _named("exam_graph", {
    # matmul parents in the wrong order (x before W1)
    "matmul parents swapped": lambda n, m: _edit_graph(n, m, q1={"parents": ["x", "W1"]}),
    # q6 = y - q5 (subtract parents swapped)
    "subtract order": lambda n, m: _edit_graph(n, m, q6={"parents": ["y", "q5"]}),
    # q5 = W3 q4 has shape (n,): W3 taken as (n, n)
    "q5 shape (n,)": lambda n, m: _edit_graph(n, m, q5={"shape": (n,)}, q6={"shape": (n,)}),
    # n and m swapped in every shape
    "n and m swapped": lambda n, m: _edit_graph(n, m, **{q: {"shape": (m,)} for q in ("q1", "q2", "q3", "q4")},
                                                q5={"shape": (n,)}, q6={"shape": (n,)}),
    # L of shape (1,) instead of a number
    "L shape (1,)": lambda n, m: _edit_graph(n, m, L={"shape": (1,)}),
    # activation before the product: q1 = PReLU(x), q2 = W1 q1
    "activation before the product": lambda n, m: _edit_graph(n, m, q1={"op": "prelu", "parents": ["x"]},
                                                              q2={"op": "matmul", "parents": ["W1", "q1"]}),
    # L computed from q5, skipping q6 = q5 - y
    "L from q5": lambda n, m: _edit_graph(n, m, L={"parents": ["q5"]}),
    # the alpha listed as a parent (it is a constant)
    "alpha as a parent": lambda n, m: _edit_graph(n, m, q2={"parents": ["q1", "alpha_prelu"]}),
})


# ---- the exam network -----------------------------------------------------------------------------------
def _exam(x, y, W1, W2, W3, alpha_prelu, alpha_elu, *, half=0.5, sign=1.0, prelu_max=False, elu_max=False,
          elu_overflow=False, elu_slope_no_exp=False, prelu_slope_relu=False, elu_at_zero_one=False,
          prelu_at_zero_one=False, dW1_T=False, dW3_T=False, dW2_from_q1=False, dW3_from_q3=False, elu_skipped=False,
          dalpha_positive_side=False, dalpha_from_dq1=False):
    """The exam network written independently; every keyword switches on one known mistake."""
    with np.errstate(all="ignore"):
        q1 = W1 @ x
        q2 = np.maximum(alpha_prelu * q1, q1) if prelu_max else np.where(q1 > 0, q1, alpha_prelu * q1)
        q3 = W2 @ q2
        if elu_overflow:
            q4 = (q3 > 0) * q3 + (q3 <= 0) * alpha_elu * (np.exp(q3) - 1)  # inf * 0 = nan for large q3
        elif elu_max:
            q4 = np.maximum(alpha_elu * np.expm1(np.minimum(q3, 50.0)), q3)
        else:
            q4 = np.where(q3 > 0, q3, alpha_elu * np.expm1(np.minimum(q3, 0.0)))
        q6 = W3 @ q4 - y
        L = half * np.sum(q6 * q6)
        dq5 = sign * 2 * half * q6
        if elu_overflow:
            elu_slope = (q3 > 0) + (q3 <= 0) * alpha_elu * np.exp(q3)
        elif elu_max:
            elu_slope = np.where(alpha_elu * np.expm1(np.minimum(q3, 50.0)) > q3, alpha_elu * np.exp(np.minimum(q3, 50.0)),
                                 1.0)
        elif elu_slope_no_exp:
            elu_slope = np.where(q3 > 0, 1.0, alpha_elu)
        else:
            elu_slope = np.where(q3 >= 0 if elu_at_zero_one else q3 > 0, 1.0, alpha_elu * np.exp(np.minimum(q3, 0.0)))
        if prelu_max:
            prelu_slope = np.where(alpha_prelu * q1 > q1, alpha_prelu, 1.0)
        elif prelu_slope_relu:
            prelu_slope = (q1 > 0) * 1.0
        else:
            prelu_slope = np.where(q1 >= 0 if prelu_at_zero_one else q1 > 0, 1.0, alpha_prelu)
        dW3 = np.outer(q4 if not dW3_from_q3 else q3, dq5).T if not dW3_T else np.outer(q4, dq5)
        dq3 = (W3.T @ dq5) * (1.0 if elu_skipped else elu_slope)
        dW2 = np.outer(dq3, q1 if dW2_from_q1 else q2)
        dq1 = (W2.T @ dq3) * prelu_slope
        dW1 = np.outer(x, dq1) if dW1_T else np.outer(dq1, x)
        dq2 = dq1 if dalpha_from_dq1 else W2.T @ dq3
        dalpha = np.sum(dq2 * (np.maximum(q1, 0.0) if dalpha_positive_side else np.minimum(q1, 0.0)))
    return float(L), {"W1": dW1, "W2": dW2, "W3": dW3, "alpha_prelu": float(dalpha)}


def _exam_bug(**switch: bool) -> Callable[..., Any]:
    return lambda *args: _exam(*args, **switch)


EXAM_BUGS = _named("three_layer_prelu_elu", {
    # L = ||q6||^2 without the factor 1/2 (and gradients twice too large)
    "no 1/2": _exam_bug(half=1.0),
    # dL/dq6 = y - q5: wrong sign
    "wrong sign": _exam_bug(sign=-1.0),
    # PReLU as max(alpha q, q): wrong for alpha > 1
    "PReLU max shorthand": _exam_bug(prelu_max=True),
    # ELU as max(alpha (e^q - 1), q): wrong for q > 0 when alpha >= 1
    "ELU max shorthand": _exam_bug(elu_max=True),
    # e^q3 of large positive q3 overflows (inf * 0 = nan)
    "ELU exp overflows": _exam_bug(elu_overflow=True),
    # ELU'(q) = alpha for q <= 0 (the e^q forgotten)
    "ELU' without e^q": _exam_bug(elu_slope_no_exp=True),
    # PReLU'(q) = 1(q > 0): ReLU's derivative, alpha forgotten
    "PReLU' = ReLU'": _exam_bug(prelu_slope_relu=True),
    # ELU'(0) = 1: the x <= 0 branch at exactly 0 not taken
    "ELU'(0) = 1": _exam_bug(elu_at_zero_one=True),
    # PReLU'(0) = 1: the x <= 0 branch at exactly 0 not taken
    "PReLU'(0) = 1": _exam_bug(prelu_at_zero_one=True),
    # dW1 = x dq1^T (transposed; same shape)
    "dW1 transposed": _exam_bug(dW1_T=True),
    # dW3 = q4 dq5^T (transposed: (n, m))
    "dW3 transposed": _exam_bug(dW3_T=True),
    # dW2 = dq3 q1^T: the pre-activation instead of q2 = PReLU(q1)
    "dW2 from q1": _exam_bug(dW2_from_q1=True),
    # dW3 = dq5 q3^T: the pre-activation instead of q4 = ELU(q3)
    "dW3 from q3": _exam_bug(dW3_from_q3=True),
    # no Hadamard product with ELU'(q3)
    "ELU' skipped": _exam_bug(elu_skipped=True),
    # dL/dalpha summed over the units with q1 > 0 (dq2/dalpha is min(q1, 0), not max)
    "dalpha from the positive side": _exam_bug(dalpha_positive_side=True),
    # dL/dalpha from dq1 (after the Hadamard product with PReLU') instead of dq2
    "dalpha from dq1": _exam_bug(dalpha_from_dq1=True),
})


BUGS: dict[str, dict[str, Callable[..., Any]]] = {
    "backprop.add_gate": ADD_BUGS, "backprop.mult_gate": MULT_BUGS, "backprop.max_gate": MAX_BUGS,
    "backprop.small_graph_backward": SMALL_GRAPH_BUGS, "backprop.relu_layer_squared_loss": RELU_LAYER_BUGS,
    "backprop.exam_graph": EXAM_GRAPH_BUGS, "backprop.three_layer_prelu_elu": EXAM_BUGS,
}

AT_ZERO = ("DESIGN: the exam network's derivatives at exactly 0 take the x <= 0 branch and are graded only by the "
           "hidden check (against solutions); its visible inputs stay away from the kinks so that centred differences "
           "are exact (the spec-checked exercises draw their kinks visibly too)")
HIDDEN_ONLY: dict[tuple[str, str], str] = {
    ("backprop.three_layer_prelu_elu", "ELU'(0) = 1"): AT_ZERO,
    ("backprop.three_layer_prelu_elu", "PReLU'(0) = 1"): AT_ZERO,
}



# ---- the tests ------------------------------------------------------------------------------------------


INDEPENDENT = {  # right answers written independently of solutions (the bug tables with every switch off)
    "backprop.small_graph_backward": _named("small_graph_backward", {  # noqa: F821 - the check's gates
        "": lambda x, y, z, w: _graph(x, y, z, w, (add_gate, mult_gate, max_gate))})[""],
    "backprop.relu_layer_squared_loss": _named("relu_layer_squared_loss", {"": _relu_layer})[""],
    "backprop.three_layer_prelu_elu": _named("three_layer_prelu_elu", {"": _exam_bug()})[""],
    "backprop.max_gate": _named("max_gate", {"": lambda x, y, df: (np.where(x > y, df, 0.0), np.where(x > y, 0.0, df))})[""],
}


# ---- no collateral loss ---------------------------------------------------------------------------------
def _reference_body(fn: Callable[..., Any], **wrong: Any) -> Callable[..., Any]:
    """The reference's own code, executed in a namespace where the earlier exercises are the given wrong ones."""
    namespace: dict[str, Any] = {"np": np, "Any": Any, "Callable": Callable, **wrong}
    source = inspect.getsource(inspect.unwrap(fn)).splitlines()
    exec("\n".join(line for line in source if not line.startswith("@")), namespace)  # noqa: S102 - our reference
    return namespace[fn.__name__]


WRONG_GATES = {"add_gate": ADD_BUGS["local derivative only"], "mult_gate": MULT_BUGS["unswitched"],
               "max_gate": MAX_BUGS["tie to x"]}


def test_small_graph_keeps_full_marks_when_the_gates_are_wrong() -> None:
    """small_graph_backward runs on the check's stand-in gates: wrong gates of the student cost it nothing."""
    fn = _reference_body(backprop.small_graph_backward, **WRONG_GATES)
    assert fairness.visible_verdict("backprop.small_graph_backward", fn) is None
    fairness.assert_passes_in_every_draw("backprop.small_graph_backward", fn)


def test_exam_network_keeps_full_marks_when_the_earlier_exercises_are_wrong() -> None:
    """A right exam network next to wrong gates, a wrong ReLU layer and a wrong exam graph keeps its points."""
    wrong = {**WRONG_GATES, "relu_layer_squared_loss": RELU_LAYER_BUGS["no factor 2"],
             "exam_graph": EXAM_GRAPH_BUGS["matmul parents swapped"]}
    fn = _reference_body(backprop.three_layer_prelu_elu, **wrong)
    assert fairness.visible_verdict("backprop.three_layer_prelu_elu", fn) is None
    fairness.assert_passes_in_every_draw("backprop.three_layer_prelu_elu", fn)


def test_exam_graph_keeps_full_marks_when_the_network_is_wrong() -> None:
    """A right exam graph next to a wrong exam network keeps its points (and the other way round, above)."""
    fn = with_globals(backprop.exam_graph, three_layer_prelu_elu=EXAM_BUGS["no 1/2"])
    assert fairness.visible_verdict("backprop.exam_graph", fn) is None
    fairness.assert_passes_in_every_draw("backprop.exam_graph", fn)


RIGHT = {eid: {"independent": fn} for eid, fn in INDEPENDENT.items()}
