"""The course registry: assignments → notebooks → exercises, read from ``assignments.toml`` (the one source).

From the registry, ``python -m autograder.registry`` writes what used to be written by hand:

- the visible and hidden **test cells** of every exercise in ``source/<assignment>/<notebook>`` (source and nbgrader
  points, via ``autograder.authoring.tests``; a missing pair is inserted right after the exercise's solution cell);
- each notebook's **"What you will build" table** (the first markdown table after that heading in the intro cell);
- **README.md's assignment table** (the table after "Assignments so far:");
- the points of every **written question** (an nbgrader manually graded answer cell ``<module>-<name>-answer``,
  whose model answer / rubric sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in the source only) and
  its row in the points table;
- ``source/<assignment>/provided.py`` for an assignment that `uses` exercises of EARLIER assignments: their
  reference code, read-only (nbgrader copies it into the release).

``--check`` writes nothing and exits 1 listing what is stale (tests/assignments/test_registry.py runs it). The
round trip (tests/assignments/test_round_trip.py) reads exercise ids and points from here.
"""

import re
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import nbformat

from autograder import authoring

COURSE_ROOT = Path(__file__).resolve().parents[1]
MANIFEST = "assignments.toml"
_ID = re.compile(r"^[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
_ASSIGNMENT = re.compile(r"^a\d+_[a-z0-9_]+$")
KINDS = ("visible", "hidden")


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: ``module.function`` with the points of its visible and hidden test cells."""

    id: str
    visible: float
    hidden: float
    assignment: str
    notebook: str
    part: str = ""
    label: str = ""
    uses: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return self.id.partition(".")[0]

    @property
    def name(self) -> str:
        return self.id.partition(".")[2]

    @property
    def points(self) -> float:
        return self.visible + self.hidden

    def grade_id(self, kind: str) -> str:
        """The nbgrader grade_id of this exercise's `kind` cell: ``module-function-kind``."""
        return f"{self.module}-{self.name}-{kind}"


@dataclass(frozen=True)
class Question:
    """A written question: an answer cell graded by hand (``module-name-answer``), worth `points`."""

    id: str
    points: float
    assignment: str
    notebook: str
    label: str = ""

    @property
    def grade_id(self) -> str:
        module, _, name = self.id.partition(".")
        return f"{module}-{name}-answer"


@dataclass(frozen=True)
class Assignment:
    id: str
    topics: str
    notebooks: tuple[str, ...]
    exercises: tuple[Exercise, ...]
    questions: tuple[Question, ...] = ()

    @property
    def auto_points(self) -> float:
        """Points of the autograded test cells."""
        return sum(e.points for e in self.exercises)

    @property
    def manual_points(self) -> float:
        """Points of the written questions (graded by hand)."""
        return sum(q.points for q in self.questions)

    @property
    def points(self) -> float:
        return self.auto_points + self.manual_points

    def of_notebook(self, notebook: str) -> tuple[Exercise, ...]:
        return tuple(e for e in self.exercises if e.notebook == notebook)

    def questions_of(self, notebook: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.notebook == notebook)


class RegistryError(ValueError):
    """assignments.toml does not describe a valid course (the message says what to fix)."""


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise RegistryError(f"{where}: points must be a positive number, got {value!r}")
    return float(value)


def parse(data: dict[str, Any], where: str = MANIFEST) -> dict[str, Assignment]:
    """The assignments of a parsed manifest, validated (ids, points, unique ids, `uses` only of EARLIER exercises)."""
    assignments: dict[str, Assignment] = {}
    seen: set[str] = set()
    for aid, body in data.items():
        if not _ASSIGNMENT.match(aid) or not isinstance(body, dict):
            raise RegistryError(f"{where}: [{aid}] is not an assignment table named like a4_nets")
        notebooks, exercises, questions = [], [], []
        for nb in body.get("notebooks", []):
            file = nb.get("file", "")
            if not isinstance(file, str) or not file.endswith(".ipynb") or "/" in file:
                raise RegistryError(f"{where}: [{aid}] notebook file must be a name like 'knn.ipynb', got {file!r}")
            notebooks.append(file)
            for i, ex in enumerate(nb.get("exercises", [])):
                here = f"{where}: {aid}/{file} exercise {i + 1}"
                unknown = set(ex) - {"id", "visible", "hidden", "part", "label", "uses"}
                if unknown:
                    raise RegistryError(f"{here}: unknown field(s) {sorted(unknown)}")
                eid = ex.get("id", "")
                if not isinstance(eid, str) or not _ID.match(eid):
                    raise RegistryError(f"{here}: id must be 'module.function', got {eid!r}")
                if eid in seen:
                    raise RegistryError(f"{here}: {eid} is registered twice")
                uses = tuple(ex.get("uses", ()))
                for used in uses:
                    if used not in seen:
                        raise RegistryError(f"{here}: {eid} uses {used!r}, which is not an exercise registered "
                                            "before it")
                seen.add(eid)
                exercises.append(Exercise(eid, _number(ex.get("visible"), f"{here} ({eid}) visible"),
                                          _number(ex.get("hidden"), f"{here} ({eid}) hidden"), aid, file,
                                          str(ex.get("part", "")), str(ex.get("label", "")), uses))
            for i, q in enumerate(nb.get("questions", [])):
                here = f"{where}: {aid}/{file} question {i + 1}"
                unknown = set(q) - {"id", "points", "label"}
                if unknown:
                    raise RegistryError(f"{here}: unknown field(s) {sorted(unknown)}")
                qid = q.get("id", "")
                if not isinstance(qid, str) or not _ID.match(qid):
                    raise RegistryError(f"{here}: id must be 'module.name', got {qid!r}")
                if qid in seen:
                    raise RegistryError(f"{here}: {qid} is registered twice")
                seen.add(qid)
                questions.append(Question(qid, _number(q.get("points"), f"{here} ({qid}) points"), aid, file,
                                          str(q.get("label", ""))))
        if not exercises:
            raise RegistryError(f"{where}: [{aid}] has no exercises")
        assignments[aid] = Assignment(aid, str(body.get("topics", "")), tuple(notebooks), tuple(exercises),
                                      tuple(questions))
    return assignments


@cache
def load(root: Path = COURSE_ROOT) -> dict[str, Assignment]:
    """The registry of the course at `root` ({assignment id: Assignment}, in teaching order)."""
    path = root / MANIFEST
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"{path} is missing: it lists the assignments and their exercises") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path} is not valid TOML: {exc}") from None
    return parse(data, str(path))


