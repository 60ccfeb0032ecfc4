"""The grading CLI's console output: one line per submission as it is graded, a table that fits the terminal."""

import nbformat

import autograder.export as export
import autograder.gradebook as gradebook
from autograder.cli import print_table, report_result
from autograder.grade import Result
from tests.nbtools import ROOT

EXERCISES = ["knn.compute_distances_two_loops", "knn.compute_distances_no_loops", "knn.predict_labels"]
MAXIMA = {"knn-compute_distances_two_loops-visible": 2, "knn-compute_distances_two_loops-hidden": 1,
          "knn-compute_distances_no_loops-visible": 2, "knn-compute_distances_no_loops-hidden": 1,
          "knn-predict_labels-visible": 1, "knn-predict_labels-hidden": 2}


def _fake_gradebook(monkeypatch):
    rows = [
        {"student": "ada", "assignment": "a1_knn", EXERCISES[0]: 3.0, EXERCISES[1]: 3.0, EXERCISES[2]: 3.0,
         "total": 9.0, "max": 9.0},
        {"student": "ben", "assignment": "a1_knn", EXERCISES[0]: 3.0, EXERCISES[1]: 1.0, EXERCISES[2]: 0.0,
         "total": 4.0, "max": 9.0},
    ]
    monkeypatch.setattr(export, "table", lambda root, assignment: (EXERCISES, rows))
    monkeypatch.setattr(gradebook, "max_points", lambda root, assignment: MAXIMA)
    monkeypatch.setattr(gradebook, "needs_grading", lambda root, assignment: {})


def test_table_that_fits_is_printed_whole(monkeypatch, capsys):
    """In a wide terminal: one column per exercise, one row per student, total/max at the end."""
    _fake_gradebook(monkeypatch)
    print_table(None, "a1_knn", width=200)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "a1_knn"
    assert "compute_distances_no_loops" in lines[2] and lines[2].endswith("total")
    assert lines[3].startswith("ada") and lines[3].endswith("9/9")
    assert lines[4].split()[1:4] == ["3", "1", "0"] and lines[4].endswith("4/9")


def student_block(lines: list[str], student: str) -> str:
    """The line of `student` in the compact summary joined with its wrapped continuation lines."""
    i = next(i for i, line in enumerate(lines) if line.startswith(student + " "))
    block = [lines[i]]
    for line in lines[i + 1:]:
        if not line.startswith(" "):
            break
        block.append(line.strip())
    return " ".join(block)


def test_table_too_wide_becomes_one_line_per_student_with_the_lost_points(monkeypatch, capsys):
    """In a narrow terminal: every line fits, and names the exercises that lost points with got/max."""
    _fake_gradebook(monkeypatch)
    print_table(None, "a1_knn", width=60)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= 60 for line in lines), out
    ada, ben = student_block(lines, "ada"), student_block(lines, "ben")
    assert "9/9" in ada and ada.rstrip().endswith("-")
    assert "4/9" in ben and "compute_distances_no_loops 1/3" in ben and "predict_labels 0/3" in ben
    assert "two_loops" not in ben
    assert "nndl-course export" in out


def test_written_answers_waiting_for_a_grader_are_not_listed_as_lost(monkeypatch, capsys):
    """An answer cell that needs a human grade shows under "to grade by hand", not as points lost."""
    _fake_gradebook(monkeypatch)
    monkeypatch.setattr(gradebook, "needs_grading",
                        lambda root, assignment: {"ben": ["knn-predict_labels-hidden"], "ada": []})
    print_table(None, "a1_knn", width=60)
    lines = capsys.readouterr().out.splitlines()
    ben = student_block(lines, "ben")
    assert "compute_distances_no_loops 1/3" in ben and "predict_labels 0/3" not in ben
    assert "to grade by hand: predict_labels" in ben and student_block(lines, "ada").rstrip().endswith("-")


def a3_backprop_maxima() -> dict[str, float]:
    """{grade_id: points} of the real a3_backprop source notebooks (the assignment with the most exercises)."""
    maxima = {}
    for path in sorted((ROOT / "source" / "a3_backprop").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                maxima[meta["grade_id"]] = float(meta["points"])
    return maxima


def test_widest_real_assignment_fits_100_columns_even_in_a_wide_terminal(monkeypatch, capsys):
    """a3_backprop (20+ exercises, long names) with a blank, a partial, a perfect and a long-named student: every
    line is at most 100 columns in a 250-column terminal, and each lost exercise is listed with got/max."""
    maxima = a3_backprop_maxima()
    exercises = list(export.per_exercise(maxima))
    assert len(exercises) >= 20
    per_ex = export.per_exercise(maxima)
    partial = {e: (per_ex[e] if i % 2 else 0.0) for i, e in enumerate(exercises)}
    students = {"perfect": dict(per_ex), "blank": dict.fromkeys(exercises, 0.0), "partial": partial,
                "a.very.long.student.identifier@students.example.edu": dict(partial)}
    rows = [{"student": s, "assignment": "a3_backprop", **pts, "total": sum(pts.values()),
             "max": sum(per_ex.values())} for s, pts in sorted(students.items())]
    monkeypatch.setattr(export, "table", lambda root, assignment: (exercises, rows))
    monkeypatch.setattr(gradebook, "max_points", lambda root, assignment: maxima)
    monkeypatch.setattr(gradebook, "needs_grading", lambda root, assignment: {})
    monkeypatch.setenv("COLUMNS", "250")
    print_table(None, "a3_backprop")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100, "\n".join(l for l in lines if len(l) > 100)
    lost = student_block(lines, "partial")
    for i, e in enumerate(exercises):
        name = e.split(".", 1)[1]
        assert (f"{name} 0/{per_ex[e]:g}" in lost) == (i % 2 == 0), name
    assert "nothing scored" in student_block(lines, "blank")
    assert student_block(lines, "perfect").endswith("-")
    long_id = "a.very.long.student.identifier@students.example.edu"
    assert any(line.startswith(long_id) for line in lines)


def test_each_result_is_reported_with_its_lines(capsys):
    """A graded and a failed submission each get their ✓/✗ line, with what happened indented below."""
    report_result(Result("ada", "a1_knn", True, "graded: 16 points", ["knn.ipynb: 1 deleted cell restored"]))
    report_result(Result("ben", "a1_knn", False, "the grading worker died twice on this submission"))
    out = capsys.readouterr().out.splitlines()
    assert out == ["  ✓ ada: graded: 16 points", "      knn.ipynb: 1 deleted cell restored",
                   "  ✗ ben: could not grade a1_knn: the grading worker died twice on this submission"]
