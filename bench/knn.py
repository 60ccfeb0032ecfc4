"""Benchmark: the no-loop kNN distances of `solutions.knn` against scikit-learn's `euclidean_distances`.

    python bench/knn.py [--repeats N] [--quick] [--json PATH]

Same process, same float64 inputs (seeded np.random.default_rng), 500 test × 5000 train × 64 dims (--quick:
100 × 1000 × 64, 3 repeats). Each function is warmed up, then timed `repeats` times; the rounds are
interleaved (every function once per round, in a rotating order) so that drift of the machine's speed hits all
of them alike. Reported: the median and the minimum per function and the ratio of the medians ours/sklearn
(goal <= 1.0x; sklearn does -2·X·Yᵀ + ‖x‖² + ‖y‖², clip, sqrt, in place on one buffer).

Extra rows: the one-loop version (fewer repeats: it is ~100x slower), the two-loop version on a 50 × 500
subset (its time scaled by the number of pairs, an estimate only), and variants of the no-loop expansion,
written here (solutions/knn.py is not touched), so a change to the reference can be judged by numbers.
Nothing here asserts on a time. Environment knobs (OPENBLAS_CORETYPE, thread counts) are only reported.

Results: a table on stdout and JSON in bench/results/knn.json (knn_quick.json with --quick; git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sklearn.metrics.pairwise import euclidean_distances  # noqa: E402

from solutions import knn  # noqa: E402

SEED = 20261125


# ---- variants of the no-loop expansion (for comparison only; the reference is solutions.knn) -----------------
def _finish(sq: np.ndarray) -> np.ndarray:
    np.maximum(sq, 0.0, out=sq)
    return np.sqrt(sq, out=sq)


def variant_body(X_test: np.ndarray, X_train: np.ndarray) -> np.ndarray:
    """The reference body without its argument-checking decorator (measures the decorator's cost)."""
    return knn.compute_distances_no_loops.__wrapped__(X_test, X_train)


def variant_inplace(X_test: np.ndarray, X_train: np.ndarray) -> np.ndarray:
    """sq = X·Yᵀ, then sq *= -2 in place: one (num_test, num_train) buffer instead of two."""
    sq = X_test @ X_train.T
    sq *= -2.0
    sq += np.sum(X_test**2, axis=1)[:, None]
    sq += np.sum(X_train**2, axis=1)[None, :]
    return _finish(sq)


def variant_einsum(X_test: np.ndarray, X_train: np.ndarray) -> np.ndarray:
    """Squared norms with np.einsum('ij,ij->i') (no X**2 temporary), as sklearn's row_norms does."""
    sq = -2.0 * (X_test @ X_train.T)
    sq += np.einsum("ij,ij->i", X_test, X_test)[:, None]
    sq += np.einsum("ij,ij->i", X_train, X_train)[None, :]
    return _finish(sq)


def variant_scaled_operand(X_test: np.ndarray, X_train: np.ndarray) -> np.ndarray:
    """Fold the -2 into the small operand: (-2·X_test)·Yᵀ, one buffer, no pass over the big matrix for -2."""
    sq = (-2.0 * X_test) @ X_train.T
    sq += np.einsum("ij,ij->i", X_test, X_test)[:, None]
    sq += np.einsum("ij,ij->i", X_train, X_train)[None, :]
    return _finish(sq)


def variant_contiguous_rhs(X_test: np.ndarray, X_train: np.ndarray) -> np.ndarray:
    """GEMM layout: multiply by a C-contiguous copy of X_trainᵀ instead of the transposed view."""
    sq = X_test @ np.ascontiguousarray(X_train.T)
    sq *= -2.0
    sq += np.einsum("ij,ij->i", X_test, X_test)[:, None]
    sq += np.einsum("ij,ij->i", X_train, X_train)[None, :]
    return _finish(sq)


def variant_gemm_out(X_test: np.ndarray, X_train: np.ndarray) -> np.ndarray:
    """Preallocated output: np.matmul(..., out=buf) into an np.empty buffer, then in place."""
    sq = np.empty((X_test.shape[0], X_train.shape[0]))
    np.matmul(X_test, X_train.T, out=sq)
    sq *= -2.0
    sq += np.einsum("ij,ij->i", X_test, X_test)[:, None]
    sq += np.einsum("ij,ij->i", X_train, X_train)[None, :]
    return _finish(sq)


VARIANTS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "variant: body without decorator": variant_body,
    "variant: in-place *= -2": variant_inplace,
    "variant: einsum norms": variant_einsum,
    "variant: -2 folded into X_test + einsum": variant_scaled_operand,
    "variant: contiguous X_train.T + in-place": variant_contiguous_rhs,
    "variant: matmul(out=) + in-place": variant_gemm_out,
}


