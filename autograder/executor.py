"""Our notebook executor: the notebook a submission is graded with, run cell by cell in a sandboxed kernel.

Stock nbgrader executes the student's notebook as submitted, in a kernel running as the grader, and a kernel
that dies takes the whole submission with it. Here instead:

1. **assemble** — the notebook to run is built from the SOURCE notebook's structure: every cell that has a
   grade_id and is not a solution cell (test cells, read-only cells, provided code, locked markdown) comes from
   source/, with the source's metadata (so forged points or flags change nothing, and hidden tests are the
   source's); solution cells come from the student's notebook, matched by grade_id (missing → the release
   stub). The student's own cells (no grade_id: scratch work, plots) are kept after the graded cell they
   followed. Deleted or edited locked cells are reported (compared with the release); the student's kernelspec
   and notebook metadata are ignored.
2. **execute** — in a kernel of the kernel environment (autograder.kernel_env), under the sandbox
   (autograder.sandbox): per-cell timeout with interrupt; a kernel that dies or will not interrupt is killed,
   a new one is started, the earlier non-test cells that completed are replayed, the crashing cell is skipped,
   and execution goes on. A notebook-wide wall clock bounds the whole run.
3. **evidence** — before each test cell the kernel's evidence folder is emptied, after it the files that cell
   recorded are moved out of the kernel's reach (size-capped, no symlinks followed). Scores come only from this
   evidence, judged in the grader's process (autograder.verdict); kernel outputs and reply statuses are kept
   for the feedback and the report but never decide a score.
"""
import copy
import json
import os
import queue
import re
import secrets
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import nbformat

from autograder import sandbox
from autograder.authoring import grade_id, nbgrader_meta
from autograder.kernel_env import KernelEnv

MAX_CELL_OUTPUT = 2 * 2**20  # bytes of outputs kept per cell (the rest is dropped, with a note)
MAX_EVIDENCE_FILE = 64 * 2**20
CHECK_CALL = re.compile(r"(?<![\w.])(hidden_check|check)\(\s*[\"']([A-Za-z0-9_]+\.[A-Za-z0-9_.]+)[\"']")




@dataclass
class Graded:
    """A test cell of the source notebook: what it checks and how much it is worth."""

    index: int  # position in the assembled notebook
    grade_id: str
    points: float
    checks: list[tuple[str, str]]  # (kind 'visible'|'hidden', exercise id), in call order
    manual: bool = False  # a graded answer cell (written answer): left to a human


@dataclass
class Assembled:
    """The notebook to run, its graded cells, and what was restored."""

    nb: Any
    graded: list[Graded]
    report: list[str] = field(default_factory=list)

    def hidden_ids(self) -> list[str]:
        return sorted({eid for g in self.graded for kind, eid in g.checks if kind == "hidden"})


def checks_in(source: str) -> list[tuple[str, str]]:
    """The check calls of a test cell's source: [(kind, exercise id)]."""
    return [("hidden" if fn == "hidden_check" else "visible", eid) for fn, eid in CHECK_CALL.findall(source)]


