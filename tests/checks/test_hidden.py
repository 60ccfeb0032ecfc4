"""Tests of autograder.hidden (seeds, evidence, judging) and the hidden checks of a1_knn (built from the specs in course.checks.knn)."""

import json

import numpy as np
import pytest

from autograder import hidden
from solutions import knn
from tests.strategies import expansion_atol
from tests.checks.test_checks_knn import (
    clipped_right_to_left,
    cv_returns_counts,
    cv_trains_on_validation_fold,
    cv_without_classifier,
    l1_distances,
    predict_ignoring_k,
    predict_ties_to_largest,
    squared_distances,
    transposed_distances,
)

SECRET, STUDENT = "test-secret", "alice"
EXERCISES = ["compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops",
             "predict_labels", "cross_validate_k"]


@pytest.fixture
def grading(monkeypatch, tmp_path):
    """A grading context: fixed secret and student, cwd in tmp_path (so evidence goes there), verdict in-kernel."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NNDL_GRADING_SECRET", SECRET)
    monkeypatch.setenv("NNDL_STUDENT_ID", STUDENT)
    monkeypatch.delenv("NNDL_EVIDENCE_DIR", raising=False)
    monkeypatch.delenv("NNDL_HIDDEN_VERDICT", raising=False)
    return tmp_path / ".nndl_evidence"


def read_meta(directory, exercise_id):
    return json.loads((directory / f"{exercise_id}.json").read_text())


# ---- seeds and the grading context ------------------------------------------------------------------------
def test_seed_is_deterministic_and_63_bit():
    """The same (exercise, student, secret) always gives the same seed, in [0, 2**63)."""
    seed = hidden.grading_seed("knn.predict_labels", "alice", "s")
    assert seed == hidden.grading_seed("knn.predict_labels", "alice", "s")
    assert 0 <= seed < 2**63


def test_seed_differs_by_student_exercise_and_secret():
    """Changing the student, the exercise or the secret changes the seed."""
    base = hidden.grading_seed("knn.predict_labels", "alice", "s")
    assert hidden.grading_seed("knn.predict_labels", "bob", "s") != base
    assert hidden.grading_seed("knn.cross_validate_k", "alice", "s") != base
    assert hidden.grading_seed("knn.predict_labels", "alice", "t") != base


def test_student_id_from_nbgrader_autograded_folder(monkeypatch, tmp_path):
    """Without $NNDL_STUDENT_ID, the student is <student> in the cwd autograded/<student>/<assignment>."""
    monkeypatch.delenv("NNDL_STUDENT_ID", raising=False)
    folder = tmp_path / "autograded" / "bob" / "a1_knn"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    assert hidden.student_id() == "bob"
    assert hidden.student_id(tmp_path / "submitted" / "bob" / "a1_knn") == "instructor"


def test_student_id_env_overrides_and_default_is_instructor(monkeypatch, tmp_path):
    """$NNDL_STUDENT_ID wins over the folder; outside autograded/ the student is 'instructor'."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NNDL_STUDENT_ID", raising=False)
    assert hidden.student_id() == "instructor"
    monkeypatch.setenv("NNDL_STUDENT_ID", "carol")
    assert hidden.student_id(tmp_path / "autograded" / "bob" / "a1_knn") == "carol"


def test_grading_secret_comes_from_the_environment(monkeypatch):
    """$NNDL_GRADING_SECRET is the secret when set."""
    monkeypatch.setenv("NNDL_GRADING_SECRET", "from-env")
    assert hidden.grading_secret() == "from-env"


@pytest.mark.parametrize("exercise_id", [f"knn.{n}" for n in EXERCISES])
def test_same_seed_gives_identical_inputs(exercise_id):
    """inputs_for is a function of the seed: the judge re-derives exactly the inputs the kernel used."""
    spec = hidden.lookup(exercise_id)
    seed = hidden.grading_seed(exercise_id, STUDENT, SECRET)
    first, again, other = (_flat(hidden.inputs_for(spec, s)) for s in (seed, seed, seed + 1))
    np.testing.assert_array_equal(first, again)
    assert first.shape != other.shape or not np.array_equal(first, other)


