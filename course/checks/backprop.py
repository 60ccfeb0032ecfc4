"""Checks of assignment a3_backprop, part 1 (exercise ids ``backprop.*``).

The gates, the small graph and the ReLU layer are exercise specs (course.checks.spec): one battery of case types
drives the visible check (one public draw vs course/expected/backprop.json) and the hidden one (each student's draw
vs solutions) — gates: a number, a vector, a matrix, ties x == y; the small graph: z > w, z < w, z == w; the layer:
pre-activations of both signs (M != D), a square W, a pre-activation of exactly 0. Where an exercise calls the
gates, the check hands it stand-in gates that differentiate NUMERICALLY, so a wrong gate costs only that gate's
points. The exam graph and the exam network keep hand-written visible checks on fixed inputs (their hidden
batteries are in autograder/checks/backprop.py): the exam graph's expected answer is stored as digests, so the
file students receive does not spell it out, and the exam network's hidden cases are steered with PReLU itself;
their gradients are also compared with centred differences of the student's own loss.
"""

import hashlib
import json
from typing import Any, Callable

import numpy as np

from course.checks import visible
from course.checks.core import Call, as_array, assert_close, call_student, load_expected, with_globals
from course.checks.core import call, check_shape, note_overflow, unpack_pair
from course.checks.spec import Case, exercise
from course.gradcheck import eval_numerical_gradient, rel_error

GATES = ("add_gate", "mult_gate", "max_gate")
EXAM_NODES = ("q1", "q2", "q3", "q4", "q5", "q6", "L")
EXAM_INPUTS = ("x", "y", "W1", "W2", "W3")
EXAM_OPS = ("matmul", "prelu", "elu", "subtract", "half_squared_norm")
GRAD_TOL = 1e-7  # analytic vs centred differences (float64, h = 1e-5), inputs away from the kinks


# ---- fixed inputs ---------------------------------------------------------------------------------------
def three_layer_inputs() -> list[dict[str, Any]]:
    """Draws of the exam network: three well-scaled ones (|q1|, |q3| in [0.05, 3]) and one with large
    pre-activations of both signs (checked against expected values only: centred differences of a loss of
    ~1e5 cannot resolve 1e-7)."""
    draws = []
    # seeds chosen so that |q1|, |q2|, |q3| lie in [0.05, 3] with both signs and |x| >= 0.2: the reference then
    # agrees with centred differences to < 1e-8, a margin of 10 under the threshold (tests/checks/test_checks_backprop.py)
    for seed, n, m, alpha_prelu, alpha_elu in ((622, 4, 3, 0.2, 1.0), (606, 3, 2, 1.5, 0.5), (628, 5, 4, 0.1, 2.0)):
        rng = np.random.default_rng(seed)
        draws.append({"x": rng.normal(size=n), "y": rng.normal(size=m), "W1": 0.6 * rng.normal(size=(n, n)),
                      "W2": 0.6 * rng.normal(size=(n, n)), "W3": rng.normal(size=(m, n)) / np.sqrt(n),
                      "alpha_prelu": alpha_prelu, "alpha_elu": alpha_elu})
    big = {"x": np.array([3.0, -2.0, 1.0, 4.0]), "y": np.array([1.0, -1.0, 2.0]),
           "W1": 40.0 * np.array([[1.0, 0.5, -0.3, 2.0], [-2.0, 0.1, 0.4, -1.0], [0.3, -1.5, 2.0, 0.8],
                                  [-0.7, 0.6, -0.2, -0.4]]),
           "W2": 5.0 * np.array([[1.0, -0.5, 0.2, 0.3], [-1.0, 0.3, -0.8, -0.6], [0.4, 0.4, 1.0, -0.2],
                                 [-0.3, -0.9, -0.1, 0.5]]),
           "W3": np.array([[0.5, -0.2, 0.1, 0.3], [0.05, 0.4, -0.3, 0.2], [-0.1, 0.2, 0.6, -0.5]]),
           "alpha_prelu": 0.3, "alpha_elu": 1.0}
    return draws + [big]


def exam_sizes() -> list[tuple[int, int]]:
    """(n, m) pairs for the exam-graph check (n != m, so swapped sizes show)."""
    return [(4, 3), (2, 5)]


