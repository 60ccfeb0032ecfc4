"""Hidden checks of a3_backprop part 1 (exercise ids ``backprop.*``) vs `solutions.backprop`.

The gates, the small graph and the ReLU layer are exercise specs in course/checks/backprop.py (their hidden checks
are built from them). Here, the batteries of the exam (the same case types for every student, values drawn per
student): the exam graph: n > m and n < m; the exam network: alpha_PReLU in (0, 1), alpha_PReLU > 1 (the max shorthand),
alpha_ELU >= 1 with q3 of both signs (ELU's max shorthand), pre-activations in the hundreds (e^q3 beyond float
range), and exact zeros in q1 and in q3 (zero rows of W1 / W2). tests/checks/test_fair_backprop.py replays one known bug
per failure mode over 50 students: caught in every draw.

Also here: ``expected_values()``, the exam's part of course/expected/backprop.json (autograder/expected.py).
"""

from typing import Any, Callable

import numpy as np

from autograder.hidden import Schema, battery, hidden
from course.checks import backprop as visible
from course.checks.core import assert_close
from course.checks.core import call, unpack_pair

EXAM_ARGS = ("x", "y", "W1", "W2", "W3", "alpha_prelu", "alpha_elu")


def _atol(*arrays: np.ndarray) -> float:
    """1e-8, widened for large values: sums of terms of size S carry rounding of ~1e-16 S per term."""
    return 1e-8 + 1e-12 * max(float(np.abs(a).max()) if np.size(a) else 0.0 for a in arrays)


def _grads_of(name: str, value: Any, keys: tuple[str, ...]) -> tuple[Any, dict[str, Any]]:
    loss, grads = unpack_pair(name, value, "(loss, grads)")
    if not isinstance(grads, dict) or set(grads) != set(keys):
        raise AssertionError(f"{name}: the gradients must be a dict with keys {list(keys)}")
    return loss, grads


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
        x = visible.signed(rng, n, 0.2, 2.0)
        W1 = _steer(rng, 1.0, x, visible.signed(rng, n, *q1))
        if zero == "q1":
            W1[int(rng.integers(n))] = 0.0
        h1 = W1 @ x
        q2 = np.where(h1 > 0, h1, a_p * h1)
        target = visible.signed(rng, n, *q3)
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
