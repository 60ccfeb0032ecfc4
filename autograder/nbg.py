"""Run real nbgrader commands on a course folder (the step every pipeline stage is built on)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parents[1]
COURSE_FILES = ("nbgrader_config.py", "assignments.toml", "source", "release")


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message carries the end of its log."""


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ with this interpreter's bin folder first on PATH.

    nbgrader finds `alembic` (gradebook migrations) and `jupyter` on PATH; without the venv's bin there it
    fails with "unable to open database" or FileNotFoundError 'alembic' (measured with nbgrader 0.9.6).
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("NBGRADER_EXECUTION", None)
    env.update(extra or {})
    return env


def nbgrader(*args: str, root: Path = COURSE_ROOT, check: bool = True, timeout: float | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in course folder `root` (where nbgrader_config.py is); raise NbgraderError on failure."""
    (Path(root) / ".grading").mkdir(exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=environment(env),
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}) in {root}:\n{tail}")
    return proc


def copy_course(dst: Path, src: Path = COURSE_ROOT) -> Path:
    """Copy the course's nbgrader files (config, source/, release/) to `dst`, without grading state."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        s = src / name
        if s.is_dir():
            shutil.copytree(s, dst / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        elif s.exists():
            shutil.copy2(s, dst / name)
    return dst
