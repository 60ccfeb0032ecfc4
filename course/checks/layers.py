"""Visible checks of the activation layers and sigmoid_cross_entropy (exercise ids ``layers.*``), a3_backprop.

Forward checks compare ``out`` with fixed expected values (course/expected/layers.json) and check that the
cache is what the docstring fixes (x; (x, alpha); or out). Backward checks feed a cache built here as the
docstring says — never the student's forward output — so a wrong forward pass costs only its own points.
Fixed inputs keep away from the kinks (|x| >= 1e-3); the derivative at exactly 0 is graded only by the hidden
checks. Big inputs (|x| up to 1000) test that nothing overflows.
"""

from typing import Any, Callable

import numpy as np

from course.checks import visible
from course.checks.core import Call, as_array, assert_close, call_student, load_expected

ALPHA_LAYERS = {"leaky_relu", "prelu", "elu"}
CACHE_OF = {"relu": "x", "softplus": "x", "leaky_relu": "(x, alpha)", "prelu": "(x, alpha)", "elu": "(x, alpha)",
            "sigmoid": "out", "tanh": "out"}


# ---- fixed inputs (the expected outputs live in course/expected/layers.json) -----------------------------
def _x() -> np.ndarray:
    """(3, 5) values in about [-4, 4], every |x| >= 1e-3 (away from the kink at 0)."""
    rng = np.random.default_rng(3141)
    x = 2.0 * rng.normal(size=(3, 5))
    return np.where(np.abs(x) < 1e-3, 0.5, x)


def _big() -> np.ndarray:
    """Values where a naive exp overflows (e^710 = inf) or log(1 + e^x) loses everything."""
    return np.array([-1000.0, -745.0, -50.0, -0.5, 0.5, 30.0, 50.0, 710.0, 1000.0])


def forward_cases(name: str) -> list[dict[str, Any]]:
    """[{"label", "args"}] for the forward check of activation `name` (args: (x,) or (x, alpha))."""
    x, big = _x(), _big()
    cases = {
        "relu": [("x", (x,)), ("big", (big,))],
        "leaky_relu": [("x, default alpha", (x,)), ("x, alpha=0.2", (x, 0.2))],
        "prelu": [("x, alpha=0.25", (x, 0.25)), ("x, alpha=1.5 (> 1)", (x, 1.5)),
                  ("x, one alpha per feature", (x, np.array([0.1, 1.5, 0.0, 0.7, 2.0]))), ("big", (big, 0.1))],
        "softplus": [("x", (x,)), ("big", (big,))],
        "elu": [("x, default alpha", (x,)), ("x, alpha=0.5", (x, 0.5)), ("x, alpha=2.0", (x, 2.0)),
                ("big, alpha=1.0", (big, 1.0)), ("big, alpha=0.5", (big, 0.5))],
        "sigmoid": [("x", (x,)), ("big", (big,))],
        "tanh": [("x", (x,)), ("big", (big,))],
    }[name]
    return [{"label": label, "args": args} for label, args in cases]


def backward_cases(name: str) -> list[dict[str, Any]]:
    """[{"label", "dout", "cache"}] for the backward check of `name`, the cache built as its docstring says."""
    rng = np.random.default_rng(2718)
    x, big = _x(), _big()
    dout, dout_big = rng.normal(size=x.shape), rng.normal(size=big.shape)
    if name in ("relu", "softplus"):
        cases = [("x", dout, x), ("big", dout_big, big)]
    elif name == "leaky_relu":
        cases = [("x, alpha=0.01", dout, (x, 0.01)), ("x, alpha=0.2", dout, (x, 0.2))]
    elif name == "prelu":
        cases = [("x, alpha=0.25", dout, (x, 0.25)), ("x, alpha=1.5 (> 1)", dout, (x, 1.5)),
                 ("x, one alpha per feature", dout, (x, np.array([0.1, 1.5, 0.0, 0.7, 2.0]))),
                 ("x, alpha of shape (1, 5)", dout, (x, np.array([[0.3, 0.2, 1.1, 0.0, 0.5]])))]
    elif name == "elu":
        cases = [("x, alpha=1.0", dout, (x, 1.0)), ("x, alpha=2.0", dout, (x, 2.0)),
                 ("big, alpha=1.0", dout_big, (big, 1.0))]
    elif name == "sigmoid":
        out = rng.uniform(0.01, 0.99, size=x.shape)
        cases = [("out", dout, out), ("saturated out", np.ones(4), np.array([0.0, 1e-300, 1.0 - 1e-16, 1.0]))]
    else:  # tanh
        out = rng.uniform(-0.99, 0.99, size=x.shape)
        cases = [("out", dout, out), ("saturated out", np.ones(3), np.array([-1.0, 0.0, 1.0]))]
    return [{"label": label, "dout": d, "cache": c} for label, d, c in cases]