def _flat(value):
    """Every number in a (nested) inputs structure, as one float vector."""
    if isinstance(value, dict):
        return np.concatenate([_flat(v) for _, v in sorted(value.items())] or [np.zeros(0)])
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return np.concatenate([_flat(v) for v in value])
    return np.ravel(np.asarray(value, dtype=float))


def test_distance_inputs_contain_duplicates():
    """Every hidden distance case puts at least two test points exactly on training points (distance 0)."""
    for seed in range(20):
        inputs = hidden.inputs_for(hidden.lookup("knn.compute_distances_no_loops"), seed)
        for case in inputs["cases"]:
            dists = knn.compute_distances_two_loops(case["X_test"], case["X_train"])
            assert np.count_nonzero(dists == 0) >= 2


def test_lookup_unknown_id_raises_key_error():
    """An unknown hidden check id raises KeyError naming it."""
    with pytest.raises(KeyError, match="knn.nope"):
        hidden.lookup("knn.nope")


# ---- the reference passes, planted bugs fail ------------------------------------------------------------
@pytest.mark.parametrize("student", ["alice", "bob", "carol"])
@pytest.mark.parametrize("name", EXERCISES)
def test_reference_passes_hidden_check(grading, monkeypatch, name, student, capsys):
    """Every reference function passes its hidden check, for several students (several seeds)."""
    monkeypatch.setenv("NNDL_STUDENT_ID", student)
    hidden.check(f"knn.{name}", getattr(knn, name))
    assert capsys.readouterr() == (f"✓ knn.{name}: hidden check passed\n", "")
    assert read_meta(grading, f"knn.{name}")["status"] == "ok"


@pytest.mark.parametrize("seed", [0, 1, 2, 143857])
def test_right_to_left_expansion_is_a_correct_implementation(seed):
    """The right-to-left expansion equals the loop distances up to the expansion's own rounding."""
    inputs = hidden.inputs_for(hidden.lookup("knn.compute_distances_no_loops"), seed)
    for case in inputs["cases"]:
        X_test, X_train = case["X_test"], case["X_train"]
        np.testing.assert_allclose(clipped_right_to_left(X_test, X_train),
                                   knn.compute_distances_one_loop(X_test, X_train), rtol=1e-10,
                                   atol=expansion_atol(X_test, X_train))


@pytest.mark.parametrize("fn", [knn.compute_distances_no_loops, clipped_right_to_left], ids=["reference", "right_to_left"])
def test_correct_expansions_pass_judge_where_rounding_is_worst(fn):
    """Correct no-loop expansions pass the hidden judge on 200 seeds, including the near-duplicates far from the
    origin where the expansion rounds worst (regression: atol = 1e-7·(1 + max|x|) was too tight there)."""
    failed = {seed: reason for seed in range(200)
              if (reason := hidden.evaluate("knn.compute_distances_no_loops", seed, fn)) is not None}
    assert not failed, failed


HIDDEN_PLANTED = [
    ("compute_distances_two_loops", squared_distances, "square root"),
    ("compute_distances_one_loop", l1_distances, "L1"),
    ("compute_distances_no_loops", transposed_distances, "transposed"),
    ("predict_labels", predict_ignoring_k, "labels are wrong"),
    ("predict_labels", predict_ties_to_largest, "smallest label"),
    ("cross_validate_k", cv_trains_on_validation_fold, "validation fold"),
    ("cross_validate_k", cv_returns_counts, "entries differ"),
    ("cross_validate_k", cv_without_classifier, "never called KNearestNeighbor"),
]


@pytest.mark.parametrize(("name", "buggy", "phrase"), HIDDEN_PLANTED,
                         ids=[f"{n}-{b.__name__}" for n, b, _ in HIDDEN_PLANTED])
def test_planted_bug_fails_hidden_check(grading, name, buggy, phrase):
    """A planted mistake fails its hidden check with AssertionError (and evidence is written either way)."""
    with pytest.raises(AssertionError, match=phrase):
        hidden.check(f"knn.{name}", buggy)
    assert read_meta(grading, f"knn.{name}")["status"] in {"ok", "error"}


