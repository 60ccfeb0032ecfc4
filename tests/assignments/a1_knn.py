"""a1_knn's planted class: a partial student (one classic slip), a noisy but correct one, one who deleted test cells."""

from tests.assignments import ALL, REFERENCE, Student

SQUARED_ONE_LOOP = '''
def compute_distances_one_loop(X_test, X_train):
    dists = np.zeros((X_test.shape[0], X_train.shape[0]))
    for i in range(X_test.shape[0]):
        dists[i, :] = np.sum((X_train - X_test[i]) ** 2, axis=1)   # forgot the square root
    return dists
'''

WARNING_NO_LOOPS = '''
import warnings

def compute_distances_no_loops(X_test, X_train):
    """Correct, but noisy: a numpy RuntimeWarning, a Python warning and a line on stderr."""
    import sys
    _ = np.log(np.zeros(1))                       # RuntimeWarning: divide by zero
    warnings.warn("just a note from my solution")  # UserWarning
    print("debug: computing distances", file=sys.stderr)
    sq = np.sum(X_test**2, axis=1)[:, None] + np.sum(X_train**2, axis=1)[None, :] - 2 * X_test @ X_train.T
    return np.sqrt(np.maximum(sq, 0))

warnings.warn("defining my functions")  # a warning in the answer cell itself
'''

PARTIAL = {"knn-compute_distances_two_loops-solution": REFERENCE, "knn-predict_labels-solution": REFERENCE,
           "knn-compute_distances_one_loop-solution": SQUARED_ONE_LOOP}

STUDENTS = {
    # right two_loops and predict_labels, squared one_loop, the rest unanswered
    "partial": Student(PARTIAL, right=frozenset({"knn.compute_distances_two_loops", "knn.predict_labels"})),
    # correct answers that print warnings and write to stderr: honest warnings never cost points
    "noisy": Student({"knn-compute_distances_no_loops-solution": WARNING_NO_LOOPS}, right=ALL, reference=True),
    # the partial answers, with every test cell of predict_labels and a failing one deleted: restored and graded
    "deleter": Student(PARTIAL, right=frozenset({"knn.compute_distances_two_loops", "knn.predict_labels"}),
                       deleted=("knn-predict_labels-visible", "knn-predict_labels-hidden",
                                "knn-compute_distances_one_loop-visible")),
}

FEEDBACK = [("partial", "knn-compute_distances_one_loop-hidden", "square root")]
