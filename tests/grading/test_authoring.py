"""Tests of autograder.authoring: the source notebook's solution regions are generated from solutions/."""

import importlib.util
import shutil
import sys
import textwrap

import nbformat
import numpy as np
import pytest

from autograder import authoring
from solutions import knn
from tests.nbtools import ROOT, exercise_names, grade_id, strip_markers

SOURCE = ROOT / "source" / "a1_knn" / "knn.ipynb"
EXERCISES = exercise_names("a1_knn")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def synced_cells() -> dict[str, str]:
    """{grade_id: source} of the source notebook's -solution and -provided code cells."""
    nb = nbformat.read(SOURCE, as_version=4)
    return {grade_id(c): c.source for c in nb.cells if authoring.cell_target(c) is not None}


def test_committed_notebooks_are_in_sync(capsys):
    """`python -m autograder.authoring --check` exits 0 and reports nothing on the committed notebooks."""
    assert authoring.main(["--check"]) == 0
    assert capsys.readouterr().out == ""


def test_source_notebook_has_a_synced_cell_per_exercise():
    """a1_knn's source notebook has one solution cell per exercise and the provided classifier."""
    expected = {f"knn-{n}-solution" for n in EXERCISES} | {"knn-KNearestNeighbor-provided"}
    assert set(synced_cells()) == expected


@pytest.mark.parametrize("name", EXERCISES)
def test_notebook_solution_region_is_the_reference(name):
    """A solution cell without its two marker lines is exactly reference_source (the solutions/ code)."""
    cell = synced_cells()[f"knn-{name}-solution"]
    lines = cell.splitlines()
    assert sum(l.strip() == BEGIN for l in lines) == 1 and sum(l.strip() == END for l in lines) == 1
    assert strip_markers(cell) == authoring.reference_source("knn", name)


def test_notebook_provided_class_is_the_reference():
    """The read-only KNearestNeighbor cell is the source of solutions.knn.KNearestNeighbor, verbatim."""
    assert synced_cells()["knn-KNearestNeighbor-provided"] == authoring.reference_source("knn", "KNearestNeighbor")


@pytest.mark.parametrize("name", EXERCISES)
def test_solution_cell_wraps_exactly_the_body_after_the_docstring(name):
    """The markers enclose the body after the docstring; above them is the signature and docstring, no decorator."""
    src = authoring.solution_cell_source("knn", name)
    lines = src.splitlines()
    begin, end = lines.index(f"    {BEGIN}"), len(lines) - 1
    assert lines[end] == f"    {END}"
    head, body = "\n".join(lines[:begin]), "\n".join(lines[begin + 1:end])
    doc = knn.__dict__[name].__doc__
    assert head.startswith(f"def {name}(") and head.endswith('"""') and doc.strip().splitlines()[0] in head
    assert '"""' not in body and body.startswith("    ") and body.strip()
    assert not any(line.startswith("@") for line in lines)
    assert "@_validate" not in src


@pytest.mark.parametrize("name", [*EXERCISES, "KNearestNeighbor"])
def test_reference_source_drops_decorators(name):
    """reference_source starts at `def`/`class` (the validating decorators of solutions.knn are left out)."""
    src = authoring.reference_source("knn", name)
    assert src.startswith((f"def {name}(", f"class {name}:")) and not src.endswith("\n")
    assert "@_validate" not in src


def _exec_solution_cells() -> dict[str, object]:
    namespace: dict[str, object] = {"np": np}
    for gid, source in synced_cells().items():
        exec(compile(source, f"<source {gid}>", "exec"), namespace)  # noqa: S102
    return namespace


def test_notebook_solutions_behave_like_the_reference():
    """The source notebook's solution cells, exec'd, compute the same distances, votes and accuracies."""
    ns = _exec_solution_cells()
    rng = np.random.default_rng(7)
    X_test, X_train, y_train = rng.normal(size=(6, 4)), rng.normal(size=(15, 4)), rng.integers(0, 3, size=15)
    for name in EXERCISES[:3]:
        np.testing.assert_array_equal(ns[name](X_test, X_train), getattr(knn, name)(X_test, X_train))
    dists = knn.compute_distances_two_loops(X_test, X_train)
    for k in (1, 2, 5, 15):
        np.testing.assert_array_equal(ns["predict_labels"](dists, y_train, k=k), knn.predict_labels(dists, y_train, k=k))
    assert ns["cross_validate_k"](X_train, y_train, [1, 3], num_folds=3) == \
        knn.cross_validate_k(X_train, y_train, [1, 3], num_folds=3)


