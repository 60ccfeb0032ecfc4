"""Helpers of tests/course/test_browser.py: Debian's chromium, a throw-away JupyterLab server, failure screenshots.

Facts these follow (measured): docs/notes/browser-testing.md. Chromium is Debian's (never
`playwright install`); the server runs on a free loopback port with a temporary token, in its own process
session, with every Jupyter/IPython folder under a temporary directory; it is stopped by its PID (SIGTERM, then
SIGKILL for the child processes recorded while it ran) — never by name.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.nbg import environment

INSTALL_HINT = "apt-get update && apt-get install -y chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_executable() -> str:
    """Path of the chromium to drive: $NNDL_CHROMIUM, else `chromium` on PATH, installed with apt-get if we can.

    Fails the test (never skips) with the one command to run when there is no chromium and we cannot install it.
    """
    wanted = os.environ.get("NNDL_CHROMIUM")
    if wanted:
        if shutil.which(wanted):
            return shutil.which(wanted)
        pytest.fail(f"NNDL_CHROMIUM={wanted!r} is not an executable")
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    log = ""
    if os.geteuid() == 0 and shutil.which("apt-get"):
        proc = subprocess.run(["bash", "-c", INSTALL_HINT], capture_output=True, text=True, timeout=900,
                              env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = shutil.which("chromium")
        if found:
            return found
        log = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
    pytest.fail(f"the browser tests need Debian's chromium; install it with:\n    sudo {INSTALL_HINT}\n{log}".rstrip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_table() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, start time)} of every process, read from /proc (Linux)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        table[int(entry.name)] = (int(fields[1]), fields[19])
    return table


def descendants(pid: int) -> dict[int, str]:
    """{pid: start time} of every process below `pid` (children, grandchildren, ...)."""
    if not Path("/proc").is_dir():
        return {}
    table = _proc_table()
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, start) in table.items():
            if ppid == parent and child not in found:
                found[child] = start
                frontier.append(child)
    return found


class LabServer:
    """A JupyterLab server on the course folder `root`, with its Jupyter state in `state` (both temporary)."""

    def __init__(self, root: Path, state: Path) -> None:
        self.root, self.state = root, state
        self.token = os.urandom(16).hex()
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.children: dict[int, str] = {}
        self.log_path = state / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The venv's bin first on PATH (the formgrader runs `alembic`), Jupyter's folders under `state`."""
        dirs = {name: self.state / sub for name, sub in [
            ("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_DATA_DIR", "data"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "mpl")]}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        # the "get notified about Jupyter news?" toast is silenced only by this settings file
        settings = dirs["JUPYTER_CONFIG_DIR"] / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        return environment({name: str(path) for name, path in dirs.items()})

    def launch(self) -> None:
        """Start the server process on a free port (return at once; `wait()` waits until it answers)."""
        self.port = free_port()
        cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={self.port}",
               "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
               "--allow-root", f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        with open(self.log_path, "ab") as log:
            # cwd = the course: nbgrader's extensions read ./nbgrader_config.py
            self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def wait(self, timeout: float = 60.0) -> None:
        """Wait until /api/status answers (relaunching on a port taken meanwhile); record the child processes."""
        for attempt in range(3):
            if self._wait_ready(timeout):
                self.children = descendants(self.proc.pid)
                return
            if self.proc.poll() is None or "already in use" not in self.log_tail() or attempt == 2:
                break
            self.launch()
        self.stop()
        raise RuntimeError(f"JupyterLab did not start on port {self.port}; log {self.log_path}:\n{self.log_tail()}")

    def start(self, timeout: float = 60.0) -> None:
        self.launch()
        self.wait(timeout)

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                self.get("/api/status")
                return True
            except OSError:
                time.sleep(0.2)
        return False

    def get(self, path: str) -> bytes:
        """GET `path` from the server with the token (OSError on failure)."""
        request = urllib.request.Request(self.url + path, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the server's PID (it shuts its kernels down), then SIGKILL whatever child process is left."""
        if self.proc is None:
            return
        pid = self.proc.pid
        self.children.update(descendants(pid))  # kernels started after start-up, too
        if self.proc.poll() is None:
            os.kill(pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        alive = _proc_table() if Path("/proc").is_dir() else {}
        for child, start in self.children.items():
            if child in alive and alive[child][1] == start:  # the same process, not a reused PID
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
        self.proc = None


@contextlib.contextmanager
def screenshot_on_failure(page, shots: Path, name: str, server: LabServer | None = None) -> Iterator[None]:
    """Run the block; if it fails, save a full-page screenshot to `shots` and fail with its path in the message."""
    try:
        yield
    except Exception as exc:
        shots.mkdir(parents=True, exist_ok=True)
        path = shots / f"{name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            where = f"screenshot: {path}"
        except Exception as shot_error:  # the page may be gone
            where = f"no screenshot ({shot_error}); folder {shots}"
        log = f"\nserver log ({server.log_path}), last lines:\n{server.log_tail(15)}" if server else ""
        pytest.fail(f"{type(exc).__name__}: {exc}\n{where}{log}", pytrace=True)
