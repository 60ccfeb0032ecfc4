"""Hidden checks of assignment a0_concepts: the student's functions vs `solutions.concepts` on grading-time inputs.

Also ``expected_values()``, the builder of course/expected/concepts.json (registered in autograder/expected.py):
the reference's outputs on the visible checks' fixed inputs, plus a few typical wrong outputs the visible checks
use only to choose a hint.
"""

from typing import Any, Callable

import numpy as np

from autograder.hidden import HiddenCheck, hidden
from course.checks import concepts as visible
from course.checks.core import assert_close, assert_equal_labels, call_student

Schema = dict[str, tuple[tuple[int, ...], str]]


# ---- cost functions -------------------------------------------------------------------------------------
def _regression_loss_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """N in 1..60, targets at scales 1e-2..1e3, residuals of varied size, some exactly 0, one outlier."""
    N = int(rng.integers(1, 61))
    scale = 10 ** rng.uniform(-2, 3)
    y = scale * rng.normal(size=N)
    y_pred = y + scale * 10 ** rng.uniform(-2, 0) * rng.normal(size=N)
    exact = rng.random(N) < 0.2
    y_pred[exact] = y[exact]
    y_pred[int(rng.integers(N))] += 20 * scale
    return {"y_pred": y_pred, "y": y}


def _loss_run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    return {"loss": call_student(fn, inputs["y_pred"], inputs["y"]).value}


def _loss_schema(inputs: dict[str, Any]) -> Schema:
    return {"loss": ((), "float")}


def _loss_judge(name: str) -> Callable[[dict[str, Any], dict[str, np.ndarray]], None]:
    def judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
        from solutions import concepts

        expected = getattr(concepts, name)(inputs["y_pred"], inputs["y"])
        assert_close(f"{name} on hidden inputs", outputs["loss"], np.array(expected),
                     hints=[(lambda g, e: np.isclose(g, len(inputs["y"]) * e), "average over N, do not sum")])

    return judge


for _name in ("squared_loss", "absolute_loss"):
    hidden(HiddenCheck(f"concepts.{_name}", _regression_loss_inputs, _loss_run, _loss_schema, _loss_judge(_name)))


def _cross_entropy_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """N in 1..40, C in 2..8, probabilities from softmax scores from almost uniform to very confident."""
    N, C = int(rng.integers(1, 41)), int(rng.integers(2, 9))
    scores = 10 ** rng.uniform(-1, 1.3) * rng.normal(size=(N, C))
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    return {"p": p / p.sum(axis=1, keepdims=True), "y": rng.integers(0, C, size=N)}


def _cross_entropy_run(inputs: dict[str, Any], cross_entropy: Callable[..., Any]) -> dict[str, Any]:
    return {"loss": call_student(cross_entropy, inputs["p"], inputs["y"]).value}


def _cross_entropy_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import concepts

    expected = concepts.cross_entropy(inputs["p"], inputs["y"])
    assert_close("cross_entropy on hidden inputs", outputs["loss"], np.array(expected),
                 hints=[(lambda g, e: np.isclose(g, -e), "the sign is wrong: the loss is MINUS the mean log p")])


hidden(HiddenCheck("concepts.cross_entropy", _cross_entropy_inputs, _cross_entropy_run, _loss_schema,
                   _cross_entropy_judge))


# ---- model complexity -----------------------------------------------------------------------------------
def _polynomial_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """N in 1..25 points at scales 0.1..3 (zeros included), two degrees in 0..9."""
    N = int(rng.integers(1, 26))
    x = 10 ** rng.uniform(-1, 0.5) * rng.normal(size=N)
    x[rng.random(N) < 0.15] = 0.0
    return {"x": x, "degrees": sorted({0, int(rng.integers(1, 10))})}


def _polynomial_run(inputs: dict[str, Any], polynomial_features: Callable[..., Any]) -> dict[str, Any]:
    return {f"degree{d}": call_student(polynomial_features, inputs["x"], d).value for d in inputs["degrees"]}


def _polynomial_schema(inputs: dict[str, Any]) -> Schema:
    return {f"degree{d}": ((len(inputs["x"]), d + 1), "float") for d in inputs["degrees"]}


def _polynomial_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import concepts

    for d in inputs["degrees"]:
        assert_close(f"polynomial_features(x, {d}) on hidden inputs", outputs[f"degree{d}"],
                     concepts.polynomial_features(inputs["x"], d),
                     hints=[(lambda g, e: np.allclose(g, e[:, ::-1]), "column k must be x**k (increasing powers)")])


hidden(HiddenCheck("concepts.polynomial_features", _polynomial_inputs, _polynomial_run, _polynomial_schema,
                   _polynomial_judge))


