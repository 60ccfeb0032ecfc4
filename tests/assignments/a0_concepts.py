"""a0_concepts's planted class: a partial student (a wrong sign) and a noisy but correct one."""

from tests.assignments import ALL, REFERENCE, Student

WRONG_SIGN_CROSS_ENTROPY = '''
def cross_entropy(p, y):
    return float(np.mean(np.log(p[np.arange(len(y)), y])))   # forgot the minus sign
'''

NOISY_PREDICT = '''
import sys
import warnings

def predict_gaussian(params, X):
    """Correct, but noisy: a numpy RuntimeWarning, a Python warning and a line on stderr."""
    _ = np.log(np.zeros(1))                      # RuntimeWarning: divide by zero
    warnings.warn("just a note from my solution")
    print("debug: predicting", file=sys.stderr)
    scores = []
    for mu, S, prior in zip(params["means"], params["covariances"], params["priors"]):
        diff = X - mu
        maha = np.einsum("nd,nd->n", diff, np.linalg.solve(S, diff.T).T)
        scores.append(np.log(prior) - 0.5 * (maha + np.linalg.slogdet(S)[1]))
    return np.argmax(np.column_stack(scores), axis=1)

warnings.warn("defining my functions")
'''

RIGHT = ("concepts.squared_loss", "concepts.polynomial_features", "concepts.fit_gaussian_classes")

STUDENTS = {
    # three right answers, a wrong-sign cross-entropy, the rest unanswered
    "partial": Student({**{f"concepts-{e.partition('.')[2]}-solution": REFERENCE for e in RIGHT},
                        "concepts-cross_entropy-solution": WRONG_SIGN_CROSS_ENTROPY}, right=frozenset(RIGHT)),
    "noisy": Student({"concepts-predict_gaussian-solution": NOISY_PREDICT}, right=ALL, reference=True),
}

FEEDBACK = [("partial", "concepts-cross_entropy-hidden", "sign")]
