"""nndl-course — the instructor's command line (build, grade, feedback, export, status, demo).

Every subcommand works on a course folder (the one holding nbgrader_config.py: the current directory if it
has one, else this checkout; `--course DIR` to choose) and keeps all grading state in its .grading/ folder.
Pipeline order, declared once: build → collect → autograde → feedback → export.
"""
import argparse
import sys
from pathlib import Path
from typing import Any

from autograder.nbg import COURSE_ROOT


def course_root(arg: str | None) -> Path:
    """The course folder: --course, else the cwd if it holds nbgrader_config.py, else this checkout."""
    if arg:
        root = Path(arg).resolve()
    elif (Path.cwd() / "nbgrader_config.py").is_file():
        root = Path.cwd()
    else:
        root = COURSE_ROOT
    if not (root / "nbgrader_config.py").is_file():
        raise SystemExit(f"error: {root} is not a course folder (no nbgrader_config.py); pass --course DIR")
    return root


def cmd_build(args: argparse.Namespace) -> int:
    from autograder.build import build

    for folder in build(args.assignments or None, root=args.root):
        print(f"built {folder.relative_to(args.root)}")
    return 0


def grade_folder(root: Path, submissions: Path, assignment: str | None = None, roster: set[str] | None = None,
                 cell_timeout: float | None = None, check_timeout: float | None = None,
                 workers: int | None = None, unsafe: bool = False) -> int:
    """Collect and autograde a folder of submissions; print problems and the score table. Returns exit code."""
    from autograder.build import check_assignment
    from autograder.collect import collect
    from autograder.grade import autograde, grading_secret
    from autograder.sandbox import isolation_problem

    if assignment:
        check_assignment(assignment, root)
    problem = isolation_problem()
    if problem and not unsafe:
        print(f"error: refusing to grade: {problem}.\n  `nndl-course doctor` lists the isolation layers; only "
              "--unsafe runs student code without isolation (it could then read the solutions and the gradebook).",
              file=sys.stderr)
        return 3
    if problem:
        print(f"  ! --unsafe: student code runs without isolation ({problem})")
    grading_secret(root)
    subs = collect(submissions, root, assignment=assignment, roster=roster)
    failed = False
    for sub in subs:
        for problem in sub.problems:
            print(f"  ! {sub.student}: {problem}")
        if not sub.gradable:
            failed = True
            what = sub.assignment if sub.assignment != "?" else "nothing"
            print(f"  ✗ {sub.student}: {what} could not be graded")
    by_assignment: dict[str, list[str]] = {}
    for sub in subs:
        if sub.gradable:
            by_assignment.setdefault(sub.assignment, []).append(sub.student)
    for name, students in sorted(by_assignment.items()):
        ensure_built(root, name)
        print(f"grading {name}: {len(students)} submission(s), sandboxed kernels, outside verdicts")
        results = autograde(root, name, students, cell_timeout=cell_timeout, check_timeout=check_timeout,
                            workers=workers, unsafe=unsafe, on_result=report_result)
        failed = failed or not all(result.ok for result in results)
        print_table(root, name)
    if not subs:
        print(f"no submissions found in {submissions} (expected <student>/<assignment>/*.ipynb or <student>.zip)")
        failed = True
    return 1 if failed else 0


def ensure_built(root: Path, assignment: str) -> None:
    """Build `assignment` if the gradebook does not know it yet (autograde needs its cells recorded there)."""
    from autograder.build import build
    from autograder.gradebook import max_points

    try:
        known = bool(max_points(root, assignment))
    except Exception:  # noqa: BLE001 - nbgrader raises MissingEntry (or a DB error on a new course)
        known = False
    if not known:
        print(f"  (building {assignment}: the gradebook does not know it yet)")
        build([assignment], root=root)


def report_result(result: Any) -> None:
    """One line per submission as soon as it is graded (through tqdm.write: the progress bar stays intact)."""
    from tqdm.auto import tqdm

    if result.ok:
        lines = [f"  ✓ {result.student}: {result.message}"]
    else:
        lines = [f"  ✗ {result.student}: could not grade {result.assignment}: {result.message}"]
    lines += [f"      {line}" for line in result.lines]
    tqdm.write("\n".join(lines), file=sys.stdout)


TABLE_WIDTH = 100  # the summary never gets wider than this, whatever the terminal (logs, e-mails, LMS notes)


