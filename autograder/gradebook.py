"""Step 5 — the gradebook: read scores out of nbgrader's SQLite gradebook, and write one submission's scores.

The gradebook's URL and the course id come from the course's nbgrader_config.py (autograder.settings). The
grading parent process is the only writer (autograder.grade): `write_scores` writes one submission in one
transaction.
"""
from pathlib import Path
from typing import Any, Callable

from autograder import settings


def db_url(root: Path) -> str:
    """The gradebook URL of the course at `root` (CourseDirectory.db_url of its nbgrader_config.py)."""
    return settings.load(root).db_url


def exists(root: Path) -> bool:
    """Whether the course's gradebook has been created (opening one creates it, so ask this first)."""
    url = db_url(root)
    return not url.startswith("sqlite:///") or Path(url[len("sqlite:///"):]).is_file()


def open_gradebook(root: Path) -> Any:
    """nbgrader's Gradebook of the course at `root` (a context manager)."""
    from nbgrader.api import Gradebook

    s = settings.load(root)
    return Gradebook(s.db_url, s.course_id)


def _per_student(root: Path, assignment: str, of_grades: Callable[[list[Any]], Any]) -> dict[str, Any]:
    """{student: of_grades(every nbgrader Grade of their submission)} for every graded submission."""
    from nbgrader.api import MissingEntry

    with open_gradebook(root) as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            return {}
        return {sub.student_id: of_grades([g for nb in sub.notebooks for g in nb.grades]) for sub in submissions}


def scores(root: Path, assignment: str) -> dict[str, dict[str, float]]:
    """{student: {grade_id: score}} for every graded submission of `assignment` (score = manual or auto)."""
    return _per_student(root, assignment, lambda grades: {g.name: float(g.score) for g in grades})


def needs_grading(root: Path, assignment: str) -> dict[str, list[str]]:
    """{student: [grade_id, ...]} of the cells (written answers) still waiting for a human grader."""
    return _per_student(root, assignment, lambda grades: [g.name for g in grades if g.needs_manual_grade])


def max_points(root: Path, assignment: str) -> dict[str, float]:
    """{grade_id: max points} of `assignment` as recorded in the gradebook."""
    with open_gradebook(root) as gb:
        a = gb.find_assignment(assignment)
        return {g.name: float(g.max_score) for nb in a.notebooks for g in nb.grade_cells}


def write_scores(root: Path, assignment: str, student: str, scores_by_notebook: dict[str, dict[str, Any]]) -> None:
    """Set the auto scores of `student`'s submission of `assignment` ({notebook name: {grade_id: score | None}}).

    ONE transaction: the student, the submission and every score are committed together or not at all. nbgrader's
    ``update_or_create_student`` / ``add_submission`` each commit on their own (a crash between them and the scores
    would leave a half-written submission), so the submission's structure is mirrored here the way
    ``Gradebook.add_submission`` does it, inside the transaction. A cell with no score (None) needs manual grading,
    as does a cell that already has a manual score (which is kept).
    """
    from nbgrader.api import Comment, Grade, MissingEntry, Student, SubmittedAssignment, SubmittedNotebook

    with open_gradebook(root) as gb:
        db = gb.db
        try:
            if db.query(Student).filter(Student.id == student).one_or_none() is None:
                db.add(Student(id=student))
                db.flush()
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                with db.no_autoflush:
                    sub = SubmittedAssignment(assignment=gb.find_assignment(assignment),
                                              student=db.query(Student).filter(Student.id == student).one())
                    for notebook in sub.assignment.notebooks:
                        snb = SubmittedNotebook(notebook=notebook, assignment=sub)
                        for cell in notebook.grade_cells:
                            Grade(cell_id=cell.id, notebook=snb)
                        for cell in [*notebook.solution_cells, *notebook.task_cells]:
                            Comment(cell_id=cell.id, notebook=snb)
                        for cell in notebook.task_cells:
                            Grade(cell_id=cell.id, notebook=snb)
                    db.add(sub)
                db.flush()
            for snb in sub.notebooks:
                given = scores_by_notebook.get(f"{snb.name}.ipynb", {})
                for grade in snb.grades:
                    score = given.get(grade.name)
                    grade.auto_score = score
                    grade.needs_manual_grade = grade.manual_score is not None or score is None
            db.commit()
        except BaseException:
            db.rollback()
            raise
