"""Hypothesis strategies of a0_concepts: residual vectors, probability tables, regression and classification data.

As in tests/strategies.py, *drawn* arrays (`vector_pairs`) are for properties that must hold for every finite
input; *seeded* data (hypothesis draws only sizes, scales and a seed; numpy draws the numbers) is for comparisons
with an oracle, where the data must be well conditioned (least squares) or free of ties (classification).
"""

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

BOUND = 1e3


def finite_floats(bound: float = BOUND) -> st.SearchStrategy[float]:
    """Finite float64 values in [-bound, bound]."""
    return st.floats(min_value=-bound, max_value=bound, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def vector_pairs(draw: st.DrawFn, max_n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """(y_pred, y): two float64 vectors of the same length N >= 1."""
    n = draw(st.integers(1, max_n))
    return (draw(hnp.arrays(np.float64, (n,), elements=finite_floats())),
            draw(hnp.arrays(np.float64, (n,), elements=finite_floats())))


@st.composite
def probability_tables(draw: st.DrawFn, max_n: int = 20, max_c: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """(p, y): p (N, C) softmax of random scores (every entry > 0, rows sum to 1), y (N,) labels in 0..C-1."""
    n, c, seed = draw(st.integers(1, max_n)), draw(st.integers(2, max_c)), draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scores = draw(st.sampled_from([0.1, 1.0, 5.0])) * rng.normal(size=(n, c))
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True), rng.integers(0, c, size=n)


@dataclass(frozen=True)
class Regression:
    """A least-squares problem: X (N, D) with singular values in a known range, targets y (N,), reg >= 0."""

    X: np.ndarray
    y: np.ndarray
    reg: float


@st.composite
def regressions(draw: st.DrawFn, rank_deficient: bool = False) -> Regression:
    """Gaussian X with N >= D + 3 (full rank, condition number modest) or, if rank_deficient, duplicated columns
    and reg > 0; sizes, scale and reg drawn by hypothesis."""
    seed, D = draw(st.integers(0, 2**32 - 1)), draw(st.integers(1, 6))
    N = draw(st.integers(D + 3, 40))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([0.1, 1.0, 10.0]))
    X = scale * rng.normal(size=(N, D))
    if rank_deficient:
        X = np.column_stack([X, X[:, rng.integers(0, D, size=draw(st.integers(1, 3)))]])
        reg = draw(st.sampled_from([1e-2, 0.1, 1.0, 10.0])) * scale**2
    else:
        reg = draw(st.sampled_from([0.0, 0.0, 1e-3, 0.5, 10.0]))
    y = X @ rng.normal(size=X.shape[1]) + rng.normal(size=N)
    return Regression(X, y, float(reg))


@dataclass(frozen=True)
class GaussianClasses:
    """A classification data set drawn from C Gaussian classes: X (N, D), y (N,) with every class present."""

    X: np.ndarray
    y: np.ndarray


@st.composite
def gaussian_classes(draw: st.DrawFn, max_c: int = 4, max_d: int = 4) -> GaussianClasses:
    """C classes, each with at least D + 2 samples (so every ML covariance is positive definite)."""
    C, D, seed = draw(st.integers(2, max_c)), draw(st.integers(1, max_d)), draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    counts = rng.integers(D + 2, D + 15, size=C)
    scale = draw(st.sampled_from([0.1, 1.0, 10.0]))

    def transform() -> np.ndarray:  # a random rotation times axis scales in [0.5, 2]: condition number <= 4
        Q, _ = np.linalg.qr(rng.normal(size=(D, D)))
        return Q * rng.uniform(0.5, 2.0, size=D)

    X = np.concatenate([scale * (2 * rng.normal(size=D) + rng.normal(size=(n, D)) @ transform()) for n in counts])
    y = np.repeat(np.arange(C), counts)
    perm = rng.permutation(len(y))
    return GaussianClasses(X[perm], y[perm])


@st.composite
def split_problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float, float, int]:
    """(X, y, val_fraction, test_fraction, seed) with X's first column the row id and at least one training row."""
    N = draw(st.integers(1, 60))
    val = draw(st.floats(0, 0.6))
    test = draw(st.floats(0, 0.6))
    if round(val * N) + round(test * N) >= N:
        val, test = 0.0, 0.0
    X = np.column_stack([np.arange(N, dtype=float), np.ones(N)])
    return X, 10 * np.arange(N), val, test, draw(st.integers(0, 2**32 - 1))
