"""The machinery shared by every check: calling student code safely, comparing with a teaching message.

Used by the visible checks (``course.checks``) and by the instructor's hidden checks, so a student sees the
same kind of message from both.
"""

import contextlib
import io
import json
import os
import signal
import threading
import warnings
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Callable, Sequence

import numpy as np

from course import evidence

Hint = tuple[Callable[[np.ndarray, np.ndarray], bool], str]


@dataclass
class Call:
    """What one call of a student function gave: its value and anything it printed or warned."""

    value: Any
    warnings: list[str] = field(default_factory=list)
    stderr: str = ""

    def notes(self) -> str:
        """A line about warnings/stderr to append to a failure message ('' if there were none)."""
        parts = []
        if self.warnings:
            parts.append("your code emitted: " + "; ".join(sorted(set(self.warnings))))
        if self.stderr.strip():
            parts.append("it printed to stderr: " + self.stderr.strip()[:300])
        return ("\n  (" + " / ".join(parts) + ")") if parts else ""


class CheckTimeout(BaseException):
    """A student's function ran longer than the check's time budget (a BaseException: `except Exception`
    in student code cannot swallow it)."""


def check_time_budget() -> float:
    """CPU seconds one call of a student function may take inside a check: $NNDL_CHECK_TIMEOUT or 20."""
    return float(os.environ.get("NNDL_CHECK_TIMEOUT", "20"))


WALL_FACTOR = 5.0  # a call that uses no CPU (sleeps, waits) is stopped after this many budgets of wall time


@contextlib.contextmanager
def _time_limit(seconds: float, name: str):
    """Raise CheckTimeout in the main thread once the call has used `seconds` of CPU time, or WALL_FACTOR times
    that in wall time (no limit off the main thread or without setitimer).

    CPU time, not wall time: on a grading machine busy with other kernels an honest function gets less of the
    CPU per second, but the CPU it needs stays the same, so a loaded machine never costs a student points. An
    infinite loop burns CPU and is stopped after `seconds`; a call stuck without using the CPU (a sleep, a
    blocked read) is stopped by the wall-clock backstop.
    """
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    wall = WALL_FACTOR * seconds

    def _cpu(signum, frame):  # noqa: ARG001 - signal handler signature
        raise CheckTimeout(f"{name} did not return within {seconds:g} s of CPU time — is there an infinite loop?")

    def _wall(signum, frame):  # noqa: ARG001 - signal handler signature
        raise CheckTimeout(f"{name} did not return within {wall:g} s — is it waiting for something?")

    previous = signal.signal(signal.SIGPROF, _cpu), signal.signal(signal.SIGALRM, _wall)
    signal.setitimer(signal.ITIMER_PROF, seconds)  # CPU time of this process (user + system)
    signal.setitimer(signal.ITIMER_REAL, wall)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, previous[0])
        signal.signal(signal.SIGALRM, previous[1])


def _quarantine(fn: Callable[..., Any], reason: str) -> None:
    """Replace a function that hung by a stub that fails at once, in the namespace that defined it.

    Later cells that use it (plots, timings, other checks) then fail fast instead of each hanging until the
    cell timeout, so a hung function costs its own exercise only. Re-running its cell restores it.
    """
    original = getattr(fn, "__nndl_original__", fn)
    name = getattr(original, "__name__", None)
    namespace = getattr(original, "__globals__", None)
    if not name or namespace is None or namespace.get(name) is not original:
        return

    def stopped(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"{name} was stopped by its check: {reason}. Fix it and re-run its cell.")

    stopped.__name__ = name
    namespace[name] = stopped


