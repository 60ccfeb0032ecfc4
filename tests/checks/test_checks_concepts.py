"""Tests of the visible and hidden checks of a0_concepts (course.checks.concepts, autograder.checks.concepts).

One table of cases runs against the reference (must pass), the released stubs (must raise NotImplementedError)
and planted bugs (must fail with the teaching message that names the mistake).
"""

import json

import nbformat
import numpy as np
import pytest

from autograder import hidden
from course.checks import check, exercise_ids, spec
from course.checks import concepts as visible
from course.checks.core import load_expected
from solutions import concepts
from tests.nbtools import ROOT, grade_id

EXERCISES = ["squared_loss", "absolute_loss", "cross_entropy", "polynomial_features", "fit_least_squares",
             "train_val_test_split", "fit_gaussian_classes", "predict_gaussian"]


def released_stubs() -> dict[str, object]:
    """The student's starting point: the released notebook's solution cells, exec'd."""
    nb = nbformat.read(ROOT / "release" / "a0_concepts" / "concepts.ipynb", as_version=4)
    namespace: dict[str, object] = {"np": np}
    for cell in nb.cells:
        if cell.cell_type == "code" and grade_id(cell).endswith(("-solution", "-provided")):
            exec(compile(cell.source, f"<release {grade_id(cell)}>", "exec"), namespace)  # noqa: S102
    return namespace


# ---- (a) the reference passes, (b) the released stubs do not --------------------------------------------
@pytest.mark.parametrize("name", EXERCISES)
def test_reference_passes_visible_check(name, capsys):
    """Every reference function from solutions.concepts passes its visible check and prints only the tick."""
    assert check(f"concepts.{name}", getattr(concepts, name)) is None
    assert capsys.readouterr() == (f"✓ concepts.{name}: visible check passed\n", "")


def test_every_concepts_exercise_has_a_visible_check():
    """The visible checks registered under concepts.* are exactly the eight graded exercises."""
    assert [i for i in exercise_ids() if i.startswith("concepts.")] == sorted(f"concepts.{n}" for n in EXERCISES)


@pytest.mark.parametrize("name", EXERCISES)
def test_released_stub_fails_with_not_implemented(name):
    """The released notebook's stub of each exercise raises NotImplementedError inside its visible check."""
    stubs = released_stubs()
    with pytest.raises(NotImplementedError):
        check(f"concepts.{name}", stubs[name])


# ---- (c) planted bugs -------------------------------------------------------------------------------------
def sum_squared(y_pred, y):
    return float(np.sum((y_pred - y) ** 2))


def root_mean_squared(y_pred, y):
    return float(np.sqrt(np.mean((y_pred - y) ** 2)))


def squared_as_absolute(y_pred, y):
    return float(np.mean(np.abs(y_pred - y)))


def elementwise_squared(y_pred, y):
    return (y_pred - y) ** 2


def absolute_of_mean(y_pred, y):
    return float(abs(np.mean(y_pred - y)))


def absolute_as_squared(y_pred, y):
    return float(np.mean((y_pred - y) ** 2))


def cross_entropy_wrong_sign(p, y):
    return float(np.mean(np.log(p[np.arange(len(y)), y])))


def cross_entropy_all_classes(p, y):
    return float(-np.mean(np.sum(np.log(p), axis=1)))


def cross_entropy_log10(p, y):
    return float(-np.mean(np.log10(p[np.arange(len(y)), y])))


def features_without_constant(x, degree):
    return x[:, None] ** np.arange(1, degree + 1)


def features_decreasing(x, degree):
    return np.vander(x, degree + 1)


def least_squares_ignoring_reg(X, y, reg=0.0):
    return np.linalg.solve(X.T @ X, X.T @ y)


def least_squares_reg_times_n(X, y, reg=0.0):
    return np.linalg.solve(X.T @ X + reg * len(y) * np.eye(X.shape[1]), X.T @ y)


