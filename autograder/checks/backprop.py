"""Hidden checks of a3_backprop part 1 (exercise ids ``backprop.*``) vs `solutions.backprop`.

Every check is a `battery`: the same case types for every student (values drawn per student), together covering
every failure mode the notebook teaches — gates: a number, a vector, a matrix, ties x == y (max routes a tie to
y), an upstream gradient df far from 1; the small graph: z > w, z < w and a tie z == w; the ReLU layer:
pre-activations of both signs (M != D), a square W (M == D) and a pre-activation of EXACTLY 0 (the x <= 0 branch);
the exam graph: n > m and n < m; the exam network: alpha_PReLU in (0, 1), alpha_PReLU > 1 (the max shorthand),
alpha_ELU >= 1 with q3 of both signs (ELU's max shorthand), pre-activations in the hundreds (e^q3 beyond float
range), and exact zeros in q1 and in q3 (zero rows of W1 / W2). tests/checks/test_fair_backprop.py replays one known bug
per failure mode over 50 students: caught in every draw.

Also here: ``expected_values()``, the builder of course/expected/backprop.json (see autograder/expected.py).
"""

from typing import Any, Callable

import numpy as np

from autograder.hidden import Schema, battery, hidden
from course.checks import backprop as visible
from course.checks.core import assert_close
from course.checks.core import call, unpack_pair

GATES = ("add_gate", "mult_gate", "max_gate")
EXAM_ARGS = ("x", "y", "W1", "W2", "W3", "alpha_prelu", "alpha_elu")


def _atol(*arrays: np.ndarray) -> float:
    """1e-8, widened for large values: sums of terms of size S carry rounding of ~1e-16 S per term."""
    return 1e-8 + 1e-12 * max(float(np.abs(a).max()) if np.size(a) else 0.0 for a in arrays)


def _signed(rng: np.random.Generator, size: int, low: float, high: float) -> np.ndarray:
    """`size` magnitudes in [low, high] with random signs, at least one of each sign when size >= 2."""
    signs = rng.choice([-1.0, 1.0], size=size)
    if size >= 2:
        signs[:2] = 1.0, -1.0
        signs = rng.permutation(signs)
    return signs * rng.uniform(low, high, size=size)


# ---- gates ----------------------------------------------------------------------------------------------
def _gate_case(rng: np.random.Generator, shape: tuple[int, ...], ties: bool = False) -> dict[str, Any]:
    """x, y of `shape` (scales 0.1 .. 100; x != y by at least 1e-3 of the scale unless a tie), df with every
    |entry| in [0.1, 3] (far from 0 and from 1 as a whole: a missing df shows)."""
    scale = 10.0 ** rng.uniform(-1, 2)
    x = rng.normal(size=shape) * scale
    y = x + _signed(rng, int(np.prod(shape)), 1e-3 * scale, 2 * scale).reshape(shape)
    if ties:
        tie = rng.random(shape) < 0.35
        tie.flat[:2] = True
        y = np.where(tie, x, y)
    df = _signed(rng, int(np.prod(shape)), 0.1, 3.0).reshape(shape)
    return {"x": x, "y": y, "df": df}


GATE_CASES = {
    "numbers (Python floats)": lambda rng: _gate_case(rng, ()),
    "a vector": lambda rng: _gate_case(rng, (int(rng.integers(2, 9)),)),
    "a matrix": lambda rng: _gate_case(rng, (int(rng.integers(2, 5)), int(rng.integers(2, 5)))),
    "ties x == y": lambda rng: _gate_case(rng, (int(rng.integers(4, 10)),), ties=True),
}


def _gate_schema(case: dict[str, Any]) -> Schema:
    return {"dx": (np.shape(case["x"]), "float"), "dy": (np.shape(case["x"]), "float")}