def test_cell_target_reads_grade_ids():
    """cell_target maps <module>-<name>-solution/-provided code cells to (kind, module, name), others to None."""
    def cell(gid, kind="code"):
        maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        return maker("", metadata={"nbgrader": {"grade_id": gid}})

    assert authoring.cell_target(cell("knn-predict_labels-solution")) == ("solution", "knn", "predict_labels")
    assert authoring.cell_target(cell("knn-KNearestNeighbor-provided")) == ("provided", "knn", "KNearestNeighbor")
    assert authoring.cell_target(cell("knn-predict_labels-visible")) is None
    assert authoring.cell_target(cell("knn-predict_labels-solution", kind="markdown")) is None
    assert authoring.cell_target(nbformat.v4.new_code_cell("x = 1")) is None


def test_sync_notebook_reports_then_repairs_a_drifted_cell(tmp_path):
    """An edited solution cell is reported (and the file left alone) by a check, and restored by a sync."""
    path = tmp_path / "knn.ipynb"
    shutil.copy(SOURCE, path)
    nb = nbformat.read(path, as_version=4)
    target = next(c for c in nb.cells if grade_id(c) == "knn-predict_labels-solution")
    target.source = target.source.replace("kind=\"stable\"", "kind=\"quicksort\"")
    nbformat.write(nb, path)
    drifted = path.read_bytes()
    assert authoring.sync_notebook(path, write=False) == ["knn-predict_labels-solution"]
    assert path.read_bytes() == drifted
    assert authoring.sync_notebook(path, write=True) == ["knn-predict_labels-solution"]
    assert authoring.sync_notebook(path, write=False) == []
    restored = next(c for c in nbformat.read(path, as_version=4).cells if grade_id(c) == "knn-predict_labels-solution")
    assert restored.source == authoring.solution_cell_source("knn", "predict_labels")


# ---- edge cases on a throwaway solutions module ------------------------------------------------------------
FAKE_MODULE = '''
import functools


def deco(fn):
    return fn


def deco_factory(*args):
    return deco


@deco
@deco_factory(
    1,
    2,
)
def decorated(x):
    """Twice x."""
    y = 2 * x
    return y


def undocumented(x):
    return x + 1


def only_docstring(x):
    """Nothing else."""


def nested_decorated(x):
    """A body that opens with a decorated helper."""
    @functools.lru_cache
    def helper(v):
        return v * 3
    return helper(x)
'''


@pytest.fixture
def fake_module(monkeypatch, tmp_path):
    """A module solutions._authoring_fake (from a temporary file) for reference_source to read."""
    path = tmp_path / "authoring_fake.py"
    path.write_text(FAKE_MODULE)
    spec = importlib.util.spec_from_file_location("solutions._authoring_fake", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "solutions._authoring_fake", module)
    return "_authoring_fake"


def test_multiline_decorators_are_dropped(fake_module):
    """Stacked and multi-line decorators are dropped; the cell starts at `def`."""
    assert authoring.reference_source(fake_module, "decorated") == textwrap.dedent('''\
        def decorated(x):
            """Twice x."""
            y = 2 * x
            return y''')
    assert authoring.solution_cell_source(fake_module, "decorated").splitlines() == [
        "def decorated(x):", '    """Twice x."""', f"    {BEGIN}", "    y = 2 * x", "    return y", f"    {END}"]


def test_function_without_docstring_is_wrapped_whole(fake_module):
    """Without a docstring, the whole body goes between the markers."""
    assert authoring.solution_cell_source(fake_module, "undocumented").splitlines() == [
        "def undocumented(x):", f"    {BEGIN}", "    return x + 1", f"    {END}"]


def test_docstring_only_function_is_refused(fake_module):
    """A reference that is only a docstring has no solution to hide: ValueError."""
    with pytest.raises(ValueError, match="only a docstring"):
        authoring.solution_cell_source(fake_module, "only_docstring")


def test_decorated_first_statement_is_inside_the_markers(fake_module):
    """A body that opens with a decorated helper has the decorator inside the solution region too."""
    lines = authoring.solution_cell_source(fake_module, "nested_decorated").splitlines()
    assert lines[2] == f"    {BEGIN}" and lines[3] == "    @functools.lru_cache"
