"""Visible checks of assignment a1_knn (exercise ids ``knn.*``)."""

from typing import Any, Callable

import numpy as np

from course.checks import visible
from course.checks.core import assert_close, assert_equal_labels, call_student, load_expected, with_globals


# ---- fixed inputs (the expected outputs live in course/expected/knn.json) -------------------------------
def distance_inputs() -> dict[str, np.ndarray]:
    """X_test (7, 5), X_train (12, 5), X_test[2] = X_train[4]; plus 99 test points on or near 6 training points
    1e3 from the origin, where the unclipped expansion goes negative."""
    rng = np.random.default_rng(2311)
    X_train = rng.normal(size=(12, 5))
    X_test = rng.normal(size=(7, 5))
    X_test[2] = X_train[4]
    # far from the origin ||x||² + ||y||² − 2x·y cancels badly: for a point 1e-9 from a training point it rounds to
    # a few ulp of ~3e6 either side of 0 (whatever the summation order: BLAS, einsum, left to right or right to
    # left), below 0 about one time in seven. 3 exact duplicates and 96 near-duplicates make an unclipped square
    # root give NaN somewhere on every machine.
    X_train_far = 1e3 + np.random.default_rng(3).normal(size=(6, 3))
    near = np.repeat(X_train_far, 16, axis=0) + 1e-9 * np.random.default_rng(0).normal(size=(96, 3))
    X_test_far = np.vstack([X_train_far[[0, 3, 5]], near])
    return {"X_test": X_test, "X_train": X_train, "X_test_far": X_test_far, "X_train_far": X_train_far}


def predict_inputs() -> dict[str, Any]:
    """dists (8, 10) with y_train (10,) in 0..3; row 7 has a two-way tie between labels 1 and 2 at k=2."""
    rng = np.random.default_rng(1123)
    dists = rng.uniform(0.5, 5.0, size=(8, 10))
    y_train = np.array([0, 1, 2, 3, 1, 2, 0, 3, 2, 1])
    dists[7] = 4.0 + np.arange(10)
    dists[7, [4, 5]] = [0.1, 0.2]  # nearest two: labels 1 and 2 → a tie at k=2 that goes to 1
    return {"dists": dists, "y_train": y_train, "k_choices": [1, 2, 3, 5, 10]}


def cross_validation_inputs() -> dict[str, Any]:
    """X (23, 3) whose first column is the sample id, y (23,) in 0..2; folds of unequal size (23 = 5+5+5+4+4)."""
    rng = np.random.default_rng(5)
    N = 23
    X = np.column_stack([np.arange(N, dtype=float), rng.normal(size=(N, 2))])
    y = rng.integers(0, 3, size=N)
    return {"X": X, "y": y, "k_choices": [1, 3, 8], "num_folds": 5}


class SpyKNN:
    """Stands in for KNearestNeighbor while cross_validate_k is checked.

    It checks that each fold trains on all the other samples and none of the validation samples, and answers
    with fixed labels (right for some sample ids, wrong for others, depending on k), so the accuracies a
    correct cross-validation reports are known in advance whatever the student's kNN does.
    """

    num_classes = 3
    log: list[tuple[frozenset[int], frozenset[int], int]] = []  # (train ids, validation ids, k), per predict

    def __init__(self) -> None:
        self.train_ids: frozenset[int] | None = None
        self.labels: dict[int, int] = {}

    def train(self, X: np.ndarray, y: np.ndarray) -> None:
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2 or len(X) != len(y):
            raise AssertionError(
                f"KNearestNeighbor.train got X of shape {X.shape} and y of shape {y.shape}: "
                "expected X (num_train, D) and y (num_train,) from the training folds"
            )
        self.train_ids = frozenset(int(i) for i in X[:, 0])
        self.labels = {int(i): int(t) for i, t in zip(X[:, 0], y)}
        if len(self.train_ids) != len(X):
            raise AssertionError("the training set contains the same sample twice: did you concatenate a fold twice?")

    def predict(self, X: np.ndarray, k: int = 1, num_loops: int = 0) -> np.ndarray:
        if self.train_ids is None:
            raise AssertionError("KNearestNeighbor.predict was called before train")
        ids = [int(i) for i in np.asarray(X)[:, 0]]
        SpyKNN.log.append((self.train_ids, frozenset(ids), int(k)))
        return np.array([spy_label(i, k, SpyKNN.truth[i]) for i in ids])

    truth: dict[int, int] = {}


