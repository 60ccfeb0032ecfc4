"""Hidden checks of the activation layers and sigmoid_cross_entropy vs `solutions.layers` (a3_backprop).

Inputs are drawn at grading time: random shapes (1 to 3 axes), magnitudes from 1e-3 to 1e3 of both signs,
EXACT ZEROS (the derivative at 0 takes the x <= 0 branch — graded only here), alphas above 1 for PReLU and
ELU (where the notes' max shorthands are wrong), per-feature PReLU alphas. Backward checks get a cache built
as the docstring says, never the student's forward output.

Also here: ``expected_values()``, the builder of course/expected/layers.json (see autograder/expected.py).
"""

from typing import Any, Callable

import numpy as np

from autograder.hidden import HiddenCheck, hidden
from course.checks import layers as visible
from course.checks.core import assert_close

NAMES = ("relu", "leaky_relu", "prelu", "softplus", "elu", "sigmoid", "tanh")
NUM_CASES = 4


def _x(rng: np.random.Generator) -> np.ndarray:
    """A random-shape array with magnitudes from 1e-3 to 1e3 of both signs, exact zeros and +-1000."""
    ndim = int(rng.integers(1, 4))
    shape = tuple(int(s) for s in rng.integers(1, 6, size=ndim))
    shape = shape[:-1] + (max(shape[-1], 3),)
    x = rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-3, 3, size=shape)
    flat = x.reshape(-1)
    picks = rng.choice(flat.size, size=min(3, flat.size), replace=False)
    flat[picks[:1]] = 0.0
    flat[picks[1:2]] = 1000.0
    flat[picks[2:3]] = -1000.0
    return x


def _alpha(rng: np.random.Generator, name: str, x: np.ndarray, case: int) -> Any:
    """alpha for `name`: ELU in {0, 0.5, 1, 2, U(0, 3)}; leaky a scalar; PReLU scalar/per-feature, some > 1."""
    if name == "elu":
        return float([rng.choice([0.0, 0.5]), 1.0, 2.0, rng.uniform(0, 3)][case % 4])
    if name == "leaky_relu":
        return float(rng.uniform(0.001, 0.5))
    if name == "prelu":
        kind = case % 3
        if kind == 0:
            return float(rng.uniform(1.1, 3.0))  # > 1: max(alpha x, x) is wrong everywhere
        if kind == 1:
            return rng.uniform(-0.5, 2.5, size=x.shape[-1:])
        return rng.uniform(0.0, 2.5, size=(1,) * (x.ndim - 1) + x.shape[-1:])
    return None


def _forward_inputs(name: str) -> Callable[[np.random.Generator], dict[str, Any]]:
    def make(rng: np.random.Generator) -> dict[str, Any]:
        cases = []
        for k in range(NUM_CASES):
            x = _x(rng)
            cases.append({"x": x, "alpha": _alpha(rng, name, x, k)})
        return {"cases": cases}

    return make


def _args(name: str, case: dict[str, Any]) -> tuple:
    return (case["x"],) if case["alpha"] is None else (case["x"], case["alpha"])


def _forward_schema(name: str) -> Callable[[dict[str, Any]], dict[str, tuple[tuple[int, ...], str]]]:
    def schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
        out = {}
        for k, case in enumerate(inputs["cases"]):
            out[f"out{k}"] = (case["x"].shape, "float")
            if visible.CACHE_OF[name] == "(x, alpha)":
                out[f"cache{k}_x"] = (case["x"].shape, "float")
                out[f"cache{k}_alpha"] = (np.shape(case["alpha"]), "float")
            else:
                out[f"cache{k}"] = (case["x"].shape, "float")
        return out

    return schema


def _forward_run(name: str) -> Callable[..., dict[str, Any]]:
    def run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for k, case in enumerate(inputs["cases"]):
            out, cache = visible.unpack_pair(f"{name}_forward", visible.call(fn, *_args(name, case)).value)
            raw[f"out{k}"] = out
            if visible.CACHE_OF[name] == "(x, alpha)":
                if not isinstance(cache, tuple) or len(cache) != 2:
                    raise AssertionError(f"{name}_forward: the cache must be the tuple (x, alpha)")
                raw[f"cache{k}_x"], raw[f"cache{k}_alpha"] = cache
            else:
                raw[f"cache{k}"] = cache
        return raw

    run.__name__ = f"run_{name}_forward"
    return run


