"""solutions.linear against independent oracles, numerical gradients and the maths of the lecture."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import softmax as sp_softmax
from sklearn.metrics import log_loss

from autograder.authoring import sync_notebook
from course.data import load_digits_split
from course.gradcheck import eval_numerical_gradient, rel_error
from solutions import linear
from tests.nbtools import ROOT
from tests.strategies_linear import away_from_kinks, linear_problems, shifts

SVM = [linear.svm_loss_naive, linear.svm_loss_vectorized]
SOFTMAX = [linear.softmax_loss_naive, linear.softmax_loss_vectorized]
LOSSES = SVM + SOFTMAX
names = lambda f: f.__name__  # noqa: E731


def svm_oracle(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> float:
    """The CS231n multiclass hinge loss as plain Python loops over floats (sklearn's hinge_loss is Crammer-Singer)."""
    N, C = len(X), W.shape[1]
    total = 0.0
    for i in range(N):
        s = [sum(float(X[i, d]) * float(W[d, j]) for d in range(W.shape[0])) for j in range(C)]
        total += sum(max(0.0, s[j] - s[int(y[i])] + 1.0) for j in range(C) if j != y[i])
    return total / N + reg * sum(float(w) ** 2 for w in W.ravel())


def softmax_oracle(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> float:
    """sklearn's log_loss of the softmax probabilities, plus reg * sum(W*W)."""
    probs = sp_softmax(X @ W, axis=1)
    return log_loss(y, probs, labels=np.arange(W.shape[1])) + reg * float(np.sum(W * W))


# ---- oracles --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", SVM, ids=names)
@settings(max_examples=60, deadline=None)
@given(problem=linear_problems())
def test_svm_loss_equals_loop_oracle(fn, problem):
    """Both SVM losses equal the plain-loop CS231n hinge oracle (margin 1, averaged over N, reg·ΣW²)."""
    loss, _ = fn(**problem)
    assert loss == pytest.approx(svm_oracle(**problem), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("fn", SOFTMAX, ids=names)
@settings(max_examples=60, deadline=None)
@given(problem=linear_problems(max_abs=2.0))
def test_softmax_loss_equals_sklearn_log_loss(fn, problem):
    """Both softmax losses equal sklearn's log_loss of softmax(X @ W) plus reg·ΣW² (scores kept moderate)."""
    loss, _ = fn(**problem)
    assert loss == pytest.approx(softmax_oracle(**problem), rel=1e-9, abs=1e-9)


# ---- gradients ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", LOSSES, ids=names)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_matches_numerical_gradient(fn, seed):
    """dW agrees with centred differences (h = 1e-5) to rel error <= 1e-7, away from the hinge's kinks."""
    p = away_from_kinks(seed)
    _, dW = fn(**p)
    num = eval_numerical_gradient(lambda w: fn(w, p["X"], p["y"], p["reg"])[0], p["W"].copy())
    assert rel_error(dW, num) <= 1e-7


@pytest.mark.parametrize("naive, vectorized", [SVM, SOFTMAX], ids=["svm", "softmax"])
@settings(max_examples=80, deadline=None)
@given(problem=linear_problems())
def test_vectorized_equals_naive(naive, vectorized, problem):
    """The vectorized loss and gradient equal the naive ones to 1e-10 (relative to their size)."""
    loss_n, dW_n = naive(**problem)
    loss_v, dW_v = vectorized(**problem)
    assert abs(loss_n - loss_v) <= 1e-10 * max(1.0, abs(loss_n))
    assert np.allclose(dW_v, dW_n, rtol=1e-10, atol=1e-10 * max(1.0, np.abs(dW_n).max()))


# ---- properties from the lecture ------------------------------------------------------------------------
@pytest.mark.parametrize("C", [2, 3, 10])
def test_loss_at_zero_weights(C):
    """At W = 0 every score is 0: the softmax loss is log C and the SVM loss is C − 1 (each margin is 1)."""
    rng = np.random.default_rng(C)
    W, X, y = np.zeros((4, C)), rng.normal(size=(7, 4)), rng.integers(0, C, size=7)
    for fn in SOFTMAX:
        assert fn(W, X, y, 0.3)[0] == pytest.approx(np.log(C), rel=1e-12)
    for fn in SVM:
        assert fn(W, X, y, 0.3)[0] == pytest.approx(C - 1, rel=1e-12)


@pytest.mark.parametrize("fn", LOSSES, ids=names)
@settings(max_examples=40, deadline=None)
@given(problem=linear_problems(max_abs=3.0), data=st.data())
def test_adding_a_vector_to_every_column_leaves_the_data_loss_unchanged(fn, problem, data):
    """Adding v to every column of W moves all scores of a sample by x·v alike: the data loss (reg = 0) is unchanged."""
    v = data.draw(shifts(problem["W"].shape[0]))
    before, _ = fn(problem["W"], problem["X"], problem["y"], 0.0)
    after, _ = fn(problem["W"] + v[:, None], problem["X"], problem["y"], 0.0)
    assert after == pytest.approx(before, rel=1e-7, abs=1e-7)


@pytest.mark.parametrize("fn", LOSSES, ids=names)
@settings(max_examples=40, deadline=None)
@given(problem=linear_problems())
def test_loss_is_at_least_the_regularization(fn, problem):
    """The data loss is non-negative, so loss >= reg·ΣW², and the gradient of the regularization is 2·reg·W."""
    loss, dW = fn(**problem)
    data_loss, dW_data = fn(problem["W"], problem["X"], problem["y"], 0.0)
    reg_term = problem["reg"] * np.sum(problem["W"] ** 2)
    assert data_loss >= 0 and loss >= reg_term - 1e-9 * max(1.0, reg_term)
    assert np.allclose(dW - dW_data, 2 * problem["reg"] * problem["W"], rtol=1e-9, atol=1e-9)


def test_softmax_is_stable_for_huge_scores():
    """Scores around ±1e4 give a finite loss equal to the log-sum-exp value, without overflow."""
    W = np.array([[1e4, -1e4, 0.0]])
    X = np.array([[1.0], [-1.0]])
    y = np.array([1, 1])
    expected = (2e4 + 0.0) / 2  # sample 0: log-sum-exp 1e4 − s_y (−1e4); sample 1: 1e4 − 1e4 = 0
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is harmless
        for fn in SOFTMAX:
            loss, dW = fn(W, X, y, 0.0)
            assert loss == pytest.approx(expected, rel=1e-12) and np.all(np.isfinite(dW))


def test_svm_counts_only_positive_margins():
    """A sample whose correct score beats every other by more than 1 contributes no loss and no gradient."""
    W = np.array([[3.0, 0.0, 1.0]])
    X = np.array([[1.0]])
    for fn in SVM:
        loss, dW = fn(W, X, np.array([0]), 0.0)
        assert loss == 0.0 and not dW.any()


# ---- bad input ------------------------------------------------------------------------------------------
def _ok():
    rng = np.random.default_rng(0)
    return {"W": rng.normal(size=(3, 4)), "X": rng.normal(size=(5, 3)), "y": np.array([0, 1, 2, 3, 0]), "reg": 0.1}


@pytest.mark.parametrize("fn", LOSSES, ids=names)
@pytest.mark.parametrize("change, match", [
    ({"y": np.array([0, 1, 2, 4, 0])}, r"labels in 0 \.\. 3"),
    ({"y": np.array([0, -1, 2, 3, 0])}, r"labels in 0 \.\. 3"),
    ({"y": np.array([0.0, 1, 2, 3, 0])}, "integer class labels"),
    ({"y": np.array([0, 1, 2])}, r"shape \(N,\) = \(5,\)"),
    ({"X": np.ones((5, 2))}, "same D"),
    ({"W": np.ones(3)}, r"W must be a 2-D array \(D, C\)"),
    ({"X": np.ones(5)}, r"X must be a non-empty 2-D array \(N, D\)"),
    ({"reg": -1.0}, "reg must be a finite number >= 0"),
], ids=["y-too-big", "y-negative", "y-float", "y-short", "D-mismatch", "W-1d", "X-1d", "reg-negative"])
def test_bad_input_raises_value_error_saying_what_was_expected(fn, change, match):
    """Labels out of range, mismatched shapes and a negative reg raise ValueError naming what was expected."""
    with pytest.raises(ValueError, match=match):
        fn(**{**_ok(), **change})


def test_train_and_predict_reject_bad_input():
    """train with mismatched X/y or batch_size 0, and predict before train or with the wrong D, raise ValueError."""
    X, y = np.ones((5, 3)), np.array([0, 1, 0, 1, 1])
    with pytest.raises(ValueError, match=r"shape \(N,\) = \(5,\)"):
        linear.LinearSVM().train(X, y[:4])
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        linear.LinearSVM().train(X, y, batch_size=0)
    with pytest.raises(ValueError, match="call train first"):
        linear.Softmax().predict(X)
    model = linear.Softmax()
    model.W = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"expected X \(N, D\) with D=3"):
        model.predict(np.ones((2, 4)))


# ---- train and predict ----------------------------------------------------------------------------------
class Quadratic(linear.LinearClassifier):
    """A classifier whose loss is 0.5·‖W − T‖², recording the minibatches it is given."""

    def __init__(self, T: np.ndarray) -> None:
        super().__init__()
        self.T, self.batches = T, []

    def loss(self, X_batch, y_batch, reg):
        self.batches.append((X_batch.copy(), y_batch.copy(), reg))
        return 0.5 * float(np.sum((self.W - self.T) ** 2)), self.W - self.T


def test_train_takes_sgd_steps_on_aligned_minibatches():
    """Each iteration calls loss once on batch_size rows of X with THEIR labels, then W ← W − lr·dW."""
    rng = np.random.default_rng(0)
    X = np.column_stack([np.arange(20.0), rng.normal(size=(20, 2))])
    y = rng.integers(0, 3, size=20)
    model = Quadratic(T=rng.normal(size=(3, 3)))
    model.W = W0 = rng.normal(size=(3, 3))
    history = model.train(X, y, learning_rate=0.1, reg=0.5, num_iters=7, batch_size=9, seed=4)
    assert len(history) == 7 and all(isinstance(h, float) for h in history)
    for X_batch, y_batch, reg in model.batches:
        ids = X_batch[:, 0].astype(int)
        assert X_batch.shape == (9, 3) and np.array_equal(X_batch, X[ids]) and np.array_equal(y_batch, y[ids])
        assert reg == 0.5
    assert np.allclose(model.W, model.T + 0.9**7 * (W0 - model.T), rtol=1e-12)  # (1 − lr)^t contraction
    assert history == pytest.approx([0.5 * 0.81**t * np.sum((W0 - model.T) ** 2) for t in range(7)], rel=1e-12)


def test_train_randomness_comes_from_seed_only():
    """Same seed → same minibatches and weights; another seed → other minibatches; the global RNG is untouched."""
    X, y = np.random.default_rng(1).normal(size=(30, 4)), np.arange(30) % 3
    state = np.random.get_state()
    runs = []
    for seed in (5, 5, 6):
        model = linear.Softmax()
        model.train(X, y, num_iters=5, batch_size=8, seed=seed)
        runs.append(model.W)
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0], runs[2])
    assert np.array_equal(np.random.get_state()[1], state[1])