def print_table(root: Path, assignment: str, width: int | None = None) -> None:
    """Print the points of `assignment` in at most `width` columns (default: the terminal's, at most 100): a
    student × exercise table if it fits, otherwise one line per student with the total and the exercises that
    lost points, wrapped."""
    import shutil
    import textwrap

    from autograder.export import exercise_of, per_exercise, table
    from autograder.gradebook import max_points, needs_grading

    exercises, rows = table(root, assignment)
    tails = [e.split(".", 1)[-1] for e in exercises]  # "knn.predict_labels" → "predict_labels", unless ambiguous
    short = [t if tails.count(t) == 1 else e for e, t in zip(exercises, tails)]
    width = min(width or shutil.get_terminal_size((TABLE_WIDTH, 24)).columns, TABLE_WIDTH)
    name_width = min(max([7] + [len(str(row["student"])) for row in rows]), 16) + 2  # longer ids: own line
    widths = [max(len(s), 5) for s in short]
    header = f"{'student':<{name_width}}" + " ".join(f"{s:>{w}}" for s, w in zip(short, widths)) + "   total"
    print(f"\n{assignment}")
    if len(header) <= width:
        print(header)
        for row in rows:
            cells = " ".join(f"{row[e]:>{w}g}" for e, w in zip(exercises, widths))
            print(f"{row['student']:<{name_width}}{cells}   {row['total']:g}/{row['max']:g}")
        return
    maxima = per_exercise(max_points(root, assignment))
    waiting = {student: {exercise_of(g) for g in cells} for student, cells in needs_grading(root, assignment).items()}
    header = f"{'student':<{name_width}}{'total':>9}   points lost in (every point: nndl-course export)"
    print(header if len(header) <= width else "student, total, points lost in (nndl-course export)")
    for row in rows:
        student = str(row["student"])
        if len(student) >= name_width:
            print(student)
            student = ""
        lead = f"{student:<{name_width}}{row['total']:>5g}/{row['max']:<3g}   "
        if row["total"] == 0:
            lost = ["nothing scored"]
        else:
            pending = waiting.get(str(row["student"]), set())
            lost = [f"{s}\xa0{row[e]:g}/{maxima[e]:g}" for e, s in zip(exercises, short)
                    if row[e] < maxima[e] and e not in pending]
            if pending:  # written answers: not lost, waiting for the formgrader
                lost.append("to grade by hand: " + ",\xa0".join(s for e, s in zip(exercises, short) if e in pending))
        text = textwrap.fill(", ".join(lost) or "-", width, initial_indent=lead, subsequent_indent=" " * len(lead),
                             break_long_words=False, break_on_hyphens=False)
        print(text.replace("\xa0", " "))  # a "name got/max" pair is never split across lines


def cmd_grade(args: argparse.Namespace) -> int:
    roster = None
    if args.roster:
        roster = {l.strip().split(",")[0] for l in Path(args.roster).read_text().splitlines() if l.strip()}
    return grade_folder(args.root, Path(args.submissions), args.assignment, roster, args.timeout, args.check_timeout,
                        workers=args.workers, unsafe=args.unsafe)


