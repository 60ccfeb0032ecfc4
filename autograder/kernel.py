"""Step 3b — the kernel: one ipykernel process in the jail, inside the sandbox, driven over ZeroMQ ipc sockets.

Started in the kernel environment (autograder.kernel_env) under the sandbox (autograder.sandbox): its private
filesystem view, its own uid (as root), resource limits and no network. `execute` runs one cell with a timeout;
`interrupt`, `kill` and `kill_strays` stop what it started.
"""
import json
import os
import queue
import secrets
import signal
import subprocess
import tempfile
import time
from typing import Any

import nbformat

from autograder import sandbox
from autograder.kernel_env import KernelEnv

MAX_CELL_OUTPUT = 2 * 2**20  # bytes of outputs kept per cell (the rest is dropped, with a note)


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
