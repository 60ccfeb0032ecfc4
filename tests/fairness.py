"""Fairness harness: a known bug is caught for EVERY student or for none; the reference passes for every student.

Each ``tests/checks/test_fair_<module>.py`` lists, per exercise, known-bug variants (one per failure mode the notebook
teaches) and replays them through the hidden check over `NUM_DRAWS` students' seeds (autograder.hidden.evaluate,
in-process, the same run/convert/judge steps as grading), and once through the visible check on its fixed inputs.
"""

from typing import Any, Callable

from autograder import hidden

NUM_DRAWS = 50
SECRET = "fairness-test-secret"


def seeds(exercise_id: str, n: int = NUM_DRAWS) -> list[int]:
    """The grading seeds of `n` students for `exercise_id` (as `nndl-course grade` derives them)."""
    return [hidden.grading_seed(exercise_id, f"student{i:03d}", SECRET) for i in range(n)]


def escaped_draws(exercise_id: str, *functions: Callable[..., Any], n: int = NUM_DRAWS) -> list[int]:
    """The seeds whose hidden check PASSES `functions` (for a bug: the students it would not cost points)."""
    return [seed for seed in seeds(exercise_id, n) if hidden.evaluate(exercise_id, seed, *functions) is None]


def failed_draws(exercise_id: str, *functions: Callable[..., Any], n: int = NUM_DRAWS) -> dict[int, str]:
    """seed -> reason for every draw whose hidden check FAILS `functions` (for the reference: must be empty)."""
    verdicts = {seed: hidden.evaluate(exercise_id, seed, *functions) for seed in seeds(exercise_id, n)}
    return {seed: reason for seed, reason in verdicts.items() if reason is not None}


def assert_caught_in_every_draw(exercise_id: str, *functions: Callable[..., Any], n: int = NUM_DRAWS) -> None:
    """The hidden check fails `functions` for every one of `n` students."""
    escaped = escaped_draws(exercise_id, *functions, n=n)
    assert not escaped, (f"{exercise_id}: the bug passes the hidden check in {len(escaped)}/{n} draws "
                         f"(seeds {escaped[:5]})")


def assert_passes_in_every_draw(exercise_id: str, *functions: Callable[..., Any], n: int = NUM_DRAWS) -> None:
    """The hidden check passes `functions` for every one of `n` students."""
    failed = failed_draws(exercise_id, *functions, n=n)
    assert not failed, f"{exercise_id}: fails in {len(failed)}/{n} draws, e.g. {next(iter(failed.values()))}"


def variants(make: Callable[[str], Callable[..., Any]], modes: dict[str, str]) -> dict[str, Callable[..., Any]]:
    """{bug name: make(bug name)} for a table {bug name: the failure mode it stands for}."""
    return {name: make(name) for name in modes}


def visible_verdict(exercise_id: str, *functions: Callable[..., Any], **options: Any) -> str | None:
    """None if the visible check passes `functions` on its fixed inputs, else the reason."""
    from course.checks import check

    try:
        check(exercise_id, *functions, **options)
    except Exception as exc:  # noqa: BLE001 - a student's exception is a failed check
        return f"{type(exc).__name__}: {exc}"
    return None