# ---- evidence -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXERCISES)
def test_evidence_is_plain_data(grading, name):
    """The evidence is an npz readable with allow_pickle=False (float64/int64 arrays) and a json saying 'ok'."""
    exercise_id = f"knn.{name}"
    hidden.check(exercise_id, getattr(knn, name))
    with np.load(grading / f"{exercise_id}.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    assert arrays and all(a.dtype in (np.float64, np.int64) for a in arrays.values())
    meta = read_meta(grading, exercise_id)
    assert meta == {"exercise_id": exercise_id, "student": STUDENT, "status": "ok",
                    "seed": str(hidden.grading_seed(exercise_id, STUDENT, SECRET))}


def test_evidence_dir_follows_environment(grading, monkeypatch, tmp_path):
    """$NNDL_EVIDENCE_DIR chooses where the evidence goes."""
    monkeypatch.setenv("NNDL_EVIDENCE_DIR", str(tmp_path / "elsewhere"))
    hidden.check("knn.predict_labels", knn.predict_labels)
    assert (tmp_path / "elsewhere" / "knn.predict_labels.npz").is_file()
    assert not grading.exists()


def test_student_error_is_recorded_and_reraised(grading):
    """A student's IndexError is re-raised in the cell, recorded as status 'error', and judged as 0 points."""
    def broken(dists, y_train, k=1):
        return y_train[dists.shape[1]]

    with pytest.raises(IndexError):
        hidden.check("knn.predict_labels", broken)
    meta = read_meta(grading, "knn.predict_labels")
    assert meta["status"] == "error" and meta["error"].startswith("IndexError:")
    with np.load(grading / "knn.predict_labels.npz", allow_pickle=False) as data:
        assert data.files == []
    with pytest.raises(AssertionError, match="your function raised IndexError"):
        hidden.judge(grading, "knn.predict_labels", STUDENT, SECRET)


def test_wrong_shape_is_recorded_as_error(grading):
    """A transposed answer fails while recording (plain-data conversion), so the evidence says 'error'."""
    with pytest.raises(AssertionError, match="transposed"):
        hidden.check("knn.compute_distances_one_loop", transposed_distances)
    assert read_meta(grading, "knn.compute_distances_one_loop")["status"] == "error"


def test_judge_rejects_missing_evidence(grading):
    """No evidence files means AssertionError (0 points), not a crash of the grader."""
    with pytest.raises(AssertionError, match="no usable evidence"):
        hidden.judge(grading, "knn.predict_labels", STUDENT, SECRET)


def _record_reference(exercise_id):
    """Record the reference's evidence and return its outputs (read back) and the directory."""
    name = exercise_id.partition(".")[2]
    directory = hidden.record(exercise_id, getattr(knn, name))
    return hidden.read_evidence(directory, exercise_id)[1], directory


@pytest.mark.parametrize(
    "tamper",
    [
        lambda a: a[:-1],  # wrong shape
        lambda a: a.T,  # transposed
        lambda a: a.astype(np.float32),  # wrong dtype
        lambda a: a.astype(np.int64),  # int where float is expected
    ],
    ids=["shorter", "transposed", "float32", "int64"],
)
def test_judge_rejects_evidence_with_wrong_shape_or_dtype(grading, tamper):
    """Evidence arrays must be float64/int64 arrays of the schema's shape, else AssertionError."""
    outputs, directory = _record_reference("knn.compute_distances_two_loops")
    meta = read_meta(directory, "knn.compute_distances_two_loops")
    hidden.write_evidence(directory, "knn.compute_distances_two_loops", meta,
                          {**outputs, "c0.dists": tamper(outputs["c0.dists"])})
    with pytest.raises(AssertionError, match="is not a float array of shape"):
        hidden.judge(directory, "knn.compute_distances_two_loops", STUDENT, SECRET)


def test_judge_rejects_evidence_lacking_an_output(grading):
    """Evidence without one of the schema's outputs fails."""
    outputs, directory = _record_reference("knn.predict_labels")
    meta = read_meta(directory, "knn.predict_labels")
    hidden.write_evidence(directory, "knn.predict_labels", meta, dict(list(outputs.items())[1:]))
    with pytest.raises(AssertionError, match=f"evidence lacks output '{next(iter(outputs))}'"):
        hidden.judge(directory, "knn.predict_labels", STUDENT, SECRET)


def test_judge_rejects_pickled_evidence(grading):
    """An npz holding a pickled object array is not plain data: AssertionError, and the pickle is never loaded."""
    _, directory = _record_reference("knn.compute_distances_two_loops")
    np.savez(directory / "knn.compute_distances_two_loops.npz", dists=np.array([{"x": 1}], dtype=object))
    with pytest.raises(AssertionError, match="no usable evidence"):
        hidden.judge(directory, "knn.compute_distances_two_loops", STUDENT, SECRET)


def test_judge_rederives_inputs_for_the_student_it_is_given(grading):
    """Alice's (correct) evidence judged as Bob's is compared with Bob's inputs, and fails."""
    _, directory = _record_reference("knn.compute_distances_two_loops")
    hidden.judge(directory, "knn.compute_distances_two_loops", STUDENT, SECRET)
    with pytest.raises(AssertionError):
        hidden.judge(directory, "knn.compute_distances_two_loops", "bob", SECRET)


def test_write_evidence_rejects_unsafe_names(tmp_path):
    """An exercise id that could escape the evidence directory is refused."""
    with pytest.raises(ValueError, match="bad exercise id"):
        hidden.write_evidence(tmp_path, "../knn.x", {}, {})


# ---- verdict outside the kernel -------------------------------------------------------------------------
def test_outside_verdict_records_without_judging(grading, monkeypatch, capsys):
    """With NNDL_HIDDEN_VERDICT=outside a wrong answer does not raise in the kernel; the later judge does."""
    monkeypatch.setenv("NNDL_HIDDEN_VERDICT", "outside")
    assert hidden.check("knn.compute_distances_two_loops", squared_distances) is None
    assert capsys.readouterr() == ("", "")
    assert read_meta(grading, "knn.compute_distances_two_loops")["status"] == "ok"
    with pytest.raises(AssertionError, match="square root"):
        hidden.judge(grading, "knn.compute_distances_two_loops", STUDENT, SECRET)


def test_outside_verdict_then_judge_passes_the_reference(grading, monkeypatch):
    """Recorded outside, the reference's evidence passes a judge run later with the same student and secret."""
    monkeypatch.setenv("NNDL_HIDDEN_VERDICT", "outside")
    hidden.check("knn.cross_validate_k", knn.cross_validate_k)
    monkeypatch.delenv("NNDL_STUDENT_ID")
    monkeypatch.delenv("NNDL_GRADING_SECRET")
    assert hidden.judge(grading, "knn.cross_validate_k", STUDENT, SECRET) is None


# ---- student outputs become plain data --------------------------------------------------------------------
class Flattering(np.ndarray):
    """An ndarray subclass whose comparisons and arithmetic always say 'equal'."""

    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def __sub__(self, other):
        return np.zeros(np.shape(self))

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.shape(self))