def _least_squares_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Three problems at a random scale: full-rank X with reg = 0, with reg > 0, and X with duplicated columns
    (rank-deficient, X^T X singular) with reg > 0. Gaussian X with N >= D + 5 keeps cond(X) modest."""
    D = int(rng.integers(1, 7))
    N = int(rng.integers(D + 5, 50))
    scale = 10 ** rng.uniform(-1, 1)
    X = scale * rng.normal(size=(N, D))
    y = X @ rng.normal(size=D) + rng.normal(size=N)
    dup = rng.integers(0, D, size=int(rng.integers(1, 4)))
    return {"X": X, "y": y, "reg": float(10 ** rng.uniform(-3, 1) * scale**2),
            "X_dup": np.column_stack([X, X[:, dup]]), "reg_dup": float(10 ** rng.uniform(-2, 1) * scale**2)}


def _least_squares_run(inputs: dict[str, Any], fit_least_squares: Callable[..., Any]) -> dict[str, Any]:
    return {"w_ols": call_student(fit_least_squares, inputs["X"], inputs["y"], reg=0.0).value,
            "w_ridge": call_student(fit_least_squares, inputs["X"], inputs["y"], reg=inputs["reg"]).value,
            "w_rank_deficient": call_student(fit_least_squares, inputs["X_dup"], inputs["y"],
                                             reg=inputs["reg_dup"]).value}


def _least_squares_schema(inputs: dict[str, Any]) -> Schema:
    D = inputs["X"].shape[1]
    return {"w_ols": ((D,), "float"), "w_ridge": ((D,), "float"), "w_rank_deficient": ((inputs["X_dup"].shape[1],),
                                                                                        "float")}


def _least_squares_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import concepts

    cases = [("w_ols", inputs["X"], 0.0), ("w_ridge", inputs["X"], inputs["reg"]),
             ("w_rank_deficient", inputs["X_dup"], inputs["reg_dup"])]
    for key, X, reg in cases:
        expected = concepts.fit_least_squares(X, inputs["y"], reg=reg)
        # different but correct solvers (solve, inv, lstsq on an augmented system) agree to ~cond²·eps ≪ 1e-6
        assert_close(f"fit_least_squares(X, y, reg={reg:.3g}) on hidden inputs", outputs[key], expected,
                     rtol=1e-6, atol=1e-8 * (1 + float(np.abs(expected).max())))


hidden(HiddenCheck("concepts.fit_least_squares", _least_squares_inputs, _least_squares_run, _least_squares_schema,
                   _least_squares_judge))


# ---- train / validation / test ----------------------------------------------------------------------------
def _split_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """N in 3..80 rows (first column the row id), sizes n_val, n_test drawn first; the fractions are
    (n + u) / N with |u| <= 0.3, so round() is never at a half and int() would truncate some of them."""
    N = int(rng.integers(3, 81))
    D = int(rng.integers(1, 5))
    n_val = int(rng.integers(0, N // 2))
    n_test = int(rng.integers(0, N - n_val - 1))
    u = rng.uniform(-0.3, 0.3, size=2)
    val, test = max(0.0, (n_val + u[0]) / N), max(0.0, (n_test + u[1]) / N)
    X = np.column_stack([np.arange(N, dtype=float), rng.normal(size=(N, D - 1))])
    return {"X": X, "y": rng.integers(0, 5, size=N), "val_fraction": val, "test_fraction": test,
            "seed": int(rng.integers(0, 2**31)), "sizes": (N - n_val - n_test, n_val, n_test)}


_SPLIT_NAMES = ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test")


def _split_run(inputs: dict[str, Any], train_val_test_split: Callable[..., Any]) -> dict[str, Any]:
    value = call_student(train_val_test_split, inputs["X"], inputs["y"], inputs["val_fraction"],
                         inputs["test_fraction"], inputs["seed"]).value
    if not isinstance(value, (tuple, list)) or len(value) != 6:
        raise AssertionError("train_val_test_split must return (X_train, y_train, X_val, y_val, X_test, y_test)")
    return dict(zip(_SPLIT_NAMES, value))


def _split_schema(inputs: dict[str, Any]) -> Schema:
    D = inputs["X"].shape[1]
    out: Schema = {}
    for n, part in zip(inputs["sizes"], ("train", "val", "test")):
        out[f"X_{part}"], out[f"y_{part}"] = ((n, D), "float"), ((n,), "int")
    return out


def _split_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import concepts

    expected = concepts.train_val_test_split(inputs["X"], inputs["y"], inputs["val_fraction"],
                                             inputs["test_fraction"], inputs["seed"])
    for name, want in zip(_SPLIT_NAMES, expected):
        if name.startswith("X"):
            assert_close(f"{name} on hidden inputs", outputs[name], want, rtol=0, atol=0, hints=[
                (lambda g, e: np.array_equal(np.sort(g[:, 0]), np.sort(e[:, 0])), "right rows, wrong order"),
                (lambda g, e: len(g) > 1 and np.all(np.diff(g[:, 0]) == 1),
                 "the rows are not shuffled: use np.random.default_rng(seed).permutation(N)")])
        else:
            assert_equal_labels(f"{name} on hidden inputs", outputs[name], want)


hidden(HiddenCheck("concepts.train_val_test_split", _split_inputs, _split_run, _split_schema, _split_judge))


# ---- maximum-likelihood classification ----------------------------------------------------------------------
def _gaussian_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """C in 2..4 classes in D in 1..4 dimensions, N_c in D+1..D+25 (unequal), a random offset and scale."""
    C, D = int(rng.integers(2, 5)), int(rng.integers(1, 5))
    counts = rng.integers(D + 1, D + 26, size=C)
    scale, offset = 10 ** rng.uniform(-1, 1), 10 ** rng.uniform(0, 2) * rng.normal(size=D)
    X = np.concatenate([offset + scale * (3 * rng.normal(size=D) + rng.normal(size=(n, D)) @ rng.normal(size=(D, D)))
                        for n in counts])
    y = np.repeat(np.arange(C), counts)
    perm = rng.permutation(len(y))
    return {"X": X[perm], "y": y[perm], "C": C}


def _gaussian_run(inputs: dict[str, Any], fit_gaussian_classes: Callable[..., Any]) -> dict[str, Any]:
    out = {}
    for prefix, shared in (("", False), ("shared_", True)):
        value = call_student(fit_gaussian_classes, inputs["X"], inputs["y"], shared_covariance=shared).value
        if not isinstance(value, dict):
            raise AssertionError("fit_gaussian_classes must return a dict with keys 'means', 'covariances', 'priors'")
        out.update({prefix + k: value.get(k) for k in ("means", "covariances", "priors")})
    return out


def _gaussian_schema(inputs: dict[str, Any]) -> Schema:
    C, D = inputs["C"], inputs["X"].shape[1]
    shapes = {"means": (C, D), "covariances": (C, D, D), "priors": (C,)}
    return {prefix + k: (shape, "float") for prefix in ("", "shared_") for k, shape in shapes.items()}


def _gaussian_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import concepts

    counts = np.bincount(inputs["y"])
    magnitude = float(np.abs(inputs["X"]).max())
    for prefix, shared in (("", False), ("shared_", True)):
        expected = concepts.fit_gaussian_classes(inputs["X"], inputs["y"], shared_covariance=shared)
        for key in ("means", "priors", "covariances"):
            # E[xxᵀ] − μμᵀ is a correct formula that cancels at a large offset: atol scaled to the data's magnitude
            atol = 1e-8 + (1e-13 * magnitude**2 if key == "covariances" else 1e-13 * magnitude)
            hints = [(lambda g, e: np.allclose(g, e * (counts / (counts - 1))[:, None, None]) if g.ndim == 3 else False,
                      "ML covariances divide by N_c, not N_c − 1")]
            assert_close(f"fit_gaussian_classes(shared_covariance={shared})['{key}'] on hidden inputs",
                         outputs[prefix + key], expected[key], atol=atol, hints=hints)


hidden(HiddenCheck("concepts.fit_gaussian_classes", _gaussian_inputs, _gaussian_run, _gaussian_schema,
                   _gaussian_judge))


def _random_spd(rng: np.random.Generator, D: int) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.normal(size=(D, D)))
    return (Q * rng.uniform(0.2, 3.0, size=D)) @ Q.T


def _predict_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Random Gaussians (C in 2..5, D in 1..4, SPD covariances, priors >= 0.05) — once with separate covariances,
    once with a shared one — and N points around the means plus two far away (densities underflow there)."""
    C, D, N = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(5, 60))
    means = 2 * rng.normal(size=(C, D))
    priors = rng.dirichlet(np.ones(C)) * (1 - 0.05 * C) + 0.05
    X = np.vstack([means.mean(axis=0) + 2.5 * rng.normal(size=(N, D)), 500 * rng.normal(size=(2, D))])
    shared = _random_spd(rng, D)
    return {"X": X,
            "separate": {"means": means, "covariances": np.stack([_random_spd(rng, D) for _ in range(C)]),
                         "priors": priors},
            "shared": {"means": means, "covariances": np.stack([shared] * C), "priors": priors}}


