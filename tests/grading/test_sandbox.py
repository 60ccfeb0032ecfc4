"""The sandbox: refusal without isolation, the course lock-down, the kernel environment's contents, and a
kernel in its own filesystem view under its own uid with limits, no network and no way out (tried from inside)."""
import json
import os
import resource
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path


from autograder import executor, kernel as kernels, sandbox
from autograder.cli import main
from autograder.kernel_env import build_kernel_env


def test_root_can_isolate_and_others_are_told_why_not(monkeypatch) -> None:
    """As root (CI) with bubblewrap isolation is possible; without bubblewrap the reason says to install it;
    without root and without user namespaces it names the uid and what to do instead."""
    assert sandbox.bwrap_binary(), "bubblewrap is not installed: apt-get install bubblewrap (the sandbox needs it)"
    assert os.geteuid() == 0 and sandbox.isolation_problem() is None
    monkeypatch.setenv("NNDL_BWRAP", "/nonexistent/bwrap")
    assert "apt-get install bubblewrap" in sandbox.isolation_problem()
    monkeypatch.delenv("NNDL_BWRAP")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(sandbox, "_probe", lambda binary, userns: "No permission to create new namespace" if userns else None)
    monkeypatch.setattr(sandbox, "user_namespace_problem", lambda: "user namespaces are disabled (max_user_namespaces is 0)")
    why = sandbox.isolation_problem()
    assert "not root (uid 1000)" in why and "max_user_namespaces" in why and "container" in why and "--unsafe" in why


