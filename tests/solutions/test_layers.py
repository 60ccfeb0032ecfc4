"""Tests of the activation layers and sigmoid_cross_entropy in solutions.layers (exercise ids layers.*)."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.gradcheck import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from solutions import layers
from tests.strategies_backprop import alpha_for, array_and_dout, elu_alphas, wide_arrays

SMOOTH_OR_PIECEWISE = ["relu", "leaky_relu", "prelu", "softplus", "elu", "sigmoid", "tanh"]


def _pair(name: str):
    return getattr(layers, f"{name}_forward"), getattr(layers, f"{name}_backward")


def _dx(name: str, dout: np.ndarray, cache) -> np.ndarray:
    out = _pair(name)[1](dout, cache)
    return out[0] if name == "prelu" else out


# ---- scalar oracles (plain Python `math`, one entry at a time) ------------------------------------------
def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def _neg_log_sigmoid(v: float) -> float:
    """-log sigmoid(v) = log(1 + e^-v), written so that math.exp never overflows."""
    return math.log1p(math.exp(-v)) if v >= 0 else -v + math.log1p(math.exp(v))


ORACLES = {
    "relu": lambda v, a: v if v > 0 else 0.0,
    "leaky_relu": lambda v, a: v if v > 0 else a * v,
    "prelu": lambda v, a: v if v > 0 else a * v,
    "softplus": lambda v, a: max(v, 0.0) + math.log1p(math.exp(-abs(v))),
    "elu": lambda v, a: v if v > 0 else a * math.expm1(v),
    "sigmoid": lambda v, a: _sigmoid(v),
    "tanh": lambda v, a: math.tanh(v),
}
DERIVATIVES = {
    "relu": lambda v, a: 1.0 if v > 0 else 0.0,
    "leaky_relu": lambda v, a: 1.0 if v > 0 else a,
    "prelu": lambda v, a: 1.0 if v > 0 else a,
    "softplus": lambda v, a: _sigmoid(v),
    "elu": lambda v, a: 1.0 if v > 0 else a * math.exp(v),
    "sigmoid": lambda v, a: _sigmoid(v) * (1 - _sigmoid(v)),
    "tanh": lambda v, a: 1.0 - math.tanh(v) ** 2,
}
DEFAULT_ALPHA = {"leaky_relu": 0.01, "prelu": 0.25, "elu": 1.0}


def _forward(name: str, x: np.ndarray, alpha=None):
    fwd = _pair(name)[0]
    if name == "prelu":
        return fwd(x, DEFAULT_ALPHA["prelu"] if alpha is None else alpha)
    if name in ("leaky_relu", "elu") and alpha is not None:
        return fwd(x, alpha)
    return fwd(x)


# ---- gradients against numerical gradients ---------------------------------------------------------------
@pytest.mark.parametrize("name", SMOOTH_OR_PIECEWISE)
@settings(max_examples=40, deadline=None)
@given(data=array_and_dout())
def test_backward_matches_numerical_gradient(name: str, data) -> None:
    """Away from the kinks, every activation's dx agrees with centred differences to rel error <= 1e-7."""
    x, dout = data
    _, cache = _forward(name, x)
    dx = _dx(name, dout, cache)
    num = eval_numerical_gradient_array(lambda v: _forward(name, v)[0], x.copy(), dout)
    assert rel_error(dx, num) <= 1e-7