def test_train_creates_small_weights_of_shape_d_by_c():
    """With W = None, train creates W (D, C) with C = max(y) + 1 and entries of order 0.001."""
    model = linear.LinearSVM()
    model.train(np.ones((6, 5)), np.array([0, 3, 1, 1, 0, 2]), num_iters=0)
    assert model.W.shape == (5, 4) and 1e-4 < model.W.std() < 1e-2


@settings(max_examples=40, deadline=None)
@given(problem=linear_problems())
def test_predict_is_argmax_of_scores(problem):
    """predict returns, for each row, the index of the highest score X @ W."""
    model = linear.LinearClassifier()
    model.W = problem["W"]
    got = model.predict(problem["X"])
    scores = problem["X"] @ problem["W"]
    assert got.shape == (len(problem["X"]),)
    assert np.all(scores[np.arange(len(got)), got] == scores.max(axis=1))


@pytest.mark.parametrize("cls, lr, reg", [(linear.LinearSVM, 0.1, 1e-3), (linear.Softmax, 0.5, 1e-4)])
def test_classifiers_learn_digits(cls, lr, reg):
    """LinearSVM and Softmax trained 300 SGD steps on the digits (with a bias column) reach ≥ 90% validation accuracy."""
    d = load_digits_split()
    bias = lambda X: np.hstack([X, np.ones((len(X), 1))])  # noqa: E731
    model = cls()
    history = model.train(bias(d["X_train"]), d["y_train"], learning_rate=lr, reg=reg, num_iters=300, batch_size=200)
    assert history[-1] < history[0]
    assert np.mean(model.predict(bias(d["X_val"])) == d["y_val"]) >= 0.9


def test_subclasses_use_the_vectorized_losses():
    """LinearSVM.loss and Softmax.loss return exactly the vectorized losses at the model's weights."""
    p = away_from_kinks(3)
    for cls, fn in [(linear.LinearSVM, linear.svm_loss_vectorized), (linear.Softmax, linear.softmax_loss_vectorized)]:
        model = cls()
        model.W = p["W"]
        loss, dW = model.loss(p["X"], p["y"], p["reg"])
        want_loss, want_dW = fn(**p)
        assert loss == want_loss and np.array_equal(dW, want_dW)


def test_notebook_solution_regions_are_generated_from_solutions():
    """Every synced cell of source/a2_linear/linear.ipynb equals the source of solutions.linear."""
    assert sync_notebook(ROOT / "source" / "a2_linear" / "linear.ipynb", write=False) == []
