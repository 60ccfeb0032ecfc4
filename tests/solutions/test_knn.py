"""Tests of solutions.knn against independent oracles (scikit-learn and plain loops written here)."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.neighbors import KNeighborsClassifier

from course.checks import spec
from solutions import knn
from tests.strategies import KnnData, expansion_atol, knn_datasets, label_vectors, offsets, point_clouds

DISTANCES = {
    "two_loops": knn.compute_distances_two_loops,
    "one_loop": knn.compute_distances_one_loop,
    "no_loops": knn.compute_distances_no_loops,
}
SETTINGS = settings(max_examples=50, deadline=None)
SKLEARN_SETTINGS = settings(max_examples=25, deadline=None)  # each sklearn fit + predict costs ~10 ms


# ---- distances ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(DISTANCES))
@SETTINGS
@given(clouds=point_clouds())
def test_distances_equal_sklearn(name, clouds):
    """Each distance function equals sklearn's euclidean_distances, up to the expansion's rounding."""
    X_test, X_train = clouds
    dists = DISTANCES[name](X_test, X_train)
    assert type(dists) is np.ndarray and dists.dtype == np.float64
    assert dists.shape == (len(X_test), len(X_train))
    np.testing.assert_allclose(dists, euclidean_distances(X_test, X_train), rtol=1e-10,
                               atol=expansion_atol(X_test, X_train))


@SETTINGS
@given(clouds=point_clouds())
def test_loop_versions_agree_to_1e10_relative(clouds):
    """Two loops and one loop compute sqrt(sum((x - y)²)) alike: equal to 1e-10 relative, zeros exact."""
    X_test, X_train = clouds
    np.testing.assert_allclose(knn.compute_distances_one_loop(X_test, X_train),
                               knn.compute_distances_two_loops(X_test, X_train), rtol=1e-10, atol=0)


@SETTINGS
@given(clouds=point_clouds())
def test_no_loops_agrees_with_loops(clouds):
    """The vectorized expansion equals the loop version to 1e-10 relative plus its cancellation error."""
    X_test, X_train = clouds
    np.testing.assert_allclose(knn.compute_distances_no_loops(X_test, X_train),
                               knn.compute_distances_two_loops(X_test, X_train), rtol=1e-10,
                               atol=expansion_atol(X_test, X_train))


@SETTINGS
@given(clouds=point_clouds(max_test=4, max_train=6, max_dim=4, bound=10.0), offset=offsets())
def test_duplicates_give_zero_without_nan_or_warnings(clouds, offset):
    """A duplicated point, up to 1e3 from the origin: loops give exactly 0, no-loops ~0 (never NaN), no warnings."""
    # The expansion ||x||² + ||y||² − 2x·y does not cancel to exactly 0 in general (DESIGN.md: clip at 0 and
    # compare with an atol scaled to the data's magnitude); every numpy warning is raised as an error here.
    X_test, X_train = clouds
    X_test, X_train = X_test + offset, X_train + offset
    X_test[0] = X_train[-1]
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        results = {name: fn(X_test, X_train) for name, fn in DISTANCES.items()}
    assert results["two_loops"][0, -1] == 0.0 and results["one_loop"][0, -1] == 0.0
    no_loops = results["no_loops"]
    assert np.all(np.isfinite(no_loops)) and np.all(no_loops >= 0)
    assert no_loops[0, -1] <= expansion_atol(X_test, X_train)


@pytest.mark.parametrize("name", ["one_loop", "two_loops"])
def test_loop_versions_give_exact_zeros_on_visible_check_duplicates(name):
    """On the visible check's inputs, duplicates near the origin and at 1e3 give exactly 0 with loops."""
    # (the no-loop version's value there depends on how BLAS rounds X_test @ X_train.T; see test_checks_knn)
    for case in spec.visible_cases(spec.lookup(f"knn.compute_distances_{name}")):
        with np.errstate(all="raise"):
            dists = DISTANCES[name](case["X_test"], case["X_train"])
        duplicate = (case["X_test"][:, None, :] == case["X_train"][None, :, :]).all(axis=2)
        assert duplicate.any()
        np.testing.assert_array_equal(dists[duplicate], 0.0)


@pytest.mark.parametrize("name", sorted(DISTANCES))
def test_distances_accept_integer_inputs(name):
    """Integer coordinates are distances too: the 3-4-5 triangle gives 5."""
    dists = DISTANCES[name](np.array([[0, 0]]), np.array([[3, 4], [0, 0]]))
    np.testing.assert_allclose(dists, [[5.0, 0.0]], rtol=1e-12)


