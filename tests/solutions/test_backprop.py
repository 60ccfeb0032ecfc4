"""Tests of solutions.backprop: gates, the small graph, the ReLU layer with squared loss, the exam network."""

import ast
import inspect
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course import data
from course.gradcheck import eval_numerical_gradient, rel_error
from solutions import backprop, layers
from tests.strategies_backprop import away_from_kinks, elu_alphas, prelu_alphas, seeds

GATES = {"add_gate": np.add, "mult_gate": np.multiply, "max_gate": np.maximum}


# ---- gates ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("gate", list(GATES))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_gate_matches_numerical_gradient_away_from_ties(gate: str, data) -> None:
    """dx, dy of each gate = centred differences of its forward op times df (inputs at least 1e-4 apart)."""
    x = data.draw(away_from_kinks())
    y = x + data.draw(away_from_kinks(shape=x.shape))  # y - x away from 0: no ties for max
    df = data.draw(away_from_kinks(shape=x.shape))
    dx, dy = getattr(backprop, gate)(x, y, df)
    op = GATES[gate]
    num_dx = np.array([(op(x[i] + 1e-5, y[i]) - op(x[i] - 1e-5, y[i])) / 2e-5 for i in np.ndindex(x.shape)])
    num_dy = np.array([(op(x[i], y[i] + 1e-5) - op(x[i], y[i] - 1e-5)) / 2e-5 for i in np.ndindex(x.shape)])
    assert rel_error(dx, df * num_dx.reshape(x.shape)) <= 1e-7
    assert rel_error(dy, df * num_dy.reshape(x.shape)) <= 1e-7


def test_gates_distribute_switch_and_route() -> None:
    """add distributes df, mult switches the inputs, max routes df to the larger input (a tie goes to y)."""
    x, y, df = np.array([1.0, 5.0, 3.0]), np.array([4.0, 2.0, 3.0]), np.array([2.0, -1.0, 7.0])
    assert [list(v) for v in backprop.add_gate(x, y, df)] == [[2, -1, 7], [2, -1, 7]]
    assert [list(v) for v in backprop.mult_gate(x, y, df)] == [[8, -2, 21], [2, -5, 21]]
    assert [list(v) for v in backprop.max_gate(x, y, df)] == [[0, -1, 0], [2, 0, 7]]
    assert backprop.max_gate(2.0, 2.0, 1.0) == (0.0, 1.0)


@pytest.mark.parametrize("gate", list(GATES))
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), seed=seeds)
def test_gate_gradients_have_the_input_shape(gate: str, shape: tuple[int, ...], seed: int) -> None:
    """For inputs of any one shape (scalars included), dx and dy have that shape."""
    rng = np.random.default_rng(seed)
    x, y, df = (rng.normal(size=shape) for _ in range(3))
    dx, dy = getattr(backprop, gate)(x, y, df)
    assert np.shape(dx) == shape and np.shape(dy) == shape


@pytest.mark.parametrize("gate", list(GATES))
def test_gate_rejects_mismatched_shapes(gate: str) -> None:
    """x, y, df of different shapes raise ValueError naming the shapes."""
    with pytest.raises(ValueError, match=r"same shape.*\(3,\), \(2,\), \(3,\)"):
        getattr(backprop, gate)(np.ones(3), np.ones(2), np.ones(3))


# ---- the small graph ------------------------------------------------------------------------------------
def _f(v: np.ndarray) -> float:
    x, y, z, w = v
    return (x + y) * max(z, w)


@settings(max_examples=60, deadline=None)
@given(v=away_from_kinks(shape=(4,)), gap=away_from_kinks(shape=()))
def test_small_graph_matches_numerical_gradient(v: np.ndarray, gap: np.ndarray) -> None:
    """f = (x + y) max(z, w) and its four partial derivatives agree with centred differences (z != w)."""
    v = v.copy()
    v[3] = v[2] + float(gap)  # |z - w| >= 1e-4
    f, grads = backprop.small_graph_backward(*v)
    assert float(f) == pytest.approx(_f(v), rel=1e-15)
    assert rel_error(np.array([float(g) for g in grads]), eval_numerical_gradient(_f, v)) <= 1e-7