def _forward_judge(name: str) -> Callable[[dict[str, Any], dict[str, np.ndarray]], None]:
    def judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
        from solutions import layers

        fwd = getattr(layers, f"{name}_forward")
        for k, case in enumerate(inputs["cases"]):
            out, cache = fwd(*_args(name, case))
            label = f"{name}_forward on hidden input {k} (shape {case['x'].shape}" + (
                f", alpha {np.round(case['alpha'], 3).tolist()})" if case["alpha"] is not None else ")")
            assert_close(f"{label} out", outputs[f"out{k}"], out, rtol=1e-6, atol=1e-8,
                         hints=visible.forward_hints(name, _args(name, case)))
            if visible.CACHE_OF[name] == "(x, alpha)":
                assert_close(f"{label} cache[0]", outputs[f"cache{k}_x"], cache[0], rtol=0, atol=0)
                assert_close(f"{label} cache[1]", outputs[f"cache{k}_alpha"], np.asarray(cache[1]), rtol=0, atol=0)
            else:
                assert_close(f"{label} cache ({visible.CACHE_OF[name]})", outputs[f"cache{k}"], cache, rtol=1e-6,
                             atol=1e-8)

    return judge


def _backward_inputs(name: str) -> Callable[[np.random.Generator], dict[str, Any]]:
    def make(rng: np.random.Generator) -> dict[str, Any]:
        cases = []
        for k in range(NUM_CASES):
            x = _x(rng)
            dout = rng.normal(size=x.shape) * 10.0 ** rng.uniform(-2, 2)
            if name == "sigmoid":  # any output of sigmoid: (0, 1), saturated ends included
                cache: Any = rng.uniform(0, 1, size=x.shape)
                cache.reshape(-1)[:2] = [0.0, 1.0][: cache.size]
            elif name == "tanh":
                cache = rng.uniform(-1, 1, size=x.shape)
                cache.reshape(-1)[:2] = [-1.0, 1.0][: cache.size]
            elif name in ("relu", "softplus"):
                cache = x
            else:
                cache = (x, _alpha(rng, name, x, k))
            cases.append({"dout": dout, "cache": cache})
        return {"cases": cases}

    return make


def _backward_schema(name: str) -> Callable[[dict[str, Any]], dict[str, tuple[tuple[int, ...], str]]]:
    def schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
        out = {}
        for k, case in enumerate(inputs["cases"]):
            out[f"dx{k}"] = (case["dout"].shape, "float")
            if name == "prelu":
                out[f"dalpha{k}"] = (np.shape(case["cache"][1]), "float")
        return out

    return schema


def _backward_run(name: str) -> Callable[..., dict[str, Any]]:
    def run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
        # (a softplus_backward that calls the student's sigmoid_forward uses it as is: the grading kernel holds
        # no reference code to stand in for it; the visible check isolates the two)
        raw: dict[str, Any] = {}
        for k, case in enumerate(inputs["cases"]):
            value = visible.call(fn, case["dout"], visible.copy_cache(case["cache"])).value
            if name == "prelu":
                raw[f"dx{k}"], raw[f"dalpha{k}"] = visible.unpack_pair("prelu_backward", value, "(dx, dalpha)")
            else:
                raw[f"dx{k}"] = value
        return raw

    run.__name__ = f"run_{name}_backward"
    return run


def _backward_judge(name: str) -> Callable[[dict[str, Any], dict[str, np.ndarray]], None]:
    def judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
        from solutions import layers

        bwd = getattr(layers, f"{name}_backward")
        for k, case in enumerate(inputs["cases"]):
            want = bwd(case["dout"], case["cache"])
            label = f"{name}_backward on hidden input {k} (shape {case['dout'].shape})"
            zeros = "" if name in ("sigmoid", "tanh") else (
                " (x contains exact zeros: the derivative at 0 takes the x <= 0 branch — ReLU'(0) = 0, leaky/PReLU/"
                "ELU'(0) = alpha)")
            hints = visible.backward_hints(name, case["dout"], case["cache"]) + [
                (lambda g, e: True, f"compare the entries where x == 0 or |x| is large{zeros}")]
            if name == "prelu":
                assert_close(f"{label} dx", outputs[f"dx{k}"], want[0], rtol=1e-6, atol=1e-8, hints=hints)
                scale = float(np.abs(case["dout"] * case["cache"][0]).sum())
                assert_close(f"{label} dalpha", outputs[f"dalpha{k}"], np.asarray(want[1]), rtol=1e-6,
                             atol=1e-8 + 1e-12 * scale,  # a sum of many terms: rounding grows with their size
                             hints=[(lambda g, e: True, "dalpha sums dout * x over the entries with x <= 0 that "
                                                        "share each alpha (a scalar alpha: all of them)")])
            else:
                assert_close(f"{label} dx", outputs[f"dx{k}"], want, rtol=1e-6, atol=1e-8, hints=hints)

    return judge