def assemble(source_nb: Any, release_nb: Any, student_nb: Any | None) -> Assembled:
    """Build the notebook to grade from the source's structure and the student's solution cells."""
    report: list[str] = []
    release = {grade_id(c): c for c in release_nb.cells if grade_id(c)}
    source_ids = [grade_id(c) for c in source_nb.cells if grade_id(c)]
    known = set(source_ids)
    student_cells: dict[str, Any] = {}
    anchored: dict[str | None, list[Any]] = {}
    if student_nb is None:
        student_nb = copy.deepcopy(release_nb)
        report.append("notebook missing: graded as the release (no answers)")
    anchor: str | None = None
    for cell in student_nb.cells:
        gid = grade_id(cell)
        if gid in known:
            if gid in student_cells:
                report.append(f"cell {gid} appears twice: the first one counts, the copy runs as ordinary code")
                anchored.setdefault(anchor, []).append(_plain_cell(cell))
                continue
            student_cells[gid] = cell
            anchor = gid
        else:
            if gid or nbgrader_meta(cell):
                report.append(f"a cell with nbgrader metadata not in the assignment ({gid or 'no grade_id'}) "
                              "runs as ordinary code and is never graded")
            anchored.setdefault(anchor, []).append(_plain_cell(cell))
    cells: list[Any] = list(anchored.get(None, []))
    graded: list[Graded] = []
    for src in source_nb.cells:
        gid = grade_id(src)
        if not gid:
            continue  # unmarked source cells are the student's to edit: the student's version runs (anchored)
        meta = nbgrader_meta(src)
        theirs = student_cells.get(gid)
        if meta.get("solution"):
            cell = copy.deepcopy(src)
            if theirs is not None and theirs.get("cell_type") == src.cell_type:
                cell.source = _text(theirs.get("source", ""))
            else:
                cell.source = release[gid].source if gid in release else ""
                report.append(f"answer cell {gid} missing: graded as the release stub")
        else:
            cell = copy.deepcopy(src)
            if theirs is None:
                report.append(f"{'test' if meta.get('grade') else 'read-only'} cell {gid} was deleted: restored from source")
            elif gid in release and (_text(theirs.get("source", "")).strip() not in
                                     (release[gid].source.strip(), src.source.strip())
                                     or theirs.get("cell_type") != release[gid].cell_type):
                report.append(f"{'test' if meta.get('grade') else 'read-only'} cell {gid} was edited: restored from source")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        if meta.get("grade"):
            graded.append(Graded(len(cells) - 1, gid, float(meta.get("points", 0) or 0),
                                 checks_in(cell.source) if cell.cell_type == "code" else [],
                                 manual=bool(meta.get("solution")) or cell.cell_type != "code"))
        cells.extend(anchored.get(gid, []))
    nb = nbformat.v4.new_notebook()
    nb.metadata = copy.deepcopy(source_nb.metadata)
    nb.cells = cells
    return Assembled(nb, graded, report)


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _plain_cell(cell: Any) -> Any:
    """A student cell as ordinary content: no nbgrader metadata, outputs cleared."""
    kind = cell.get("cell_type")
    text = _text(cell.get("source", ""))
    if kind == "code":
        return nbformat.v4.new_code_cell(text)
    if kind == "markdown":
        return nbformat.v4.new_markdown_cell(text)
    return nbformat.v4.new_raw_cell(text)


