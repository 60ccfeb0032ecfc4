"""autograder.assemble: the notebook to grade is built from the source's structure and the student's answers."""
import nbformat

from autograder import assemble
from tests.nbtools import ROOT, auto_points, exercise_names, grade_id, reference_answers, submission

A, NB = "a1_knn", "knn.ipynb"


def source_and_release():
    return (nbformat.read(ROOT / "source" / A / NB, as_version=4), nbformat.read(ROOT / "release" / A / NB, as_version=4))


def test_assemble_takes_tests_from_source_and_answers_from_the_student() -> None:
    """Test cells (hidden sections included) and their points come from source; answer cells from the student."""
    src, rel = source_and_release()
    student = submission(A, NB, {"knn-predict_labels-solution": "def predict_labels(d, y, k=1):\n    return 42"})
    asm = assemble.assemble(src, rel, student)
    by_id = {grade_id(c): c for c in asm.nb.cells if grade_id(c)}
    assert by_id["knn-predict_labels-solution"].source.endswith("return 42")
    assert "BEGIN HIDDEN TESTS" in by_id["knn-predict_labels-hidden"].source
    assert [(g.grade_id, g.points, g.checks) for g in asm.graded if g.grade_id.startswith("knn-predict_labels")] == [
        ("knn-predict_labels-visible", 2.0, [("visible", "knn.predict_labels")]),
        ("knn-predict_labels-hidden", 2.0, [("hidden", "knn.predict_labels")])]
    assert asm.report == [] and asm.hidden_ids() == sorted(f"knn.{e}" for e in exercise_names(A))


def test_assemble_restores_deleted_and_edited_cells_and_ignores_forgeries() -> None:
    """Deleted/edited locked cells are restored and reported; forged points, extra graded cells and the
    student's kernelspec count for nothing; a missing answer cell becomes the release stub."""
    src, rel = source_and_release()
    student = submission(A, NB, reference_answers(A, NB))
    student.cells = [c for c in student.cells if grade_id(c) not in {"knn-cross_validate_k-hidden",
                                                                      "knn-predict_labels-solution"}]
    for c in student.cells:
        if grade_id(c) == "knn-predict_labels-visible":
            c.source = "print('trust me')"
        if grade_id(c) == "knn-compute_distances_two_loops-solution":
            c.metadata["nbgrader"]["points"] = 99
            c.metadata["nbgrader"]["grade"] = True
    extra = nbformat.v4.new_code_cell("x = 1")
    extra.metadata["nbgrader"] = {"grade": True, "grade_id": "free", "points": 10, "solution": False, "locked": True,
                                  "schema_version": 3}
    student.cells.insert(2, extra)
    student.metadata["kernelspec"] = {"name": "evil", "display_name": "evil", "language": "python"}
    asm = assemble.assemble(src, rel, student)
    assert asm.report == [
        "a cell with nbgrader metadata not in the assignment (free) runs as ordinary code and is never graded",
        "answer cell knn-predict_labels-solution missing: graded as the release stub",
        "test cell knn-predict_labels-visible was edited: restored from source",
        "test cell knn-cross_validate_k-hidden was deleted: restored from source",
    ]
    assert sum(g.points for g in asm.graded if not g.manual) == auto_points(A) and asm.nb.metadata == src.metadata
    assert "raise NotImplementedError" in next(c.source for c in asm.nb.cells if grade_id(c) == "knn-predict_labels-solution")
    assert any(c.source == "x = 1" and not c.metadata.get("nbgrader") for c in asm.nb.cells)


def test_assemble_keeps_student_cells_after_the_cell_they_followed() -> None:
    """A student's own cell stays right after the graded cell it followed in their notebook."""
    src, rel = source_and_release()
    student = submission(A, NB, {})
    at = next(i for i, c in enumerate(student.cells) if grade_id(c) == "knn-predict_labels-solution")
    student.cells.insert(at + 1, nbformat.v4.new_code_cell("print('mine')"))
    cells = assemble.assemble(src, rel, student).nb.cells
    i = next(i for i, c in enumerate(cells) if grade_id(c) == "knn-predict_labels-solution")
    assert cells[i + 1].source == "print('mine')"


def test_missing_notebook_is_graded_as_release() -> None:
    """No notebook: the release stubs are graded (0 points), with a report line."""
    src, rel = source_and_release()
    asm = assemble.assemble(src, rel, None)
    assert asm.report == ["notebook missing: graded as the release (no answers)"]


def test_checks_in_finds_visible_and_hidden_calls() -> None:
    """hidden_check(...) is hidden, check(...) visible; other calls are not checks."""
    text = 'check("knn.a", f)\nfrom autograder.hidden import check as hidden_check\nhidden_check("knn.b", g)\nmycheck("x.y")'
    assert assemble.checks_in(text) == [("visible", "knn.a"), ("hidden", "knn.b")]
