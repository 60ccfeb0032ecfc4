"""The per-call time budget of the visible checks counts CPU time, so a busy grading machine costs no points."""

import signal
import time

import pytest

from course.checks.core import WALL_FACTOR, call_student

BUDGET = 0.3


@pytest.fixture(autouse=True)
def _small_budget(monkeypatch):
    monkeypatch.setenv("NNDL_CHECK_TIMEOUT", str(BUDGET))


def _student(code: str, name: str):
    """A function defined the way a notebook defines it: in a namespace of its own."""
    namespace: dict = {"time": time}
    exec(code, namespace)  # noqa: S102 - test fixture
    return namespace, namespace[name]


def test_an_infinite_loop_is_stopped_after_the_cpu_budget_and_quarantined():
    """A loop that burns CPU fails its check after ~BUDGET s and later calls of it fail at once."""
    namespace, spin = _student("def spin(x):\n    while True:\n        x = x + 1\n", "spin")
    start = time.perf_counter()
    with pytest.raises(AssertionError, match=r"spin did not return within 0.3 s of CPU time"):
        call_student(spin, 1)
    assert time.perf_counter() - start < BUDGET * WALL_FACTOR
    with pytest.raises(RuntimeError, match="stopped by its check"):
        namespace["spin"](1)


def test_time_without_the_cpu_does_not_count():
    """A call that is off the CPU for twice the budget (as on a loaded machine) still returns its value."""
    _, slow = _student("def slow(x):\n    time.sleep(2 * %r)\n    return x * 2\n" % BUDGET, "slow")
    assert call_student(slow, 21).value == 42


def test_a_call_waiting_forever_is_stopped_by_the_wall_clock_backstop():
    """A call that sleeps (uses no CPU) is stopped after WALL_FACTOR budgets of wall time."""
    _, wait = _student("def wait(x):\n    time.sleep(100)\n", "wait")
    start = time.perf_counter()
    with pytest.raises(AssertionError, match="waiting for something"):
        call_student(wait, 1)
    assert BUDGET * WALL_FACTOR * 0.9 < time.perf_counter() - start < BUDGET * WALL_FACTOR + 5


def test_timers_and_handlers_are_restored_after_a_call():
    """After a check's call no timer is left running and the previous signal handlers are back."""
    before = signal.getsignal(signal.SIGPROF), signal.getsignal(signal.SIGALRM)
    _, quick = _student("def quick(x):\n    return x\n", "quick")
    assert call_student(quick, 3).value == 3
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0) and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert (signal.getsignal(signal.SIGPROF), signal.getsignal(signal.SIGALRM)) == before