def test_small_graph_tie_routes_to_w_and_arrays_work_elementwise() -> None:
    """z == w routes the gradient to w; arrays are handled elementwise (one graph per entry)."""
    f, (dx, dy, dz, dw) = backprop.small_graph_backward(1.0, 2.0, 3.0, 3.0)
    assert (float(f), float(dx), float(dy), float(dz), float(dw)) == (9.0, 3.0, 3.0, 0.0, 3.0)
    x = np.array([1.0, -2.0])
    f, (dx, dy, dz, dw) = backprop.small_graph_backward(x, x + 1, np.array([3.0, 0.0]), np.array([1.0, 4.0]))
    np.testing.assert_array_equal(f, [9.0, -12.0])
    np.testing.assert_array_equal(dz, [3.0, 0.0])
    np.testing.assert_array_equal(dw, [0.0, -3.0])


def test_small_graph_uses_the_gates() -> None:
    """small_graph_backward calls the mult, max and add gates (the exercise is to chain them)."""
    names = {n.id for n in ast.walk(ast.parse(inspect.getsource(inspect.unwrap(backprop.small_graph_backward))))
             if isinstance(n, ast.Name)}
    assert {"add_gate", "mult_gate", "max_gate"} <= names


# ---- the ReLU layer with squared loss -------------------------------------------------------------------
def _relu_layer_loss_complex(W, b, x, z) -> complex:
    """The loss with complex-step support (ReLU decided on the real part): an exact-derivative oracle."""
    q = W @ x + b
    h = np.where(q.real > 0, q, 0)
    return np.sum((h - z) * (h - z))


def _complex_step(f, arrays: dict[str, np.ndarray], which: str) -> np.ndarray:
    """d f / d arrays[which] by the complex step f(a + i t e_k).imag / t, t = 1e-30 (no subtractive error)."""
    base = arrays[which]
    grad = np.zeros(base.shape)
    for ix in np.ndindex(base.shape):
        pert = base.astype(complex)
        pert[ix] += 1e-30j
        grad[ix] = f(**{**arrays, which: pert}).imag / 1e-30
    return grad


def _well_scaled(a: dict) -> bool:
    """Centred differences resolve every gradient entry to 1e-7: pre-activations in [1e-3, 3], |x| >= 0.1.

    A centred difference has an absolute error of ~1e-11 * |loss| in EVERY entry, so an entry far smaller
    than the loss (a saturated ELU, a tiny x_j in dW = dq x^T) fails a 1e-7 relative test though it is right;
    such draws are covered by the exact complex-step tests below instead.
    """
    q = a["W"] @ a["x"] + a["b"] if "W" in a else _pre_activations(a)
    return bool(np.all((np.abs(q) >= 1e-3) & (np.abs(q) <= 3)) and np.all(np.abs(a["x"]) >= 0.1))


