"""Tests of the check machinery shared by every visible and hidden check: course.checks (check, lookup) and
course.checks.core (call_student, assert_close, assert_equal_labels, as_array, with_globals)."""

import functools
import warnings

import numpy as np
import pytest

from course.checks import check
from course.checks.core import Call, as_array, assert_close, assert_equal_labels, call_student, with_globals
from solutions import knn
from solutions.knn import KNearestNeighbor


# ---- (d) honest warnings, (e) student errors, (f) unknown ids --------------------------------------------
def no_loops_with_a_throwaway_log(X_test, X_train):
    _unused = np.log(np.zeros(1))  # RuntimeWarning: divide by zero — harmless, the answer is right
    return knn.compute_distances_no_loops(X_test, X_train)


def test_honest_function_that_warns_passes_silently(capsys):
    """A right answer that emits a numpy RuntimeWarning passes, with nothing on stderr and no warning escaping."""
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        check("knn.compute_distances_no_loops", no_loops_with_a_throwaway_log)
    out, err = capsys.readouterr()
    assert escaped == [] and err == ""
    assert out == "✓ knn.compute_distances_no_loops: visible check passed\n"


def test_student_stderr_is_not_shown_when_the_answer_is_right(capsys):
    """A right answer that prints to stderr passes and its stderr does not reach the cell."""
    import sys

    def noisy(dists, y_train, k=1):
        print("debugging...", file=sys.stderr)
        return knn.predict_labels(dists, y_train, k=k)

    check("knn.predict_labels", noisy)
    assert capsys.readouterr().err == ""


def test_student_exception_propagates():
    """An IndexError inside the student's function reaches the cell unchanged (the student sees the traceback)."""

    def broken(X_test, X_train):
        return X_test[len(X_test)]

    with pytest.raises(IndexError):
        check("knn.compute_distances_one_loop", broken)


def test_student_gets_copies_of_the_inputs():
    """call_student passes copies: a student function that writes into its arguments cannot change the check's data."""
    def vandal(X_test, X_train):
        X_test[:] = 0
        X_train[:] = 0
        return X_test

    X_test, X_train = np.ones((2, 3)), np.full((4, 3), 2.0)
    call = call_student(vandal, X_test, X_train=X_train)
    assert np.all(X_test == 1) and np.all(X_train == 2) and np.all(call.value == 0)


@pytest.mark.parametrize("exercise_id", ["knn.compute_distance_no_loop", "nosuchmodule.fn", "no dots at all"])
def test_unknown_check_id_raises_key_error_listing_known_ids(exercise_id):
    """check() with an unknown id raises KeyError naming the id and listing the known checks."""
    with pytest.raises(KeyError) as info:
        check(exercise_id, lambda: None)
    message = str(info.value)
    assert repr(exercise_id) in message and "knn.compute_distances_no_loops" in message


# ---- course.checks.core ---------------------------------------------------------------------------------
def _uses_helper(x):
    return helper(x) + 1  # noqa: F821 - `helper` is supplied by with_globals


def _with_defaults(x, scale=2, *, shift=3):
    return scale * x + shift


def test_with_globals_rebinds_a_global_name_in_a_copy():
    """with_globals gives a copy that calls the replacement; the original function's globals are untouched."""
    clone = with_globals(_uses_helper, helper=lambda x: 10 * x)
    assert clone(2) == 21
    assert "helper" not in globals()
    with pytest.raises(NameError):
        _uses_helper(2)


def test_with_globals_keeps_defaults_and_keyword_defaults():
    """The copy keeps positional and keyword-only defaults."""
    clone = with_globals(_with_defaults, unrelated=1)
    assert clone(1) == 5 and clone(1, 3, shift=0) == 3


def test_with_globals_sees_through_decorators():
    """A decorated reference (functools.wraps) is unwrapped, so the replacement reaches the inner body."""
    calls = []

    class Recorder(KNearestNeighbor):
        def train(self, X, y):
            calls.append(len(X))
            super().train(X, y)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.integers(0, 2, size=10)
    result = with_globals(knn.cross_validate_k, KNearestNeighbor=Recorder)(X, y, [1], num_folds=5)
    assert calls == [8] * 5 and result == knn.cross_validate_k(X, y, [1], num_folds=5)


def test_with_globals_returns_non_functions_unchanged():
    """A callable that is not a Python function (a builtin, a class, a callable object) is returned as is."""
    obj = KNearestNeighbor()
    for fn in (len, KNearestNeighbor, functools.partial(_with_defaults, scale=1)):
        assert with_globals(fn, x=1) is fn
    assert with_globals(obj, x=1) is obj


