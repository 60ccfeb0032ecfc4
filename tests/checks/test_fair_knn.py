"""Fairness of the a1_knn checks: every known bug is caught for every student, the reference for none.

Per exercise, a table of known-bug variants, one per failure mode the notebook teaches, replayed through the hidden
check over 50 students' seeds (tests/fairness.py) and once through the visible check on its fixed inputs. A bug
the visible check deliberately leaves to the hidden check would be listed in HIDDEN_ONLY with its reason.
"""

from collections import Counter
import math
import statistics
from typing import Any, Callable

import numpy as np
import pytest

from course.checks.core import with_globals
from solutions import knn
from solutions.knn import KNearestNeighbor  # the global the bugs' cross-validations call (the check rebinds it)
from tests import fairness

DISTANCE_IDS = ("knn.compute_distances_two_loops", "knn.compute_distances_one_loop", "knn.compute_distances_no_loops")
ALL_IDS = DISTANCE_IDS + ("knn.predict_labels", "knn.cross_validate_k")


# ---- distances ------------------------------------------------------------------------------------------
def _diff2(X_test, X_train):
    return np.sum((X_test[:, None, :] - X_train[None, :, :]) ** 2, axis=2)


def _expansion(X_test, X_train, *, order="blas", clip=True, factor=2.0, clip_after=False):
    """||x||² + ||y||² − factor·x·y with the cross term from BLAS or summed in a fixed feature order."""
    if order == "blas":
        cross = X_test @ X_train.T
    else:
        products = X_test[:, None, :] * X_train[None, :, :]
        cross = np.cumsum(products[..., ::-1] if order == "right to left" else products, axis=2)[..., -1]
    sq = np.sum(X_test**2, axis=1)[:, None] + np.sum(X_train**2, axis=1)[None, :] - factor * cross
    with np.errstate(invalid="ignore"):
        if clip_after:
            return np.maximum(np.sqrt(sq), 0.0)
        return np.sqrt(np.maximum(sq, 0.0) if clip else sq)


def _unclipped_reference_order(X_test, X_train):
    """The reference's own formulation without its clip: (−2X)Yᵀ + ‖x‖² + ‖y‖²."""
    sq = (-2.0 * X_test) @ X_train.T + np.sum(X_test**2, axis=1)[:, None] + np.sum(X_train**2, axis=1)[None, :]
    with np.errstate(invalid="ignore"):
        return np.sqrt(sq)


def _unclipped_einsum(X_test, X_train):
    """Norms by einsum, no clip."""
    sq = (np.einsum("ij,ij->i", X_test, X_test)[:, None] + np.einsum("ij,ij->i", X_train, X_train)[None, :]
          - 2 * np.einsum("ik,jk->ij", X_test, X_train))
    with np.errstate(invalid="ignore"):
        return np.sqrt(sq)


def _row_total(X_test, X_train):
    """One loop summing over everything (no axis=1): every entry of row i is the row's total."""
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        dists[i, :] = np.sqrt(np.sum((X_train - X_test[i]) ** 2))
    return dists