def graph_digest(value: Any) -> str:
    """sha256 of a canonical JSON form of one field of a node (op string, parent list or shape list)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


# ---- gates ----------------------------------------------------------------------------------------------
def gate_hints(gate: str, x: Any, y: Any, df: Any) -> tuple[list, list]:
    """(hints for dx, hints for dy) of a wrong gate on (x, y, df) — shared by the visible and hidden checks."""
    x, y, df = np.asarray(x), np.asarray(y), np.asarray(df)
    if gate == "add_gate":
        local = [(lambda g, e: np.allclose(g, 1.0), "the add gate passes the upstream gradient df on, "
                                                    "not the local derivative 1: multiply by df")]
        return local, list(local)
    if gate == "mult_gate":
        return ([(lambda g, e: np.allclose(g, df * x), "the multiply gate SWITCHES: dx = df * y (not df * x)")],
                [(lambda g, e: np.allclose(g, df * y), "the multiply gate SWITCHES: dy = df * x (not df * y)")])
    ties = x == y
    tie = (lambda g, e: ties.any() and np.allclose(g[~ties], e[~ties]),
           "at a tie x == y the lecture's indicator 1(x > y) is 0: the whole gradient goes to y "
           "(use x > y for dx and x <= y for dy)")
    return ([tie, (lambda g, e: np.allclose(g, df * (x < y)), "max routes df to the LARGER input"),
             (lambda g, e: np.allclose(g, 1.0 * (x > y)), "multiply the indicator by df")],
            [tie, (lambda g, e: np.allclose(g, 1.0 * (x <= y)), "multiply the indicator by df")])


def signed(rng: np.random.Generator, size: int, low: float, high: float) -> np.ndarray:
    """`size` magnitudes in [low, high] with random signs, at least one of each sign when size >= 2."""
    signs = rng.choice([-1.0, 1.0], size=size)
    if size >= 2:
        signs[:2] = 1.0, -1.0
        signs = rng.permutation(signs)
    return signs * rng.uniform(low, high, size=size)


def _gate_case(rng: np.random.Generator, shape: tuple[int, ...], ties: bool = False) -> Case:
    """x, y of `shape` (scales 0.1 .. 100; x != y by at least 1e-3 of the scale unless a tie), df with every
    |entry| in [0.1, 3] (far from 0 and from 1 as a whole: a missing df shows)."""
    scale = 10.0 ** rng.uniform(-1, 2)
    x = rng.normal(size=shape) * scale
    y = x + signed(rng, int(np.prod(shape)), 1e-3 * scale, 2 * scale).reshape(shape)
    if ties:
        tie = rng.random(shape) < 0.35
        tie.flat[:2] = True
        y = np.where(tie, x, y)
    df = signed(rng, int(np.prod(shape)), 0.1, 3.0).reshape(shape)
    return {"x": x, "y": y, "df": df}


GATE_CASES = {
    "numbers (Python floats)": lambda rng: _gate_case(rng, ()),
    "a vector": lambda rng: _gate_case(rng, (int(rng.integers(2, 9)),)),
    "a matrix": lambda rng: _gate_case(rng, (int(rng.integers(2, 5)), int(rng.integers(2, 5)))),
    "ties x == y": lambda rng: _gate_case(rng, (int(rng.integers(4, 10)),), ties=True),
}


def gate_run(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
    """(dx, dy) of a gate, with Python floats for the case "numbers"."""
    args = [case[v] if np.ndim(case[v]) else float(case[v]) for v in ("x", "y", "df")]
    dx, dy = unpack_pair(getattr(fn, "__name__", "gate"), call(fn, *args).value, "(dx, dy)")
    return {"dx": dx, "dy": dy}


def gate_spec(gate: str) -> dict[str, Any]:
    """run, schema and hints of one gate (its hints: gate_hints)."""
    return dict(run=gate_run, schema=lambda case: {v: (np.shape(case["x"]), "float") for v in ("dx", "dy")},
                hints=lambda case, name: gate_hints(gate, case["x"], case["y"], case["df"])[name == "dy"])


exercise("backprop.add_gate", GATE_CASES, **gate_spec("add_gate"))
exercise("backprop.mult_gate", GATE_CASES, **gate_spec("mult_gate"))
exercise("backprop.max_gate", GATE_CASES, **gate_spec("max_gate"))


# ---- the small graph ------------------------------------------------------------------------------------
def numerical_gate(op: Callable[[Any, Any], Any]) -> Callable[..., tuple[Any, Any]]:
    """A stand-in gate: (dx, dy) = df times centred differences of op (exact for +, *, and max off ties)."""

    def gate(x: Any, y: Any, df: Any) -> tuple[Any, Any]:
        x, y, df = (np.asarray(v, dtype=np.float64) for v in (x, y, df))
        h = 1e-6 * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))
        dx = df * (op(x + h, y) - op(x - h, y)) / (2 * h)
        dy = df * (op(x, y + h) - op(x, y - h)) / (2 * h)
        return dx, dy

    return gate


NUMERICAL_GATES = {"add_gate": numerical_gate(np.add), "mult_gate": numerical_gate(np.multiply),
                   "max_gate": numerical_gate(np.maximum)}


def one_sided_max_gate(x: Any, y: Any, df: Any) -> tuple[Any, Any]:
    """A stand-in max gate for ties too: dx from a left difference (= 𝕀(x > y)), dy from a right one (= 𝕀(y ≥ x)).

    One-sided differences of np.maximum reproduce the lecture's tie rule without the gate's code.
    """
    x, y, df = (np.asarray(v, dtype=np.float64) for v in (x, y, df))
    h = 1e-6 * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))
    dx = df * (np.maximum(x, y) - np.maximum(x - h, y)) / h
    dy = df * (np.maximum(x, y + h) - np.maximum(x, y)) / h
    return dx, dy


# stand-in gates of both small-graph checks (ties z == w included): exact up to rounding, no exercise code
TIE_AWARE_GATES = {**NUMERICAL_GATES, "max_gate": one_sided_max_gate}


def run_small_graph(fn: Callable[..., Any], draw: tuple, gates: dict[str, Callable[..., Any]]) -> tuple[Call, Any, list]:
    """Call small_graph_backward(*draw) with `gates` in place of the notebook's; returns (call, f, grads)."""
    c = call(with_globals(fn, **gates), *draw)
    f, grads = unpack_pair(f"small_graph_backward{draw}", c.value, "(f, (dx, dy, dz, dw))")
    if not isinstance(grads, (tuple, list)) or len(grads) != 4:
        raise AssertionError(f"small_graph_backward{draw}: the second item must be the tuple (dx, dy, dz, dw)")
    return c, f, [as_array(f"small_graph_backward{draw} {n}", g, ()) for n, g in zip(("dx", "dy", "dz", "dw"), grads)]


