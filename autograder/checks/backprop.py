"""Hidden checks of a3_backprop part 1 (exercise ids ``backprop.*``) vs `solutions.backprop`.

Grading-time inputs: gates on random shapes (scalars included) with ties for max; the small graph with
ties z == w; the ReLU layer and the exam network on many draws of random sizes and scales — pre-activations
from ~1e-3 up to the hundreds of both signs, and EXACT zeros (zero rows of W), where the derivative takes the
x <= 0 branch; alphas above 1 for PReLU and every ELU alpha in [0, 3].

Also here: ``expected_values()``, the builder of course/expected/backprop.json (see autograder/expected.py).
"""

from typing import Any, Callable

import numpy as np

from autograder.hidden import HiddenCheck, hidden
from course.checks import backprop as visible
from course.checks.core import assert_close
from course.checks.layers import call, unpack_pair

GATES = ("add_gate", "mult_gate", "max_gate")
EXAM_ARGS = ("x", "y", "W1", "W2", "W3", "alpha_prelu", "alpha_elu")


def _atol(*arrays: np.ndarray) -> float:
    """1e-8, widened for large values: sums of terms of size S carry rounding of ~1e-16 S per term."""
    return 1e-8 + 1e-12 * max(float(np.abs(a).max()) if np.size(a) else 0.0 for a in arrays)


# ---- gates ----------------------------------------------------------------------------------------------
def _gate_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Three cases: a scalar, a vector and a matrix; about a third of the entries are ties x == y."""
    cases = []
    for shape in ((), (int(rng.integers(2, 9)),), tuple(int(s) for s in rng.integers(1, 5, size=2))):
        x = rng.normal(size=shape) * 10.0 ** rng.uniform(-1, 2)
        y = rng.normal(size=shape) * 10.0 ** rng.uniform(-1, 2)
        ties = rng.random(shape) < 0.35
        y = np.where(ties, x, y)
        cases.append({"x": x, "y": y, "df": rng.normal(size=shape)})
    return {"cases": cases}


def _gate_schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    out = {}
    for k, case in enumerate(inputs["cases"]):
        out[f"dx{k}"] = (np.shape(case["x"]), "float")
        out[f"dy{k}"] = (np.shape(case["x"]), "float")
    return out


def _gate_run(gate: str) -> Callable[..., dict[str, Any]]:
    def run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
        raw = {}
        for k, case in enumerate(inputs["cases"]):
            args = [case[v] if np.ndim(case[v]) else float(case[v]) for v in ("x", "y", "df")]
            raw[f"dx{k}"], raw[f"dy{k}"] = unpack_pair(gate, call(fn, *args).value, "(dx, dy)")
        return raw

    run.__name__ = f"run_{gate}"
    return run


def _gate_judge(gate: str) -> Callable[[dict[str, Any], dict[str, np.ndarray]], None]:
    def judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
        from solutions import backprop

        for k, case in enumerate(inputs["cases"]):
            dx, dy = getattr(backprop, gate)(case["x"], case["y"], case["df"])
            hints = [(lambda g, e: gate == "max_gate", "ties x == y send the whole gradient to y (1(x > y) = 0)")]
            label = f"{gate} on hidden input {k} (shape {np.shape(case['x'])})"
            assert_close(f"{label} dx", outputs[f"dx{k}"], np.asarray(dx, dtype=float), hints=hints)
            assert_close(f"{label} dy", outputs[f"dy{k}"], np.asarray(dy, dtype=float), hints=hints)

    return judge


for _gate in GATES:
    hidden(HiddenCheck(f"backprop.{_gate}", _gate_inputs, _gate_run(_gate), _gate_schema, _gate_judge(_gate)))


# ---- the small graph ------------------------------------------------------------------------------------
def _small_graph_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Eight scalar draws (x, y, z, w); draws 0 and 1 have ties z == w, draw 2 is all integers."""
    draws = []
    for k in range(8):
        v = rng.normal(size=4) * 10.0 ** rng.uniform(-1, 1.5)
        if k == 2:
            v = np.round(v) + 1.0
        if k < 2:
            v[3] = v[2]
        draws.append(tuple(float(t) for t in v))
    return {"draws": draws}


def _small_graph_schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    K = len(inputs["draws"])
    return {"f": ((K,), "float"), "grads": ((K, 4), "float")}


