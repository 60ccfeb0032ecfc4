"""Step 3 — grade: every submission run in a sandboxed kernel by a worker pool, judged outside, one gradebook writer.

    autograde(root, assignment, students, workers=N, unsafe=False, ...)

For each (student, notebook) a pool worker (a process of the grader: it never runs student code itself)
assembles the notebook to grade from source/ + the student's answer cells (autograder.assemble), writes the
hidden checks' grading-time inputs into a fresh jail, runs the notebook cell by cell (autograder.executor) in a
kernel inside its sandbox (autograder.kernel, autograder.sandbox), and judges every test cell from the evidence
the kernel recorded (autograder.verdict). The parent process is the only gradebook writer: it writes each
submission's scores in ONE transaction (autograder.gradebook) and the graded notebook to
autograded/<student>/<assignment>/ (for `nbgrader generate_feedback`), so a crash never leaves a half-written
submission and a re-run gives the same result. Where the sandbox cannot isolate it refuses (see
autograder.sandbox) unless `unsafe`.

`nbgrader_autograde` is stock nbgrader's serial autograde (kept for comparison: bench/grading.py).
"""
import itertools
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.nbg import nbgrader

DEFAULT_NOTEBOOK_TIMEOUT = 900.0
# Pool workers are started fresh ("spawn"), never forked: the grader's process has threads (tqdm's monitor, jupyter
# clients), and forking a multi-threaded process can deadlock the child (Python 3.12+ warns; 3.14 stops defaulting
# to fork on Linux). A spawned worker sees the parent's sys.path and environment at the time it starts.
POOL_CONTEXT = multiprocessing.get_context("spawn")


class RefusedToGrade(RuntimeError):
    """Grading would run student code without isolation and --unsafe was not given."""


@dataclass
class Result:
    """How grading one submission went."""

    student: str
    assignment: str
    ok: bool
    message: str = ""
    lines: list[str] = field(default_factory=list)  # what happened, per notebook (restored cells, restarts, …)
    scores: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """One submission for a worker."""

    root: str
    assignment: str
    student: str
    notebooks: tuple[str, ...]
    secret: str
    jail_base: str
    slot: int
    uid: int | None
    kernel_env: Any
    limits: Any
    cell_timeout: float
    notebook_timeout: float
    check_timeout: float | None


def grading_secret(root: Path) -> str:
    """The course's grading secret (.grading/secret), created on first use with 32 random bytes."""
    path = root / ".grading" / "secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(os.urandom(32).hex())
    return path.read_text().strip()


def configured_cell_timeout(root: Path) -> float:
    """c.Execute.timeout of the course's nbgrader_config.py (else 60 s), read by nbgrader's config loader."""
    from autograder import settings

    return settings.load(root).cell_timeout


# ---- the worker -----------------------------------------------------------------------------------------
_counter = itertools.count()


