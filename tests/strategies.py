"""Shared hypothesis strategies: point clouds, label vectors and continuous kNN data sets.

Two kinds of data:
- *drawn* float64 arrays (`point_clouds`), which hypothesis shrinks towards awkward values (0, exact
  duplicates, ±bound) — for properties that must hold for every finite input;
- *seeded* continuous data (`knn_datasets`): hypothesis draws only the sizes and a seed, numpy draws
  Gaussian points, so pairwise distances are almost surely distinct (no distance ties) — for comparisons
  with scikit-learn, whose order among equal distances is its own.
"""

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

BOUND = 1e3  # |coordinates| ≤ BOUND in drawn point clouds


def finite_floats(bound: float = BOUND) -> st.SearchStrategy[float]:
    """Finite float64 values in [-bound, bound] (no NaN, no infinity)."""
    return st.floats(min_value=-bound, max_value=bound, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def point_clouds(
    draw: st.DrawFn, max_test: int = 6, max_train: int = 8, max_dim: int = 5, bound: float = BOUND
) -> tuple[np.ndarray, np.ndarray]:
    """(X_test, X_train): float64 arrays (num_test, D) and (num_train, D) with the same D ≥ 1."""
    D = draw(st.integers(1, max_dim))
    num_test, num_train = draw(st.integers(1, max_test)), draw(st.integers(1, max_train))
    X_test = draw(hnp.arrays(np.float64, (num_test, D), elements=finite_floats(bound)))
    X_train = draw(hnp.arrays(np.float64, (num_train, D), elements=finite_floats(bound)))
    return X_test, X_train


@st.composite
def label_vectors(draw: st.DrawFn, n: int, num_classes: int) -> np.ndarray:
    """An int64 label vector of length n with values in 0..num_classes-1."""
    return draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, num_classes - 1)))


@dataclass(frozen=True)
class KnnData:
    """A continuous kNN problem: Gaussian points (no distance ties) and integer labels."""

    X_train: np.ndarray  # (num_train, D)
    y_train: np.ndarray  # (num_train,) int64 in 0..num_classes-1
    X_test: np.ndarray  # (num_test, D)
    y_test: np.ndarray  # (num_test,)
    num_classes: int


@st.composite
def knn_datasets(draw: st.DrawFn, min_train: int = 2, max_train: int = 25) -> KnnData:
    """Seeded Gaussian train/test points with random labels; sizes and seed drawn by hypothesis."""
    seed = draw(st.integers(0, 2**32 - 1))
    num_train, num_test = draw(st.integers(min_train, max_train)), draw(st.integers(1, 12))
    D, num_classes = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    rng = np.random.default_rng(seed)
    scale = 10 ** rng.uniform(-2, 2)
    return KnnData(
        X_train=scale * rng.normal(size=(num_train, D)),
        y_train=rng.integers(0, num_classes, size=num_train),
        X_test=scale * rng.normal(size=(num_test, D)),
        y_test=rng.integers(0, num_classes, size=num_test),
        num_classes=num_classes,
    )


def offsets() -> st.SearchStrategy[float]:
    """Translations of a point cloud, from the origin out to ±1e3 (where ||x||² + ||y||² − 2x·y cancels)."""
    return st.sampled_from([0.0, 1.0, -7.5, 1e2, 1e3, -1e3]) | finite_floats(1e3)


def expansion_atol(*arrays: np.ndarray) -> float:
    """An absolute tolerance for distances computed by the expansion ||x||² + ||y||² − 2x·y.

    Rounding leaves an error of a few ε·D·M² in a squared distance (M = max |coordinate|), i.e. up to
    √(few·ε·D)·M ≈ 1e-7·√D·M in a distance that is (close to) 0; scikit-learn's euclidean_distances uses
    the same expansion.
    """
    M = max(float(np.abs(a).max()) for a in arrays)
    D = arrays[0].shape[1]
    return 1e-7 * np.sqrt(D) * (1.0 + M)
