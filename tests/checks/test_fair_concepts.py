"""Fairness of the a0_concepts checks: every known bug is caught for every student, the reference for none.

Per exercise, a table of known-bug variants, one per failure mode the notebook teaches, replayed through the hidden
check over 50 students' seeds (tests/fairness.py) and once through the visible check on its fixed inputs. A bug
the visible check deliberately leaves to the hidden check is listed in HIDDEN_ONLY with its reason.
"""

import math
from typing import Any, Callable

import numpy as np
import pytest

from course.checks.core import with_globals
from solutions import concepts
from tests import fairness

EXERCISES = ("squared_loss", "absolute_loss", "cross_entropy", "polynomial_features", "fit_least_squares",
             "train_val_test_split", "fit_gaussian_classes", "predict_gaussian")
ALL_IDS = tuple(f"concepts.{name}" for name in EXERCISES)


# ---- cost functions -------------------------------------------------------------------------------------
SQUARED_BUGS: dict[str, Callable[..., Any]] = {
    # the sum of the squared residuals, not their mean
    "summed, not averaged": lambda y_pred, y: float(np.sum((y_pred - y) ** 2)),
    # ½ · mean squared error
    "half the mean": lambda y_pred, y: float(0.5 * np.mean((y_pred - y) ** 2)),
    # the root of the mean squared error
    "root of the mean": lambda y_pred, y: float(np.sqrt(np.mean((y_pred - y) ** 2))),
    # the mean ABSOLUTE error
    "absolute instead": lambda y_pred, y: float(np.mean(np.abs(y_pred - y))),
    # the squared residuals, not averaged (an array)
    "elementwise": lambda y_pred, y: (y_pred - y) ** 2,
    # the square of the mean residual
    "squared mean residual": lambda y_pred, y: float(np.mean(y_pred - y) ** 2),
}

ABSOLUTE_BUGS: dict[str, Callable[..., Any]] = {
    # the sum of the absolute residuals
    "summed, not averaged": lambda y_pred, y: float(np.sum(np.abs(y_pred - y))),
    # |mean residual|: the absolute value taken after averaging
    "absolute of the mean": lambda y_pred, y: float(abs(np.mean(y_pred - y))),
    # the mean squared error
    "squared instead": lambda y_pred, y: float(np.mean((y_pred - y) ** 2)),
    # the mean residual, without the absolute value
    "signed mean": lambda y_pred, y: float(np.mean(y_pred - y)),
    # the median of the absolute residuals (the median minimises the loss; the loss is the mean)
    "median instead of mean": lambda y_pred, y: float(np.median(np.abs(y_pred - y))),
}


def _true_class(p, y):
    return p[np.arange(len(y)), y]


CROSS_ENTROPY_BUGS: dict[str, Callable[..., Any]] = {
    # +mean log p: the sign is wrong
    "wrong sign": lambda p, y: float(np.mean(np.log(_true_class(p, y)))),
    # −mean over samples of Σ_c log p_c: every class, not the true one
    "sums over all classes": lambda p, y: float(-np.mean(np.sum(np.log(p), axis=1))),
    # log base 10
    "log10": lambda p, y: float(-np.mean(np.log10(_true_class(p, y)))),
    # log base 2
    "log2": lambda p, y: float(-np.mean(np.log2(_true_class(p, y)))),
    # summed over the samples, not averaged
    "summed, not averaged": lambda p, y: float(-np.sum(np.log(_true_class(p, y)))),
    # p[:, y] (an N×N block) instead of p[np.arange(N), y]
    "p[:, y] indexing": lambda p, y: float(-np.mean(np.log(p[:, y]))),
    # one-hot times log p averaged over all N·C entries
    "averaged over N·C entries": lambda p, y: float(-np.mean(np.eye(p.shape[1])[y] * np.log(p))),
    # the most probable class's probability instead of the true class's
    "largest p, not the true class": lambda p, y: float(-np.mean(np.log(np.max(p, axis=1)))),
}


# ---- model complexity -----------------------------------------------------------------------------------
def _exp_log_powers(x, degree):
    with np.errstate(all="ignore"):
        return np.exp(np.arange(degree + 1) * np.log(x[:, None]))


POLYNOMIAL_BUGS: dict[str, Callable[..., Any]] = {
    # columns x^1..x^degree: the constant column is missing
    "no constant column": lambda x, degree: x[:, None] ** np.arange(1, degree + 1),
    # np.vander's default: decreasing powers
    "decreasing powers": lambda x, degree: np.vander(x, degree + 1),
    # x·k instead of x**k
    "multiplies instead of powers": lambda x, degree: x[:, None] * np.arange(degree + 1),
    # exp(k·log x): NaN for x < 0, and 0·log 0 at x = 0
    "powers via exp(k log x)": lambda x, degree: _exp_log_powers(x, degree),
    # one column too few (np.vander(x, degree))
    "degree columns": lambda x, degree: np.vander(x, degree, increasing=True),
}


