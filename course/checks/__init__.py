"""Visible checks: one entry point keyed by exercise id.

    >>> from course.checks import check
    >>> check("knn.compute_distances_no_loops", compute_distances_no_loops)

A check returns None when the function is right and raises AssertionError with a teaching message when it is
not (which entry differs, by how much, and a hint). Visible checks use fixed inputs and fixed expected values
(course/expected/<module>.json) or numerical gradients — never a reference answer.
"""

import importlib
from typing import Any, Callable

_REGISTRY: dict[str, Callable[..., None]] = {}


def visible(exercise_id: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a visible check under its exercise id (``module.function``)."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        _REGISTRY[exercise_id] = fn
        return fn

    return register


def _lookup(exercise_id: str) -> Callable[..., None]:
    module, _, _ = exercise_id.partition(".")
    if exercise_id not in _REGISTRY and module.isidentifier():
        try:
            importlib.import_module(f"course.checks.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"course.checks.{module}":  # an import error INSIDE the check module surfaces
                raise
    if exercise_id not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none loaded"
        raise KeyError(f"no visible check named {exercise_id!r} (known checks: {known})")
    return _REGISTRY[exercise_id]


def check(exercise_id: str, *functions: Callable[..., Any], **options: Any) -> None:
    """Run the visible check `exercise_id` on the student's function(s); raise AssertionError if wrong.

    Under `nndl-course grade` the calls of the student's code are also recorded as evidence
    (course.evidence): the points come from the same check replayed on that evidence in the grader's process.
    """
    from course import evidence

    spec = _lookup(exercise_id)
    try:
        if evidence.sandbox_io() is None:
            spec(*functions, **options)
        else:
            with evidence.recording(exercise_id, functions):
                spec(*functions, **options)
    except NotImplementedError as exc:  # a stub: one line instead of a traceback through the checker
        raise NotImplementedError(f"{exercise_id} is not implemented yet ({exc}): write it in its cell, run that "
                                  "cell, then run this check again") from None
    print(f"✓ {exercise_id}: visible check passed")


def exercise_ids() -> list[str]:
    """Every exercise id that has a visible check (imports all check modules)."""
    from importlib import resources

    for entry in resources.files(__name__).iterdir():
        name = entry.name
        if name.endswith(".py") and name not in {"__init__.py", "core.py", "spec.py"}:
            importlib.import_module(f"{__name__}.{name[:-3]}")
    return sorted(_REGISTRY)
