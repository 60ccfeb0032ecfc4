"""Evidence: what a check saw of the student's code, as plain data, so the verdict can be given elsewhere.

The student-side half of the grading protocol (it contains no answers): the plain-data codec, and the recording
of a check's calls. In the student's kernel, while a graded notebook runs under ``nndl-course grade``, every call
of student code made by a check through ``course.checks.core.call_student`` is *recorded*: its return value (or
the exception it raised), its warnings and stderr, and the state of the course-side stand-ins (spies) it was
given. The grader-side half — running the visible check again in the grader's own process, where no student
code ever ran, serving those records instead of calling anything — is autograder.replay, which plugs in through
`serving`.

Plain data means: None, bool, int, float, complex, str, base-class ndarrays of bool/int/uint/float/complex
dtype, numpy scalars of those, and tuples, lists, dicts, sets and frozensets of plain data. It is stored as
``<stem>.json`` (structure) + ``<stem>.npz`` (arrays, read back with ``allow_pickle=False``); nothing is ever
unpickled or imported from evidence.
"""

import contextlib
import io
import json
import os
import re
import warnings
from pathlib import Path
from typing import Any, Iterator

import numpy as np

SANDBOX_IO = "NNDL_SANDBOX_IO"  # set by the grader in the kernel's environment: <dir>/inputs, <dir>/evidence
MAX_ITEMS = 200_000  # containers/entries per record
MAX_DEPTH = 32
MAX_ARRAY_BYTES = 256 * 2**20  # per record, all arrays together
MAX_TEXT = 4000  # characters of a recorded message / stderr
_SAFE_STEM = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
_KINDS = "biufc"  # bool, int, uint, float, complex


class NotPlain(TypeError):
    """A value that is not plain data (a student object, an object array, …)."""


# ---- the codec ------------------------------------------------------------------------------------------
class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.items = 0
        self.nbytes = 0

    def __call__(self, value: Any, depth: int = 0) -> Any:
        self.items += 1
        if self.items > MAX_ITEMS or depth > MAX_DEPTH:
            raise NotPlain("too large or too deeply nested")
        if value is None or type(value) in (bool, str):
            return value
        if isinstance(value, np.ndarray):
            arr = np.array(value, subok=False)  # a base-class copy: subclasses lose their methods here
            if arr.dtype.kind not in _KINDS:
                raise NotPlain(f"an array of dtype {arr.dtype}")
            self.nbytes += arr.nbytes
            if self.nbytes > MAX_ARRAY_BYTES:
                raise NotPlain("arrays larger than the evidence limit")
            key = f"a{len(self.arrays)}"
            self.arrays[key] = arr
            return {"__nd__": key}
        if isinstance(value, np.generic):
            if value.dtype.kind not in _KINDS:
                raise NotPlain(f"a numpy scalar of dtype {value.dtype}")
            item = value.item()
            return {"__np__": value.dtype.str, "v": [item.real, item.imag] if isinstance(item, complex) else item}
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return {"__int__": str(int(value))} if abs(int(value)) >= 2**53 else int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, complex):
            return {"__complex__": [value.real, value.imag]}
        if isinstance(value, str):
            return str(value)
        if isinstance(value, tuple):
            return {"__tuple__": [self(v, depth + 1) for v in tuple.__iter__(value)]}
        if isinstance(value, list):
            return [self(v, depth + 1) for v in list.__iter__(value)]
        if isinstance(value, dict):
            return {"__dict__": [[self(k, depth + 1), self(v, depth + 1)] for k, v in dict.items(value)]}
        if isinstance(value, frozenset):
            return {"__frozenset__": [self(v, depth + 1) for v in frozenset.__iter__(value)]}
        if isinstance(value, set):
            return {"__set__": [self(v, depth + 1) for v in set.__iter__(value)]}
        raise NotPlain(f"a {type(value).__name__}")


