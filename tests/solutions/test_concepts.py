"""Tests of solutions.concepts against independent oracles (scikit-learn, scipy, numpy and plain loops)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis
from sklearn.linear_model import Ridge
from sklearn.metrics import log_loss, mean_absolute_error, mean_squared_error
from sklearn.preprocessing import PolynomialFeatures

from solutions import concepts
from tests.strategies_concepts import gaussian_classes, probability_tables, regressions, split_problems, vector_pairs

SETTINGS = settings(max_examples=50, deadline=None)
SKLEARN_SETTINGS = settings(max_examples=25, deadline=None)


# ---- cost functions -------------------------------------------------------------------------------------
@SETTINGS
@given(pair=vector_pairs())
def test_squared_and_absolute_loss_equal_sklearn(pair):
    """squared_loss is sklearn's mean_squared_error and absolute_loss its mean_absolute_error (as floats)."""
    y_pred, y = pair
    sq, ab = concepts.squared_loss(y_pred, y), concepts.absolute_loss(y_pred, y)
    assert type(sq) is float and type(ab) is float
    np.testing.assert_allclose(sq, mean_squared_error(y, y_pred), rtol=1e-12)
    np.testing.assert_allclose(ab, mean_absolute_error(y, y_pred), rtol=1e-12)


@SETTINGS
@given(table=probability_tables())
def test_cross_entropy_equals_sklearn_log_loss(table):
    """cross_entropy(p, y) is sklearn's log_loss(y, p) with every class listed (the mean negative log-likelihood)."""
    p, y = table
    np.testing.assert_allclose(concepts.cross_entropy(p, y), log_loss(y, p, labels=np.arange(p.shape[1])),
                               rtol=1e-9)


@SETTINGS
@given(table=probability_tables())
def test_cross_entropy_is_a_plain_loop_of_negative_logs(table):
    """cross_entropy is -(1/N) sum_i log p[i, y_i], summed here in a loop."""
    p, y = table
    loop = -sum(np.log(p[i, y[i]]) for i in range(len(y))) / len(y)
    np.testing.assert_allclose(concepts.cross_entropy(p, y), loop, rtol=1e-12)


def test_cross_entropy_of_a_certain_right_answer_is_zero_and_of_a_uniform_guess_is_log_c():
    """Probability 1 on the true class costs 0; a uniform guess over C classes costs log C."""
    assert concepts.cross_entropy(np.eye(3), np.arange(3)) == 0.0
    np.testing.assert_allclose(concepts.cross_entropy(np.full((4, 5), 0.2), np.arange(4)), np.log(5), rtol=1e-15)


@SETTINGS
@given(pair=vector_pairs(max_n=9), shift=st.floats(-10, 10))
def test_mean_minimises_squared_loss_and_median_minimises_absolute_loss(pair, shift):
    """Among constant predictions, the mean minimises the squared loss and the median the absolute loss."""
    _, y = pair
    other = np.full_like(y, np.median(y) + shift)
    assert concepts.squared_loss(np.full_like(y, y.mean()), y) <= concepts.squared_loss(other, y) * (1 + 1e-12) + 1e-9
    median_loss = concepts.absolute_loss(np.full_like(y, np.median(y)), y)
    assert median_loss <= concepts.absolute_loss(np.full_like(y, y.mean() + shift), y) * (1 + 1e-12) + 1e-9


def test_absolute_loss_is_robust_to_an_outlier_and_squared_is_not():
    """One outlier of 1e3 moves the squared-loss optimum (mean) far more than the absolute-loss one (median)."""
    y = np.array([0.0, 0.1, -0.1, 0.2, 1e3])
    assert abs(np.mean(y)) > 100 * abs(np.median(y))
    assert concepts.absolute_loss(np.full(5, np.median(y)), y) < concepts.absolute_loss(np.full(5, y.mean()), y)