def sigmoid_ce_inputs() -> dict[str, np.ndarray]:
    """logits (8,) from -1000 to 1000 (including 0), labels y (8,) in {0, 1}."""
    return {"logits": np.array([-1000.0, -40.0, -2.5, 0.0, 0.7, 3.0, 40.0, 1000.0]),
            "y": np.array([0, 1, 0, 1, 1, 0, 0, 1])}


def copy_cache(cache: Any) -> Any:
    """A fresh copy of a cache (so a student's in-place edit cannot leak into the next case)."""
    if isinstance(cache, tuple):
        return tuple(copy_cache(c) for c in cache)
    return cache.copy() if isinstance(cache, np.ndarray) else cache


# ---- calling student code -------------------------------------------------------------------------------
ELEMENTWISE_HINT = ("Python's max(0, x) / `if x > 0` work on ONE number; for arrays use elementwise numpy: "
                    "np.maximum(x, 0), np.where(x > 0, a, b), or a mask (x > 0)")


def call(fn: Callable[..., Any], *args: Any) -> Call:
    """call_student, turning the classic 'truth value of an array' error into a hint."""
    try:
        return call_student(fn, *args)
    except ValueError as exc:
        if "truth value of an array" in str(exc):
            raise AssertionError(f"{getattr(fn, '__name__', 'your function')} raised ValueError: {exc}\n"
                                 f"  Hint: {ELEMENTWISE_HINT}") from None
        raise


def unpack_pair(name: str, value: Any, what: str = "(out, cache)") -> tuple[Any, Any]:
    """Split a student's return value into two parts, or fail saying what was expected."""
    if value is None:
        raise AssertionError(f"{name}: your function returned None — did you forget the `return` statement?")
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise AssertionError(f"{name} must return a pair {what}, got {type(value).__name__}"
                             + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""))
    return value[0], value[1]


def check_shape(name: str, value: Any, shape: tuple[int, ...], hint: str = "") -> np.ndarray:
    """as_array with an extra hint when the shape is wrong (e.g. np.max reduced an axis)."""
    try:
        return as_array(name, value, shape)
    except AssertionError as exc:
        if hint and "expected shape" in str(exc):
            raise AssertionError(f"{exc}\n  Hint: {hint}") from None
        raise


def note_overflow(call_: Call, name: str) -> None:
    """A passing answer that warned about overflow keeps its points, but the student should know."""
    noisy = [w for w in call_.warnings if "overflow" in w or "invalid value" in w]
    if noisy:
        print(f"note: {name} is right, but numpy warned ({noisy[0]}). An exponential of a large number "
              "overflowed somewhere (even a np.where branch that is thrown away is computed): evaluate exp only "
              "where it is safe, e.g. np.exp(np.minimum(x, 0)) or np.exp(-np.abs(x)).")