@settings(max_examples=40, deadline=None)
@given(data=array_and_dout(), alpha=elu_alphas)
def test_elu_backward_matches_numerical_gradient_for_any_alpha(data, alpha: float) -> None:
    """ELU's dx agrees with centred differences for alpha in [0, 5], including alpha > 1."""
    x, dout = data
    _, cache = layers.elu_forward(x, alpha)
    num = eval_numerical_gradient_array(lambda v: layers.elu_forward(v, alpha)[0], x.copy(), dout)
    assert rel_error(layers.elu_backward(dout, cache), num) <= 1e-7


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_prelu_dx_and_dalpha_match_numerical_gradients_for_broadcast_alpha(data) -> None:
    """PReLU with a scalar or broadcast alpha: dx and dalpha (summed over the shared entries) are right."""
    x, dout = data.draw(array_and_dout())
    alpha = data.draw(alpha_for(x))
    _, cache = layers.prelu_forward(x, alpha)
    dx, dalpha = layers.prelu_backward(dout, cache)
    assert np.shape(dalpha) == np.shape(alpha)
    num_dx = eval_numerical_gradient_array(lambda v: layers.prelu_forward(v, alpha)[0], x.copy(), dout)
    assert rel_error(dx, num_dx) <= 1e-7
    # dalpha against the plain-loop oracle: sum of dout * x over the negative entries that share each alpha
    a_full = np.broadcast_to(np.asarray(alpha, dtype=float), x.shape)
    expected = np.zeros(np.shape(alpha))
    idx_of = np.broadcast_to(np.arange(max(1, np.size(alpha))).reshape(np.shape(alpha)), x.shape)
    flat = expected.reshape(-1)
    for ix in np.ndindex(x.shape):
        if x[ix] <= 0:
            flat[idx_of[ix]] += dout[ix] * x[ix]
    assert a_full.shape == x.shape
    np.testing.assert_allclose(dalpha, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("alpha", [0.25, 1.0, 1.7, 3.0])
@pytest.mark.parametrize("seed", range(5))
def test_prelu_dalpha_for_a_scalar_alpha_matches_numerical_gradient(alpha: float, seed: int) -> None:
    """A scalar alpha (also > 1) gets one dalpha = sum over the negative entries of dout * x."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, 4))
    dout = rng.normal(size=x.shape)
    _, cache = layers.prelu_forward(x, alpha)
    _, dalpha = layers.prelu_backward(dout, cache)
    assert np.shape(dalpha) == ()
    num = eval_numerical_gradient_array(lambda a: layers.prelu_forward(x, a)[0], np.array(alpha), dout)
    assert rel_error(np.asarray(dalpha), num) <= 1e-7
    assert float(dalpha) == pytest.approx(float(np.sum(dout * x * (x <= 0))), rel=1e-12)


# ---- values against scalar oracles, stability -----------------------------------------------------------
@pytest.mark.parametrize("name", SMOOTH_OR_PIECEWISE)
@settings(max_examples=30, deadline=None)
@given(x=wide_arrays(), alpha=st.floats(0.0, 3.0))
def test_forward_and_derivative_match_scalar_oracle_without_warnings(name: str, x: np.ndarray, alpha: float) -> None:
    """On inputs up to |x| = 1e3 (zeros included), out and dx match a `math` oracle and nothing warns."""
    a = alpha if name in DEFAULT_ALPHA else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is fine
            out, cache = _forward(name, x, a)
            dx = _dx(name, np.ones_like(x), cache)
    want = np.array([ORACLES[name](float(v), a) for v in x.ravel()]).reshape(x.shape)
    dwant = np.array([DERIVATIVES[name](float(v), a) for v in x.ravel()]).reshape(x.shape)
    assert out.shape == x.shape and dx.shape == x.shape
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-300)
    # sigmoid/tanh differentiate from the cached output: 1 - out^2 near saturation is exact only to ~1e-16
    np.testing.assert_allclose(dx, dwant, rtol=1e-12, atol=1e-15 if name in ("sigmoid", "tanh") else 1e-300)


@pytest.mark.parametrize("name,alpha,expected", [("relu", None, 0.0), ("leaky_relu", 0.01, 0.01),
                                                 ("prelu", 0.3, 0.3), ("prelu", 1.5, 1.5), ("elu", 1.0, 1.0),
                                                 ("elu", 2.5, 2.5)])
def test_derivative_at_zero_takes_the_x_le_0_branch(name: str, alpha, expected: float) -> None:
    """At exactly 0: ReLU' = 0, leaky/PReLU' = alpha, ELU' = alpha (PyTorch's convention)."""
    x = np.array([0.0, -0.0])
    _, cache = _forward(name, x, alpha)
    np.testing.assert_array_equal(_dx(name, np.ones(2), cache), [expected, expected])


# ---- properties that read like the maths ----------------------------------------------------------------
@given(x=wide_arrays())
def test_sigmoid_is_symmetric(x: np.ndarray) -> None:
    """sigmoid(-x) = 1 - sigmoid(x)."""
    np.testing.assert_allclose(layers.sigmoid_forward(-x)[0], 1 - layers.sigmoid_forward(x)[0], atol=1e-15)


@given(x=wide_arrays())
def test_softplus_derivative_is_sigmoid(x: np.ndarray) -> None:
    """softplus'(x) = sigmoid(x), and softplus(x) - softplus(-x) = x."""
    _, cache = layers.softplus_forward(x)
    np.testing.assert_allclose(layers.softplus_backward(np.ones_like(x), cache), layers.sigmoid_forward(x)[0],
                               rtol=1e-15, atol=0)
    np.testing.assert_allclose(layers.softplus_forward(x)[0] - layers.softplus_forward(-x)[0], x,
                               rtol=1e-12, atol=1e-12)