def call_student(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Call:
    """Call a student's function with copies of the inputs, capturing warnings and stderr, with a time budget.

    Warnings and stderr never reach the cell's output (under nbgrader any stderr in a test cell costs all its
    points), so an honest answer that warns keeps its points; they are reported only when the check fails.
    A call longer than check_time_budget() raises AssertionError and quarantines the function.
    """
    source = evidence.active_source()
    if source is not None:  # judged outside the kernel (autograder.replay): what the student's code did then
        value, warns, stderr = source.next(fn, args, kwargs)
        return Call(value, warns, stderr)
    originals = (args, kwargs)
    args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    kwargs = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    err = io.StringIO()
    name = getattr(fn, "__name__", "your function")
    budget = check_time_budget()
    record = evidence.active_recording()
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(err):
            warnings.simplefilter("always")
            with np.errstate(all="warn"), _time_limit(budget, name):
                value = fn(*args, **kwargs)
    except CheckTimeout as exc:
        _quarantine(fn, f"it did not return within its time budget ({budget:g} s of CPU time)")
        failure = AssertionError(str(exc))
        if record is not None:
            record.raised(fn, *originals, failure, _warning_texts(caught), err.getvalue())
        raise failure from None
    except BaseException as exc:
        if record is not None:
            record.raised(fn, *originals, exc, _warning_texts(caught), err.getvalue())
        raise
    call = Call(value, _warning_texts(caught), err.getvalue())
    if record is not None:
        record.returned(fn, *originals, value, call.warnings, call.stderr)
    return call


def _warning_texts(caught: list | None) -> list[str]:
    return [f"{w.category.__name__}: {w.message}" for w in (caught or [])]


def as_array(name: str, value: Any, shape: tuple[int, ...] | None = None, kind: str = "numeric") -> np.ndarray:
    """Convert a student's return value to a plain ndarray, or fail with a message about its type/shape."""
    if value is None:
        raise AssertionError(f"{name}: your function returned None — did you forget the `return` statement?")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - any failure to convert is the student's to fix
        raise AssertionError(f"{name}: expected an array, got {type(value).__name__} ({exc})") from None
    if kind == "numeric" and not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise AssertionError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    if shape is not None and arr.shape != tuple(shape):
        hint = ""
        if arr.shape == tuple(shape)[::-1]:
            hint = " — it looks transposed"
        raise AssertionError(f"{name}: expected shape {tuple(shape)}, got {arr.shape}{hint}")
    return np.array(arr)  # a plain base-class copy (no subclasses)


def assert_close(
    name: str,
    got: Any,
    expected: np.ndarray,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    hints: Sequence[Hint] = (),
    call: Call | None = None,
) -> None:
    """Assert `got` equals `expected` entrywise within atol + rtol·|expected|, with a teaching message.

    The message names the shape, the first entry that differs and by how much, how many entries differ, and
    the first hint whose predicate holds (e.g. "did you take the square root?").
    """
    expected = np.asarray(expected)
    notes = call.notes() if call is not None else ""
    got = as_array(name, got, expected.shape)
    if np.issubdtype(got.dtype, np.number) and not np.all(np.isfinite(got)):
        bad = np.argwhere(~np.isfinite(got))[0]
        msg = f"{name}: entry {tuple(int(i) for i in bad)} is {got[tuple(bad)]} (not finite)"
        msg += _hint(got, expected, hints)
        raise AssertionError(msg + notes)
    diff = np.abs(got.astype(np.float64) - expected)
    bad_mask = diff > atol + rtol * np.abs(expected)
    if not bad_mask.any():
        return
    idx = tuple(int(i) for i in np.argwhere(bad_mask)[0]) if expected.ndim else ()
    worst = float(diff.max())
    msg = (
        f"{name}: {int(bad_mask.sum())} of {expected.size} entries differ. "
        f"First at index {idx}: got {got[idx].item()!r}, expected {expected[idx].item()!r} "
        f"(largest difference {worst:.3g}; tolerance atol={atol:g} + rtol={rtol:g}·|expected|)."
    )
    raise AssertionError(msg + _hint(got, expected, hints) + notes)


def assert_equal_labels(name: str, got: Any, expected: np.ndarray, *, hints: Sequence[Hint] = (),
                        call: Call | None = None) -> None:
    """Assert an integer label vector equals the expected one exactly, naming the first mismatch."""
    expected = np.asarray(expected)
    notes = call.notes() if call is not None else ""
    got = as_array(name, got, expected.shape)
    if not np.issubdtype(got.dtype, np.integer):
        if np.issubdtype(got.dtype, np.floating) and np.all(got == np.round(got)):
            got = got.astype(np.int64)
        else:
            raise AssertionError(f"{name}: expected integer labels, got dtype {got.dtype}" + notes)
    wrong = np.flatnonzero(got != expected)
    if wrong.size and expected.ndim == 0:
        raise AssertionError(f"{name}: got {got.item()}, expected {expected.item()}." + _hint(got, expected, hints)
                             + notes)
    if wrong.size:
        i = int(wrong[0])
        msg = (f"{name}: {wrong.size} of {expected.size} labels are wrong. First at index {i}: "
               f"got {got.flat[i]}, expected {expected.flat[i]}.")
        raise AssertionError(msg + _hint(got, expected, hints) + notes)


def _hint(got: np.ndarray, expected: np.ndarray, hints: Sequence[Hint]) -> str:
    for predicate, text in hints:
        try:
            with np.errstate(all="ignore"):
                if predicate(got, expected):
                    return f"\n  Hint: {text}"
        except Exception:  # noqa: BLE001 - a hint that cannot be evaluated is simply not given
            continue
    return ""


def load_expected(module: str) -> dict[str, Any]:
    """The fixed expected values of the visible checks of `module` (course/expected/<module>.json)."""
    text = resources.files("course").joinpath("expected", f"{module}.json").read_text()
    return json.loads(text)


def with_globals(fn: Callable[..., Any], **replacements: Any) -> Callable[..., Any]:
    """A copy of function `fn` whose global names in `replacements` are rebound (e.g. a helper it calls).

    Lets a check feed an exercise reference (or spy) versions of the earlier exercises it depends on, so one
    wrong function costs only its own points. Non-functions (e.g. a lambda-free callable object) are returned
    unchanged.
    """
    import inspect
    import types

    fn = inspect.unwrap(fn)  # a decorated function's globals are those of the innermost function
    if not isinstance(fn, types.FunctionType):
        return fn
    new_globals = dict(fn.__globals__)
    new_globals.update(replacements)
    clone = types.FunctionType(fn.__code__, new_globals, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    clone.__nndl_original__ = fn  # so a hang quarantines the student's own function
    clone.__nndl_replacements__ = dict(replacements)  # stand-ins whose state is evidence (course.evidence)
    return clone


# ---- helpers of the layer checks (forward -> (out, cache), backward -> gradients) ---------------------------
def copy_cache(cache: Any) -> Any:
    """A fresh copy of a cache (so a student's in-place edit cannot leak into the next case)."""
    if isinstance(cache, tuple):
        return tuple(copy_cache(c) for c in cache)
    return cache.copy() if isinstance(cache, np.ndarray) else cache


ELEMENTWISE_HINT = ("Python's max(0, x) / `if x > 0` work on ONE number; for arrays use elementwise numpy: "
                    "np.maximum(x, 0), np.where(x > 0, a, b), or a mask (x > 0)")


def call(fn: Callable[..., Any], *args: Any) -> Call:
    """call_student, turning the classic 'truth value of an array' error into a hint."""
    try:
        return call_student(fn, *args)
    except ValueError as exc:
        if "truth value of an array" in str(exc):
            raise AssertionError(f"{getattr(fn, '__name__', 'your function')} raised ValueError: {exc}\n"
                                 f"  Hint: {ELEMENTWISE_HINT}") from None
        raise


def unpack_pair(name: str, value: Any, what: str = "(out, cache)") -> tuple[Any, Any]:
    """Split a student's return value into two parts, or fail saying what was expected."""
    if value is None:
        raise AssertionError(f"{name}: your function returned None — did you forget the `return` statement?")
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise AssertionError(f"{name} must return a pair {what}, got {type(value).__name__}"
                             + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""))
    return value[0], value[1]


def check_shape(name: str, value: Any, shape: tuple[int, ...], hint: str = "") -> np.ndarray:
    """as_array with an extra hint when the shape is wrong (e.g. np.max reduced an axis)."""
    try:
        return as_array(name, value, shape)
    except AssertionError as exc:
        if hint and "expected shape" in str(exc):
            raise AssertionError(f"{exc}\n  Hint: {hint}") from None
        raise


def note_overflow(call_: Call, name: str) -> None:
    """A passing answer that warned about overflow keeps its points, but the student should know."""
    noisy = [w for w in call_.warnings if "overflow" in w or "invalid value" in w]
    if noisy:
        print(f"note: {name} is right, but numpy warned ({noisy[0]}). An exponential of a large number "
              "overflowed somewhere (even a np.where branch that is thrown away is computed): evaluate exp only "
              "where it is safe, e.g. np.exp(np.minimum(x, 0)) or np.exp(-np.abs(x)).")
