"""Hypothesis strategies for the linear classifiers (a2_linear): (W, X, y, reg) problems."""
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FINITE = {"allow_nan": False, "allow_infinity": False}


@st.composite
def linear_problems(draw: st.DrawFn, max_n: int = 12, max_d: int = 6, max_c: int = 6,
                    max_abs: float = 10.0) -> dict[str, Any]:
    """W (D, C), X (N, D), y (N,) in 0..C-1 and reg >= 0, with N >= 1, C >= 2 and entries in [-max_abs, max_abs]."""
    N, D, C = draw(st.integers(1, max_n)), draw(st.integers(1, max_d)), draw(st.integers(2, max_c))
    elements = st.floats(-max_abs, max_abs, **FINITE)
    W = draw(hnp.arrays(np.float64, (D, C), elements=elements))
    X = draw(hnp.arrays(np.float64, (N, D), elements=elements))
    y = draw(hnp.arrays(np.int64, (N,), elements=st.integers(0, C - 1)))
    reg = draw(st.sampled_from([0.0, 1e-3, 0.1, 2.0]))
    return {"W": W, "X": X, "y": y, "reg": reg}


@st.composite
def shifts(draw: st.DrawFn, D: int) -> np.ndarray:
    """A vector v (D,) to add to every column of W (scores move by x·v in every class alike)."""
    return draw(hnp.arrays(np.float64, (D,), elements=st.floats(-3, 3, **FINITE)))


def away_from_kinks(seed: int, N: int = 8, D: int = 5, C: int = 4, gap: float = 1e-2) -> dict[str, Any]:
    """A random problem whose hinge margins s_j - s_y + 1 (j != y) all lie at least `gap` from 0.

    Redraws (deterministically, from `seed`) until the condition holds, so a centred difference with h = 1e-5
    never crosses a kink of max(0, ·).
    """
    rng = np.random.default_rng(seed)
    while True:
        W, X = rng.normal(size=(D, C)), rng.normal(size=(N, D))
        y = rng.integers(0, C, size=N)
        scores = X @ W
        margins = scores - scores[np.arange(N), y][:, None] + 1.0
        margins[np.arange(N), y] = np.inf
        if np.abs(margins).min() >= gap:
            return {"W": W, "X": X, "y": y, "reg": float(rng.uniform(0.05, 1.0))}
