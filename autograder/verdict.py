"""Verdicts outside the kernel: every test cell's score comes from evidence judged in the grader's process.

- a visible check is run again here with `autograder.replay.replay`: the same check code, but each call of the
  student's function is served from the recorded evidence, so its assertions run on this process's numpy
  (a kernel that rebound ``np.allclose`` or patched ``assert_close`` changed nothing here);
- a hidden check is judged with `autograder.hidden.judge`: the inputs are re-derived from the secret seed,
  the evidence must be plain float64/int64 arrays of the schema's shapes, the reference is `solutions`.

No evidence, unreadable evidence, or evidence of another exercise: 0 points for that cell.
"""
import tempfile
from dataclasses import dataclass
from pathlib import Path

from course import evidence


@dataclass
class Verdict:
    """The outcome of one check of one test cell."""

    kind: str  # visible | hidden
    exercise_id: str
    passed: bool
    message: str
    ename: str = ""


def judge_visible(exercise_id: str, files: dict[str, bytes]) -> Verdict:
    """Replay the recorded visible check `exercise_id`."""
    from autograder.replay import replay

    stem = f"{exercise_id}.visible"
    if f"{stem}.json" not in files or f"{stem}.npz" not in files:
        return Verdict("visible", exercise_id, False, f"{exercise_id}: the check left no evidence — 0 points",
                       "AssertionError")
    try:
        record = evidence.loads(files[f"{stem}.json"], files[f"{stem}.npz"])
        if not isinstance(record, dict) or record.get("exercise_id") != exercise_id:
            raise ValueError("evidence of another exercise")
    except Exception as exc:  # noqa: BLE001 - any unreadable evidence is worth 0
        return Verdict("visible", exercise_id, False, f"{exercise_id}: unusable evidence ({exc}) — 0 points",
                       "AssertionError")
    try:
        replay(exercise_id, record)
    except Exception as exc:  # noqa: BLE001 - the check's verdict, or the student's error replayed
        return Verdict("visible", exercise_id, False, str(exc), type(exc).__name__)
    return Verdict("visible", exercise_id, True, f"✓ {exercise_id}: visible check passed")


def judge_hidden(exercise_id: str, files: dict[str, bytes], student: str, secret: str) -> Verdict:
    """Judge the recorded hidden check `exercise_id` against `solutions` on the student's grading-time inputs."""
    from autograder import hidden

    with tempfile.TemporaryDirectory(prefix="nndl-verdict-") as tmp:
        for ext in (".json", ".npz"):
            name = f"{exercise_id}{ext}"
            if name in files:
                (Path(tmp) / name).write_bytes(files[name])
        try:
            hidden.judge(Path(tmp), exercise_id, student, secret)
        except Exception as exc:  # noqa: BLE001
            return Verdict("hidden", exercise_id, False, str(exc), type(exc).__name__)
    return Verdict("hidden", exercise_id, True, f"✓ {exercise_id}: hidden check passed")


def judge_cell(checks: list[tuple[str, str]], files: dict[str, bytes], student: str, secret: str) -> list[Verdict]:
    """The verdicts of a test cell's checks (all must pass for its points); no check call → a failed verdict."""
    if not checks:
        return [Verdict("none", "", False, "this test cell calls no check: it cannot be judged outside the kernel",
                        "AssertionError")]
    out = []
    for kind, eid in checks:
        out.append(judge_visible(eid, files) if kind == "visible" else judge_hidden(eid, files, student, secret))
    return out