def _ridge(X, y, reg, penalty=None):
    D = X.shape[1]
    P = np.eye(D) if penalty is None else penalty
    return np.linalg.solve(X.T @ X + reg * P, X.T @ y)


LEAST_SQUARES_BUGS: dict[str, Callable[..., Any]] = {
    # reg ignored: plain normal equations (singular for a duplicated column)
    "ignores reg": lambda X, y, reg=0.0: np.linalg.solve(X.T @ X, X.T @ y),
    # reg ignored, via lstsq (the minimum-norm solution when singular)
    "ignores reg (lstsq)": lambda X, y, reg=0.0: np.linalg.lstsq(X, y, rcond=None)[0],
    # reg·N·I (the penalty of an averaged loss)
    "reg times N": lambda X, y, reg=0.0: _ridge(X, y, reg * len(y)),
    # reg/2 · I
    "half the reg": lambda X, y, reg=0.0: _ridge(X, y, reg / 2),
    # XᵀX + reg: reg added to EVERY entry, not the diagonal
    "reg added to every entry": lambda X, y, reg=0.0: np.linalg.solve(X.T @ X + reg, X.T @ y),
    # the first weight left unpenalised (the notebook penalises every weight)
    "first weight unpenalised": lambda X, y, reg=0.0: _ridge(X, y, reg, np.diag([0.0] + [1.0] * (X.shape[1] - 1))),
    # √reg · I
    "sqrt of reg": lambda X, y, reg=0.0: _ridge(X, y, math.sqrt(reg)),
}


# ---- train / validation / test --------------------------------------------------------------------------
def make_split(bug: str = "") -> Callable[..., Any]:
    """A train_val_test_split with one mistake (or none, for bug == ''), written independently of solutions."""

    def train_val_test_split(X, y, val_fraction, test_fraction, seed):
        N = len(X)
        rounding = {"truncates": int, "ceil": math.ceil}.get(bug, round)
        n_val, n_test = rounding(val_fraction * N), rounding(test_fraction * N)
        n_train = N - n_val - n_test
        if bug == "train size rounded from 1 − fractions":
            n_train = round((1 - val_fraction - test_fraction) * N)
        if bug == "no shuffle":
            perm = np.arange(N)
        elif bug == "global np.random":
            perm = np.random.permutation(N)
        elif bug == "legacy np.random.seed":
            np.random.seed(seed)
            perm = np.random.permutation(N)
        else:
            perm = np.random.default_rng(seed).permutation(N)
        if bug == "test first":
            te, va, tr = perm[:n_test], perm[n_test:n_test + n_val], perm[n_test + n_val:]
        elif bug == "negative-index slices":
            tr, va, te = perm[:n_train], perm[n_train:-n_test], perm[-n_test:]
        elif bug == "test rows reused from training":
            tr, va, te = perm[:n_train], perm[n_train:n_train + n_val], perm[:n_test]
        else:
            tr, va, te = perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]
        if bug == "X and y shuffled separately":
            py = np.random.default_rng(seed + 1).permutation(N)
            return X[tr], y[py[:len(tr)]], X[va], y[py[len(tr):len(tr) + len(va)]], X[te], y[py[len(tr) + len(va):]]
        return X[tr], y[tr], X[va], y[va], X[te], y[te]

    train_val_test_split.__name__ = "train_val_test_split"
    return train_val_test_split


SPLIT_BUGS = fairness.variants(make_split, {
    "truncates": "int() truncates the sizes instead of rounding",
    "ceil": "math.ceil rounds the sizes up",
    "train size rounded from 1 − fractions":
        "n_train = round((1 − val − test)·N): the three sizes need not add up to N",
    "no shuffle": "the rows are not shuffled",
    "global np.random": "the global np.random, not a generator from the seed",
    "legacy np.random.seed": "np.random.seed(seed) + np.random.permutation: another permutation than default_rng(seed)",
    "test first": "the test set takes the FIRST shuffled rows",
    "negative-index slices": "perm[n_train:-n_test] and perm[-n_test:]: wrong when n_test = 0 (−0 is 0)",
    "test rows reused from training": "the test rows are taken from the training rows (a leak)",
    "X and y shuffled separately": "X and y shuffled with different permutations",
})


