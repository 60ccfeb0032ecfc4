"""The instructor CLI end to end on a temporary course copy (real nbgrader, SQLite gradebook, no network)."""
import csv
import html
import re
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import registry
from autograder.cli import main
from autograder.gradebook import scores
from autograder.nbg import copy_course
from tests.nbtools import auto_points, reference_answers, submission

pytestmark = pytest.mark.nbgrader
FULL = auto_points("a1_knn")  # what a perfect a1_knn earns before its written answers are graded
ALL = int(registry.load()["a1_knn"].points)  # autograded + written
# the demo's sample class: ben loses two 4-point exercises, cai one, dee a 2-point visible check
DEMO_TOTALS = {"ada": FULL, "ben": FULL - 8, "cai": FULL - 4, "dee": FULL - 2, "eve": FULL}


def visible_text(path: Path) -> str:
    """The text of an HTML file as a reader sees it (tags stripped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """`nndl-course demo` run once in a temporary course copy: (course root, exit code, stdout)."""
    root = copy_course(tmp_path_factory.mktemp("demo"))
    import io
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLUMNS", "100")  # the score table's layout depends on the terminal's width
        code = main(["--course", str(root), "demo"])
    return root, code, out.getvalue()


def test_demo_grades_the_sample_class_exactly(demo: tuple[Path, int, str]) -> None:
    """perfect: full marks, partial: -8, raises: -4, never-returns: -2, warnings: full — in the gradebook and the CSV."""
    root, code, out = demo
    assert code == 0, out
    totals = {s: sum(c.values()) for s, c in scores(root, "a1_knn").items()}
    assert totals == DEMO_TOTALS
    rows = {r["student"]: r for r in csv.DictReader((root / ".grading" / "grades.csv").open())}
    assert rows["ben"]["knn.compute_distances_no_loops"] == "0" and rows["ben"]["knn.cross_validate_k"] == "0"
    assert rows["cai"]["knn.predict_labels"] == "0" and rows["dee"]["knn.compute_distances_one_loop"] == "0"
    assert {r["total"] for r in rows.values()} == {str(t) for t in DEMO_TOTALS.values()} and rows["ada"]["max"] == str(ALL)
    # the exercise table is wider than the 100 columns assumed without a terminal: one line per student;
    # the written answers wait for the formgrader (listed, not lost)
    assert re.search(rf"^ben\s+{FULL - 8}/{ALL}\s+compute_distances_no_loops 0/4, cross_validate_k 0/4, to grade by hand:"
                     r"\s+q_validation, q_k$", out, re.M), out
    assert re.search(rf"^ada\s+{FULL}/{ALL}\s+to grade by hand: q_validation, q_k$", out, re.M), out


def test_demo_feedback_has_no_hidden_test_source(demo: tuple[Path, int, str]) -> None:
    """Every feedback page shows scores and check messages but no hidden-test source or traceback."""
    root, _, _ = demo
    pages = sorted((root / ".grading" / "feedback").glob("*/a1_knn/knn.html"))
    assert len(pages) == 5
    for page in pages:
        text = visible_text(page)
        assert "hidden_check" not in text and "BEGIN HIDDEN" not in text and "autograder" not in text
        assert "Score:" in text
    assert "did you take the square root?" in visible_text(root / ".grading" / "feedback" / "ben" / "a1_knn" / "knn.html")


def test_demo_can_be_rerun(demo: tuple[Path, int, str]) -> None:
    """A second `grade` of the same folder gives the same gradebook (idempotent)."""
    root, _, _ = demo
    before = scores(root, "a1_knn")
    assert main(["--course", str(root), "grade", str(root / ".grading" / "demo-submissions" / "ben" / ".."),
                 "--assignment", "a1_knn", "--check-timeout", "3", "--timeout", "20"]) == 0
    assert scores(root, "a1_knn") == before


def test_grade_reports_each_problem_and_grades_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Malformed, missing, unknown-assignment and off-roster submissions are reported; the rest are graded."""
    root = copy_course(tmp_path / "course")
    subs = tmp_path / "subs"
    perfect = submission("a1_knn", "knn.ipynb", reference_answers("a1_knn", "knn.ipynb"))
    (subs / "ada" / "a1_knn").mkdir(parents=True)
    nbformat.write(perfect, subs / "ada" / "a1_knn" / "knn.ipynb")
    (subs / "bad" / "a1_knn").mkdir(parents=True)
    (subs / "bad" / "a1_knn" / "knn.ipynb").write_text('{"cells": [ this is not json')
    (subs / "nob" / "a1_knn").mkdir(parents=True)  # the notebook is missing
    (subs / "zed" / "a9_nothing").mkdir(parents=True)
    (subs / "stranger" / "a1_knn").mkdir(parents=True)
    nbformat.write(perfect, subs / "stranger" / "a1_knn" / "knn.ipynb")
    with zipfile.ZipFile(subs / "zippy.zip", "w") as zf:  # an LMS export: one zip per student
        zf.writestr("a1_knn/knn.ipynb", nbformat.writes(perfect))
    roster = tmp_path / "roster.csv"
    roster.write_text("ada\nbad\nnob\nzed\nzippy\n")
    code = main(["--course", str(root), "grade", str(subs), "--roster", str(roster)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "bad: a1_knn/knn.ipynb is not a readable notebook" in out
    assert "nob: a1_knn/knn.ipynb is missing" in out
    assert "zed: unknown assignment folder 'a9_nothing'" in out
    assert "stranger: student 'stranger' is not in the roster" in out
    assert {s: sum(c.values()) for s, c in scores(root, "a1_knn").items()} == {"ada": FULL, "zippy": FULL}


def test_wrong_assignment_name_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`grade --assignment a1_knnn` exits 2 naming the assignments the course has, before grading anything."""
    root = copy_course(tmp_path / "course")
    (tmp_path / "subs").mkdir()
    assert main(["--course", str(root), "grade", str(tmp_path / "subs"), "--assignment", "a1_knnn"]) == 2
    assert re.search(r"unknown assignment 'a1_knnn': the course has (\w+, )*a1_knn\b", capsys.readouterr().err)


def test_status_and_export(demo: tuple[Path, int, str], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`status` lists a1_knn with its 5 graded students; `export a1_knn --out` writes one row per student."""
    root, _, _ = demo
    assert main(["--course", str(root), "status"]) == 0
    assert re.search(r"a1_knn\s+released: yes\s+graded students: 5", capsys.readouterr().out)
    out = tmp_path / "g.csv"
    assert main(["--course", str(root), "export", "a1_knn", "--out", str(out)]) == 0
    assert len(list(csv.DictReader(out.open()))) == 5


def test_export_after_grading_one_assignment(demo: tuple[Path, int, str], tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    """With only a1_knn graded, the README's `export --out grades.csv` exits 0 and writes a1_knn's 5 rows."""
    root, _, _ = demo
    out = tmp_path / "grades.csv"
    assert main(["--course", str(root), "export", "--out", str(out)]) == 0, capsys.readouterr().err
    assert f"wrote {out}: 5 row(s) for a1_knn" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open()))
    assert {r["assignment"] for r in rows} == {"a1_knn"}
    assert {r["student"]: float(r["total"]) for r in rows} == DEMO_TOTALS
    assert not any(c.startswith(("concepts.", "linear.", "layers.")) for c in rows[0]), "ungraded columns"


def test_export_of_an_unknown_or_ungraded_assignment_is_a_clear_error(demo: tuple[Path, int, str], tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture) -> None:
    """Naming a misspelt assignment exits 2 listing the course's; naming an ungraded one exits 2 listing the
    graded ones; neither writes a CSV."""
    root, _, _ = demo
    out = tmp_path / "grades.csv"
    assert main(["--course", str(root), "export", "a1_knnn", "--out", str(out)]) == 2
    assert re.search(r"unknown assignment 'a1_knnn': the course has a0_concepts, a1_knn\b", capsys.readouterr().err)
    assert main(["--course", str(root), "export", "a0_concepts", "--out", str(out)]) == 2
    assert "a0_concepts: no graded submission yet (graded: a1_knn)" in capsys.readouterr().err
    assert main(["--course", str(root), "feedback", "a2_linear"]) == 2
    assert "a2_linear: no graded submission yet (graded: a1_knn)" in capsys.readouterr().err
    assert not out.exists()


def test_export_before_any_grading_says_so(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """On a course nothing has been graded in, `export` exits 2 saying to grade first, and creates no gradebook."""
    root = copy_course(tmp_path / "course")
    assert main(["--course", str(root), "export", "--out", str(tmp_path / "g.csv")]) == 2
    assert "nothing is graded yet: run `nndl-course grade SUBMISSIONS_DIR` first" in capsys.readouterr().err
    assert not (root / ".grading" / "gradebook.db").exists() and not (tmp_path / "g.csv").exists()


def test_not_a_course_folder(tmp_path: Path) -> None:
    """--course pointing at a folder without nbgrader_config.py stops with a message."""
    with pytest.raises(SystemExit, match="not a course folder"):
        main(["--course", str(tmp_path), "status"])