def _small_graph_case(order: str) -> Callable[[np.random.Generator], dict[str, Any]]:
    """One draw (x, y, z, w) with z > w, z < w or z == w; q = x + y, m = max(z, w) and f = q m are at least 0.1
    from 0 and from 1 (so a gradient that starts from f, or skips a switch, shows), |z - w| >= 0.1 off ties."""

    def make(rng: np.random.Generator) -> dict[str, Any]:
        while True:
            x, y, z, w = (float(v) for v in rng.normal(size=4) * 10.0 ** rng.uniform(-0.5, 1.5))
            if order == "tie":
                w = z
            elif (z > w) != (order == "z > w"):
                z, w = w, z
            q, m = x + y, max(z, w)
            far = [abs(v) >= 0.1 and abs(v - 1) >= 0.1 for v in (q, m, q * m)]
            if all(far) and (order == "tie" or abs(z - w) >= 0.1):
                return {"draw": np.array([x, y, z, w])}

    return make


SMALL_GRAPH_CASES = {"z > w": _small_graph_case("z > w"), "z < w": _small_graph_case("z < w"),
                     "a tie z == w": _small_graph_case("tie")}


def small_graph_hints(x: float, y: float, z: float, w: float) -> tuple[list, list]:
    """(hints for f, hints for (dx, dy, dz, dw)) of f = (x + y) max(z, w) — shared by the visible and hidden checks."""
    return ([(lambda g, e: np.isclose(g, (x + y) * min(z, w)), "f uses the max of z and w")], [
        (lambda g, e: z == w and np.allclose(g[:2], e[:2]),
         "a tie z == w: the max gate sends the gradient to w — call max_gate(z, w, dm), which routes ties to y"),
        (lambda g, e: np.allclose(g[[0, 1, 3, 2]], e), "dz and dw are swapped: max routes dm to the LARGER of z and w"),
        (lambda g, e: np.allclose(g[:2], e[:2]), "dz, dw: the max gate's upstream gradient is dm = df * q "
                                                 "(the mult gate switches), with q = x + y"),
        (lambda g, e: np.allclose(g[2:], e[2:]), "dx, dy: the add gate distributes dq = df * max(z, w)")])


