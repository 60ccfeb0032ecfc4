"""Checks of assignment a1_knn (exercise ids ``knn.*``): one spec per exercise (course.checks.spec).

Visible and hidden checks run the same case types; the visible check on one fixed draw, compared with
course/expected/knn.json, the hidden one on each student's own draw, compared with `solutions.knn`.
"""

from typing import Any, Callable

import numpy as np

from course.checks.core import call_student, with_globals
from course.checks.spec import Case, exercise


# ---- distances ------------------------------------------------------------------------------------------
def _random_points(rng: np.random.Generator) -> Case:
    """num_test in 3..10 < num_train in 11..25, D in 2..12, scale 0.1..100, offset 1..300; two test points
    duplicate training points (distance exactly 0)."""
    num_test, num_train, D = int(rng.integers(3, 11)), int(rng.integers(11, 26)), int(rng.integers(2, 13))
    scale, offset = 10 ** rng.uniform(-1, 2), 10 ** rng.uniform(0, 2.5)
    X_train = offset + scale * rng.normal(size=(num_train, D))
    X_test = offset + scale * rng.normal(size=(num_test, D))
    X_test[rng.choice(num_test, size=2, replace=False)] = X_train[rng.choice(num_train, size=2, replace=False)]
    return {"X_test": X_test, "X_train": X_train}


def _duplicates_far_away(rng: np.random.Generator) -> Case:
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


def distance_hints(case: Case, name: str) -> list:
    """Hints for wrong distances (test point i against training point j)."""
    X_test, X_train = case["X_test"], case["X_train"]
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


def distance_atol(case: Case) -> float:
    """At a duplicate point ||x||² + ||y||² − 2x·y is a few ulp(2D·magnitude²), whose root is ~3e-8·√D·magnitude:
    atol scales with the data (a wrong formula is off by far more)."""
    magnitude = float(max(np.abs(case["X_test"]).max(), np.abs(case["X_train"]).max()))
    return 1e-6 * np.sqrt(case["X_test"].shape[1]) * (1 + magnitude)


DISTANCES = dict(run=lambda case, fn: {"dists": call_student(fn, case["X_test"], case["X_train"])},
                 schema=lambda case: {"dists": ((len(case["X_test"]), len(case["X_train"])), "float")},
                 hints=distance_hints, atol=distance_atol)
exercise("knn.compute_distances_two_loops", DISTANCE_CASES, **DISTANCES)
exercise("knn.compute_distances_one_loop", DISTANCE_CASES, **DISTANCES)
exercise("knn.compute_distances_no_loops", DISTANCE_CASES, **DISTANCES)


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


def _k_one(rng: np.random.Generator) -> Case:
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


def _odd_k_majority(rng: np.random.Generator) -> Case:
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


def _even_k_ties(rng: np.random.Generator) -> Case:
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


def _k_all(rng: np.random.Generator) -> Case:
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


def one_nn_hint(k: int, nearest: np.ndarray) -> tuple:
    """The hint for votes that are just the 1-nearest-neighbour labels `nearest`."""
    return (lambda g, e: k > 1 and np.array_equal(g, nearest),
            "these are the 1-nearest-neighbour labels: vote among the k nearest (np.argsort(dists[i])[:k])")


def predict_hints(case: Case, name: str) -> list:
    k, nearest = case["k"], case["y_train"][np.argmin(case["dists"], axis=1)]
    return [one_nn_hint(k, nearest),
            (lambda g, e: k % 2 == 0, "with an even k, label ties must go to the smallest label (np.argmax of "
                                      "np.bincount returns the first maximum)")]


exercise("knn.predict_labels", PREDICT_CASES,
         run=lambda case, fn: {"y_pred": call_student(fn, case["dists"], case["y_train"], k=case["k"])},
         schema=lambda case: {"y_pred": ((len(case["dists"]),), "int")}, hints=predict_hints)


