"""Step 2 — collect: copy submissions into nbgrader's submitted/ folder, reporting every problem per student.

Accepted layouts of SUBMISSIONS_DIR:
- nbgrader style: ``<student>/<assignment>/*.ipynb``;
- an LMS export: ``<student>.zip`` holding ``<assignment>/*.ipynb`` (or the notebooks at its top level, when
  ``assignment`` is given).
Every notebook is read with nbformat before it is copied; a malformed one is reported, never half-copied.
"""
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.build import assignments


@dataclass
class Submission:
    """One student's submission of one assignment, and what was wrong with it (if anything)."""

    student: str
    assignment: str
    notebooks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def gradable(self) -> bool:
        """True when at least one expected notebook arrived intact."""
        return bool(self.notebooks)


def expected_notebooks(root: Path, assignment: str) -> list[str]:
    """The notebook file names of release/<assignment>/."""
    return sorted(p.name for p in (root / "release" / assignment).glob("*.ipynb"))


def _valid_student(name: str) -> bool:
    return bool(name) and not name.startswith(".") and all(ch.isalnum() or ch in "-_." for ch in name)


def _unpack_zips(src: Path, work: Path, assignment: str | None, problems: dict[str, list[str]]) -> Path:
    """Turn <student>.zip files into <student>/<assignment>/ folders under `work`; returns `work`."""
    for zpath in sorted(src.glob("*.zip")):
        student = zpath.stem
        try:
            with zipfile.ZipFile(zpath) as zf:
                for info in zf.infolist():
                    parts = Path(info.filename).parts
                    if info.is_dir() or not info.filename.endswith(".ipynb") or ".." in parts or "__MACOSX" in parts:
                        continue
                    if len(parts) >= 2:
                        dest = work / student / parts[-2] / parts[-1]
                    elif assignment:
                        dest = work / student / assignment / parts[-1]
                    else:
                        problems.setdefault(student, []).append(
                            f"{zpath.name}: {info.filename} is not inside an assignment folder (pass --assignment)")
                        continue
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(zf.read(info))
        except zipfile.BadZipFile:
            problems.setdefault(student, []).append(f"{zpath.name} is not a valid zip file")
    return work


def collect(src: Path, root: Path, assignment: str | None = None, roster: set[str] | None = None,
            scratch: Path | None = None) -> list[Submission]:
    """Copy the submissions in `src` into root/.grading/submitted/; one Submission per (student, assignment).

    Problems (malformed or missing notebook, unknown assignment or student) are recorded on the submission;
    nothing is raised, so one student's problem never stops the others.
    """
    src = Path(src)
    if not src.is_dir():
        raise FileNotFoundError(f"submissions folder {src} does not exist")
    known = assignments(root)
    problems: dict[str, list[str]] = {}
    if any(src.glob("*.zip")):
        scratch = scratch or root / ".grading" / "unzipped"
        shutil.rmtree(scratch, ignore_errors=True)
        _unpack_zips(src, scratch, assignment, problems)
        sources = [scratch, src]
    else:
        sources = [src]
    out: dict[tuple[str, str], Submission] = {}
    for base in sources:
        for sdir in sorted(p for p in base.iterdir() if p.is_dir()):
            student = sdir.name
            if not _valid_student(student):
                problems.setdefault(student, []).append(f"{sdir.name!r} is not a valid student id; skipped")
                continue
            if roster is not None and student not in roster:
                problems.setdefault(student, []).append(f"student {student!r} is not in the roster; skipped")
                continue
            adirs = sorted(p for p in sdir.iterdir() if p.is_dir())
            if not adirs:
                problems.setdefault(student, []).append(
                    f"{sdir} has no assignment folder (expected {sdir}/<assignment>/*.ipynb)")
            for adir in adirs:
                if assignment and adir.name != assignment:
                    continue
                if adir.name not in known:
                    problems.setdefault(student, []).append(
                        f"unknown assignment folder {adir.name!r} (the course has {', '.join(known)})")
                    continue
                sub = out.setdefault((student, adir.name), Submission(student, adir.name))
                _copy_notebooks(adir, root, sub)
    for student, msgs in problems.items():
        sub = next((s for s in out.values() if s.student == student), None)
        if sub is None:
            sub = out.setdefault((student, assignment or "?"), Submission(student, assignment or "?"))
        sub.problems.extend(msgs)
    return sorted(out.values(), key=lambda s: (s.assignment, s.student))


def _copy_notebooks(adir: Path, root: Path, sub: Submission) -> None:
    dest = root / ".grading" / "submitted" / sub.student / sub.assignment
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    expected = expected_notebooks(root, sub.assignment)
    for name in expected:
        path = adir / name
        if not path.is_file():
            sub.problems.append(f"{sub.assignment}/{name} is missing")
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:  # noqa: BLE001 - any unreadable notebook is reported the same way
            sub.problems.append(f"{sub.assignment}/{name} is not a readable notebook "
                                f"({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
            continue
        nbformat.write(nb, dest / name)
        sub.notebooks.append(name)
    extra = sorted(p.name for p in adir.glob("*.ipynb") if p.name not in expected)
    if extra:
        sub.problems.append(f"ignored notebooks not in the assignment: {', '.join(extra)}")
    if not sub.notebooks:
        shutil.rmtree(dest, ignore_errors=True)