DISTANCE_BUGS: dict[str, Callable[..., Any]] = {
    # the square root is missing: squared distances
    "no square root": _diff2,
    # |x − y| summed: the L1 (Manhattan) distance
    "L1 distance": lambda X_test, X_train: np.sum(np.abs(X_test[:, None, :] - X_train[None, :, :]), axis=2),
    # dists[j, i] instead of dists[i, j]: (num_train, num_test)
    "transposed": lambda X_test, X_train: np.sqrt(_diff2(X_train, X_test)),
    # the right numbers in the wrong columns
    "columns permuted": lambda X_test, X_train: np.sqrt(_diff2(X_test, X_train))[:, ::-1],
    # forgot `return`
    "returns None": lambda X_test, X_train: None,
    # the cross term without its factor 2
    "cross term without the 2": lambda X_test, X_train: _expansion(X_test, X_train, factor=1.0),
    # one loop that sums over all of (X_train − x_i) instead of over the features
    "sum without axis": _row_total,
    # no clip before the root (BLAS cross term, as most students write it): NaN at (near-)duplicates
    "no clip (a + b − 2AB)": lambda X_test, X_train: _expansion(X_test, X_train, clip=False),
    # no clip, the reference's formulation (−2A)B + a + b
    "no clip (−2AB + a + b)": _unclipped_reference_order,
    # no clip, norms and cross term by einsum
    "no clip (einsum)": _unclipped_einsum,
    # no clip, cross term summed left to right (a fixed order: the same rounding on every machine)
    "no clip (left to right)": lambda X_test, X_train: _expansion(X_test, X_train, order="left to right", clip=False),
    # no clip, cross term summed right to left
    "no clip (right to left)": lambda X_test, X_train: _expansion(X_test, X_train, order="right to left", clip=False),
    # the clip applied AFTER the root: np.maximum(nan, 0) is still nan
    "clip after the root": lambda X_test, X_train: _expansion(X_test, X_train, clip_after=True),
}

DISTANCE_RIGHT: dict[str, Callable[..., Any]] = {
    "two loops": knn.compute_distances_two_loops,
    "clipped a + b − 2AB": lambda X_test, X_train: _expansion(X_test, X_train),
    "clipped, summed right to left": lambda X_test, X_train: _expansion(X_test, X_train, order="right to left"),
    "clipped, summed left to right": lambda X_test, X_train: _expansion(X_test, X_train, order="left to right"),
    "np.linalg.norm": lambda X_test, X_train: np.linalg.norm(X_test[:, None, :] - X_train[None, :, :], axis=2),
}


# ---- predict_labels -------------------------------------------------------------------------------------
def _vote(dists, y_train, k, vote, order=None):
    nearest = (order or (lambda d: np.argsort(d, axis=1, kind="stable")))(dists)[:, :k]
    return np.array([vote(row) for row in y_train[nearest]])


def _counter_vote(row):
    """Counter.most_common: a tie goes to the label met first, i.e. the label of the nearer neighbour."""
    return Counter(row.tolist()).most_common(1)[0][0]


def _skip_nearest(dists, y_train, k=1):
    """Skips the nearest neighbour (as if it were the test point itself): votes among neighbours 2..k+1."""
    nearest = np.argsort(dists, axis=1)[:, 1:k + 1]
    return np.array([np.argmax(np.bincount(row)) for row in y_train[nearest]])


PREDICT_BUGS: dict[str, Callable[..., Any]] = {
    # ignores k: the label of the single nearest neighbour
    "ignores k": lambda dists, y_train, k=1: y_train[np.argmin(dists, axis=1)],
    # a tie goes to the LARGEST label
    "ties to the largest label": lambda dists, y_train, k=1: _vote(
        dists, y_train, k, lambda r: len(np.bincount(r)) - 1 - np.argmax(np.bincount(r)[::-1])),
    # a tie goes to the label met first (Counter.most_common), i.e. the nearer neighbour's
    "ties to the nearer label (Counter)": lambda dists, y_train, k=1: _vote(dists, y_train, k, _counter_vote),
    # the k FARTHEST points vote
    "farthest neighbours": lambda dists, y_train, k=1: _vote(
        dists, y_train, k, lambda r: np.argmax(np.bincount(r)), order=lambda d: np.argsort(-d, axis=1)),
    # k + 1 neighbours vote
    "k + 1 neighbours": lambda dists, y_train, k=1: _vote(
        dists, y_train, min(k + 1, dists.shape[1]), lambda r: np.argmax(np.bincount(r))),
    # skips the nearest neighbour
    "skips the nearest": _skip_nearest,
    # the position in np.unique's output instead of the label
    "index into np.unique, not the label": lambda dists, y_train, k=1: _vote(
        dists, y_train, k, lambda r: np.argmax(np.unique(r, return_counts=True)[1])),
    # the rounded mean of the neighbours' labels instead of a vote
    "mean label": lambda dists, y_train, k=1: _vote(dists, y_train, k, lambda r: int(np.round(np.mean(r)))),
    # the least common label among the k nearest
    "least common label": lambda dists, y_train, k=1: _vote(
        dists, y_train, k, lambda r: np.unique(r)[np.argmin(np.unique(r, return_counts=True)[1])]),
}