# ---- cross_validate_k (with a stand-in classifier, so only the folds are tested) -------------------------
def _cv_case(rng: np.random.Generator, num_folds: int, N: int) -> Case:
    """Sample ids 4·i + r (first column of X): the stand-in classifier is wrong on sample id for k iff
    id ≡ k (mod 4) (spy_label). Three k with distinct residues mod 4; in fold f, (f + j) % num_folds samples
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


def _cv_equal(rng: np.random.Generator) -> Case:
    """num_folds in 3..5 and N a multiple of it (folds of equal size, at least 3·num_folds)."""
    F = int(rng.integers(3, 6))
    return _cv_case(rng, F, F * int(rng.integers(3 * F, 3 * F + 4)))


def _cv_unequal(rng: np.random.Generator) -> Case:
    """num_folds in 3..6 and N not a multiple of it (np.array_split makes the first folds one sample longer)."""
    F = int(rng.integers(3, 7))
    return _cv_case(rng, F, F * int(rng.integers(3 * F, 3 * F + 4)) + int(rng.integers(1, F)))


CV_CASES = {"N a multiple of num_folds": _cv_equal,
            "N not a multiple of num_folds (folds of unequal size)": _cv_unequal}


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


def run_cross_validation(case: Case, cross_validate_k: Callable[..., Any]) -> dict[str, Any]:
    """cross_validate_k with the spy as KNearestNeighbor: its accuracies, and per (k, fold) which samples it
    validated on and trained on (0/1 masks over the samples)."""
    SpyKNN.log = []
    SpyKNN.truth = {int(i): int(t) for i, t in zip(case["X"][:, 0], case["y"])}
    fn = with_globals(cross_validate_k, KNearestNeighbor=SpyKNN)
    result = call_student(fn, case["X"], case["y"], list(case["k_choices"]), num_folds=case["num_folds"]).value
    log = list(SpyKNN.log)
    check_spy_log(log, case)
    if not isinstance(result, dict) or any(k not in result for k in case["k_choices"]):
        raise AssertionError("cross_validate_k must return a dict {k: [accuracy per fold]} with every k in "
                             f"k_choices, got {type(result).__name__}")
    position = {int(i): n for n, i in enumerate(case["X"][:, 0])}
    K, F, N = len(case["k_choices"]), case["num_folds"], len(case["X"])
    val, train = np.zeros((K, F, N), dtype=np.int64), np.zeros((K, F, N), dtype=np.int64)
    for j, k in enumerate(case["k_choices"]):
        for f, (train_ids, val_ids, _) in enumerate(entry for entry in log if entry[2] == k):
            val[j, f, [position[i] for i in val_ids]] = 1
            train[j, f, [position[i] for i in train_ids]] = 1
    return {"accuracies": [list(result[k]) for k in case["k_choices"]], "val_masks": val, "train_masks": train}


ACCURACY_HINTS = [(lambda g, e: np.allclose(g, e[..., ::-1]), "the folds are in reverse order"),
                  (lambda g, e: np.all(g > 1), "accuracy is a fraction in [0, 1], not a count")]


def compare_cross_validation(case: Case, got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    """The folds again from the masks (outside the kernel), then the accuracies per fold (folds in order)."""
    from course.checks.core import assert_close

    N, F = len(case["X"]), case["num_folds"]
    folds = np.zeros((F, N), dtype=np.int64)
    for f, block in enumerate(np.array_split(np.arange(N), F)):
        folds[f, block] = 1
    for j, k in enumerate(case["k_choices"]):
        val, train = got["val_masks"][j], got["train_masks"][j]
        if np.any((val + train) != 1):
            raise AssertionError(f"k={k}: each fold must train on every sample outside it and on none inside it")
        seen = sorted(next((g for g in range(F) if np.array_equal(v, folds[g])), -1) for v in val)
        if seen != list(range(F)):
            raise AssertionError(f"k={k}: the validation sets are not the {F} consecutive folds of "
                                 f"np.array_split(X, num_folds), each used once")
    assert_close("cross_validate_k(...) accuracies (one row per k, one column per fold)", got["accuracies"],
                 want["accuracies"], atol=1e-12, rtol=0, hints=ACCURACY_HINTS)


def cross_validation_schema(case: Case) -> dict:
    K, F, N = len(case["k_choices"]), case["num_folds"], len(case["X"])
    return {"accuracies": ((K, F), "float"), "val_masks": ((K, F, N), "int"), "train_masks": ((K, F, N), "int")}


exercise("knn.cross_validate_k", CV_CASES, run=run_cross_validation, schema=cross_validation_schema,
         compare=compare_cross_validation)



# ---- choose_k (the one-standard-error rule) ---------------------------------------------------------------
def _choose_case(teaches: str) -> Callable[[np.random.Generator], Case]:
    """Six k (sorted draws from 1..49), 3..6 folds; the best mean m is the 2nd or 3rd k's, with sample standard
    deviation s. Every other k is 1.15..1.35 standard errors (s/√n) below m — outside one standard error, inside
    one standard deviation — except the ones `teaches` places within it."""

    def make(rng: np.random.Generator) -> Case:
        F, K, best = int(rng.integers(3, 7)), 6, int(rng.integers(1, 3))
        ks = np.sort(rng.choice(np.arange(1, 50), size=K, replace=False))
        m, s = rng.uniform(0.55, 0.85), rng.uniform(0.02, 0.06)
        se1, se0 = s / np.sqrt(F), s / np.sqrt(F) * np.sqrt((F - 1) / F)  # with ddof=1; with np.std's ddof=0
        gaps = rng.uniform(1.15, 1.35, size=K) * se1
        gaps[best] = 0.0
        if teaches in ("within", "order"):  # a smaller and a larger k within one standard error
            gaps[[0, best + 1]] = rng.uniform(0.2, 0.8, size=2) * se1
        if teaches == "ddof":  # a larger k within s/√n (ddof=1) but not within np.std's default (ddof=0)
            gaps[best + 2] = se0 + (se1 - se0) * rng.uniform(0.3, 0.7)
        z = rng.normal(size=(K, F))
        z = (z - z.mean(axis=1, keepdims=True)) / z.std(axis=1, ddof=1, keepdims=True)
        spread = np.where(np.arange(K) == best, s, rng.uniform(0.01, 0.08, size=K))
        accuracies = (m - gaps)[:, None] + spread[:, None] * z
        order = rng.permutation(K) if teaches == "order" else np.arange(K)
        if teaches == "order" and list(order).index(best + 1) > list(order).index(0):
            order = order[::-1]  # the answer comes before the smaller k within one standard error
        return {"ks": [int(k) for k in ks[order]], "accuracies": accuracies[order], "teaches": teaches}

    return make


CHOOSE_CASES = {"the best k alone within one standard error": _choose_case("alone"),
                "a smaller and a larger k within one standard error": _choose_case("within"),
                "a larger k within s/√n with ddof=1 but not with np.std's default ddof=0": _choose_case("ddof"),
                "keys not in increasing order": _choose_case("order")}


def choose_hints(case: Case, name: str) -> list:
    means = case["accuracies"].mean(axis=1)
    argmax = case["ks"][int(np.argmax(means))]
    return [(lambda g, e: case["teaches"] == "ddof",
             "the standard error is s/√n with the SAMPLE standard deviation s = np.std(a, ddof=1): np.std's "
             "default (ddof=0) divides by n and makes the error too small"),
            (lambda g, e: g == argmax, "this is the k with the best mean accuracy: the rule then takes the LARGEST "
                                       "k whose mean is within one standard error of that best mean"),
            (lambda g, e: g < e, "take the largest such k (the smoothest boundary), not the smallest or the last"),
            (lambda g, e: g > e, "this k is within one standard DEVIATION of the best mean; the rule allows one "
                                 "standard ERROR of that mean, s/√n")]


exercise("knn.choose_k", CHOOSE_CASES,
         run=lambda case, fn: {"k": call_student(fn, dict(zip(case["ks"], (list(a) for a in case["accuracies"]))))},
         schema=lambda case: {"k": ((), "int")}, hints=choose_hints)

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
