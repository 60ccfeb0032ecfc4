"""Hidden checks of assignment a1_knn: the student's kNN functions vs `solutions.knn` on grading-time inputs."""

from typing import Any, Callable

import numpy as np

from autograder.hidden import HiddenCheck, hidden
from course.checks import knn as visible
from course.checks.core import assert_close, assert_equal_labels, call_student


def _distance_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Random sizes and scales; some test points duplicate training points (distance exactly 0)."""
    num_test, num_train, D = int(rng.integers(4, 16)), int(rng.integers(6, 31)), int(rng.integers(2, 13))
    scale, offset = 10 ** rng.uniform(-1, 2), 10 ** rng.uniform(0, 2.5)
    X_train = offset + scale * rng.normal(size=(num_train, D))
    X_test = offset + scale * rng.normal(size=(num_test, D))
    dup = rng.choice(num_test, size=min(2, num_test), replace=False)
    X_test[dup] = X_train[rng.choice(num_train, size=len(dup), replace=False)]
    return {"X_test": X_test, "X_train": X_train}


def _distance_schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    return {"dists": ((len(inputs["X_test"]), len(inputs["X_train"])), "float")}


def _distance_run(name: str) -> Callable[..., dict[str, Any]]:
    def run(inputs: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
        return {"dists": call_student(fn, inputs["X_test"], inputs["X_train"]).value}

    run.__name__ = f"run_{name}"
    return run


def _distance_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import knn

    X_test, X_train = inputs["X_test"], inputs["X_train"]
    expected = knn.compute_distances_one_loop(X_test, X_train)
    magnitude = float(max(np.abs(X_test).max(), np.abs(X_train).max()))
    # At a duplicate point ||x||² + ||y||² − 2x·y is a few ulp(2D·magnitude²), whose root is ~3e-8·√D·magnitude:
    # scale atol to the data (a wrong formula is off by far more)
    atol = 1e-6 * np.sqrt(X_test.shape[1]) * (1 + magnitude)
    assert_close("dists on hidden inputs", outputs["dists"], expected, rtol=1e-6, atol=atol,
                 hints=visible._distance_hints(X_test, X_train))


for _name in ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops"):
    hidden(HiddenCheck(f"knn.{_name}", _distance_inputs, _distance_run(_name), _distance_schema, _distance_judge))


def _predict_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """Distances between random points, labels in 0..C-1, several k including even ones (label ties)."""
    num_test, num_train, C = int(rng.integers(5, 20)), int(rng.integers(8, 25)), int(rng.integers(2, 6))
    A, B = rng.normal(size=(num_test, 3)), rng.normal(size=(num_train, 3))
    dists = np.sqrt(((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2))
    ks = sorted({1, 2, 4, int(rng.integers(3, num_train)), num_train})
    return {"dists": dists, "y_train": rng.integers(0, C, size=num_train), "k_choices": ks}


def _predict_run(inputs: dict[str, Any], predict_labels: Callable[..., Any]) -> dict[str, Any]:
    return {f"y_pred_k{k}": call_student(predict_labels, inputs["dists"], inputs["y_train"], k=k).value
            for k in inputs["k_choices"]}


def _predict_schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    return {f"y_pred_k{k}": ((len(inputs["dists"]),), "int") for k in inputs["k_choices"]}


def _predict_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import knn

    for k in inputs["k_choices"]:
        expected = knn.predict_labels(inputs["dists"], inputs["y_train"], k=k)
        assert_equal_labels(f"predict_labels(k={k}) on hidden inputs", outputs[f"y_pred_k{k}"], expected,
                            hints=[(lambda g, e: k % 2 == 0, "with an even k, label ties must go to the smallest label")])


hidden(HiddenCheck("knn.predict_labels", _predict_inputs, _predict_run, _predict_schema, _predict_judge))


def _cv_inputs(rng: np.random.Generator) -> dict[str, Any]:
    """X whose first column is the sample id (the spy classifier reads it), random fold count and k values."""
    N = int(rng.integers(15, 41))
    X = np.column_stack([np.arange(N, dtype=float), rng.normal(size=(N, 2))])
    ks = sorted(int(k) for k in rng.choice(np.arange(1, 9), size=3, replace=False))
    return {"X": X, "y": rng.integers(0, 3, size=N), "k_choices": ks, "num_folds": int(rng.integers(3, 7))}


def _cv_run(inputs: dict[str, Any], cross_validate_k: Callable[..., Any]) -> dict[str, Any]:
    call, log = visible.run_cross_validation_with_spy(cross_validate_k, inputs)
    visible.check_spy_log(log, inputs)
    result = call.value
    if not isinstance(result, dict) or any(k not in result for k in inputs["k_choices"]):
        raise AssertionError("cross_validate_k must return {k: [accuracy per fold]} with every k in k_choices")
    return {"accuracies": [list(result[k]) for k in inputs["k_choices"]]}


def _cv_schema(inputs: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    return {"accuracies": ((len(inputs["k_choices"]), inputs["num_folds"]), "float")}


def _cv_judge(inputs: dict[str, Any], outputs: dict[str, np.ndarray]) -> None:
    from solutions import knn

    call, _ = visible.run_cross_validation_with_spy(knn.cross_validate_k, inputs)
    expected = np.array([call.value[k] for k in inputs["k_choices"]])
    assert_close("cross-validation accuracies on hidden inputs", outputs["accuracies"], expected, atol=1e-12, rtol=0)


hidden(HiddenCheck("knn.cross_validate_k", _cv_inputs, _cv_run, _cv_schema, _cv_judge))
