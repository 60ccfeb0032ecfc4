"""The executor's pieces: assembling the notebook to grade, plain-data evidence, replayed visible verdicts, and
a sandboxed kernel that is restarted (earlier cells replayed) when a cell kills it."""
import io
import json
import shutil
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import executor, sandbox, verdict
from autograder.kernel_env import build_kernel_env
from course import evidence
from course.checks import check
from solutions import knn
from tests.nbtools import ROOT, grade_id, reference_answers, submission

A, NB = "a1_knn", "knn.ipynb"


def source_and_release():
    return (nbformat.read(ROOT / "source" / A / NB, as_version=4), nbformat.read(ROOT / "release" / A / NB, as_version=4))


# ---- assemble -------------------------------------------------------------------------------------------
def test_assemble_takes_tests_from_source_and_answers_from_the_student() -> None:
    """Test cells (hidden sections included) and their points come from source; answer cells from the student."""
    src, rel = source_and_release()
    student = submission(A, NB, {"knn-predict_labels-solution": "def predict_labels(d, y, k=1):\n    return 42"})
    asm = executor.assemble(src, rel, student)
    by_id = {grade_id(c): c for c in asm.nb.cells if grade_id(c)}
    assert by_id["knn-predict_labels-solution"].source.endswith("return 42")
    assert "BEGIN HIDDEN TESTS" in by_id["knn-predict_labels-hidden"].source
    assert [(g.grade_id, g.points, g.checks) for g in asm.graded if g.grade_id.startswith("knn-predict_labels")] == [
        ("knn-predict_labels-visible", 2.0, [("visible", "knn.predict_labels")]),
        ("knn-predict_labels-hidden", 2.0, [("hidden", "knn.predict_labels")])]
    assert asm.report == [] and asm.hidden_ids() == [f"knn.{e}" for e in sorted(
        ["compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops", "predict_labels",
         "cross_validate_k"])]


def test_assemble_restores_deleted_and_edited_cells_and_ignores_forgeries() -> None:
    """Deleted/edited locked cells are restored and reported; forged points, extra graded cells and the
    student's kernelspec count for nothing; a missing answer cell becomes the release stub."""
    src, rel = source_and_release()
    student = submission(A, NB, reference_answers(A, NB))
    student.cells = [c for c in student.cells if grade_id(c) not in {"knn-cross_validate_k-hidden",
                                                                      "knn-predict_labels-solution"}]
    for c in student.cells:
        if grade_id(c) == "knn-predict_labels-visible":
            c.source = "print('trust me')"
        if grade_id(c) == "knn-compute_distances_two_loops-solution":
            c.metadata["nbgrader"]["points"] = 99
            c.metadata["nbgrader"]["grade"] = True
    extra = nbformat.v4.new_code_cell("x = 1")
    extra.metadata["nbgrader"] = {"grade": True, "grade_id": "free", "points": 10, "solution": False, "locked": True,
                                  "schema_version": 3}
    student.cells.insert(2, extra)
    student.metadata["kernelspec"] = {"name": "evil", "display_name": "evil", "language": "python"}
    asm = executor.assemble(src, rel, student)
    assert asm.report == [
        "a cell with nbgrader metadata not in the assignment (free) runs as ordinary code and is never graded",
        "answer cell knn-predict_labels-solution missing: graded as the release stub",
        "test cell knn-predict_labels-visible was edited: restored from source",
        "test cell knn-cross_validate_k-hidden was deleted: restored from source",
    ]
    assert sum(g.points for g in asm.graded) == 16 and asm.nb.metadata == src.metadata
    assert "raise NotImplementedError" in next(c.source for c in asm.nb.cells if grade_id(c) == "knn-predict_labels-solution")
    assert any(c.source == "x = 1" and not c.metadata.get("nbgrader") for c in asm.nb.cells)


def test_assemble_keeps_student_cells_after_the_cell_they_followed() -> None:
    """A student's own cell stays right after the graded cell it followed in their notebook."""
    src, rel = source_and_release()
    student = submission(A, NB, {})
    at = next(i for i, c in enumerate(student.cells) if grade_id(c) == "knn-predict_labels-solution")
    student.cells.insert(at + 1, nbformat.v4.new_code_cell("print('mine')"))
    cells = executor.assemble(src, rel, student).nb.cells
    i = next(i for i, c in enumerate(cells) if grade_id(c) == "knn-predict_labels-solution")
    assert cells[i + 1].source == "print('mine')"


def test_missing_notebook_is_graded_as_release() -> None:
    """No notebook: the release stubs are graded (0 points), with a report line."""
    src, rel = source_and_release()
    asm = executor.assemble(src, rel, None)
    assert asm.report == ["notebook missing: graded as the release (no answers)"]


def test_checks_in_finds_visible_and_hidden_calls() -> None:
    """hidden_check(...) is hidden, check(...) visible; other calls are not checks."""
    text = 'check("knn.a", f)\nfrom autograder.hidden import check as hidden_check\nhidden_check("knn.b", g)\nmycheck("x.y")'
    assert executor.checks_in(text) == [("visible", "knn.a"), ("hidden", "knn.b")]


# ---- evidence codec -------------------------------------------------------------------------------------
class Sub(np.ndarray):
    def __eq__(self, other):
        return True


def test_evidence_round_trips_plain_data(tmp_path) -> None:
    """Nested tuples, dicts with int keys, frozensets, numpy scalars and arrays survive save/load exactly."""
    value = {1: (np.arange(3.0), [np.int64(4), np.float32(0.5)], frozenset({(1, 2)})), "s": {None, True},
             "c": 1 + 2j, "big": 2**70, "nan": float("nan")}
    evidence.save(tmp_path, "x", value)
    back = evidence.load(tmp_path, "x")
    assert back[1][0].tolist() == [0.0, 1.0, 2.0] and type(back[1][1][0]) is np.int64
    assert back[1][1][1].dtype == np.float32 and back[1][2] == frozenset({(1, 2)}) and back["s"] == {None, True}
    assert back["c"] == 1 + 2j and back["big"] == 2**70 and np.isnan(back["nan"])