# ---- model complexity ------------------------------------------------------------------------------------
@SETTINGS
@given(x=st.lists(st.floats(-3, 3), min_size=1, max_size=15).map(np.array), degree=st.integers(0, 8))
def test_polynomial_features_equal_vander_and_sklearn(x, degree):
    """polynomial_features(x, d) equals np.vander(x, d + 1, increasing=True) and sklearn's PolynomialFeatures."""
    Phi = concepts.polynomial_features(x, degree)
    assert Phi.shape == (len(x), degree + 1) and Phi.dtype == np.float64
    np.testing.assert_allclose(Phi, np.vander(x, degree + 1, increasing=True), rtol=1e-12, atol=0)
    np.testing.assert_allclose(Phi, PolynomialFeatures(degree).fit_transform(x[:, None]), rtol=1e-12, atol=0)


def test_polynomial_features_accept_integers_and_degree_zero():
    """Integer x gives float powers; degree 0 is the constant column of ones (0**0 = 1)."""
    np.testing.assert_array_equal(concepts.polynomial_features(np.array([0, 2]), 2), [[1.0, 0.0, 0.0], [1.0, 2.0, 4.0]])
    np.testing.assert_array_equal(concepts.polynomial_features(np.array([0.0, 5.0]), 0), [[1.0], [1.0]])


@SKLEARN_SETTINGS
@given(problem=regressions())
def test_least_squares_equals_sklearn_ridge_without_intercept(problem):
    """fit_least_squares(X, y, reg) equals Ridge(alpha=reg, fit_intercept=False) (and lstsq when reg = 0)."""
    w = concepts.fit_least_squares(problem.X, problem.y, reg=problem.reg)
    assert w.shape == (problem.X.shape[1],)
    if problem.reg == 0:
        oracle = np.linalg.lstsq(problem.X, problem.y, rcond=None)[0]
    else:
        oracle = Ridge(alpha=problem.reg, fit_intercept=False, solver="svd").fit(problem.X, problem.y).coef_
    np.testing.assert_allclose(w, oracle, rtol=1e-6, atol=1e-9 * (1 + np.abs(oracle).max()))


@SKLEARN_SETTINGS
@given(problem=regressions(rank_deficient=True))
def test_regularized_least_squares_is_determined_for_a_rank_deficient_x(problem):
    """With duplicated columns (X^T X singular) and reg > 0 the answer is Ridge's, and duplicated columns share weight."""
    assert np.linalg.matrix_rank(problem.X) < problem.X.shape[1]
    w = concepts.fit_least_squares(problem.X, problem.y, reg=problem.reg)
    oracle = Ridge(alpha=problem.reg, fit_intercept=False, solver="svd").fit(problem.X, problem.y).coef_
    np.testing.assert_allclose(w, oracle, rtol=1e-6, atol=1e-9 * (1 + np.abs(oracle).max()))
    cols = {tuple(c) for c in problem.X.T}
    for col in cols:  # equal columns get equal weights (the minimum-norm split)
        same = [j for j in range(problem.X.shape[1]) if tuple(problem.X[:, j]) == col]
        np.testing.assert_allclose(w[same], w[same[0]], rtol=1e-6, atol=1e-9 * (1 + np.abs(w).max()))


@pytest.mark.parametrize("degree", [0, 1, 3, 5])
def test_least_squares_on_polynomial_features_equals_polyfit(degree):
    """Least squares on polynomial_features(x, d) gives np.polyfit(x, y, d)'s coefficients, lowest power first."""
    rng = np.random.default_rng(degree)
    x = rng.uniform(-1, 1, size=30)
    y = np.sin(np.pi * x) + 0.1 * rng.normal(size=30)
    w = concepts.fit_least_squares(concepts.polynomial_features(x, degree), y)
    np.testing.assert_allclose(w, np.polyfit(x, y, degree)[::-1], rtol=1e-6, atol=1e-9)


def test_unregularized_least_squares_fails_on_duplicated_features():
    """reg = 0 with an exactly duplicated column: X^T X is singular and np.linalg.solve raises LinAlgError."""
    X = np.column_stack([np.ones(4), np.arange(4.0), np.arange(4.0)])
    with pytest.raises(np.linalg.LinAlgError):
        concepts.fit_least_squares(X, np.arange(4.0))
    np.testing.assert_allclose(concepts.fit_least_squares(X, np.arange(4.0), reg=1e-3) @ [0, 1, 1], 1.0, rtol=1e-3)