def _predict_run(inputs: dict[str, Any], predict_gaussian: Callable[..., Any]) -> dict[str, Any]:
    return {f"y_{kind}": call_student(predict_gaussian, {k: v.copy() for k, v in inputs[kind].items()},
                                      inputs["X"]).value for kind in ("separate", "shared")}


def _predict_schema(inputs: dict[str, Any]) -> Schema:
    return {f"y_{kind}": ((len(inputs["X"]),), "int") for kind in ("separate", "shared")}


def log_posteriors(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """log π_c + log N(x; μ_c, Σ_c) for every point and class, (N, C), via a Cholesky factor (an independent
    computation used to recognise near-ties, where two correct implementations may round to different labels)."""
    D = X.shape[1]
    cols = []
    for mu, cov, prior in zip(params["means"], params["covariances"], params["priors"]):
        L = np.linalg.cholesky(cov)
        z = np.linalg.solve(L, (X - mu).T)
        cols.append(np.log(prior) - 0.5 * (np.sum(z**2, axis=0) + 2 * np.sum(np.log(np.diag(L)))
                                           + D * np.log(2 * np.pi)))
    return np.column_stack(cols)


def _predict_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import concepts

    for kind in ("separate", "shared"):
        expected = concepts.predict_gaussian(inputs[kind], inputs["X"])
        got = np.array(outputs[f"y_{kind}"])
        lp = log_posteriors(inputs[kind], inputs["X"])
        top = np.sort(lp, axis=1)
        near_tie = top[:, -1] - top[:, -2] <= 1e-9 * (1 + np.abs(top[:, -1]))
        rows = np.arange(len(got))
        ok_tie = near_tie & (got >= 0) & (got < lp.shape[1])
        ok_tie[ok_tie] = lp[rows[ok_tie], got[ok_tie]] >= top[ok_tie, -1] - 1e-9 * (1 + np.abs(top[ok_tie, -1]))
        got = np.where(ok_tie, expected, got)  # either label of a near-tie is right
        assert_equal_labels(f"predict_gaussian(params_{kind}, X) on hidden inputs", got, expected,
                            hints=[(lambda g, e: np.array_equal(g[:-2], e[:-2]),
                                    "wrong only far from the means: compare log-densities, not densities")])


hidden(HiddenCheck("concepts.predict_gaussian", _predict_inputs, _predict_run, _predict_schema, _predict_judge))


# ---- expected values of the visible checks -----------------------------------------------------------------
def expected_values() -> dict[str, Any]:
    """course/expected/concepts.json: reference outputs on the visible inputs (+ typical wrong outputs for hints)."""
    from solutions import concepts

    li = visible.loss_inputs()
    p, yc = li["p"], li["y_class"]
    losses = {"squared": concepts.squared_loss(li["y_pred"], li["y"]),
              "absolute": concepts.absolute_loss(li["y_pred"], li["y"]),
              "cross_entropy": concepts.cross_entropy(p, yc),
              "cross_entropy_all_classes": float(-np.mean(np.sum(np.log(p), axis=1)))}
    pi = visible.polynomial_inputs()
    poly = {f"degree={d}": concepts.polynomial_features(pi["x"], d).tolist() for d in pi["degrees"]}
    ls = visible.least_squares_inputs()
    X, y, N = ls["X"], ls["y"], len(ls["y"])
    lsq = {"w_ols": concepts.fit_least_squares(X, y).tolist(),
           "w_ridge": concepts.fit_least_squares(X, y, reg=ls["reg"]).tolist(),
           "w_ridge_reg_times_N": concepts.fit_least_squares(X, y, reg=ls["reg"] * N).tolist(),
           "w_rank_deficient": concepts.fit_least_squares(ls["X_dup"], y, reg=ls["reg_dup"]).tolist(),
           "w_rank_deficient_min_norm": np.linalg.lstsq(ls["X_dup"], y, rcond=None)[0].tolist()}
    si = visible.split_inputs()
    parts = concepts.train_val_test_split(si["X"], si["y"], si["val_fraction"], si["test_fraction"], si["seed"])
    split = {key: parts[i][:, 0].astype(int).tolist() for i, key in ((0, "train_ids"), (2, "val_ids"), (4, "test_ids"))}
    gi = visible.gaussian_inputs()
    gauss = {("shared" if shared else "separate"): {k: v.tolist() for k, v in concepts.fit_gaussian_classes(
        gi["X"], gi["y"], shared_covariance=shared).items()} for shared in (False, True)}
    pg = visible.predict_gaussian_inputs()
    pred = {}
    for kind in ("separate", "shared"):
        params = pg[kind]
        uniform = {**params, "priors": np.full(len(params["priors"]), 1 / len(params["priors"]))}
        no_logdet = log_posteriors(params, pg["X"]) + 0.5 * np.linalg.slogdet(params["covariances"])[1][None, :]
        pred[kind] = {"labels": concepts.predict_gaussian(params, pg["X"]).tolist(),
                      "uniform_priors": concepts.predict_gaussian(uniform, pg["X"]).tolist(),
                      "without_logdet": np.argmax(no_logdet, axis=1).tolist()}
    return {"losses": losses, "polynomial_features": poly, "fit_least_squares": lsq, "train_val_test_split": split,
            "fit_gaussian_classes": gauss, "predict_gaussian": pred}
