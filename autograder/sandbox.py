"""Isolation of student code while it is graded: an unprivileged uid, a scratch jail, resource limits.

Mechanism (chosen because it needs nothing but root and a Linux kernel — no containers, no extra packages):

- each kernel runs under its own numeric uid/gid (``UID_BASE + slot``; no passwd entry, no supplementary
  groups), so it can read only world-readable files, write only its scratch folder and /tmp, and cannot read
  or signal another student's kernel (which runs under another uid at the same time);
- the course's private folders (source/, solutions/, autograder/, .grading/, tests/, .git/, …: everything but
  release/ and course/) are made mode 700 before grading (``lock_down``), so that uid cannot read them; the
  kernel environment (autograder.kernel_env) lives outside the course and holds only what a kernel needs;
- a fresh jail per notebook: ``<jail>/work`` (cwd and HOME, mode 700, owned by the kernel's uid),
  ``<jail>/inputs`` (hidden-check inputs the grader drew; read-only for the kernel), ``<jail>/evidence``
  (what the kernel records; the grader moves it out after every graded cell), ``<jail>/run`` (the kernel's
  ZeroMQ sockets — ipc, so the kernel can live in an empty network namespace: no network at all);
- limits by setrlimit in the child before exec: address space, CPU seconds, processes (per uid), file
  size, open files, no core dumps; wall clock per cell and per notebook is the executor's job;
- afterwards every process of that uid is killed and its files in /tmp, /var/tmp and /dev/shm are removed,
  so nothing (an IPython startup file, a daemon) survives into the next student's kernel.

Without root none of this is possible: ``isolation_problem()`` says why, and the CLI refuses to grade unless
told ``--unsafe`` (then kernels run as the grader's own user, with the limits that do not need root).
"""
import ctypes
import functools
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

UID_BASE = 1_900_000_000  # far above any real account; numeric only (no /etc/passwd entry is created)
# release/ and course/ are what students have anyway; the venv holds third-party code (and the editable
# install's finder, which only names paths under the locked folders)
PUBLIC = {"release", "course", ".venv", "venv", "README.md", "LICENSE", "pyproject.toml", "environment.yml",
          "Makefile", ".gitignore"}
CLONE_NEWNET = 0x40000000


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading kernel (the per-notebook wall clock is in the executor)."""

    memory: int = 4 * 2**30  # RLIMIT_AS, bytes
    cpu: int = 600  # RLIMIT_CPU, seconds of CPU for the kernel process
    nproc: int = 64  # RLIMIT_NPROC: processes + threads of the kernel's uid
    fsize: int = 256 * 2**20  # RLIMIT_FSIZE: largest file the kernel may write
    nofile: int = 512  # RLIMIT_NOFILE


INSTALL_BWRAP = ("install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; "
                 "Arch: pacman -S bubblewrap)")
NO_ISOLATION_HELP = ("grade as root, or inside a Linux container or VM where you are root, or on the course's "
                     "grading service; `--unsafe` grades without isolation")
HOST_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # symlinks into /usr (merged /usr) or real folders
HOST_FILES = ("/etc/ld.so.cache", "/etc/localtime")  # the dynamic loader's cache; the time zone
TMP_SIZE = 256 * 2**20  # the view's private /tmp (memory-backed)
SHM_SIZE = 64 * 2**20  # the view's /dev/shm (multiprocessing semaphores)
# Inside the view, before the kernel: the process limit (counted per uid in the kernel's own user namespace in
# rootless mode), then — as root — drop to the kernel's uid; then exec the kernel with the environment intact.
LAUNCHER = ("import os, resource, sys\n"
            "n, uid = int(sys.argv[1]), int(sys.argv[2])\n"
            "resource.setrlimit(resource.RLIMIT_NPROC, (n, n))\n"
            "if uid >= 0:\n"
            "    os.setgroups([]); os.setgid(uid); os.setuid(uid)\n"
            "    assert os.getuid() == os.geteuid() == uid and os.getgid() == uid, 'privileges not dropped'\n"
            "os.umask(0o077)\n"
            "os.chdir(sys.argv[3])\n"
            "os.execv(sys.argv[4], sys.argv[4:])\n")


def linux() -> bool:
    """True on Linux (setuid and /proc): the only system where grading can be isolated."""
    return hasattr(os, "setuid") and Path("/proc/self/status").exists()


def rootless() -> bool:
    """True when grading without root: the view comes from an unprivileged user namespace, no uid switch."""
    return os.geteuid() != 0


def bwrap_binary() -> str | None:
    """The bubblewrap executable ($NNDL_BWRAP, else `bwrap` on PATH or in /usr/bin), or None."""
    if os.environ.get("NNDL_BWRAP"):
        return os.environ["NNDL_BWRAP"] if os.access(os.environ["NNDL_BWRAP"], os.X_OK) else None
    return shutil.which("bwrap") or next((p for p in ("/usr/bin/bwrap", "/usr/local/bin/bwrap")
                                          if os.access(p, os.X_OK)), None)


def _host_root_args() -> list[str]:
    """/usr read-only, and /bin, /lib, … as the host has them (symlinks into /usr, or read-only folders)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in HOST_DIRS:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for f in HOST_FILES:
        if Path(f).exists():
            args += ["--ro-bind", f, f]
    return args