def test_training_error_falls_with_degree_on_nested_models():
    """Nested polynomial models: the training squared loss never increases with the degree (up to rounding)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=15)
    y = np.sin(np.pi * x) + 0.2 * rng.normal(size=15)
    errors = [concepts.squared_loss(concepts.polynomial_features(x, d) @
                                    concepts.fit_least_squares(concepts.polynomial_features(x, d), y), y)
              for d in range(10)]
    assert all(b <= a + 1e-9 for a, b in zip(errors, errors[1:]))


# ---- train / validation / test --------------------------------------------------------------------------
@SETTINGS
@given(problem=split_problems())
def test_split_is_a_disjoint_cover_with_the_documented_sizes(problem):
    """The three parts are disjoint, cover every row once, keep X and y paired and have the rounded sizes."""
    X, y, val, test, seed = problem
    X_tr, y_tr, X_va, y_va, X_te, y_te = concepts.train_val_test_split(X, y, val, test, seed)
    N = len(X)
    assert (len(X_va), len(X_te)) == (round(val * N), round(test * N)) and len(X_tr) == N - len(X_va) - len(X_te)
    ids = np.concatenate([X_tr[:, 0], X_va[:, 0], X_te[:, 0]])
    np.testing.assert_array_equal(np.sort(ids), np.arange(N))
    for Xp, yp in ((X_tr, y_tr), (X_va, y_va), (X_te, y_te)):
        np.testing.assert_array_equal(yp, 10 * Xp[:, 0])


@SETTINGS
@given(problem=split_problems())
def test_split_is_the_documented_permutation_and_deterministic(problem):
    """The rows are perm[:n_train], then n_val, then n_test of default_rng(seed).permutation(N); same seed, same split."""
    X, y, val, test, seed = problem
    first = concepts.train_val_test_split(X, y, val, test, seed)
    again = concepts.train_val_test_split(X, y, val, test, seed)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    perm = np.random.default_rng(seed).permutation(len(X))
    np.testing.assert_array_equal(np.concatenate([first[0][:, 0], first[2][:, 0], first[4][:, 0]]), perm)


def test_split_differs_between_seeds_and_leaves_inputs_alone():
    """Two seeds give two different test sets; the caller's arrays are not reordered."""
    X, y = np.arange(100.0)[:, None], np.arange(100)
    a = concepts.train_val_test_split(X, y, 0.2, 0.2, seed=0)[4]
    b = concepts.train_val_test_split(X, y, 0.2, 0.2, seed=1)[4]
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(X[:, 0], np.arange(100.0))


def test_split_rounds_sizes_to_nearest():
    """23 rows with fractions 0.2 and 0.15: 4.6 → 5 validation rows, 3.45 → 3 test rows, 15 for training."""
    parts = concepts.train_val_test_split(np.zeros((23, 1)), np.zeros(23, dtype=int), 0.2, 0.15, seed=4)
    assert [len(p) for p in parts] == [15, 15, 5, 5, 3, 3]


# ---- maximum-likelihood Gaussian classes ----------------------------------------------------------------
@SKLEARN_SETTINGS
@given(data=gaussian_classes())
def test_fit_gaussian_classes_equals_qda(data):
    """Means, priors and ML covariances equal QDA's (sklearn >= 1.9 documents covariance_ as the biased ML estimate)."""
    params = concepts.fit_gaussian_classes(data.X, data.y)
    qda = QuadraticDiscriminantAnalysis(store_covariance=True, tol=1e-12).fit(data.X, data.y)
    atol = 1e-12 * (1 + np.abs(data.X).max()) ** 2
    np.testing.assert_allclose(params["means"], qda.means_, rtol=1e-10, atol=atol)
    np.testing.assert_allclose(params["priors"], qda.priors_, rtol=1e-12)
    np.testing.assert_allclose(params["covariances"], np.array(qda.covariance_), rtol=1e-8, atol=atol)


