"""Step 3 — grade: `nbgrader autograde` one student at a time into the SQLite gradebook, with progress.

One nbgrader process per student: a crash while grading one student is reported for that student and the
run goes on with the next. Re-running is idempotent (`--force` regrades from submitted/).
"""
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.nbg import NbgraderError, nbgrader


@dataclass
class Result:
    """How grading one submission went."""

    student: str
    assignment: str
    ok: bool
    message: str = ""


def autograde(root: Path, assignment: str, students: list[str], cell_timeout: float | None = None,
              check_timeout: float | None = None, progress: bool = True) -> list[Result]:
    """Autograde `students`' submissions of `assignment`; returns one Result per student."""
    from tqdm.auto import tqdm

    args = []
    if cell_timeout is not None:
        args.append(f"--Execute.timeout={int(cell_timeout)}")
    env = {}
    if check_timeout is not None:
        env["NNDL_CHECK_TIMEOUT"] = str(check_timeout)
    results = []
    bar = tqdm(students, desc=f"grading {assignment}", unit="student", disable=not progress, file=sys.stderr)
    for student in bar:
        bar.set_postfix_str(student)
        try:
            nbgrader("autograde", assignment, "--student", student, "--force", *args, root=root, env=env,
                     timeout=None)
            results.append(Result(student, assignment, True))
        except NbgraderError as exc:
            last = [l for l in str(exc).splitlines() if "ERROR" in l or "Error" in l]
            results.append(Result(student, assignment, False, (last[-1] if last else str(exc))[:300]))
    bar.close()
    return results


def grading_secret(root: Path) -> str:
    """The course's grading secret (.grading/secret), created on first use with 32 random bytes."""
    path = root / ".grading" / "secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(os.urandom(32).hex())
    return path.read_text().strip()
