"""Fairness of every check of every registered exercise: the same mistake costs every student the same points.

The tables live next to the module-specific tests, in tests/checks/test_fair_<module>.py: ``BUGS`` (exercise id ->
{bug name: function}, one per failure mode the notebook teaches), ``HIDDEN_ONLY`` ((id, bug) -> why the visible
check leaves it to the hidden one) and ``RIGHT`` (id -> {name: a right answer written independently of
solutions}). Here, for every module: each bug is caught by the hidden check in every one of 50 students' draws and
by the visible check on its fixed inputs; the reference and the independent right answers pass in every draw;
every hidden check is a battery whose inputs travel as plain data; every registered exercise has known bugs.
"""

import importlib

import pytest

from autograder import hidden, registry
from course import evidence
from tests import fairness

EXERCISES = [e for a in registry.load().values() for e in a.exercises]
MODULES = sorted({e.module for e in EXERCISES})
TABLES = {m: importlib.import_module(f"tests.checks.test_fair_{m}") for m in MODULES}
BUGS = {eid: bugs for t in TABLES.values() for eid, bugs in t.BUGS.items()}
RIGHT = {eid: answers for t in TABLES.values() for eid, answers in t.RIGHT.items()}
HIDDEN_ONLY = {key: why for t in TABLES.values() for key, why in t.HIDDEN_ONLY.items()}
BUG_CASES = [(eid, bug) for eid, bugs in BUGS.items() for bug in bugs]
RIGHT_CASES = [(eid, name) for eid, answers in RIGHT.items() for name in answers]
IDS = [e.id for e in EXERCISES]


def reference(exercise_id: str):
    module, _, name = exercise_id.partition(".")
    return getattr(importlib.import_module(f"solutions.{module}"), name)


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_registered_exercise_has_known_bugs(exercise_id: str) -> None:
    """Each exercise of assignments.toml has at least two known-bug variants in its module's table."""
    assert len(BUGS.get(exercise_id, {})) >= 2, f"add the failure modes of {exercise_id} to its BUGS table"


@pytest.mark.parametrize("exercise_id, bug", BUG_CASES, ids=[f"{e}:{b}" for e, b in BUG_CASES])
def test_hidden_check_catches_the_bug_in_every_draw(exercise_id: str, bug: str) -> None:
    """The hidden check fails this known bug for every one of 50 students."""
    fairness.assert_caught_in_every_draw(exercise_id, BUGS[exercise_id][bug])


@pytest.mark.parametrize("exercise_id, bug", BUG_CASES, ids=[f"{e}:{b}" for e, b in BUG_CASES])
def test_visible_check_catches_the_bug(exercise_id: str, bug: str) -> None:
    """The visible check fails this known bug on its fixed inputs, unless it is listed as hidden-only."""
    verdict = fairness.visible_verdict(exercise_id, BUGS[exercise_id][bug])
    if (exercise_id, bug) in HIDDEN_ONLY:
        assert verdict is None, f"{bug} is listed as hidden-only but the visible check fails it: {verdict}"
    else:
        assert verdict is not None, f"the visible check passes the bug {bug!r}"


@pytest.mark.parametrize("exercise_id", IDS)
def test_hidden_check_passes_the_reference_in_every_draw(exercise_id: str) -> None:
    """The hidden check passes solutions/ for every one of 50 students."""
    fairness.assert_passes_in_every_draw(exercise_id, reference(exercise_id))


@pytest.mark.parametrize("exercise_id, name", RIGHT_CASES, ids=[f"{e}:{n}" for e, n in RIGHT_CASES])
def test_independent_right_answers_pass_every_draw_and_the_visible_check(exercise_id: str, name: str) -> None:
    """A right answer written differently from solutions/ passes the hidden check for every student and the visible one."""
    fn = RIGHT[exercise_id][name]
    fairness.assert_passes_in_every_draw(exercise_id, fn)
    assert fairness.visible_verdict(exercise_id, fn) is None


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_hidden_check_is_a_battery(exercise_id: str) -> None:
    """Every hidden check runs a fixed battery of named case types (the same for every student)."""
    assert hidden.lookup(exercise_id).case_types


@pytest.mark.parametrize("exercise_id", IDS)
def test_battery_inputs_travel_as_plain_data(exercise_id: str, tmp_path) -> None:
    """The battery's inputs survive course.evidence (how the grader hands them to the sandboxed kernel): the reference
    run on the decoded inputs passes the judge of the original ones."""
    spec = hidden.lookup(exercise_id)
    for seed in fairness.seeds(exercise_id, 3):
        inputs = hidden.inputs_for(spec, seed)
        evidence.save(tmp_path, f"{exercise_id}.{seed}", inputs)
        decoded = evidence.load(tmp_path, f"{exercise_id}.{seed}")
        spec.judge(inputs, hidden.run_plain(spec, decoded, reference(exercise_id)))


def test_every_hidden_only_bug_has_a_reason_and_exists() -> None:
    """HIDDEN_ONLY names only bugs of the tables, each with a reason."""
    for (exercise_id, bug), reason in HIDDEN_ONLY.items():
        assert bug in BUGS[exercise_id] and len(reason) > 20
