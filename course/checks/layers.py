"""Visible checks of the activation layers and sigmoid_cross_entropy (exercise ids ``layers.*``), a3_backprop.

Forward checks compare ``out`` with fixed expected values (course/expected/layers.json) and check that the
cache is what the docstring fixes (x; (x, alpha); or out). Backward checks feed a cache built here as the
docstring says — never the student's forward output — so a wrong forward pass costs only its own points.
Fixed inputs keep away from the kinks (|x| >= 1e-3); the derivative at exactly 0 is graded only by the hidden
checks. Big inputs (|x| up to 1000) test that nothing overflows; PReLU also gets alpha > 1, one alpha per
feature, an alpha of shape (1, D) and a 3-axis x (dalpha sums over every leading axis).

Per-layer differences live in tables (CACHE_OF, DEFAULT_ALPHA, the case tables, FORWARD_HINTS); every check
is registered under its literal exercise id at the end of the file.
"""

from typing import Any, Callable

import numpy as np

from course.checks import visible
from course.checks.core import (Call, as_array, assert_close, call, call_student, check_shape, copy_cache,  # noqa: F401
                                 load_expected, note_overflow, unpack_pair)

ACTIVATIONS = ("relu", "leaky_relu", "prelu", "softplus", "elu", "sigmoid", "tanh")
CACHE_OF = {"relu": "x", "softplus": "x", "leaky_relu": "(x, alpha)", "prelu": "(x, alpha)", "elu": "(x, alpha)",
            "sigmoid": "out", "tanh": "out"}
DEFAULT_ALPHA = {"leaky_relu": 0.01, "elu": 1.0}  # the signatures' defaults (PReLU's alpha has none)
PIECEWISE_LINEAR = {"relu", "leaky_relu", "prelu", "elu"}  # where np.max(x, 0) is the classic slip


# ---- fixed inputs (the expected outputs live in course/expected/layers.json) -----------------------------
def _x() -> np.ndarray:
    """(3, 5) values in about [-4, 4], every |x| >= 1e-3 (away from the kink at 0)."""
    rng = np.random.default_rng(3141)
    x = 2.0 * rng.normal(size=(3, 5))
    return np.where(np.abs(x) < 1e-3, 0.5, x)


def _x3() -> np.ndarray:
    """(2, 3, 5) values in about [-4, 4], every |x| >= 1e-3: a 3-axis input for per-feature PReLU."""
    rng = np.random.default_rng(1618)
    x = 2.0 * rng.normal(size=(2, 3, 5))
    return np.where(np.abs(x) < 1e-3, 0.5, x)


def _big() -> np.ndarray:
    """Values where a naive exp overflows (e^710 = inf) or log(1 + e^x) loses everything."""
    return np.array([-1000.0, -745.0, -50.0, -0.5, 0.5, 30.0, 50.0, 710.0, 1000.0])


PER_FEATURE = (0.1, 1.5, 0.0, 0.7, 2.0)  # one PReLU alpha per feature (D = 5), two of them > 1


def _forward_table(x: np.ndarray, x3: np.ndarray, big: np.ndarray) -> dict[str, list[tuple[str, tuple]]]:
    per_feature = np.array(PER_FEATURE)
    return {
        "relu": [("x", (x,)), ("big", (big,))],
        "leaky_relu": [("x, default alpha", (x,)), ("x, alpha=0.2", (x, 0.2))],
        "prelu": [("x, alpha=0.25", (x, 0.25)), ("x, alpha=1.5 (> 1)", (x, 1.5)),
                  ("x, one alpha per feature", (x, per_feature)),
                  ("x of shape (2, 3, 5), one alpha per feature", (x3, per_feature)), ("big", (big, 0.1))],
        "softplus": [("x", (x,)), ("big", (big,))],
        "elu": [("x, default alpha", (x,)), ("x, alpha=0.5", (x, 0.5)), ("x, alpha=2.0", (x, 2.0)),
                ("big, alpha=1.0", (big, 1.0)), ("big, alpha=0.5", (big, 0.5))],
        "sigmoid": [("x", (x,)), ("big", (big,))],
        "tanh": [("x", (x,)), ("big", (big,))],
    }


def forward_cases(name: str) -> list[dict[str, Any]]:
    """[{"label", "args"}] for the forward check of activation `name` (args: (x,) or (x, alpha))."""
    return [{"label": label, "args": args} for label, args in _forward_table(_x(), _x3(), _big())[name]]


