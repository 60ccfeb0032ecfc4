"""Tests of course.gradcheck: centred differences match known analytic gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course.gradcheck import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)

TOL = 1e-7  # DESIGN.md: analytic vs numerical, float64, h = 1e-5


def test_sum_of_squares_gradient_is_2x():
    """d/dx sum(x^2) = 2x, numerically to rel error <= 1e-7."""
    x = np.random.default_rng(0).standard_normal((4, 5))
    grad = eval_numerical_gradient(lambda a: np.sum(a**2), x)
    assert grad.shape == x.shape and grad.dtype == np.float64
    assert rel_error(grad, 2 * x) <= TOL


def test_sin_gradient_is_cos():
    """d/dx sum(sin x) = cos x, numerically to rel error <= 1e-7."""
    x = np.random.default_rng(1).uniform(-1.2, 1.2, size=(3, 4))
    grad = eval_numerical_gradient(lambda a: np.sum(np.sin(a)), x)
    assert rel_error(grad, np.cos(x)) <= TOL


def test_matrix_product_backprop_with_df():
    """For out = x @ w with upstream df: dx = df @ w.T and dw = x.T @ df."""
    rng = np.random.default_rng(2)
    x, w, df = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    dx = eval_numerical_gradient_array(lambda a: a @ w, x, df)
    dw = eval_numerical_gradient_array(lambda a: x @ a, w, df)
    assert rel_error(dx, df @ w.T) <= TOL
    assert rel_error(dw, x.T @ df) <= TOL


def test_array_version_copies_outputs_that_alias_x():
    """An f returning x itself (identity, a view) still gives dx = df."""
    rng = np.random.default_rng(3)
    x, df = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    assert rel_error(eval_numerical_gradient_array(lambda a: a, x, df), df) <= TOL


def test_x_is_restored_exactly():
    """Every checker leaves x bit-for-bit as it found it."""
    x = np.random.default_rng(4).standard_normal((3, 3))
    before = x.copy()
    eval_numerical_gradient(lambda a: np.sum(a**3), x)
    eval_numerical_gradient_array(np.tanh, x, np.ones_like(x))
    grad_check_sparse(lambda a: np.sum(a**3), x, 3 * x**2, num_checks=5)
    assert np.array_equal(x, before)


def test_x_is_restored_when_f_raises():
    """If f raises mid-perturbation, x is restored before the error propagates."""
    x = np.zeros(3)
    calls = []

    def f(a):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return float(np.sum(a))

    with pytest.raises(RuntimeError):
        eval_numerical_gradient(f, x)
    assert np.array_equal(x, np.zeros(3))


def test_verbose_prints_and_default_is_silent(capsys):
    """eval_numerical_gradient prints one line per entry only when verbose=True."""
    x = np.ones(3)
    eval_numerical_gradient(np.sum, x)
    assert capsys.readouterr().out == ""
    eval_numerical_gradient(np.sum, x, verbose=True)
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_non_float64_x_is_rejected():
    """An int or float32 x raises TypeError (in-place steps of 1e-5 would be lost or imprecise)."""
    with pytest.raises(TypeError, match="float64"):
        eval_numerical_gradient(np.sum, np.arange(3))
    with pytest.raises(TypeError, match="float64"):
        eval_numerical_gradient(np.sum, np.ones(3, dtype=np.float32))


def test_non_scalar_f_is_rejected():
    """eval_numerical_gradient on an array-valued f raises ValueError pointing to the array version."""
    with pytest.raises(ValueError, match="eval_numerical_gradient_array"):
        eval_numerical_gradient(lambda a: 2 * a, np.ones(3))


def test_df_shape_mismatch_is_rejected():
    """df of a different shape than f(x) raises ValueError stating both shapes."""
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        eval_numerical_gradient_array(lambda a: a, np.ones((2, 3)), np.ones(6))


def test_sparse_check_small_for_correct_and_large_for_wrong_gradient():
    """grad_check_sparse returns <= 1e-7 for the true gradient and >> 1e-7 for a wrong one."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((10, 10))
    f = lambda a: np.sum(a**2)  # noqa: E731
    assert grad_check_sparse(f, x, 2 * x) <= TOL
    assert grad_check_sparse(f, x, 2.01 * x) > 1e-3


def test_sparse_check_is_seeded_and_leaves_global_rng_alone():
    """Same seed -> same entries and result; the global numpy RNG state is untouched."""
    x = np.random.default_rng(6).standard_normal(50)
    wrong = 2 * x + np.random.default_rng(7).standard_normal(50)
    f = lambda a: np.sum(a**2)  # noqa: E731
    state = np.random.get_state()
    a = grad_check_sparse(f, x, wrong, num_checks=5, seed=3)
    b = grad_check_sparse(f, x, wrong, num_checks=5, seed=3)
    after = np.random.get_state()
    assert a == b
    assert all(np.array_equal(s, t) for s, t in zip(state, after))


def test_sparse_check_verbose_lines(capsys):
    """grad_check_sparse prints num_checks lines with verbose=True and nothing by default."""
    x = np.random.default_rng(8).standard_normal((4, 4))
    grad_check_sparse(np.sum, x, np.ones_like(x), num_checks=4)
    assert capsys.readouterr().out == ""
    grad_check_sparse(np.sum, x, np.ones_like(x), num_checks=4, verbose=True)
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_sparse_check_rejects_bad_arguments():
    """A wrongly shaped analytic gradient or num_checks < 1 raises ValueError."""
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match="shape"):
        grad_check_sparse(np.sum, x, np.ones(4))
    with pytest.raises(ValueError, match="num_checks"):
        grad_check_sparse(np.sum, x, np.ones_like(x), num_checks=0)


def test_rel_error_zero_for_equal_and_symmetric():
    """rel_error(x, x) = 0 and rel_error(x, y) = rel_error(y, x)."""
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    assert rel_error(x, x) == 0.0
    assert rel_error(x, y) == rel_error(y, x)
    assert isinstance(rel_error(x, y), float)


def test_rel_error_known_values_and_floor():
    """rel_error(1, 1.1) = 0.1/2.1; two tiny numbers are compared against the 1e-8 floor."""
    assert rel_error(1.0, 1.1) == pytest.approx(0.1 / 2.1)
    assert rel_error(0.0, 1e-12) == pytest.approx(1e-12 / 1e-8)


def test_rel_error_rejects_shape_mismatch():
    """(N,) vs (N, 1) raises ValueError instead of silently broadcasting to (N, N)."""
    with pytest.raises(ValueError, match="shape"):
        rel_error(np.ones(3), np.ones((3, 1)))


finite = st.floats(min_value=0.5, max_value=2.0) | st.floats(min_value=-2.0, max_value=-0.5)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@settings(max_examples=30, deadline=None)
@given(x=hnp.arrays(np.float64, shapes, elements=finite), data=st.data())
def test_property_random_shapes_match_analytic(x, data):
    """On random shapes: sum(c*x^2) and (x*c, df) give 2cx and c*df to 1e-7, and x is restored."""
    c = data.draw(hnp.arrays(np.float64, x.shape, elements=finite))
    df = data.draw(hnp.arrays(np.float64, x.shape, elements=finite))
    before = x.copy()
    grad = eval_numerical_gradient(lambda a: np.sum(c * a**2), x)
    assert rel_error(grad, 2 * c * x) <= TOL
    dx = eval_numerical_gradient_array(lambda a: a * c, x, df)
    assert rel_error(dx, c * df) <= TOL
    assert np.array_equal(x, before)