PREDICT_RIGHT: dict[str, Callable[..., Any]] = {
    "bincount/argmax": lambda dists, y_train, k=1: _vote(dists, y_train, k, lambda r: np.argmax(np.bincount(r))),
    "np.unique, smallest of the most common": lambda dists, y_train, k=1: _vote(
        dists, y_train, k, lambda r: np.unique(r)[np.argmax(np.unique(r, return_counts=True)[1])]),
    "argpartition": lambda dists, y_train, k=1: _vote(
        dists, y_train, k, lambda r: np.argmax(np.bincount(r)),
        order=lambda d: np.argpartition(d, k - 1, axis=1) if k < d.shape[1] else np.argsort(d, axis=1)),
}


# ---- cross_validate_k -----------------------------------------------------------------------------------
def make_cv(bug: str = "") -> Callable[..., Any]:
    """A cross_validate_k with one mistake (or none, for bug == ''), written independently of solutions.knn."""

    def cross_validate_k(X, y, k_choices, num_folds=5):
        if bug == "np.split":
            X_folds, y_folds = np.split(X, num_folds), np.split(y, num_folds)
        elif bug == "fold size N // num_folds":
            size = len(X) // num_folds
            X_folds = [X[f * size:(f + 1) * size] for f in range(num_folds)]
            y_folds = [y[f * size:(f + 1) * size] for f in range(num_folds)]
        elif bug == "interleaved folds":
            X_folds, y_folds = [X[f::num_folds] for f in range(num_folds)], [y[f::num_folds] for f in range(num_folds)]
        else:
            X_folds, y_folds = np.array_split(X, num_folds), np.array_split(y, num_folds)
        results = {}
        for k in k_choices:
            results[k] = []
            folds = reversed(range(num_folds)) if bug == "folds in reverse order" else range(num_folds)
            for f in folds:
                if bug == "trains on the validation fold":
                    X_tr, y_tr = X, y
                elif bug == "trains on the previous fold only":
                    X_tr, y_tr = X_folds[f - 1], y_folds[f - 1]
                else:
                    X_tr = np.concatenate(X_folds[:f] + X_folds[f + 1:])
                    y_tr = np.concatenate(y_folds[:f] + y_folds[f + 1:])
                if bug == "without the classifier":
                    y_pred = knn.predict_labels(knn.compute_distances_no_loops(X_folds[f], X_tr), y_tr, k=k)
                else:
                    model = KNearestNeighbor()
                    model.train(X_tr, y_tr)
                    y_pred = model.predict(X_folds[f]) if bug == "predicts with k=1" else model.predict(X_folds[f], k=k)
                correct = np.sum(y_pred == y_folds[f])
                results[k].append(int(correct) if bug == "a count, not a fraction" else float(correct / len(y_pred)))
            if bug == "the mean over the folds":
                results[k] = float(np.mean(results[k]))
        return results

    cross_validate_k.__name__ = "cross_validate_k"
    return cross_validate_k


CV_BUGS = fairness.variants(make_cv, {
    "trains on the validation fold": "the validation fold is part of the training set (a leak)",
    "trains on the previous fold only": "trains on one other fold instead of all of them",
    "np.split": "np.split: fails when N is not a multiple of num_folds",
    "fold size N // num_folds": "folds of N // num_folds samples: the remainder is never used",
    "interleaved folds": "folds X[f::num_folds], not consecutive blocks",
    "folds in reverse order": "accuracies listed from the last fold to the first",
    "predicts with k=1": "predict without k (always 1-NN)",
    "a count, not a fraction": "the number of right predictions instead of the fraction",
    "the mean over the folds": "{k: mean accuracy} instead of {k: [accuracy per fold]}",
    "without the classifier": "its own distances and vote instead of the KNearestNeighbor class above",
})

