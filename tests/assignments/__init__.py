"""Planted classes for the round trip (tests/assignments/test_round_trip.py): one module per assignment, named after it.

Each module defines ``STUDENTS``: {student: Student} — the answers a student hands in and which exercises they
must earn full marks for (every other test cell must score 0) — and ``FEEDBACK``: [(student, grade_id, phrase)],
cells whose failure output must teach with that phrase. "perfect" (the source notebook) and "blank" (the release as
issued) are added to every class by the round trip itself.
"""

import importlib
from dataclasses import dataclass, field

ALL = "all"  # Student.right: every exercise of the assignment
REFERENCE = None  # Student.answers value: the reference answer of that cell


@dataclass(frozen=True)
class Student:
    """A planted submission: the release with `answers` filled in ({grade_id of a solution cell: source, or
    REFERENCE for that cell's reference answer}).

    With ``reference=True`` every solution cell first gets the reference answer, then `answers` override some.
    `right` names the exercises (``module.function``) that must earn full marks, or ALL. `deleted` lists test
    cells the student removed (nbgrader must restore and grade them).
    """

    answers: dict[str, str] = field(default_factory=dict)
    right: frozenset[str] | str = frozenset()
    reference: bool = False
    deleted: tuple[str, ...] = ()


def planted(assignment: str) -> tuple[dict[str, Student], list[tuple[str, str, str]]]:
    """(STUDENTS, FEEDBACK) of tests/assignments/<assignment>.py."""
    module = importlib.import_module(f"tests.assignments.{assignment}")
    return module.STUDENTS, list(getattr(module, "FEEDBACK", []))