def least_squares_lstsq_ignoring_reg(X, y, reg=0.0):
    return np.linalg.lstsq(X, y, rcond=None)[0]


def _sizes(N, val_fraction, test_fraction, rounding=round):
    n_val, n_test = rounding(val_fraction * N), rounding(test_fraction * N)
    return N - n_val - n_test, n_val, n_test


def split_truncating(X, y, val_fraction, test_fraction, seed):
    n_train, n_val, _ = _sizes(len(X), val_fraction, test_fraction, rounding=int)
    perm = np.random.default_rng(seed).permutation(len(X))
    tr, va, te = perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]
    return X[tr], y[tr], X[va], y[va], X[te], y[te]


def split_without_shuffle(X, y, val_fraction, test_fraction, seed):
    n_train, n_val, _ = _sizes(len(X), val_fraction, test_fraction)
    return X[:n_train], y[:n_train], X[n_train:n_train + n_val], y[n_train:n_train + n_val], \
        X[n_train + n_val:], y[n_train + n_val:]


def split_leaking(X, y, val_fraction, test_fraction, seed):
    n_train, n_val, n_test = _sizes(len(X), val_fraction, test_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    tr, va, te = perm[:n_train], perm[n_train:n_train + n_val], perm[:n_test]  # test rows reused from training
    return X[tr], y[tr], X[va], y[va], X[te], y[te]


def split_shuffling_x_and_y_separately(X, y, val_fraction, test_fraction, seed):
    n_train, n_val, _ = _sizes(len(X), val_fraction, test_fraction)
    rng = np.random.default_rng(seed)
    X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    return X[:n_train], y[:n_train], X[n_train:n_train + n_val], y[n_train:n_train + n_val], \
        X[n_train + n_val:], y[n_train + n_val:]


_GLOBAL_RNG = np.random.default_rng(0)


def split_with_shared_generator(X, y, val_fraction, test_fraction, seed):
    n_train, n_val, _ = _sizes(len(X), val_fraction, test_fraction)
    perm = _GLOBAL_RNG.permutation(len(X))  # ignores the seed: another split on every call
    tr, va, te = perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]
    return X[tr], y[tr], X[va], y[va], X[te], y[te]


