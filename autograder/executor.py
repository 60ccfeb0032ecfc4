"""Step 3c — execute: the assembled notebook run cell by cell in a sandboxed kernel, evidence collected per test cell.

Stock nbgrader executes the student's notebook as submitted, in a kernel running as the grader, and a kernel
that dies takes the whole submission with it. Here instead the notebook built by autograder.assemble runs in a
kernel of autograder.kernel: per-cell timeout with interrupt; a kernel that dies or will not interrupt is killed,
a new one is started, the earlier non-test cells that completed are replayed, the crashing cell is skipped, and
execution goes on. A notebook-wide wall clock bounds the whole run.

Evidence: before each test cell the kernel's evidence folder is emptied, after it the files that cell recorded
are moved out of the kernel's reach (size-capped, no symlinks followed). Scores come only from this evidence,
judged in the grader's process (autograder.verdict); kernel outputs and reply statuses are kept for the feedback
and the report but never decide a score.
"""
import os
import time
from dataclasses import dataclass, field
from typing import Any

from autograder import sandbox
from autograder.assemble import Assembled
from autograder.kernel import Kernel
from autograder.kernel_env import KernelEnv

MAX_EVIDENCE_FILE = 64 * 2**20


@dataclass
class CellResult:
    """How one code cell ran: its status, its outputs and (for a test cell) the evidence it recorded."""

    index: int
    status: str  # ok | error | timeout | died | skipped
    outputs: list[Any]
    evidence: dict[str, bytes] = field(default_factory=dict)


@dataclass
class RunResult:
    """What executing one assembled notebook gave."""

    cells: dict[int, CellResult]
    restarts: int = 0
    events: list[str] = field(default_factory=list)
    seconds: float = 0.0


def collect_evidence(jail: sandbox.Jail, exercise_ids: set[str]) -> dict[str, bytes]:
    """Move the evidence files of `exercise_ids` out of the kernel's folder (no symlinks, size-capped)."""
    got: dict[str, bytes] = {}
    fd = sandbox.open_dir_safely(jail.root, jail.evidence.name)
    if fd is None:
        return got
    try:
        wanted = {f"{eid}{suffix}{ext}" for eid in exercise_ids for suffix in ("", ".visible") for ext in (".json", ".npz")}
        for name in os.listdir(fd):
            if name in wanted:
                data = sandbox.read_file_safely(fd, name, MAX_EVIDENCE_FILE)
                if data is not None:
                    got[name] = data
    finally:
        os.close(fd)
    sandbox.empty_dir(jail.evidence)
    return got


def execute(assembled: Assembled, env: KernelEnv, jail: sandbox.Jail, limits: sandbox.Limits,
            cell_timeout: float, notebook_timeout: float, extra_env: dict[str, str] | None = None,
            max_restarts: int = 6, interrupt_grace: float = 5.0) -> RunResult:
    """Run the assembled notebook cell by cell in a sandboxed kernel; see the module docstring."""
    start = time.monotonic()
    deadline = start + notebook_timeout
    graded = {g.index: g for g in assembled.graded}
    result = RunResult({})
    kernel = Kernel(env, jail, limits, extra_env or {})
    replayable: list[int] = []  # non-test code cells that completed, in order

    def restart(reason: str) -> bool:
        """Kill, start a new kernel, replay the cells that completed; False if the restart budget is spent."""
        kernel.kill()
        if result.restarts >= max_restarts:
            result.events.append(f"{reason}; restart budget ({max_restarts}) spent: the remaining cells are skipped")
            return False
        result.restarts += 1
        result.events.append(f"{reason}: restarted the kernel and replayed {len(replayable)} earlier cell(s)")
        try:
            kernel.start()
        except RuntimeError as exc:
            result.events.append(f"the kernel could not be restarted ({exc})")
            return False
        for idx in list(replayable):
            remaining = deadline - time.monotonic()
            status, _ = kernel.execute(assembled.nb.cells[idx].source, min(cell_timeout, max(remaining, 0.1)))
            if status in ("ok", "error") and kernel.exiting:
                status = "died"
            if kernel.alive() and kernel.kill_strays():
                status = "died"  # it forks: no replay of it
            if status in ("died", "timeout"):
                replayable.remove(idx)
                result.events.append(f"cell {idx} {status} while replaying: skipped from now on")
                return restart(f"cell {idx} {status} during replay")
        return True

    try:
        kernel.start()
    except RuntimeError as exc:
        kernel.kill()
        result.events.append(f"the kernel could not be started ({exc})")
        for idx, cell in enumerate(assembled.nb.cells):
            if cell.cell_type == "code":
                result.cells[idx] = CellResult(idx, "skipped", [])
        return result
    usable = True
    try:
        for idx, cell in enumerate(assembled.nb.cells):
            if cell.cell_type != "code":
                continue
            if not usable or time.monotonic() > deadline:
                if usable:
                    result.events.append(f"notebook wall clock ({notebook_timeout:g} s) reached at cell {idx}: "
                                         "the remaining cells are skipped")
                    usable = False
                result.cells[idx] = CellResult(idx, "skipped", [])
                continue
            if not cell.source.strip():
                result.cells[idx] = CellResult(idx, "ok", [])
                continue
            if not kernel.alive():  # the previous cell stopped it after its reply (e.g. a delayed os._exit)
                if replayable:
                    culprit = replayable.pop()
                    result.events.append(f"the kernel was gone after cell {culprit}: that cell is skipped in replays")
                usable = restart(f"the kernel died before cell {idx}")
                if not usable:
                    result.cells[idx] = CellResult(idx, "skipped", [])
                    continue
            test = graded.get(idx)
            if test is not None:
                sandbox.empty_dir(jail.evidence)
            timeout = min(cell_timeout, max(deadline - time.monotonic(), 0.1))
            status, outputs = kernel.execute(cell.source, timeout)
            if status == "timeout":
                kernel.interrupt()
                settled, _ = kernel.execute("pass", interrupt_grace) if kernel.alive() else ("died", [])
                if settled in ("ok", "error"):
                    result.events.append(f"cell {idx} timed out after {timeout:g} s: interrupted")
                else:
                    status = "timeout-killed"
            if status in ("ok", "error") and kernel.exiting:
                status = "died"  # exit()/quit(): the kernel is about to stop by itself
            strays = status in ("ok", "error") and kernel.alive() and kernel.kill_strays()
            cres = CellResult(idx, "timeout" if status.startswith("timeout") else status, outputs)
            if test is not None:
                cres.evidence = collect_evidence(jail, {eid for _, eid in test.checks})
            result.cells[idx] = cres
            if status == "died":
                usable = restart(f"the kernel died in cell {idx}")
            elif strays:
                usable = restart(f"cell {idx} left processes running (killed)")
            elif status == "timeout-killed":
                usable = restart(f"cell {idx} timed out after {timeout:g} s and would not be interrupted")
            elif test is None and status in ("ok", "error"):
                replayable.append(idx)
    finally:
        kernel.kill()
        result.seconds = time.monotonic() - start
    return result
