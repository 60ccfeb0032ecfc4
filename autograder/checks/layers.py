"""Hidden checks of the activation layers and sigmoid_cross_entropy vs `solutions.layers` (a3_backprop).

Every check is a fair battery (autograder.hidden.battery): the same CASE TYPES for every student, values drawn
per student. Together the case types cover every failure mode the notebook teaches:

- exact zeros (the kink): the derivative at 0 takes the x <= 0 branch (ReLU'(0) = 0, leaky/PReLU'(0) = alpha,
  ELU'(0) = alpha — drawn with alpha away from 1, where the two branches would agree); graded only here;
- |x| from 710 to 1000 of both signs, beyond exp's range (naive softplus, sigmoid, tanh and ELU give inf or nan);
- alpha > 1 for PReLU (max(alpha x, x) is wrong) and ELU (max(alpha (e^x - 1), x) is wrong; also alpha = 1, the
  default, and alpha < 1 with x up to 30, beyond the shorthand's crossing point);
- per-feature PReLU alphas of shape (D,) and (1, D), and a per-feature alpha with a 3-axis x (dalpha sums over
  EVERY leading axis alpha lacks);
- the default alpha (leaky ReLU, ELU called without alpha);
- sigmoid_cross_entropy: moderate logits, confident ones (|s| 40 to 700, where log sigmoid(s) is log 0 and a
  clipped probability caps the loss) and ones beyond exp's range, with every sign/label pair.

Backward checks get a cache built as the docstring says (x, (x, alpha), or the output of the layer on a drawn x),
never the student's forward output, so a wrong forward pass costs only its own points.

Per-layer differences live in one table (LAYERS: cache form, case types); every check is registered under its
literal exercise id at the end of the activation section.

Also here: ``expected_values()``, the builder of course/expected/layers.json (see autograder/expected.py).
"""

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from autograder.hidden import CaseMaker, Schema, battery, hidden
from course.checks import layers as visible
from course.checks.core import assert_close

Case = dict[str, Any]


# ---- drawing values -------------------------------------------------------------------------------------
def _shape(rng: np.random.Generator, axes: int) -> tuple[int, ...]:
    """A random shape with `axes` axes of 2 to 5 entries each."""
    return tuple(int(s) for s in rng.integers(2, 6, size=axes))


def _signed(rng: np.random.Generator, shape: tuple[int, ...], lo: float = -3.0, hi: float = 1.0) -> np.ndarray:
    """Magnitudes 10^U(lo, hi) with random signs, at least one entry of each sign."""
    size = int(np.prod(shape))
    signs = rng.choice([-1.0, 1.0], size=size)
    signs[:2] = [1.0, -1.0]
    x = rng.permutation(signs) * 10.0 ** rng.uniform(lo, hi, size=size)
    return x.reshape(shape)


def _put(rng: np.random.Generator, x: np.ndarray, values: list[float]) -> np.ndarray:
    """x with `values` written at distinct random positions."""
    x = x.copy()
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, size=len(values), replace=False)] = values
    return x


def x_moderate(rng: np.random.Generator) -> np.ndarray:
    """1 or 2 axes, |x| from 1e-3 to 10, both signs."""
    return _signed(rng, _shape(rng, int(rng.integers(1, 3))))


def x_three_axes(rng: np.random.Generator) -> np.ndarray:
    """3 axes, |x| from 1e-3 to 10, both signs."""
    return _signed(rng, _shape(rng, 3))