def split_negative_slices(X, y, val_fraction, test_fraction, seed):
    n_train, n_val, n_test = _sizes(len(X), val_fraction, test_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    tr, va, te = perm[:n_train], perm[n_train:-n_test], perm[-n_test:]  # with n_test = 0, -0 is 0
    return X[tr], y[tr], X[va], y[va], X[te], y[te]


def split_test_first(X, y, val_fraction, test_fraction, seed):
    n_train, n_val, n_test = _sizes(len(X), val_fraction, test_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    te, va, tr = perm[:n_test], perm[n_test:n_test + n_val], perm[n_test + n_val:]
    return X[tr], y[tr], X[va], y[va], X[te], y[te]


def _fit(X, y, shared, cov):
    C = y.max() + 1
    means = np.array([X[y == c].mean(axis=0) for c in range(C)])
    covs = np.array([cov(X[y == c]) for c in range(C)])
    priors = np.bincount(y) / len(y)
    if shared:
        covs = np.tile(np.sum(priors[:, None, None] * covs, axis=0), (C, 1, 1))
    return {"means": means, "covariances": covs, "priors": priors}


def fit_unbiased(X, y, shared_covariance=False):
    return _fit(X, y, shared_covariance, lambda Xc: np.atleast_2d(np.cov(Xc.T)))


def fit_ignoring_shared(X, y, shared_covariance=False):
    return concepts.fit_gaussian_classes(X, y, shared_covariance=False)


def fit_pooled_unweighted(X, y, shared_covariance=False):
    params = concepts.fit_gaussian_classes(X, y)
    if shared_covariance:
        params["covariances"] = np.tile(params["covariances"].mean(axis=0), (len(params["priors"]), 1, 1))
    return params


def fit_counts_as_priors(X, y, shared_covariance=False):
    params = concepts.fit_gaussian_classes(X, y, shared_covariance=shared_covariance)
    return {**params, "priors": np.bincount(y).astype(float)}


def fit_returning_tuple(X, y, shared_covariance=False):
    params = concepts.fit_gaussian_classes(X, y, shared_covariance=shared_covariance)
    return params["means"], params["covariances"], params["priors"]


def _log_densities(params, X, with_logdet=True):
    cols = []
    for mu, S in zip(params["means"], params["covariances"]):
        diff = X - mu
        cols.append(-0.5 * np.sum(diff * np.linalg.solve(S, diff.T).T, axis=1)
                    - 0.5 * (np.linalg.slogdet(S)[1] if with_logdet else 0.0))
    return np.column_stack(cols)


def predict_ignoring_priors(params, X):
    return np.argmax(_log_densities(params, X), axis=1)


def predict_without_logdet(params, X):
    return np.argmax(_log_densities(params, X, with_logdet=False) + np.log(params["priors"]), axis=1)


def predict_with_densities(params, X):
    dens = np.exp(_log_densities(params, X)) * params["priors"]  # underflows to 0 far from the means
    return np.argmax(dens, axis=1)


PLANTED = [
    ("squared_loss", sum_squared, ["SUM", "divide by N"]),
    ("squared_loss", root_mean_squared, ["root"]),
    ("squared_loss", squared_as_absolute, ["mean of the SQUARED residuals"]),
    ("squared_loss", elementwise_squared, ["expected one number", "np.mean"]),
    ("absolute_loss", absolute_of_mean, ["|mean residual|", "BEFORE averaging"]),
    ("absolute_loss", absolute_as_squared, ["|y_pred - y|", "not of the squares"]),
    ("cross_entropy", cross_entropy_wrong_sign, ["sign"]),
    ("cross_entropy", cross_entropy_all_classes, ["ALL classes", "p[np.arange(N), y]"]),
    ("cross_entropy", cross_entropy_log10, ["natural logarithm"]),
    ("polynomial_features", features_without_constant, ["degree + 1 columns", "all ones"]),
    ("polynomial_features", features_decreasing, ["decreasing order", "increasing=True"]),
    ("fit_least_squares", least_squares_ignoring_reg, ["ignored reg", "reg·I"]),
    ("fit_least_squares", least_squares_reg_times_n, ["reg·N·I"]),
    ("fit_least_squares", least_squares_lstsq_ignoring_reg, ["ignored reg"]),
    ("train_val_test_split", split_truncating, ["round", "int()"]),
    ("train_val_test_split", split_without_shuffle, ["not shuffled", "permutation"]),
    ("train_val_test_split", split_leaking, ["leak"]),
    ("train_val_test_split", split_shuffling_x_and_y_separately, ["SAME rows"]),
    ("train_val_test_split", split_with_shared_generator, ["default_rng(seed)"]),
    ("train_val_test_split", split_test_first, ["row ids of the training set", "perm[:n_train]"]),
    ("train_val_test_split", split_negative_slices, ["0.32, 0, seed=11", "perm[-n_test:]", "WHOLE permutation"]),
    ("fit_gaussian_classes", fit_unbiased, ["N_c − 1", "bias=True"]),
    ("fit_gaussian_classes", fit_ignoring_shared, ["pooled", "N_c / N"]),
    ("fit_gaussian_classes", fit_pooled_unweighted, ["not by 1 / C"]),
    ("fit_gaussian_classes", fit_counts_as_priors, ["counts N_c", "divide by N"]),
    ("fit_gaussian_classes", fit_returning_tuple, ["must return a dict"]),
    ("predict_gaussian", predict_ignoring_priors, ["ignore the priors", "log π_c"]),
    ("predict_gaussian", predict_without_logdet, ["log det", "slogdet"]),
    ("predict_gaussian", predict_with_densities, ["underflows", "LOG-densities"]),
]


@pytest.mark.parametrize(("name", "buggy", "phrases"), PLANTED, ids=[f"{n}-{b.__name__}" for n, b, _ in PLANTED])
def test_planted_bug_fails_with_teaching_message(name, buggy, phrases, capsys):
    """A planted mistake fails its visible check with an AssertionError naming the mistake; nothing is printed."""
    with pytest.raises(AssertionError) as info:
        check(f"concepts.{name}", buggy)
    message = str(info.value)
    assert all(p in message for p in phrases), message
    assert capsys.readouterr() == ("", "")


def test_rank_deficient_case_without_reg_reports_the_singular_matrix():
    """An answer that drops reg raises LinAlgError on the duplicated columns; the check turns it into a hint."""
    def solve_without_reg(X, y, reg=0.0):
        if np.linalg.matrix_rank(X) == X.shape[1]:  # right on the full-rank cases: only the singular one fails
            return concepts.fit_least_squares(X, y, reg=reg)
        return np.linalg.solve(X.T @ X, X.T @ y)

    ex = spec.lookup("concepts.fit_least_squares")
    case = dict(zip(ex.cases, spec.visible_cases(ex)))["reg > 0 and duplicated columns (X^T X singular)"]
    try:
        np.linalg.solve(case["X"].T @ case["X"], case["X"].T @ case["y"])
    except np.linalg.LinAlgError:
        with pytest.raises(AssertionError, match="positive definite"):
            check("concepts.fit_least_squares", solve_without_reg)
    else:  # rounding hid the singularity on this machine: the garbage weights still fail the comparison
        with pytest.raises(AssertionError, match="ignored reg|entries differ"):
            check("concepts.fit_least_squares", solve_without_reg)


def test_a_correct_alternative_least_squares_passes():
    """Ridge via lstsq on the augmented system [X; √reg·I] w ≈ [y; 0] is correct and passes the visible check."""
    def augmented(X, y, reg=0.0):
        D = X.shape[1]
        return np.linalg.lstsq(np.vstack([X, np.sqrt(reg) * np.eye(D)]), np.concatenate([y, np.zeros(D)]),
                               rcond=None)[0]

    check("concepts.fit_least_squares", augmented)


def test_a_correct_alternative_gaussian_fit_passes():
    """np.cov(bias=True) per class and an E[xxᵀ] − μμᵀ pooled estimate pass the visible check."""
    def via_cov(X, y, shared_covariance=False):
        return _fit(X, y, shared_covariance, lambda Xc: np.atleast_2d(np.cov(Xc.T, bias=True)))

    check("concepts.fit_gaussian_classes", via_cov)


def test_visible_inputs_make_every_hint_reachable():
    """The shipped wrong answers differ from the right ones (else their hints could never fire)."""
    exp = load_expected("concepts")
    for kind in ("separate", "shared"):
        e = exp["predict_gaussian"][kind]
        assert e["uniform_priors"][:16] != e["labels"][:16]
        assert e["labels"][16:] != [0, 0, 0, 0]  # densities that underflow give label 0 far away
    assert exp["predict_gaussian"]["separate"]["without_logdet"][:16] != exp["predict_gaussian"]["separate"]["labels"][:16]
    split = exp["train_val_test_split"]
    assert (len(split["train_ids"]), len(split["val_ids"]), len(split["test_ids"])) == (15, 5, 3)
    no_test = split["no_test"]
    assert (len(no_test["train_ids"]), len(no_test["val_ids"]), len(no_test["test_ids"])) == (14, 6, 0)


def test_expected_values_equal_independent_oracles():
    """The shipped numbers equal independent recomputations: np.mean formulas, np.vander, an augmented lstsq, np.cov."""
    exp = load_expected("concepts")
    for name, oracle in (("squared_loss", lambda c: np.mean((c["y_pred"] - c["y"]) ** 2)),
                         ("absolute_loss", lambda c: np.mean(np.abs(c["y_pred"] - c["y"]))),
                         ("cross_entropy", lambda c: -np.mean([np.log(c["p"][i, k]) for i, k in enumerate(c["y"])])),
                         ("polynomial_features", lambda c: np.vander(c["x"], c["degree"] + 1, increasing=True))):
        ex = spec.lookup(f"concepts.{name}")
        for label, case in zip(ex.cases, spec.visible_cases(ex)):
            (want,) = exp[f"concepts.{name}"][label].values()
            np.testing.assert_allclose(want, oracle(case), rtol=1e-12, atol=1e-300, err_msg=f"{name}: {label}")
    ex = spec.lookup("concepts.fit_least_squares")
    for label, case in zip(ex.cases, spec.visible_cases(ex)):
        D = case["X"].shape[1]
        aug = np.linalg.lstsq(np.vstack([case["X"], np.sqrt(case["reg"]) * np.eye(D)]),
                              np.concatenate([case["y"], np.zeros(D)]), rcond=None)[0]
        np.testing.assert_allclose(exp["concepts.fit_least_squares"][label]["w"], aug, rtol=1e-7, err_msg=label)
    gi = visible.gaussian_inputs()
    for c in range(3):
        Xc = gi["X"][gi["y"] == c]
        np.testing.assert_allclose(exp["fit_gaussian_classes"]["separate"]["covariances"][c], np.cov(Xc.T, bias=True),
                                   rtol=1e-12)


# ---- hidden checks ------------------------------------------------------------------------------------------
SECRET = "test-secret"


@pytest.fixture
def grading(monkeypatch, tmp_path):
    """A grading context: fixed secret, cwd in tmp_path (evidence goes there), verdict in-kernel."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NNDL_GRADING_SECRET", SECRET)
    monkeypatch.setenv("NNDL_STUDENT_ID", "alice")
    monkeypatch.delenv("NNDL_EVIDENCE_DIR", raising=False)
    monkeypatch.delenv("NNDL_HIDDEN_VERDICT", raising=False)
    return tmp_path / ".nndl_evidence"


@pytest.mark.parametrize("student", ["alice", "bob", "carol", "dave"])
@pytest.mark.parametrize("name", EXERCISES)
def test_reference_passes_hidden_check(grading, monkeypatch, name, student, capsys):
    """Every reference function passes its hidden check for several students, writing plain float/int evidence."""
    monkeypatch.setenv("NNDL_STUDENT_ID", student)
    hidden.check(f"concepts.{name}", getattr(concepts, name))
    assert capsys.readouterr() == (f"✓ concepts.{name}: hidden check passed\n", "")
    assert json.loads((grading / f"concepts.{name}.json").read_text())["status"] == "ok"
    with np.load(grading / f"concepts.{name}.npz", allow_pickle=False) as data:
        assert data.files and all(data[k].dtype in (np.float64, np.int64) for k in data.files)


@pytest.mark.parametrize("name", EXERCISES)
def test_hidden_inputs_are_a_function_of_the_seed(name):
    """The judge re-derives exactly the kernel's inputs from the seed; another seed gives other inputs."""
    spec = hidden.lookup(f"concepts.{name}")
    first, again, other = (np.concatenate(list(_leaves(hidden.inputs_for(spec, s)))) for s in (5, 5, 6))
    np.testing.assert_array_equal(first, again)
    assert first.shape != other.shape or not np.array_equal(first, other)


def _leaves(value):
    """Every number of a (nested) inputs structure, as flat float arrays."""
    if isinstance(value, dict):
        for _, v in sorted(value.items()):
            yield from _leaves(v)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for v in value:
            yield from _leaves(v)
    else:
        yield np.ravel(np.asarray(value, dtype=float))


def test_hidden_least_squares_inputs_include_a_rank_deficient_x_with_reg():
    """Every hidden least-squares draw has a case with reg = 0 and a duplicated-column X (X^T X singular) with
    reg > 0."""
    for seed in range(20):
        cases = hidden.inputs_for(hidden.lookup("concepts.fit_least_squares"), seed)["cases"]
        assert cases[0]["reg"] == 0 and cases[1]["reg"] > 0
        assert np.linalg.matrix_rank(cases[2]["X"]) < cases[2]["X"].shape[1] and cases[2]["reg"] > 0


def test_hidden_split_fractions_round_to_the_drawn_sizes():
    """Hidden split fractions are never near a rounding half: round(fraction·N) is the size the schema expects; every
    draw has sizes rounding up, sizes rounding down and no test rows."""
    for seed in range(50):
        cases = hidden.inputs_for(hidden.lookup("concepts.train_val_test_split"), seed)["cases"]
        for case in cases:
            N = len(case["X"])
            for frac, n in ((case["val_fraction"], case["sizes"][1]), (case["test_fraction"], case["sizes"][2])):
                assert round(frac * N) == n and abs(frac * N - n) <= 0.46
            assert case["sizes"][0] >= 1
        up, down, no_test = cases
        assert all(frac * len(up["X"]) < n for frac, n in ((up["val_fraction"], up["sizes"][1]),
                                                            (up["test_fraction"], up["sizes"][2])))
        assert all(frac * len(down["X"]) > n for frac, n in ((down["val_fraction"], down["sizes"][1]),
                                                              (down["test_fraction"], down["sizes"][2])))
        assert no_test["test_fraction"] == 0 and no_test["sizes"][2] == 0


HIDDEN_PLANTED = [
    ("squared_loss", sum_squared, "divide by N"),
    ("absolute_loss", absolute_of_mean, "entries differ"),
    ("cross_entropy", cross_entropy_wrong_sign, "sign"),
    ("polynomial_features", features_decreasing, "increasing=True"),
    ("fit_least_squares", least_squares_reg_times_n, "entries differ"),
    ("train_val_test_split", split_without_shuffle, "not shuffled"),
    ("train_val_test_split", split_test_first, "differ|expected shape"),
    ("fit_gaussian_classes", fit_unbiased, "N_c − 1"),
    ("fit_gaussian_classes", fit_returning_tuple, "must return a dict"),
    ("predict_gaussian", predict_ignoring_priors, "labels are wrong"),
    ("predict_gaussian", predict_with_densities, "labels are wrong"),
]


@pytest.mark.parametrize(("name", "buggy", "phrase"), HIDDEN_PLANTED,
                         ids=[f"{n}-{b.__name__}" for n, b, _ in HIDDEN_PLANTED])
def test_planted_bug_fails_hidden_check(grading, name, buggy, phrase):
    """A planted mistake fails its hidden check with AssertionError (evidence is written either way)."""
    with pytest.raises(AssertionError, match=phrase):
        hidden.check(f"concepts.{name}", buggy)
    assert (grading / f"concepts.{name}.json").is_file()


def test_predict_judge_accepts_either_label_of_a_near_tie():
    """At an exact tie between two classes the judge accepts the larger label as well as argmax's smaller one."""
    spec = hidden.lookup("concepts.predict_gaussian")
    params = {"means": np.array([[-1.0], [1.0]]), "covariances": np.ones((2, 1, 1)), "priors": np.array([0.5, 0.5])}
    inputs = {"cases": [{"X": np.array([[0.0], [3.0]]), "params": params}] * 2}
    spec.judge(inputs, {"c0.y_pred": np.array([1, 1]), "c1.y_pred": np.array([0, 1])})
    with pytest.raises(AssertionError, match="labels are wrong"):
        spec.judge(inputs, {"c0.y_pred": np.array([1, 0]), "c1.y_pred": np.array([0, 1])})