def spy_label(sample_id: int, k: int, true_label: int) -> int:
    """The spy's fixed answer: right unless (7·id + k) % 4 == 0."""
    return true_label if (7 * sample_id + k) % 4 else (true_label + 1) % SpyKNN.num_classes


def run_cross_validation_with_spy(cross_validate_k: Callable[..., Any], inputs: dict[str, Any]) -> Any:
    """Run a cross_validate_k with the spy in place of KNearestNeighbor; returns (result, spy log)."""
    SpyKNN.log = []
    SpyKNN.truth = {int(i): int(t) for i, t in zip(inputs["X"][:, 0], inputs["y"])}
    fn = with_globals(cross_validate_k, KNearestNeighbor=SpyKNN)
    call = call_student(fn, inputs["X"], inputs["y"], list(inputs["k_choices"]), num_folds=inputs["num_folds"])
    return call, list(SpyKNN.log)


# ---- hints ----------------------------------------------------------------------------------------------
def _distance_hints(X_test: np.ndarray, X_train: np.ndarray) -> list:
    l1 = np.abs(X_test[:, None, :] - X_train[None, :, :]).sum(axis=2)
    return [
        (lambda g, e: np.allclose(g, e**2, rtol=1e-6, atol=1e-6),
         "these are the SQUARED distances — did you take the square root?"),
        (lambda g, e: np.allclose(g, l1), "this is the L1 (Manhattan) distance: square the differences instead"),
        (lambda g, e: np.any(np.isnan(g)),
         "NaN comes from the square root of a slightly negative number: ||x||² + ||y||² − 2x·y can round below "
         "0 for (almost) identical points, so clip it at 0 (np.maximum(..., 0)) before np.sqrt"),
        (lambda g, e: np.allclose(np.sort(g, axis=None), np.sort(e, axis=None)),
         "the right numbers in the wrong places: dists[i, j] is test point i against training point j"),
    ]


def _check_distances(name: str, fn: Callable[..., Any]) -> None:
    inputs, expected = distance_inputs(), load_expected("knn")["distances"]
    call = call_student(fn, inputs["X_test"], inputs["X_train"])
    # atol 1e-7: at a duplicate point the no-loop expansion leaves ~3e-8 of rounding (DESIGN.md: tolerances)
    assert_close(f"{name}(X_test, X_train)", call.value, np.array(expected["dists"]), rtol=1e-7, atol=1e-7,
                 hints=_distance_hints(inputs["X_test"], inputs["X_train"]), call=call)
    far = call_student(fn, inputs["X_test_far"], inputs["X_train_far"])
    # ~1e6 magnitudes cancel in the no-loop expansion: an error of ~1e-4 is rounding, not a bug
    assert_close(f"{name} on points far from the origin", far.value, np.array(expected["dists_far"]),
                 rtol=1e-6, atol=1e-4, hints=_distance_hints(inputs["X_test_far"], inputs["X_train_far"]),
                 call=far)


@visible("knn.compute_distances_two_loops")
def check_two_loops(compute_distances_two_loops: Callable[..., Any]) -> None:
    """Two-loop distances on fixed inputs, including a duplicate point and points far from the origin."""
    _check_distances("compute_distances_two_loops", compute_distances_two_loops)


@visible("knn.compute_distances_one_loop")
def check_one_loop(compute_distances_one_loop: Callable[..., Any]) -> None:
    """One-loop distances on the same fixed inputs."""
    _check_distances("compute_distances_one_loop", compute_distances_one_loop)


@visible("knn.compute_distances_no_loops")
def check_no_loops(compute_distances_no_loops: Callable[..., Any]) -> None:
    """Vectorized distances on the same fixed inputs (the duplicate point must give 0, not NaN)."""
    _check_distances("compute_distances_no_loops", compute_distances_no_loops)


def one_nn_hint(k: int, nearest: np.ndarray) -> tuple:
    """The hint for votes that are just the 1-nearest-neighbour labels `nearest` (visible and hidden checks)."""
    return (lambda g, e: k > 1 and np.array_equal(g, nearest),
            "these are the 1-nearest-neighbour labels: vote among the k nearest (np.argsort(dists[i])[:k])")


