"""The demo: a sample class for a1_knn, each student showing one thing the grader must get right."""
from pathlib import Path

import nbformat

from autograder.authoring import answers_of, fill_answers

ASSIGNMENT, NOTEBOOK = "a1_knn", "knn.ipynb"

RAISES_PREDICT = '''
def predict_labels(dists, y_train, k=1):
    """Off by one: indexes past the end of the array."""
    y_pred = np.zeros(dists.shape[0], dtype=np.int64)
    for i in range(dists.shape[0] + 1):
        y_pred[i] = y_train[np.argmin(dists[i])]
    return y_pred
'''

HANGS_ONE_LOOP = '''
def compute_distances_one_loop(X_test, X_train):
    """Never returns (and swallows every Exception)."""
    while True:
        try:
            pass
        except Exception:
            pass
'''

SQUARED_NO_LOOPS = '''
def compute_distances_no_loops(X_test, X_train):
    """Forgot the square root."""
    return np.sum(X_test**2, axis=1)[:, None] + np.sum(X_train**2, axis=1)[None, :] - 2 * X_test @ X_train.T
'''

NOISY_TWO_LOOPS = '''
import sys
import warnings

def compute_distances_two_loops(X_test, X_train):
    """Correct, but warns and prints to stderr."""
    warnings.warn("this might be slow")
    print("computing distances...", file=sys.stderr)
    _ = np.log(np.zeros(1))  # RuntimeWarning: divide by zero
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        for j in range(X_train.shape[0]):
            dists[i, j] = np.sqrt(np.sum((X_test[i] - X_train[j]) ** 2))
    return dists
'''

# student -> (what it shows, the solution cells that differ from the reference; None = release as issued)
CLASS = {
    "ada": ("perfect: every answer right", {}),
    "ben": ("partial: no-loop distances without the square root, cross-validation left blank",
            {"knn-compute_distances_no_loops-solution": SQUARED_NO_LOOPS, "knn-cross_validate_k-solution": None}),
    "cai": ("raises: predict_labels has an IndexError", {"knn-predict_labels-solution": RAISES_PREDICT}),
    "dee": ("never returns: one-loop distances loop forever", {"knn-compute_distances_one_loop-solution": HANGS_ONE_LOOP}),
    "eve": ("warnings: right answers that warn and print to stderr",
            {"knn-compute_distances_two_loops-solution": NOISY_TWO_LOOPS}),
}


def write_class(dest: Path, root: Path) -> Path:
    """Write the sample submissions as dest/<student>/a1_knn/knn.ipynb (nbgrader layout); returns dest."""
    answers = answers_of(nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4))
    blanks = answers_of(nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4), strip=False)
    for student, (_, changes) in CLASS.items():
        chosen = {gid: changes.get(gid, answer) for gid, answer in answers.items()}
        nb = fill_answers(nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4),
                          {gid: blanks[gid] if a is None else a.strip("\n") for gid, a in chosen.items()})
        folder = dest / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / NOTEBOOK)
    return dest