@given(x=wide_arrays())
def test_tanh_is_a_rescaled_sigmoid(x: np.ndarray) -> None:
    """tanh(x) = 2 sigmoid(2x) - 1."""
    np.testing.assert_allclose(layers.tanh_forward(x)[0], 2 * layers.sigmoid_forward(2 * x)[0] - 1, atol=1e-14)


@given(x=wide_arrays(), alpha=elu_alphas)
def test_elu_is_identity_for_positive_x_and_saturates_at_minus_alpha(x: np.ndarray, alpha: float) -> None:
    """ELU(x) = x for x > 0, and -alpha <= ELU(x) <= 0 for x <= 0."""
    out = layers.elu_forward(x, alpha)[0]
    pos = x > 0
    np.testing.assert_array_equal(out[pos], x[pos])
    assert np.all(out[~pos] <= 0) and np.all(out[~pos] >= -alpha)


@pytest.mark.parametrize("name", SMOOTH_OR_PIECEWISE)
@given(x=wide_arrays())
def test_forward_caches_what_the_docstring_says(name: str, x: np.ndarray) -> None:
    """The cache is x (relu, softplus), (x, alpha) (leaky, prelu, elu) or out (sigmoid, tanh)."""
    out, cache = _forward(name, x)
    if name in ("relu", "softplus"):
        np.testing.assert_array_equal(cache, x)
    elif name in ("sigmoid", "tanh"):
        np.testing.assert_array_equal(cache, out)
    else:
        assert isinstance(cache, tuple) and len(cache) == 2
        np.testing.assert_array_equal(cache[0], x)


# ---- the "max" shorthands of the notes ------------------------------------------------------------------
def test_elu_max_shorthand_fails_exactly_where_the_notebook_says() -> None:
    """max(a(e^x - 1), x) != ELU: for a >= 1 at every x > 0; for a < 1 beyond x+(a); for a > 1 on (x-(a), 0)."""
    def shorthand(x, a):
        return np.maximum(a * np.expm1(x), x)

    x = np.linspace(-6, 6, 2401)
    for a in (1.0, 1.5, 3.0):
        wrong = ~np.isclose(shorthand(x, a), layers.elu_forward(x, a)[0], rtol=1e-12, atol=0)
        assert np.all(wrong[x > 0])
    # a = 0.5: right up to x+ ~ 1.2564 (root of 0.5 (e^x - 1) = x), wrong after it
    e = layers.elu_forward(x, 0.5)[0]
    assert np.allclose(shorthand(x[x <= 1.25], 0.5), e[x <= 1.25])
    assert not np.any(np.isclose(shorthand(x[x >= 1.26], 0.5), e[x >= 1.26]))
    # a = 2: wrong on (x-, 0) with x- ~ -1.5936 (negative root of 2 (e^x - 1) = x), right below it
    e = layers.elu_forward(x, 2.0)[0]
    inside = (x > -1.59) & (x < 0)
    assert not np.any(np.isclose(shorthand(x[inside], 2.0), e[inside]))
    assert np.allclose(shorthand(x[x < -1.6], 2.0), e[x < -1.6])


def test_prelu_max_shorthand_fails_for_alpha_above_one() -> None:
    """max(alpha x, x) = PReLU for alpha <= 1 but differs at every x != 0 for alpha > 1."""
    x = np.linspace(-3, 3, 601)
    x = x[x != 0]
    for alpha in (0.0, 0.25, 1.0):
        np.testing.assert_array_equal(np.maximum(alpha * x, x), layers.prelu_forward(x, alpha)[0])
    assert np.all(np.maximum(1.5 * x, x) != layers.prelu_forward(x, 1.5)[0])