def run_small_graph_spec(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
    """f and (dx, dy, dz, dw) with the stand-in gates (no reference code in the kernel): only the chaining counts."""
    _, f, grads = run_small_graph(fn, tuple(float(v) for v in case["draw"]), TIE_AWARE_GATES)
    return {"f": f, "grads": np.array(grads, dtype=float)}


exercise("backprop.small_graph_backward", SMALL_GRAPH_CASES, run=run_small_graph_spec,
         schema=lambda case: {"f": ((), "float"), "grads": ((4,), "float")},
         hints=lambda case, name: small_graph_hints(*(float(v) for v in case["draw"]))[name == "grads"])


# ---- one layer with squared loss ------------------------------------------------------------------------
def _grads_dict(name: str, grads: Any, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    if not isinstance(grads, dict) or set(grads) != set(shapes):
        keys = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise AssertionError(f"{name}: the gradients must be a dict with keys {sorted(shapes)}, got {keys}")
    return {k: check_shape(f"{name} grads[{k!r}]", grads[k], s,
                           hint=f"grads[{k!r}] has the shape of {k}" + (" — it looks transposed: d l / d W_ij = "
                                                                         "dq_i x_j is np.outer(dq, x)"
                                                                         if len(s) == 2 else ""))
            for k, s in shapes.items()}


def _relu_layer_case(square: bool = False, zero: bool = False) -> Callable[[np.random.Generator], dict[str, Any]]:
    """W (M, D) of scale s (0.1 .. 100), x (D,), b chosen so that q = W x + b has entries of both signs with
    |q| in [0.1 s, 3 s] (or, for `zero`, a zero row of W and b, so q_0 is EXACTLY 0), z with |z| in [0.1 s, 3 s]."""

    def make(rng: np.random.Generator) -> dict[str, Any]:
        M = int(rng.integers(2, 7))
        D = M if square else int(rng.choice([v for v in range(1, 8) if v != M]))
        s = 10.0 ** rng.uniform(-1, 2)
        W, x = s * rng.normal(size=(M, D)), rng.normal(size=D)
        q = signed(rng, M, 0.1 * s, 3 * s)
        b = q - W @ x
        if zero:
            k = int(rng.integers(M))
            W[k], b[k] = 0.0, 0.0
        return {"W": W, "b": b, "x": x, "z": signed(rng, M, 0.1 * s, 3 * s)}

    return make


RELU_LAYER_CASES = {"pre-activations of both signs (M != D)": _relu_layer_case(),
                    "a square W (M == D)": _relu_layer_case(square=True),
                    "a pre-activation of exactly 0": _relu_layer_case(zero=True)}


def relu_layer_run(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
    c = call(fn, case["W"], case["b"], case["x"], case["z"])
    loss, grads = unpack_pair("relu_layer_squared_loss(W, b, x, z)", c.value, "(loss, grads)")
    grads = _grads_dict("relu_layer_squared_loss", grads, {k: case[k].shape for k in ("W", "b", "x")})
    return {"loss": loss, **{f"d{k}": v for k, v in grads.items()}}


def relu_layer_hints(case: Case, name: str) -> list:
    if name == "loss":
        return [(lambda g, e: np.isclose(g, 0.5 * e) or np.isclose(g, 2 * e),
                 "l = ||h - z||^2 is the plain sum of squares (no 1/2, no 2)"),
                (lambda g, e: np.isclose(g, np.sqrt(e)), "l is the SQUARED norm ||h - z||^2")]
    hints = [(lambda g, e: np.allclose(g, e / 2), "the gradient is half the right one: grad_h l = 2 (h - z)"),
             (lambda g, e: np.allclose(g, -e), "the gradient has the wrong sign: grad_h l = 2 (h - z)")]
    if np.any(case["W"] @ case["x"] + case["b"] == 0):
        hints.append((lambda g, e: True, "a unit has pre-activation exactly 0 here: ReLU'(0) = 0 (use q > 0)"))
    return hints + [(lambda g, e: True, "through the ReLU take the Hadamard product with 1(q > 0), q = W x + b; then "
                                        "dW = dq x^T (np.outer(dq, x)), db = dq, dx = W^T dq")]


def relu_layer_atol(case: Case) -> float:
    """1e-8, widened with the scale (sums of terms of size S carry rounding of ~1e-16 S each)."""
    return 1e-8 + 1e-12 * float(np.abs(case["W"]).max()) ** 2 * 10


exercise("backprop.relu_layer_squared_loss", RELU_LAYER_CASES, run=relu_layer_run,
         schema=lambda case: {"loss": ((), "float"), **{f"d{k}": (case[k].shape, "float") for k in ("W", "b", "x")}},
         hints=relu_layer_hints, atol=relu_layer_atol)


# ---- the exam graph -------------------------------------------------------------------------------------
def graph_fields(name: str, graph: Any) -> dict[str, dict[str, Any]]:
    """Normalise a student's graph to {node: {"op": str, "parents": [str], "shape": [int]}}, or fail teaching."""
    if not isinstance(graph, dict):
        raise AssertionError(f"{name} must return a dict {{node: {{'op', 'parents', 'shape'}}}}, "
                             f"got {type(graph).__name__}")
    if set(graph) != set(EXAM_NODES):
        missing, extra = set(EXAM_NODES) - set(graph), set(graph) - set(EXAM_NODES)
        raise AssertionError(f"{name}: the nodes must be exactly {list(EXAM_NODES)} (inputs x, y, W1, W2, W3 appear "
                             f"only as parents); missing {sorted(missing)}, unexpected {sorted(extra)}")
    out: dict[str, dict[str, Any]] = {}
    for node in EXAM_NODES:
        entry = graph[node]
        if not isinstance(entry, dict) or not {"op", "parents", "shape"} <= set(entry):
            raise AssertionError(f"{name}: graph[{node!r}] must be a dict with keys 'op', 'parents', 'shape'")
        op, parents, shape = entry["op"], entry["parents"], entry["shape"]
        if op not in EXAM_OPS:
            raise AssertionError(f"{name}: graph[{node!r}]['op'] is {op!r}; use one of {list(EXAM_OPS)}")
        if not isinstance(parents, (list, tuple)) or not all(isinstance(p, str) for p in parents):
            raise AssertionError(f"{name}: graph[{node!r}]['parents'] must be a list of names, got {parents!r}")
        unknown = [p for p in parents if p not in EXAM_NODES + EXAM_INPUTS]
        if unknown:
            raise AssertionError(f"{name}: graph[{node!r}] has unknown parents {unknown}: parents are nodes "
                                 f"{list(EXAM_NODES)} or inputs {list(EXAM_INPUTS)} (the alphas are constants)")
        try:
            shape_list = [int(s) for s in shape]
        except TypeError:
            raise AssertionError(f"{name}: graph[{node!r}]['shape'] must be a tuple such as (n,) or () for a "
                                 f"number, got {shape!r}") from None
        out[node] = {"op": op, "parents": list(parents), "shape": shape_list}
    _check_acyclic(name, out)
    return out


def _check_acyclic(name: str, graph: dict[str, dict[str, Any]]) -> None:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2 or node not in graph:
            return
        if state.get(node) == 1:
            raise AssertionError(f"{name}: the graph has a cycle {' -> '.join(path + [node])}: a node cannot "
                                 "depend on itself")
        state[node] = 1
        for p in graph[node]["parents"]:
            visit(p, path + [node])
        state[node] = 2

    for node in graph:
        visit(node, [])


FIELD_HINTS = {
    "op": "which operation computes {node} from its parents? (numbered FORWARD here: q1 = W1 x, q2 = PReLU(q1), "
          "..., q6 = q5 - y, L = 1/2 ||q6||^2; the lecture's solution numbers backward from the loss: its q_k is "
          "our q_(7-k))",
    "parents": "list the values {node} is computed from, in the order of the formula (the matrix first for "
               "'matmul', q5 before y for 'subtract')",
    "shape": "with n = {n}, m = {m}: x is (n,), y is (m,), W1 and W2 are (n, n), W3 is (m, n); L is a number, "
             "shape ()",
}


@visible("backprop.exam_graph")
def check_exam_graph(exam_graph: Callable[..., Any]) -> None:
    """The exam network's graph: structure, then each node's op, parents and shape against fixed digests."""
    expected = load_expected("backprop")["exam_graph"]
    for n, m in exam_sizes():
        c = call(exam_graph, n, m)
        graph = graph_fields(f"exam_graph({n}, {m})", c.value)
        for node in EXAM_NODES:
            for field in ("op", "parents", "shape"):
                if graph_digest(graph[node][field]) != expected[f"n={n},m={m}"][node][field]:
                    raise AssertionError(f"exam_graph({n}, {m}): graph[{node!r}][{field!r}] = "
                                         f"{graph[node][field]!r} is not right.\n  Hint: "
                                         + FIELD_HINTS[field].format(node=node, n=n, m=m))


# ---- the exam network -----------------------------------------------------------------------------------
def three_layer_hints(d: dict[str, Any], what: str) -> list:
    return [
        (lambda g, e: not np.all(np.isfinite(g)),
         "inf/nan: np.exp of a large positive pre-activation overflows (and inf * 0 = nan) — evaluate the ELU's "
         "exponential only of the non-positive part, np.exp(np.minimum(q3, 0))"),
        (lambda g, e: np.allclose(g, 2 * e), f"{what} is twice the right value: L has the factor 1/2"),
        (lambda g, e: np.allclose(g, -e), f"{what} has the wrong sign: q6 = q5 - y, dL/dq6 = q6"),
    ]


@visible("backprop.three_layer_prelu_elu")
def check_three_layer_prelu_elu(three_layer_prelu_elu: Callable[..., Any]) -> None:
    """L against fixed values; dW1, dW2, dW3 against centred differences (well-scaled draws) and fixed values
    (all draws, including pre-activations of +-100s)."""
    expected = load_expected("backprop")["three_layer_prelu_elu"]
    draws = three_layer_inputs()
    for k, d in enumerate(draws):
        label = f"draw {k} (n={d['x'].size}, m={d['y'].size}, alpha_prelu={d['alpha_prelu']}, " \
                f"alpha_elu={d['alpha_elu']}{', large pre-activations' if k == len(draws) - 1 else ''})"
        args = [d[k_] for k_ in ("x", "y", "W1", "W2", "W3", "alpha_prelu", "alpha_elu")]
        c = call(three_layer_prelu_elu, *args)
        L, grads = unpack_pair(f"three_layer_prelu_elu, {label}", c.value, "(L, grads)")
        L = check_shape(f"L, {label}", None if L is None else np.asarray(L, dtype=float), (), "L is one number")
        assert_close(f"L, {label}", L, np.array(expected[k]["L"]), rtol=1e-7, atol=1e-10, call=c,
                     hints=three_layer_hints(d, "L"))
        shapes = {**{name: d[name].shape for name in ("W1", "W2", "W3")}, "alpha_prelu": ()}
        grads = _grads_dict(f"three_layer_prelu_elu, {label}", grads, shapes)
        for name in ("W3", "W2", "W1"):  # in backprop order: the first wrong one is the one to fix
            if k < len(draws) - 1:
                def loss_of(W: np.ndarray, name: str = name) -> float:
                    new = dict(d, **{name: W})
                    return float(call_student(three_layer_prelu_elu, *[new[k_] for k_ in (
                        "x", "y", "W1", "W2", "W3", "alpha_prelu", "alpha_elu")]).value[0])

                err = rel_error(grads[name], eval_numerical_gradient(loss_of, d[name].copy()))
                if not err <= GRAD_TOL:
                    where = {"W3": "dW3 = dq5 q4^T", "W2": "dq3 = ELU'(q3) * (W3^T dq5), dW2 = dq3 q2^T",
                             "W1": "dq1 = PReLU'(q1) * (W2^T dq3), dW1 = dq1 x^T"}[name]
                    raise AssertionError(f"three_layer_prelu_elu, {label}: d{name} disagrees with the numerical "
                                         f"gradient of your L (relative error {err:.2e} > {GRAD_TOL:g}).\n  Hint: "
                                         f"{where}; ELU'(q) = 1 for q > 0, alpha_elu e^q otherwise; PReLU'(q) = 1 "
                                         f"for q > 0, alpha_prelu otherwise." + c.notes())
            assert_close(f"d{name}, {label}", grads[name], np.array(expected[k][f"d{name}"]), rtol=1e-7,
                         atol=1e-10, call=c, hints=three_layer_hints(d, f"d{name}"))
        assert_close(f"dalpha_prelu, {label}", grads["alpha_prelu"], np.array(expected[k]["dalpha_prelu"]),
                     rtol=1e-7, atol=1e-10, call=c, hints=three_layer_hints(d, "dalpha_prelu") + ALPHA_HINTS)
        note_overflow(c, "three_layer_prelu_elu")


ALPHA_HINTS = [(lambda g, e: True, "PReLU(q) = max(q, 0) + alpha min(q, 0), so dq2/dalpha = min(q1, 0) entrywise; one "
                                   "alpha serves every unit, so dL/dalpha = SUM over the units of dL/dq2 * min(q1, 0) "
                                   "(only units with q1 <= 0 contribute)")]