# ---- the kernel -----------------------------------------------------------------------------------------
class Kernel:
    """One ipykernel process in the jail, driven over ZeroMQ ipc sockets."""

    # False only for bench/grading.py's comparison with the isolation before the filesystem view (uid switch
    # only, as root); grading always uses the view
    use_view = True

    def __init__(self, env: KernelEnv, jail: sandbox.Jail, limits: sandbox.Limits, extra_env: dict[str, str]):
        self.env, self.jail, self.limits, self.extra_env = env, jail, limits, extra_env
        self.proc: subprocess.Popen | None = None
        self.client = None
        self.generation = 0
        self.exiting = False
        self.pid: int | None = None  # the ipykernel process (host pid)
        self.pid_ns: int | None = None  # its PID namespace (inode), None when unconfined
        self.init_pid: int | None = None  # the view's pid 1 (host pid)
        self.stderr: Any = None

    def environ(self) -> dict[str, str]:
        work = self.jail.work
        # a fresh, unguessable IPython folder per kernel start: a startup file or config the student's code
        # writes is never read by a later kernel (not even this student's after a restart)
        ipython = work / f".ipython-{secrets.token_hex(8)}"
        env = {
            "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": str(work),
            "USER": "student", "LOGNAME": "student", "TMPDIR": str(work / ".tmp"),
            "IPYTHONDIR": str(ipython), "MPLCONFIGDIR": str(work / ".config" / "matplotlib"),
            "JUPYTER_CONFIG_DIR": str(work / ".jupyter"), "JUPYTER_DATA_DIR": str(work / ".local" / "share" / "jupyter"),
            "JUPYTER_RUNTIME_DIR": str(self.jail.run), "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", "NBGRADER_EXECUTION": "autograde",
            "NNDL_SANDBOX_IO": str(self.jail.root), "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(self.env.environ())
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60) -> None:
        from jupyter_client.blocking import BlockingKernelClient

        self.generation += 1
        self.exiting = False
        prefix = self.jail.run / f"k{self.generation}"
        info = {"transport": "ipc", "ip": str(prefix), "shell_port": 1, "iopub_port": 2, "stdin_port": 3,
                "control_port": 4, "hb_port": 5, "key": secrets.token_hex(32), "signature_scheme": "hmac-sha256",
                "kernel_name": "python3"}
        conn = self.jail.run / f"kernel-{self.generation}.json"
        conn.write_text(json.dumps(info))
        sandbox.give(self.jail, conn, 0o400)
        for d in (self.jail.work / ".tmp", self.jail.work / ".config"):
            d.mkdir(exist_ok=True)
            sandbox.give(self.jail, d, 0o700)
        if self.env.mpl_cache is not None and not (self.jail.work / ".config" / "matplotlib").exists():
            mpl = self.jail.work / ".config" / "matplotlib"
            mpl.mkdir()
            for f in self.env.mpl_cache.glob("fontlist*.json"):
                (mpl / f.name).write_bytes(f.read_bytes())
                sandbox.give(self.jail, mpl / f.name, 0o600)
            sandbox.give(self.jail, mpl, 0o700)
        self.pid, self.pid_ns = None, None
        argv = self.env.command(str(conn))
        if self.jail.uid is None or not self.use_view:  # --unsafe: unconfined, as the grader's user
            self.proc = subprocess.Popen(argv, cwd=self.jail.work, env=self.environ(), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         preexec_fn=sandbox.preexec(self.jail.uid, self.limits), close_fds=True)
            self.pid = self.proc.pid
        else:  # in its private filesystem view (bwrap): see autograder.sandbox
            info_r, info_w = os.pipe()
            try:
                cmd = sandbox.view_command(argv, self.jail, self.env.read_only_paths(), self.env.python,
                                           self.limits.nproc, info_fd=info_w)
                self.stderr = tempfile.TemporaryFile()  # bwrap's complaints (and the kernel's stderr, size-capped)
                self.proc = subprocess.Popen(cmd, cwd=self.jail.work, env=self.environ(), stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=self.stderr,
                                             preexec_fn=sandbox.preexec(self.jail.uid, self.limits, view=True),
                                             pass_fds=(info_w,), close_fds=True)
                os.close(info_w)
                info_w = -1
                view = sandbox.read_info(info_r, timeout)
            finally:
                os.close(info_r)
                if info_w >= 0:
                    os.close(info_w)
            self.pid_ns = view.get("pid-namespace")
            self.init_pid = view.get("child-pid")
            if not self.pid_ns or not self.init_pid:
                err = self._bwrap_error()
                raise RuntimeError(f"the sandbox did not start ({err or 'bubblewrap gave no process'})")
        client = BlockingKernelClient()
        client.load_connection_info(info)
        client.start_channels()
        self.client = client
        deadline = time.monotonic() + timeout
        while True:  # wait_for_ready, but give up as soon as the process is gone
            if self.proc.poll() is not None:
                err = self._bwrap_error() if self.pid_ns else ""
                raise RuntimeError(f"the kernel exited during start-up (status {self.proc.returncode})"
                                   + (f": {err}" if err else ""))
            if self.pid is None:
                self.pid = self._kernel_pid()
            try:
                client.kernel_info()
                reply = client.get_shell_msg(timeout=1)
                if reply["msg_type"] == "kernel_info_reply":
                    break
            except queue.Empty:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the kernel did not start in time")
        while self.pid is None:  # it answered, so it is there: the view's init has exactly one child
            self.pid = self._kernel_pid()
            if self.pid is None:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the kernel process could not be found in its sandbox")
                time.sleep(0.01)
        while True:  # drain start-up iopub traffic
            try:
                client.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                break

    def _kernel_pid(self) -> int | None:
        """The kernel's pid as the grader sees it: the child of the view's init (bwrap's reaper, pid 1 inside)."""
        try:
            with open(f"/proc/{self.init_pid}/task/{self.init_pid}/children") as fh:
                kids = [int(p) for p in fh.read().split()]
        except (OSError, ValueError):
            return None
        return kids[0] if len(kids) == 1 else None

    def _bwrap_error(self) -> str:
        """The last line bwrap (or the kernel) wrote to stderr."""
        if self.stderr is None:
            return ""
        try:
            self.stderr.seek(max(0, self.stderr.seek(0, os.SEEK_END) - 4096))
            text = self.stderr.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            return ""
        return text.splitlines()[-1] if text else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def interrupt(self) -> None:
        pid = self.pid or (self._kernel_pid() if self.pid_ns else None)
        if self.alive() and pid:
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    def kill_strays(self) -> int:
        """SIGKILL every process a cell left running besides the kernel (its PID namespace; as root also its
        uid, e.g. the unconfined --unsafe case has neither); returns how many."""
        keep = {p for p in (self.pid, getattr(self, "init_pid", None)) if p}
        killed = sandbox.kill_namespace(self.pid_ns, keep) if self.pid_ns else 0
        if self.pid:
            killed += sandbox.kill_strays(self.jail.uid, keep=self.pid)
        return killed

    def kill(self) -> None:
        if self.client is not None:
            try:
                self.client.stop_channels()
            except Exception:  # noqa: BLE001
                pass
            self.client = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None
        sandbox.kill_namespace(self.pid_ns)  # normally already gone with its init
        sandbox.kill_uid(self.jail.uid)

    def execute(self, code: str, timeout: float) -> tuple[str, list[Any]]:
        """Run `code`; returns (status, outputs): status 'ok', 'error', 'timeout' or 'died'."""
        client = self.client
        msg_id = client.execute(code, store_history=True, allow_stdin=False, stop_on_error=False)
        deadline = time.monotonic() + timeout
        outputs: list[Any] = []
        size, truncated, errored = 0, False, False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout", outputs
            if not self.alive():
                return "died", outputs
            try:
                msg = client.get_iopub_msg(timeout=min(0.25, remaining))
            except queue.Empty:
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind == "clear_output":
                outputs.clear()
                size = 0
            elif kind in ("stream", "display_data", "execute_result", "error"):
                if kind == "error":
                    errored = True
                try:
                    out = nbformat.v4.output_from_msg(msg)
                except Exception:  # noqa: BLE001 - a malformed message is dropped
                    continue
                n = len(json.dumps(out))
                if size + n > MAX_CELL_OUTPUT:
                    if not truncated:
                        outputs.append(nbformat.v4.new_output("stream", name="stdout",
                                                              text="\n[output truncated by the grader]\n"))
                        truncated = True
                    continue
                size += n
                if kind == "stream" and outputs and outputs[-1].get("output_type") == "stream" \
                        and outputs[-1].get("name") == out.get("name"):
                    outputs[-1]["text"] += out["text"]
                else:
                    outputs.append(out)
        try:  # the reply (its status is the student's to forge: used for the report only)
            end = time.monotonic() + 2
            while time.monotonic() < end:
                reply = client.get_shell_msg(timeout=max(0.01, end - time.monotonic()))
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    if reply["content"].get("status") != "ok":
                        errored = True
                    payload = reply["content"].get("payload") or []
                    if any(isinstance(p, dict) and p.get("source") == "ask_exit" for p in payload):
                        self.exiting = True
                    break
        except queue.Empty:
            pass
        return ("error" if errored else "ok"), outputs


@dataclass
class CellResult:
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
