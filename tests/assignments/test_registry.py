"""Tests of autograder.registry: assignments.toml is the one source of truth, and everything generated from it is fresh."""

import importlib
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder import authoring, registry

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = [e for a in registry.load().values() for e in a.exercises]


def test_generated_parts_are_fresh(capsys):
    """`python -m autograder.registry --check` exits 0: test cells, points tables and README table match the manifest."""
    assert registry.main(["--check"]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_every_registered_exercise_has_reference_visible_and_hidden_check(ex):
    """Each registered id names a function of solutions/<module>.py, a visible check and a hidden check."""
    from autograder import hidden
    from course import checks

    assert callable(getattr(importlib.import_module(f"solutions.{ex.module}"), ex.name))
    assert callable(checks._lookup(ex.id))
    assert hidden.lookup(ex.id).exercise_id == ex.id


def test_every_check_is_registered():
    """Every exercise of the manifest has a visible and a hidden check, and no check exists for an exercise the
    manifest does not list (after importing them all)."""
    from autograder import hidden
    from course import checks

    for module in {e.module for e in EXERCISES}:
        importlib.import_module(f"course.checks.{module}")
        hidden._import_checks(module)
    ids = {e.id for e in EXERCISES}
    assert all(hidden.lookup(i).case_types for i in ids)
    assert set(checks._REGISTRY) == ids
    assert set(hidden._REGISTRY) == ids


def test_assignment_points_equal_the_sum_of_their_cells():
    """An assignment's points are its exercises' visible and hidden points plus its written questions' points
    (a1_knn: 18 + 4)."""
    a = registry.load()["a1_knn"]
    assert a.auto_points == sum(e.visible + e.hidden for e in a.exercises) == 18
    assert a.points == a.auto_points + sum(q.points for q in a.questions) == 22


@pytest.mark.parametrize("mutate, phrase", [
    (lambda d: d["a1_knn"]["notebooks"][0]["exercises"].append({"id": "knn.predict_labels", "visible": 1, "hidden": 1}),
     "registered twice"),
    (lambda d: d["a1_knn"]["notebooks"][0]["exercises"][0].update(visible=0), "positive number"),
    (lambda d: d["a1_knn"]["notebooks"][0]["exercises"][0].update(id="knn-two-loops"), "module.function"),
    (lambda d: d["a1_knn"]["notebooks"][0]["exercises"][0].update(points=2), "unknown field"),
    (lambda d: d["a0_concepts"]["notebooks"][0]["exercises"][0].update(uses=["knn.predict_labels"]),
     "not an exercise registered before it"),
    (lambda d: d["a1_knn"]["notebooks"][0].update(file="knn"), "notebook file"),
    (lambda d: d["a1_knn"]["notebooks"][0]["questions"][0].update(points=0), "positive number"),
    (lambda d: d["a1_knn"]["notebooks"][0]["questions"][0].update(id="knn.predict_labels"), "registered twice"),
    (lambda d: d["a1_knn"]["notebooks"][0]["questions"][0].update(rubric="x"), "unknown field"),
])
def test_invalid_manifest_gets_a_clear_error(mutate, phrase):
    """Duplicate ids, bad points, bad ids, unknown fields, `uses` of a later exercise, bad file names, bad written
    questions: RegistryError."""
    import tomllib

    data = tomllib.loads((ROOT / registry.MANIFEST).read_text())
    mutate(data)
    with pytest.raises(registry.RegistryError, match=phrase):
        registry.parse(data)


@pytest.fixture
def course_copy(tmp_path):
    """A copy of the manifest, README.md and source/ (enough for sync), with the registry cache cleared around it."""
    for name in (registry.MANIFEST, "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "source", tmp_path / "source")
    registry.load.cache_clear()
    yield tmp_path
    registry.load.cache_clear()


def _cell(path, gid):
    nb = nbformat.read(path, as_version=4)
    return next(c for c in nb.cells if authoring.grade_id(c) == gid), nb


def test_changing_points_in_the_manifest_updates_cells_tables_and_readme(course_copy):
    """Raising knn.predict_labels to 3 + 3 rewrites its cells' points and headers, the intro table and README's total."""
    manifest = course_copy / registry.MANIFEST
    manifest.write_text(manifest.read_text().replace(
        '{ id = "knn.predict_labels", visible = 2, hidden = 2 }', '{ id = "knn.predict_labels", visible = 3, hidden = 3 }'))
    assert registry.sync(course_copy, write=False)  # stale before
    registry.sync(course_copy)
    assert registry.sync(course_copy, write=False) == []  # fresh after
    nb_path = course_copy / "source" / "a1_knn" / "knn.ipynb"
    cell, nb = _cell(nb_path, "knn-predict_labels-hidden")
    assert cell.metadata["nbgrader"]["points"] == 3 and "(3 points)" in cell.source
    assert "| 4 | `predict_labels` | 3 + 3 |" in nb.cells[0].source
    assert "| a1_knn | 20 + 4 written |" in (course_copy / "README.md").read_text()


def test_a_new_exercise_gets_its_test_cells_after_its_solution_cell(course_copy):
    """Registering an exercise whose solution cell exists inserts its visible and hidden cells right after it."""
    nb_path = course_copy / "source" / "a1_knn" / "knn.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells = [c for c in nb.cells if not authoring.grade_id(c).startswith("knn-predict_labels-v")
                and authoring.grade_id(c) != "knn-predict_labels-hidden"]
    nbformat.write(nb, nb_path)
    problems = registry.sync(course_copy)
    assert any("knn.predict_labels: test cells inserted" in p for p in problems)
    nb = nbformat.read(nb_path, as_version=4)
    ids = [authoring.grade_id(c) for c in nb.cells]
    at = ids.index("knn-predict_labels-solution")
    assert ids[at + 1:at + 3] == ["knn-predict_labels-visible", "knn-predict_labels-hidden"]
    nbformat.validate(nb)


def test_an_unregistered_graded_cell_is_reported_and_nothing_is_written(course_copy):
    """A graded cell whose exercise is not in the manifest is reported; the notebook is left as it was."""
    manifest = course_copy / registry.MANIFEST
    manifest.write_text(manifest.read_text().replace(
        '  { id = "knn.compute_distances_one_loop", visible = 1, hidden = 1 },\n', ""))
    nb_path = course_copy / "source" / "a1_knn" / "knn.ipynb"
    before = nb_path.read_bytes()
    problems = registry.sync(course_copy)
    assert any("knn-compute_distances_one_loop-visible" in p and "not registered" in p for p in problems)
    assert nb_path.read_bytes() == before


def test_written_question_points_are_synced_and_a_missing_answer_cell_blocks(course_copy):
    """A question's points in the manifest are written into its answer cell and the intro table; a question whose
    answer cell is missing is reported as blocking and nothing is written."""
    manifest = course_copy / registry.MANIFEST
    manifest.write_text(manifest.read_text().replace('{ id = "knn.q_validation", points = 2,',
                                                     '{ id = "knn.q_validation", points = 3,'))
    registry.load.cache_clear()
    registry.sync(course_copy)
    cell, nb = _cell(course_copy / "source" / "a1_knn" / "knn.ipynb", "knn-q_validation-answer")
    assert cell.metadata["nbgrader"]["points"] == 3 and cell.metadata["nbgrader"]["solution"]
    assert "| 3 (graded by hand) |" in nb.cells[0].source
    manifest.write_text(manifest.read_text().replace('id = "knn.q_validation"', 'id = "knn.q_missing"'))
    registry.load.cache_clear()
    before = (course_copy / "source" / "a1_knn" / "knn.ipynb").read_bytes()
    problems = registry.sync(course_copy)
    assert any("knn.q_missing: no answer cell knn-q_missing-answer" in p for p in problems)
    assert (course_copy / "source" / "a1_knn" / "knn.ipynb").read_bytes() == before


def test_missing_manifest_says_what_it_is(tmp_path):
    """Without assignments.toml, load raises RegistryError saying what the file holds."""
    with pytest.raises(registry.RegistryError, match="lists the assignments"):
        registry.load(tmp_path)


A4 = '''
[a4_nets]
topics = "a later assignment that builds on earlier ones"

[[a4_nets.notebooks]]
file = "nets.ipynb"
exercises = [
  { id = "knn.new_helper_of_a4", visible = 1, hidden = 1, uses = ["linear.softmax_loss_vectorized", "knn.compute_distances_no_loops"] },
  { id = "knn.second_of_a4", visible = 1, hidden = 1, uses = ["knn.new_helper_of_a4"] },
]
'''


def test_provided_module_holds_exactly_the_earlier_exercises_used(course_copy):
    """A later assignment's provided.py holds the reference code of the EARLIER exercises it uses (not its own), and
    that code computes what solutions/ computes."""
    import numpy as np

    from solutions import knn, linear

    (course_copy / registry.MANIFEST).write_text((course_copy / registry.MANIFEST).read_text() + A4)
    assert registry.provided_ids("a4_nets", course_copy) == ["knn.compute_distances_no_loops",
                                                             "linear.softmax_loss_vectorized"]
    problems = registry.sync(course_copy)
    assert "source/a4_nets/provided.py: stale" in problems
    path = course_copy / "source" / "a4_nets" / registry.PROVIDED
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    defined = {k for k, v in namespace.items() if callable(v) and getattr(v, "__module__", None) is None}
    assert defined == {"compute_distances_no_loops", "softmax_loss_vectorized"}
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    np.testing.assert_allclose(namespace["compute_distances_no_loops"](A, B), knn.compute_distances_no_loops(A, B),
                               rtol=1e-12, atol=1e-12)
    W, X, y = rng.normal(size=(3, 4)), rng.normal(size=(6, 3)), rng.integers(0, 4, size=6)
    got, want = namespace["softmax_loss_vectorized"](W, X, y, 0.1), linear.softmax_loss_vectorized(W, X, y, 0.1)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-15)
    assert registry.provided_source("a1_knn", course_copy) is None  # the first assignments use nothing earlier


def test_no_committed_assignment_ships_a_provided_module_it_does_not_need():
    """source/<a>/provided.py exists exactly for the assignments that use earlier exercises."""
    for a in registry.load():
        assert (ROOT / "source" / a / registry.PROVIDED).is_file() == bool(registry.provided_ids(a))