def x_zeros(rng: np.random.Generator) -> np.ndarray:
    """2 axes with about a third of the entries EXACTLY 0 (at least two), the others of both signs."""
    x = _signed(rng, _shape(rng, 2))
    return _put(rng, x, [0.0] * max(2, x.size // 3))


def x_huge(rng: np.random.Generator) -> np.ndarray:
    """2 axes (at least 6 entries): 1000, -1000, one entry in [710, 1000), one in (-1000, -710], the others moderate."""
    shape = (int(rng.integers(2, 5)), int(rng.integers(3, 6)))
    big = [1000.0, -1000.0, float(rng.uniform(710.0, 1000.0)), -float(rng.uniform(710.0, 1000.0))]
    return _put(rng, _signed(rng, shape), big)


def x_up_to_30(rng: np.random.Generator) -> np.ndarray:
    """x_moderate with one entry in [10, 30] (beyond where max(alpha (e^x - 1), x) meets x for alpha < 1)."""
    x = _signed(rng, (int(rng.integers(1, 4)), int(rng.integers(3, 6))))
    return _put(rng, x, [float(rng.uniform(10.0, 30.0))])


def _away_from_one(rng: np.random.Generator) -> float:
    """An alpha in [0, 0.8] or [1.2, 3]: the two sides of the kink at 0 differ."""
    return float(rng.uniform(0.0, 0.8) if rng.random() < 0.5 else rng.uniform(1.2, 3.0))


def _case(x_maker: Callable[[np.random.Generator], np.ndarray],
          alpha: Callable[[np.random.Generator, np.ndarray], Any] | None = None) -> CaseMaker:
    """A case maker: {"x", "alpha", "default"}; alpha None for layers without one."""

    def make(rng: np.random.Generator) -> Case:
        x = x_maker(rng)
        return {"x": x, "alpha": None if alpha is None else alpha(rng, x), "default": False}

    return make


def _default_alpha(name: str, x_maker: Callable[[np.random.Generator], np.ndarray]) -> CaseMaker:
    """A case maker whose forward call omits alpha (alpha holds the signature's default, for the cache)."""

    def make(rng: np.random.Generator) -> Case:
        return {"x": x_maker(rng), "alpha": visible.DEFAULT_ALPHA[name], "default": True}

    return make


def _leaky_alpha(rng: np.random.Generator, x: np.ndarray) -> float:
    return float(rng.uniform(0.001, 0.5))


def _per_feature(rng: np.random.Generator, x: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """One alpha per feature (last axis), from -0.5 to 2.5, one of them in [1.2, 2.5]."""
    D = x.shape[-1]
    alpha = _put(rng, rng.uniform(-0.5, 2.5, size=D), [float(rng.uniform(1.2, 2.5))])
    return alpha.reshape((1,) * (x.ndim - 1) + (D,)) if keepdims else alpha


def _plain_with_kink() -> dict[str, CaseMaker]:
    """The case types of ReLU (no alpha, a kink at 0)."""
    return {"|x| from 1e-3 to 10, both signs": _case(x_moderate),
            "x with 3 axes": _case(x_three_axes),
            "exact zeros (the kink at 0)": _case(x_zeros),
            "|x| from 710 to 1000, both signs (beyond exp's range)": _case(x_huge)}


@dataclass(frozen=True)
class Layer:
    """What differs between the activation layers: the cache form and the battery of case types."""

    cache: str  # "x", "(x, alpha)" or "out" (as the docstring fixes it)
    cases: dict[str, CaseMaker]
    kink: bool  # a kink at 0 whose derivative takes the x <= 0 branch
    output: Callable[[np.ndarray], np.ndarray] | None = None  # builds the cache "out" of a backward case


LAYERS: dict[str, Layer] = {
    "relu": Layer("x", _plain_with_kink(), kink=True),
    "leaky_relu": Layer("(x, alpha)", {
        "default alpha (called without alpha)": _default_alpha("leaky_relu", x_moderate),
        "alpha from 0.001 to 0.5, both signs": _case(x_moderate, _leaky_alpha),
        "x with 3 axes": _case(x_three_axes, _leaky_alpha),
        "exact zeros (the kink at 0)": _case(x_zeros, _leaky_alpha),
        "|x| from 710 to 1000, both signs": _case(x_huge, _leaky_alpha)}, kink=True),
    "prelu": Layer("(x, alpha)", {
        "scalar alpha < 1": _case(x_moderate, lambda rng, x: float(rng.uniform(0.0, 0.9))),
        "scalar alpha > 1 (max(alpha x, x) is wrong)": _case(x_moderate, lambda rng, x: float(rng.uniform(1.1, 3.0))),
        "one alpha per feature, shape (D,)": _case(lambda rng: _signed(rng, _shape(rng, 2)), _per_feature),
        "one alpha per feature, shape (1, D)": _case(lambda rng: _signed(rng, _shape(rng, 2)),
                                                     lambda rng, x: _per_feature(rng, x, keepdims=True)),
        "one alpha per feature, x with 3 axes": _case(x_three_axes, _per_feature),
        "exact zeros (the kink at 0), alpha away from 1": _case(x_zeros, lambda rng, x: _away_from_one(rng)),
        "|x| from 710 to 1000, both signs": _case(x_huge, lambda rng, x: _away_from_one(rng))}, kink=True),
    "softplus": Layer("x", {
        "|x| from 1e-3 to 10, both signs": _case(x_moderate),
        "x with 3 axes": _case(x_three_axes),
        "|x| from 710 to 1000, both signs (beyond exp's range)": _case(x_huge)}, kink=False),
    "elu": Layer("(x, alpha)", {
        "alpha = 1, the default (called without alpha)": _default_alpha("elu", x_moderate),
        "alpha > 1 (from 1.2 to 3)": _case(x_moderate, lambda rng, x: float(rng.uniform(1.2, 3.0))),
        "alpha < 1, x up to 30": _case(x_up_to_30, lambda rng, x: float(rng.uniform(0.1, 0.8))),
        "x with 3 axes": _case(x_three_axes, lambda rng, x: float(rng.uniform(0.0, 3.0))),
        "exact zeros (the kink at 0), alpha away from 1": _case(x_zeros, lambda rng, x: _away_from_one(rng)),
        "|x| from 710 to 1000, both signs (beyond exp's range)": _case(x_huge, lambda rng, x: _away_from_one(rng))},
        kink=True),
    "sigmoid": Layer("out", {
        "|x| from 1e-3 to 10, both signs": _case(x_moderate),
        "x with 3 axes": _case(x_three_axes),
        "|x| from 710 to 1000, both signs (beyond exp's range)": _case(x_huge)}, kink=False,
        output=lambda x: 0.5 * (1.0 + np.tanh(0.5 * x))),  # = sigmoid(x), exactly 0 or 1 for |x| >= 710
    "tanh": Layer("out", {
        "|x| from 1e-3 to 10, both signs": _case(x_moderate),
        "x with 3 axes": _case(x_three_axes),
        "|x| from 710 to 1000, both signs (beyond exp's range)": _case(x_huge)}, kink=False, output=np.tanh),
}
assert set(LAYERS) == set(visible.ACTIVATIONS) and all(LAYERS[n].cache == visible.CACHE_OF[n] for n in LAYERS)


def _args(case: Case) -> tuple:
    """The forward call's arguments: (x,) without alpha or for the default one, else (x, alpha)."""
    return (case["x"],) if case["alpha"] is None or case["default"] else (case["x"], case["alpha"])


def _label(fname: str, x: np.ndarray, alpha: Any = None) -> str:
    shown = "" if alpha is None else f", alpha {np.round(alpha, 3).tolist()}"
    return f"{fname} on a hidden input (shape {x.shape}{shown})"


# ---- forward: out and the documented cache ---------------------------------------------------------------
def forward_parts(name: str) -> tuple[Callable[..., Any], Callable[[Case], Schema], Callable[..., None]]:
    """(run, schema, judge) of `name`'s forward check, for ONE case {"x", "alpha"}."""
    cache_form, fname = LAYERS[name].cache, f"{name}_forward"

    def run(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
        x = case["x"]
        out, cache = visible.unpack_pair(fname, visible.call(fn, *_args(case)).value)
        raw = {"out": visible.check_shape(f"{fname} out", out, x.shape, hint=visible.np_max_hint(name, x))}
        if cache_form == "(x, alpha)":
            if not isinstance(cache, tuple) or len(cache) != 2:
                raise AssertionError(f"{fname}: the cache must be the tuple (x, alpha), as the docstring says")
            raw["cache_x"], raw["cache_alpha"] = cache
        else:
            raw["cache"] = cache
        return raw

    def schema(case: Case) -> Schema:
        shape = case["x"].shape
        if cache_form == "(x, alpha)":
            return {"out": (shape, "float"), "cache_x": (shape, "float"),
                    "cache_alpha": (np.shape(case["alpha"]), "float")}
        return {"out": (shape, "float"), "cache": (shape, "float")}

    def judge(case: Case, outputs: dict[str, np.ndarray]) -> None:
        from solutions import layers

        out, cache = getattr(layers, fname)(*_args(case))
        label = _label(fname, case["x"], case["alpha"])
        assert_close(f"{label} out", outputs["out"], out, rtol=1e-6, atol=1e-8,
                     hints=visible.forward_hints(name, _args(case)))
        where = f"the cache must be {cache_form}, as the docstring says"
        if cache_form == "(x, alpha)":
            assert_close(f"{label} cache[0]", outputs["cache_x"], cache[0], rtol=0, atol=0,
                         hints=[(lambda g, e: True, where)])
            assert_close(f"{label} cache[1]", outputs["cache_alpha"], np.asarray(cache[1]), rtol=0, atol=0,
                         hints=[(lambda g, e: True, f"{where} (alpha as given, or the default)")])
        else:
            assert_close(f"{label} cache", outputs["cache"], cache, rtol=1e-6, atol=1e-8,
                         hints=[(lambda g, e: True, where)])

    return run, schema, judge


# ---- backward: a cache built as the docstring says -------------------------------------------------------
def _dout(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """An upstream gradient with every |entry| in [0.05, 20] (never near 0, never all 1)."""
    scale = 10.0 ** rng.uniform(-1.0, 1.0)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape) * scale


def backward_cases(name: str) -> dict[str, CaseMaker]:
    """`name`'s forward case types turned into {"dout", "cache"}: the cache as the docstring fixes it."""
    layer = LAYERS[name]

    def wrap(make_forward: CaseMaker) -> CaseMaker:
        def make(rng: np.random.Generator) -> Case:
            case = make_forward(rng)
            x = case["x"]
            if layer.cache == "(x, alpha)":
                cache: Any = (x, case["alpha"])
            elif layer.output is not None:  # the cache is the layer's output on x
                cache = layer.output(x)
            else:
                cache = x
            return {"dout": _dout(rng, x.shape), "cache": cache}

        return make

    return {case_type: wrap(make) for case_type, make in layer.cases.items()}


def _x_of(cache: Any) -> np.ndarray:
    return cache[0] if isinstance(cache, tuple) else cache


def _kink_hint(name: str, cache: Any) -> list:
    """Where x has exact zeros: a hint that fires when dx is wrong there only."""
    if not LAYERS[name].kink:
        return []
    x = _x_of(cache)
    zero = x == 0
    if not zero.any():
        return []
    return [(lambda g, e: np.allclose(g[~zero], e[~zero]),
             "dx is wrong only where x == 0 exactly: the derivative at 0 takes the x <= 0 branch (ReLU'(0) = 0, "
             "leaky/PReLU'(0) = alpha, ELU'(0) = alpha) — write the condition as x > 0")]


def backward_parts(name: str) -> tuple[Callable[..., Any], Callable[[Case], Schema], Callable[..., None]]:
    """(run, schema, judge) of `name`'s backward check (dx alone), for ONE case {"dout", "cache"}."""
    fname = f"{name}_backward"

    def run(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
        # (in notebook order softplus comes before sigmoid: a softplus_backward must compute its sigmoid itself)
        return {"dx": visible.call(fn, case["dout"], visible.copy_cache(case["cache"])).value}

    def schema(case: Case) -> Schema:
        return {"dx": (case["dout"].shape, "float")}

    def judge(case: Case, outputs: dict[str, np.ndarray]) -> None:
        from solutions import layers

        dout, cache = case["dout"], case["cache"]
        want = getattr(layers, fname)(dout, cache)
        alpha = cache[1] if isinstance(cache, tuple) else None
        assert_close(f"{_label(fname, dout, alpha)} dx", outputs["dx"], want, rtol=1e-6, atol=1e-8,
                     hints=_kink_hint(name, cache) + visible.backward_hints(name, dout, cache))

    return run, schema, judge


def prelu_backward_parts() -> tuple[Callable[..., Any], Callable[[Case], Schema], Callable[..., None]]:
    """(run, schema, judge) of prelu_backward, which returns (dx, dalpha), dalpha of alpha's shape."""

    def run(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
        value = visible.call(fn, case["dout"], visible.copy_cache(case["cache"])).value
        dx, dalpha = visible.unpack_pair("prelu_backward", value, "(dx, dalpha)")
        dalpha = visible.check_shape("prelu_backward dalpha", dalpha, np.shape(case["cache"][1]),
                                     hint=visible.PRELU_DALPHA_SHAPE_HINT)
        return {"dx": dx, "dalpha": dalpha}

    def schema(case: Case) -> Schema:
        return {"dx": (case["dout"].shape, "float"), "dalpha": (np.shape(case["cache"][1]), "float")}

    def judge(case: Case, outputs: dict[str, np.ndarray]) -> None:
        from solutions import layers

        dout, cache = case["dout"], case["cache"]
        dx, dalpha = layers.prelu_backward(dout, cache)
        label = _label("prelu_backward", dout, cache[1])
        assert_close(f"{label} dx", outputs["dx"], dx, rtol=1e-6, atol=1e-8,
                     hints=_kink_hint("prelu", cache) + visible.backward_hints("prelu", dout, cache))
        scale = float(np.abs(dout * cache[0]).sum())
        assert_close(f"{label} dalpha", outputs["dalpha"], np.asarray(dalpha), rtol=1e-6,
                     atol=1e-8 + 1e-12 * scale,  # a sum of many terms: rounding grows with their size
                     hints=visible.prelu_dalpha_hints(dout, cache[0]))

    return run, schema, judge


hidden(battery("layers.relu_forward", LAYERS["relu"].cases, *forward_parts("relu")))
hidden(battery("layers.relu_backward", backward_cases("relu"), *backward_parts("relu")))
hidden(battery("layers.leaky_relu_forward", LAYERS["leaky_relu"].cases, *forward_parts("leaky_relu")))
hidden(battery("layers.leaky_relu_backward", backward_cases("leaky_relu"), *backward_parts("leaky_relu")))
hidden(battery("layers.prelu_forward", LAYERS["prelu"].cases, *forward_parts("prelu")))
hidden(battery("layers.prelu_backward", backward_cases("prelu"), *prelu_backward_parts()))
hidden(battery("layers.softplus_forward", LAYERS["softplus"].cases, *forward_parts("softplus")))
hidden(battery("layers.softplus_backward", backward_cases("softplus"), *backward_parts("softplus")))
hidden(battery("layers.elu_forward", LAYERS["elu"].cases, *forward_parts("elu")))
hidden(battery("layers.elu_backward", backward_cases("elu"), *backward_parts("elu")))
hidden(battery("layers.sigmoid_forward", LAYERS["sigmoid"].cases, *forward_parts("sigmoid")))
hidden(battery("layers.sigmoid_backward", backward_cases("sigmoid"), *backward_parts("sigmoid")))
hidden(battery("layers.tanh_forward", LAYERS["tanh"].cases, *forward_parts("tanh")))
hidden(battery("layers.tanh_backward", backward_cases("tanh"), *backward_parts("tanh")))


# ---- sigmoid_cross_entropy ------------------------------------------------------------------------------
def _sce_every_pair(rng: np.random.Generator, lo: float, hi: float) -> Case:
    """Logits with |s| in [lo, hi] for every (sign, label) pair, plus 0 to 4 moderate ones, shuffled."""
    extra = int(rng.integers(0, 5))
    logits = np.concatenate([rng.uniform(lo, hi, size=4) * np.array([1.0, 1.0, -1.0, -1.0]),
                             rng.normal(scale=2.0, size=extra)])
    y = np.concatenate([[0, 1, 0, 1], rng.integers(0, 2, size=extra)])
    order = rng.permutation(logits.size)
    return {"logits": logits[order], "y": y[order].astype(np.int64)}


def _sce_moderate(rng: np.random.Generator) -> Case:
    """N from 2 to 20, logits ~ N(0, 2^2) with about 15% exact zeros, both labels."""
    N = int(rng.integers(2, 21))
    logits = rng.normal(scale=2.0, size=N)
    logits[rng.random(N) < 0.15] = 0.0
    y = _put(rng, rng.integers(0, 2, size=N).astype(float), [0.0, 1.0]).astype(np.int64)
    return {"logits": logits, "y": y}


SCE_CASES: dict[str, CaseMaker] = {
    "moderate logits, N from 2 to 20": _sce_moderate,
    "confident logits, |s| from 40 to 700, every sign and label": lambda rng: _sce_every_pair(rng, 40.0, 700.0),
    "logits beyond exp's range, |s| from 710 to 1000, every sign and label":
        lambda rng: _sce_every_pair(rng, 710.0, 1000.0),
}


def _sce_schema(case: Case) -> Schema:
    return {"loss": ((), "float"), "dlogits": (case["logits"].shape, "float")}


def _sce_run(case: Case, fn: Callable[..., Any]) -> dict[str, Any]:
    value = visible.call(fn, case["logits"], case["y"]).value
    loss, dlogits = visible.unpack_pair("sigmoid_cross_entropy", value, "(loss, dlogits)")
    return {"loss": loss, "dlogits": dlogits}


def _sce_judge(case: Case, outputs: dict[str, np.ndarray]) -> None:
    from solutions import layers

    logits, y = case["logits"], case["y"]
    loss, dlogits = layers.sigmoid_cross_entropy(logits, y)
    label = f"sigmoid_cross_entropy on a hidden input (N={y.size}, |logits| up to {np.abs(logits).max():.3g})"
    assert_close(f"{label} loss", outputs["loss"], np.array(loss), rtol=1e-6, atol=1e-8,
                 hints=visible.sigmoid_ce_hints(logits, y, "loss"))
    assert_close(f"{label} dlogits", outputs["dlogits"], dlogits, rtol=1e-6, atol=1e-8,
                 hints=visible.sigmoid_ce_hints(logits, y, "dlogits"))


hidden(battery("layers.sigmoid_cross_entropy", SCE_CASES, _sce_run, _sce_schema, _sce_judge))


# ---- the fixed expected values of the visible checks ----------------------------------------------------
def expected_values() -> dict[str, Any]:
    """The contents of course/expected/layers.json, from `solutions.layers` on the visible checks' inputs."""
    from solutions import layers

    def tolist(v: Any) -> Any:
        return np.asarray(v, dtype=float).tolist()

    def backward_entry(got: Any) -> Any:  # PReLU's backward returns (dx, dalpha), the others dx
        return {"dx": tolist(got[0]), "dalpha": tolist(got[1])} if isinstance(got, tuple) else tolist(got)

    result: dict[str, Any] = {}
    for name in visible.ACTIVATIONS:
        fwd, bwd = getattr(layers, f"{name}_forward"), getattr(layers, f"{name}_backward")
        result[f"{name}_forward"] = {c["label"]: tolist(fwd(*c["args"])[0]) for c in visible.forward_cases(name)}
        result[f"{name}_backward"] = {c["label"]: backward_entry(bwd(c["dout"], c["cache"]))
                                      for c in visible.backward_cases(name)}
    inputs = visible.sigmoid_ce_inputs()
    loss, dlogits = layers.sigmoid_cross_entropy(inputs["logits"], inputs["y"])
    result["sigmoid_cross_entropy"] = {"loss": loss, "dlogits": tolist(dlogits)}
    return result
