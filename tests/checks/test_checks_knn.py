"""Tests of the visible checks of a1_knn (course.checks.check("knn.<name>", fn)); the shared machinery is in test_core.py.

One table of cases runs against the reference (must pass), the released stubs (must raise
NotImplementedError) and planted bugs (must fail with the teaching message that names the mistake).
"""

import nbformat
import numpy as np
import pytest

from autograder import registry
from course.checks import check, exercise_ids
from course.checks import spec
from solutions import knn
from solutions.knn import KNearestNeighbor  # the global the planted cross-validations call (the check rebinds it)
from tests.nbtools import ROOT, grade_id
from tests.strategies import expansion_atol

EXERCISES = [e.name for e in registry.load()["a1_knn"].exercises]


def released_stubs() -> dict[str, object]:
    """The student's starting point: the released notebook's solution cells and the provided class, exec'd."""
    nb = nbformat.read(ROOT / "release" / "a1_knn" / "knn.ipynb", as_version=4)
    namespace: dict[str, object] = {"np": np}
    cells = [c for c in nb.cells if c.cell_type == "code" and grade_id(c).endswith(("-solution", "-provided"))]
    for cell in cells:
        exec(compile(cell.source, f"<release {grade_id(cell)}>", "exec"), namespace)  # noqa: S102
    return namespace


def failure_message(exercise_id, fn):
    """The AssertionError message of a visible check, or None if `fn` passes it."""
    try:
        check(exercise_id, fn)
    except AssertionError as exc:
        return str(exc)
    return None


# ---- (a) the reference passes, (b) the released stubs do not --------------------------------------------
@pytest.mark.parametrize("name", EXERCISES)
def test_reference_passes_visible_check(name, capsys):
    """Every reference function from solutions.knn passes its visible check and prints only the tick."""
    assert check(f"knn.{name}", getattr(knn, name)) is None
    out, err = capsys.readouterr()
    assert out == f"✓ knn.{name}: visible check passed\n" and err == ""


def test_every_knn_exercise_has_a_visible_check():
    """The visible checks registered under knn.* are exactly the registered exercises of a1_knn."""
    assert [i for i in exercise_ids() if i.startswith("knn.")] == sorted(f"knn.{n}" for n in EXERCISES)


@pytest.mark.parametrize("name", EXERCISES)
def test_released_stub_fails_with_not_implemented(name):
    """The released notebook's stub of each exercise raises NotImplementedError inside its visible check."""
    stubs = released_stubs()
    assert {"KNearestNeighbor", name} <= set(stubs)
    with pytest.raises(NotImplementedError):
        check(f"knn.{name}", stubs[name])


# ---- (c) planted bugs -------------------------------------------------------------------------------------
def squared_distances(X_test, X_train):
    return np.sum((X_test[:, None, :] - X_train[None, :, :]) ** 2, axis=2)


def l1_distances(X_test, X_train):
    return np.sum(np.abs(X_test[:, None, :] - X_train[None, :, :]), axis=2)


def unclipped_norms_right_to_left(X_test, X_train):
    """No clip, with the squared norms summed right to left (a fixed order: the same rounding on every machine)."""
    sq_test = np.cumsum(X_test[:, ::-1] ** 2, axis=1)[:, -1]
    sq_train = np.cumsum(X_train[:, ::-1] ** 2, axis=1)[:, -1]
    cross = np.cumsum(X_test[:, None, :] * X_train[None, :, :], axis=2)[..., -1]
    return np.sqrt(sq_test[:, None] + sq_train[None, :] - 2 * cross)  # the duplicates round to -8.9e-16 → NaN


def expansion(X_test, X_train, *, right_to_left=False, clip=True):
    """A no-loop expansion ||x||² + ||y||² − 2x·y whose cross term is accumulated in a fixed feature order.

    BLAS chooses its own order for X_test @ X_train.T (so rounding differs between machines); np.cumsum adds
    left to right, which makes these stand-ins for "a correct student's matmul" the same on every machine.
    """
    products = X_test[:, None, :] * X_train[None, :, :]
    cross = np.cumsum(products[..., ::-1] if right_to_left else products, axis=2)[..., -1]
    sq = np.sum(X_test**2, axis=1)[:, None] + np.sum(X_train**2, axis=1)[None, :] - 2 * cross
    return np.sqrt(np.maximum(sq, 0) if clip else sq)


