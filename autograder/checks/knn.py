"""Hidden checks of assignment a1_knn: the student's kNN functions vs `solutions.knn` on grading-time inputs.

Every check is a fair battery (autograder.hidden.battery): each student gets every case type below, with values
drawn for them, so a mistake one case type exposes is caught for every student or for none
(tests/checks/test_fair_knn.py replays known bugs over 50 students' seeds).
"""

from typing import Any, Callable

import numpy as np

from autograder.hidden import Schema, battery, hidden
from course.checks import knn as visible
from course.checks.core import assert_close, assert_equal_labels, call_student



# ---- distances ------------------------------------------------------------------------------------------
def _random_points(rng: np.random.Generator) -> dict[str, Any]:
    """num_test in 3..10 < num_train in 11..25, D in 2..12, scale 0.1..100, offset 1..300; two test points
    duplicate training points (distance exactly 0)."""
    num_test, num_train, D = int(rng.integers(3, 11)), int(rng.integers(11, 26)), int(rng.integers(2, 13))
    scale, offset = 10 ** rng.uniform(-1, 2), 10 ** rng.uniform(0, 2.5)
    X_train = offset + scale * rng.normal(size=(num_train, D))
    X_test = offset + scale * rng.normal(size=(num_test, D))
    X_test[rng.choice(num_test, size=2, replace=False)] = X_train[rng.choice(num_train, size=2, replace=False)]
    return {"X_test": X_test, "X_train": X_train}


def _duplicates_far_away(rng: np.random.Generator) -> dict[str, Any]:
    """num_train in 6..8 points at an offset of 500..2000 (spread 0.5..2), D in 2..6; the num_test = 17·num_train
    test points are every training point once exactly and 16 times 1e-9·spread away. There ‖x‖² + ‖y‖² − 2x·y
    cancels to a few ulp of ~1e7 (≫ the true ~1e-18) and rounds below 0 for about one pair in seven whatever the
    summation order: with ~100 such pairs an unclipped square root gives NaN for every student."""
    num_train, D = int(rng.integers(6, 9)), int(rng.integers(2, 7))
    spread = 10 ** rng.uniform(-0.3, 0.3)
    X_train = 10 ** rng.uniform(2.7, 3.3) + spread * rng.normal(size=(num_train, D))
    near = np.repeat(X_train, 16, axis=0) + 1e-9 * spread * rng.normal(size=(16 * num_train, D))
    X_test = np.vstack([X_train, near])[rng.permutation(17 * num_train)]
    return {"X_test": X_test, "X_train": X_train}


DISTANCE_CASES = {"points at a random scale and offset, two duplicates (num_test < num_train)": _random_points,
                  "duplicates and near-duplicates far from the origin (num_test > num_train)": _duplicates_far_away}


def _distance_schema(inputs: dict[str, Any]) -> Schema:
    return {"dists": ((len(inputs["X_test"]), len(inputs["X_train"])), "float")}


def _distance_run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    return {"dists": call_student(fn, inputs["X_test"], inputs["X_train"]).value}


def _distance_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import knn

    X_test, X_train = inputs["X_test"], inputs["X_train"]
    expected = knn.compute_distances_one_loop(X_test, X_train)
    magnitude = float(max(np.abs(X_test).max(), np.abs(X_train).max()))
    # At a duplicate point ||x||² + ||y||² − 2x·y is a few ulp(2D·magnitude²), whose root is ~3e-8·√D·magnitude:
    # scale atol to the data (a wrong formula is off by far more)
    atol = 1e-6 * np.sqrt(X_test.shape[1]) * (1 + magnitude)
    assert_close("dists on hidden inputs", outputs["dists"], expected, rtol=1e-6, atol=atol,
                 hints=visible._distance_hints(X_test, X_train))


hidden(battery("knn.compute_distances_two_loops", DISTANCE_CASES, _distance_run, _distance_schema, _distance_judge))
hidden(battery("knn.compute_distances_one_loop", DISTANCE_CASES, _distance_run, _distance_schema, _distance_judge))
hidden(battery("knn.compute_distances_no_loops", DISTANCE_CASES, _distance_run, _distance_schema, _distance_judge))


# ---- predict_labels -------------------------------------------------------------------------------------
def _dists_with_order(rng: np.random.Generator, orders: list[np.ndarray], num_train: int) -> np.ndarray:
    """Row i gets distinct distances in 0.5..5 increasing along orders[i] (orders[i][0] is the nearest)."""
    dists = np.empty((len(orders), num_train))
    for i, order in enumerate(orders):
        dists[i, order] = np.sort(rng.uniform(0.5, 5.0, size=num_train))
    return dists


def _order(rng: np.random.Generator, first: list[int], num_train: int) -> np.ndarray:
    """The indices `first` (in that order), then the others in random order."""
    rest = np.setdiff1d(np.arange(num_train), first)
    return np.concatenate([np.array(first, dtype=int), rng.permutation(rest)])


def _pick(rng: np.random.Generator, y_train: np.ndarray, label: int, n: int) -> list[int]:
    return [int(i) for i in rng.choice(np.flatnonzero(y_train == label), size=n, replace=False)]