# ---- timing -------------------------------------------------------------------------------------------------
def time_interleaved(
    functions: dict[str, Callable[[], Any]], repeats: int, warmup: int = 2
) -> dict[str, list[float]]:
    """Seconds per call of each zero-argument function, `repeats` rounds, rotating the order every round."""
    names = list(functions)
    for name in names:
        for _ in range(warmup):
            functions[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            gc.collect()
            start = time.perf_counter()
            functions[name]()
            times[name].append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> dict[str, float]:
    return {"median_s": statistics.median(times), "min_s": min(times), "runs": len(times)}


def blas_info() -> dict[str, Any]:
    """What the BLAS/OpenMP setup is (threadpoolctl ships with scikit-learn); nothing is changed."""
    info: dict[str, Any] = {
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "cpu_count": os.cpu_count(),
    }
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: pool.get(k) for k in ("user_api", "internal_api", "prefix", "version", "num_threads",
                                      "architecture", "threading_layer", "filepath")}
            for pool in threadpool_info()
        ]
    except ImportError:  # pragma: no cover - sklearn depends on threadpoolctl
        info["threadpools"] = "threadpoolctl not available"
    return info


def run(num_test: int, num_train: int, dim: int, repeats: int, small: tuple[int, int], loop_repeats: int) -> dict:
    rng = np.random.default_rng(SEED)
    X_train = rng.normal(size=(num_train, dim))
    X_test = rng.normal(size=(num_test, dim))

    main = {
        "ours: solutions.knn.compute_distances_no_loops": lambda: knn.compute_distances_no_loops(X_test, X_train),
        "sklearn: euclidean_distances": lambda: euclidean_distances(X_test, X_train),
    }
    main.update({name: (lambda f=f: f(X_test, X_train)) for name, f in VARIANTS.items()})
    times = time_interleaved(main, repeats)

    reference = euclidean_distances(X_test, X_train)
    rows: dict[str, dict[str, Any]] = {}
    for name, ts in times.items():
        rows[name] = summary(ts)
        fn = main[name]
        rows[name]["max_abs_diff_vs_sklearn"] = float(np.max(np.abs(fn() - reference)))

    one = time_interleaved({"one": lambda: knn.compute_distances_one_loop(X_test, X_train)}, loop_repeats, warmup=1)
    rows["ours: compute_distances_one_loop"] = summary(one["one"])

    st, sn = small
    Xs_test, Xs_train = X_test[:st], X_train[:sn]
    two = time_interleaved({"two": lambda: knn.compute_distances_two_loops(Xs_test, Xs_train)}, loop_repeats,
                           warmup=1)
    scale = (num_test * num_train) / (st * sn)
    rows[f"ours: compute_distances_two_loops ({st}x{sn} subset)"] = {
        **summary(two["two"]),
        "scaled_to_full_s": statistics.median(two["two"]) * scale,
        "note": f"measured on {st} x {sn}; scaled_to_full_s = median x {scale:g} (pairs ratio), an estimate",
    }

    ours = rows["ours: solutions.knn.compute_distances_no_loops"]["median_s"]
    sk = rows["sklearn: euclidean_distances"]["median_s"]
    for row in rows.values():
        if "scaled_to_full_s" in row:  # another shape: compare its scaled estimate, not its own time
            row["ratio_vs_sklearn"] = None
            row["scaled_ratio_vs_sklearn"] = row["scaled_to_full_s"] / sk
        else:
            row["ratio_vs_sklearn"] = row["median_s"] / sk
    return {
        "benchmark": "knn no-loop distances vs sklearn.metrics.pairwise.euclidean_distances",
        "shape": {"num_test": num_test, "num_train": num_train, "dim": dim, "dtype": "float64", "seed": SEED},
        "repeats": repeats,
        "loop_repeats": loop_repeats,
        "ratio_ours_over_sklearn": ours / sk,
        "goal": "ratio <= 1.0",
        "rows": rows,
        "environment": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "sklearn": __import__("sklearn").__version__,
            "machine": platform.machine(),
            "processor": platform.processor(),
            **blas_info(),
        },
    }