def _namespace_args(user_namespace: bool) -> list[str]:
    args = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--hostname", "grading"]
    if user_namespace:
        args += ["--unshare-user", "--disable-userns"]
    else:  # privileged bwrap: keep only what the launcher needs to drop to the kernel's uid
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return args


@functools.lru_cache(maxsize=4)
def _probe(binary: str, user_namespace: bool) -> str | None:
    """Run a trivial command in a minimal view; None if it worked, else bwrap's complaint."""
    cmd = [binary, *_host_root_args(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
           *_namespace_args(user_namespace), "/bin/sh", "-c", "test ! -e /root && test ! -e /home && echo ok"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if out.returncode == 0 and out.stdout.strip() == "ok":
        return None
    return (out.stderr.strip().splitlines() or [f"exit status {out.returncode}"])[-1]


def user_namespace_problem() -> str | None:
    """None if this kernel lets unprivileged users create user namespaces; else why not."""
    try:
        if int(Path("/proc/sys/user/max_user_namespaces").read_text()) == 0:
            return "user namespaces are disabled (/proc/sys/user/max_user_namespaces is 0)"
    except (OSError, ValueError):
        return "this kernel has no user namespaces (/proc/sys/user/max_user_namespaces missing)"
    for knob, bad in (("/proc/sys/kernel/unprivileged_userns_clone", "0"),
                      ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1")):
        try:
            value = Path(knob).read_text().strip()
        except OSError:
            continue
        if value == bad:
            return f"unprivileged user namespaces are restricted ({knob} = {value})"
    return None


def view_problem() -> str | None:
    """None if this process can give a kernel its private filesystem view; else why not and what to do."""
    binary = bwrap_binary()
    if binary is None:
        return f"the private filesystem view needs bubblewrap (bwrap), which is not installed: {INSTALL_BWRAP}"
    if not rootless():
        why = _probe(binary, False)
        return None if why is None else (f"bubblewrap cannot create namespaces here even as root ({why}); "
                                         f"{NO_ISOLATION_HELP}")
    why = _probe(binary, True)
    if why is None:
        return None
    return (f"this process is not root (uid {os.geteuid()}) and bubblewrap cannot create an unprivileged user "
            f"namespace ({user_namespace_problem() or why}); {NO_ISOLATION_HELP}")


def isolation_problem() -> str | None:
    """None if this process can isolate student code; else why not and what to do (one sentence)."""
    if not linux():
        return (f"isolating student code needs Linux namespaces; this is {os.uname().sysname}: "
                f"{NO_ISOLATION_HELP}")
    return view_problem()


def view_command(argv: list[str], jail: "Jail", read_only: list[Path], launcher_python: Path, nproc: int,
                 info_fd: int | None = None) -> list[str]:
    """The bwrap command running `argv` (the kernel) in its private view (see the module docstring).

    `read_only`: folders bound read-only at their own path (the kernel environment); `launcher_python` runs
    the launcher (RLIMIT_NPROC, and as root the drop to the jail's uid) that then exec's `argv`.
    """
    binary = bwrap_binary()
    if binary is None:
        raise RuntimeError(view_problem() or "bubblewrap is missing")
    user_ns = rootless()
    args = [binary, *_host_root_args(), "--proc", "/proc", "--dev", "/dev",
            "--size", str(SHM_SIZE), "--perms", "1777", "--tmpfs", "/dev/shm",
            "--size", str(TMP_SIZE), "--perms", "1777", "--tmpfs", "/tmp"]
    made: set[Path] = set()
    for folder in [*read_only, jail.root]:
        for parent in reversed(Path(folder).parents):  # the folders above the binds: traversable, not listable
            if parent not in made and str(parent) not in ("/", "/usr", "/tmp"):
                made.add(parent)
                args += ["--perms", "0711", "--dir", str(parent)]
    for folder in read_only:
        args += ["--ro-bind", str(folder), str(folder)]
    args += ["--ro-bind", str(jail.root), str(jail.root)]
    for folder in (jail.work, jail.evidence, jail.run):
        args += ["--bind", str(folder), str(folder)]
    args += ["--ro-bind", str(jail.inputs), str(jail.inputs)]
    args += _namespace_args(user_ns)
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    drop_to = -1 if user_ns or jail.uid is None else jail.uid
    return [*args, str(launcher_python), "-I", "-S", "-c", LAUNCHER, str(nproc), str(drop_to), str(jail.work),
            *argv]


def namespace_processes(pid_ns: int, skip: frozenset[int] | set[int] = frozenset()) -> list[int]:
    """Pids (host view, no zombies) of the processes in PID namespace `pid_ns` (its inode number)."""
    return _live_processes(lambda entry: int(entry) not in skip and os.stat(f"/proc/{entry}/ns/pid").st_ino == pid_ns)


def _live_processes(belongs: Callable[[str], bool]) -> list[int]:
    """Pids (host view) of the live processes (not zombies) for whose /proc entry name `belongs(entry)` is true."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if belongs(entry):
                with open(f"/proc/{entry}/stat") as fh:
                    if fh.read().rpartition(")")[2].split()[0] not in ("Z", "X"):
                        pids.append(int(entry))
        except (OSError, IndexError):
            continue
    return pids


def kill_namespace(pid_ns: int | None, keep: frozenset[int] | set[int] = frozenset(), rounds: int = 20,
                   pause: float = 0.02) -> int:
    """SIGKILL every process of PID namespace `pid_ns` but `keep` until none is left; returns how many."""
    if not pid_ns:
        return 0
    return _kill_until_gone(lambda: namespace_processes(pid_ns, keep), rounds, pause)


def _kill_until_gone(find: Callable[[], list[int]], rounds: int, pause: float) -> int:
    """SIGKILL what `find()` lists, again and again (a fork loop refills it), until it lists nothing; how many."""
    killed = 0
    for _ in range(rounds):
        pids = find()
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(pause)
    return killed


def read_info(fd: int, timeout: float = 30) -> dict[str, Any]:
    """bwrap's --info-fd JSON (child-pid, namespace inodes), read until bwrap closes its end."""
    import select

    data, deadline = b"", time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    try:
        return json.loads(data or b"{}")
    except ValueError:
        return {}


@dataclass(frozen=True)
class Layer:
    """One isolation layer and whether this machine has it (for `nndl-course doctor`)."""

    name: str
    active: bool
    why: str


def layers() -> list[Layer]:
    """The isolation layers of a grading kernel on this machine, each active or missing, and why."""
    on_linux = linux()
    binary = bwrap_binary() if on_linux else None
    view = isolation_problem()
    root = on_linux and not rootless()
    out = []
    if view is None:
        out.append(Layer("filesystem view (bubblewrap)", True,
                         f"{binary}: each kernel sees only /usr, its Python, its jail, a private /tmp and its own "
                         "/proc"))
    else:
        out.append(Layer("filesystem view (bubblewrap)", False, view))
    if root:
        out.append(Layer("user namespace", True, "not needed: root runs bubblewrap privileged"))
    elif on_linux:
        userns = user_namespace_problem() or (_probe(binary, True) if binary else "bubblewrap is not installed")
        out.append(Layer("user namespace", userns is None,
                         "unprivileged user namespaces work: rootless grading" if userns is None else userns))
    else:
        out.append(Layer("user namespace", False, f"not Linux ({os.uname().sysname})"))
    if root:
        out.append(Layer("uid switch", True, "each kernel runs as its own numeric uid, no groups"))
    else:
        out.append(Layer("uid switch", False, "not root: kernels keep your uid inside their user namespace (the "
                         "filesystem view is what keeps them out of your files)" if on_linux else "not Linux"))
    out.append(Layer("rlimits", on_linux, "memory, CPU seconds, processes, file size, open files, no core files"
                     if on_linux else "not Linux"))
    out.append(Layer("network namespace", view is None, "empty network namespace (no interfaces); the kernel "
                     "talks to the grader over ipc sockets" if view is None else "comes with the filesystem view"))
    out.append(Layer("outside verdicts", True, "scores are judged in the grader from plain-data evidence, never "
                     "in the kernel"))
    return out


def uid_for(slot: int) -> int:
    """The uid of the kernel in pool slot `slot`: as root its own (unique per grading process); rootless the
    grader's own (mapped into the kernel's user namespace; below UID_BASE, so never mass-killed)."""
    if rootless():
        return os.geteuid()
    return UID_BASE + (os.getpid() % 100_000) * 64 + slot % 64


def lock_down(root: Path) -> list[str]:
    """chmod go-rwx every entry of the course folder except the public ones; returns what changed."""
    changed = []
    for entry in sorted(Path(root).iterdir()):
        if entry.name in PUBLIC or entry.is_symlink():
            continue
        mode = stat.S_IMODE(entry.stat().st_mode)
        if mode & 0o077:
            os.chmod(entry, mode & 0o700)
            changed.append(entry.name)
    return changed


def private_places(root: Path) -> list[Path]:
    """Folders whose private entries must be locked: the course, and the checkout/site holding the grader's
    own `solutions` and `autograder` packages (which may be another folder than the course)."""
    import autograder
    import solutions

    places = [Path(root).resolve()]
    for pkg in (solutions, autograder):
        folder = Path(pkg.__file__).resolve().parent
        parent = folder.parent
        if (parent / "pyproject.toml").is_file() or (parent / "nbgrader_config.py").is_file():
            places.append(parent)  # an (editable) checkout: lock its private entries too (tests/, .git/, …)
        else:
            places.append(folder)  # installed into site-packages: lock the package folder itself
    return list(dict.fromkeys(places))


def lock_down_all(root: Path) -> list[str]:
    """lock_down the course and the grader's own packages; returns what changed (for the report)."""
    changed = []
    for place in private_places(root):
        if (place / "__init__.py").is_file():  # a package folder in site-packages
            mode = stat.S_IMODE(place.stat().st_mode)
            if mode & 0o077:
                os.chmod(place, mode & 0o700)
                changed.append(str(place))
        else:
            changed += [str(place / name) for name in lock_down(place)]
    return changed


@dataclass(frozen=True)
class Jail:
    """The folders of one sandboxed notebook run."""

    root: Path  # owned by the grader, 0711 (0751 with the kernel's group): the kernel cannot rename entries
    work: Path  # cwd and HOME of the kernel (owned by it, 0700)
    inputs: Path  # hidden-check inputs (grader-owned, readable by the kernel's group)
    evidence: Path  # kernel-written evidence (owned by the kernel, 0700)
    run: Path  # the kernel's ipc sockets and connection file
    uid: int | None  # None: not isolated (--unsafe)


def _chown_to(path: Path, uid: int | None, owner: int | None = None) -> None:
    """As root, give `path` to the kernel's uid (group too; owner `owner` if given); rootless it is ours already."""
    if uid is not None and not rootless():
        os.chown(path, uid if owner is None else owner, uid)


def make_jail(base: Path, name: str, uid: int | None) -> Jail:
    """Create a fresh jail `base/name` for a kernel running as `uid` (None: unconfined, as this user)."""
    root = Path(base) / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(mode=0o711, parents=True)
    jail = Jail(root, root / "work", root / "inputs", root / "evidence", root / "run", uid)
    for d in (jail.work, jail.inputs, jail.evidence, jail.run):
        d.mkdir(mode=0o700)
    for d in (jail.work, jail.evidence, jail.run):
        _chown_to(d, uid)
    _chown_to(jail.inputs, uid, owner=0)
    if uid is not None and not rootless():
        os.chmod(jail.inputs, 0o750)
    return jail


def give(jail: Jail, path: Path, mode: int = 0o600) -> None:
    """Hand a file the grader wrote inside the jail to the kernel's uid."""
    os.chmod(path, mode)
    _chown_to(path, jail.uid)


def expose_inputs(jail: Jail) -> None:
    """Make the grader-written input files readable by the kernel (group) but not writable (the view binds
    inputs/ read-only as well)."""
    for p in jail.inputs.iterdir():
        os.chmod(p, 0o640)
        _chown_to(p, jail.uid, owner=0)


def preexec(uid: int | None, limits: Limits, isolate_network: bool = True, view: bool = False):
    """The function Popen runs in the child before exec: new session, limits, then drop to `uid`.

    With `view` the child exec's bwrap: the namespaces, the process limit and the uid switch happen there
    (``view_command``'s launcher), so only the session and the other limits are set here.
    """
    def apply() -> None:
        os.setsid()
        rl = [(resource.RLIMIT_AS, limits.memory), (resource.RLIMIT_CPU, limits.cpu),
              (resource.RLIMIT_FSIZE, limits.fsize), (resource.RLIMIT_NOFILE, limits.nofile),
              (resource.RLIMIT_CORE, 0)]
        if uid is not None and not view:
            rl.append((resource.RLIMIT_NPROC, limits.nproc))  # per uid: only meaningful for our own uid
        for which, value in rl:
            resource.setrlimit(which, (value, value))
        if uid is not None and not view:
            if isolate_network:
                try:
                    ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNET)  # fails harmlessly without CAP_SYS_ADMIN
                except Exception:  # noqa: BLE001
                    pass
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        os.umask(0o077)

    return apply


def processes_of(uid: int) -> list[int]:
    """Pids (not zombies) whose real or effective uid is `uid`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                zombie = False
                for line in fh:
                    if line.startswith("State:"):
                        zombie = line.split()[1] in ("Z", "X")
                    elif line.startswith("Uid:"):
                        if not zombie and str(uid) in line.split()[1:3]:
                            pids.append(int(entry))
                        break
        except OSError:
            continue
    return pids


def sandbox_processes() -> list[int]:
    """Pids of every process running under a sandbox uid (any grading run's)."""
    return _live_processes(lambda entry: os.stat(f"/proc/{entry}").st_uid >= UID_BASE)


def kill_uid(uid: int | None, rounds: int = 20, keep: int | None = None, pause: float = 0.05) -> int:
    """SIGKILL every process of `uid` but `keep` until none is left (a fork loop included); returns how many.

    Only ever our own sandbox uids (>= UID_BASE).
    """
    if uid is None or uid < UID_BASE:
        return 0
    return _kill_until_gone(lambda: [p for p in processes_of(uid) if p != keep], rounds, pause)


def kill_strays(uid: int | None, keep: int) -> int:
    """SIGKILL every process of `uid` but `keep` (the kernel): nothing a cell started outlives the cell."""
    return kill_uid(uid, keep=keep, pause=0.02)


def clean_uid_files(uid: int | None, places: tuple[str, ...] = ("/tmp", "/var/tmp", "/dev/shm")) -> int:
    """Remove what `uid` left in the world-writable folders; returns the number of entries removed."""
    if uid is None or uid < UID_BASE:
        return 0
    removed = 0
    for place in places:
        try:
            entries = os.listdir(place)
        except OSError:
            continue
        for name in entries:
            path = os.path.join(place, name)
            try:
                if os.lstat(path).st_uid != uid:
                    continue
                if stat.S_ISDIR(os.lstat(path).st_mode):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
                removed += 1
            except OSError:
                continue
    return removed


def remove_jail(jail: Jail) -> None:
    """Kill what is left of the kernel's uid, remove its stray files and the jail."""
    kill_uid(jail.uid)
    clean_uid_files(jail.uid)
    shutil.rmtree(jail.root, ignore_errors=True)


def read_file_safely(dir_fd: int, name: str, max_bytes: int) -> bytes | None:
    """Read regular file `name` in an open directory without following symlinks; None if unsafe or too big."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return None
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def open_dir_safely(parent: Path, name: str) -> int | None:
    """An fd of directory parent/name, refusing a symlink in the last component (the parent is trusted)."""
    try:
        pfd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=pfd)
    except OSError:
        return None
    finally:
        os.close(pfd)


def empty_dir(path: Path) -> None:
    """Remove everything inside `path` (not following symlinks)."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for e in entries:
        try:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path, ignore_errors=True)
            else:
                os.unlink(e.path)
        except OSError:
            pass