def cmd_feedback(args: argparse.Namespace) -> int:
    from autograder.feedback import generate_feedback

    for name in graded_assignments(args.root, args.assignments):
        files = generate_feedback(args.root, name)
        print(f"feedback for {name}: {len(files)} file(s) in {(args.root / '.grading' / 'feedback').relative_to(args.root)}/")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export what the gradebook knows: every graded assignment (or those named, each of which must be graded)."""
    from autograder.export import export_csv

    names = graded_assignments(args.root, args.assignments)
    out = Path(args.out) if args.out else args.root / ".grading" / "grades.csv"
    export_csv(args.root, names, out)
    with out.open() as fh:
        rows = sum(1 for _ in fh) - 1
    print(f"wrote {out}: {rows} row(s) for {', '.join(names)}")
    return 0


def graded_assignments(root: Path, named: list[str] | None = None) -> list[str]:
    """What the gradebook knows: the course's assignments with at least one graded submission, in course order;
    or `named`, after checking each is an assignment of the course (ValueError naming them) that has been graded."""
    from autograder.build import assignments, check_assignment
    from autograder.gradebook import exists, scores

    for name in named or []:
        check_assignment(name, root)
    graded = [name for name in assignments(root) if scores(root, name)] if exists(root) else []
    ungraded = [name for name in named or [] if name not in graded]
    if ungraded:
        raise ValueError(f"{', '.join(ungraded)}: no graded submission yet (graded: {', '.join(graded) or 'none'})")
    if not (named or graded):
        raise ValueError("nothing is graded yet: run `nndl-course grade SUBMISSIONS_DIR` first")
    return list(named or graded)


def cmd_status(args: argparse.Namespace) -> int:
    from autograder.build import assignments
    from autograder.gradebook import exists as gradebook_exists, scores

    for name in assignments(args.root):
        released = (args.root / "release" / name).is_dir()
        graded = scores(args.root, name) if gradebook_exists(args.root) else {}
        print(f"{name:<14} released: {'yes' if released else 'no ':<4} graded students: {len(graded)}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Which isolation layers grading has on this machine; exit 1 if student code cannot be isolated."""
    from autograder.sandbox import isolation_problem, layers

    for layer in layers():
        print(f"{'active ' if layer.active else 'missing'}  {layer.name:<29} {layer.why}")
    problem = isolation_problem()
    if problem:
        print(f"\ngrading cannot be isolated here: {problem}")
        return 1
    print("\ngrading is isolated on this machine")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from autograder.build import build
    from autograder.demo import ASSIGNMENT, CLASS, write_class
    from autograder.export import export_csv
    from autograder.feedback import generate_feedback

    root = args.root
    print("1/4 build the student release with nbgrader")
    build([ASSIGNMENT], root=root)
    subs = write_class(root / ".grading" / "demo-submissions", root)
    print(f"2/4 grade a sample class of {len(CLASS)} in {subs.relative_to(root)}/:")
    for student, (what, _) in CLASS.items():
        print(f"      {student}: {what}")
    from autograder.sandbox import isolation_problem

    unsafe = args.unsafe
    problem = isolation_problem()
    if problem and not unsafe:  # the sample class is our own code, so the demo may run it unisolated
        print(f"      (no isolation here: {problem}; the demo's own sample code runs without it —"
              " `grade` would refuse real submissions)")
        unsafe = True
    code = grade_folder(root, subs, ASSIGNMENT, cell_timeout=args.timeout, check_timeout=args.check_timeout,
                        workers=args.workers, unsafe=unsafe)
    print("\n3/4 feedback (hidden tests scrubbed)")
    files = generate_feedback(root, ASSIGNMENT)
    for f in files:
        print(f"      {f.relative_to(root)}")
    csv_path = export_csv(root, [ASSIGNMENT], root / ".grading" / "grades.csv")
    print(f"4/4 grades: {csv_path.relative_to(root)}")
    return code


def _pool_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=None, help="notebooks graded in parallel (default: number of cores)")
    p.add_argument("--unsafe", action="store_true",
                   help="grade without isolation when not root (student code then runs as you: it can read "
                        "source/, solutions/ and the gradebook)")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `nndl-course` console script."""
    parser = argparse.ArgumentParser(prog="nndl-course", description=__doc__.splitlines()[0])
    parser.add_argument("--course", help="course folder (default: cwd if it has nbgrader_config.py, else this checkout)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="generate release/ from source/ with nbgrader")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("grade", help="autograde SUBMISSIONS_DIR (<student>/<assignment>/*.ipynb or <student>.zip)")
    p.add_argument("submissions")
    p.add_argument("--assignment", help="grade only this assignment (needed for zips without folders)")
    p.add_argument("--roster", help="file with one student id per line (first CSV column); others are reported")
    p.add_argument("--timeout", type=float, default=None, help="seconds per notebook cell (default: nbgrader_config.py)")
    p.add_argument("--check-timeout", type=float, default=None, help="CPU seconds per student call inside a check (default 20; 5x that in wall time if it waits)")
    _pool_options(p)
    p.set_defaults(func=cmd_grade)
    p = sub.add_parser("feedback", help="HTML feedback per student, hidden tests scrubbed")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(func=cmd_feedback)
    p = sub.add_parser("export", help="grades CSV: student, assignment, points per exercise, total")
    p.add_argument("assignments", nargs="*")
    p.add_argument("--out", help="CSV path (default .grading/grades.csv)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("status", help="assignments, release state and graded students")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("doctor", help="which isolation layers grading has on this machine (exit 1: none)")
    p.set_defaults(func=cmd_doctor)
    p = sub.add_parser("demo", help="build, grade a sample class, write feedback and the CSV")
    p.add_argument("--timeout", type=float, default=20, help="seconds per cell (default 20)")
    p.add_argument("--check-timeout", type=float, default=3, help="CPU seconds per student call in a check (default 3)")
    _pool_options(p)
    p.set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    args.root = course_root(args.course)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