def _relu_layer_draw(seed: int, scale: float = 1.0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    M, D = rng.integers(1, 6), rng.integers(1, 6)
    return {"W": scale * rng.normal(size=(M, D)), "b": scale * rng.normal(size=M), "x": rng.normal(size=D),
            "z": scale * rng.normal(size=M)}


@pytest.mark.parametrize("seed", range(20))
def test_relu_layer_gradients_match_numerical(seed: int) -> None:
    """dW, db, dx agree with centred differences to rel error <= 1e-7 (well-scaled draws, q off 0)."""
    a = next(d for k in range(1000) if _well_scaled(d := _relu_layer_draw(1000 * seed + k)))
    loss, grads = backprop.relu_layer_squared_loss(**a)
    assert set(grads) == {"W", "b", "x"}
    for name in grads:
        num = eval_numerical_gradient(lambda v: backprop.relu_layer_squared_loss(**{**a, name: v})[0], a[name].copy())
        assert rel_error(grads[name], num) <= 1e-7, name


@settings(max_examples=60, deadline=None)
@given(seed=seeds, scale=st.sampled_from([1e-2, 1.0, 30.0, 1e3]))
def test_relu_layer_matches_complex_step_oracle(seed: int, scale: float) -> None:
    """On draws of any scale, loss and gradients equal an exact complex-step differentiation (rtol 1e-9)."""
    a = _relu_layer_draw(seed, scale)
    assume(np.min(np.abs(a["W"] @ a["x"] + a["b"])) > 1e-9 * scale)
    loss, grads = backprop.relu_layer_squared_loss(**a)
    assert loss == pytest.approx(float(_relu_layer_loss_complex(**a).real), rel=1e-12)
    for name in ("W", "b", "x"):
        np.testing.assert_allclose(grads[name], _complex_step(_relu_layer_loss_complex, a, name),
                                   rtol=1e-9, atol=1e-12 * scale**2)


def test_relu_layer_derivative_at_zero_pre_activation_is_zero() -> None:
    """A unit whose pre-activation is exactly 0 passes no gradient (ReLU'(0) = 0)."""
    W, b, x, z = np.array([[0.0, 0.0], [1.0, 2.0]]), np.zeros(2), np.array([1.0, 1.0]), np.array([-1.0, 0.0])
    _, grads = backprop.relu_layer_squared_loss(W, b, x, z)
    np.testing.assert_array_equal(grads["b"], [0.0, 6.0])
    np.testing.assert_array_equal(grads["W"][0], [0.0, 0.0])


@pytest.mark.parametrize("shapes", [((3, 2), (3,), (3,), (3,)), ((3, 2), (2,), (2,), (3,)), ((3, 2), (3,), (2,), (2,))])
def test_relu_layer_rejects_mismatched_shapes(shapes) -> None:
    """Shapes other than W (M, D), b (M,), x (D,), z (M,) raise ValueError stating them."""
    with pytest.raises(ValueError, match=r"expected W \(M, D\), b \(M,\), x \(D,\), z \(M,\)"):
        backprop.relu_layer_squared_loss(*(np.ones(s) for s in shapes))


# ---- the exam network -----------------------------------------------------------------------------------
def _exam_loss_complex(x, y, W1, W2, W3, alpha_prelu, alpha_elu) -> complex:
    """L with complex-step support: branches decided on the real part, exp only of the negative side."""
    q1 = W1 @ x
    q2 = np.where(q1.real > 0, q1, alpha_prelu * q1)
    q3 = W2 @ q2
    neg = np.minimum(q3.real, 0) + 1j * q3.imag
    q4 = np.where(q3.real > 0, q3, alpha_elu * (np.exp(neg) - 1))
    q6 = W3 @ q4 - y
    return 0.5 * np.sum(q6 * q6)


def _exam_draw(seed: int, scale: float = 1.0, alpha_prelu: float = 0.2, alpha_elu: float = 1.0) -> dict:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    return {"x": rng.normal(size=n), "y": rng.normal(size=m), "W1": scale * rng.normal(size=(n, n)),
            "W2": scale * rng.normal(size=(n, n)), "W3": rng.normal(size=(m, n)) / np.sqrt(n),
            "alpha_prelu": alpha_prelu, "alpha_elu": alpha_elu}


def _pre_activations(a: dict) -> np.ndarray:
    q1 = a["W1"] @ a["x"]
    return np.concatenate([q1, a["W2"] @ layers.prelu_forward(q1, a["alpha_prelu"])[0]])


@pytest.mark.parametrize("alphas", [(0.2, 1.0), (1.7, 0.5), (0.0, 2.5)])
@pytest.mark.parametrize("seed", range(12))
def test_three_layer_gradients_match_numerical(seed: int, alphas) -> None:
    """dW1, dW2, dW3 agree with centred differences to rel error <= 1e-7 (well-scaled draws, q1, q3 off 0)."""
    a = next(d for k in range(1000) if _well_scaled(d := _exam_draw(1000 * seed + k, 1.0, *alphas)))
    L, grads = backprop.three_layer_prelu_elu(**a)
    assert set(grads) == {"W1", "W2", "W3", "alpha_prelu"}
    for name in ("W1", "W2", "W3"):
        num = eval_numerical_gradient(lambda W: backprop.three_layer_prelu_elu(**{**a, name: W})[0], a[name].copy())
        assert rel_error(grads[name], num) <= 1e-7, name
    num = eval_numerical_gradient(lambda al: backprop.three_layer_prelu_elu(**{**a, "alpha_prelu": float(al[0])})[0],
                                  np.array([a["alpha_prelu"]]))
    assert rel_error(np.array([grads["alpha_prelu"]]), num) <= 1e-7, "alpha_prelu"


def test_three_layer_alpha_gradient_is_a_sum_over_the_negative_units() -> None:
    """dL/dalpha = sum_i dL/dq2_i * min(q1_i, 0): only units with q1 <= 0 contribute (by hand, n = 2, m = 1)."""
    x, y = np.array([1.0, 1.0]), np.array([0.0])
    W1, W2, W3 = np.array([[-1.0, -1.0], [1.0, 0.0]]), np.eye(2), np.array([[1.0, 1.0]])
    # q1 = (-2, 1), q2 = (-0.2, 1), q3 = q2, q4 = (ELU(-0.2), 1), q6 = q5 = ELU(-0.2) + 1
    L, g = backprop.three_layer_prelu_elu(x, y, W1, W2, W3, 0.1, 1.0)
    q6 = np.expm1(-0.2) + 1.0
    dq2 = W2.T @ (np.array([np.exp(-0.2), 1.0]) * (W3.T @ [q6]))
    assert L == pytest.approx(0.5 * q6**2)
    assert g["alpha_prelu"] == pytest.approx(dq2[0] * -2.0, rel=1e-12)


@settings(max_examples=80, deadline=None)
@given(seed=seeds, scale=st.sampled_from([1e-3, 1.0, 10.0, 300.0]), alpha_prelu=prelu_alphas, alpha_elu=elu_alphas)
def test_three_layer_matches_complex_step_oracle_on_large_pre_activations(seed, scale, alpha_prelu, alpha_elu) -> None:
    """Many draws, pre-activations up to ~1e5 either sign: L and gradients equal a complex-step oracle, no warnings."""
    a = _exam_draw(seed, scale, alpha_prelu, alpha_elu)
    assume(np.min(np.abs(_pre_activations(a))) > 1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            L, grads = backprop.three_layer_prelu_elu(**a)
    assert L == pytest.approx(float(_exam_loss_complex(**a).real), rel=1e-12, abs=1e-300)
    dalpha = _exam_loss_complex(**{**a, "alpha_prelu": a["alpha_prelu"] + 1e-30j}).imag / 1e-30
    assert grads["alpha_prelu"] == pytest.approx(dalpha, rel=1e-9, abs=1e-12 * (1 + abs(dalpha)))
    for name in ("W1", "W2", "W3"):
        want = _complex_step(_exam_loss_complex, a, name)
        np.testing.assert_allclose(grads[name], want, rtol=1e-9, atol=1e-12 * max(1.0, np.abs(want).max()))


def test_three_layer_derivatives_at_zero_take_alpha() -> None:
    """Zero rows of W1 / W2 make q1 / q3 exactly 0: the backward pass then uses PReLU' = ELU' = alpha."""
    x, y = np.array([1.0, 2.0]), np.array([3.0])
    W1 = np.array([[0.0, 0.0], [1.0, 1.0]])
    W2 = np.array([[0.0, 0.0], [0.5, 0.5]])
    W3 = np.array([[2.0, 1.0]])
    L, g = backprop.three_layer_prelu_elu(x, y, W1, W2, W3, 0.3, 0.7)
    # q1 = (0, 3), q2 = (0, 3), q3 = (0, 1.5), q4 = (0, 1.5), q5 = 1.5, q6 = -1.5
    assert L == pytest.approx(1.125)
    np.testing.assert_allclose(g["W2"][0], 0.7 * 2.0 * -1.5 * np.array([0.0, 3.0]))  # ELU'(0) = alpha_elu
    dq3 = np.array([0.7 * 2.0 * -1.5, 1.0 * -1.5])
    dq2 = W2.T @ dq3
    np.testing.assert_allclose(g["W1"][0], 0.3 * dq2[0] * x)  # PReLU'(0) = alpha_prelu


def test_three_layer_names_its_intermediates_like_the_lecture() -> None:
    """The reference assigns q1 ... q6 and L, and no variable `p` (the course's dropout name)."""
    src = inspect.getsource(inspect.unwrap(backprop.three_layer_prelu_elu))
    assigned = {t.id for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}
    assert {"q1", "q2", "q3", "q4", "q5", "q6", "L"} <= assigned and "p" not in assigned


@pytest.mark.parametrize("kwargs,match", [
    ({"alpha_elu": -0.1}, "alpha_elu must be >= 0"),
    ({"W1": np.ones((3, 2))}, r"expected x \(n,\), y \(m,\), W1 \(n, n\)"),
    ({"W3": np.ones((2, 3))}, r"W3 \(m, n\)"),
    ({"alpha_prelu": np.ones(2)}, "alpha_prelu must be a finite number"),
])
def test_three_layer_rejects_bad_input(kwargs, match: str) -> None:
    """Bad shapes, alpha_elu < 0 or a non-scalar alpha raise ValueError saying what was expected."""
    a = {"x": np.ones(2), "y": np.ones(1), "W1": np.ones((2, 2)), "W2": np.ones((2, 2)), "W3": np.ones((1, 2)),
         "alpha_prelu": 0.1, "alpha_elu": 1.0}
    with pytest.raises(ValueError, match=match):
        backprop.three_layer_prelu_elu(**{**a, **kwargs})


# ---- the exam graph -------------------------------------------------------------------------------------
@given(n=st.integers(1, 50), m=st.integers(1, 50))
def test_exam_graph_is_the_chain_of_the_lecture(n: int, m: int) -> None:
    """Nodes q1..q6, L; each parent is an input or an earlier node; shapes match the network's arrays."""
    g = backprop.exam_graph(n, m)
    assert list(g) == list(backprop.EXAM_NODES)
    seen = set(backprop.EXAM_INPUTS)
    for name, node in g.items():
        assert node["op"] in backprop.EXAM_OPS and set(node["parents"]) <= seen
        seen.add(name)
    a = {"x": np.ones(n), "y": np.ones(m), "W1": np.ones((n, n)), "W2": np.ones((n, n)), "W3": np.ones((m, n))}
    assert g["q1"]["shape"] == np.shape(a["W1"] @ a["x"]) and g["q5"]["shape"] == (m,) and g["L"]["shape"] == ()


@pytest.mark.parametrize("n,m", [(0, 2), (2, -1), (2.5, 2), (True, 2)])
def test_exam_graph_rejects_bad_sizes(n, m) -> None:
    """Sizes that are not positive integers raise ValueError."""
    with pytest.raises(ValueError, match="must be a positive integer"):
        backprop.exam_graph(n, m)


# ---- the provided XOR trainer ---------------------------------------------------------------------------
def test_relu_net_fits_xor_and_a_linear_one_cannot() -> None:
    """A 2-layer ReLU net separates XOR; the same net with an identity activation (linear) cannot."""
    X, y = data.make_xor(200, noise=0.2, seed=0)
    predict, history = backprop.train_two_layer_net(X, y, 8, layers.relu_forward, layers.relu_backward, seed=0)
    assert np.mean(predict(X) == y) >= 0.95 and history[-1] < history[0]
    predict, _ = backprop.train_two_layer_net(X, y, 8, lambda v: (v, None), lambda d, c: d, seed=0)
    assert np.mean(predict(X) == y) <= 0.75