def exercise(exercise_id: str, root: Path = COURSE_ROOT) -> Exercise:
    """The registered exercise `exercise_id` (KeyError naming the manifest if there is none)."""
    for a in load(root).values():
        for e in a.exercises:
            if e.id == exercise_id:
                return e
    raise KeyError(f"{exercise_id!r} is not registered in {MANIFEST}")


def cell_points(assignment: str, root: Path = COURSE_ROOT) -> dict[str, float]:
    """{grade_id: points} of every autograded test cell of `assignment`, as the manifest says nbgrader grades them."""
    return {e.grade_id(kind): getattr(e, kind) for e in load(root)[assignment].exercises for kind in KINDS}


def answer_points(assignment: str, root: Path = COURSE_ROOT) -> dict[str, float]:
    """{grade_id: points} of every written answer cell of `assignment` (graded by hand)."""
    return {q.grade_id: q.points for q in load(root)[assignment].questions}


# ---- generated text ---------------------------------------------------------------------------------------
def _pts(p: float) -> str:
    return f"{p:g}"


def _question_rows(questions: tuple[Question, ...]) -> list[str]:
    return [f"| Q{i} | written: {q.label or q.id} | {_pts(q.points)} (graded by hand) |"
            for i, q in enumerate(questions, 1)]


def points_table(exercises: tuple[Exercise, ...], questions: tuple[Question, ...] = ()) -> str:
    """The intro's "What you will build" table: numbered rows, or rows grouped by part with a total; then the
    written questions."""
    if not any(e.part for e in exercises):
        rows = ["| exercise | function | points |", "|---|---|---|"]
        for i, e in enumerate(exercises, 1):
            name = f"`{e.name}`" + (f" {e.label}" if e.label else "")
            rows.append(f"| {i} | {name} | {_pts(e.visible)} + {_pts(e.hidden)} |")
        return "\n".join(rows + _question_rows(questions))
    rows = ["| part | exercise | points |", "|---|---|---|"]
    groups: list[list[Exercise]] = []
    for e in exercises:  # consecutive exercises of one part with the same points share a row
        last = groups[-1][-1] if groups else None
        if last is not None and (last.part, last.visible, last.hidden) == (e.part, e.visible, e.hidden):
            groups[-1].append(e)
        else:
            groups.append([e])
    previous_part = None
    for group in groups:
        first = group[0]
        part = first.part if first.part != previous_part else ""
        previous_part = first.part
        names = ", ".join(f"`{e.name}`" + (f" {e.label}" if e.label else "") for e in group)
        each = " each" if len(group) > 1 else ""
        rows.append(f"| {part} | {names} | {_pts(first.visible)} + {_pts(first.hidden)}{each} |".replace("|  |", "| |"))
    rows += _question_rows(questions)
    rows.append(f"| | **total** | **{_pts(sum(e.points for e in exercises) + sum(q.points for q in questions))}** |")
    return "\n".join(rows)


