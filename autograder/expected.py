"""Generate the fixed expected values of the visible checks (course/expected/<module>.json) from `solutions`.

The visible checks ship these numbers to students (like the numbers printed in CS231n's notebooks); the inputs
come from course.checks.<module>, the outputs from the reference. `python -m autograder.expected` rewrites
the files; tests/test_expected.py proves the committed files equal a fresh generation.
"""

import json
import sys
from pathlib import Path
from typing import Any, Callable


EXPECTED_DIR = Path(__file__).resolve().parents[1] / "course" / "expected"


def _knn() -> dict[str, Any]:
    from course.checks import knn as visible
    from solutions import knn

    d = visible.distance_inputs()
    p = visible.predict_inputs()
    cv = visible.cross_validation_inputs()
    call, _ = visible.run_cross_validation_with_spy(knn.cross_validate_k, cv)
    return {
        "distances": {
            "dists": knn.compute_distances_two_loops(d["X_test"], d["X_train"]).tolist(),
            "dists_far": knn.compute_distances_two_loops(d["X_test_far"], d["X_train_far"]).tolist(),
        },
        "predict_labels": {
            f"k={k}": knn.predict_labels(p["dists"], p["y_train"], k=k).tolist() for k in p["k_choices"]
        },
        "cross_validate_k": {"accuracies": [call.value[k] for k in cv["k_choices"]]},
    }


def _linear() -> dict[str, Any]:
    from course.checks import linear as visible
    from solutions import linear

    out: dict[str, Any] = {}
    inp = visible.loss_inputs()
    for key, fn in (("svm", linear.svm_loss_vectorized), ("softmax", linear.softmax_loss_vectorized)):
        out[key] = {"loss": fn(inp["W"], inp["X"], inp["y"], inp["reg"])[0],
                    "data_loss": fn(inp["W"], inp["X"], inp["y"], 0.0)[0]}
    big = visible.large_score_inputs()
    loss, dW = linear.softmax_loss_vectorized(big["W"], big["X"], big["y"], big["reg"])
    out["softmax"].update(large_loss=loss, large_dW=dW.tolist())
    tr = visible.train_inputs()
    call, spy = visible.run_train_with_spy(linear.train, tr)
    record = visible.spy_record(spy, tr, tr["num_iters"], tr["batch_size"])
    out["train"] = {"W_seen": record["W_seen"].tolist(), "W_final": spy.W.tolist(), "loss_history": call.value}
    p = visible.predict_inputs()
    scores = p["X"] @ p["W"]
    out["predict"] = {"y_pred": linear.predict(type("Model", (), {"W": p["W"]})(), p["X"]).tolist(),
                      "y_argmin": scores.argmin(axis=1).tolist()}
    return out


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {"knn": _knn, "linear": _linear}


# ---- a3_backprop (the builders live next to the hidden checks of the same module) ------------------------
def _backprop() -> dict[str, Any]:
    from autograder.checks.backprop import expected_values

    return expected_values()


def _layers() -> dict[str, Any]:
    from autograder.checks.layers import expected_values

    return expected_values()


BUILDERS["backprop"] = _backprop
BUILDERS["layers"] = _layers


# ---- a0_concepts (the builder lives next to the hidden checks of the same module) -----------------------
def _concepts() -> dict[str, Any]:
    from autograder.checks.concepts import expected_values

    return expected_values()


BUILDERS["concepts"] = _concepts


def render(module: str) -> str:
    """The JSON text of course/expected/<module>.json, as generated now."""
    return json.dumps(BUILDERS[module](), indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write every expected-values file (or only check them with --check)."""
    argv = sys.argv[1:] if argv is None else argv
    stale = []
    for module in BUILDERS:
        path = EXPECTED_DIR / f"{module}.json"
        text = render(module)
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("stale expected values (run `python -m autograder.expected`):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