# ---- majority vote ---------------------------------------------------------------------------------------
def _sklearn_predict(data: KnnData, k: int) -> np.ndarray:
    model = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(data.X_train, data.y_train)
    return model.predict(data.X_test)


@SKLEARN_SETTINGS
@given(data=knn_datasets(), k_frac=st.floats(0, 1))
def test_predict_labels_equals_sklearn(data, k_frac):
    """predict_labels on L2 distances equals KNeighborsClassifier(algorithm='brute') for every k."""
    num_train = len(data.y_train)
    dists = knn.compute_distances_two_loops(data.X_test, data.X_train)
    for k in sorted({1, 2, 3, 1 + int(k_frac * (num_train - 1)), num_train} & set(range(1, num_train + 1))):
        y_pred = knn.predict_labels(dists, data.y_train, k=k)
        assert y_pred.shape == (len(data.X_test),) and np.issubdtype(y_pred.dtype, np.integer)
        np.testing.assert_array_equal(y_pred, _sklearn_predict(data, k), err_msg=f"k={k}")


def test_predict_labels_tie_goes_to_smallest_label():
    """With k=4 and two labels twice each among the nearest, the smaller label wins, whatever the order."""
    dists = np.array([[0.1, 0.2, 0.3, 0.4, 9.0], [0.4, 0.3, 0.2, 0.1, 9.0]])
    y_train = np.array([7, 3, 3, 7, 0])
    np.testing.assert_array_equal(knn.predict_labels(dists, y_train, k=4), [3, 3])


@SETTINGS
@given(labels=st.lists(st.integers(0, 9), min_size=2, max_size=2, unique=True), seed=st.integers(0, 2**16))
def test_predict_labels_two_way_ties_go_to_smallest(labels, seed):
    """Labels a and b, each twice among the 4 nearest (in a random order): the vote goes to min(a, b)."""
    rng = np.random.default_rng(seed)
    y_train = np.concatenate([rng.permutation(labels * 2), [max(labels) + 1] * 3])
    dists = np.concatenate([np.sort(rng.uniform(0, 1, 4)), rng.uniform(2, 3, 3)])[None, :]
    assert knn.predict_labels(dists, y_train, k=4)[0] == min(labels)


@SETTINGS
@given(data=knn_datasets())
def test_predict_labels_with_k_equal_num_train_is_global_majority(data):
    """With k = num_train every test point gets the most common training label (smallest among ties)."""
    dists = knn.compute_distances_two_loops(data.X_test, data.X_train)
    y_pred = knn.predict_labels(dists, data.y_train, k=len(data.y_train))
    np.testing.assert_array_equal(y_pred, np.argmax(np.bincount(data.y_train)))


@SKLEARN_SETTINGS
@given(data=knn_datasets(), k=st.integers(1, 5))
def test_classifier_num_loops_agree(data, k):
    """KNearestNeighbor.predict gives the same labels with 0, 1 or 2 loops (and equals sklearn)."""
    k = min(k, len(data.y_train))
    model = knn.KNearestNeighbor()
    model.train(data.X_train, data.y_train)
    preds = [model.predict(data.X_test, k=k, num_loops=n) for n in (0, 1, 2)]
    np.testing.assert_array_equal(preds[0], preds[1])
    np.testing.assert_array_equal(preds[0], preds[2])
    np.testing.assert_array_equal(preds[0], _sklearn_predict(data, k))


# ---- cross-validation ------------------------------------------------------------------------------------
def _loop_cross_validation(X, y, k_choices, num_folds):
    """The plain reading of the spec: np.array_split folds, train on the rest in order, accuracy per fold."""
    idx_folds = np.array_split(np.arange(len(X)), num_folds)
    results = {}
    for k in k_choices:
        results[k] = []
        for f, val in enumerate(idx_folds):
            train = np.concatenate([idx for g, idx in enumerate(idx_folds) if g != f])
            dists = knn.compute_distances_two_loops(X[val], X[train])
            y_pred = knn.predict_labels(dists, y[train], k=k)
            results[k].append(float(np.mean(y_pred == y[val])))
    return results


def _sklearn_cross_validation(X, y, k_choices, num_folds):
    """The same folds, each scored by KNeighborsClassifier(algorithm='brute')."""
    idx_folds = np.array_split(np.arange(len(X)), num_folds)
    results = {}
    for k in k_choices:
        results[k] = []
        for f, val in enumerate(idx_folds):
            train = np.concatenate([idx for g, idx in enumerate(idx_folds) if g != f])
            model = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(X[train], y[train])
            results[k].append(float(np.mean(model.predict(X[val]) == y[val])))
    return results