def test_qda_covariance_convention_is_ml_not_unbiased():
    """Guard for the oracle above: QDA's covariance_ is np.cov(bias=True), i.e. divided by N_c, not N_c - 1."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 2)), np.repeat([0, 1], 6)
    qda = QuadraticDiscriminantAnalysis(store_covariance=True).fit(X, y)
    np.testing.assert_allclose(qda.covariance_[0], np.cov(X[:6].T, bias=True), rtol=1e-12)


@SKLEARN_SETTINGS
@given(data=gaussian_classes())
def test_predict_gaussian_with_separate_covariances_equals_qda(data):
    """With per-class ML covariances, predict_gaussian classifies like QuadraticDiscriminantAnalysis (up to near-ties)."""
    params = concepts.fit_gaussian_classes(data.X, data.y)
    qda = QuadraticDiscriminantAnalysis(tol=1e-12).fit(data.X, data.y)  # small classes: no rank refusal
    log_post = _scipy_log_posteriors(params, data.X)
    ordered = np.sort(log_post, axis=1)
    clear = ordered[:, -1] - ordered[:, -2] > 1e-8
    np.testing.assert_array_equal(concepts.predict_gaussian(params, data.X)[clear], qda.predict(data.X)[clear])


@SKLEARN_SETTINGS
@given(data=gaussian_classes())
def test_shared_covariance_equals_lda_pooled_ml_estimate(data):
    """shared_covariance=True repeats LDA's covariance_ (sum_c prior_c · biased Sigma_c) for every class."""
    params = concepts.fit_gaussian_classes(data.X, data.y, shared_covariance=True)
    lda = LinearDiscriminantAnalysis(solver="lsqr", store_covariance=True).fit(data.X, data.y)
    C = len(params["priors"])
    assert params["covariances"].shape == (C, data.X.shape[1], data.X.shape[1])
    for c in range(C):
        np.testing.assert_allclose(params["covariances"][c], lda.covariance_, rtol=1e-8,
                                   atol=1e-12 * (1 + np.abs(data.X).max()) ** 2)


@SETTINGS
@given(data=gaussian_classes())
def test_fit_gaussian_classes_equals_a_plain_loop(data):
    """Each class's mean and covariance equal np.mean and np.cov(bias=True) of its rows; priors are N_c / N."""
    params = concepts.fit_gaussian_classes(data.X, data.y)
    for c in range(len(params["priors"])):
        Xc = data.X[data.y == c]
        atol = 1e-12 * (1 + np.abs(Xc).max()) ** 2
        np.testing.assert_allclose(params["means"][c], Xc.mean(axis=0), rtol=1e-12, atol=atol)
        np.testing.assert_allclose(params["covariances"][c], np.atleast_2d(np.cov(Xc.T, bias=True)), rtol=1e-8,
                                   atol=atol)
        assert params["priors"][c] == len(Xc) / len(data.y)


def _scipy_log_posteriors(params, X):
    return np.column_stack([np.log(params["priors"][c]) +
                            multivariate_normal(params["means"][c], params["covariances"][c]).logpdf(X)
                            for c in range(len(params["priors"]))])


@SETTINGS
@given(data=gaussian_classes(), shared=st.booleans())
def test_predict_gaussian_equals_scipy_log_posterior_argmax(data, shared):
    """predict_gaussian is the argmax of log prior + scipy's multivariate_normal.logpdf, up to near-ties."""
    params = concepts.fit_gaussian_classes(data.X, data.y, shared_covariance=shared)
    grid = np.random.default_rng(0).normal(size=(50, data.X.shape[1])) * 3 + data.X.mean(axis=0)
    X = np.vstack([data.X, grid])
    y_pred = concepts.predict_gaussian(params, X)
    log_post = _scipy_log_posteriors(params, X)
    ordered = np.sort(log_post, axis=1)
    clear = ordered[:, -1] - ordered[:, -2] > 1e-8  # not a near-tie
    np.testing.assert_array_equal(y_pred[clear], np.argmax(log_post, axis=1)[clear])


@SKLEARN_SETTINGS
@given(data=gaussian_classes())
def test_predict_gaussian_with_shared_covariance_equals_lda(data):
    """With the pooled covariance, predict_gaussian classifies like LinearDiscriminantAnalysis(solver='lsqr')."""
    params = concepts.fit_gaussian_classes(data.X, data.y, shared_covariance=True)
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(data.X, data.y)
    log_post = _scipy_log_posteriors(params, data.X)
    ordered = np.sort(log_post, axis=1)
    clear = ordered[:, -1] - ordered[:, -2] > 1e-8
    np.testing.assert_array_equal(concepts.predict_gaussian(params, data.X)[clear], lda.predict(data.X)[clear])