def _backward_table(rng: np.random.Generator) -> dict[str, list[tuple[str, np.ndarray, Any]]]:
    x, x3, big = _x(), _x3(), _big()
    dout, dout_big = rng.normal(size=x.shape), rng.normal(size=big.shape)
    out_sigmoid = rng.uniform(0.01, 0.99, size=x.shape)  # outputs of sigmoid (the cache is out)
    out_tanh = rng.uniform(-0.99, 0.99, size=x.shape)  # outputs of tanh
    dout3 = rng.normal(size=x3.shape)  # drawn last: the earlier cases keep their values
    per_feature = np.array(PER_FEATURE)
    return {
        "relu": [("x", dout, x), ("big", dout_big, big)],
        "softplus": [("x", dout, x), ("big", dout_big, big)],
        "leaky_relu": [("x, alpha=0.01", dout, (x, 0.01)), ("x, alpha=0.2", dout, (x, 0.2))],
        "prelu": [("x, alpha=0.25", dout, (x, 0.25)), ("x, alpha=1.5 (> 1)", dout, (x, 1.5)),
                  ("x, one alpha per feature", dout, (x, per_feature)),
                  ("x, alpha of shape (1, 5)", dout, (x, np.array([[0.3, 0.2, 1.1, 0.0, 0.5]]))),
                  ("x of shape (2, 3, 5), one alpha per feature", dout3, (x3, per_feature))],
        "elu": [("x, alpha=1.0", dout, (x, 1.0)), ("x, alpha=2.0", dout, (x, 2.0)),
                ("big, alpha=1.0", dout_big, (big, 1.0))],
        "sigmoid": [("out", dout, out_sigmoid),
                    ("saturated out", np.ones(4), np.array([0.0, 1e-300, 1.0 - 1e-16, 1.0]))],
        "tanh": [("out", dout, out_tanh), ("saturated out", np.ones(3), np.array([-1.0, 0.0, 1.0]))],
    }


def backward_cases(name: str) -> list[dict[str, Any]]:
    """[{"label", "dout", "cache"}] for the backward check of `name`, the cache built as its docstring says."""
    table = _backward_table(np.random.default_rng(2718))
    return [{"label": label, "dout": d, "cache": c} for label, d, c in table[name]]


def sigmoid_ce_inputs() -> dict[str, np.ndarray]:
    """logits (8,) from -1000 to 1000 (including 0), labels y (8,) in {0, 1}."""
    return {"logits": np.array([-1000.0, -40.0, -2.5, 0.0, 0.7, 3.0, 40.0, 1000.0]),
            "y": np.array([0, 1, 0, 1, 1, 0, 0, 1])}


# ---- hints ----------------------------------------------------------------------------------------------
OVERFLOW_HINTS = {
    "softplus": "np.log(1 + np.exp(x)) overflows for x > 709 (e^710 = inf): use the stable np.logaddexp(0, x), "
                "or max(x, 0) + log(1 + e^-|x|)",
    "sigmoid": "np.exp(x) / (1 + np.exp(x)) is inf/inf = nan for large x: with z = e^-|x| (never overflows) use "
               "1/(1 + z) for x >= 0 and z/(1 + z) for x < 0",
    "elu": "np.exp(x) overflows for large x, and inf * 0 = nan: compute the exponential only of the non-positive "
           "part, np.exp(np.minimum(x, 0))",
    "tanh": "e^x and e^-x overflow for |x| > 709 (inf/inf = nan): np.tanh is stable, or use 2 sigmoid(2x) - 1 "
            "with a stable sigmoid",
}


def _prelu_hints(x: np.ndarray, alpha: Any) -> list:
    return [(lambda g, e: np.allclose(g, np.maximum(alpha * x, x)),
             "this is max(alpha x, x) — equal to PReLU only when alpha <= 1. Use the piecewise definition: x if "
             "x > 0 else alpha x (np.where)")]


def _elu_hints(x: np.ndarray, alpha: Any) -> list:
    moderate = np.abs(x) < 50  # a shorthand may overflow (or be clipped) at the big entries
    # the shorthand agrees with ELU on some draws' moderate entries and only differs at large x:
    # match it where it is finite to compute, and blame it whenever the answer is wrong somewhere
    return [(lambda g, e: np.allclose(g[moderate], np.maximum(alpha * np.expm1(x), x)[moderate])
             and not np.allclose(g, e),
             "this is max(alpha (e^x - 1), x) — NOT ELU: for alpha >= 1 it is wrong at every x > 0, for alpha < 1 "
             "at large x. Use the piecewise definition: x if x > 0 else alpha (e^x - 1)")]


def _leaky_hints(x: np.ndarray, alpha: Any) -> list:
    return [(lambda g, e: np.all(g[x <= 0] == 0),
             "every negative entry became 0, as in plain ReLU: leaky ReLU keeps a slope alpha there")]


