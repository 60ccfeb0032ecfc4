"""The worker pool and the single gradebook writer: one transaction per submission, idempotent re-writes,
manual grades kept, and a worker that dies costs only the submission that killed it."""
import os
from pathlib import Path

import pytest
import sqlalchemy.orm

from autograder import grade
from autograder.gradebook import max_points, scores
from autograder.nbg import copy_course, nbgrader
from tests.nbtools import auto_points

pytestmark = pytest.mark.nbgrader
A = "a1_knn"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course copy whose gradebook knows a1_knn (built once)."""
    root = copy_course(tmp_path_factory.mktemp("pool"))
    nbgrader("generate_assignment", A, "--force", root=root)
    return root


def notebook_scores(root: Path, value: float) -> dict:
    return {"knn.ipynb": {"scores": {g: value for g in max_points(root, A)}, "json": "{}", "restarts": 0}}


def test_submission_is_written_in_one_transaction(course, monkeypatch) -> None:
    """If the commit fails, nothing of the submission (not even the new student) is left in the gradebook."""
    def fail(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sqlalchemy.orm.Session, "commit", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        grade.write_submission(course, A, "half", notebook_scores(course, 1.0))
    monkeypatch.undo()
    assert "half" not in scores(course, A)
    from autograder.gradebook import open_gradebook

    with open_gradebook(course) as gb:
        assert "half" not in [s.id for s in gb.students]


def test_rewriting_is_idempotent_and_keeps_manual_grades(course) -> None:
    """Writing the same scores twice gives the same gradebook; a manual score survives and is flagged."""
    grade.write_submission(course, A, "twice", notebook_scores(course, 0.0))
    first = scores(course, A)["twice"]
    grade.write_submission(course, A, "twice", notebook_scores(course, 0.0))
    assert scores(course, A)["twice"] == first and set(first.values()) == {0.0}
    from autograder.gradebook import open_gradebook

    gid = "knn-predict_labels-visible"
    with open_gradebook(course) as gb:
        g = gb.find_grade(gid, "knn", A, "twice")
        g.manual_score = 1.5
        gb.db.commit()
    grade.write_submission(course, A, "twice", notebook_scores(course, 0.0))
    with open_gradebook(course) as gb:
        g = gb.find_grade(gid, "knn", A, "twice")
        assert (g.score, g.auto_score, g.needs_manual_grade) == (1.5, 0.0, True)


def fake_grade(task: grade.Task) -> dict:
    """Stands in for grade_submission in the pool workers: 'boom' kills its worker process."""
    if task.student == "boom":
        os._exit(9)
    return {"student": task.student, "lines": [f"slot {task.slot}"], "error": "",
            "notebooks": notebook_scores(Path(task.root), 1.0)}


def test_a_dying_worker_costs_only_its_submission(course, monkeypatch) -> None:
    """A worker process that dies is replaced; its submission is retried once, then reported; the rest are
    graded and written by the parent, with one result (and progress step) per student."""
    monkeypatch.setattr(grade, "grade_submission", fake_grade)
    seen = []
    results = grade.autograde(course, A, ["p1", "boom", "p2", "p3"], workers=2, progress=False, on_result=seen.append)
    by = {r.student: r for r in results}
    assert [r.student for r in results] == ["p1", "boom", "p2", "p3"] and len(seen) == 4
    assert not by["boom"].ok and "died twice" in by["boom"].message
    cells = len(max_points(course, A))  # fake_grade gives every graded cell 1 point
    assert [(by[s].ok, by[s].message) for s in ("p1", "p2", "p3")] == [(True, f"graded: {cells} points")] * 3
    totals = {s: sum(c.values()) for s, c in scores(course, A).items() if s.startswith("p")}
    assert totals == dict.fromkeys(("p1", "p2", "p3"), cells)
    assert "boom" not in scores(course, A)


def test_unsafe_mode_grades_without_isolation(course) -> None:
    """With unsafe=True (what --unsafe does for a grader without root) kernels run as the grader's own user, and
    verdicts are still given outside: the reference answers earn full marks, the release 0, and nothing is locked."""
    import nbformat

    from tests.nbtools import reference_answers, submission

    for student, answers in (("u_ref", reference_answers(A, "knn.ipynb")), ("u_blank", {})):
        folder = course / ".grading" / "submitted" / student / A
        folder.mkdir(parents=True)
        nbformat.write(submission(A, "knn.ipynb", answers), folder / "knn.ipynb")
    mode = (course / "source").stat().st_mode & 0o777
    results = grade.autograde(course, A, ["u_ref", "u_blank"], workers=2, progress=False, unsafe=True, check_timeout=3)
    assert [(r.student, r.ok, r.message) for r in results] == [("u_ref", True, f"graded: {auto_points(A)} points"),
                                                             ("u_blank", True, "graded: 0 points")]
    assert (course / "source").stat().st_mode & 0o777 == mode


def test_pool_workers_are_spawned_not_forked_from_a_threaded_grader(course) -> None:
    """The pool never forks the (multi-threaded) grader: its context is 'spawn', and grading with another thread
    running raises no "is multi-threaded, use of fork()" warning (Python 3.12+ issues it for a fork)."""
    import threading
    import warnings

    assert grade.POOL_CONTEXT.get_start_method() == "spawn"
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    try:
        with warnings.catch_warnings(record=True) as caught, pytest.MonkeyPatch.context() as mp:
            warnings.simplefilter("always")
            mp.setattr(grade, "grade_submission", fake_grade)
            results = grade.autograde(course, A, ["t1", "t2"], workers=2, progress=False)
    finally:
        stop.set()
    assert [(r.student, r.ok) for r in results] == [("t1", True), ("t2", True)]
    assert not [w for w in caught if "multi-threaded" in str(w.message)], [str(w.message) for w in caught]
