"""Hidden checks: the student's functions on inputs drawn at grading time, judged against `solutions`.

A hidden test cell in a source notebook calls

    from autograder.hidden import check as hidden_check
    hidden_check("knn.compute_distances_no_loops", compute_distances_no_loops)

which runs in three steps, so the verdict can move out of the student's kernel without editing a notebook:

1. **inputs** — drawn from a seed derived from the instructor's secret, the student id and the exercise id
   (a re-run gives the same verdict; numbers memorised from someone else's feedback earn nothing);
2. **run** — the student's function(s) on those inputs; the outputs are converted to *plain data* (base-class
   float/int ndarrays of the expected shapes) and written as evidence (``<exercise_id>.npz`` + ``.json``) to
   ``$NNDL_EVIDENCE_DIR`` (default ``./.nndl_evidence``);
3. **judge** — the evidence is compared with `solutions` on the same inputs, re-derived from the seed.
   ``judge`` needs nothing but the evidence files, so a grader process can run it later
   (``NNDL_HIDDEN_VERDICT=outside`` makes the kernel stop after step 2).

Under ``nndl-course grade`` (autograder.grade) this module runs in the sandboxed kernel *without* the secret
or `solutions`: ``$NNDL_SANDBOX_IO`` points at a folder where the grader wrote the inputs it drew (step 1), the
kernel does step 2 only, and the grader's worker process does step 3 (autograder.verdict).
"""

import hashlib
import importlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

COURSE_ROOT = Path(__file__).resolve().parents[1]
DEV_SECRET = "nndl-course-development-secret"


from course.checks import spec as specs
from course.checks.spec import CaseMaker, Schema, to_plain  # noqa: F401 - re-exported for the checks


@dataclass(frozen=True)
class HiddenCheck:
    """One hidden check: how to draw inputs, run the student's code, and what the reference says."""

    exercise_id: str
    make_inputs: Callable[[np.random.Generator], dict[str, Any]]
    run: Callable[..., dict[str, Any]]  # (inputs, *functions) -> raw outputs (student code runs here)
    schema: Callable[[dict[str, Any]], Schema]
    judge: Callable[[dict[str, Any], dict[str, np.ndarray]], None]  # (inputs, plain outputs) -> AssertionError
    case_types: tuple[str, ...] = ()  # the battery every student gets (see `battery`)


_REGISTRY: dict[str, HiddenCheck] = {}


def hidden(spec: HiddenCheck) -> HiddenCheck:
    """Register a hidden check."""
    _REGISTRY[spec.exercise_id] = spec
    return spec


def lookup(exercise_id: str) -> HiddenCheck:
    """The hidden check of `exercise_id`: one registered in autograder.checks.<module> (a judge of its own), else
    the one built from the exercise's spec in course.checks.<module> (judged against `solutions`)."""
    if exercise_id not in _REGISTRY:
        _import_checks(exercise_id.partition(".")[0])
    if exercise_id not in _REGISTRY:
        ex = specs.lookup(exercise_id)
        if ex is None:
            raise KeyError(f"no hidden check named {exercise_id!r}")
        _REGISTRY[exercise_id] = from_exercise(ex)
    return _REGISTRY[exercise_id]


REFERENCES: dict[str, Callable[[], tuple[Callable[..., Any], ...]]] = {}  # id -> the reference's functions


