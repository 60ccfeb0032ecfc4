"""Linear classifiers (assignment a2_linear): multiclass SVM (hinge) and softmax losses, minibatch SGD.

Exercise ids: ``linear.svm_loss_naive``, ``linear.svm_loss_vectorized``, ``linear.softmax_loss_naive``,
``linear.softmax_loss_vectorized``, ``linear.train``, ``linear.predict``.

Shapes: W (D, C) weights, X (N, D) data (a bias is a column of ones appended to X), y (N,) integer labels in
0 .. C-1. Every loss returns ``(loss, dW)``: the data loss averaged over the N samples plus the regularization
``reg * sum(W * W)`` (no factor 1/2 for linear classifiers; the nets of later assignments use 0.5·reg), and
its gradient dW (D, C).

``train`` and ``predict`` are the methods of ``LinearClassifier``, written as module-level functions so that
each is its own exercise (the notebook shows them as functions taking ``self``; the class attaches them).
"""

import functools
import numbers
from typing import Any, Callable

import numpy as np

# Argument validation lives in decorators so that the function bodies below are exactly the solutions the
# notebook shows (autograder/authoring.py copies them into the solution regions, without decorators).

LossFn = Callable[[np.ndarray, np.ndarray, np.ndarray, float], tuple[float, np.ndarray]]


def _check_labels(y: np.ndarray, N: int, C: int | None) -> None:
    """Raise ValueError unless y is (N,) integers in 0 .. C-1 (any non-negative integers if C is None)."""
    if y.ndim != 1 or y.shape[0] != N:
        raise ValueError(f"y must have shape (N,) = ({N},) to match X, got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or (C is not None and y.max() >= C)):
        top = f"{C - 1}" if C is not None else "C-1"
        raise ValueError(f"y must hold labels in 0 .. {top}, got values in {y.min()} .. {y.max()}")


def _check_reg(reg: Any) -> float:
    if isinstance(reg, bool) or not isinstance(reg, numbers.Real) or not np.isfinite(reg) or reg < 0:
        raise ValueError(f"reg must be a finite number >= 0, got {reg!r}")
    return float(reg)


def _validate_loss_args(fn: LossFn) -> LossFn:
    @functools.wraps(fn)
    def wrapper(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
        W, X, y = np.asarray(W), np.asarray(X), np.asarray(y)
        if W.ndim != 2 or W.shape[1] < 2:
            raise ValueError(f"W must be a 2-D array (D, C) with C >= 2 classes, got shape {W.shape}")
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(f"X must be a non-empty 2-D array (N, D), got shape {X.shape}")
        if X.shape[1] != W.shape[0]:
            raise ValueError(
                f"X has D={X.shape[1]} features but W has D={W.shape[0]} rows: expected W (D, C) and X (N, D) "
                "with the same D (did you forget the bias column?)"
            )
        _check_labels(y, X.shape[0], W.shape[1])
        # np.asarray: no copy when the arrays already are float64 (a copy of X costs as much as X @ W)
        return fn(np.asarray(W, dtype=np.float64), np.asarray(X, dtype=np.float64), y, _check_reg(reg))

    return wrapper


@_validate_loss_args
def svm_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Multiclass SVM (hinge) loss and its gradient, with explicit loops.

    W: (D, C), X: (N, D), y: (N,) ints in 0 .. C-1, reg: L2 strength.
    L = 1/N sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + 1) + reg * sum(W * W), with s_i = X[i] @ W.
    Returns (loss: float, dW: (D, C)).
    """
    dW = np.zeros_like(W)
    num_train, num_classes = X.shape[0], W.shape[1]
    loss = 0.0
    for i in range(num_train):
        scores = X[i] @ W  # (C,)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1.0  # delta = 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]  # d margin / d W[:, j] = x_i
                dW[:, y[i]] -= X[i]  # d margin / d W[:, y_i] = -x_i
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    return float(loss), dW


@_validate_loss_args
def svm_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Multiclass SVM (hinge) loss and its gradient, without loops.

    W: (D, C), X: (N, D), y: (N,) ints in 0 .. C-1 -> (loss: float, dW: (D, C)); same values as svm_loss_naive.
    """
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X @ W  # (N, C)
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)
    margins[rows, y] = 0.0  # the correct class is not a margin
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    # dL/dscores: +1 for every positive margin, and minus their number at the correct class
    dscores = (margins > 0).astype(np.float64)
    dscores[rows, y] = -dscores.sum(axis=1)
    dW = X.T @ dscores / num_train + 2 * reg * W
    return float(loss), dW