# ---- sigmoid_cross_entropy ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_sigmoid_cross_entropy_gradient_matches_numerical(seed: int) -> None:
    """dlogits agrees with centred differences of the averaged loss (rel error <= 1e-7)."""
    rng = np.random.default_rng(seed)
    logits, y = 3 * rng.normal(size=9), rng.integers(0, 2, size=9)
    _, dlogits = layers.sigmoid_cross_entropy(logits, y)
    num = eval_numerical_gradient(lambda s: layers.sigmoid_cross_entropy(s, y)[0], logits.copy())
    assert rel_error(dlogits, num) <= 1e-7


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_sigmoid_cross_entropy_matches_oracle_and_is_stable(data) -> None:
    """Loss and gradient match a per-sample `math` oracle for |logits| up to 1e3, without warnings."""
    N = data.draw(st.integers(1, 12))
    logits = np.array(data.draw(st.lists(st.one_of(st.floats(-1e3, 1e3), st.sampled_from([0.0, 800.0, -800.0])),
                                         min_size=N, max_size=N)))
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=N, max_size=N)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is fine
            loss, dlogits = layers.sigmoid_cross_entropy(logits, y)
    per = [_neg_log_sigmoid(s) if t else _neg_log_sigmoid(-s) for s, t in zip(logits, y)]
    assert isinstance(loss, float) and loss == pytest.approx(np.mean(per), rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(dlogits, [(_sigmoid(s) - t) / N for s, t in zip(logits, y)], rtol=1e-12, atol=1e-300)


def test_sigmoid_cross_entropy_is_an_average() -> None:
    """Repeating the data set twice leaves the loss unchanged and halves each dlogit."""
    logits, y = np.array([2.0, -1.0, 0.3]), np.array([1, 0, 0])
    l1, d1 = layers.sigmoid_cross_entropy(logits, y)
    l2, d2 = layers.sigmoid_cross_entropy(np.tile(logits, 2), np.tile(y, 2))
    assert l1 == pytest.approx(l2)
    np.testing.assert_allclose(d2[:3], d1 / 2)


# ---- bad input ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,match", [
    (lambda: layers.elu_forward(np.ones(3), -0.5), "alpha must be >= 0"),
    (lambda: layers.elu_backward(np.ones(3), (np.ones(3), -1.0)), "alpha must be >= 0"),
    (lambda: layers.leaky_relu_forward(np.ones(3), np.ones(3)), "alpha must be a scalar"),
    (lambda: layers.prelu_forward(np.ones((2, 4)), np.ones(3)), "broadcasts to x's shape"),
    (lambda: layers.prelu_forward(np.ones((2, 4)), np.ones((3, 2, 4))), "broadcasts to x's shape"),
    (lambda: layers.prelu_forward(np.ones(3)), "missing required argument"),
    (lambda: layers.relu_backward(np.ones(3), np.ones(4)), "dout must have the shape"),
    (lambda: layers.prelu_backward(np.ones((2, 3)), (np.ones((2, 3)), np.ones(2))), "broadcasts"),
    (lambda: layers.sigmoid_backward(np.ones(2), np.array([0.5, 2.0])), "sigmoid's output"),
    (lambda: layers.elu_backward(np.ones(2), np.ones(2)), r"tuple \(x, alpha\)"),
    (lambda: layers.sigmoid_cross_entropy(np.zeros((3, 1)), np.zeros(3)), r"expected logits \(N,\)"),
    (lambda: layers.sigmoid_cross_entropy(np.zeros(3), np.array([0, 1, 2])), "binary labels"),
    (lambda: layers.relu_forward(np.array(["a"])), "numeric"),
])
def test_bad_input_raises_value_error_saying_what_was_expected(call, match: str) -> None:
    """Mismatched shapes, alpha < 0 for ELU, a non-broadcastable alpha or bad labels raise a clear error."""
    with pytest.raises((ValueError, TypeError), match=match):
        call()