for _name in NAMES:
    hidden(HiddenCheck(f"layers.{_name}_forward", _forward_inputs(_name), _forward_run(_name),
                       _forward_schema(_name), _forward_judge(_name)))
    hidden(HiddenCheck(f"layers.{_name}_backward", _backward_inputs(_name), _backward_run(_name),
                       _backward_schema(_name), _backward_judge(_name)))


# ---- sigmoid_cross_entropy ------------------------------------------------------------------------------
def _sce_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Several (logits, y) with N in 1..20 and logit scales 1, 30, 1e3 (exact zeros included)."""
    cases = []
    for scale in (1.0, 30.0, 1e3, float(10 ** rng.uniform(0, 3))):
        N = int(rng.integers(1, 21))
        logits = scale * rng.normal(size=N)
        logits[rng.random(N) < 0.15] = 0.0
        cases.append({"logits": logits, "y": rng.integers(0, 2, size=N)})
    return {"cases": cases}


def _sce_schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    out: dict[str, tuple[tuple[int, ...], str]] = {}
    for k, case in enumerate(inputs["cases"]):
        out[f"loss{k}"] = ((), "float")
        out[f"dlogits{k}"] = (case["logits"].shape, "float")
    return out


def _sce_run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for k, case in enumerate(inputs["cases"]):
        value = visible.call(fn, case["logits"], case["y"]).value
        raw[f"loss{k}"], raw[f"dlogits{k}"] = visible.unpack_pair("sigmoid_cross_entropy", value, "(loss, dlogits)")
    return raw


def _sce_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import layers

    for k, case in enumerate(inputs["cases"]):
        loss, dlogits = layers.sigmoid_cross_entropy(case["logits"], case["y"])
        label = f"sigmoid_cross_entropy on hidden input {k} (N={case['y'].size}, |logits| up to " \
                f"{np.abs(case['logits']).max():.3g})"
        assert_close(f"{label} loss", outputs[f"loss{k}"], np.array(loss), rtol=1e-6, atol=1e-8,
                     hints=visible.sigmoid_ce_hints(case["logits"], case["y"], "loss"))
        assert_close(f"{label} dlogits", outputs[f"dlogits{k}"], dlogits, rtol=1e-6, atol=1e-8,
                     hints=visible.sigmoid_ce_hints(case["logits"], case["y"], "dlogits"))


hidden(HiddenCheck("layers.sigmoid_cross_entropy", _sce_inputs, _sce_run, _sce_schema, _sce_judge))


# ---- the fixed expected values of the visible checks ----------------------------------------------------
def expected_values() -> dict[str, Any]:
    """The contents of course/expected/layers.json, from `solutions.layers` on the visible checks' inputs."""
    from solutions import layers

    def tolist(v: Any) -> Any:
        return np.asarray(v, dtype=float).tolist()

    result: dict[str, Any] = {}
    for name in NAMES:
        fwd, bwd = getattr(layers, f"{name}_forward"), getattr(layers, f"{name}_backward")
        result[f"{name}_forward"] = {c["label"]: tolist(fwd(*c["args"])[0]) for c in visible.forward_cases(name)}
        back = {}
        for c in visible.backward_cases(name):
            got = bwd(c["dout"], c["cache"])
            back[c["label"]] = {"dx": tolist(got[0]), "dalpha": tolist(got[1])} if name == "prelu" else tolist(got)
        result[f"{name}_backward"] = back
    inputs = visible.sigmoid_ce_inputs()
    loss, dlogits = layers.sigmoid_cross_entropy(inputs["logits"], inputs["y"])
    result["sigmoid_cross_entropy"] = {"loss": loss, "dlogits": tolist(dlogits)}
    return result