# hints for wrong accuracies per fold (the folds on the last axis), shared by the visible and hidden checks
ACCURACY_HINTS = [(lambda g, e: np.allclose(g, e[..., ::-1]), "the folds are in reverse order"),
                  (lambda g, e: np.all(g > 1), "accuracy is a fraction in [0, 1], not a count")]


@visible("knn.predict_labels")
def check_predict_labels(predict_labels: Callable[..., Any]) -> None:
    """Majority vote for several k on fixed distances, including a tie that must go to the smallest label."""
    inputs, expected = predict_inputs(), load_expected("knn")["predict_labels"]
    for k in inputs["k_choices"]:
        call = call_student(predict_labels, inputs["dists"], inputs["y_train"], k=k)
        hints = [
            (lambda g, e: g[7] == 2 and k == 2,
             "row 7 is a tie between labels 1 and 2; ties go to the smallest label (np.argmax of np.bincount "
             "returns the first maximum)"),
            one_nn_hint(k, np.array(expected["k=1"])),
        ]
        assert_equal_labels(f"predict_labels(dists, y_train, k={k})", call.value, np.array(expected[f"k={k}"]),
                            hints=hints, call=call)


@visible("knn.cross_validate_k")
def check_cross_validate_k(cross_validate_k: Callable[..., Any]) -> None:
    """Cross-validation folds and accuracies, using a stand-in classifier so only the folds are tested."""
    inputs, expected = cross_validation_inputs(), load_expected("knn")["cross_validate_k"]
    call, log = run_cross_validation_with_spy(cross_validate_k, inputs)
    check_spy_log(log, inputs)
    result = call.value
    if not isinstance(result, dict):
        raise AssertionError(f"cross_validate_k must return a dict {{k: [accuracy per fold]}}, got {type(result).__name__}")
    for row, k in enumerate(inputs["k_choices"]):
        if k not in result:
            raise AssertionError(f"cross_validate_k: the result has no entry for k={k} (keys: {sorted(result)})")
        assert_close(f"cross_validate_k(...)[{k}] (accuracy per fold)", np.asarray(result[k], dtype=float),
                     np.array(expected["accuracies"][row]), atol=1e-12, rtol=0, call=call,
                     hints=ACCURACY_HINTS)


def check_spy_log(log: list, inputs: dict[str, Any]) -> None:
    """Each k must be validated once on each of the consecutive folds of np.array_split (in any order), training
    on every sample outside the validation fold and on none inside it."""
    N, num_folds, ks = len(inputs["X"]), inputs["num_folds"], inputs["k_choices"]
    ids = [int(i) for i in inputs["X"][:, 0]]
    if not log:
        raise AssertionError("cross_validate_k never called KNearestNeighbor().train(...) and .predict(..., k=k): "
                             "use the KNearestNeighbor class defined above")
    everything = frozenset(ids)
    for train_ids, val_ids, k in log:
        if train_ids & val_ids:
            raise AssertionError(f"k={k}: you trained on {len(train_ids & val_ids)} samples of the validation fold "
                                 "— leave that fold out of the training set")
        if train_ids | val_ids != everything:
            raise AssertionError(f"k={k}: training + validation cover {len(train_ids | val_ids)} of {N} samples: "
                                 "train on ALL the other folds")
    if len(log) != num_folds * len(ks):
        raise AssertionError(f"expected {num_folds * len(ks)} predictions ({num_folds} folds × {len(ks)} values "
                             f"of k), got {len(log)}")
    folds = [frozenset(ids[i] for i in block) for block in np.array_split(np.arange(N), num_folds)]
    for k in ks:
        validated = [val_ids for _, val_ids, used_k in log if used_k == k]
        if len(validated) != num_folds:
            raise AssertionError(f"k={k}: predict was called with k={k} {len(validated)} times, expected once per "
                                 f"fold ({num_folds}): pass k on, model.predict(X_fold, k=k)")
        if sorted(folds.index(v) if v in folds else -1 for v in validated) != list(range(num_folds)):
            raise AssertionError(f"k={k}: the validation sets are not the {num_folds} consecutive folds of "
                                 "np.array_split(X, num_folds), each used once — split X and y into consecutive "
                                 "blocks")
