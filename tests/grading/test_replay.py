"""Tests of autograder.replay: the grader-side half of the visible checks' evidence (the kernel side stays in course)."""

import pytest

from autograder import replay
from course import evidence
from solutions import knn


def test_the_student_side_holds_no_replay_machinery():
    """course.evidence keeps the codec, the recording and a hook; the replay itself lives in autograder."""
    for name in ("Replay", "replaying", "placeholder", "active_replay", "Opaque"):
        assert not hasattr(evidence, name), name
    assert callable(evidence.serving) and callable(replay.Replay)


def test_a_check_that_calls_more_than_was_recorded_fails():
    """Replaying a record with too few calls is a failure (no evidence, no points), not a crash or a pass."""
    with pytest.raises(AssertionError, match="not recorded"):
        replay.replay("knn.predict_labels", {"exercise_id": "knn.predict_labels", "functions": ["predict_labels"],
                                             "calls": []})


def test_a_recorded_reference_replays_to_a_pass(monkeypatch, tmp_path):
    """Recorded in 'kernel' mode, the reference's calls replayed through the hook pass the same visible check."""
    from course.checks import check

    monkeypatch.setenv("NNDL_SANDBOX_IO", str(tmp_path))
    check("knn.predict_labels", knn.predict_labels)
    record = evidence.load(tmp_path / "evidence", "knn.predict_labels.visible")
    monkeypatch.delenv("NNDL_SANDBOX_IO")
    replay.replay("knn.predict_labels", record)
    assert evidence.active_source() is None  # the hook is released after the replay