def readme_table(assignments: dict[str, Assignment]) -> str:
    """README.md's table of assignments: id, points, topics."""
    rows = ["| id | points | topics |", "|---|---|---|"]
    rows += [f"| {a.id} | {_pts(a.auto_points)}" + (f" + {_pts(a.manual_points)} written" if a.questions else "")
             + f" | {a.topics} |" for a in assignments.values()]
    return "\n".join(rows)


def replace_table(text: str, anchor: str, table: str) -> str:
    """`text` with the first markdown table after the line containing `anchor` replaced by `table`."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if anchor in line), None)
    if start is None:
        raise RegistryError(f"no line containing {anchor!r} to put the generated table after")
    first = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("|")), None)
    if first is None:
        raise RegistryError(f"no markdown table after {anchor!r}: add one (any content) where it should go")
    last = first
    while last + 1 < len(lines) and lines[last + 1].startswith("|"):
        last += 1
    return "\n".join(lines[:first] + table.split("\n") + lines[last + 1:])


PROVIDED = "provided.py"


def provided_ids(assignment: str, root: Path = COURSE_ROOT) -> list[str]:
    """The exercises of EARLIER assignments that `assignment`'s exercises use (what its provided.py must hold)."""
    assignments = load(root)
    order = list(assignments)
    earlier = {e.id for a in order[:order.index(assignment)] for e in assignments[a].exercises}
    used = [u for e in assignments[assignment].exercises for u in e.uses]
    return sorted(set(used) & earlier)


def provided_source(assignment: str, root: Path = COURSE_ROOT) -> str | None:
    """The text of source/<assignment>/provided.py — the reference code of the earlier exercises it uses, released
    after their deadline, so no student copies old code forward — or None if it uses none."""
    ids = provided_ids(assignment, root)
    if not ids:
        return None
    parts = [f'"""Read-only reference implementations of earlier exercises used by {assignment}: {", ".join(ids)}.\n\n'
             'Generated from solutions/ by `python -m autograder.registry` (from the `uses` of assignments.toml); do '
             'not edit.\n"""\n\nimport numpy as np\n']
    parts += [authoring.reference_source(*eid.split(".")) for eid in ids]
    return "\n\n".join(parts) + "\n"


# ---- sync ---------------------------------------------------------------------------------------------------
TABLE_ANCHOR = "**What you will build**"
README_ANCHOR = "Assignments so far:"


def _test_cells(e: Exercise) -> dict[str, Any]:
    visible, hidden = authoring.tests(e.module, e.name, e.visible, e.hidden)
    return {e.grade_id("visible"): visible, e.grade_id("hidden"): hidden}


def _answer_meta(q: Question) -> dict[str, Any]:
    return {"grade": True, "grade_id": q.grade_id, "locked": False, "points": q.points, "schema_version": 3,
            "solution": True}