def _no_hints(x: np.ndarray, alpha: Any) -> list:
    return []


# per layer: extra hints of the forward check, given (x, alpha)
FORWARD_HINTS: dict[str, Callable[[np.ndarray, Any], list]] = {
    "relu": _no_hints, "leaky_relu": _leaky_hints, "prelu": _prelu_hints, "softplus": _no_hints,
    "elu": _elu_hints, "sigmoid": _no_hints, "tanh": _no_hints}


def forward_hints(name: str, args: tuple) -> list:
    """The hints of `name`'s forward check on args (x,) or (x, alpha) (first matching hint is shown)."""
    x = args[0]
    alpha = args[1] if len(args) > 1 else DEFAULT_ALPHA.get(name)
    with np.errstate(all="ignore"):
        hints = FORWARD_HINTS[name](x, alpha)
        if name in OVERFLOW_HINTS:
            hints.append((lambda g, e: not np.all(np.isfinite(g)), OVERFLOW_HINTS[name]))
        if name in PIECEWISE_LINEAR:
            hints.append((lambda g, e: np.allclose(g, x), "out equals x: the negative entries must change"))
    return hints


def backward_hints(name: str, dout: np.ndarray, cache: Any) -> list:
    """The hints of `name`'s backward check (the chain rule; overflow where an exponential is involved)."""
    hints: list = [
        (lambda g, e: np.allclose(g * dout, e) and not np.allclose(dout, 1),
         "this is the local derivative alone: multiply it by the upstream gradient dout (chain rule)"),
    ]
    if name in ("softplus", "elu"):
        hints.append((lambda g, e: not np.all(np.isfinite(g)),
                      "an exponential overflowed (e^710 = inf; inf/inf and inf * 0 are nan): compute e^x only of "
                      "the non-positive part (np.exp(np.minimum(x, 0))) or use z = np.exp(-np.abs(x))"))
    if CACHE_OF[name] == "out":  # the slope recomputed as if the cache were x
        again = 1.0 / (1.0 + np.exp(-cache)) if name == "sigmoid" else np.tanh(cache)
        slope = again * (1.0 - again) if name == "sigmoid" else 1.0 - again**2
        hints.append((lambda g, e: np.allclose(g, dout * slope),
                      f"the cache is the OUTPUT of {name}_forward, not x: "
                      + ("sigmoid' = out (1 - out)" if name == "sigmoid" else "tanh' = 1 - out^2")))
    return hints


PRELU_DALPHA_SHAPE_HINT = ("dalpha has alpha's shape: every entry of x that used one alpha adds its dout * x "
                           "(for x <= 0) to that alpha's gradient — sum over them (over EVERY leading axis alpha "
                           "lacks, and over its size-1 axes with keepdims=True)")


def prelu_dalpha_hints(dout: np.ndarray, x: np.ndarray) -> list:
    """Hints for a wrong dalpha of prelu_backward."""
    return [(lambda g, e: np.allclose(g, (dout * x).sum()) or np.allclose(g, dout * x),
             "only entries with x <= 0 use alpha: dout/dalpha = x there and 0 where x > 0"),
            (lambda g, e: np.allclose(g, -e), "the sign is flipped: d(alpha x)/d alpha = +x")]


# ---- the checks -----------------------------------------------------------------------------------------
def _check_cache(fname: str, name: str, label: str, cache: Any, args: tuple, out: np.ndarray) -> None:
    want = CACHE_OF[name]
    where = f"{fname}({label}): the cache must be {want}, as the docstring says (the backward pass is checked " \
            f"with that cache)"
    if want == "(x, alpha)":
        if not isinstance(cache, tuple) or len(cache) != 2:
            raise AssertionError(f"{where}; got {type(cache).__name__}")
        assert_close(f"{fname}({label}) cache[0]", cache[0], args[0], rtol=0, atol=0)
        alpha = args[1] if len(args) > 1 else DEFAULT_ALPHA[name]
        got_alpha = np.asarray(cache[1], dtype=float)
        if got_alpha.shape != np.shape(alpha) or not np.allclose(got_alpha, alpha, rtol=0, atol=0):
            raise AssertionError(f"{where}; cache[1] is {cache[1]!r}, expected alpha = {alpha!r}")
        return
    if isinstance(cache, tuple):
        raise AssertionError(f"{where}; got a tuple of length {len(cache)}")
    assert_close(f"{fname}({label}) cache", cache, args[0] if want == "x" else out, rtol=0, atol=0,
                 hints=[(lambda g, e: True, where)])