def forward_hints(name: str, args: tuple) -> list:
    x = args[0]
    alpha = args[1] if len(args) > 1 else {"leaky_relu": 0.01, "elu": 1.0}.get(name)
    hints: list = []
    with np.errstate(all="ignore"):
        if name == "prelu":
            hints.append((lambda g, e: np.allclose(g, np.maximum(alpha * x, x)),
                          "this is max(alpha x, x) — equal to PReLU only when alpha <= 1. Use the piecewise "
                          "definition: x if x > 0 else alpha x (np.where)"))
        if name == "elu":
            moderate = np.abs(x) < 50  # a shorthand may overflow (or be clipped) at the big entries
            # the shorthand agrees with ELU on some draws' moderate entries and only differs at large x:
            # match it where it is finite to compute, and blame it whenever the answer is wrong somewhere
            hints.append((lambda g, e: np.allclose(g[moderate], np.maximum(alpha * np.expm1(x), x)[moderate])
                          and not np.allclose(g, e),
                          "this is max(alpha (e^x - 1), x) — NOT ELU: for alpha >= 1 it is wrong at every x > 0, "
                          "for alpha < 1 at large x. Use the piecewise definition: x if x > 0 else alpha (e^x - 1)"))
        if name in ("elu", "softplus", "sigmoid"):
            hints.append((lambda g, e: not np.all(np.isfinite(g)),
                          {"softplus": "np.log(1 + np.exp(x)) overflows for x > 709 (e^710 = inf): use the stable "
                                       "np.logaddexp(0, x), or max(x, 0) + log(1 + e^-|x|)",
                           "sigmoid": "np.exp(x) / (1 + np.exp(x)) is inf/inf = nan for large x: with z = e^-|x| "
                                      "(never overflows) use 1/(1 + z) for x >= 0 and z/(1 + z) for x < 0",
                           "elu": "np.exp(x) overflows for large x, and inf * 0 = nan: compute the exponential "
                                  "only of the non-positive part, np.exp(np.minimum(x, 0))"}[name]))
        if name in ("relu", "leaky_relu", "prelu", "elu"):
            hints.append((lambda g, e: np.allclose(g, x), "out equals x: the negative entries must change"))
        if name == "leaky_relu":
            hints.append((lambda g, e: np.all(g[x <= 0] == 0),
                          "every negative entry became 0, as in plain ReLU: leaky ReLU keeps a slope alpha there"))
    return hints


def backward_hints(name: str, dout: np.ndarray, cache: Any) -> list:
    hints: list = [
        (lambda g, e: np.allclose(g * dout, e) and not np.allclose(dout, 1),
         "this is the local derivative alone: multiply it by the upstream gradient dout (chain rule)"),
    ]
    if name in ("softplus", "elu"):
        hints.append((lambda g, e: not np.all(np.isfinite(g)),
                      "an exponential overflowed (e^710 = inf; inf/inf and inf * 0 are nan): compute e^x only of "
                      "the non-positive part (np.exp(np.minimum(x, 0))) or use z = np.exp(-np.abs(x))"))
    return hints


# ---- the checks -----------------------------------------------------------------------------------------
def _check_cache(fname: str, name: str, label: str, cache: Any, args: tuple, out: np.ndarray) -> None:
    want = CACHE_OF[name]
    where = f"{fname}({label}): the cache must be {want}, as the docstring says (the backward pass is checked " \
            f"with that cache)"
    if want == "(x, alpha)":
        if not isinstance(cache, tuple) or len(cache) != 2:
            raise AssertionError(f"{where}; got {type(cache).__name__}")
        assert_close(f"{fname}({label}) cache[0]", cache[0], args[0], rtol=0, atol=0)
        alpha = args[1] if len(args) > 1 else {"leaky_relu": 0.01, "elu": 1.0}[name]
        got_alpha = np.asarray(cache[1], dtype=float)
        if got_alpha.shape != np.shape(alpha) or not np.allclose(got_alpha, alpha, rtol=0, atol=0):
            raise AssertionError(f"{where}; cache[1] is {cache[1]!r}, expected alpha = {alpha!r}")
        return
    if isinstance(cache, tuple):
        raise AssertionError(f"{where}; got a tuple of length {len(cache)}")
    assert_close(f"{fname}({label}) cache", cache, args[0] if want == "x" else out, rtol=0, atol=0,
                 hints=[(lambda g, e: True, where)])