@st.composite
def _cv_problems(draw):
    data = draw(knn_datasets(min_train=6, max_train=30))
    num_folds = draw(st.integers(2, min(5, len(data.y_train))))
    smallest_train = len(data.y_train) - -(-len(data.y_train) // num_folds)  # N minus the largest fold
    k_choices = draw(st.lists(st.integers(1, smallest_train), min_size=1, max_size=2, unique=True))
    return data, k_choices, num_folds


@settings(max_examples=15, deadline=None)
@given(problem=_cv_problems())
def test_cross_validate_k_matches_plain_loop_and_sklearn(problem):
    """cross_validate_k equals a plain array_split loop and sklearn's per-fold accuracies, exactly."""
    data, k_choices, num_folds = problem
    X, y = data.X_train, data.y_train
    result = knn.cross_validate_k(X, y, k_choices, num_folds=num_folds)
    assert set(result) == set(k_choices)
    assert all(len(result[k]) == num_folds and all(isinstance(a, float) for a in result[k]) for k in k_choices)
    assert result == _loop_cross_validation(X, y, k_choices, num_folds)
    assert result == _sklearn_cross_validation(X, y, k_choices, num_folds)


def test_cross_validate_k_fold_sizes_follow_array_split():
    """23 samples in 5 folds are 5,5,5,4,4: accuracies are multiples of 1/5 for folds 0-2 and 1/4 after."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(23, 2)), rng.integers(0, 2, size=23)
    accuracies = np.array(knn.cross_validate_k(X, y, [1], num_folds=5)[1])
    np.testing.assert_allclose((accuracies * [5, 5, 5, 4, 4]) % 1, 0, atol=1e-12)


# ---- bad input -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(DISTANCES))
@pytest.mark.parametrize(
    ("X_test", "X_train", "match"),
    [
        (np.zeros(3), np.zeros((2, 3)), r"X_test must be a 2-D array \(num_samples, D\), got shape \(3,\)"),
        (np.zeros((2, 3)), np.zeros((1, 2, 3)), r"X_train must be a 2-D array"),
        (np.zeros((2, 3)), np.zeros((4, 2)), r"X_test has D=3 features but X_train has D=2: they must match"),
        (np.zeros((0, 3)), np.zeros((4, 3)), r"X_test is empty: expected at least one row"),
        (np.zeros((2, 3)), np.zeros((0, 3)), r"X_train is empty: expected at least one row"),
    ],
)
def test_distances_reject_bad_shapes(name, X_test, X_train, match):
    """Wrong ndim, mismatched D or an empty array raise ValueError saying what was expected."""
    with pytest.raises(ValueError, match=match):
        DISTANCES[name](X_test, X_train)


@pytest.mark.parametrize(
    ("dists", "y_train", "k", "match"),
    [
        (np.ones((2, 3)), np.array([0, 1, 1]), 4, r"k must be between 1 and the number of training points \(3\), got 4"),
        (np.ones((2, 3)), np.array([0, 1, 1]), 0, r"k must be between 1 .*got 0"),
        (np.ones((2, 3)), np.array([0, -1, 1]), 1, r"y_train must hold non-negative integer labels"),
        (np.ones((2, 3)), np.array([0.0, 1.0, 1.0]), 1, r"non-negative integer labels, got dtype float64"),
        (np.ones(3), np.array([0, 1, 1]), 1, r"expected dists \(num_test, num_train\) and y_train \(num_train,\)"),
        (np.ones((2, 3)), np.array([0, 1]), 1, r"expected dists \(num_test, num_train\)"),
        (np.ones((2, 0)), np.array([], dtype=int), 1, r"k must be between 1 and the number of training points \(0\)"),
    ],
)
def test_predict_labels_rejects_bad_input(dists, y_train, k, match):
    """k outside 1..num_train, negative or float labels, or mismatched shapes raise ValueError."""
    with pytest.raises(ValueError, match=match):
        knn.predict_labels(dists, y_train, k=k)


def test_classifier_rejects_unknown_num_loops():
    """KNearestNeighbor.predict(num_loops=3) raises ValueError naming the allowed values."""
    model = knn.KNearestNeighbor()
    model.train(np.zeros((3, 2)), np.array([0, 1, 0]))
    with pytest.raises(ValueError, match=r"num_loops must be 0, 1 or 2, got 3"):
        model.predict(np.zeros((1, 2)), num_loops=3)


def test_classifier_rejects_k_larger_than_training_set():
    """KNearestNeighbor.predict with k > num_train raises ValueError (from the vote)."""
    model = knn.KNearestNeighbor()
    model.train(np.zeros((3, 2)), np.array([0, 1, 0]))
    with pytest.raises(ValueError, match=r"k must be between 1 and the number of training points \(3\)"):
        model.predict(np.zeros((1, 2)), k=4)


def test_classifier_train_rejects_mismatched_labels():
    """train(X, y) with len(X) != len(y) raises ValueError showing both shapes."""
    with pytest.raises(ValueError, match=r"expected X \(num_train, D\) and y \(num_train,\), got \(3, 2\) and \(2,\)"):
        knn.KNearestNeighbor().train(np.zeros((3, 2)), np.array([0, 1]))


@pytest.mark.parametrize(
    ("X", "y", "k_choices", "num_folds", "match"),
    [
        (np.zeros((4, 2)), np.zeros(4, dtype=int), [1], 5, r"num_folds must be between 2 and the number of samples \(4\), got 5"),
        (np.zeros((4, 2)), np.zeros(4, dtype=int), [1], 1, r"num_folds must be between 2 .*got 1"),
        (np.zeros((0, 2)), np.zeros(0, dtype=int), [1], 2, r"num_folds must be between 2 and the number of samples \(0\)"),
        (np.zeros(4), np.zeros(4, dtype=int), [1], 2, r"expected X \(N, D\) and y \(N,\), got \(4,\) and \(4,\)"),
        (np.zeros((4, 2)), np.zeros(3, dtype=int), [1], 2, r"expected X \(N, D\) and y \(N,\)"),
        (np.zeros((4, 2)), np.zeros(4, dtype=int), [3], 2, r"k must be between 1 and the number of training points \(2\)"),
        (np.zeros((4, 2)), np.zeros(4, dtype=int), [0], 2, r"k must be between 1"),
        (np.zeros((4, 2)), np.array([0, 1, -1, 0]), [1], 2, r"non-negative integer labels"),
    ],
)
def test_cross_validate_k_rejects_bad_input(X, y, k_choices, num_folds, match):
    """Bad shapes, num_folds outside 2..N, or a k no fold can use raise ValueError saying what was expected."""
    with pytest.raises(ValueError, match=match):
        knn.cross_validate_k(X, y, k_choices, num_folds=num_folds)


@SETTINGS
@given(data=st.integers(2, 12).flatmap(lambda n: st.tuples(st.just(n), label_vectors(n, 4))))
def test_predict_labels_with_zero_distances_votes_in_training_order(data):
    """All distances equal: the stable sort keeps training order, so the vote is over y_train[:k]."""
    n, y_train = data
    for k in range(1, n + 1):
        y_pred = knn.predict_labels(np.zeros((2, n)), y_train, k=k)
        np.testing.assert_array_equal(y_pred, np.argmax(np.bincount(y_train[:k])))


# ---- the one-standard-error rule ---------------------------------------------------------------------------
def _one_se_oracle(results):
    """The rule written with the statistics module and loops (independent of numpy)."""
    import math
    import statistics

    best = max(results, key=lambda k: statistics.fmean(results[k]))
    bar = statistics.fmean(results[best]) - statistics.stdev(results[best]) / math.sqrt(len(results[best]))
    return max(k for k in results if statistics.fmean(results[k]) >= bar)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(1, 60), st.lists(st.floats(0, 1), min_size=5, max_size=5), min_size=1, max_size=8))
def test_choose_k_equals_the_rule_written_with_statistics(results):
    """choose_k equals the one-standard-error rule computed independently, away from exact boundary ties."""
    import math
    import statistics

    best = max(results, key=lambda k: statistics.fmean(results[k]))
    bar = statistics.fmean(results[best]) - statistics.stdev(results[best]) / math.sqrt(5)
    assume(all(abs(statistics.fmean(a) - bar) > 1e-9 for a in results.values()))
    assert knn.choose_k(results) == _one_se_oracle(results)


def test_choose_k_prefers_the_largest_k_within_one_standard_error():
    """k=3 has the best mean; k=10 is within one standard error of it (and k=1 too), k=20 is not: the answer is 10."""
    results = {1: [0.80, 0.84, 0.82], 3: [0.82, 0.86, 0.84], 10: [0.82, 0.84, 0.83], 20: [0.70, 0.72, 0.71]}
    assert knn.choose_k(results) == 10


@pytest.mark.parametrize("results", [{}, [0.9, 0.8], {1: [0.9]}, {1: [0.9, 0.8], 3: [0.9]}])
def test_choose_k_rejects_malformed_results(results):
    """Empty or non-dict results, a single fold, or k's with different fold counts raise ValueError."""
    with pytest.raises(ValueError):
        knn.choose_k(results)
