"""k-nearest neighbours (assignment a1_knn): L2 distances with 2/1/0 loops, majority vote, cross-validation and
the one-standard-error rule.

Exercise ids: ``knn.compute_distances_two_loops``, ``knn.compute_distances_one_loop``,
``knn.compute_distances_no_loops``, ``knn.predict_labels``, ``knn.cross_validate_k``, ``knn.choose_k``.
"""

import functools
from typing import Callable

import numpy as np

# Argument validation lives in decorators so that the function bodies below are exactly the solutions the
# notebook shows (autograder/authoring.py copies them into the solution regions, without decorators).


def _validate_distance_args(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    @functools.wraps(fn)
    def wrapper(X_test: np.ndarray, X_train: np.ndarray) -> np.ndarray:
        _check_pair(np.asarray(X_test), np.asarray(X_train))
        return fn(np.asarray(X_test, dtype=float), np.asarray(X_train, dtype=float))

    return wrapper


def _check_pair(X_test: np.ndarray, X_train: np.ndarray) -> None:
    """Raise ValueError unless X_test is (num_test, D) and X_train is (num_train, D), both non-empty."""
    for name, a in (("X_test", X_test), ("X_train", X_train)):
        if np.ndim(a) != 2:
            raise ValueError(f"{name} must be a 2-D array (num_samples, D), got shape {np.shape(a)}")
        if np.shape(a)[0] == 0:
            raise ValueError(f"{name} is empty: expected at least one row, got shape {np.shape(a)}")
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(
            f"X_test has D={X_test.shape[1]} features but X_train has D={X_train.shape[1]}: they must match"
        )


@_validate_distance_args
def compute_distances_two_loops(X_test: np.ndarray, X_train: np.ndarray) -> np.ndarray:
    """Euclidean distances with a double loop.

    X_test: (num_test, D), X_train: (num_train, D) -> dists: (num_test, num_train),
    dists[i, j] = ||X_test[i] - X_train[j]||_2.
    """
    num_test, num_train = X_test.shape[0], X_train.shape[0]
    dists = np.zeros((num_test, num_train))
    for i in range(num_test):
        for j in range(num_train):
            dists[i, j] = np.sqrt(np.sum((X_test[i] - X_train[j]) ** 2))
    return dists


@_validate_distance_args
def compute_distances_one_loop(X_test: np.ndarray, X_train: np.ndarray) -> np.ndarray:
    """Euclidean distances with one loop over the test points (broadcast over X_train).

    X_test: (num_test, D), X_train: (num_train, D) -> dists: (num_test, num_train).
    """
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        dists[i, :] = np.sqrt(np.sum((X_train - X_test[i]) ** 2, axis=1))
    return dists


@_validate_distance_args
def compute_distances_no_loops(X_test: np.ndarray, X_train: np.ndarray) -> np.ndarray:
    """Euclidean distances without loops: ||x - y||^2 = ||x||^2 + ||y||^2 - 2 x.y.

    X_test: (num_test, D), X_train: (num_train, D) -> dists: (num_test, num_train).
    Rounding can make the expansion slightly negative, so clip at 0 before the square root.
    """
    sq = (-2.0 * X_test) @ X_train.T  # scale the small factor, not the (num_test, num_train) product
    sq += np.sum(X_test**2, axis=1)[:, None]
    sq += np.sum(X_train**2, axis=1)[None, :]
    np.maximum(sq, 0.0, out=sq)
    return np.sqrt(sq, out=sq)


def _validate_predict_args(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    @functools.wraps(fn)
    def wrapper(dists: np.ndarray, y_train: np.ndarray, k: int = 1) -> np.ndarray:
        dists, y_train = np.asarray(dists), np.asarray(y_train)
        if dists.ndim != 2 or y_train.ndim != 1 or dists.shape[1] != y_train.shape[0]:
            raise ValueError(
                f"expected dists (num_test, num_train) and y_train (num_train,), got {dists.shape} "
                f"and {y_train.shape}"
            )
        if not np.issubdtype(y_train.dtype, np.integer) or (y_train.size and y_train.min() < 0):
            raise ValueError(f"y_train must hold non-negative integer labels, got dtype {y_train.dtype}")
        if not 1 <= k <= y_train.shape[0]:
            raise ValueError(f"k must be between 1 and the number of training points ({y_train.shape[0]}), got {k}")
        return fn(dists, y_train, k=k)

    return wrapper


@_validate_predict_args
def predict_labels(dists: np.ndarray, y_train: np.ndarray, k: int = 1) -> np.ndarray:
    """Majority vote among the k nearest training points.

    dists: (num_test, num_train), y_train: (num_train,) non-negative ints -> y_pred: (num_test,) int.
    Ties (between labels with equal counts) go to the smallest label.
    """
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    closest_y = y_train[nearest]  # (num_test, k)
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0]):
        y_pred[i] = np.argmax(np.bincount(closest_y[i]))  # argmax takes the first, i.e. smallest, label
    return y_pred


