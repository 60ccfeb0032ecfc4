"""Step 5 — export: grades CSV (student, assignment, points per exercise, total) from the gradebook."""
import csv
from pathlib import Path

from autograder.gradebook import max_points, scores


def exercise_of(grade_id: str) -> str:
    """`knn-predict_labels-hidden` → `knn.predict_labels` (visible and hidden points add up per exercise)."""
    parts = grade_id.split("-")
    return f"{parts[0]}.{parts[1]}" if len(parts) == 3 else grade_id


def per_exercise(cells: dict[str, float]) -> dict[str, float]:
    """Sum {grade_id: points} into {exercise id: points}, in first-seen order."""
    out: dict[str, float] = {}
    for grade_id, pts in cells.items():
        out[exercise_of(grade_id)] = out.get(exercise_of(grade_id), 0.0) + pts
    return out


def table(root: Path, assignment: str) -> tuple[list[str], list[dict[str, object]]]:
    """(exercise ids, rows) for `assignment`: one row per graded student (points per exercise, total, max)."""
    maxima = per_exercise(max_points(root, assignment))
    exercises = list(maxima)
    rows: list[dict[str, object]] = []
    for student, cells in sorted(scores(root, assignment).items()):
        ex = per_exercise(cells)
        row: dict[str, object] = {"student": student, "assignment": assignment}
        row.update({e: ex.get(e, 0.0) for e in exercises})
        row["total"] = sum(ex.get(e, 0.0) for e in exercises)
        row["max"] = sum(maxima.values())
        rows.append(row)
    return exercises, rows


def export_csv(root: Path, assignments: list[str], path: Path) -> Path:
    """Write one CSV with a row per (student, assignment); columns: student, assignment, exercises…, total, max."""
    all_rows, columns = [], ["student", "assignment"]
    for assignment in assignments:
        exercises, rows = table(root, assignment)
        columns += [e for e in exercises if e not in columns]
        all_rows += rows
    columns += ["total", "max"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, restval="")
        writer.writeheader()
        for row in all_rows:
            writer.writerow({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in row.items()})
    return path