def grade_submission(task: Task) -> dict[str, Any]:
    """Grade one submission (in a pool worker): returns scores, graded notebooks (JSON) and report lines."""
    import nbformat

    from autograder import assemble, executor, hidden, sandbox, verdict
    from course import evidence

    root = Path(task.root)
    out: dict[str, Any] = {"student": task.student, "notebooks": {}, "lines": [], "error": ""}
    for name in task.notebooks:
        t0 = time.monotonic()
        source = nbformat.read(root / "source" / task.assignment / name, as_version=4)
        release = nbformat.read(root / "release" / task.assignment / name, as_version=4)
        submitted = root / ".grading" / "submitted" / task.student / task.assignment / name
        student_nb = None
        if submitted.is_file():
            try:
                student_nb = nbformat.read(submitted, as_version=4)
            except Exception as exc:  # noqa: BLE001 - unreadable: graded as the release, and said so
                out["lines"].append(f"{name}: unreadable notebook ({type(exc).__name__})")
        asm = assemble.assemble(source, release, student_nb)
        jail = sandbox.make_jail(Path(task.jail_base), f"s{task.slot}-{os.getpid()}-{next(_counter)}", task.uid)
        try:
            for helper in sorted((root / "release" / task.assignment).iterdir()):
                if helper.is_file() and helper.suffix != ".ipynb":  # e.g. provided.py: read-only for the kernel
                    shutil.copyfile(helper, jail.work / helper.name)
                    os.chmod(jail.work / helper.name, 0o644)
            problems = []
            for eid in asm.hidden_ids():
                try:
                    spec = hidden.lookup(eid)
                    seed = hidden.grading_seed(eid, task.student, task.secret)
                    evidence.save(jail.inputs, eid, hidden.inputs_for(spec, seed))
                except Exception as exc:  # noqa: BLE001 - that check will find no inputs and score 0
                    problems.append(f"hidden check {eid}: inputs could not be prepared ({type(exc).__name__}: {exc})")
            sandbox.expose_inputs(jail)
            extra = {"NNDL_CHECK_TIMEOUT": str(task.check_timeout)} if task.check_timeout is not None else {}
            run = executor.execute(asm, task.kernel_env, jail, task.limits, task.cell_timeout,
                                   task.notebook_timeout, extra)
        finally:
            sandbox.remove_jail(jail)
        scores: dict[str, float | None] = {}
        for idx, res in run.cells.items():
            cell = asm.nb.cells[idx]
            cell.outputs = res.outputs
            cell.execution_count = idx if res.status != "skipped" else None
        for g in asm.graded:
            if g.manual:
                scores[g.grade_id] = None
                continue
            res = run.cells.get(g.index)
            verdicts = verdict.judge_cell(g.checks, res.evidence if res else {}, task.student, task.secret)
            passed = all(v.passed for v in verdicts)
            scores[g.grade_id] = g.points if passed else 0.0
            asm.nb.cells[g.index].outputs = _verdict_outputs(verdicts, res.status if res else "skipped")
        lines = [f"{name}: {line}" for line in problems + asm.report + run.events]
        out["lines"] += lines
        out["notebooks"][name] = {"scores": scores, "json": nbformat.writes(asm.nb), "restarts": run.restarts,
                                  "seconds": round(time.monotonic() - t0, 2)}
    return out


def _verdict_outputs(verdicts: list, status: str) -> list[Any]:
    """The outputs a test cell shows in feedback: our verdicts (never hidden-test source or tracebacks)."""
    import nbformat

    outputs = []
    note = {"timeout": " (the cell timed out)", "died": " (the kernel died in this cell)",
            "skipped": " (the cell was not run)"}.get(status, "")
    for v in verdicts:
        if v.passed:
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=v.message + "\n"))
        else:
            ename = v.ename or "AssertionError"
            evalue = v.message + note
            outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))
    return outputs


# ---- the parent: one gradebook writer -------------------------------------------------------------------
def write_submission(root: Path, assignment: str, student: str, notebooks: dict[str, dict[str, Any]]) -> None:
    """Write the graded notebooks, then every score of the submission (autograder.gradebook.write_scores)."""

    dest = root / ".grading" / "autograded" / student / assignment
    tmp = dest.parent / f".{assignment}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, nb in notebooks.items():
        (tmp / name).write_text(nb["json"])
    (tmp / "timestamp.txt").write_text(time.strftime("%Y-%m-%d %H:%M:%S.000000 UTC", time.gmtime()))
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)

    from autograder.gradebook import write_scores

    write_scores(root, assignment, student, {name: nb.get("scores", {}) for name, nb in notebooks.items()})