class KNearestNeighbor:
    """kNN classifier (L2 distance): train memorises, predict votes among the k nearest."""

    def train(self, X: np.ndarray, y: np.ndarray) -> None:
        """X: (num_train, D), y: (num_train,) ints."""
        if np.ndim(X) != 2 or np.ndim(y) != 1 or X.shape[0] != y.shape[0]:
            raise ValueError(f"expected X (num_train, D) and y (num_train,), "
                             f"got {np.shape(X)} and {np.shape(y)}")
        self.X_train = X
        self.y_train = y

    def predict(self, X: np.ndarray, k: int = 1, num_loops: int = 0) -> np.ndarray:
        """X: (num_test, D) -> y_pred: (num_test,), with the num_loops-loop distance function."""
        compute = {
            0: compute_distances_no_loops,
            1: compute_distances_one_loop,
            2: compute_distances_two_loops,
        }
        if num_loops not in compute:
            raise ValueError(f"num_loops must be 0, 1 or 2, got {num_loops}")
        return predict_labels(compute[num_loops](X, self.X_train), self.y_train, k=k)


def _validate_cv_args(fn: Callable[..., dict[int, list[float]]]) -> Callable[..., dict[int, list[float]]]:
    @functools.wraps(fn)
    def wrapper(X: np.ndarray, y: np.ndarray, k_choices: list[int], num_folds: int = 5) -> dict[int, list[float]]:
        if np.ndim(X) != 2 or np.ndim(y) != 1 or len(X) != len(y):
            raise ValueError(f"expected X (N, D) and y (N,), got {np.shape(X)} and {np.shape(y)}")
        if not 2 <= num_folds <= len(X):
            raise ValueError(f"num_folds must be between 2 and the number of samples ({len(X)}), got {num_folds}")
        return fn(X, y, k_choices, num_folds=num_folds)

    return wrapper


@_validate_cv_args
def cross_validate_k(
    X: np.ndarray, y: np.ndarray, k_choices: list[int], num_folds: int = 5
) -> dict[int, list[float]]:
    """num_folds-fold cross-validation of KNearestNeighbor for each k.

    X: (N, D), y: (N,). Split X and y into num_folds consecutive folds with np.array_split; for each k and
    each fold f, train on the other folds (in their original order) and measure accuracy on fold f.
    Returns {k: [accuracy on fold 0, ..., accuracy on fold num_folds-1]}.
    """
    X_folds = np.array_split(X, num_folds)
    y_folds = np.array_split(y, num_folds)
    results: dict[int, list[float]] = {}
    for k in k_choices:
        results[k] = []
        for f in range(num_folds):
            X_tr = np.concatenate(X_folds[:f] + X_folds[f + 1 :])
            y_tr = np.concatenate(y_folds[:f] + y_folds[f + 1 :])
            model = KNearestNeighbor()
            model.train(X_tr, y_tr)
            y_pred = model.predict(X_folds[f], k=k)
            results[k].append(float(np.mean(y_pred == y_folds[f])))
    return results


def _validate_choose_k_args(fn: Callable[[dict[int, list[float]]], int]) -> Callable[[dict[int, list[float]]], int]:
    @functools.wraps(fn)
    def wrapper(results: dict[int, list[float]]) -> int:
        if not isinstance(results, dict) or not results:
            raise ValueError("results must be a non-empty dict {k: [accuracy per fold]}, as cross_validate_k returns")
        folds = {len(v) for v in results.values()}
        if len(folds) != 1 or folds.pop() < 2:
            raise ValueError("every k needs the same number of fold accuracies, at least 2 (one standard error "
                             "needs a spread)")
        return fn(results)

    return wrapper


@_validate_choose_k_args
def choose_k(results: dict[int, list[float]]) -> int:
    """The one-standard-error rule: the LARGEST k (the smoothest boundary) whose mean cross-validation accuracy is
    at least the best mean minus the standard error of the best k's mean.

    results: {k: [accuracy on fold 0, ..., accuracy on fold n-1]} (n >= 2). Standard error = s / sqrt(n), with s
    the sample standard deviation of the best k's fold accuracies (ddof=1).
    """
    means = {k: np.mean(acc) for k, acc in results.items()}
    best = max(means, key=means.get)
    n = len(results[best])
    standard_error = np.std(results[best], ddof=1) / np.sqrt(n)
    return max(k for k, mean in means.items() if mean >= means[best] - standard_error)