def test_rootless_needs_only_user_namespaces(monkeypatch) -> None:
    """Not root but with unprivileged user namespaces (this machine): no problem, and the kernel keeps the
    grader's uid (never a sandbox uid, so never mass-killed)."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert sandbox.rootless() and sandbox.isolation_problem() is None
    assert sandbox.uid_for(3) == 1000 < sandbox.UID_BASE


def test_grade_refuses_without_isolation_unless_unsafe(monkeypatch, tmp_path, capsys) -> None:
    """Without the ability to isolate, `grade` exits 3 with the reason and grades nothing (--unsafe lifts it)."""
    from autograder.nbg import copy_course

    root = copy_course(tmp_path / "course")
    (tmp_path / "subs" / "ada" / "a1_knn").mkdir(parents=True)
    monkeypatch.setenv("NNDL_BWRAP", "/nonexistent/bwrap")
    assert main(["--course", str(root), "grade", str(tmp_path / "subs"), "--assignment", "a1_knn"]) == 3
    err = capsys.readouterr().err
    assert "refusing to grade: the private filesystem view needs bubblewrap" in err and "--unsafe" in err
    assert not (root / ".grading" / "submitted").exists()


def test_lock_down_keeps_only_public_entries_readable(tmp_path) -> None:
    """Every entry of a course folder but release/, course/ and the like becomes mode 700 (600 for files)."""
    for name in ("source", "solutions", ".grading", "tests", "release", "course"):
        (tmp_path / name).mkdir(mode=0o755)
    (tmp_path / "nbgrader_config.py").write_text("")
    os.chmod(tmp_path / "nbgrader_config.py", 0o644)
    changed = sandbox.lock_down(tmp_path)
    assert changed == [".grading", "nbgrader_config.py", "solutions", "source", "tests"]
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"source": 0o700, "solutions": 0o700, ".grading": 0o700, "tests": 0o700, "release": 0o755,
                     "course": 0o755, "nbgrader_config.py": 0o600}


def test_kernel_env_holds_course_and_runners_but_no_answers() -> None:
    """The kernel environment has course/ and autograder/{hidden,checks}, no solutions, and is read-only."""
    env = build_kernel_env()
    course_dir, site = env.pythonpath
    assert (course_dir / "course" / "checks" / "core.py").is_file()
    assert sorted(p.name for p in (course_dir / "autograder").iterdir() if p.suffix == ".py") == ["__init__.py", "hidden.py"]
    for place in (course_dir, site):
        assert not (place / "solutions").exists() and not list(place.glob("__editable__*"))
        assert stat.S_IMODE(place.stat().st_mode) == 0o755 and place.stat().st_uid == 0
    probe = "import importlib.util as u; print(u.find_spec('solutions'), u.find_spec('nbgrader'), u.find_spec('numpy') is not None)"
    out = subprocess.run([str(env.python), "-S", "-s", "-P", "-c", probe], env={**env.environ(), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, cwd="/")
    assert out.stdout.split() == ["None", "None", "True"], out.stderr


PROBE = r'''
import json, os, resource, socket
out = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "cwd": os.getcwd(), "home": os.environ["HOME"],
       "limits": {n: resource.getrlimit(getattr(resource, n))[0] for n in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_NPROC", "RLIMIT_FSIZE")},
       "root": sorted(os.listdir("/")), "tmp": os.listdir("/tmp"), "pid": os.getpid(),
       "procs": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}
def attempt(label, fn):
    try:
        fn(); out[label] = "allowed"
    except BaseException as exc:
        out[label] = type(exc).__name__
attempt("read-locked", lambda: open(LOCKED).read())
attempt("list-locked", lambda: os.listdir(os.path.dirname(LOCKED)))
attempt("list-home", lambda: os.listdir("/home"))
attempt("list-root", lambda: os.listdir("/root"))
attempt("write-etc", lambda: open("/etc/nndl-probe", "w"))
attempt("write-usr", lambda: open("/usr/nndl-probe", "w"))
attempt("write-inputs", lambda: open(os.path.join(os.environ["NNDL_SANDBOX_IO"], "inputs", "x"), "w"))
attempt("swap-evidence", lambda: os.rename(os.path.join(os.environ["NNDL_SANDBOX_IO"], "evidence"), "ev"))
attempt("signal-init", lambda: os.kill(1, 0))
attempt("network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=2))
attempt("big-file", lambda: open("big", "wb").write(b"x" * (3 * 2**20)))
attempt("write-cwd", lambda: open("mine.txt", "w").write("ok"))
attempt("write-tmp", lambda: open("/tmp/mine.txt", "w").write("ok"))
print(json.dumps(out))
'''


def test_kernel_runs_in_its_own_view_as_its_own_uid_with_limits(tmp_path) -> None:
    """Inside a sandboxed kernel: its own uid and gid, no groups, cwd/HOME in the jail, the limits set; it sees
    only /usr (and its links), its Python, its jail, a private /tmp, /dev and its own /proc (two processes:
    the view's init and itself); a world-readable folder elsewhere, /home and /root do not exist; /etc, /usr,
    its inputs and the jail's layout are read-only; no network; files capped at RLIMIT_FSIZE."""
    assert sandbox.bwrap_binary(), "bubblewrap is not installed: apt-get install bubblewrap (the sandbox needs it)"
    top = Path(tempfile.mkdtemp(prefix="nndl-test-sandbox-"))  # pytest's tmp is private to root: not reachable
    top.chmod(0o755)
    visible = top / "public"  # world-readable: only the view keeps the kernel out
    visible.mkdir(mode=0o755)
    (visible / "answers.txt").write_text("42")
    (visible / "answers.txt").chmod(0o644)
    base = top / "jails"
    base.mkdir(mode=0o711)
    uid = sandbox.uid_for(62)
    limits = sandbox.Limits(memory=3 * 2**30, cpu=100, nproc=50, fsize=2**20)
    jail = sandbox.make_jail(base, "p", uid)
    kernel = kernels.Kernel(build_kernel_env(), jail, limits, {})
    try:
        kernel.start()
        status, outputs = kernel.execute(f"LOCKED = {str(visible / 'answers.txt')!r}\n" + PROBE, 30)
    finally:
        kernel.kill()
        sandbox.remove_jail(jail)
        shutil.rmtree(top, ignore_errors=True)
    assert status == "ok", outputs
    got = json.loads(outputs[-1]["text"])
    assert (got["uid"], got["gid"], got["groups"]) == (uid, uid, [])
    assert got["cwd"] == got["home"] == str(jail.work)
    assert got["limits"] == {"RLIMIT_AS": 3 * 2**30, "RLIMIT_CPU": 100, "RLIMIT_NPROC": 50, "RLIMIT_FSIZE": 2**20}
    expected_root = {"usr", "proc", "dev", "tmp", "etc", "var"} | {p.name for p in Path("/").iterdir()
                                                                  if p.name in sandbox.HOST_DIRS}
    assert set(got["root"]) == expected_root, got["root"]  # var: the kernel environment lives in /var/lib
    assert got["tmp"] == [base.parent.name] and got["procs"] == [1, got["pid"]] and got["pid"] == 2
    assert got["read-locked"] == got["list-locked"] == got["list-home"] == got["list-root"] == "FileNotFoundError"
    assert got["write-etc"] in {"PermissionError", "OSError"} and got["write-usr"] == "OSError"
    assert got["write-inputs"] in {"PermissionError", "OSError"} and got["swap-evidence"] in {"PermissionError", "OSError"}
    assert got["signal-init"] == "PermissionError" and got["network"] in {"OSError", "TimeoutError", "ConnectionRefusedError"}
    assert got["big-file"] == "OSError" and got["write-cwd"] == got["write-tmp"] == "allowed"
    assert sandbox.processes_of(uid) == [] and not jail.root.exists()
    assert resource.getrlimit(resource.RLIMIT_NPROC)[0] != 50  # the limits applied to the kernel only


def test_evidence_is_read_without_following_symlinks(tmp_path) -> None:
    """A kernel that plants a symlink as evidence (to a grader file) gets nothing read through it."""
    secret = tmp_path / "secret"
    secret.write_text("s3cret")
    jail = sandbox.make_jail(tmp_path / "j", "x", None)
    (jail.evidence / "knn.predict_labels.json").symlink_to(secret)
    (jail.evidence / "knn.predict_labels.npz").write_bytes(b"ok")
    got = executor.collect_evidence(jail, {"knn.predict_labels"})
    assert got == {"knn.predict_labels.npz": b"ok"} and list(jail.evidence.iterdir()) == []