def _small_graph_run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    # stand-in gates (one-sided differences; no reference code in the kernel): only the chaining is graded
    gates = {g: visible.TIE_AWARE_GATES[g] for g in GATES}
    fs, grads = [], []
    for draw in inputs["draws"]:
        _, f, g = visible.run_small_graph(fn, draw, gates)
        fs.append(visible.as_array("f", f, ()))
        grads.append(g)
    return {"f": np.array(fs, dtype=float), "grads": np.array(grads, dtype=float)}


def _small_graph_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import backprop

    want = [backprop.small_graph_backward(*d) for d in inputs["draws"]]
    assert_close("small_graph_backward f on hidden draws", outputs["f"], np.array([float(w[0]) for w in want]))
    assert_close("small_graph_backward (dx, dy, dz, dw) on hidden draws", outputs["grads"],
                 np.array([[float(g) for g in w[1]] for w in want]),
                 hints=[(lambda g, e: np.allclose(g[2:], e[2:]), "rows 0 and 1 are ties z == w: the max gate sends "
                                                                 "the gradient to w")])


hidden(HiddenCheck("backprop.small_graph_backward", _small_graph_inputs, _small_graph_run, _small_graph_schema,
                   _small_graph_judge))


# ---- the ReLU layer with squared loss -------------------------------------------------------------------
def _relu_layer_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Five draws, M, D in 1..7, scales 0.1 to 100; draw 0 has a unit with pre-activation exactly 0."""
    draws = []
    for k in range(5):
        M, D = int(rng.integers(1, 8)), int(rng.integers(1, 8))
        s = 10.0 ** rng.uniform(-1, 2)
        W, b = s * rng.normal(size=(M, D)), s * rng.normal(size=M)
        if k == 0:
            W[0], b[0] = 0.0, 0.0
        draws.append({"W": W, "b": b, "x": rng.normal(size=D), "z": s * rng.normal(size=M)})
    return {"draws": draws}


def _relu_layer_schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    out: dict[str, tuple[tuple[int, ...], str]] = {}
    for k, d in enumerate(inputs["draws"]):
        out[f"loss{k}"] = ((), "float")
        for name in ("W", "b", "x"):
            out[f"d{name}{k}"] = (d[name].shape, "float")
    return out


def _grads_of(name: str, value: Any, keys: tuple[str, ...]) -> tuple[Any, dict[str, Any]]:
    loss, grads = unpack_pair(name, value, "(loss, grads)")
    if not isinstance(grads, dict) or set(grads) != set(keys):
        raise AssertionError(f"{name}: the gradients must be a dict with keys {list(keys)}")
    return loss, grads


def _relu_layer_run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for k, d in enumerate(inputs["draws"]):
        loss, grads = _grads_of("relu_layer_squared_loss", call(fn, d["W"], d["b"], d["x"], d["z"]).value,
                                ("W", "b", "x"))
        raw[f"loss{k}"] = loss
        for name in ("W", "b", "x"):
            raw[f"d{name}{k}"] = grads[name]
    return raw


def _relu_layer_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import backprop

    for k, d in enumerate(inputs["draws"]):
        loss, grads = backprop.relu_layer_squared_loss(d["W"], d["b"], d["x"], d["z"])
        label = f"relu_layer_squared_loss on hidden draw {k} (M={d['b'].size}, D={d['x'].size})"
        zero = [(lambda g, e: k == 0, "one unit has pre-activation exactly 0: ReLU'(0) = 0 (use q > 0)")]
        assert_close(f"{label} loss", outputs[f"loss{k}"], np.array(loss), atol=_atol(np.array(loss)))
        for name in ("W", "b", "x"):
            assert_close(f"{label} d{name}", outputs[f"d{name}{k}"], grads[name], atol=_atol(grads[name]),
                         hints=zero + [(lambda g, e: np.allclose(g, e / 2), "grad_h l = 2 (h - z)")])


hidden(HiddenCheck("backprop.relu_layer_squared_loss", _relu_layer_inputs, _relu_layer_run, _relu_layer_schema,
                   _relu_layer_judge))


# ---- the exam graph -------------------------------------------------------------------------------------
def _graph_inputs(rng: np.random.Generator) -> dict[str, Any]:
    n = int(rng.integers(2, 40))
    m = int(rng.choice([v for v in range(1, 40) if v != n]))
    return {"n": n, "m": m}


NAMES = visible.EXAM_NODES + visible.EXAM_INPUTS


def _graph_schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
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


def _graph_run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    n, m = inputs["n"], inputs["m"]
    return encode_graph(visible.graph_fields(f"exam_graph({n}, {m})", call(fn, n, m).value))


def _graph_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import backprop

    n, m = inputs["n"], inputs["m"]
    want = encode_graph(backprop.exam_graph(n, m))
    for i, node in enumerate(visible.EXAM_NODES):
        for field in ("ops", "parents", "shapes"):
            if not np.array_equal(outputs[field][i], want[field][i]):
                key = {"ops": "op", "parents": "parents", "shapes": "shape"}[field]
                raise AssertionError(f"exam_graph({n}, {m}): graph[{node!r}][{key!r}] is not right.\n  Hint: "
                                     + visible.FIELD_HINTS[key].format(node=node, n=n, m=m))


hidden(HiddenCheck("backprop.exam_graph", _graph_inputs, _graph_run, _graph_schema, _graph_judge))


# ---- the exam network -----------------------------------------------------------------------------------
def _three_layer_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Eight draws: n in 1..6, m in 1..5; weight scales 0.3 to 300 (pre-activations up to ~1e5 of both signs);
    alpha_prelu in [-0.5, 3] (above 1 in half of them), alpha_elu in {0, 0.5, 1, 2, U(0, 3)}; draws 0 and 1 have
    a zero row in W1 / W2, making q1 / q3 exactly 0 there."""
    draws = []
    scales = [1.0, 1.0, 0.3, 3.0, 10.0, 50.0, 300.0, float(10 ** rng.uniform(-0.5, 2.5))]
    elu_alphas = [1.0, 2.0, 0.0, 0.5, 1.0, 2.0, float(rng.uniform(0, 3)), float(rng.uniform(0, 3))]
    for k in range(8):
        n, m = int(rng.integers(1, 7)), int(rng.integers(1, 6))
        s = scales[k]
        d = {"x": rng.normal(size=n), "y": rng.normal(size=m) * max(1.0, s), "W1": s * rng.normal(size=(n, n)),
             "W2": s * rng.normal(size=(n, n)), "W3": rng.normal(size=(m, n)) / np.sqrt(n),
             "alpha_prelu": float(rng.uniform(1.1, 3.0) if k % 2 else rng.uniform(-0.5, 1.0)),
             "alpha_elu": elu_alphas[k]}
        if k == 0:
            d["W1"][0] = 0.0
        if k == 1:
            d["W2"][-1] = 0.0
        draws.append(d)
    return {"draws": draws}