def encode(value: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """(JSON-able structure, arrays) for a plain-data value; NotPlain if it is not plain data."""
    enc = _Encoder()
    return enc(value), enc.arrays


def decode(obj: Any, arrays: dict[str, np.ndarray], depth: int = 0) -> Any:
    """The value `encode` was given (arrays as base-class ndarrays). ValueError on anything unexpected."""
    if depth > MAX_DEPTH + 2:
        raise ValueError("evidence nested too deeply")
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if type(obj) is list:
        return [decode(v, arrays, depth + 1) for v in obj]
    if type(obj) is not dict or len(obj) > 2:
        raise ValueError(f"unexpected evidence item {type(obj).__name__}")
    if "__nd__" in obj:
        arr = arrays[obj["__nd__"]]
        if type(arr) is not np.ndarray or arr.dtype.kind not in _KINDS:
            raise ValueError("evidence array is not plain")
        return arr
    if "__np__" in obj:
        dtype = np.dtype(obj["__np__"])
        if dtype.kind not in _KINDS:
            raise ValueError("evidence scalar is not plain")
        v = obj["v"]
        return dtype.type(complex(*v) if isinstance(v, list) else v)
    if "__int__" in obj:
        return int(obj["__int__"])
    if "__complex__" in obj:
        return complex(*obj["__complex__"])
    if "__tuple__" in obj:
        return tuple(decode(v, arrays, depth + 1) for v in obj["__tuple__"])
    if "__dict__" in obj:
        return {_hashable(decode(k, arrays, depth + 1)): decode(v, arrays, depth + 1) for k, v in obj["__dict__"]}
    if "__frozenset__" in obj:
        return frozenset(_hashable(decode(v, arrays, depth + 1)) for v in obj["__frozenset__"])
    if "__set__" in obj:
        return {_hashable(decode(v, arrays, depth + 1)) for v in obj["__set__"]}
    raise ValueError(f"unknown evidence tag {sorted(obj)}")


def _hashable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        raise ValueError("an array cannot be a dict key or set member")
    return value


def save(directory: Path, stem: str, value: Any) -> None:
    """Write plain-data `value` as <stem>.json + <stem>.npz in `directory` (NotPlain if it is not plain)."""
    if not _SAFE_STEM.match(stem):
        raise ValueError(f"bad evidence name {stem!r}")
    structure, arrays = encode(value)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    (directory / f"{stem}.npz").write_bytes(buf.getvalue())
    (directory / f"{stem}.json").write_text(json.dumps(structure))


def loads(text: str | bytes, npz: bytes) -> Any:
    """Decode evidence from the bytes of its .json and .npz (no pickles are ever loaded)."""
    structure = json.loads(text)
    with np.load(io.BytesIO(npz), allow_pickle=False) as data:
        arrays = {k: np.array(data[k]) for k in data.files}
    return decode(structure, arrays)


def load(directory: Path, stem: str) -> Any:
    """Read back what `save` wrote."""
    if not _SAFE_STEM.match(stem):
        raise ValueError(f"bad evidence name {stem!r}")
    directory = Path(directory)
    return loads((directory / f"{stem}.json").read_bytes(), (directory / f"{stem}.npz").read_bytes())


# ---- grading mode (kernel side) -------------------------------------------------------------------------
def sandbox_io() -> Path | None:
    """The grader's exchange folder when this kernel runs under `nndl-course grade`, else None."""
    value = os.environ.get(SANDBOX_IO)
    return Path(value) if value else None


def load_inputs(exercise_id: str) -> Any:
    """The grading-time inputs of hidden check `exercise_id`, written by the grader (never derived here)."""
    io_dir = sandbox_io()
    if io_dir is None:
        raise RuntimeError("not running under the grader")
    return load(io_dir / "inputs", exercise_id)


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + " …"


def _is_stand_in(obj: Any) -> bool:
    """A course-side object handed to student code (a spy or stand-in) whose state the check reads later."""
    cls = obj if isinstance(obj, type) else type(obj)
    return str(getattr(cls, "__module__", "")).startswith("course.")


def _state(obj: Any) -> dict[str, Any]:
    """The plain-data attributes of a stand-in (instance attributes, or a class's own data attributes)."""
    try:
        items = dict(vars(obj))
    except TypeError:
        return {}
    out = {}
    for name, value in items.items():
        if name.startswith("__") or callable(value) or isinstance(value, (staticmethod, classmethod, property)):
            continue
        try:
            encode(value)
        except NotPlain:
            continue
        out[name] = value
    return out


def stand_ins(fn: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    """{position: object} of the stand-ins in a call: arguments and with_globals replacements from course."""
    found = {f"a{i}": a for i, a in enumerate(args)}
    found.update({f"k:{k}": v for k, v in kwargs.items()})
    found.update({f"g:{k}": v for k, v in (getattr(fn, "__nndl_replacements__", None) or {}).items()})
    return {k: v for k, v in found.items() if _is_stand_in(v)}


class Recording:
    """The calls of student code made during one visible check, in order (kernel side)."""

    def __init__(self, exercise_id: str, functions: tuple) -> None:
        self.exercise_id = exercise_id
        self.names = [str(getattr(f, "__name__", "function"))[:100] for f in functions]
        self.calls: list[dict[str, Any]] = []

    def _common(self, fn: Any, args: tuple, kwargs: dict, warns: list[str], stderr: str) -> dict[str, Any]:
        state = {key: _state(obj) for key, obj in stand_ins(fn, args, kwargs).items()}
        return {"warnings": [_short(w) for w in warns[:50]], "stderr": _short(stderr), "state": state}

    def returned(self, fn: Any, args: tuple, kwargs: dict, value: Any, warns: list[str], stderr: str) -> None:
        entry = self._common(fn, args, kwargs, warns, stderr)
        try:
            encode(value)
            entry.update(kind="value", value=value)
        except NotPlain as exc:
            entry.update(kind="opaque", type=type(value).__name__[:100], why=str(exc))
        self.calls.append(entry)

    def raised(self, fn: Any, args: tuple, kwargs: dict, exc: BaseException, warns: list[str], stderr: str) -> None:
        entry = self._common(fn, args, kwargs, warns, stderr)
        builtin = next((c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"), "Exception")
        entry.update(kind="raised", type=type(exc).__name__[:100], builtin=builtin, message=_short(str(exc)))
        self.calls.append(entry)

    def as_data(self) -> dict[str, Any]:
        return {"exercise_id": self.exercise_id, "functions": self.names, "calls": self.calls}


_RECORDING: list[Recording] = []


@contextlib.contextmanager
def recording(exercise_id: str, functions: tuple) -> Iterator[Recording]:
    """Record every call_student call made inside the block; the record is saved as <id>.visible evidence."""
    rec = Recording(exercise_id, functions)
    _RECORDING.append(rec)
    try:
        yield rec
    finally:
        _RECORDING.remove(rec)
        io_dir = sandbox_io()
        if io_dir is not None:
            try:
                save(io_dir / "evidence", f"{exercise_id}.visible", rec.as_data())
            except Exception as exc:  # noqa: BLE001 - no evidence simply means no points
                warnings.warn(f"could not record the check's evidence: {exc}")


def active_recording() -> Recording | None:
    """The innermost recording, if a visible check is being recorded."""
    return _RECORDING[-1] if _RECORDING else None


# ---- the hook for a judge outside the kernel ----------------------------------------------------------------
# The grader (autograder.replay) re-runs a visible check in its own process and serves the recorded calls back
# through this hook: while a source is active, call_student asks it for each call's result instead of calling.
_SOURCES: list[Any] = []


@contextlib.contextmanager
def serving(source: Any) -> Iterator[Any]:
    """Inside the block call_student returns ``source.next(fn, args, kwargs) -> (value, warnings, stderr)``."""
    _SOURCES.append(source)
    try:
        yield source
    finally:
        _SOURCES.remove(source)


def active_source() -> Any:
    """The innermost source of recorded calls, if a visible check is being judged outside the kernel."""
    return _SOURCES[-1] if _SOURCES else None
