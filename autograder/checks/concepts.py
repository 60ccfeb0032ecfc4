"""Hidden checks of assignment a0_concepts: the student's functions vs `solutions.concepts` on grading-time inputs.

Every check is a fair battery (autograder.hidden.battery): each student gets every case type below, with values
drawn for them, so a mistake one case type exposes is caught for every student or for none
(tests/checks/test_fair_concepts.py replays known bugs over 50 students' seeds).

Also ``expected_values()``, the builder of course/expected/concepts.json (registered in autograder/expected.py):
the reference's outputs on the visible checks' fixed inputs, plus a few typical wrong outputs the visible checks
use only to choose a hint.
"""

from typing import Any, Callable

import numpy as np

from autograder.hidden import Schema, battery, hidden
from course.checks import concepts as visible
from course.checks.core import assert_close, assert_equal_labels, call_student



# ---- train / validation / test ----------------------------------------------------------------------------
def _split_case(rng: np.random.Generator, u_val: float, u_test: float | None) -> dict[str, Any]:
    """N in 12..80 rows (first column the row id); sizes n_val, n_test drawn first, fractions (n + u) / N, so
    round(fraction·N) = n exactly, never at a half. u_test None: test_fraction = 0."""
    N = int(rng.integers(12, 81))
    D = int(rng.integers(1, 5))
    n_val = int(rng.integers(1, N // 3))
    n_test = 0 if u_test is None else int(rng.integers(1, N // 3))
    val = (n_val + u_val) / N
    test = 0.0 if u_test is None else (n_test + u_test) / N
    X = np.column_stack([np.arange(N, dtype=float), rng.normal(size=(N, D - 1))])
    return {"X": X, "y": rng.integers(0, 5, size=N), "val_fraction": float(val), "test_fraction": float(test),
            "seed": int(rng.integers(0, 2**31)), "sizes": [N - n_val - n_test, n_val, n_test]}


def _split_round_up(rng: np.random.Generator) -> dict[str, Any]:
    """Both fraction·N 0.3..0.45 BELOW a whole number (round goes up, int() truncates; together the fractional
    parts exceed ½, so n_train = round((1 − val − test)·N) is one row off)."""
    return _split_case(rng, -float(rng.uniform(0.3, 0.45)), -float(rng.uniform(0.3, 0.45)))


def _split_round_down(rng: np.random.Generator) -> dict[str, Any]:
    """Both fraction·N 0.3..0.45 ABOVE a whole number (round goes down, ceil would go up)."""
    return _split_case(rng, float(rng.uniform(0.3, 0.45)), float(rng.uniform(0.3, 0.45)))


def _split_no_test(rng: np.random.Generator) -> dict[str, Any]:
    """test_fraction = 0 (no test rows: perm[-0:] is the whole permutation, not an empty one)."""
    return _split_case(rng, float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 0.45)), None)


SPLIT_CASES = {"fractions whose sizes round up": _split_round_up,
               "fractions whose sizes round down": _split_round_down,
               "test_fraction = 0 (no test rows)": _split_no_test}

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
        out[f"X_{part}"], out[f"y_{part}"] = ((int(n), D), "float"), ((int(n),), "int")
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


hidden(battery("concepts.train_val_test_split", SPLIT_CASES, _split_run, _split_schema, _split_judge))


# ---- maximum-likelihood classification ----------------------------------------------------------------------
def _gaussian_data(rng: np.random.Generator, C: int, D: int) -> dict[str, Any]:
    """C classes of unequal sizes N_c in D+1..D+25 (shuffled), a random offset and scale."""
    counts = rng.permutation(D + 1 + rng.choice(25, size=C, replace=False))
    scale, offset = 10 ** rng.uniform(-1, 1), 10 ** rng.uniform(0, 2) * rng.normal(size=D)
    X = np.concatenate([offset + scale * (3 * rng.normal(size=D) + rng.normal(size=(n, D)) @ rng.normal(size=(D, D)))
                        for n in counts])
    y = np.repeat(np.arange(C), counts)
    perm = rng.permutation(len(y))
    return {"X": X[perm], "y": y[perm], "C": C}


def _gaussian_several(rng: np.random.Generator) -> dict[str, Any]:
    """C in 3..4 classes of unequal sizes in D in 2..4 dimensions (off-diagonal covariances), shuffled."""
    return _gaussian_data(rng, int(rng.integers(3, 5)), int(rng.integers(2, 5)))


def _gaussian_1d(rng: np.random.Generator) -> dict[str, Any]:
    """Two classes of unequal sizes in one dimension, shuffled."""
    return _gaussian_data(rng, 2, 1)


GAUSSIAN_CASES = {"3..4 classes of unequal size in 2..4 dimensions": _gaussian_several,
                  "two classes of unequal size in one dimension": _gaussian_1d}


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


hidden(battery("concepts.fit_gaussian_classes", GAUSSIAN_CASES, _gaussian_run, _gaussian_schema, _gaussian_judge))


def _random_spd(rng: np.random.Generator, D: int) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.normal(size=(D, D)))
    return (Q * rng.uniform(0.2, 3.0, size=D)) @ Q.T


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


def _decided_by(lp: np.ndarray, others: list[np.ndarray], margin: float = 1e-3) -> np.ndarray:
    """Rows whose argmax of `lp` differs from the argmax of every score table in `others`, all by a clear margin."""
    ok = np.ones(len(lp), dtype=bool)
    label = np.argmax(lp, axis=1)
    for table in [lp] + others:
        top = np.sort(table, axis=1)
        ok &= top[:, -1] - top[:, -2] > margin
    for table in others:
        ok &= np.argmax(table, axis=1) != label
    return np.flatnonzero(ok)


def _gaussian_params(rng: np.random.Generator, C: int, D: int, shared: bool) -> dict[str, np.ndarray]:
    """Means 2·N(0, I); priors Dirichlet, each >= 0.05, the largest at least 3 times the smallest; covariances SPD
    (one shared, or each a random SPD times a class scale 0.3..3, so log det Σ_c differ)."""
    means = 2 * rng.normal(size=(C, D))
    priors = rng.dirichlet(np.ones(C)) * (1 - 0.05 * C) + 0.05
    lo, hi = int(np.argmin(priors)), int(np.argmax(priors))
    if priors[hi] < 3 * priors[lo]:
        priors[hi] += 3 * priors[lo] - priors[hi]
        priors /= priors.sum()
    if shared:
        covariances = np.stack([_random_spd(rng, D)] * C)
    else:
        covariances = np.stack([10 ** rng.uniform(-0.5, 0.5) * _random_spd(rng, D) for _ in range(C)])
    return {"means": means, "covariances": covariances, "priors": priors}


def _predict_case(rng: np.random.Generator, shared: bool) -> dict[str, Any]:
    """Random Gaussians (C in 2..4, D in 1..3) and 10..20 points near the means, plus three points where the priors
    decide (other labels without log π_c and with π_c in its place) and, for separate covariances, three where
    −½ log det Σ_c decides (other labels without it and with the opposite sign)."""
    for _ in range(100):
        C, D = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        params = _gaussian_params(rng, C, D, shared)
        candidates = params["means"].mean(axis=0) + 2.5 * rng.normal(size=(400, D))
        lp = log_posteriors(params, candidates)
        log_pi = np.log(params["priors"])[None, :]
        logdet = np.linalg.slogdet(params["covariances"])[1][None, :]
        prior_rows = _decided_by(lp, [lp - log_pi, lp - log_pi + params["priors"][None, :]])
        logdet_rows = _decided_by(lp, [lp + 0.5 * logdet, lp + logdet])
        if len(prior_rows) >= 3 and (shared or len(logdet_rows) >= 3):
            break
    else:  # pragma: no cover - the parameters above make such points common
        raise RuntimeError("no points where the priors decide")
    picked = list(rng.choice(prior_rows, size=3, replace=False))
    if not shared:
        picked += list(rng.choice(np.setdiff1d(logdet_rows, picked), size=3, replace=False))
    rest = np.setdiff1d(np.arange(len(candidates)), picked)
    picked += list(rng.choice(rest, size=int(rng.integers(10, 21)), replace=False))
    return {"params": params, "X": candidates[rng.permutation(picked)]}


def _predict_separate(rng: np.random.Generator) -> dict[str, Any]:
    """Separate covariances (see _predict_case)."""
    return _predict_case(rng, shared=False)


def _predict_shared(rng: np.random.Generator) -> dict[str, Any]:
    """One shared covariance (see _predict_case)."""
    return _predict_case(rng, shared=True)


def _predict_far(rng: np.random.Generator) -> dict[str, Any]:
    """Separate covariances and points 300..1000 from the means, where every density underflows to 0; at least
    two of them are not of class 0 (the label an all-zero comparison gives)."""
    for _ in range(100):
        C, D = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        params = _gaussian_params(rng, C, D, shared=False)
        directions = rng.normal(size=(40, D))
        candidates = directions / np.linalg.norm(directions, axis=1, keepdims=True) * rng.uniform(300, 1000, (40, 1))
        lp = log_posteriors(params, candidates)
        good = _decided_by(lp, [])
        nonzero = good[np.argmax(lp[good], axis=1) != 0]
        if len(nonzero) >= 2:
            break
    else:  # pragma: no cover
        raise RuntimeError("no far points of a class other than 0")
    picked = list(rng.choice(nonzero, size=2, replace=False))
    picked += list(rng.choice(np.setdiff1d(good, picked), size=min(4, len(good) - 2), replace=False))
    return {"params": params, "X": candidates[rng.permutation(picked)]}


PREDICT_CASES = {"separate covariances, points where the priors or log det Σ_c decide": _predict_separate,
                 "a shared covariance, points where the priors decide": _predict_shared,
                 "points far from the means (every density underflows)": _predict_far}


def _predict_run(inputs: dict[str, Any], predict_gaussian: Callable[..., Any]) -> dict[str, Any]:
    params = {k: np.array(v, copy=True) for k, v in inputs["params"].items()}
    return {"y_pred": call_student(predict_gaussian, params, inputs["X"]).value}


def _predict_schema(inputs: dict[str, Any]) -> Schema:
    return {"y_pred": ((len(inputs["X"]),), "int")}


def _predict_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import concepts

    params = inputs["params"]
    expected = concepts.predict_gaussian(params, inputs["X"])
    got = np.array(outputs["y_pred"])
    lp = log_posteriors(params, inputs["X"])
    top = np.sort(lp, axis=1)
    near_tie = top[:, -1] - top[:, -2] <= 1e-9 * (1 + np.abs(top[:, -1]))
    rows = np.arange(len(got))
    ok_tie = near_tie & (got >= 0) & (got < lp.shape[1])
    ok_tie[ok_tie] = lp[rows[ok_tie], got[ok_tie]] >= top[ok_tie, -1] - 1e-9 * (1 + np.abs(top[ok_tie, -1]))
    got = np.where(ok_tie, expected, got)  # either label of a near-tie is right
    far = np.linalg.norm(inputs["X"] - params["means"].mean(axis=0), axis=1) > 100
    assert_equal_labels("predict_gaussian(params, X) on hidden inputs", got, expected,
                        hints=[(lambda g, e: far.all(), "wrong far from the means: compare log-densities, not "
                                                        "densities (they underflow to 0 there)")])


hidden(battery("concepts.predict_gaussian", PREDICT_CASES, _predict_run, _predict_schema, _predict_judge))


# ---- expected values of the visible checks -----------------------------------------------------------------
def expected_values() -> dict[str, Any]:
    """course/expected/concepts.json: reference outputs on the visible inputs (+ typical wrong outputs for hints)."""
    from solutions import concepts

    si = visible.split_inputs()
    parts = concepts.train_val_test_split(si["X"], si["y"], si["val_fraction"], si["test_fraction"], si["seed"])
    split = {key: parts[i][:, 0].astype(int).tolist() for i, key in ((0, "train_ids"), (2, "val_ids"), (4, "test_ids"))}
    si = visible.split_inputs_no_test()
    parts = concepts.train_val_test_split(si["X"], si["y"], si["val_fraction"], si["test_fraction"], si["seed"])
    split["no_test"] = {key: parts[i][:, 0].astype(int).tolist()
                        for i, key in ((0, "train_ids"), (2, "val_ids"), (4, "test_ids"))}
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
    return {"train_val_test_split": split, "fit_gaussian_classes": gauss, "predict_gaussian": pred}