# ---- maximum-likelihood classification ----------------------------------------------------------------------
def make_fit(bug: str = "") -> Callable[..., Any]:
    """A fit_gaussian_classes with one mistake (or none, for bug == ''), written independently of solutions."""

    def fit_gaussian_classes(X, y, shared_covariance=False):
        N, D = X.shape
        C = int(y.max()) + 1
        if bug == "assumes X sorted by class":
            counts = np.bincount(y, minlength=C)
            groups = np.split(X, np.cumsum(counts)[:-1])
        else:
            groups = [X[y == c] for c in range(C)]
        means = np.array([g.mean(axis=0) for g in groups])
        covs = []
        for c, g in enumerate(groups):
            centre = X.mean(axis=0) if bug == "centred on the global mean" else means[c]
            diff = g if bug == "uncentred second moment" else g - centre
            covs.append(diff.T @ diff / (len(g) - 1 if bug == "divides by N_c − 1" else len(g)))
        covs = np.array(covs)
        counts = np.array([len(g) for g in groups], dtype=float)
        priors = {"counts as priors": counts, "uniform priors": np.full(C, 1.0 / C)}.get(bug, counts / N)
        if shared_covariance and bug != "ignores shared_covariance":
            if bug == "pooled with weights 1 / C":
                pooled = covs.mean(axis=0)
            elif bug == "pooled divides by N − C":
                pooled = np.sum(counts[:, None, None] * covs, axis=0) / (N - C)
            else:
                pooled = np.sum((counts / N)[:, None, None] * covs, axis=0)
            covs = np.tile(pooled, (C, 1, 1))
        if bug == "returns a tuple":
            return means, covs, priors
        return {"means": means, "covariances": covs, "priors": priors}

    fit_gaussian_classes.__name__ = "fit_gaussian_classes"
    return fit_gaussian_classes


FIT_BUGS = fairness.variants(make_fit, {
    "divides by N_c − 1": "the unbiased covariance (np.cov's default), not the ML one",
    "ignores shared_covariance": "shared_covariance ignored: separate covariances either way",
    "pooled with weights 1 / C": "the pooled covariance weights the classes by 1/C instead of N_c/N",
    "pooled divides by N − C": "the pooled covariance divides by N − C (unbiased)",
    "counts as priors": "the counts N_c as priors",
    "uniform priors": "uniform priors 1/C",
    "centred on the global mean": "Σ_c around the mean of ALL the data",
    "uncentred second moment": "Σ_c = (1/N_c) Σ x xᵀ without subtracting μ_c",
    "assumes X sorted by class": "splits X by class counts as if it were sorted by class",
    "returns a tuple": "(means, covariances, priors) instead of the dict",
})


def make_predict(bug: str = "") -> Callable[..., Any]:
    """A predict_gaussian with one mistake (or none, for bug == ''), written independently of solutions."""

    def predict_gaussian(params, X):
        D = X.shape[1]
        cols = []
        for mu, S, prior in zip(params["means"], params["covariances"], params["priors"]):
            diff = X - mu
            A = S if bug == "Σ instead of Σ⁻¹" else np.linalg.inv(S)
            maha = np.einsum("nd,de,ne->n", diff, A, diff)
            logdet = np.linalg.slogdet(S)[1]
            log_prior = {"ignores the priors": 0.0, "adds π_c, not log π_c": prior}.get(bug, np.log(prior))
            sign = {"without log det Σ_c": 0.0, "+½ log det Σ_c": -1.0}.get(bug, 1.0)
            log_density = -0.5 * (maha + sign * logdet + D * np.log(2 * np.pi))
            if bug == "densities, not log-densities":
                cols.append(prior * np.exp(log_density))
            else:
                cols.append(log_prior + log_density)
        scores = np.column_stack(cols)
        return np.argmin(scores, axis=1) if bug == "argmin" else np.argmax(scores, axis=1)

    predict_gaussian.__name__ = "predict_gaussian"
    return predict_gaussian


PREDICT_BUGS = fairness.variants(make_predict, {
    "ignores the priors": "log π_c left out",
    "adds π_c, not log π_c": "π_c added instead of log π_c",
    "without log det Σ_c": "−½ log det Σ_c left out (matters with separate covariances)",
    "+½ log det Σ_c": "+½ log det Σ_c: the sign of the log-determinant is wrong",
    "Σ instead of Σ⁻¹": "(x − μ)ᵀ Σ (x − μ) instead of Σ⁻¹",
    "densities, not log-densities":
        "π_c · N(x; μ_c, Σ_c) compared as numbers: 0 for every class far from the means",
    "argmin": "the smallest posterior",
})

