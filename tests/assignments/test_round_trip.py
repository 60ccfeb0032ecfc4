"""Every assignment through real nbgrader: build the release, autograde a planted class in one run, read the gradebook.

One parametrized round trip over the assignments of assignments.toml; each assignment's planted students live in
tests/assignments/<assignment>.py. For every assignment: the committed release equals a fresh build, the source
scores exactly the points the registry gives, the release as issued scores 0 and runs to the end, each planted
student earns exactly the exercises they got right (a wrong answer costs only its own exercise), failures teach,
and the solved notebooks show no warnings.
"""

from pathlib import Path

import nbformat
import pytest

from autograder import registry
from autograder.authoring import grade_id
from autograder.gradebook import max_points, scores
from autograder.nbg import copy_course, nbgrader
from tests.assignments import ALL, REFERENCE, planted
from tests.nbtools import (assert_release_scores_zero_and_completes, autograded_notebook, noisy_outputs,
                           reference_answers, release_is_fresh, submission)

pytestmark = pytest.mark.nbgrader
ASSIGNMENTS = list(registry.load())


def _notebook_of(student, assignment: str, notebook: str) -> nbformat.NotebookNode:
    reference = reference_answers(assignment, notebook)
    answers = dict(reference) if student.reference else {}
    for gid, source in student.answers.items():
        if gid in reference:
            answers[gid] = reference[gid] if source is REFERENCE else source
    nb = submission(assignment, notebook, answers)
    nb.cells = [c for c in nb.cells if grade_id(c) not in student.deleted]
    return nb


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """(assignment, course copy) with the release rebuilt and the planted class autograded in one nbgrader run."""
    assignment = request.param
    a = registry.load()[assignment]
    students, _ = planted(assignment)
    for name, student in students.items():  # a planted answer for a cell that does not exist is a typo
        unknown = set(student.answers) - {gid for nb in a.notebooks for gid in reference_answers(assignment, nb)}
        assert not unknown, f"tests/assignments/{assignment}.py: {name} answers unknown cells {sorted(unknown)}"
    root = copy_course(tmp_path_factory.mktemp(assignment))
    nbgrader("generate_assignment", assignment, "--force", root=root)
    for notebook in a.notebooks:
        class_ = {"perfect": nbformat.read(root / "source" / assignment / notebook, as_version=4),
                  "blank": submission(assignment, notebook, {}),
                  **{name: _notebook_of(s, assignment, notebook) for name, s in students.items()}}
        for name, nb in class_.items():
            folder = root / ".grading" / "submitted" / name / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / notebook)
    nbgrader("autograde", assignment, "--force", root=root, timeout=900)
    return assignment, root


def test_release_equals_fresh_build(graded) -> None:
    """release/<assignment> committed in the repo is byte-identical to a fresh `nbgrader generate_assignment`."""
    assignment, root = graded
    assert release_is_fresh(root, assignment) == []


def test_source_scores_exactly_the_registered_points(graded) -> None:
    """nbgrader's points per test cell and per written answer are the registry's, and the source notebook earns
    every autograded one of them."""
    assignment, root = graded
    full, auto = max_points(root, assignment), registry.cell_points(assignment)
    assert full == {**auto, **registry.answer_points(assignment)}
    assert sum(full.values()) == registry.load()[assignment].points
    assert {gid: v for gid, v in scores(root, assignment)["perfect"].items() if gid in auto} == auto


def test_release_scores_zero_and_run_completes(graded) -> None:
    """The release as issued scores 0 on every autograded cell and every written answer left as issued, and every
    cell was executed (no abort)."""
    assignment, root = graded
    for notebook in registry.load()[assignment].notebooks:
        assert_release_scores_zero_and_completes(root, assignment, notebook, "blank",
                                                 set(registry.cell_points(assignment))
                                                 | set(registry.answer_points(assignment)))


def test_planted_students_earn_exactly_their_right_exercises(graded) -> None:
    """Each planted student earns full points on the exercises they got right and 0 on every other test cell."""
    assignment, root = graded
    students, _ = planted(assignment)
    exercises = registry.load()[assignment].exercises
    got = scores(root, assignment)
    for name, student in students.items():
        right = {e.id for e in exercises} if student.right == ALL else set(student.right)
        want = {e.grade_id(kind): (getattr(e, kind) if e.id in right else 0.0)
                for e in exercises for kind in registry.KINDS}
        assert {gid: v for gid, v in got[name].items() if gid in want} == want, f"{assignment}: {name}"


def test_deleted_test_cells_come_back_and_are_graded(graded) -> None:
    """Deleted test cells are restored from the source (add_missing_cells) and scored: the only cells left for
    manual grading are written answers (all of them for the solved source; an answer left as issued scores 0)."""
    from autograder.gradebook import open_gradebook

    assignment, root = graded
    students, _ = planted(assignment)
    answers = set(registry.answer_points(assignment))
    with open_gradebook(root) as gb:
        for name in ["perfect", *students]:
            submission_ = gb.find_submission(assignment, name)
            manual = {g.name for nb in submission_.notebooks for g in nb.grades if g.needs_manual_grade}
            assert manual <= answers and (name != "perfect" or manual == answers), name


def test_feedback_of_a_failure_teaches(graded) -> None:
    """Each planted failure's output names the classic slip (a phrase of its hint)."""
    assignment, root = graded
    _, feedback = planted(assignment)
    assert feedback, f"tests/assignments/{assignment}.py plants no failure whose feedback is checked"
    for student, gid, phrase in feedback:
        cells = [c for nb in registry.load()[assignment].notebooks
                 for c in autograded_notebook(root, assignment, nb, student).cells if grade_id(c) == gid]
        errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
        assert errors and phrase in errors[0].evalue, (gid, errors[0].evalue if errors else cells)


def test_solved_notebooks_show_no_warnings_or_errors(graded) -> None:
    """The reference answers run top to bottom without a single stderr line or error output (no wall of warnings)."""
    assignment, root = graded
    for notebook in registry.load()[assignment].notebooks:
        assert noisy_outputs(root, assignment, notebook, "perfect") == []


def test_graded_explorers_are_static_images(graded) -> None:
    """Under autograde every explorer cell draws a static PNG (feedback needs no JavaScript) and no widget."""
    assignment, root = graded
    explorers = 0
    for notebook in registry.load()[assignment].notebooks:
        for cell in autograded_notebook(root, assignment, notebook, "perfect").cells:
            if cell.cell_type == "code" and "explorer(" in cell.source:
                explorers += 1
                kinds = [o.get("data", {}).keys() for o in cell.outputs if o.output_type == "display_data"]
                assert any("image/png" in k for k in kinds), (notebook, cell.source[:80])
                assert not any("application/vnd.jupyter.widget-view+json" in k for k in kinds)
    assert explorers, f"{assignment} has no explorer cell"