def _k_one(rng: np.random.Generator) -> dict[str, Any]:
    """k = 1, labels 0..C-1 (C in 2..5); in every row the second-nearest and the farthest training point have
    another label than the nearest."""
    num_test, C = int(rng.integers(4, 11)), int(rng.integers(2, 6))
    y_train = rng.permutation(np.repeat(np.arange(C), int(rng.integers(3, 6))))
    orders = []
    for _ in range(num_test):
        a = int(rng.integers(C))
        near = _pick(rng, y_train, a, 1)
        second, far = (int(i) for i in rng.choice(np.flatnonzero(y_train != a), size=2, replace=False))
        order = _order(rng, near + [second], len(y_train))
        orders.append(np.concatenate([order[order != far], [far]]))
    return {"dists": _dists_with_order(rng, orders, len(y_train)), "y_train": y_train, "k": 1}


def _odd_k_majority(rng: np.random.Generator) -> dict[str, Any]:
    """Odd k in 3..7 and three labels with gaps, never 0 (from 1..9, at least 3 apart); in every row the majority
    label a of the k nearest is NOT the nearest neighbour's label b < a, and the (k+1)-th nearest has label b too
    (one neighbour more makes a tie)."""
    k = int(rng.choice([3, 5, 7]))
    low = int(rng.integers(1, 4))
    mid = int(rng.integers(low + 3, 7))
    labels = [low, mid, int(rng.integers(mid + 3, 10))]
    y_train = rng.permutation(np.repeat(np.array(labels), k // 2 + 2))
    orders = []
    for _ in range(int(rng.integers(4, 11))):
        b, a = sorted(int(v) for v in rng.choice(labels, size=2, replace=False))
        majority, minority = _pick(rng, y_train, a, k // 2 + 1), _pick(rng, y_train, b, k // 2 + 1)
        middle = [int(v) for v in rng.permutation(majority + minority[1:k // 2])]
        orders.append(_order(rng, [minority[0]] + middle + [minority[k // 2]], len(y_train)))
    return {"dists": _dists_with_order(rng, orders, len(y_train)), "y_train": y_train, "k": k}


def _even_k_ties(rng: np.random.Generator) -> dict[str, Any]:
    """Even k in 2..6, labels 0..C-1 (C in 2..4); in every row the k nearest hold k/2 of two labels b < a, with the
    LARGER label a nearest: the tie must go to the smaller label b."""
    k, C = int(rng.choice([2, 4, 6])), int(rng.integers(2, 5))
    y_train = rng.permutation(np.repeat(np.arange(C), k // 2 + int(rng.integers(1, 3))))
    orders = []
    for _ in range(int(rng.integers(4, 11))):
        b, a = sorted(int(v) for v in rng.choice(C, size=2, replace=False))
        big, small = _pick(rng, y_train, a, k // 2), _pick(rng, y_train, b, k // 2)
        first = [big[0]] + [int(v) for v in rng.permutation(big[1:] + small)]
        orders.append(_order(rng, first, len(y_train)))
    return {"dists": _dists_with_order(rng, orders, len(y_train)), "y_train": y_train, "k": k}


def _k_all(rng: np.random.Generator) -> dict[str, Any]:
    """k = num_train (every training point votes: the answer is the most common training label, unique here);
    in every row the nearest neighbour has another label."""
    C = int(rng.integers(2, 5))
    counts = rng.integers(2, 5, size=C)
    top = int(rng.integers(C))
    counts[top] = counts.max() + 1
    y_train = rng.permutation(np.repeat(np.arange(C), counts))
    others = np.flatnonzero(y_train != top)
    orders = [_order(rng, [int(rng.choice(others))], len(y_train)) for _ in range(int(rng.integers(3, 9)))]
    return {"dists": _dists_with_order(rng, orders, len(y_train)), "y_train": y_train, "k": len(y_train)}


PREDICT_CASES = {"k = 1": _k_one,
                 "odd k > 1 whose majority is not the nearest label (labels with gaps, none 0)": _odd_k_majority,
                 "even k with label ties (ties go to the smallest label)": _even_k_ties,
                 "k = num_train": _k_all}


def _predict_run(inputs: dict[str, Any], predict_labels: Callable[..., Any]) -> dict[str, Any]:
    return {"y_pred": call_student(predict_labels, inputs["dists"], inputs["y_train"], k=inputs["k"]).value}


def _predict_schema(inputs: dict[str, Any]) -> Schema:
    return {"y_pred": ((len(inputs["dists"]),), "int")}


def _predict_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import knn

    k, dists, y_train = inputs["k"], inputs["dists"], inputs["y_train"]
    expected = knn.predict_labels(dists, y_train, k=k)
    nearest = y_train[np.argmin(dists, axis=1)]
    hints = [visible.one_nn_hint(k, nearest),
             (lambda g, e: k % 2 == 0, "with an even k, label ties must go to the smallest label (np.argmax of "
                                       "np.bincount returns the first maximum)")]
    assert_equal_labels(f"predict_labels(k={k}) on hidden inputs", outputs["y_pred"], expected, hints=hints)


hidden(battery("knn.predict_labels", PREDICT_CASES, _predict_run, _predict_schema, _predict_judge))


# ---- cross_validate_k (with the stand-in classifier of the visible check) -------------------------------
def _cv_case(rng: np.random.Generator, num_folds: int, N: int) -> dict[str, Any]:
    """Sample ids 4·i + r (first column of X): the stand-in classifier is wrong on sample id for k iff
    id ≡ k (mod 4) (visible.spy_label). Three k with distinct residues mod 4; in fold f, (f + j) % num_folds samples
    are wrong for the j-th k, so a k's accuracies differ from fold to fold and from the other k's."""
    residues = [int(r) for r in rng.permutation(4)]
    free, k_res = residues[0], residues[1:]
    k_choices = sorted(int(r + 4 * rng.integers(0 if r else 1, 3)) for r in k_res)
    res_of_k = {k: k % 4 for k in k_choices}
    r = np.full(N, free)
    for f, fold in enumerate(np.array_split(np.arange(N), num_folds)):
        slots = rng.permutation(fold)
        start = 0
        for j, k in enumerate(k_choices):
            w = (f + j) % num_folds
            r[slots[start:start + w]] = res_of_k[k]
            start += w
    ids = 4 * np.arange(N) + r
    X = np.column_stack([ids.astype(float), rng.normal(size=(N, 2))])
    return {"X": X, "y": rng.integers(0, 3, size=N), "k_choices": k_choices, "num_folds": num_folds}


def _cv_equal(rng: np.random.Generator) -> dict[str, Any]:
    """num_folds in 3..5 and N a multiple of it (folds of equal size, at least 3·num_folds)."""
    F = int(rng.integers(3, 6))
    return _cv_case(rng, F, F * int(rng.integers(3 * F, 3 * F + 4)))


def _cv_unequal(rng: np.random.Generator) -> dict[str, Any]:
    """num_folds in 3..6 and N not a multiple of it (np.array_split makes the first folds one sample longer)."""
    F = int(rng.integers(3, 7))
    return _cv_case(rng, F, F * int(rng.integers(3 * F, 3 * F + 4)) + int(rng.integers(1, F)))


CV_CASES = {"N a multiple of num_folds": _cv_equal,
            "N not a multiple of num_folds (folds of unequal size)": _cv_unequal}


def _cv_run(inputs: dict[str, Any], cross_validate_k: Callable[..., Any]) -> dict[str, Any]:
    call, log = visible.run_cross_validation_with_spy(cross_validate_k, inputs)
    visible.check_spy_log(log, inputs)
    result = call.value
    if not isinstance(result, dict) or any(k not in result for k in inputs["k_choices"]):
        raise AssertionError("cross_validate_k must return {k: [accuracy per fold]} with every k in k_choices")
    position = {int(i): n for n, i in enumerate(inputs["X"][:, 0])}
    K, F, N = len(inputs["k_choices"]), inputs["num_folds"], len(inputs["X"])
    val, train = np.zeros((K, F, N), dtype=np.int64), np.zeros((K, F, N), dtype=np.int64)
    for j, k in enumerate(inputs["k_choices"]):
        for f, (train_ids, val_ids, _) in enumerate(entry for entry in log if entry[2] == k):
            val[j, f, [position[i] for i in val_ids]] = 1
            train[j, f, [position[i] for i in train_ids]] = 1
    return {"accuracies": [list(result[k]) for k in inputs["k_choices"]], "val_masks": val, "train_masks": train}


def _cv_schema(inputs: dict[str, Any]) -> Schema:
    K, F, N = len(inputs["k_choices"]), inputs["num_folds"], len(inputs["X"])
    return {"accuracies": ((K, F), "float"), "val_masks": ((K, F, N), "int"), "train_masks": ((K, F, N), "int")}


def _cv_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import knn

    N, F = len(inputs["X"]), inputs["num_folds"]
    folds = np.zeros((F, N), dtype=np.int64)
    for f, block in enumerate(np.array_split(np.arange(N), F)):
        folds[f, block] = 1
    for j, k in enumerate(inputs["k_choices"]):
        val, train = outputs["val_masks"][j], outputs["train_masks"][j]
        if np.any((val + train) != 1):
            raise AssertionError(f"k={k}: each fold must train on every sample outside it and on none inside it")
        seen = sorted(next((g for g in range(F) if np.array_equal(v, folds[g])), -1) for v in val)
        if seen != list(range(F)):
            raise AssertionError(f"k={k}: the validation sets are not the {F} consecutive folds of "
                                 f"np.array_split(X, num_folds), each used once")
    call, _ = visible.run_cross_validation_with_spy(knn.cross_validate_k, inputs)
    expected = np.array([call.value[k] for k in inputs["k_choices"]])
    assert_close("cross-validation accuracies on hidden inputs", outputs["accuracies"], expected, atol=1e-12, rtol=0,
                 hints=visible.ACCURACY_HINTS)


hidden(battery("knn.cross_validate_k", CV_CASES, _cv_run, _cv_schema, _cv_judge))
