"""The grading CLI's console output: one line per submission as it is graded, a table that fits the terminal."""

import autograder.export as export
import autograder.gradebook as gradebook
from autograder.cli import print_table, report_result
from autograder.grade import Result

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


def test_table_that_fits_is_printed_whole(monkeypatch, capsys):
    """In a wide terminal: one column per exercise, one row per student, total/max at the end."""
    _fake_gradebook(monkeypatch)
    print_table(None, "a1_knn", width=200)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "a1_knn"
    assert "compute_distances_no_loops" in lines[2] and lines[2].endswith("total")
    assert lines[3].startswith("ada") and lines[3].endswith("9/9")
    assert lines[4].split()[1:4] == ["3", "1", "0"] and lines[4].endswith("4/9")


def test_table_too_wide_becomes_one_line_per_student_with_the_lost_points(monkeypatch, capsys):
    """In a narrow terminal: every line fits, and names the exercises that lost points with got/max."""
    _fake_gradebook(monkeypatch)
    print_table(None, "a1_knn", width=60)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= 90 for line in lines), out
    ada = next(line for line in lines if line.startswith("ada"))
    ben = next(line for line in lines if line.startswith("ben"))
    assert "9/9" in ada and ada.rstrip().endswith("-")
    assert "4/9" in ben and "compute_distances_no_loops 1/3" in ben and "predict_labels 0/3" in ben
    assert "two_loops" not in ben
    assert "nndl-course export" in out


def test_each_result_is_reported_with_its_lines(capsys):
    """A graded and a failed submission each get their ✓/✗ line, with what happened indented below."""
    report_result(Result("ada", "a1_knn", True, "graded: 16 points", ["knn.ipynb: 1 deleted cell restored"]))
    report_result(Result("ben", "a1_knn", False, "the grading worker died twice on this submission"))
    out = capsys.readouterr().out.splitlines()
    assert out == ["  ✓ ada: graded: 16 points", "      knn.ipynb: 1 deleted cell restored",
                   "  ✗ ben: could not grade a1_knn: the grading worker died twice on this submission"]