def _three_layer_schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    out: dict[str, tuple[tuple[int, ...], str]] = {}
    for k, d in enumerate(inputs["draws"]):
        out[f"L{k}"] = ((), "float")
        for name in ("W1", "W2", "W3"):
            out[f"d{name}_{k}"] = (d[name].shape, "float")
    return out


def _three_layer_run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for k, d in enumerate(inputs["draws"]):
        L, grads = _grads_of("three_layer_prelu_elu", call(fn, *[d[a] for a in EXAM_ARGS]).value, ("W1", "W2", "W3"))
        raw[f"L{k}"] = L
        for name in ("W1", "W2", "W3"):
            raw[f"d{name}_{k}"] = grads[name]
    return raw


def _three_layer_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import backprop

    for k, d in enumerate(inputs["draws"]):
        L, grads = backprop.three_layer_prelu_elu(*[d[a] for a in EXAM_ARGS])
        label = (f"three_layer_prelu_elu on hidden draw {k} (n={d['x'].size}, m={d['y'].size}, "
                 f"|W1| up to {np.abs(d['W1']).max():.3g}, alpha_prelu={d['alpha_prelu']:.3g}, "
                 f"alpha_elu={d['alpha_elu']:.3g})")
        hints = visible.three_layer_hints(d, "the value") + [
            (lambda g, e: k < 2, "a zero row of W1 (draw 0) or W2 (draw 1) makes q1 or q3 exactly 0: there "
                                 "PReLU'(0) = alpha_prelu and ELU'(0) = alpha_elu (the x <= 0 branch)"),
            (lambda g, e: d["alpha_prelu"] > 1, "alpha_prelu > 1 here: PReLU(q) = q if q > 0 else alpha q "
                                                "(max(alpha q, q) is wrong for alpha > 1)")]
        assert_close(f"{label}: L", outputs[f"L{k}"], np.array(L), atol=_atol(np.array(L)), hints=hints)
        for name in ("W3", "W2", "W1"):
            assert_close(f"{label}: d{name}", outputs[f"d{name}_{k}"], grads[name], atol=_atol(grads[name]),
                         hints=hints)


hidden(HiddenCheck("backprop.three_layer_prelu_elu", _three_layer_inputs, _three_layer_run, _three_layer_schema,
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
