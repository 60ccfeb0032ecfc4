"""Hypothesis strategies shared by the a3_backprop tests (layers, backprop, checks).

`away_from_kinks` draws float64 arrays whose entries satisfy 1e-4 <= |x| <= 4: at least ten steps h = 1e-5
from the kinks at 0 (so a centred difference never straddles one), and small enough that a smooth
activation's derivative stays far above the rounding error of a centred difference (tanh'(4) ~ 1.3e-3).
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

KINK_MARGIN = 1e-4
MAX_ABS = 4.0

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)
magnitudes = st.floats(KINK_MARGIN, MAX_ABS, allow_nan=False, allow_infinity=False)
signs = st.sampled_from([-1.0, 1.0])


@st.composite
def away_from_kinks(draw: st.DrawFn, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A float64 array (random shape unless given) with every entry in [-4, -1e-4] U [1e-4, 4]."""
    shape = draw(shapes) if shape is None else shape
    mags = draw(hnp.arrays(np.float64, shape, elements=magnitudes))
    sgn = draw(hnp.arrays(np.float64, shape, elements=signs))
    return mags * sgn


@st.composite
def array_and_dout(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """(x, dout): x away from the kinks, dout an upstream gradient of the same shape with entries in [-3, 3]."""
    x = draw(away_from_kinks())
    dout = draw(hnp.arrays(np.float64, x.shape, elements=st.floats(-3, 3, allow_nan=False)))
    return x, dout


@st.composite
def wide_arrays(draw: st.DrawFn) -> np.ndarray:
    """float64 arrays with entries anywhere in [-1e3, 1e3], exact zeros included (stability, x <= 0 branch)."""
    shape = draw(shapes)
    return draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        st.floats(-1e3, 1e3, allow_nan=False), st.sampled_from([0.0, -0.0, 1e3, -1e3, 745.0, -745.0]))))


@st.composite
def alpha_for(draw: st.DrawFn, x: np.ndarray) -> float | np.ndarray:
    """A PReLU alpha for x: a scalar, or an array that broadcasts to x.shape (per feature, or full), some > 1."""
    values = st.floats(-0.5, 3.0, allow_nan=False)
    kind = draw(st.sampled_from(["scalar", "last_axis", "keepdims", "full"]))
    if kind == "scalar":
        return draw(values)
    if kind == "last_axis":
        return draw(hnp.arrays(np.float64, x.shape[-1:], elements=values))
    if kind == "keepdims":
        return draw(hnp.arrays(np.float64, (1,) * (x.ndim - 1) + x.shape[-1:], elements=values))
    return draw(hnp.arrays(np.float64, x.shape, elements=values))


seeds = st.integers(0, 2**32 - 1)
elu_alphas = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.floats(0.0, 5.0, allow_nan=False))
prelu_alphas = st.one_of(st.sampled_from([0.0, 0.25, 1.0, 1.5, 3.0]), st.floats(-1.0, 4.0, allow_nan=False))
