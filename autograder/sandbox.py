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
import os
import resource
import shutil
import signal
import stat
import time
from dataclasses import dataclass
from pathlib import Path

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


def isolation_problem() -> str | None:
    """None if this process can isolate student code; else why not (one sentence)."""
    if not hasattr(os, "setuid") or not Path("/proc/self/status").exists():
        return "isolating student code needs Linux (setuid, /proc)"
    if os.geteuid() != 0:
        return (f"isolating student code needs root (to run each kernel under its own unprivileged uid, "
                f"unable to read the course's source/, solutions/ or gradebook); this process runs as uid "
                f"{os.geteuid()}")
    return None


def uid_for(slot: int) -> int:
    """The uid (and gid) of the kernel in pool slot `slot`, unique per grading run process."""
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


def make_jail(base: Path, name: str, uid: int | None) -> Jail:
    """Create a fresh jail `base/name` for a kernel running as `uid` (None: as this user)."""
    root = Path(base) / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(mode=0o711, parents=True)
    jail = Jail(root, root / "work", root / "inputs", root / "evidence", root / "run", uid)
    for d in (jail.work, jail.inputs, jail.evidence, jail.run):
        d.mkdir(mode=0o700)
    if uid is not None:
        for d in (jail.work, jail.evidence, jail.run):
            os.chown(d, uid, uid)
        os.chown(jail.inputs, 0, uid)
        os.chmod(jail.inputs, 0o750)
    return jail


def give(jail: Jail, path: Path, mode: int = 0o600) -> None:
    """Hand a file the grader wrote inside the jail to the kernel's uid."""
    os.chmod(path, mode)
    if jail.uid is not None:
        os.chown(path, jail.uid, jail.uid)


def expose_inputs(jail: Jail) -> None:
    """Make the grader-written input files readable by the kernel (group) but not writable."""
    for p in jail.inputs.iterdir():
        os.chmod(p, 0o640)
        if jail.uid is not None:
            os.chown(p, 0, jail.uid)


def preexec(uid: int | None, limits: Limits, isolate_network: bool = True):
    """The function Popen runs in the child before exec: new session, limits, then drop to `uid`."""
    def apply() -> None:
        os.setsid()
        rl = [(resource.RLIMIT_AS, limits.memory), (resource.RLIMIT_CPU, limits.cpu),
              (resource.RLIMIT_FSIZE, limits.fsize), (resource.RLIMIT_NOFILE, limits.nofile),
              (resource.RLIMIT_CORE, 0)]
        if uid is not None:
            rl.append((resource.RLIMIT_NPROC, limits.nproc))  # per uid: only meaningful for our own uid
        for which, value in rl:
            resource.setrlimit(which, (value, value))
        if uid is not None:
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
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid >= UID_BASE:
                    with open(f"/proc/{entry}/stat") as fh:
                        if fh.read().rpartition(")")[2].split()[0] not in ("Z", "X"):
                            pids.append(int(entry))
            except (OSError, IndexError):
                continue
    return pids


def kill_uid(uid: int | None, rounds: int = 20, keep: int | None = None, pause: float = 0.05) -> int:
    """SIGKILL every process of `uid` but `keep` until none is left (a fork loop included); returns how many.

    Only ever our own sandbox uids (>= UID_BASE).
    """
    if uid is None or uid < UID_BASE:
        return 0
    killed = 0
    for _ in range(rounds):
        pids = [p for p in processes_of(uid) if p != keep]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(pause)
    return killed


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