def test_assert_close_passes_within_tolerance():
    """Entries within atol + rtol·|expected| pass (nothing is returned, nothing raised)."""
    assert assert_close("f", np.array([1.0 + 1e-7, 2.0]), np.array([1.0, 2.0]), rtol=1e-6, atol=0) is None


def test_assert_close_message_names_count_index_values_and_tolerance():
    """A mismatch message states how many entries differ, the first index, both values and the tolerance."""
    got, expected = np.array([[1.0, 2.0], [3.0, 4.5]]), np.array([[1.0, 2.0], [3.5, 4.0]])
    with pytest.raises(AssertionError) as info:
        assert_close("f(x)", got, expected, rtol=1e-6, atol=1e-8)
    message = str(info.value)
    for phrase in ["f(x): 2 of 4 entries differ", "First at index (1, 0): got 3.0, expected 3.5",
                   "largest difference 0.5", "atol=1e-08 + rtol=1e-06"]:
        assert phrase in message, message


def test_assert_close_reports_non_finite_entries_and_first_matching_hint():
    """A NaN is reported as 'not finite' with the first hint whose predicate holds; failing predicates are skipped."""
    def raises(g, e):
        raise ValueError("cannot evaluate")

    hints = [(raises, "never shown"), (lambda g, e: False, "not this one"), (lambda g, e: True, "this one"),
             (lambda g, e: True, "not the second")]
    with pytest.raises(AssertionError) as info:
        assert_close("f", np.array([1.0, np.nan]), np.array([1.0, 0.0]), hints=hints)
    message = str(info.value)
    assert "entry (1,) is nan (not finite)" in message and "Hint: this one" in message
    assert "never shown" not in message and "not the second" not in message


@pytest.mark.parametrize(
    ("got", "phrase"),
    [
        (None, "returned None — did you forget the `return` statement?"),
        (np.zeros((3, 2)), "expected shape (2, 3), got (3, 2) — it looks transposed"),
        (np.zeros(6), "expected shape (2, 3), got (6,)"),
        (np.array([["a", "b", "c"]] * 2), "expected a numeric array, got dtype <U1"),
    ],
)
def test_assert_close_explains_wrong_type_and_shape(got, phrase):
    """None, a transposed or wrongly shaped array, or a non-numeric array each get their own message."""
    with pytest.raises(AssertionError) as info:
        assert_close("f", got, np.zeros((2, 3)))
    assert phrase in str(info.value)


def test_assert_close_appends_warnings_and_stderr_of_the_call():
    """When a check fails, the warnings and stderr the student's call produced are shown with the message."""
    call = Call(None, warnings=["RuntimeWarning: invalid value encountered in sqrt"], stderr="oops\n")
    with pytest.raises(AssertionError) as info:
        assert_close("f", np.array([2.0]), np.array([1.0]), call=call)
    message = str(info.value)
    assert "your code emitted: RuntimeWarning: invalid value encountered in sqrt" in message
    assert "it printed to stderr: oops" in message


def test_as_array_returns_a_base_class_copy():
    """as_array turns an ndarray subclass into a plain ndarray that does not share memory with the student's."""
    student = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    arr = as_array("f", student, (2,))
    assert type(arr) is np.ndarray and not np.shares_memory(arr, student.data)


def test_assert_equal_labels_names_first_mismatch_and_hint():
    """A wrong label vector is reported with the count, the first wrong index, both labels and the hint."""
    with pytest.raises(AssertionError) as info:
        assert_equal_labels("predict", np.array([0, 2, 1, 2]), np.array([0, 1, 1, 1]),
                            hints=[(lambda g, e: g[1] == 2, "ties go to the smallest label")])
    message = str(info.value)
    assert "predict: 2 of 4 labels are wrong. First at index 1: got 2, expected 1." in message
    assert "Hint: ties go to the smallest label" in message


def test_assert_equal_labels_accepts_whole_floats_and_rejects_fractions():
    """Float labels that are whole numbers are accepted as ints; 0.5 is not a label."""
    assert assert_equal_labels("p", np.array([1.0, 0.0]), np.array([1, 0])) is None
    with pytest.raises(AssertionError, match="expected integer labels, got dtype float64"):
        assert_equal_labels("p", np.array([0.5, 0.0]), np.array([1, 0]))
    with pytest.raises(AssertionError, match=r"expected shape \(2,\), got \(3,\)"):
        assert_equal_labels("p", np.array([1, 0, 0]), np.array([1, 0]))