def autograde(root: Path, assignment: str, students: list[str], cell_timeout: float | None = None,
              check_timeout: float | None = None, progress: bool = True, workers: int | None = None,
              unsafe: bool = False, notebook_timeout: float | None = None, limits: Any = None,
              on_result: Any = None) -> list[Result]:
    """Grade `students`' submissions of `assignment` (in .grading/submitted/) with a worker pool."""
    from tqdm.auto import tqdm

    from autograder import sandbox
    from autograder.collect import expected_notebooks
    from autograder.kernel_env import build_kernel_env

    root = Path(root).resolve()
    problem = sandbox.isolation_problem()
    if problem and not unsafe:
        raise RefusedToGrade(f"refusing to grade: {problem}. `nndl-course doctor` lists the isolation layers; only "
                             "--unsafe runs student code without isolation (it could then read the solutions and "
                             "the gradebook).")
    if not unsafe:
        sandbox.lock_down_all(root)
    workers = max(1, workers or os.cpu_count() or 1)
    kenv = build_kernel_env(root)
    secret = grading_secret(root)
    notebooks = tuple(expected_notebooks(root, assignment))
    jail_base = Path(tempfile.mkdtemp(prefix="nndl-grade-"))
    os.chmod(jail_base, 0o711)
    limits = limits or sandbox.Limits()
    common = dict(root=str(root), assignment=assignment, notebooks=notebooks, secret=secret,
                  jail_base=str(jail_base), kernel_env=kenv, limits=limits,
                  cell_timeout=float(cell_timeout or configured_cell_timeout(root)),
                  notebook_timeout=float(notebook_timeout or DEFAULT_NOTEBOOK_TIMEOUT), check_timeout=check_timeout)
    results: dict[str, Result] = {}
    bar = tqdm(total=len(students), desc=f"grading {assignment}", unit="student", disable=not progress,
               file=sys.stderr)
    pending = list(students)
    free = list(range(workers))
    attempts: dict[str, int] = {}
    running: dict[Any, tuple[str, int]] = {}
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=POOL_CONTEXT)

    def finish(result: Result) -> None:
        results[result.student] = result
        if on_result is not None:
            on_result(result)
        bar.set_postfix_str(f"{result.student}: {result.message}"[:60])
        bar.update(1)

    try:
        while pending or running:
            broken = False
            while pending and free:
                if attempts.get(pending[0], 0) and running:
                    break  # a retry after a worker died runs alone, so the one that kills its worker is known
                student, slot = pending.pop(0), free.pop(0)
                attempts[student] = attempts.get(student, 0) + 1
                task = Task(student=student, slot=slot, uid=None if unsafe else sandbox.uid_for(slot), **common)
                try:
                    running[pool.submit(grade_submission, task)] = (student, slot)
                except BrokenProcessPool:  # a worker died since the last wait: this one was never started
                    pending.insert(0, student)
                    free.insert(0, slot)
                    attempts[student] -= 1
                    broken = True
                    break
                if attempts[student] > 1:
                    break
            done = wait(list(running), return_when=FIRST_COMPLETED)[0] if running else set()
            for fut in done:
                student, slot = running.pop(fut)
                free.append(slot)
                try:
                    out = fut.result()
                except BrokenProcessPool:
                    # a worker process died: every submission running at that moment is retried once, alone;
                    # the one that kills its worker again is reported (the rest of the class is graded normally)
                    broken = True
                    if attempts[student] < 2:
                        pending.insert(0, student)
                    else:
                        finish(Result(student, assignment, False, "the grading worker died twice on this submission"))
                    continue
                except Exception as exc:  # noqa: BLE001 - one student's failure never stops the others
                    finish(Result(student, assignment, False, f"{type(exc).__name__}: {exc}"[:300]))
                    continue
                try:
                    write_submission(root, assignment, student, out["notebooks"])
                except Exception as exc:  # noqa: BLE001 - the transaction was rolled back: nothing half-written
                    finish(Result(student, assignment, False, f"gradebook not written ({type(exc).__name__}: {exc})"[:300]))
                    continue
                scores = {g: sc for nb in out["notebooks"].values() for g, sc in nb["scores"].items()}
                restarts = sum(nb["restarts"] for nb in out["notebooks"].values())
                total = sum(sc for sc in scores.values() if sc is not None)
                summary = f"graded: {total:g} points" + (f", kernel restarted {restarts}×" if restarts else "")
                finish(Result(student, assignment, True, summary, out["lines"], scores))
            if broken:
                for fut, (student, slot) in list(running.items()):
                    running.pop(fut)
                    free.append(slot)
                    if attempts[student] < 2:
                        pending.insert(0, student)
                    else:
                        finish(Result(student, assignment, False, "the grading worker died twice on this submission"))
                pool.shutdown(wait=False, cancel_futures=True)
                for slot in range(workers):  # kernels the dead worker left behind
                    if not unsafe:
                        sandbox.kill_uid(sandbox.uid_for(slot))
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=POOL_CONTEXT)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if not unsafe:
            for slot in range(workers):
                sandbox.kill_uid(sandbox.uid_for(slot))
                sandbox.clean_uid_files(sandbox.uid_for(slot))
        bar.close()
        shutil.rmtree(jail_base, ignore_errors=True)
    return [results[s] for s in students if s in results]


def nbgrader_autograde(root: Path, assignment: str, cell_timeout: float | None = None,
                       env: dict[str, str] | None = None) -> None:
    """Stock nbgrader: one serial `nbgrader autograde` batch (student code runs as the grader, in-kernel)."""
    args = ["autograde", assignment, "--force"]
    if cell_timeout is not None:
        args.append(f"--Execute.timeout={int(cell_timeout)}")
    nbgrader(*args, root=root, timeout=None, env=env)
