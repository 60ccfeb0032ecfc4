"""Read scores out of nbgrader's SQLite gradebook."""
from pathlib import Path

COURSE_ID = "nndl-course"


def db_url(root: Path) -> str:
    """The gradebook URL of the course at `root` (matches nbgrader_config.py)."""
    return "sqlite:///" + str(Path(root).resolve() / ".grading" / "gradebook.db")


def scores(root: Path, assignment: str) -> dict[str, dict[str, float]]:
    """{student: {grade_id: score}} for every graded submission of `assignment` (score = manual or auto)."""
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, dict[str, float]] = {}
    with Gradebook(db_url(root), COURSE_ID) as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            return {}
        for sub in submissions:
            cells = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    cells[grade.name] = float(grade.score)
            out[sub.student_id] = cells
    return out


def max_points(root: Path, assignment: str) -> dict[str, float]:
    """{grade_id: max points} of `assignment` as recorded in the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url(root), COURSE_ID) as gb:
        a = gb.find_assignment(assignment)
        return {g.name: float(g.max_score) for nb in a.notebooks for g in nb.grade_cells}