def unclipped_left_to_right(X_test, X_train):
    return expansion(X_test, X_train, clip=False)


def clipped_right_to_left(X_test, X_train):
    return expansion(X_test, X_train, right_to_left=True)


def unclipped_reference(X_test, X_train):
    """The reference without its clip (BLAS matmul: whether a duplicate rounds below 0 depends on the BLAS)."""
    sq = (-2.0 * X_test) @ X_train.T + np.sum(X_test**2, axis=1)[:, None] + np.sum(X_train**2, axis=1)[None, :]
    return np.sqrt(sq)


def transposed_distances(X_test, X_train):
    return knn.compute_distances_two_loops(X_train, X_test)


def distances_without_return(X_test, X_train):
    knn.compute_distances_two_loops(X_test, X_train)


def permuted_distances(X_test, X_train):
    return knn.compute_distances_two_loops(X_test, X_train)[:, ::-1]


def predict_ignoring_k(dists, y_train, k=1):
    return y_train[np.argmin(dists, axis=1)]


def predict_ties_to_largest(dists, y_train, k=1):
    nearest = np.argsort(dists, axis=1)[:, :k]
    counts = [np.bincount(row) for row in y_train[nearest]]
    return np.array([len(c) - 1 - np.argmax(c[::-1]) for c in counts])


def _folds(X, y, num_folds):
    return np.array_split(X, num_folds), np.array_split(y, num_folds)


def cv_trains_on_validation_fold(X, y, k_choices, num_folds=5):
    X_folds, y_folds = _folds(X, y, num_folds)
    results = {}
    for k in k_choices:
        results[k] = []
        for f in range(num_folds):
            model = KNearestNeighbor()
            model.train(X, y)  # bug: the validation fold is part of the training set
            results[k].append(float(np.mean(model.predict(X_folds[f], k=k) == y_folds[f])))
    return results


def cv_returns_counts(X, y, k_choices, num_folds=5):
    X_folds, y_folds = _folds(X, y, num_folds)
    results = {}
    for k in k_choices:
        results[k] = []
        for f in range(num_folds):
            model = KNearestNeighbor()
            model.train(np.concatenate(X_folds[:f] + X_folds[f + 1:]), np.concatenate(y_folds[:f] + y_folds[f + 1:]))
            results[k].append(int(np.sum(model.predict(X_folds[f], k=k) == y_folds[f])))  # bug: a count
    return results


def cv_without_classifier(X, y, k_choices, num_folds=5):
    X_folds, y_folds = _folds(X, y, num_folds)
    results = {}
    for k in k_choices:
        results[k] = []
        for f in range(num_folds):
            X_tr, y_tr = np.concatenate(X_folds[:f] + X_folds[f + 1:]), np.concatenate(y_folds[:f] + y_folds[f + 1:])
            dists = knn.compute_distances_two_loops(X_folds[f], X_tr)
            results[k].append(float(np.mean(knn.predict_labels(dists, y_tr, k=k) == y_folds[f])))
    return results


def cv_reversed_folds(X, y, k_choices, num_folds=5):
    X_folds, y_folds = _folds(X, y, num_folds)
    results = {}
    for k in k_choices:
        results[k] = []
        for f in reversed(range(num_folds)):  # bug: accuracies listed from the last fold to the first
            model = KNearestNeighbor()
            model.train(np.concatenate(X_folds[:f] + X_folds[f + 1:]), np.concatenate(y_folds[:f] + y_folds[f + 1:]))
            results[k].append(float(np.mean(model.predict(X_folds[f], k=k) == y_folds[f])))
    return results


def cv_interleaved_folds(X, y, k_choices, num_folds=5):
    results = {}
    for k in k_choices:
        results[k] = []
        for f in range(num_folds):
            val = np.arange(f, len(X), num_folds)  # bug: folds X[f::num_folds], not consecutive blocks
            tr = np.setdiff1d(np.arange(len(X)), val)
            model = KNearestNeighbor()
            model.train(X[tr], y[tr])
            results[k].append(float(np.mean(model.predict(X[val], k=k) == y[val])))
    return results