def np_max_hint(name: str, x: np.ndarray) -> str:
    """The hint for a wrong output shape of `name`_forward (np.max reduced an axis)."""
    if name not in PIECEWISE_LINEAR:
        return ""
    reduced = x.max(axis=0).shape if x.ndim > 1 else ()
    return f"np.max(x, 0) REDUCES along axis 0 (giving shape {reduced}); use np.maximum(x, 0) for the elementwise " \
           "maximum"


def _check_forward(name: str, fn: Callable[..., Any]) -> None:
    fname = f"{name}_forward"
    expected = load_expected("layers")[fname]
    for case in forward_cases(name):
        label, args = case["label"], case["args"]
        c = call(fn, *args)
        out, cache = unpack_pair(f"{fname}({label})", c.value)
        x = args[0]
        out = check_shape(f"{fname}({label}) out", out, x.shape, hint=np_max_hint(name, x))
        assert_close(f"{fname}({label}) out", out, np.array(expected[label]), rtol=1e-7, atol=1e-12,
                     hints=forward_hints(name, args), call=c)
        _check_cache(fname, name, label, cache, args, out)
        note_overflow(c, fname)


def _check_backward(name: str, fn: Callable[..., Any]) -> None:
    """A backward pass that returns dx alone (every activation but PReLU)."""
    fname = f"{name}_backward"
    expected = load_expected("layers")[fname]
    for case in backward_cases(name):
        label, dout, cache = case["label"], case["dout"], case["cache"]
        c = call(fn, dout, copy_cache(cache))
        dx = check_shape(f"{fname}({label}) dx", c.value, dout.shape)
        assert_close(f"{fname}({label}) dx", dx, np.array(expected[label]), rtol=1e-7, atol=1e-12,
                     hints=backward_hints(name, dout, cache), call=c)
        note_overflow(c, fname)


def _check_prelu_backward(fn: Callable[..., Any]) -> None:
    """PReLU's backward pass returns (dx, dalpha), dalpha of alpha's shape."""
    expected = load_expected("layers")["prelu_backward"]
    for case in backward_cases("prelu"):
        label, dout, cache = case["label"], case["dout"], case["cache"]
        c = call(fn, dout, copy_cache(cache))
        dx, dalpha = unpack_pair(f"prelu_backward({label})", c.value, "(dx, dalpha)")
        dalpha = check_shape(f"prelu_backward({label}) dalpha", dalpha, np.shape(cache[1]),
                             hint=PRELU_DALPHA_SHAPE_HINT)
        assert_close(f"prelu_backward({label}) dx", dx, np.array(expected[label]["dx"]), rtol=1e-7, atol=1e-12,
                     hints=backward_hints("prelu", dout, cache), call=c)
        assert_close(f"prelu_backward({label}) dalpha", dalpha, np.array(expected[label]["dalpha"]), rtol=1e-7,
                     atol=1e-12, call=c, hints=prelu_dalpha_hints(dout, cache[0]))
        note_overflow(c, "prelu_backward")


@visible("layers.relu_forward")
def check_relu_forward(relu_forward: Callable[..., Any]) -> None:
    """relu_forward on fixed inputs (incl. |x| up to 1000); the cache is x."""
    _check_forward("relu", relu_forward)


@visible("layers.relu_backward")
def check_relu_backward(relu_backward: Callable[..., Any]) -> None:
    """relu_backward on the cache x built from fixed inputs."""
    _check_backward("relu", relu_backward)


@visible("layers.leaky_relu_forward")
def check_leaky_relu_forward(leaky_relu_forward: Callable[..., Any]) -> None:
    """leaky_relu_forward with the default alpha and alpha = 0.2; the cache is (x, alpha)."""
    _check_forward("leaky_relu", leaky_relu_forward)


@visible("layers.leaky_relu_backward")
def check_leaky_relu_backward(leaky_relu_backward: Callable[..., Any]) -> None:
    """leaky_relu_backward on the cache (x, alpha) built from fixed inputs."""
    _check_backward("leaky_relu", leaky_relu_backward)


@visible("layers.prelu_forward")
def check_prelu_forward(prelu_forward: Callable[..., Any]) -> None:
    """prelu_forward with alpha < 1, alpha > 1, one alpha per feature (2 and 3 axes) and big x; cache (x, alpha)."""
    _check_forward("prelu", prelu_forward)


@visible("layers.prelu_backward")
def check_prelu_backward(prelu_backward: Callable[..., Any]) -> None:
    """prelu_backward's dx and dalpha for scalar, per-feature and (1, D) alphas, on 2- and 3-axis x."""
    _check_prelu_backward(prelu_backward)