def sync_notebook(path: Path, exercises: tuple[Exercise, ...], write: bool = True,
                  questions: tuple[Question, ...] = ()) -> tuple[list[str], list[str]]:
    """Bring one source notebook's test cells and points table up to date: (what was stale, what blocks the sync).

    A blocking problem (a graded cell no exercise registers, an exercise without its solution cell) needs an
    author's decision: then nothing is written.
    """
    nb = nbformat.read(path, as_version=4)
    stale: list[str] = []
    blocking: list[str] = []
    registered = {gid: cell for e in exercises for gid, cell in _test_cells(e).items()}
    graded = {authoring.grade_id(c) for c in nb.cells if authoring.nbgrader_meta(c).get("grade")}
    answers = {q.grade_id: q for q in questions}
    for gid in sorted(graded - set(registered) - set(answers)):
        blocking.append(f"{gid}: a graded cell of an exercise not registered in {MANIFEST} (register it or remove it)")
    for cell in nb.cells:
        q = answers.get(authoring.grade_id(cell))
        if q is not None and cell.metadata.get("nbgrader") != _answer_meta(q):
            stale.append(f"{q.grade_id}: answer cell points")
            cell.metadata["nbgrader"] = _answer_meta(q)
    for gid in sorted(set(answers) - {authoring.grade_id(c) for c in nb.cells}):
        blocking.append(f"{answers[gid].id}: no answer cell {gid} (add the question and its answer cell)")
    for cell in nb.cells:
        want = registered.get(authoring.grade_id(cell))
        if want is not None and (cell.source, cell.metadata.get("nbgrader")) != (want.source,
                                                                                  want.metadata["nbgrader"]):
            stale.append(f"{authoring.grade_id(cell)}: test cell")
            cell.source, cell.metadata["nbgrader"] = want.source, dict(want.metadata["nbgrader"])
    for e in exercises:  # a new exercise: its two test cells go right after its solution cell
        if e.grade_id("visible") in graded:
            continue
        at = next((i for i, c in enumerate(nb.cells) if authoring.grade_id(c) == e.grade_id("solution")), None)
        if at is None:
            blocking.append(f"{e.id}: no solution cell {e.grade_id('solution')} (add the exercise's cells to the "
                            "notebook)")
            continue
        cells = list(_test_cells(e).values())
        for c in cells:
            c["id"] = authoring.grade_id(c)
        nb.cells[at + 1:at + 1] = cells
        stale.append(f"{e.id}: test cells inserted")
    intro = nb.cells[0]
    if intro.cell_type == "markdown":
        table = replace_table(intro.source, TABLE_ANCHOR, points_table(exercises, questions))
        if table != intro.source:
            stale.append("intro: points table")
            intro.source = table
    if stale and write and not blocking:
        nbformat.validate(nb)
        nbformat.write(nb, path)
    return stale, blocking


def sync(root: Path = COURSE_ROOT, write: bool = True) -> list[str]:
    """Sync every registered notebook and the README; returns '<file>: <what>' for everything that was stale."""
    assignments = load(root)
    problems = []
    for a in assignments.values():
        for file in a.notebooks:
            path = root / "source" / a.id / file
            if not path.is_file():
                problems.append(f"source/{a.id}/{file}: registered in {MANIFEST} but missing")
                continue
            stale, blocking = sync_notebook(path, a.of_notebook(file), write, a.questions_of(file))
            problems += [f"source/{a.id}/{file}: {s}" for s in blocking + stale]
    for a in assignments.values():
        want, path = provided_source(a.id, root), root / "source" / a.id / PROVIDED
        have = path.read_text(encoding="utf-8") if path.is_file() else None
        if want != have:
            problems.append(f"source/{a.id}/{PROVIDED}: {'stale' if want else 'not generated by the registry'}")
            if write and want is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(want, encoding="utf-8")
            elif write:
                path.unlink()
    known = {f"source/{a.id}/{f}" for a in assignments.values() for f in a.notebooks}
    for path in authoring.source_notebooks(root):
        rel = path.relative_to(root).as_posix()
        if rel not in known:
            problems.append(f"{rel}: a source notebook not registered in {MANIFEST}")
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    fresh = replace_table(text, README_ANCHOR, readme_table(assignments))
    if fresh != text:
        problems.append("README.md: assignment table")
        if write:
            readme.write_text(fresh, encoding="utf-8")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Write the generated parts (or, with --check, exit 1 listing the stale ones)."""
    argv = sys.argv[1:] if argv is None else argv
    check_only = "--check" in argv
    try:
        problems = sync(write=not check_only)
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in problems:
        print(f"{line} {'is stale' if check_only else 'updated'}")
    return 1 if (check_only and problems) else 0


if __name__ == "__main__":
    raise SystemExit(main())
