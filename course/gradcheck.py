"""Numerical gradient checking (centred differences, float64), CS231n-compatible.

The one gradient checker and the one ``rel_error`` of the course: notebooks, the visible checks, the
autograder and the tests all import them from here.

A centred difference ``(f(x + h) - f(x - h)) / (2h)`` has truncation error O(h^2); with ``h = 1e-5`` and
float64 inputs a correct analytic gradient of a smooth function agrees to a relative error of about 1e-7 or
better. Near a kink (ReLU, max) the two can disagree for a correct gradient: choose inputs away from it.

Every function here perturbs ``x`` IN PLACE, one entry at a time, and restores it exactly before returning
(also when ``f`` raises), so ``f`` must read ``x`` each time it is called rather than a copy made earlier.
"""

from collections.abc import Callable

import numpy as np

__all__ = [
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "grad_check_sparse",
    "rel_error",
]


def _check_x(x: np.ndarray, h: float) -> None:
    """Reject inputs a centred difference cannot be taken on in place."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array (perturbed in place), got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(
            f"x must have dtype float64 for an accurate numerical gradient, got {x.dtype}; "
            "convert it first with x = x.astype(np.float64)"
        )
    if not np.isfinite(h) or h <= 0:
        raise ValueError(f"h must be a finite step > 0, got {h!r}")


def _scalar(value: object) -> float:
    """Return ``value`` as a Python float, or explain that f must return a scalar."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(
            f"f must return a scalar, got an array of shape {arr.shape}; "
            "for array-valued f use eval_numerical_gradient_array(f, x, df)"
        )
    return float(arr.reshape(()))


def eval_numerical_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    verbose: bool = False,
    h: float = 1e-5,
) -> np.ndarray:
    """Numerical gradient of a scalar function ``f`` at ``x`` by centred differences.

    f: maps an array shaped like x to a scalar (e.g. a loss).
    x: (any shape) float64 array; modified in place during the call and restored exactly.
    verbose: print each index and its partial derivative.
    h: step size.
    Returns grad: same shape as x, grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h).
    """
    _check_x(x, h)
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        oldval = x[ix]
        try:
            x[ix] = oldval + h
            fxph = _scalar(f(x))
            x[ix] = oldval - h
            fxmh = _scalar(f(x))
        finally:
            x[ix] = oldval
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    df: np.ndarray,
    h: float = 1e-5,
) -> np.ndarray:
    """Numerical gradient of ``sum(f(x) * df)`` for an array-valued ``f`` (backpropagating ``df``).

    f: maps an array shaped like x to an array shaped like df (e.g. a layer's forward pass).
    x: (any shape) float64 array; modified in place during the call and restored exactly.
    df: upstream gradient, same shape as f(x).
    h: step size.
    Returns dx: same shape as x, dx[i] = sum((f(x + h e_i) - f(x - h e_i)) * df) / (2h).
    """
    _check_x(x, h)
    df = np.asarray(df)
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        oldval = x[ix]
        try:
            x[ix] = oldval + h
            pos = np.array(f(x), dtype=np.float64)  # a copy: f may return a view of x
            x[ix] = oldval - h
            neg = np.array(f(x), dtype=np.float64)
        finally:
            x[ix] = oldval
        if pos.shape != df.shape:
            raise ValueError(
                f"df must have the shape of f(x): f(x) has shape {pos.shape}, df has shape {df.shape}"
            )
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def grad_check_sparse(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    analytic_grad: np.ndarray,
    num_checks: int = 10,
    h: float = 1e-5,
    seed: int = 0,
    verbose: bool = False,
) -> float:
    """Compare ``analytic_grad`` with centred differences of ``f`` at a few random entries of ``x``.

    f: maps an array shaped like x to a scalar.
    x: (any shape) float64 array; modified in place during the call and restored exactly.
    analytic_grad: same shape as x, the gradient under test.
    num_checks: number of distinct entries checked (all of them if num_checks >= x.size).
    seed: seeds ``np.random.default_rng`` to pick the entries; the global RNG is never used.
    verbose: print one line per entry (numerical, analytic, relative error).
    Returns the maximum relative error (as in ``rel_error``) over the checked entries.
    """
    _check_x(x, h)
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(
            f"analytic_grad must have the shape of x: x has shape {x.shape}, "
            f"analytic_grad has shape {analytic_grad.shape}"
        )
    if isinstance(num_checks, bool) or not isinstance(num_checks, (int, np.integer)) or num_checks < 1:
        raise ValueError(f"num_checks must be an integer >= 1, got {num_checks!r}")
    if x.size == 0:
        raise ValueError("x is empty: there is no entry to check")
    rng = np.random.default_rng(seed)
    flat = rng.choice(x.size, size=min(int(num_checks), x.size), replace=False)
    errors = []
    for i in flat:
        ix = np.unravel_index(int(i), x.shape)
        oldval = x[ix]
        try:
            x[ix] = oldval + h
            fxph = _scalar(f(x))
            x[ix] = oldval - h
            fxmh = _scalar(f(x))
        finally:
            x[ix] = oldval
        numerical = (fxph - fxmh) / (2 * h)
        analytic = float(analytic_grad[ix])
        err = rel_error(numerical, analytic)
        if verbose:
            print(f"{tuple(int(j) for j in ix)}: numerical {numerical:.6e} analytic {analytic:.6e}, "
                  f"relative error {err:.3e}")
        errors.append(err)
    return float(np.max(errors))  # NaN if any entry gave NaN


def rel_error(x: np.ndarray | float, y: np.ndarray | float) -> float:
    """Maximum relative error ``max(|x - y| / max(1e-8, |x| + |y|))``.

    x, y: arrays of the same shape (or two scalars). Symmetric in x and y; 0.0 when they are equal.
    Shapes must match exactly (no broadcasting, which would hide an (N,) vs (N, 1) mistake).
    Returns a Python float (NaN if either input holds a NaN).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error needs arrays of the same shape, got {x.shape} and {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))