@_validate_loss_args
def softmax_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Softmax (cross-entropy) loss and its gradient, with explicit loops.

    W: (D, C), X: (N, D), y: (N,) ints in 0 .. C-1, reg: L2 strength.
    L = 1/N sum_i -log(e^{s_iy_i} / sum_j e^{s_ij}) + reg * sum(W * W), with s_i = X[i] @ W.
    Shift the scores by their maximum first (softmax is unchanged, exp cannot overflow).
    Returns (loss: float, dW: (D, C)).
    """
    dW = np.zeros_like(W)
    num_train, num_classes = X.shape[0], W.shape[1]
    loss = 0.0
    for i in range(num_train):
        scores = X[i] @ W  # (C,)
        scores = scores - np.max(scores)  # numerical stability
        log_sum = np.log(np.sum(np.exp(scores)))
        loss += log_sum - scores[y[i]]  # -log p_{y_i}
        for j in range(num_classes):
            p_j = np.exp(scores[j] - log_sum)
            dW[:, j] += (p_j - (j == y[i])) * X[i]  # dL_i/ds_ij = p_j - 1[j = y_i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    return float(loss), dW


@_validate_loss_args
def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Softmax (cross-entropy) loss and its gradient, without loops.

    W: (D, C), X: (N, D), y: (N,) ints in 0 .. C-1 -> (loss: float, dW: (D, C)); same values as
    softmax_loss_naive.
    """
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X @ W  # (N, C)
    scores -= scores.max(axis=1, keepdims=True)  # numerical stability
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)  # softmax probabilities p
    dscores[rows, y] -= 1.0  # dL_i/ds_i = p - onehot(y_i)
    dW = X.T @ dscores / num_train + 2 * reg * W
    return float(loss), dW


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _validate_train_args(fn: Callable[..., list[float]]) -> Callable[..., list[float]]:
    @functools.wraps(fn)
    def wrapper(self: Any, X: np.ndarray, y: np.ndarray, learning_rate: float = 1e-3, reg: float = 1e-5,
                num_iters: int = 100, batch_size: int = 200, verbose: bool = False, seed: int = 0) -> list[float]:
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2 or X.shape[0] == 0:
            raise ValueError(f"X must be a non-empty 2-D array (N, D), got shape {X.shape}")
        W = getattr(self, "W", None)
        C = None if W is None else np.shape(W)[1]
        if W is not None and np.shape(W)[0] != X.shape[1]:
            raise ValueError(f"X has D={X.shape[1]} features but self.W has shape {np.shape(W)}: expected (D, C)")
        _check_labels(y, X.shape[0], C)
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) \
                or not np.isfinite(learning_rate) or learning_rate < 0:
            raise ValueError(f"learning_rate must be a finite number >= 0, got {learning_rate!r}")
        return fn(self, X, y, learning_rate=float(learning_rate), reg=_check_reg(reg),
                  num_iters=_check_count("num_iters", num_iters, 0),
                  batch_size=_check_count("batch_size", batch_size, 1), verbose=verbose,
                  seed=_check_count("seed", seed, 0))

    return wrapper


@_validate_train_args
def train(self, X: np.ndarray, y: np.ndarray, learning_rate: float = 1e-3, reg: float = 1e-5,
          num_iters: int = 100, batch_size: int = 200, verbose: bool = False, seed: int = 0) -> list[float]:
    """LinearClassifier.train: minibatch stochastic gradient descent on self.loss.

    X: (N, D), y: (N,) ints in 0 .. C-1. If self.W is None, first create it: W = 0.001 * N(0, 1) of shape
    (D, C) with C = max(y) + 1. Then, num_iters times: sample batch_size rows WITH replacement (indices from
    rng.choice), (loss, dW) = self.loss(X_batch, y_batch, reg), W <- W - learning_rate * dW.
    All randomness comes from one generator, np.random.default_rng(seed). verbose: print the loss every 100
    iterations.
    Returns loss_history: a list of num_iters floats, the minibatch loss of every iteration.
    """
    rng = np.random.default_rng(seed)
    num_train, dim = X.shape
    if self.W is None:
        num_classes = int(np.max(y)) + 1
        self.W = 0.001 * rng.standard_normal((dim, num_classes))
    loss_history = []
    for it in range(num_iters):
        idx = rng.choice(num_train, size=batch_size, replace=True)
        X_batch, y_batch = X[idx], y[idx]  # (batch_size, D), (batch_size,)
        loss, dW = self.loss(X_batch, y_batch, reg)
        self.W = self.W - learning_rate * dW
        loss_history.append(float(loss))
        if verbose and it % 100 == 0:
            print(f"iteration {it} / {num_iters}: loss {loss:.4f}")
    return loss_history


def _validate_predict_args(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    @functools.wraps(fn)
    def wrapper(self: Any, X: np.ndarray) -> np.ndarray:
        X, W = np.asarray(X), getattr(self, "W", None)
        if W is None:
            raise ValueError("the classifier has no weights yet (self.W is None): call train first")
        if X.ndim != 2 or X.shape[1] != np.shape(W)[0]:
            raise ValueError(f"expected X (N, D) with D={np.shape(W)[0]} (the rows of self.W), got shape {X.shape}")
        return fn(self, X)

    return wrapper


@_validate_predict_args
def predict(self, X: np.ndarray) -> np.ndarray:
    """LinearClassifier.predict: the class with the highest score.

    X: (N, D), self.W: (D, C) -> y_pred: (N,) ints, y_pred[i] = argmax_j (X @ W)[i, j].
    """
    scores = X @ self.W  # (N, C)
    return np.argmax(scores, axis=1)


class LinearClassifier:
    """A linear classifier, scores = X @ W, trained by minibatch SGD on the loss a subclass defines."""

    def __init__(self) -> None:
        self.W: np.ndarray | None = None  # (D, C), created by the first call of train

    train = train  # your function of Exercise 5
    predict = predict  # your function of Exercise 6

    def loss(self, X_batch: np.ndarray, y_batch: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
        """(loss, dW) on a minibatch, X_batch: (B, D), y_batch: (B,); defined by the subclasses."""
        raise NotImplementedError("LinearClassifier has no loss: use LinearSVM or Softmax")


class LinearSVM(LinearClassifier):
    """A linear classifier trained with the multiclass SVM (hinge) loss."""

    def loss(self, X_batch: np.ndarray, y_batch: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
        """(loss, dW) of svm_loss_vectorized at the current weights."""
        return svm_loss_vectorized(self.W, X_batch, y_batch, reg)


class Softmax(LinearClassifier):
    """A linear classifier trained with the softmax (cross-entropy) loss."""

    def loss(self, X_batch: np.ndarray, y_batch: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
        """(loss, dW) of softmax_loss_vectorized at the current weights."""
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