def test_predict_gaussian_is_stable_far_from_the_means():
    """Points 1e3 standard deviations away (densities underflow to 0) still get the nearer class, without warnings."""
    params = {"means": np.array([[0.0, 0.0], [10.0, 0.0]]), "covariances": np.stack([np.eye(2)] * 2),
              "priors": np.array([0.5, 0.5])}
    X = np.array([[-1e3, 0.0], [1e3, 0.0], [4.0, 0.0], [6.0, 0.0]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        np.testing.assert_array_equal(concepts.predict_gaussian(params, X), [0, 1, 0, 1])


def test_priors_move_the_boundary_and_ties_go_to_the_smallest_label():
    """At the midpoint of two equal Gaussians the tie goes to class 0; a larger prior for class 1 wins it."""
    params = {"means": np.array([[-1.0], [1.0]]), "covariances": np.ones((2, 1, 1)), "priors": np.array([0.5, 0.5])}
    assert concepts.predict_gaussian(params, np.array([[0.0]]))[0] == 0
    params["priors"] = np.array([0.3, 0.7])
    assert concepts.predict_gaussian(params, np.array([[0.0]]))[0] == 1


# ---- bad input ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [concepts.squared_loss, concepts.absolute_loss])
@pytest.mark.parametrize(("y_pred", "y", "match"), [
    (np.zeros(3), np.zeros(4), r"y_pred and y must have the same shape \(N,\), got \(3,\) and \(4,\)"),
    (np.zeros((3, 1)), np.zeros(3), r"y_pred must be a non-empty 1-D array \(N,\), got shape \(3, 1\)"),
    (np.zeros(0), np.zeros(0), r"non-empty 1-D array"),
    (np.array([1.0, np.nan]), np.zeros(2), r"y_pred must hold finite numbers"),
])
def test_regression_losses_reject_bad_input(fn, y_pred, y, match):
    """Mismatched or non-1-D shapes, empty or non-finite inputs raise ValueError saying what was expected."""
    with pytest.raises(ValueError, match=match):
        fn(y_pred, y)


@pytest.mark.parametrize(("p", "y", "match"), [
    (np.array([[0.5, 0.6]]), np.array([0]), r"every row .* summing to 1"),
    (np.array([[1.5, -0.5]]), np.array([0]), r"entries in \[0, 1\]"),
    (np.array([0.5, 0.5]), np.array([0]), r"p must be a non-empty 2-D array \(N, D\)"),
    (np.array([[0.5, 0.5]]), np.array([2]), r"labels 0..C-1 = 0..1 for p with C=2 columns, got label 2"),
    (np.array([[0.5, 0.5]]), np.array([0.0]), r"non-negative integer labels"),
    (np.array([[0.5, 0.5]]), np.array([0, 1]), r"y must have shape \(1,\)"),
])
def test_cross_entropy_rejects_bad_input(p, y, match):
    """Non-probabilities, labels out of range or of the wrong type/shape raise ValueError."""
    with pytest.raises(ValueError, match=match):
        concepts.cross_entropy(p, y)


@pytest.mark.parametrize(("x", "degree", "match"), [
    (np.zeros((3, 1)), 2, r"x must be a non-empty 1-D array \(N,\)"),
    (np.zeros(3), -1, r"degree must be an integer >= 0, got -1"),
    (np.zeros(3), 2.0, r"degree must be an integer >= 0, got 2.0"),
])
def test_polynomial_features_reject_bad_input(x, degree, match):
    """A non-vector x or a negative / non-integer degree raises ValueError."""
    with pytest.raises(ValueError, match=match):
        concepts.polynomial_features(x, degree)


@pytest.mark.parametrize(("X", "y", "reg", "match"), [
    (np.zeros((3, 2)), np.zeros(4), 0.0, r"expected X \(N, D\) and y \(N,\) with the same N, got \(3, 2\) and \(4,\)"),
    (np.zeros(3), np.zeros(3), 0.0, r"X must be a non-empty 2-D array"),
    (np.zeros((3, 2)), np.zeros(3), -1.0, r"reg must be a finite number >= 0, got -1.0"),
    (np.zeros((3, 2)), np.zeros(3), np.inf, r"reg must be a finite number >= 0"),
])
def test_least_squares_rejects_bad_input(X, y, reg, match):
    """Mismatched shapes or a negative / infinite reg raise ValueError."""
    with pytest.raises(ValueError, match=match):
        concepts.fit_least_squares(X, y, reg=reg)


@pytest.mark.parametrize(("N", "val", "test", "seed", "match"), [
    (10, 0.5, 0.5, 0, r"leave no training rows out of N=10"),
    (10, 1.0, 0.0, 0, r"val_fraction must be a number in \[0, 1\), got 1.0"),
    (10, 0.1, -0.1, 0, r"test_fraction must be a number in \[0, 1\), got -0.1"),
    (10, 0.1, 0.1, -1, r"seed must be an integer >= 0, got -1"),
    (10, 0.1, 0.1, 1.5, r"seed must be an integer >= 0, got 1.5"),
])
def test_split_rejects_bad_fractions_and_seeds(N, val, test, seed, match):
    """Fractions outside [0, 1), no training rows left, or a bad seed raise ValueError."""
    with pytest.raises(ValueError, match=match):
        concepts.train_val_test_split(np.zeros((N, 2)), np.zeros(N, dtype=int), val, test, seed)


def test_split_rejects_mismatched_rows():
    """X and y with different N raise ValueError showing both shapes."""
    with pytest.raises(ValueError, match=r"expected X \(N, D\) and y \(N,\) with the same N >= 1, got \(4, 2\) and \(3,\)"):
        concepts.train_val_test_split(np.zeros((4, 2)), np.zeros(3), 0.25, 0.25, 0)


@pytest.mark.parametrize(("X", "y", "match"), [
    (np.zeros((4, 2)), np.array([0, 0, 2, 2]), r"class 1 has no samples"),
    (np.zeros((4, 2)), np.array([0, 1, -1, 0]), r"non-negative integer labels"),
    (np.zeros((4, 2)), np.array([0.0, 1.0, 1.0, 0.0]), r"non-negative integer labels 0..C-1, got dtype float64"),
    (np.zeros(4), np.array([0, 1, 1, 0]), r"X must be a non-empty 2-D array \(N, D\)"),
])
def test_fit_gaussian_classes_rejects_bad_input(X, y, match):
    """Missing classes, negative or float labels, or a non-matrix X raise ValueError."""
    with pytest.raises(ValueError, match=match):
        concepts.fit_gaussian_classes(X, y)


GOOD = {"means": np.zeros((2, 2)), "covariances": np.stack([np.eye(2)] * 2), "priors": np.array([0.5, 0.5])}


@pytest.mark.parametrize(("params", "X", "match"), [
    ({"means": GOOD["means"]}, np.zeros((1, 2)), r"params must be a dict with keys 'means'"),
    (GOOD, np.zeros((1, 3)), r"for X with D=3 features expected means \(C, 3\)"),
    ({**GOOD, "priors": np.array([0.7, 0.7])}, np.zeros((1, 2)), r"priors must be positive and sum to 1"),
    ({**GOOD, "priors": np.array([1.0, 0.0])}, np.zeros((1, 2)), r"priors must be positive"),
    ({**GOOD, "covariances": np.stack([np.eye(2), -np.eye(2)])}, np.zeros((1, 2)),
     r"covariances\[1\] must be symmetric positive definite"),
    ({**GOOD, "covariances": np.stack([np.eye(2), [[1.0, 0.5], [0.0, 1.0]]])}, np.zeros((1, 2)),
     r"covariances\[1\] must be symmetric"),
])
def test_predict_gaussian_rejects_bad_params(params, X, match):
    """Missing keys, mismatched shapes, bad priors or a non-SPD covariance raise ValueError."""
    with pytest.raises(ValueError, match=match):
        concepts.predict_gaussian(params, X)