BUGS: dict[str, dict[str, Callable[..., Any]]] = {
    "concepts.squared_loss": SQUARED_BUGS,
    "concepts.absolute_loss": ABSOLUTE_BUGS,
    "concepts.cross_entropy": CROSS_ENTROPY_BUGS,
    "concepts.polynomial_features": POLYNOMIAL_BUGS,
    "concepts.fit_least_squares": LEAST_SQUARES_BUGS,
    "concepts.train_val_test_split": SPLIT_BUGS,
    "concepts.fit_gaussian_classes": FIT_BUGS,
    "concepts.predict_gaussian": PREDICT_BUGS,
}


def _augmented_ridge(X, y, reg=0.0):
    D = X.shape[1]
    return np.linalg.lstsq(np.vstack([X, np.sqrt(reg) * np.eye(D)]), np.concatenate([y, np.zeros(D)]), rcond=None)[0]


RIGHT: dict[str, dict[str, Callable[..., Any]]] = {
    "concepts.squared_loss": {"np.mean of squares": lambda y_pred, y: float(np.mean((y_pred - y) ** 2)),
                              "dot / N": lambda y_pred, y: float((y_pred - y) @ (y_pred - y) / len(y))},
    "concepts.absolute_loss": {"np.mean of |r|": lambda y_pred, y: float(np.mean(np.abs(y_pred - y))),
                               "norm 1 / N": lambda y_pred, y: float(np.linalg.norm(y_pred - y, 1) / len(y))},
    "concepts.cross_entropy": {"fancy indexing": lambda p, y: float(-np.mean(np.log(_true_class(p, y)))),
                               "one-hot": lambda p, y: float(-np.sum(np.eye(p.shape[1])[y] * np.log(p)) / len(y))},
    "concepts.polynomial_features": {"np.vander increasing": lambda x, d: np.vander(x, d + 1, increasing=True),
                                     "cumprod": lambda x, d: np.cumprod(np.column_stack(
                                         [np.ones_like(x)] + [x] * d), axis=1)},
    "concepts.fit_least_squares": {"inv": lambda X, y, reg=0.0: np.linalg.inv(X.T @ X + reg * np.eye(X.shape[1]))
                                   @ X.T @ y, "augmented lstsq": _augmented_ridge},
    "concepts.train_val_test_split": {"independent": make_split("")},
    "concepts.fit_gaussian_classes": {"independent": make_fit(""),
                                      "np.cov(bias=True)": lambda X, y, shared_covariance=False: _via_cov(
                                          X, y, shared_covariance)},
    "concepts.predict_gaussian": {"independent": make_predict("")},
}


def _via_cov(X, y, shared):
    C = int(y.max()) + 1
    covs = np.array([np.atleast_2d(np.cov(X[y == c].T, bias=True)) for c in range(C)])
    priors = np.bincount(y) / len(y)
    if shared:
        covs = np.tile(np.einsum("c,cij->ij", priors, covs), (C, 1, 1))
    return {"means": np.array([X[y == c].mean(axis=0) for c in range(C)]), "covariances": covs, "priors": priors}


# bugs the visible check deliberately leaves to the hidden one, with the reason
HIDDEN_ONLY: dict[tuple[str, str], str] = {}



# ---- the tests ------------------------------------------------------------------------------------------


# ---- no collateral loss ---------------------------------------------------------------------------------
def _broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("this other exercise is broken")


@pytest.mark.parametrize("exercise_id", ALL_IDS)
def test_an_exercise_keeps_full_marks_when_the_others_are_wrong(exercise_id: str) -> None:
    """Every exercise, with every OTHER exercise broken in its notebook (predict_gaussian's fit_gaussian_classes
    among them), passes its visible check and its hidden check in every draw."""
    name = exercise_id.partition(".")[2]
    fn = with_globals(getattr(concepts, name), **{other: _broken for other in EXERCISES if other != name})
    assert fairness.visible_verdict(exercise_id, fn) is None
    fairness.assert_passes_in_every_draw(exercise_id, fn)


def test_predict_gaussian_that_fits_nothing_itself_keeps_its_marks_when_fit_is_wrong() -> None:
    """predict_gaussian is graded on parameters the check gives it: a wrong fit_gaussian_classes costs it nothing,
    even for a student whose predict would call fit (it never needs to)."""
    fn = with_globals(make_predict(""), fit_gaussian_classes=FIT_BUGS["divides by N_c − 1"])
    assert fairness.visible_verdict("concepts.predict_gaussian", fn) is None
    fairness.assert_passes_in_every_draw("concepts.predict_gaussian", fn)