def _import_checks(module: str) -> None:
    """Import autograder.checks.<module> if there is one (hidden checks with judges of their own, REFERENCES)."""
    if not module.isidentifier():
        return
    try:
        importlib.import_module(f"autograder.checks.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"autograder.checks.{module}":  # an import error INSIDE the check module surfaces
            raise


def reference(ex: specs.Exercise) -> tuple[Callable[..., Any], ...]:
    """The reference implementation of `ex` (imported at grading time only): what autograder.checks.<module>
    registers in REFERENCES when an exercise needs more than one function, else solutions.<module>.<function>."""
    _import_checks(ex.module)
    if ex.id in REFERENCES:
        return REFERENCES[ex.id]()
    return (getattr(importlib.import_module(f"solutions.{ex.module}"), ex.function),)


def from_exercise(ex: specs.Exercise) -> HiddenCheck:
    """The hidden check of an exercise spec: its battery, judged against the reference run through `ex.run`."""

    def judge(case: dict[str, Any], got: dict[str, np.ndarray]) -> None:
        ex.judge(case, got, specs.reference_outputs(ex, case, *reference(ex)))

    return battery(ex.id, ex.cases, ex.run, ex.schema, judge)


# ---- fair batteries -------------------------------------------------------------------------------------

def battery(exercise_id: str, cases: dict[str, CaseMaker], run: Callable[..., dict[str, Any]],
            schema: Callable[[dict[str, Any]], Schema],
            judge: Callable[[dict[str, Any], dict[str, np.ndarray]], None]) -> HiddenCheck:
    """A fair hidden check: the same battery of CASE TYPES for every student, values drawn per student.

    `cases` maps a case type, phrased for feedback ("reg > 0", "duplicates far from the origin"), to a function
    drawing that case's values from the student's rng; `run`, `schema` and `judge` handle ONE case's inputs.
    Every student gets every case type, so a bug that one type exposes is caught for every student or for none.
    Outputs are stored as ``c<i>.<name>``; a failing case names its type in the message.
    """
    names = tuple(cases)

    def make_inputs(rng: np.random.Generator) -> dict[str, Any]:
        return {"cases": specs.draw(cases, rng)}  # one child stream per case: cases never shift each other

    def run_all(inputs: dict[str, Any], *functions: Callable[..., Any]) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for i, case in enumerate(inputs["cases"]):
            try:
                out = run(case, *functions)
            except AssertionError as exc:  # a check's verdict while running (a wrong shape, cache, …): name the case
                raise AssertionError(f"[hidden case: {names[i]}] {exc}") from None
            raw.update({f"c{i}.{k}": v for k, v in specs.unwrap(out)[0].items()})
        return raw

    def schema_all(inputs: dict[str, Any]) -> Schema:
        return {f"c{i}.{k}": v for i, case in enumerate(inputs["cases"]) for k, v in schema(case).items()}

    def judge_all(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
        for i, case in enumerate(inputs["cases"]):
            prefix = f"c{i}."
            mine = {k[len(prefix):]: v for k, v in outputs.items() if k.startswith(prefix)}
            try:
                judge(case, mine)
            except AssertionError as exc:
                raise AssertionError(f"[hidden case: {names[i]}] {exc}") from None

    for fn, label in ((run_all, "run"), (schema_all, "schema"), (judge_all, "judge")):
        fn.__name__ = f"{label}_{exercise_id.replace('.', '_')}"
    return HiddenCheck(exercise_id, make_inputs, run_all, schema_all, judge_all, case_types=names)


def evaluate(exercise_id: str, seed: int, *functions: Callable[..., Any]) -> str | None:
    """Run, convert and judge in this process (no evidence files): None if it passes, else the reason.

    For the fairness tests and audits: replays a known-bug variant over many seeds. Exceptions the student's
    code raises count as a failure, as they do under grading.
    """
    spec = lookup(exercise_id)
    try:
        outputs = run_plain(spec, inputs_for(spec, seed), *functions)
        spec.judge(inputs_for(spec, seed), outputs)  # freshly drawn, as `judge` re-derives them (no mutation leaks)
    except Exception as exc:  # noqa: BLE001 - any failure of a student's function is a verdict
        return f"{type(exc).__name__}: {exc}"
    return None


# ---- grading context ------------------------------------------------------------------------------------
def grading_secret() -> str:
    """The instructor's secret: $NNDL_GRADING_SECRET, else .grading/secret of the course, else a dev value."""
    if os.environ.get("NNDL_GRADING_SECRET"):
        return os.environ["NNDL_GRADING_SECRET"]
    path = COURSE_ROOT / ".grading" / "secret"
    if path.is_file():
        return path.read_text().strip()
    return DEV_SECRET


def student_id(cwd: Path | None = None) -> str:
    """$NNDL_STUDENT_ID, else <student> from nbgrader's cwd autograded/<student>/<assignment>, else 'instructor'."""
    if os.environ.get("NNDL_STUDENT_ID"):
        return os.environ["NNDL_STUDENT_ID"]
    cwd = Path.cwd() if cwd is None else cwd
    if cwd.parent.parent.name == "autograded":
        return cwd.parent.name
    return "instructor"


def grading_seed(exercise_id: str, student: str, secret: str) -> int:
    """A 63-bit seed from sha256(secret | student | exercise id)."""
    digest = hashlib.sha256(f"{secret}|{student}|{exercise_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def evidence_dir() -> Path:
    """Where the evidence files go: $NNDL_EVIDENCE_DIR or ./.nndl_evidence."""
    return Path(os.environ.get("NNDL_EVIDENCE_DIR", ".nndl_evidence"))


def _sandbox_io() -> Path | None:
    """The grader's exchange folder when this runs in a sandboxed grading kernel (see course.evidence)."""
    value = os.environ.get("NNDL_SANDBOX_IO")
    return Path(value) if value else None


# ---- plain data ---------------------------------------------------------------------------------------
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def write_evidence(directory: Path, exercise_id: str, meta: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    """Write <exercise_id>.npz (plain arrays, no pickles) and <exercise_id>.json (who, seed, status)."""
    if not _SAFE_NAME.match(exercise_id):
        raise ValueError(f"bad exercise id {exercise_id!r}")
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(directory / f"{exercise_id}.npz", **outputs)
    (directory / f"{exercise_id}.json").write_text(json.dumps(meta, indent=1, sort_keys=True))


def read_evidence(directory: Path, exercise_id: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read evidence back as plain data (allow_pickle=False): (meta, outputs)."""
    meta = json.loads((directory / f"{exercise_id}.json").read_text())
    with np.load(directory / f"{exercise_id}.npz", allow_pickle=False) as data:
        outputs = {k: np.array(data[k]) for k in data.files}
    return meta, outputs


# ---- the three steps ------------------------------------------------------------------------------------
def inputs_for(spec: HiddenCheck, seed: int) -> dict[str, Any]:
    """The grading-time inputs of `spec` for `seed` (deterministic)."""
    return spec.make_inputs(np.random.default_rng(seed))


def run_plain(spec: HiddenCheck, inputs: dict[str, Any], *functions: Callable[..., Any]) -> dict[str, np.ndarray]:
    """Step 2 without the files: the student's functions on `inputs`, outputs converted to the schema's plain data."""
    raw = spec.run(inputs, *functions)
    return {name: to_plain(name, raw.get(name) if isinstance(raw, dict) else None, shape, kind)
            for name, (shape, kind) in spec.schema(inputs).items()}


def record(exercise_id: str, *functions: Callable[..., Any]) -> Path:
    """Steps 1–2: run the student's functions on grading-time inputs and write the evidence. Returns its dir.

    A student error is recorded (status 'error') and re-raised, so the cell shows the student's traceback.
    """
    spec = lookup(exercise_id)
    sandbox = _sandbox_io()
    if sandbox is not None:  # under `nndl-course grade`: the grader drew the inputs; the secret is not here
        from course.evidence import load_inputs

        directory = sandbox / "evidence"
        meta: dict[str, Any] = {"exercise_id": exercise_id, "student": "sandbox", "seed": "grader"}
        inputs = load_inputs(exercise_id)
    else:
        student, secret = student_id(), grading_secret()
        seed = grading_seed(exercise_id, student, secret)
        directory = evidence_dir()
        meta = {"exercise_id": exercise_id, "student": student, "seed": str(seed)}
        inputs = inputs_for(spec, seed)
    try:
        outputs = run_plain(spec, inputs, *functions)
    except BaseException as exc:
        write_evidence(directory, exercise_id, {**meta, "status": "error",
                                                "error": f"{type(exc).__name__}: {exc}"[:2000]}, {})
        raise
    write_evidence(directory, exercise_id, {**meta, "status": "ok"}, outputs)
    return directory


def judge(directory: Path, exercise_id: str, student: str, secret: str) -> None:
    """Step 3: compare the evidence with the reference; raise AssertionError with the reason if wrong.

    Trusts only the evidence files as data: the inputs are re-derived from the seed computed here.
    """
    spec = lookup(exercise_id)
    try:
        meta, outputs = read_evidence(directory, exercise_id)
    except (OSError, ValueError) as exc:
        raise AssertionError(f"{exercise_id}: no usable evidence ({type(exc).__name__}) — 0 points") from None
    if meta.get("status") != "ok":
        raise AssertionError(f"{exercise_id}: your function raised {meta.get('error', 'an error')}")
    seed = grading_seed(exercise_id, student, secret)
    inputs = inputs_for(spec, seed)
    for name, (shape, kind) in spec.schema(inputs).items():
        if name not in outputs:
            raise AssertionError(f"{exercise_id}: evidence lacks output {name!r}")
        got = outputs[name]
        want = np.int64 if kind == "int" else np.float64
        if type(got) is not np.ndarray or got.shape != tuple(shape) or got.dtype != want:
            raise AssertionError(f"{exercise_id}: evidence {name!r} is not a {kind} array of shape {shape}")
    spec.judge(inputs, outputs)


def check(exercise_id: str, *functions: Callable[..., Any]) -> None:
    """The hidden-test entry point used in source notebooks: record the evidence, then (for now) judge it here.

    With NNDL_HIDDEN_VERDICT=outside the kernel only records; the grader judges in its own process.
    """
    directory = record(exercise_id, *functions)
    if os.environ.get("NNDL_HIDDEN_VERDICT", "kernel") == "outside" or _sandbox_io() is not None:
        return
    judge(directory, exercise_id, student_id(), grading_secret())
    print(f"✓ {exercise_id}: hidden check passed")
