"""a2_linear's planted class: a partial student (an uphill SGD step) and one with independently written answers."""

from tests.assignments import ALL, REFERENCE, Student

UPHILL_TRAIN = '''
def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False, seed=0):
    rng = np.random.default_rng(seed)
    if self.W is None:
        self.W = 0.001 * rng.standard_normal((X.shape[1], np.max(y) + 1))
    losses = []
    for it in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size)
        loss, dW = self.loss(X[idx], y[idx], reg)
        self.W += learning_rate * dW          # wrong sign: steps uphill
        losses.append(loss)
    return losses
'''

# A correct train written independently (a while loop, in-place update, a numpy history), and a correct naive
# softmax that warns and writes to stderr: neither costs a point.
OWN_TRAIN = '''
def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False, seed=0):
    rng = np.random.default_rng(seed)
    N, D = X.shape
    if self.W is None:
        self.W = 0.001 * rng.standard_normal((D, int(y.max()) + 1))
    history = np.zeros(num_iters)
    t = 0
    while t < num_iters:
        rows = rng.choice(N, size=batch_size, replace=True)
        history[t], grad = self.loss(X[rows, :], y[rows], reg)
        self.W -= learning_rate * grad
        t += 1
    return history
'''

NOISY_SOFTMAX = '''
import sys
import warnings

def softmax_loss_naive(W, X, y, reg):
    _ = np.log(np.zeros(1))                        # RuntimeWarning: divide by zero
    warnings.warn("a note from my solution")        # UserWarning
    print("debug: softmax", file=sys.stderr)
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(X.shape[0]):
        s = X[i] @ W
        s = s - s.max()
        p = np.exp(s) / np.exp(s).sum()
        loss -= np.log(p[y[i]])
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
    return loss / X.shape[0] + reg * np.sum(W * W), dW / X.shape[0] + 2 * reg * W
'''

RIGHT = ("linear.svm_loss_naive", "linear.softmax_loss_vectorized", "linear.predict")

STUDENTS = {
    "partial": Student({**{f"linear-{e.partition('.')[2]}-solution": REFERENCE for e in RIGHT},
                        "linear-train-solution": UPHILL_TRAIN}, right=frozenset(RIGHT)),
    "independent": Student({"linear-train-solution": OWN_TRAIN, "linear-softmax_loss_naive-solution": NOISY_SOFTMAX},
                           right=ALL, reference=True),
}

FEEDBACK = [("partial", "linear-train-visible", "SUBTRACT learning_rate * dW")]
