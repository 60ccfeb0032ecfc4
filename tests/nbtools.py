"""Helpers for tests that make submissions out of source/release notebooks."""
from pathlib import Path

import nbformat

from autograder.authoring import answers_of, fill_answers, grade_id, strip_markers  # noqa: F401 - re-exported

ROOT = Path(__file__).resolve().parents[1]


def submission(assignment: str, notebook: str, answers: dict[str, str], root: Path = ROOT):
    """The release notebook with the solution cells in `answers` ({grade_id: source}) filled in."""
    return fill_answers(nbformat.read(root / "release" / assignment / notebook, as_version=4), answers)


def reference_answers(assignment: str, notebook: str, root: Path = ROOT) -> dict[str, str]:
    """{grade_id: correct answer} for every solution cell, taken from the source notebook."""
    return answers_of(nbformat.read(root / "source" / assignment / notebook, as_version=4))


def class_of(assignment: str, notebook: str, **answers: dict[str, str]) -> dict[str, nbformat.NotebookNode]:
    """A class to grade: "perfect" (the source notebook as-is), "blank" (the release as issued), and one student
    per keyword whose notebook is the release with those answers ({grade_id: source}) filled in."""
    return {"perfect": nbformat.read(ROOT / "source" / assignment / notebook, as_version=4),
            "blank": submission(assignment, notebook, {}),
            **{student: submission(assignment, notebook, given) for student, given in answers.items()}}


def grade_class(root: Path, assignment: str, notebook: str, class_: dict) -> dict[str, dict[str, float]]:
    """Build `assignment` in course copy `root`, submit {student: notebook node}, autograde in one run.

    Returns {student: {grade_id: score}} from the SQLite gradebook.
    """
    from autograder.gradebook import scores
    from autograder.nbg import nbgrader

    nbgrader("generate_assignment", assignment, "--force", root=root)
    for student, nb in class_.items():
        folder = root / ".grading" / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / notebook)
    nbgrader("autograde", assignment, "--force", root=root, timeout=900)
    return scores(root, assignment)


def release_is_fresh(root: Path, assignment: str) -> list[str]:
    """Files of release/<assignment> that differ between the repo and a fresh build in course copy `root`."""
    fresh, committed = root / "release" / assignment, ROOT / "release" / assignment
    names = {p.name for p in fresh.iterdir()} | {p.name for p in committed.iterdir()}
    return sorted(n for n in names if not ((fresh / n).is_file() and (committed / n).is_file()
                                           and (fresh / n).read_bytes() == (committed / n).read_bytes()))


def assert_release_scores_zero_and_completes(root: Path, assignment: str, notebook: str, student: str,
                                             grade_ids: set[str]) -> None:
    """`student` (the release as issued) has exactly `grade_ids`, all 0, and every code cell was executed."""
    from autograder.gradebook import scores

    got = scores(root, assignment)[student]
    assert set(got) == grade_ids
    assert all(v == 0 for v in got.values()), got
    nb = nbformat.read(root / ".grading" / "autograded" / student / assignment / notebook, as_version=4)
    skipped = [c.get("id") for c in nb.cells if c.cell_type == "code" and not c.get("execution_count")]
    assert not skipped, f"the grading run skipped or stopped before cells {skipped}"


def autograded_notebook(root: Path, assignment: str, notebook: str, student: str) -> nbformat.NotebookNode:
    """The notebook of `student` as nbgrader executed it (with its outputs)."""
    return nbformat.read(root / ".grading" / "autograded" / student / assignment / notebook, as_version=4)


def noisy_outputs(root: Path, assignment: str, notebook: str, student: str) -> list[str]:
    """What the autograded notebook of `student` shows on stderr or as errors: "cell N: first line", one per output.

    The solved notebook should read like a lesson, not a wall of warnings: this is [] for the reference answers.
    """
    nb = autograded_notebook(root, assignment, notebook, student)
    noisy = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                noisy.append(f"cell {i}: {out.ename}: {out.evalue}"[:200])
            elif out.output_type == "stream" and out.name == "stderr":
                noisy.append(f"cell {i}: {out.text.strip().splitlines()[0] if out.text.strip() else ''}"[:200])
    return noisy


def exercise_names(assignment: str) -> list[str]:
    """The function names of `assignment`'s autograded exercises, in manifest order (assignments.toml)."""
    from autograder import registry

    return [e.name for e in registry.load()[assignment].exercises]


def auto_points(assignment: str) -> int:
    """The autograded points of `assignment` (assignments.toml): what the reference answers earn."""
    from autograder import registry

    return int(registry.load()[assignment].auto_points)
