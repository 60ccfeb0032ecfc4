"""autograder.verdict: visible checks recorded in the kernel are replayed and judged outside it."""
import numpy as np
import pytest

from autograder import verdict
from course.checks import check
from solutions import knn


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
    import course.checks.spec as spec

    with pytest.MonkeyPatch.context() as patch:  # what a cheating kernel does
        patch.setattr(core, "assert_close", lambda *a, **k: None)
        patch.setattr(spec, "assert_close", lambda *a, **k: None)
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
