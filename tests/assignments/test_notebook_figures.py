"""Every figure the solved notebooks draw has a title and labelled axes (issue: "notebooks read well").

Each source notebook, with the reference answers, runs top to bottom in a fresh kernel (in the light mode that
grading uses). A first cell wraps matplotlib's `print_figure`, through which every displayed or saved figure
passes, and records every visible axes that lacks a title (its own or the figure's) or a label on an axis
that has tick labels. Explorers' `BoundaryView` frames do not pass through it; they always label both axes.
"""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.nbtools import ROOT, reference_answers, submission

NOTEBOOKS = [(p.parent.name, p.name) for p in sorted((ROOT / "source").glob("*/*.ipynb"))]

RECORD_FIGURES = r'''
from matplotlib.backend_bases import FigureCanvasBase as _Canvas
_FIGURES, _UNLABELLED = [], []
_print_figure = _Canvas.print_figure

def _checked_print_figure(self, *args, **kwargs):
    fig = self.figure
    _FIGURES.append(get_ipython().execution_count)
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    for ax in fig.axes:
        if not (ax.get_visible() and ax.axison) or ax.get_label() == "<colorbar>":
            continue
        needs = {"title": ax.get_title() or suptitle,
                 "x label": ax.get_xlabel() or not len(ax.get_xticks()),
                 "y label": ax.get_ylabel() or not len(ax.get_yticks())}
        missing = [what for what, there in needs.items() if not there]
        if missing:
            _UNLABELLED.append(f"cell [{get_ipython().execution_count}] {ax.get_title() or suptitle!r}: no {', '.join(missing)}")
    return _print_figure(self, *args, **kwargs)

_Canvas.print_figure = _checked_print_figure
'''


def figures_of(nb: nbformat.NotebookNode, folder: Path) -> tuple[list[int], list[str]]:
    """Run nb in a fresh kernel (in `folder`) with the recording cell first: (figure cells, unlabelled axes)."""
    nb.cells.insert(0, nbformat.v4.new_code_cell(RECORD_FIGURES))
    nb.cells.append(nbformat.v4.new_code_cell("import json; print(json.dumps([_FIGURES, _UNLABELLED]))"))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    figures, unlabelled = json.loads(nb.cells[-1].outputs[0]["text"])
    return figures, unlabelled


def test_the_recording_finds_an_unlabelled_figure(tmp_path: Path) -> None:
    """The hook itself works: a bare plt.plot shown inline is reported without title and axis labels."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\n%matplotlib inline\nplt.plot([0, 1]); plt.show()\n"
        "fig, ax = plt.subplots(); ax.plot([1, 0]); ax.set_title('t'); ax.set_xlabel('x'); ax.set_yticks([])\n"
        "plt.show()")])
    figures, unlabelled = figures_of(nb, tmp_path)
    assert len(figures) == 2
    assert len(unlabelled) == 1 and "no title, x label, y label" in unlabelled[0]


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS, ids=[a for a, _ in NOTEBOOKS])
def test_every_figure_has_a_title_and_labelled_axes(assignment: str, notebook: str, monkeypatch) -> None:
    """The solved notebook draws at least one figure, and every axes in it has a title and axis labels."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")  # the light mode: a few seconds per notebook
    nb = submission(assignment, notebook, reference_answers(assignment, notebook))
    figures, unlabelled = figures_of(nb, ROOT / "source" / assignment)
    assert figures, "no figure was drawn: is the recording hook still in matplotlib's path?"
    assert unlabelled == []