@visible("layers.softplus_forward")
def check_softplus_forward(softplus_forward: Callable[..., Any]) -> None:
    """softplus_forward on fixed inputs (incl. x up to 1000, where log(1 + e^x) overflows); the cache is x."""
    _check_forward("softplus", softplus_forward)


@visible("layers.softplus_backward")
def check_softplus_backward(softplus_backward: Callable[..., Any]) -> None:
    """softplus_backward on the cache x built from fixed inputs (incl. |x| up to 1000)."""
    _check_backward("softplus", softplus_backward)


@visible("layers.elu_forward")
def check_elu_forward(elu_forward: Callable[..., Any]) -> None:
    """elu_forward with alpha = 1 (default), 0.5 and 2.0, incl. x up to 1000; the cache is (x, alpha)."""
    _check_forward("elu", elu_forward)


@visible("layers.elu_backward")
def check_elu_backward(elu_backward: Callable[..., Any]) -> None:
    """elu_backward on the cache (x, alpha) built from fixed inputs (alpha 1 and 2, |x| up to 1000)."""
    _check_backward("elu", elu_backward)


@visible("layers.sigmoid_forward")
def check_sigmoid_forward(sigmoid_forward: Callable[..., Any]) -> None:
    """sigmoid_forward on fixed inputs (incl. |x| up to 1000); the cache is out."""
    _check_forward("sigmoid", sigmoid_forward)


@visible("layers.sigmoid_backward")
def check_sigmoid_backward(sigmoid_backward: Callable[..., Any]) -> None:
    """sigmoid_backward on caches that are sigmoid outputs (saturated ones included)."""
    _check_backward("sigmoid", sigmoid_backward)


@visible("layers.tanh_forward")
def check_tanh_forward(tanh_forward: Callable[..., Any]) -> None:
    """tanh_forward on fixed inputs (incl. |x| up to 1000); the cache is out."""
    _check_forward("tanh", tanh_forward)


@visible("layers.tanh_backward")
def check_tanh_backward(tanh_backward: Callable[..., Any]) -> None:
    """tanh_backward on caches that are tanh outputs (saturated ones included)."""
    _check_backward("tanh", tanh_backward)


# ---- sigmoid_cross_entropy ------------------------------------------------------------------------------
def sigmoid_ce_hints(logits: np.ndarray, y: np.ndarray, what: str) -> list:
    N = len(logits)
    hints = [(lambda g, e: not np.all(np.isfinite(g)),
              "log(sigmoid(s)) is log(0) = -inf once sigmoid(s) rounds to 0 or 1 (|s| > ~37), and np.exp(s) "
              "overflows for s > 709: rewrite the loss as softplus(s) - y s = max(s, 0) - y s + log(1 + e^-|s|) "
              "(or np.logaddexp(0, s) - y s), and sigmoid(s) with z = e^-|s|")]
    if what == "loss":
        hints.append((lambda g, e: np.isclose(g, N * e), "this is the SUM over the samples: average over N"))
    else:
        hints += [(lambda g, e: np.allclose(g, N * e), "average over N: each dlogit is (sigmoid(s) - y) / N"),
                  (lambda g, e: np.allclose(g, -e), "the sign is flipped: dloss/ds = sigmoid(s) - y")]
    return hints


@visible("layers.sigmoid_cross_entropy")
def check_sigmoid_cross_entropy(sigmoid_cross_entropy: Callable[..., Any]) -> None:
    """Loss and dlogits on fixed logits from -1000 to 1000 (a naive formula gives inf or nan there)."""
    inputs, expected = sigmoid_ce_inputs(), load_expected("layers")["sigmoid_cross_entropy"]
    logits, y = inputs["logits"], inputs["y"]
    c = call(sigmoid_cross_entropy, logits, y)
    loss, dlogits = unpack_pair("sigmoid_cross_entropy(logits, y)", c.value, "(loss, dlogits)")
    loss = check_shape("loss", np.asarray(loss, dtype=float) if loss is not None else None, (),
                       hint="the loss is one number: the mean over the N samples")
    assert_close("sigmoid_cross_entropy loss", loss, np.array(expected["loss"]), rtol=1e-7, atol=1e-10,
                 hints=sigmoid_ce_hints(logits, y, "loss"), call=c)
    assert_close("sigmoid_cross_entropy dlogits", dlogits, np.array(expected["dlogits"]), rtol=1e-7, atol=1e-12,
                 hints=sigmoid_ce_hints(logits, y, "dlogits"), call=c)
    note_overflow(c, "sigmoid_cross_entropy")
