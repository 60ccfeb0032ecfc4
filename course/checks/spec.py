"""One spec per exercise, shared by its visible check, its hidden check and its expected-value builder.

    exercise("knn.predict_labels", PREDICT_CASES, run=..., schema=..., hints=...)

- `cases` — the battery of CASE TYPES, phrased for feedback ("k = 1", "even k with label ties"), each a function
  drawing that case's values from an rng. Every student gets every case type (fairness: a bug one type exposes
  is caught for every student or for none);
- `run(case, *functions)` — calls the student's function(s), only through ``call_student``, and returns the raw
  outputs {name: value or Call};
- `schema(case)` — each output's shape and kind ("float" | "int"), so outputs become plain data;
- `compare(case, got, want)` — raises AssertionError with a teaching message; the default compares every output
  (``assert_close`` for floats with `rtol`/`atol`, ``assert_equal_labels`` for ints) with `hints(case, name)`.

The **visible** check draws the battery from a fixed public seed and compares with the reference's outputs on
those draws, stored in course/expected/<module>.json (written by ``python -m autograder.expected``). The
**hidden** check (autograder.hidden) draws the same battery from each student's secret seed, records the outputs
as plain data in the kernel and compares them, outside it, with ``solutions`` run through the same `run`.
So a student sees the same case types and the same messages from both; only the values differ.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from course.checks import visible
from course.checks.core import Call, Hint, as_array, assert_close, assert_equal_labels, load_expected

Case = dict[str, Any]
CaseMaker = Callable[[np.random.Generator], Case]
Schema = dict[str, tuple[tuple[int, ...], str]]  # output name -> (shape, "float" | "int")


@dataclass(frozen=True)
class Exercise:
    """How one exercise is checked (see the module docstring)."""

    id: str
    cases: dict[str, CaseMaker]
    run: Callable[..., dict[str, Any]]
    schema: Callable[[Case], Schema]
    compare: Callable[[Case, dict[str, np.ndarray], dict[str, np.ndarray]], None] | None = None
    hints: Callable[[Case, str], Sequence[Hint]] | None = None
    rtol: float | Callable[[Case], float] = 1e-6  # a tolerance may depend on the case (its scale)
    atol: float | Callable[[Case], float] = 1e-8
    # typical WRONG answers, for hints: {name: change of the case} whose reference outputs reach `compare` as
    # want["~name.output"] (e.g. "ols": the case with reg = 0, to recognise an answer that ignores reg)
    variants: dict[str, Callable[[Case], Case]] | None = None

    @property
    def module(self) -> str:
        return self.id.partition(".")[0]

    @property
    def function(self) -> str:
        return self.id.partition(".")[2]

    def judge(self, case: Case, got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
        """Compare plain outputs `got` with `want` (the reference's) on `case`; AssertionError if wrong."""
        if self.compare is not None:
            self.compare(case, got, want)
            return
        rtol, atol = (t(case) if callable(t) else t for t in (self.rtol, self.atol))
        for name, (_, kind) in self.schema(case).items():
            hints = self.hints(case, name) if self.hints is not None else ()
            label = f"{self.function} → {name}"
            if kind == "int":
                assert_equal_labels(label, got[name], want[name], hints=hints)
            else:
                assert_close(label, got[name], want[name], rtol=rtol, atol=atol, hints=hints)


_EXERCISES: dict[str, Exercise] = {}


def exercise(exercise_id: str, cases: dict[str, CaseMaker], **spec: Any) -> Exercise:
    """Register the spec of `exercise_id` (write the id as a literal: `git grep` finds it) and its visible check."""
    ex = Exercise(exercise_id, cases, **spec)
    _EXERCISES[exercise_id] = ex

    def check_visible(*functions: Callable[..., Any]) -> None:
        run_visible(ex, *functions)

    check_visible.__name__ = f"check_{ex.function}"
    check_visible.__doc__ = f"{exercise_id} on one fixed draw of its case types: {', '.join(cases)}."
    visible(exercise_id)(check_visible)
    return ex


def lookup(exercise_id: str) -> Exercise | None:
    """The spec registered under `exercise_id` (imports course.checks.<module>), or None."""
    from course.checks import _lookup

    try:
        _lookup(exercise_id)
    except KeyError:
        return None
    return _EXERCISES.get(exercise_id)


def exercises(module: str) -> list[Exercise]:
    """Every spec of course.checks.<module>, in registration order."""
    import importlib

    importlib.import_module(f"course.checks.{module}")
    return [ex for ex in _EXERCISES.values() if ex.module == module]


# ---- drawing a battery ----------------------------------------------------------------------------------
def draw(cases: dict[str, CaseMaker], rng: np.random.Generator) -> list[Case]:
    """One case of every type, each from its own child stream (adding a type never shifts the others)."""
    seeds = rng.integers(0, 2**63, size=len(cases))
    return [maker(np.random.default_rng(int(s))) for maker, s in zip(cases.values(), seeds)]


def visible_seed(exercise_id: str) -> int:
    """The public seed of the visible draw of `exercise_id` (the hidden draws use a secret one)."""
    return zlib.crc32(exercise_id.encode())


def visible_cases(ex: Exercise) -> list[Case]:
    """The fixed cases of the visible check of `ex`."""
    return draw(ex.cases, np.random.default_rng(visible_seed(ex.id)))


# ---- plain data -----------------------------------------------------------------------------------------
def to_plain(name: str, value: Any, shape: tuple[int, ...], kind: str) -> np.ndarray:
    """A student's output as a base-class ndarray of `shape` and kind 'float' or 'int'.

    Raises AssertionError (a wrong answer) for None, a wrong shape, non-numeric values or non-integer labels.
    """
    arr = as_array(name, value, shape)
    if kind == "int":
        if np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
            return np.array(arr, dtype=np.int64)
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            return np.array(arr, dtype=np.int64)
        raise AssertionError(f"{name}: expected integer labels, got dtype {arr.dtype}")
    return np.array(arr, dtype=np.float64)


def unwrap(raw: Any) -> tuple[dict[str, Any], str]:
    """Raw outputs with every Call replaced by its value, and the notes (warnings, stderr) of those calls."""
    if not isinstance(raw, dict):
        return {}, ""
    notes = "".join(dict.fromkeys(v.notes() for v in raw.values() if isinstance(v, Call)))
    return {k: (v.value if isinstance(v, Call) else v) for k, v in raw.items()}, notes


def plain(schema: Schema, raw: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every output of `schema` converted to plain data (a missing one fails like None)."""
    return {name: to_plain(name, raw.get(name), shape, kind) for name, (shape, kind) in schema.items()}


def outputs(ex: Exercise, case: Case, *functions: Callable[..., Any]) -> dict[str, np.ndarray]:
    """`functions` run on `case` and converted to plain data (the reference's, for the expected values)."""
    raw, _ = unwrap(ex.run(case, *functions))
    return plain(ex.schema(case), raw)


def reference_outputs(ex: Exercise, case: Case, *reference: Callable[..., Any]) -> dict[str, np.ndarray]:
    """The reference's outputs on `case`, plus its outputs on each of the spec's `variants` ("~variant.output");
    a variant the reference cannot run (a singular matrix, say) gives no entry, so no hint."""
    want = outputs(ex, case, *reference)
    for name, change in (ex.variants or {}).items():
        try:
            want.update({f"~{name}.{k}": v for k, v in outputs(ex, change(case), *reference).items()})
        except (AssertionError, ArithmeticError, ValueError):  # np.linalg.LinAlgError is a ValueError
            continue
    return want


# ---- the visible check ----------------------------------------------------------------------------------
def run_visible(ex: Exercise, *functions: Callable[..., Any]) -> None:
    """Run `functions` on the visible cases of `ex` and compare with course/expected/<module>.json."""
    expected = load_expected(ex.module).get(ex.id)
    if expected is None:
        raise KeyError(f"course/expected/{ex.module}.json has no values for {ex.id}: run "
                       "`python -m autograder.expected` (instructors)")
    first: AssertionError | None = None
    for label, case in zip(ex.cases, visible_cases(ex)):
        # every case runs even after a failure: while grading, each call is evidence the verdict outside needs
        notes = ""
        try:
            raw, notes = unwrap(ex.run(case, *functions))
            got = plain(ex.schema(case), raw)
            kinds = {name: kind for name, (_, kind) in ex.schema(case).items()}
            want = {k: np.asarray(v, dtype=np.int64 if kinds.get(k.rpartition(".")[2]) == "int" else np.float64)
                    for k, v in expected[label].items()}
            ex.judge(case, got, want)
        except AssertionError as exc:
            first = first or AssertionError(f"[case: {label}] {exc}{notes}")
    if first is not None:
        raise first


def expected_values(module: str, reference: Callable[[Exercise], tuple[Callable[..., Any], ...]]) -> dict[str, Any]:
    """{exercise id: {case type: {output: list}}} of the reference on the visible cases (autograder.expected)."""
    values: dict[str, Any] = {}
    for ex in exercises(module):
        fns = reference(ex)
        values[ex.id] = {label: {k: v.tolist() for k, v in reference_outputs(ex, case, *fns).items()}
                         for label, case in zip(ex.cases, visible_cases(ex))}
    return values