def _gate_run(gate: str) -> Callable[..., dict[str, Any]]:
    def run(case: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
        args = [case[v] if np.ndim(case[v]) else float(case[v]) for v in ("x", "y", "df")]
        dx, dy = unpack_pair(gate, call(fn, *args).value, "(dx, dy)")
        return {"dx": dx, "dy": dy}

    run.__name__ = f"run_{gate}"
    return run


def _gate_judge(gate: str) -> Callable[[dict[str, Any], dict[str, np.ndarray]], None]:
    def judge(case: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
        from solutions import backprop

        x, y, df = case["x"], case["y"], case["df"]
        dx, dy = getattr(backprop, gate)(x, y, df)
        hints_x, hints_y = visible.gate_hints(gate, x, y, df)
        label = f"{gate} on hidden input of shape {np.shape(x)}"
        assert_close(f"{label}: dx", outputs["dx"], np.asarray(dx, dtype=float), hints=hints_x)
        assert_close(f"{label}: dy", outputs["dy"], np.asarray(dy, dtype=float), hints=hints_y)

    judge.__name__ = f"judge_{gate}"
    return judge


hidden(battery("backprop.add_gate", GATE_CASES, _gate_run("add_gate"), _gate_schema, _gate_judge("add_gate")))
hidden(battery("backprop.mult_gate", GATE_CASES, _gate_run("mult_gate"), _gate_schema, _gate_judge("mult_gate")))
hidden(battery("backprop.max_gate", GATE_CASES, _gate_run("max_gate"), _gate_schema, _gate_judge("max_gate")))


# ---- the small graph ------------------------------------------------------------------------------------
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


def _small_graph_schema(case: dict[str, Any]) -> Schema:
    return {"f": ((), "float"), "grads": ((4,), "float")}


def _small_graph_run(case: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    # stand-in gates (one-sided differences; no reference code in the kernel): only the chaining is graded
    gates = {g: visible.TIE_AWARE_GATES[g] for g in GATES}
    _, f, grads = visible.run_small_graph(fn, tuple(float(v) for v in case["draw"]), gates)
    return {"f": visible.as_array("f", f, ()), "grads": np.array(grads, dtype=float)}


def _small_graph_judge(case: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import backprop

    x, y, z, w = (float(v) for v in case["draw"])
    f, grads = backprop.small_graph_backward(x, y, z, w)
    f_hints, grad_hints = visible.small_graph_hints(x, y, z, w)
    assert_close(f"small_graph_backward{(x, y, z, w)} f", outputs["f"], np.array(float(f)), hints=f_hints)
    assert_close(f"small_graph_backward{(x, y, z, w)} (dx, dy, dz, dw)", outputs["grads"],
                 np.array([float(v) for v in grads]), hints=grad_hints)


hidden(battery("backprop.small_graph_backward", SMALL_GRAPH_CASES, _small_graph_run, _small_graph_schema,
               _small_graph_judge))


# ---- the ReLU layer with squared loss -------------------------------------------------------------------
def _relu_layer_case(square: bool = False, zero: bool = False) -> Callable[[np.random.Generator], dict[str, Any]]:
    """W (M, D) of scale s (0.1 .. 100), x (D,), b chosen so that q = W x + b has entries of both signs with
    |q| in [0.1 s, 3 s] (or, for `zero`, a zero row of W and b, so q_0 is EXACTLY 0), z with |z| in [0.1 s, 3 s]."""

    def make(rng: np.random.Generator) -> dict[str, Any]:
        M = int(rng.integers(2, 7))
        D = M if square else int(rng.choice([v for v in range(1, 8) if v != M]))
        s = 10.0 ** rng.uniform(-1, 2)
        W, x = s * rng.normal(size=(M, D)), rng.normal(size=D)
        q = _signed(rng, M, 0.1 * s, 3 * s)
        b = q - W @ x
        if zero:
            k = int(rng.integers(M))
            W[k], b[k] = 0.0, 0.0
        return {"W": W, "b": b, "x": x, "z": _signed(rng, M, 0.1 * s, 3 * s)}

    return make


RELU_LAYER_CASES = {"pre-activations of both signs (M != D)": _relu_layer_case(),
                    "a square W (M == D)": _relu_layer_case(square=True),
                    "a pre-activation of exactly 0": _relu_layer_case(zero=True)}


def _relu_layer_schema(case: dict[str, Any]) -> Schema:
    return {"loss": ((), "float"), **{f"d{name}": (case[name].shape, "float") for name in ("W", "b", "x")}}


def _grads_of(name: str, value: Any, keys: tuple[str, ...]) -> tuple[Any, dict[str, Any]]:
    loss, grads = unpack_pair(name, value, "(loss, grads)")
    if not isinstance(grads, dict) or set(grads) != set(keys):
        raise AssertionError(f"{name}: the gradients must be a dict with keys {list(keys)}")
    return loss, grads


def _relu_layer_run(case: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    loss, grads = _grads_of("relu_layer_squared_loss", call(fn, case["W"], case["b"], case["x"], case["z"]).value,
                            ("W", "b", "x"))
    return {"loss": loss, **{f"d{name}": grads[name] for name in ("W", "b", "x")}}


def _relu_layer_judge(case: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import backprop

    W, b, x, z = case["W"], case["b"], case["x"], case["z"]
    loss, grads = backprop.relu_layer_squared_loss(W, b, x, z)
    q = W @ x + b
    label = f"relu_layer_squared_loss on hidden input (M={b.size}, D={x.size})"
    assert_close(f"{label} loss", outputs["loss"], np.array(loss), atol=_atol(np.array(loss)), hints=[
        (lambda g, e: np.isclose(g, 0.5 * e), "l = ||h - z||^2 is the plain sum of squares (no 1/2)"),
        (lambda g, e: np.isclose(g, np.sqrt(e)), "l is the SQUARED norm ||h - z||^2")])
    hints = [(lambda g, e: np.allclose(g, e / 2), "grad_h l = 2 (h - z)"),
             (lambda g, e: np.allclose(g, -e), "the gradient has the wrong sign: grad_h l = 2 (h - z)")]
    if np.any(q == 0):
        hints.append((lambda g, e: True, "a unit has pre-activation exactly 0 here: ReLU'(0) = 0 (use q > 0)"))
    hints.append((lambda g, e: True, "through the ReLU take the Hadamard product with 1(q > 0), q = W x + b; then "
                                     "dW = dq x^T (np.outer(dq, x)), db = dq, dx = W^T dq"))
    for name in ("W", "b", "x"):
        assert_close(f"{label} d{name}", outputs[f"d{name}"], grads[name], atol=_atol(grads[name]), hints=hints)


hidden(battery("backprop.relu_layer_squared_loss", RELU_LAYER_CASES, _relu_layer_run, _relu_layer_schema,
               _relu_layer_judge))


# ---- the exam graph -------------------------------------------------------------------------------------
NAMES = visible.EXAM_NODES + visible.EXAM_INPUTS


def _more_inputs_than_outputs(rng: np.random.Generator) -> dict[str, Any]:
    n = int(rng.integers(2, 40))
    return {"n": n, "m": int(rng.integers(1, n))}


def _fewer_inputs_than_outputs(rng: np.random.Generator) -> dict[str, Any]:
    n = int(rng.integers(1, 39))
    return {"n": n, "m": int(rng.integers(n + 1, 40))}


EXAM_GRAPH_CASES = {"n > m": _more_inputs_than_outputs, "n < m": _fewer_inputs_than_outputs}


def _graph_schema(case: dict[str, Any]) -> Schema:
    K = len(visible.EXAM_NODES)
    return {"ops": ((K,), "int"), "parents": ((K, 2), "int"), "shapes": ((K, 2), "int")}


def encode_graph(graph: dict[str, dict[str, Any]]) -> dict[str, np.ndarray]:
    """A normalised graph as int arrays: op index; parent indices (-1 = none); shape (-1 = no axis)."""
    ops, parents, shapes = [], [], []
    for node in visible.EXAM_NODES:
        entry = graph[node]
        ops.append(visible.EXAM_OPS.index(entry["op"]))
        p = [NAMES.index(q) for q in entry["parents"]]
        s = list(entry["shape"])
        if len(p) > 2 or len(s) > 2:
            raise AssertionError(f"exam_graph: {node} has {len(p)} parents and a {len(s)}-axis shape; every node of "
                                 "this network has at most two parents and at most two axes")
        parents.append(p + [-1] * (2 - len(p)))
        shapes.append(s + [-1] * (2 - len(s)))
    return {"ops": np.array(ops), "parents": np.array(parents), "shapes": np.array(shapes)}


def _graph_run(case: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    n, m = case["n"], case["m"]
    return encode_graph(visible.graph_fields(f"exam_graph({n}, {m})", call(fn, n, m).value))


def _graph_judge(case: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import backprop

    n, m = case["n"], case["m"]
    want = encode_graph(backprop.exam_graph(n, m))
    for i, node in enumerate(visible.EXAM_NODES):
        for field in ("ops", "parents", "shapes"):
            if not np.array_equal(outputs[field][i], want[field][i]):
                key = {"ops": "op", "parents": "parents", "shapes": "shape"}[field]
                raise AssertionError(f"exam_graph({n}, {m}): graph[{node!r}][{key!r}] is not right.\n  Hint: "
                                     + visible.FIELD_HINTS[key].format(node=node, n=n, m=m))


hidden(battery("backprop.exam_graph", EXAM_GRAPH_CASES, _graph_run, _graph_schema, _graph_judge))


# ---- the exam network -----------------------------------------------------------------------------------
def _steer(rng: np.random.Generator, scale: float, v: np.ndarray, target: np.ndarray) -> np.ndarray:
    """A random (len(target), len(v)) matrix W of `scale`, corrected by a rank-one term so that W v = target."""
    W = scale * rng.normal(size=(len(target), len(v)))
    return W + np.outer(target - W @ v, v) / (v @ v)


def _exam_case(alpha_prelu: tuple[float, float], alpha_elu: tuple[float, float], q1: tuple[float, float] = (0.2, 3.0),
               q3: tuple[float, float] = (0.2, 3.0), zero: str = "",
               beyond_exp: bool = False) -> Callable[[np.random.Generator], dict[str, Any]]:
    """n in 3..6, m in 1..5 with m != n; W1 and W2 steered so that q1 = W1 x and q3 = W2 q2 have entries of both
    signs with magnitudes in the given ranges (`zero`: a zero row of W1 or W2 makes q1 or q3 EXACTLY 0 there;
    `beyond_exp`: one q3 in 800 .. 2000, beyond e^q's float range); alphas uniform in the given ranges."""

    def make(rng: np.random.Generator) -> dict[str, Any]:
        n = int(rng.integers(3, 7))
        m = int(rng.choice([v for v in range(1, 6) if v != n]))
        a_p, a_e = float(rng.uniform(*alpha_prelu)), float(rng.uniform(*alpha_elu))
        x = _signed(rng, n, 0.2, 2.0)
        W1 = _steer(rng, 1.0, x, _signed(rng, n, *q1))
        if zero == "q1":
            W1[int(rng.integers(n))] = 0.0
        h1 = W1 @ x
        q2 = np.where(h1 > 0, h1, a_p * h1)
        target = _signed(rng, n, *q3)
        if beyond_exp:
            target[int(np.argmax(target))] = rng.uniform(800, 2000)
        W2 = _steer(rng, 1.0, q2, target)
        if zero == "q3":
            W2[int(rng.integers(n))] = 0.0
        W3 = rng.normal(size=(m, n)) / np.sqrt(n)
        y = rng.normal(size=m) * max(1.0, float(np.abs(target).max()) / 10)
        return {"x": x, "y": y, "W1": W1, "W2": W2, "W3": W3, "alpha_prelu": a_p, "alpha_elu": a_e}

    return make


EXAM_CASES = {
    "alpha_PReLU in (0, 1), pre-activations of both signs": _exam_case((0.1, 0.9), (0.2, 0.9)),
    "alpha_PReLU > 1": _exam_case((1.5, 3.0), (0.2, 2.0)),
    "alpha_ELU >= 1, q3 of both signs": _exam_case((0.1, 0.9), (1.0, 3.0)),
    "pre-activations in the hundreds (e^q3 beyond float range)": _exam_case((0.1, 0.9), (0.5, 2.0), q1=(10.0, 300.0),
                                                                           q3=(1.0, 1000.0), beyond_exp=True),
    "q1 exactly 0 (a zero row of W1)": _exam_case((0.1, 0.6), (0.2, 0.9), zero="q1"),
    "q3 exactly 0 (a zero row of W2)": _exam_case((0.1, 0.9), (1.5, 3.0), zero="q3"),
}


EXAM_GRADS = ("W1", "W2", "W3", "alpha_prelu")


def _three_layer_schema(case: dict[str, Any]) -> Schema:
    return {"L": ((), "float"), **{f"d{name}": (np.shape(case[name]), "float") for name in EXAM_GRADS}}


def _three_layer_run(case: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    L, grads = _grads_of("three_layer_prelu_elu", call(fn, *[case[a] for a in EXAM_ARGS]).value, EXAM_GRADS)
    return {"L": L, **{f"d{name}": grads[name] for name in EXAM_GRADS}}


def _three_layer_judge(case: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import backprop

    L, grads = backprop.three_layer_prelu_elu(*[case[a] for a in EXAM_ARGS])
    q1 = case["W1"] @ case["x"]
    q3 = case["W2"] @ np.where(q1 > 0, q1, case["alpha_prelu"] * q1)
    label = (f"three_layer_prelu_elu on hidden input (n={case['x'].size}, m={case['y'].size}, "
             f"|q1| up to {np.abs(q1).max():.3g}, alpha_prelu={case['alpha_prelu']:.3g}, "
             f"alpha_elu={case['alpha_elu']:.3g})")
    hints = visible.three_layer_hints(case, "the value")
    if np.any(q1 == 0) or np.any(q3 == 0):
        hints.append((lambda g, e: True, "a zero row of W1 or W2 makes q1 or q3 exactly 0 here: there PReLU'(0) = "
                                         "alpha_prelu and ELU'(0) = alpha_elu (the x <= 0 branch: write q > 0)"))
    if case["alpha_prelu"] > 1:
        hints.append((lambda g, e: True, "alpha_prelu > 1 here: PReLU(q) = q if q > 0 else alpha q (max(alpha q, q) "
                                         "is wrong for alpha > 1)"))
    if case["alpha_elu"] >= 1:
        hints.append((lambda g, e: True, "alpha_elu >= 1 here: ELU(q) = q if q > 0 else alpha (e^q - 1) (the max "
                                         "shorthand is wrong for every q > 0)"))
    assert_close(f"{label}: L", outputs["L"], np.array(L), atol=_atol(np.array(L)), hints=hints)
    for name in ("W3", "W2", "W1"):
        assert_close(f"{label}: d{name}", outputs[f"d{name}"], grads[name], atol=_atol(grads[name]), hints=hints)
    assert_close(f"{label}: dalpha_prelu", outputs["dalpha_prelu"], np.array(grads["alpha_prelu"]),
                 atol=_atol(np.array(grads["alpha_prelu"])), hints=hints + visible.ALPHA_HINTS)


hidden(battery("backprop.three_layer_prelu_elu", EXAM_CASES, _three_layer_run, _three_layer_schema,
               _three_layer_judge))


# ---- the fixed expected values of the visible checks ----------------------------------------------------
def expected_values() -> dict[str, Any]:
    """The contents of course/expected/backprop.json, from `solutions.backprop` on the visible checks' inputs."""
    from solutions import backprop

    def tolist(v: Any) -> Any:
        return np.asarray(v, dtype=float).tolist()

    result: dict[str, Any] = {}
    g = visible.gate_inputs()
    for gate in GATES:
        fn = getattr(backprop, gate)
        dx, dy = fn(g["x"], g["y"], g["df"])
        sdx, sdy = fn(*g["scalar"])
        result[gate] = {"dx": tolist(dx), "dy": tolist(dy), "scalar_dx": float(sdx), "scalar_dy": float(sdy)}
    draws = [backprop.small_graph_backward(*d) for d in visible.small_graph_inputs()]
    result["small_graph_backward"] = {"f": [float(f) for f, _ in draws],
                                      "grads": [[float(v) for v in grads] for _, grads in draws]}
    a = visible.relu_layer_inputs()
    loss, grads = backprop.relu_layer_squared_loss(a["W"], a["b"], a["x"], a["z"])
    result["relu_layer_squared_loss"] = {"loss": loss, **{f"d{k}": tolist(v) for k, v in grads.items()}}
    result["exam_graph"] = {
        f"n={n},m={m}": {node: {"op": visible.graph_digest(e["op"]), "parents": visible.graph_digest(list(e["parents"])),
                                "shape": visible.graph_digest(list(e["shape"]))}
                         for node, e in backprop.exam_graph(n, m).items()}
        for n, m in visible.exam_sizes()}
    result["three_layer_prelu_elu"] = []
    for d in visible.three_layer_inputs():
        L, grads = backprop.three_layer_prelu_elu(*[d[k] for k in EXAM_ARGS])
        result["three_layer_prelu_elu"].append({"L": L, **{f"d{k}": tolist(v) for k, v in grads.items()}})
    return result
