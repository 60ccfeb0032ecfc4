"""Grader side of the visible checks' evidence: a recorded check is run again in the grader's own process.

In the student's kernel, course.evidence records every call a visible check made of the student's code. Here, in
a process where no student code ever ran, the same check code runs again while `Replay` serves those recorded
results to ``call_student`` (through course.evidence.serving), so its assertions run on clean numpy, never on
anything the student could have patched. A call that was not recorded is a failure: no evidence, no points.
"""

from typing import Any, Callable

from course.evidence import serving, stand_ins


class Replay:
    """Serves the recorded calls back, in order, to a visible check run in the grader's process."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.calls = list(record.get("calls", []))
        self.position = 0

    def next(self, fn: Any, args: tuple, kwargs: dict) -> tuple[Any, list[str], str]:
        """(value, warnings, stderr) of the next recorded call; re-raises what the student's code raised."""
        if self.position >= len(self.calls):
            raise AssertionError("the check made a call of your function that was not recorded while your "
                                 "notebook ran (no evidence): 0 points")
        entry = self.calls[self.position]
        self.position += 1
        objects = stand_ins(fn, args, kwargs)
        for key, attrs in (entry.get("state") or {}).items():
            if key in objects and isinstance(attrs, dict):
                for name, value in attrs.items():
                    if isinstance(name, str) and not name.startswith("__"):
                        setattr(objects[key], name, value)
        warns = [str(w) for w in entry.get("warnings", [])]
        stderr = str(entry.get("stderr", ""))
        kind = entry.get("kind")
        if kind == "value":
            return entry.get("value"), warns, stderr
        if kind == "opaque":
            return Opaque(str(entry.get("type", "object"))), warns, stderr
        if kind == "raised":
            raise replayed_exception(str(entry.get("builtin", "Exception")), str(entry.get("type", "Exception")),
                                     str(entry.get("message", "")))
        raise AssertionError("unreadable evidence: 0 points")


class Opaque:
    """Stands for a recorded return value that was not plain data (it cannot be judged outside the kernel)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} (not plain data)>"


def replayed_exception(builtin: str, type_name: str, message: str) -> BaseException:
    """An exception of the recorded builtin class (so a check's `except ValueError` still applies)."""
    import builtins

    cls = getattr(builtins, builtin, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)) or builtin in {"StopIteration", "StopAsyncIteration"}:
        cls = RuntimeError
    text = message if type_name == builtin else f"({type_name}) {message}"
    try:
        return cls(text)
    except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError needs 5 arguments
        return RuntimeError(f"{type_name}: {message}")


def placeholder(name: str) -> Callable[..., Any]:
    """A function standing for the student's `name` during a replay (it is never meant to be called)."""

    def stand_for(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} was called outside call_student: this check cannot be judged from evidence")

    stand_for.__name__ = stand_for.__qualname__ = str(name)
    return stand_for


def replay(exercise_id: str, record: dict[str, Any]) -> None:
    """Judge a recorded visible check: run it again, serving the recorded calls; raise AssertionError if wrong."""
    from course.checks import _lookup

    spec = _lookup(exercise_id)
    names = [str(n) for n in record.get("functions", [])] or ["function"]
    with serving(Replay(record)):
        spec(*[placeholder(n) for n in names])
