"""Step 4 — feedback: nbgrader's HTML feedback per student, with the hidden tests scrubbed.

Stock nbgrader shows hidden tests in feedback (nbgrader #917). `ScrubHiddenTests` runs in the feedback
pipeline (configured in nbgrader_config.py): in every cell that holds a hidden-test region it replaces the
region with a one-line note and reduces error outputs to "ErrorName: message" — the teaching message of the
check — so no traceback quotes the hidden source.
"""
import re
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.nbg import nbgrader

HIDDEN = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*", re.S)
NOTE = "# (hidden test: it ran on inputs drawn at grading time; its verdict is below)"


class ScrubHiddenTests(NbGraderPreprocessor):  # nbgrader's base is enabled by default
    """Remove hidden-test source and tracebacks from a notebook before it becomes feedback HTML."""

    def preprocess_cell(self, cell, resources, index):  # noqa: D102 - nbconvert API
        if cell.cell_type != "code" or "BEGIN HIDDEN TESTS" not in cell.source:
            return cell, resources
        cell.source = HIDDEN.sub(NOTE, cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


def generate_feedback(root: Path, assignment: str, students: list[str] | None = None) -> list[Path]:
    """Write feedback HTML for `assignment` (all graded students, or only `students`); returns the files."""
    if students is None:
        nbgrader("generate_feedback", assignment, "--force", root=root)
    else:
        for student in students:
            nbgrader("generate_feedback", assignment, "--student", student, "--force", root=root)
    base = root / ".grading" / "feedback"
    return sorted(base.glob(f"*/{assignment}/*.html"))