# ---- choose_k -------------------------------------------------------------------------------------------
def make_choose(bug: str = "") -> Callable[..., Any]:
    """A choose_k with one mistake (or none), written independently of solutions.knn (statistics, not numpy)."""

    def choose_k(results):
        means = {k: statistics.fmean(a) for k, a in results.items()}
        best = max(means, key=means.get)
        if bug == "the best mean":
            return best
        spread = statistics.pstdev if bug == "ddof=0" else statistics.stdev
        error = spread(results[best]) / (1 if bug == "one standard deviation" else math.sqrt(len(results[best])))
        within = [k for k in results if means[k] >= means[best] - error]
        return {"smallest k within": min(within), "last key within": within[-1]}.get(bug, max(within))

    choose_k.__name__ = "choose_k"
    return choose_k


CHOOSE_BUGS = fairness.variants(make_choose, {
    "the best mean": "the k with the best mean accuracy, without the rule",
    "ddof=0": "the population standard deviation (np.std's default) instead of the sample one",
    "one standard deviation": "within one standard deviation instead of one standard error (no division by √n)",
    "smallest k within": "the smallest k within one standard error instead of the largest",
    "last key within": "the last key within one standard error (the dict's order) instead of the largest k",
})

BUGS: dict[str, dict[str, Callable[..., Any]]] = {
    **{eid: DISTANCE_BUGS for eid in DISTANCE_IDS},
    "knn.predict_labels": PREDICT_BUGS,
    "knn.cross_validate_k": CV_BUGS,
    "knn.choose_k": CHOOSE_BUGS,
}
RIGHT: dict[str, dict[str, Callable[..., Any]]] = {
    **{eid: DISTANCE_RIGHT for eid in DISTANCE_IDS},
    "knn.predict_labels": PREDICT_RIGHT,
    "knn.cross_validate_k": {"independent": make_cv("")},
    "knn.choose_k": {"independent": make_choose("")},
}

# bugs the visible check deliberately leaves to the hidden one, with the reason
HIDDEN_ONLY: dict[tuple[str, str], str] = {}



# ---- the tests ------------------------------------------------------------------------------------------


# ---- no collateral loss ---------------------------------------------------------------------------------
def _broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("this earlier exercise is broken")


class BrokenKNN:
    """The student's classifier, broken (e.g. by their wrong distances): cross_validate_k must not pay for it."""

    def train(self, X, y):
        raise RuntimeError("the student's classifier is broken")

    def predict(self, X, k=1, num_loops=0):
        raise RuntimeError("the student's classifier is broken")


EARLIER = {name: _broken for name in ("compute_distances_two_loops", "compute_distances_one_loop",
                                      "compute_distances_no_loops", "predict_labels", "cross_validate_k")}


@pytest.mark.parametrize("exercise_id", ALL_IDS)
def test_an_exercise_keeps_full_marks_when_the_others_are_wrong(exercise_id: str) -> None:
    """Every exercise, with every OTHER exercise (and the classifier) broken in its notebook, passes its visible check
    and its hidden check in every draw."""
    name = exercise_id.partition(".")[2]
    fn = with_globals(getattr(knn, name), **{k: v for k, v in EARLIER.items() if k != name},
                      KNearestNeighbor=BrokenKNN)
    assert fairness.visible_verdict(exercise_id, fn) is None
    fairness.assert_passes_in_every_draw(exercise_id, fn)


def test_an_independent_cross_validation_keeps_full_marks_with_a_broken_classifier() -> None:
    """A student's own correct cross_validate_k whose KNearestNeighbor is broken passes both checks (the check
    rebinds KNearestNeighbor to its stand-in)."""
    fn = with_globals(make_cv(""), KNearestNeighbor=BrokenKNN)
    assert fairness.visible_verdict("knn.cross_validate_k", fn) is None
    fairness.assert_passes_in_every_draw("knn.cross_validate_k", fn)