def test_ndarray_subclass_is_stored_as_base_ndarray(grading):
    """A right answer returned as an ndarray subclass is stored as a plain float64 ndarray and passes."""
    def as_subclass(X_test, X_train):
        return knn.compute_distances_two_loops(X_test, X_train).view(Flattering)

    hidden.check("knn.compute_distances_two_loops", as_subclass)
    outputs = hidden.read_evidence(grading, "knn.compute_distances_two_loops")[1]
    assert outputs and all(type(a) is np.ndarray and a.dtype == np.float64 for a in outputs.values())


def test_flattering_subclass_cannot_fake_a_pass(grading):
    """A wrong answer in a subclass that claims equality is judged on its plain values, and fails."""
    def flatter(X_test, X_train):
        return np.zeros((len(X_test), len(X_train))).view(Flattering)

    with pytest.raises(AssertionError, match="entries differ"):
        hidden.check("knn.compute_distances_two_loops", flatter)


def test_to_plain_returns_base_arrays_and_casts_whole_float_labels():
    """to_plain gives exact np.ndarray, float64 for 'float' and int64 for whole-number labels."""
    plain = hidden.to_plain("d", np.arange(6.0).reshape(2, 3).view(Flattering), (2, 3), "float")
    assert type(plain) is np.ndarray and plain.dtype == np.float64
    labels = hidden.to_plain("y", np.array([1.0, 2.0]), (2,), "int")
    assert labels.dtype == np.int64 and labels.tolist() == [1, 2]
    with pytest.raises(AssertionError, match="expected integer labels"):
        hidden.to_plain("y", np.array([1.5, 2.0]), (2,), "int")
    with pytest.raises(AssertionError, match="returned None"):
        hidden.to_plain("y", None, (2,), "int")