def _check_forward(name: str, fn: Callable[..., Any]) -> None:
    fname = f"{name}_forward"
    expected = load_expected("layers")[fname]
    for case in forward_cases(name):
        label, args = case["label"], case["args"]
        c = call(fn, *args)
        out, cache = unpack_pair(f"{fname}({label})", c.value)
        x = args[0]
        np_max = x.max(axis=0).shape if x.ndim > 1 else ()
        out = check_shape(f"{fname}({label}) out", out, x.shape,
                          hint=f"np.max(x, 0) REDUCES along axis 0 (giving shape {np_max}); use np.maximum(x, 0) "
                               "for the elementwise maximum" if name in ("relu", "leaky_relu", "prelu", "elu") else "")
        assert_close(f"{fname}({label}) out", out, np.array(expected[label]), rtol=1e-7, atol=1e-12,
                     hints=forward_hints(name, args), call=c)
        _check_cache(fname, name, label, cache, args, out)
        note_overflow(c, fname)


def _check_backward(name: str, fn: Callable[..., Any]) -> None:
    fname = f"{name}_backward"
    expected = load_expected("layers")[fname]
    for case in backward_cases(name):
        label, dout, cache = case["label"], case["dout"], case["cache"]
        c = call(fn, dout, copy_cache(cache))
        x_shape = dout.shape
        if name == "prelu":
            dx, dalpha = unpack_pair(f"{fname}({label})", c.value, "(dx, dalpha)")
            alpha_shape = np.shape(cache[1])
            dalpha = check_shape(f"{fname}({label}) dalpha", dalpha, alpha_shape,
                                 hint="dalpha has alpha's shape: every entry of x that used one alpha adds its "
                                      "dout * x (for x <= 0) to that alpha's gradient — sum over them")
            assert_close(f"{fname}({label}) dx", dx, np.array(expected[label]["dx"]), rtol=1e-7, atol=1e-12,
                         hints=backward_hints(name, dout, cache), call=c)
            x = cache[0]
            assert_close(f"{fname}({label}) dalpha", dalpha, np.array(expected[label]["dalpha"]), rtol=1e-7,
                         atol=1e-12, call=c, hints=[
                             (lambda g, e: np.allclose(g, (dout * x).sum()) or np.allclose(g, dout * x),
                              "only entries with x <= 0 use alpha: dout/dalpha = x there and 0 where x > 0"),
                             (lambda g, e: np.allclose(g, -e), "the sign is flipped: d(alpha x)/d alpha = +x")])
        else:
            dx = check_shape(f"{fname}({label}) dx", c.value, x_shape)
            assert_close(f"{fname}({label}) dx", dx, np.array(expected[label]), rtol=1e-7, atol=1e-12,
                         hints=backward_hints(name, dout, cache), call=c)
        note_overflow(c, fname)


def _register(name: str) -> None:
    @visible(f"layers.{name}_forward")
    def check_forward(forward: Callable[..., Any]) -> None:
        _check_forward(name, forward)

    @visible(f"layers.{name}_backward")
    def check_backward(backward: Callable[..., Any]) -> None:
        _check_backward(name, backward)

    check_forward.__doc__ = f"{name}_forward on fixed inputs (incl. |x| up to 1000) and its documented cache."
    check_backward.__doc__ = f"{name}_backward on a documented cache built from fixed inputs."


for _name in ("relu", "leaky_relu", "prelu", "softplus", "elu", "sigmoid", "tanh"):
    _register(_name)


def sigmoid_ce_hints(logits: np.ndarray, y: np.ndarray, what: str) -> list:
    N = len(logits)
    hints = [(lambda g, e: not np.all(np.isfinite(g)),
              "log(sigmoid(s)) is log(0) = -inf once sigmoid(s) rounds to 0 or 1 (|s| > ~37): rewrite the loss "
              "as softplus(s) - y s = max(s, 0) - y s + log(1 + e^-|s|) (or np.logaddexp(0, s) - y s)")]
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