def test_evidence_strips_subclasses_and_refuses_objects(tmp_path) -> None:
    """An ndarray subclass is stored as a base ndarray; objects and object arrays are not plain data."""
    evidence.save(tmp_path, "s", np.zeros(2).view(Sub))
    assert type(evidence.load(tmp_path, "s")) is np.ndarray
    for bad in (object(), np.array([{}], dtype=object), [lambda: 0]):
        with pytest.raises(evidence.NotPlain):
            evidence.encode(bad)


def test_evidence_never_unpickles(tmp_path) -> None:
    """An npz holding a pickled object array, or JSON with an unknown tag, is rejected, never executed."""
    buf = io.BytesIO()
    np.savez(buf, a0=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError):
        evidence.loads(json.dumps({"__nd__": "a0"}), buf.getvalue())
    ok = io.BytesIO()
    np.savez(ok)
    with pytest.raises(ValueError, match="unknown evidence tag"):
        evidence.loads(json.dumps({"__reduce__": "os.system"}), ok.getvalue())


# ---- visible checks replayed outside the kernel ------------------------------------------------------------
@pytest.fixture
def sandbox_io(tmp_path, monkeypatch):
    monkeypatch.setenv("NNDL_SANDBOX_IO", str(tmp_path))
    return tmp_path / "evidence"


def files_of(directory) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


@pytest.mark.parametrize("name", ["compute_distances_no_loops", "predict_labels", "cross_validate_k"])
def test_recorded_reference_passes_when_replayed(sandbox_io, name) -> None:
    """The reference, recorded in 'kernel' mode, passes the replayed visible check (spy state included)."""
    check(f"knn.{name}", getattr(knn, name))
    got = verdict.judge_visible(f"knn.{name}", files_of(sandbox_io))
    assert got.passed, got.message


def test_replay_uses_the_recorded_values_not_the_kernels_verdict(sandbox_io) -> None:
    """A wrong answer whose in-kernel check was patched to pass still fails when replayed outside."""
    import course.checks.core as core
    import course.checks.knn as visible_knn

    with pytest.MonkeyPatch.context() as patch:  # what a cheating kernel does
        patch.setattr(core, "assert_close", lambda *a, **k: None)
        patch.setattr(visible_knn, "assert_close", lambda *a, **k: None)
        patch.setattr(np, "allclose", lambda *a, **k: True)
        check("knn.compute_distances_two_loops", lambda X_test, X_train: np.zeros((len(X_test), len(X_train))))
    got = verdict.judge_visible("knn.compute_distances_two_loops", files_of(sandbox_io))
    assert not got.passed and "entries differ" in got.message


def test_replay_of_a_raising_function_fails_with_its_error(sandbox_io) -> None:
    """A student's IndexError is recorded and re-raised by the replay: 0 points with the student's message."""
    def broken(dists, y_train, k=1):
        return y_train[dists.shape[1] + 5]

    with pytest.raises(IndexError):
        check("knn.predict_labels", broken)
    got = verdict.judge_visible("knn.predict_labels", files_of(sandbox_io))
    assert (got.passed, got.ename) == (False, "IndexError")


def test_missing_or_foreign_evidence_scores_zero(sandbox_io) -> None:
    """No evidence, or evidence recorded for another exercise, fails."""
    assert not verdict.judge_visible("knn.predict_labels", {}).passed
    check("knn.compute_distances_one_loop", knn.compute_distances_one_loop)
    renamed = {k.replace("compute_distances_one_loop", "compute_distances_two_loops"): v
               for k, v in files_of(sandbox_io).items()}
    assert "another exercise" in verdict.judge_visible("knn.compute_distances_two_loops", renamed).message


def test_visible_recording_is_off_outside_grading(monkeypatch, tmp_path) -> None:
    """Without $NNDL_SANDBOX_IO (a student's own kernel, plain nbgrader) check() records nothing."""
    monkeypatch.delenv("NNDL_SANDBOX_IO", raising=False)
    monkeypatch.chdir(tmp_path)
    check("knn.predict_labels", knn.predict_labels)
    assert list(tmp_path.iterdir()) == []


# ---- the kernel: restart and replay ---------------------------------------------------------------------
def test_dead_kernel_is_restarted_and_earlier_cells_replayed(tmp_path) -> None:
    """A cell that kills the kernel is skipped; a new kernel replays the earlier cells and execution goes on."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in
                ["x = 41", "import os; os._exit(3)", "x += 1", "import ctypes; ctypes.string_at(0)", "print(x)"]]
    asm = executor.Assembled(nb, [])
    base = Path(tempfile.mkdtemp(prefix="nndl-test-jails-"))  # pytest's tmp is private to root: not reachable
    base.chmod(0o711)
    jail = sandbox.make_jail(base, "t", sandbox.uid_for(63))
    try:
        run = executor.execute(asm, build_kernel_env(), jail, sandbox.Limits(), 20, 120)
    finally:
        sandbox.remove_jail(jail)
        shutil.rmtree(base, ignore_errors=True)
    assert [run.cells[i].status for i in range(5)] == ["ok", "died", "ok", "died", "ok"]
    assert run.cells[4].outputs[0]["text"] == "42\n" and run.restarts == 2
    assert run.events[1] == "the kernel died in cell 3: restarted the kernel and replayed 2 earlier cell(s)"