def cv_ignoring_k(X, y, k_choices, num_folds=5):
    X_folds, y_folds = _folds(X, y, num_folds)
    results = {}
    for k in k_choices:
        results[k] = []
        for f in range(num_folds):
            model = KNearestNeighbor()
            model.train(np.concatenate(X_folds[:f] + X_folds[f + 1:]), np.concatenate(y_folds[:f] + y_folds[f + 1:]))
            results[k].append(float(np.mean(model.predict(X_folds[f]) == y_folds[f])))  # bug: k not passed on
    return results


PLANTED = [
    ("compute_distances_two_loops", squared_distances, ["SQUARED", "square root"]),
    ("compute_distances_one_loop", squared_distances, ["square root"]),
    ("compute_distances_one_loop", l1_distances, ["L1", "Manhattan"]),
    ("compute_distances_no_loops", unclipped_norms_right_to_left, ["nan (not finite)", "clip", "RuntimeWarning"]),
    ("compute_distances_no_loops", unclipped_reference, ["far from the origin", "nan (not finite)", "clip"]),
    ("compute_distances_no_loops", transposed_distances, ["expected shape", "transposed"]),
    ("compute_distances_two_loops", distances_without_return, ["returned None", "return"]),
    ("compute_distances_one_loop", permuted_distances, ["wrong places"]),
    ("predict_labels", predict_ignoring_k, ["1-nearest-neighbour", "vote among the k nearest"]),
    ("predict_labels", predict_ties_to_largest, ["even k with label ties", "smallest label"]),
    ("cross_validate_k", cv_trains_on_validation_fold, ["validation fold"]),
    ("cross_validate_k", cv_returns_counts, ["fraction", "not a count"]),
    ("cross_validate_k", cv_without_classifier, ["never called KNearestNeighbor"]),
    ("cross_validate_k", cv_reversed_folds, ["reverse order"]),
    ("cross_validate_k", cv_interleaved_folds, ["consecutive folds", "np.array_split"]),
    ("cross_validate_k", cv_ignoring_k, ["once per fold", "k=k"]),
]


@pytest.mark.parametrize(("name", "buggy", "phrases"), PLANTED, ids=[f"{n}-{b.__name__}" for n, b, _ in PLANTED])
def test_planted_bug_fails_with_teaching_message(name, buggy, phrases, capsys):
    """A planted mistake fails its visible check with an AssertionError naming the mistake; nothing is printed."""
    with pytest.raises(AssertionError) as info:
        check(f"knn.{name}", buggy)
    message = str(info.value)
    assert all(p in message for p in phrases), message
    assert capsys.readouterr() == ("", "")


def test_unclipped_expansion_is_a_real_bug():
    """Without the clip, the same-order expansion returns NaN for some near-duplicates at 1e3 (D=3, as in the check)."""
    rng = np.random.default_rng(0)
    X_train = 1e3 + rng.normal(size=(50, 3))
    X_test = X_train + 1e-9 * rng.normal(size=(50, 3))
    with np.errstate(invalid="ignore"):
        assert np.isnan(np.diag(unclipped_left_to_right(X_test, X_train))).any()


def test_visible_check_catches_a_missing_clip():
    """The no-loop visible check fails an unclipped expansion (which gives NaN on near-duplicates)."""
    message = failure_message("knn.compute_distances_no_loops", unclipped_left_to_right)
    assert message is not None and "clip" in message, message


def test_right_to_left_expansion_is_correct_on_the_visible_inputs():
    """The clipped right-to-left expansion equals the loop distances up to the expansion's rounding."""
    for case in spec.visible_cases(spec.lookup("knn.compute_distances_no_loops")):
        X_test, X_train = case["X_test"], case["X_train"]
        np.testing.assert_allclose(clipped_right_to_left(X_test, X_train),
                                   knn.compute_distances_two_loops(X_test, X_train), rtol=1e-10,
                                   atol=expansion_atol(X_test, X_train))


def test_visible_check_passes_a_correct_expansion_summed_right_to_left():
    """A correct, clipped no-loop expansion whose cross term is summed in another order passes the check."""
    check("knn.compute_distances_no_loops", clipped_right_to_left)
