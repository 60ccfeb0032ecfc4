"""Machine-learning concepts (assignment a0_concepts): cost functions, model complexity, data splits and
maximum-likelihood classification with class-conditional Gaussians.

Exercise ids: ``concepts.squared_loss``, ``concepts.absolute_loss``, ``concepts.cross_entropy``,
``concepts.polynomial_features``, ``concepts.fit_least_squares``, ``concepts.train_val_test_split``,
``concepts.fit_gaussian_classes``, ``concepts.predict_gaussian``.
"""

import functools
import numbers
from typing import Any, Callable

import numpy as np

# Argument validation lives in decorators so that the function bodies below are exactly the solutions the
# notebook shows (autograder/authoring.py copies them into the solution regions, without decorators).


def _as_float_vector(name: str, a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array (N,), got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _as_matrix(name: str, a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (N, D), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _as_labels(name: str, a: Any, N: int) -> np.ndarray:
    arr = np.asarray(a)
    if arr.shape != (N,):
        raise ValueError(f"{name} must have shape ({N},) (one label per row), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0:
        raise ValueError(f"{name} must hold non-negative integer labels 0..C-1, got dtype {arr.dtype}"
                         + (f" with minimum {arr.min()}" if np.issubdtype(arr.dtype, np.number) else ""))
    return arr.astype(np.int64)


def _validate_regression_loss_args(fn: Callable[..., float]) -> Callable[..., float]:
    @functools.wraps(fn)
    def wrapper(y_pred: np.ndarray, y: np.ndarray) -> float:
        y_pred, y = _as_float_vector("y_pred", y_pred), _as_float_vector("y", y)
        if y_pred.shape != y.shape:
            raise ValueError(f"y_pred and y must have the same shape (N,), got {y_pred.shape} and {y.shape}")
        return fn(y_pred, y)

    return wrapper


@_validate_regression_loss_args
def squared_loss(y_pred: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error L = (1/N) sum_i (y_pred_i - y_i)^2.

    y_pred: (N,), y: (N,) -> a float. Minimised by the mean: the Gaussian-noise (maximum-likelihood) loss.
    """
    return float(np.mean((y_pred - y) ** 2))


@_validate_regression_loss_args
def absolute_loss(y_pred: np.ndarray, y: np.ndarray) -> float:
    """Mean absolute error L = (1/N) sum_i |y_pred_i - y_i|.

    y_pred: (N,), y: (N,) -> a float. Minimised by the median: the Laplace-noise (maximum-likelihood) loss.
    """
    return float(np.mean(np.abs(y_pred - y)))


def _validate_cross_entropy_args(fn: Callable[..., float]) -> Callable[..., float]:
    @functools.wraps(fn)
    def wrapper(p: np.ndarray, y: np.ndarray) -> float:
        p = _as_matrix("p", p)
        if np.any(p < 0) or np.any(p > 1) or not np.allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-6):
            raise ValueError("p must hold probabilities: entries in [0, 1] and every row (one sample's "
                             "distribution over the C classes) summing to 1")
        y = _as_labels("y", y, p.shape[0])
        if y.max() >= p.shape[1]:
            raise ValueError(f"y must hold labels 0..C-1 = 0..{p.shape[1] - 1} for p with C={p.shape[1]} columns, "
                             f"got label {y.max()}")
        return fn(p, y)

    return wrapper


@_validate_cross_entropy_args
def cross_entropy(p: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy (negative log-likelihood) L = -(1/N) sum_i log p[i, y_i].

    p: (N, C) predicted class probabilities (rows sum to 1), y: (N,) int labels in 0..C-1 -> a float.
    The categorical likelihood's loss; C = 2 is the Bernoulli case. A zero probability on the true class
    gives an infinite loss.
    """
    N = p.shape[0]
    return float(-np.mean(np.log(p[np.arange(N), y])))


def _validate_polynomial_args(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    @functools.wraps(fn)
    def wrapper(x: np.ndarray, degree: int) -> np.ndarray:
        x = _as_float_vector("x", x)
        if isinstance(degree, bool) or not isinstance(degree, numbers.Integral) or degree < 0:
            raise ValueError(f"degree must be an integer >= 0, got {degree!r}")
        return fn(x, int(degree))

    return wrapper


@_validate_polynomial_args
def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """The powers x^0, x^1, ..., x^degree of every sample, as columns.

    x: (N,) -> Phi: (N, degree + 1) with Phi[i, k] = x_i ** k (so column 0 is all ones).
    """
    return x[:, None] ** np.arange(degree + 1)


def _validate_least_squares_args(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    @functools.wraps(fn)
    def wrapper(X: np.ndarray, y: np.ndarray, reg: float = 0.0) -> np.ndarray:
        X, y = _as_matrix("X", X), _as_float_vector("y", y)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"expected X (N, D) and y (N,) with the same N, got {X.shape} and {y.shape}")
        if isinstance(reg, bool) or not isinstance(reg, numbers.Real) or not np.isfinite(reg) or reg < 0:
            raise ValueError(f"reg must be a finite number >= 0, got {reg!r}")
        return fn(X, y, reg=float(reg))

    return wrapper


@_validate_least_squares_args
def fit_least_squares(X: np.ndarray, y: np.ndarray, reg: float = 0.0) -> np.ndarray:
    """(Regularized) least squares: w = argmin ||Xw - y||^2 + reg ||w||^2 = (X^T X + reg I)^{-1} X^T y.

    X: (N, D), y: (N,), reg >= 0 -> w: (D,). Every weight is regularized (the constant column too).
    With reg = 0 and a rank-deficient X, X^T X is singular: np.linalg.solve fails or returns garbage.
    """
    D = X.shape[1]
    A = X.T @ X + reg * np.eye(D)
    return np.linalg.solve(A, X.T @ y)


def _validate_split_args(fn: Callable[..., tuple[np.ndarray, ...]]) -> Callable[..., tuple[np.ndarray, ...]]:
    @functools.wraps(fn)
    def wrapper(X: np.ndarray, y: np.ndarray, val_fraction: float, test_fraction: float,
                seed: int) -> tuple[np.ndarray, ...]:
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
            raise ValueError(f"expected X (N, D) and y (N,) with the same N >= 1, got {X.shape} and {y.shape}")
        for name, f in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
            if isinstance(f, bool) or not isinstance(f, numbers.Real) or not 0 <= f < 1:
                raise ValueError(f"{name} must be a number in [0, 1), got {f!r}")
        N = X.shape[0]
        if round(val_fraction * N) + round(test_fraction * N) >= N:
            raise ValueError(f"val_fraction={val_fraction} and test_fraction={test_fraction} leave no training rows "
                             f"out of N={N}: their rounded sizes must sum to less than N")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
        return fn(X, y, val_fraction, test_fraction, int(seed))

    return wrapper


@_validate_split_args
def train_val_test_split(
    X: np.ndarray, y: np.ndarray, val_fraction: float, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the rows once and cut them into training, validation and test sets.

    X: (N, D), y: (N,). Sizes: round(val_fraction * N) validation rows and round(test_fraction * N) test rows
    (Python's round), the rest for training. Shuffle with np.random.default_rng(seed).permutation(N): the training
    set takes the first rows of that permutation, the validation set the next ones, the test set the last ones.
    Returns (X_train, y_train, X_val, y_val, X_test, y_test).
    """
    N = X.shape[0]
    n_val = round(val_fraction * N)
    n_test = round(test_fraction * N)
    n_train = N - n_val - n_test
    perm = np.random.default_rng(seed).permutation(N)
    train, val, test = perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]
    return X[train], y[train], X[val], y[val], X[test], y[test]


def _validate_fit_gaussian_args(fn: Callable[..., dict[str, np.ndarray]]) -> Callable[..., dict[str, np.ndarray]]:
    @functools.wraps(fn)
    def wrapper(X: np.ndarray, y: np.ndarray, shared_covariance: bool = False) -> dict[str, np.ndarray]:
        X = _as_matrix("X", X)
        y = _as_labels("y", y, X.shape[0])
        counts = np.bincount(y)
        if np.any(counts == 0):
            raise ValueError(f"class {int(np.argmin(counts))} has no samples: y must use the labels 0..C-1 "
                             "with every class present")
        return fn(X, y, shared_covariance=bool(shared_covariance))

    return wrapper


@_validate_fit_gaussian_args
def fit_gaussian_classes(X: np.ndarray, y: np.ndarray, shared_covariance: bool = False) -> dict[str, np.ndarray]:
    """Maximum-likelihood class-conditional Gaussians p(x | c) = N(x; mu_c, Sigma_c) and priors p(c).

    X: (N, D), y: (N,) labels 0..C-1 (every class present) -> {"means": (C, D), "covariances": (C, D, D),
    "priors": (C,)}: mu_c the class mean, Sigma_c = (1/N_c) sum_{i: y_i=c} (x_i - mu_c)(x_i - mu_c)^T (ML divides
    by N_c, not N_c - 1), pi_c = N_c / N. With shared_covariance every class gets the pooled ML covariance
    Sigma = sum_c (N_c / N) Sigma_c.
    """
    N, D = X.shape
    C = y.max() + 1
    means, covariances, priors = np.zeros((C, D)), np.zeros((C, D, D)), np.zeros(C)
    for c in range(C):
        Xc = X[y == c]
        means[c] = Xc.mean(axis=0)
        diff = Xc - means[c]
        covariances[c] = diff.T @ diff / len(Xc)  # ML: divide by N_c, not N_c - 1
        priors[c] = len(Xc) / N
    if shared_covariance:
        pooled = np.sum(priors[:, None, None] * covariances, axis=0)  # sum_c (N_c / N) Sigma_c
        covariances = np.tile(pooled, (C, 1, 1))
    return {"means": means, "covariances": covariances, "priors": priors}


def _validate_predict_gaussian_args(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    @functools.wraps(fn)
    def wrapper(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
        if not isinstance(params, dict) or not {"means", "covariances", "priors"} <= set(params):
            raise ValueError("params must be a dict with keys 'means' (C, D), 'covariances' (C, D, D) and "
                             "'priors' (C,), as fit_gaussian_classes returns")
        means, covs, priors = (np.asarray(params[k], dtype=np.float64) for k in ("means", "covariances", "priors"))
        X = _as_matrix("X", X)
        C, D = priors.shape[0] if priors.ndim == 1 else -1, X.shape[1]
        if priors.ndim != 1 or means.shape != (C, D) or covs.shape != (C, D, D):
            raise ValueError(f"for X with D={D} features expected means (C, {D}), covariances (C, {D}, {D}) and "
                             f"priors (C,), got {means.shape}, {covs.shape} and {priors.shape}")
        if np.any(priors <= 0) or not np.isclose(priors.sum(), 1.0, rtol=0, atol=1e-6):
            raise ValueError(f"priors must be positive and sum to 1, got {priors}")
        for c in range(C):
            if not np.allclose(covs[c], covs[c].T) or np.any(np.linalg.eigvalsh(covs[c]) <= 0):
                raise ValueError(f"covariances[{c}] must be symmetric positive definite")
        return fn({"means": means, "covariances": covs, "priors": priors}, X)

    return wrapper


@_validate_predict_gaussian_args
def predict_gaussian(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """The class with the largest posterior, argmax_c [log pi_c + log N(x; mu_c, Sigma_c)].

    params: {"means": (C, D), "covariances": (C, D, D), "priors": (C,)}, X: (N, D) -> y_pred: (N,) ints.
    log N(x; mu, Sigma) = -1/2 [(x - mu)^T Sigma^{-1} (x - mu) + log det Sigma + D log 2 pi]; work with logs,
    since the densities themselves underflow far from the means. Ties go to the smallest label.
    """
    means, covariances, priors = params["means"], params["covariances"], params["priors"]
    N, D = X.shape
    C = len(priors)
    log_post = np.zeros((N, C))
    for c in range(C):
        diff = X - means[c]  # (N, D)
        mahalanobis = np.sum(diff * np.linalg.solve(covariances[c], diff.T).T, axis=1)
        _, logdet = np.linalg.slogdet(covariances[c])
        log_post[:, c] = np.log(priors[c]) - 0.5 * (mahalanobis + logdet + D * np.log(2 * np.pi))
    return np.argmax(log_post, axis=1)