def print_report(result: dict) -> None:
    s = result["shape"]
    print(f"kNN distances: {s['num_test']} test x {s['num_train']} train x {s['dim']} dims, float64, "
          f"{result['repeats']} interleaved runs after warm-up (loops: {result['loop_repeats']} runs)")
    env = result["environment"]
    print(f"numpy {env['numpy']}, scikit-learn {env['sklearn']}, OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']}, "
          f"cpus={env['cpu_count']}")
    if isinstance(env["threadpools"], list):
        for pool in env["threadpools"]:
            where = Path(pool["filepath"]).parent.name if pool.get("filepath") else "?"
            print(f"  threadpool: {pool['internal_api']} {pool['version']} ({where}) "
                  f"threads={pool['num_threads']} arch={pool.get('architecture')}")
    else:
        print(f"  threadpools: {env['threadpools']}")
    width = max(len(name) for name in result["rows"])
    print(f"\n{'function':<{width}}  {'median ms':>10}  {'min ms':>9}  {'vs sklearn':>10}")
    for name, row in result["rows"].items():
        ratio = "n/a" if row["ratio_vs_sklearn"] is None else f"{row['ratio_vs_sklearn']:9.2f}x"
        print(f"{name:<{width}}  {row['median_s'] * 1e3:10.3f}  {row['min_s'] * 1e3:9.3f}  {ratio:>10}")
        if "note" in row:
            print(f"{'':<{width}}  -> {row['note']}: {row['scaled_to_full_s']:.2f} s "
                  f"(~{row['scaled_ratio_vs_sklearn']:.0f}x sklearn)")
    diffs = {n: r["max_abs_diff_vs_sklearn"] for n, r in result["rows"].items() if "max_abs_diff_vs_sklearn" in r}
    print(f"\nlargest |difference| from sklearn's distances among the no-loop rows: {max(diffs.values()):.2e}")
    verdict = "meets" if result["ratio_ours_over_sklearn"] <= 1.0 else "misses"
    print(f"ratio ours/sklearn (median no-loop distances): {result['ratio_ours_over_sklearn']:.3f}x "
          f"({verdict} the goal <= 1.0x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per function (default 15; quick 3)")
    parser.add_argument("--quick", action="store_true", help="100 x 1000 x 64 and 3 runs: a smoke test")
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the JSON (default bench/results/knn.json, knn_quick.json with --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        shape, small, default_repeats, loop_repeats = (100, 1000, 64), (20, 100), 3, 2
    else:
        shape, small, default_repeats, loop_repeats = (500, 5000, 64), (50, 500), 15, 3
    repeats = args.repeats if args.repeats is not None else default_repeats
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    result = run(*shape, repeats=repeats, small=small, loop_repeats=min(loop_repeats, repeats))
    result["quick"] = args.quick
    print_report(result)
    out = args.json or ROOT / "bench" / "results" / ("knn_quick.json" if args.quick else "knn.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
