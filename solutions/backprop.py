"""Backpropagation (assignment a3_backprop, part 1): gates, one ReLU layer with squared loss, the exam network.

Exercise ids: ``backprop.add_gate``, ``backprop.mult_gate``, ``backprop.max_gate``,
``backprop.small_graph_backward``, ``backprop.relu_layer_squared_loss``, ``backprop.exam_graph``,
``backprop.three_layer_prelu_elu``. Provided (not graded): ``backprop.train_two_layer_net`` (the XOR explorer).

Derivatives at exactly 0 take the x <= 0 branch (ReLU'(0) = 0, PReLU'(0) = alpha, ELU'(0) = alpha), and the
max gate routes a tie x == y to y (the lecture's indicator 1(x > y)).
"""

import functools
from typing import Any, Callable

import numpy as np

from solutions.layers import sigmoid_cross_entropy  # used by train_two_layer_net (the notebook has its own)

# Argument validation lives in decorators so that the function bodies below are exactly the solutions the
# notebook shows (autograder/authoring.py copies them into the solution regions, without decorators).

EXAM_OPS = ("matmul", "prelu", "elu", "subtract", "half_squared_norm")
EXAM_INPUTS = ("x", "y", "W1", "W2", "W3")
EXAM_NODES = ("q1", "q2", "q3", "q4", "q5", "q6", "L")


def _real(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool) or np.iscomplexobj(arr):
        raise ValueError(f"{name} must be a real number or array, got dtype {arr.dtype}")
    return arr


def _validate_gate(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(x: Any, y: Any, df: Any) -> tuple[Any, Any]:
        shapes = [np.shape(_real(n, v)) for n, v in (("x", x), ("y", y), ("df", df))]
        if len(set(shapes)) != 1:
            raise ValueError(f"{fn.__name__}: expected x, y and df of the same shape (the gate's two inputs and "
                             f"the upstream gradient of its output), got shapes {shapes[0]}, {shapes[1]}, "
                             f"{shapes[2]}")
        return fn(x, y, df)

    return wrapper


# ---- gates ----------------------------------------------------------------------------------------------
@_validate_gate
def add_gate(x: float | np.ndarray, y: float | np.ndarray, df: float | np.ndarray) -> tuple[float | np.ndarray, ...]:
    """Backward pass of f = x + y: the add gate DISTRIBUTES the upstream gradient df to both inputs.

    x, y, df: numbers or arrays of one shape -> (dx, dy), each of that shape.
    """
    dx = df * 1.0  # df/dx = 1
    dy = df * 1.0  # df/dy = 1
    return dx, dy


@_validate_gate
def mult_gate(x: float | np.ndarray, y: float | np.ndarray, df: float | np.ndarray) -> tuple[float | np.ndarray, ...]:
    """Backward pass of f = x * y (elementwise): the multiply gate SWITCHES its inputs.

    x, y, df: numbers or arrays of one shape -> (dx, dy) = (df * y, df * x).
    """
    dx = df * y
    dy = df * x
    return dx, dy


@_validate_gate
def max_gate(x: float | np.ndarray, y: float | np.ndarray, df: float | np.ndarray) -> tuple[float | np.ndarray, ...]:
    """Backward pass of f = max(x, y) (elementwise): the max gate ROUTES df to the larger input.

    x, y, df: numbers or arrays of one shape -> (dx, dy) = (df * 1(x > y), df * 1(x <= y));
    a tie x == y sends the gradient to y.
    """
    dx = df * (x > y)
    dy = df * (x <= y)
    return dx, dy


def _validate_small_graph(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(x: Any, y: Any, z: Any, w: Any) -> tuple[Any, tuple[Any, Any, Any, Any]]:
        shapes = [np.shape(_real(n, v)) for n, v in zip("xyzw", (x, y, z, w))]
        if len(set(shapes)) != 1:
            raise ValueError(f"small_graph_backward: expected x, y, z, w of the same shape (numbers, or arrays "
                             f"for elementwise graphs), got shapes {shapes}")
        return fn(x, y, z, w)

    return wrapper


@_validate_small_graph
def small_graph_backward(x: float, y: float, z: float, w: float) -> tuple[float, tuple[float, float, float, float]]:
    """Forward and backward pass of f = (x + y) * max(z, w) through the gates above.

    x, y, z, w: numbers (or arrays of one shape, elementwise) -> (f, (dx, dy, dz, dw)).
    Forward: q = x + y, m = max(z, w), f = q * m. Backward from df/df = 1: mult gate, then max and add gates.
    """
    q = x + y
    m = np.maximum(z, w)
    f = q * m
    df = np.ones_like(f)              # df/df = 1
    dq, dm = mult_gate(q, m, df)      # switches: dq = df * m, dm = df * q
    dz, dw = max_gate(z, w, dm)       # routes dm to the larger of z, w (to w on a tie)
    dx, dy = add_gate(x, y, dq)       # distributes dq to x and y
    return f, (dx, dy, dz, dw)


# ---- one layer with squared loss ------------------------------------------------------------------------
def _validate_relu_layer(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(W: np.ndarray, b: np.ndarray, x: np.ndarray, z: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        W, b, x, z = (_real(n, v).astype(np.float64) for n, v in zip("Wbxz", (W, b, x, z)))
        if W.ndim != 2 or b.shape != (W.shape[0],) or x.shape != (W.shape[1],) or z.shape != (W.shape[0],):
            raise ValueError(f"relu_layer_squared_loss: expected W (M, D), b (M,), x (D,), z (M,), got W {W.shape}, "
                             f"b {b.shape}, x {x.shape}, z {z.shape}")
        return fn(W, b, x, z)

    return wrapper


@_validate_relu_layer
def relu_layer_squared_loss(W: np.ndarray, b: np.ndarray, x: np.ndarray,
                            z: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of l = ||h - z||^2 with h = ReLU(W x + b).

    W: (M, D), b: (M,), x: (D,), z: (M,) -> (loss, {'W': dW (M, D), 'b': db (M,), 'x': dx (D,)}).
    Backprop starts at h with grad_h l = 2 (h - z); through the ReLU it is a Hadamard product with 1(q > 0).
    """
    q = W @ x + b                  # (M,) pre-activation
    h = np.maximum(q, 0.0)         # (M,)
    loss = np.sum((h - z) ** 2)
    dh = 2.0 * (h - z)             # grad_h l
    dq = dh * (q > 0)              # Hadamard product with ReLU'(q) (0 at q = 0)
    dW = np.outer(dq, x)           # (M, D): dl/dW_ij = dq_i x_j
    db = dq                        # (M,)
    dx = W.T @ dq                  # (D,)
    return float(loss), {"W": dW, "b": db, "x": dx}


# ---- the exam problem -----------------------------------------------------------------------------------
def _validate_sizes(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(n: int, m: int) -> dict[str, dict[str, Any]]:
        for name, v in (("n", n), ("m", m)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"exam_graph: {name} must be a positive integer, got {v!r}")
        return fn(int(n), int(m))

    return wrapper


@_validate_sizes
def exam_graph(n: int, m: int) -> dict[str, dict]:
    """The computational graph of L = 1/2 ||W3 ELU(W2 PReLU(W1 x)) - y||^2 as data.

    n: size of x (W1, W2: (n, n)), m: size of y (W3: (m, n)) ->
    {node: {"op": op, "parents": [names], "shape": shape}} for the nodes q1, ..., q6, L, where
    op is one of "matmul", "prelu", "elu", "subtract", "half_squared_norm"; parents name nodes or the inputs
    "x", "y", "W1", "W2", "W3" (matrix first for "matmul", q5 first for "subtract"; the alphas are constants,
    not nodes); shape is a tuple ((), for the scalar L).
    """
    return {
        "q1": {"op": "matmul", "parents": ["W1", "x"], "shape": (n,)},
        "q2": {"op": "prelu", "parents": ["q1"], "shape": (n,)},
        "q3": {"op": "matmul", "parents": ["W2", "q2"], "shape": (n,)},
        "q4": {"op": "elu", "parents": ["q3"], "shape": (n,)},
        "q5": {"op": "matmul", "parents": ["W3", "q4"], "shape": (m,)},
        "q6": {"op": "subtract", "parents": ["q5", "y"], "shape": (m,)},
        "L": {"op": "half_squared_norm", "parents": ["q6"], "shape": ()},
    }


def _validate_three_layer(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(x: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, W3: np.ndarray,
                alpha_prelu: float, alpha_elu: float) -> tuple[float, dict[str, np.ndarray]]:
        x, y, W1, W2, W3 = (_real(nm, v).astype(np.float64) for nm, v in zip(("x", "y", "W1", "W2", "W3"),
                                                                             (x, y, W1, W2, W3)))
        n = x.shape[0] if x.ndim == 1 else -1
        m = y.shape[0] if y.ndim == 1 else -1
        if n < 1 or m < 1 or W1.shape != (n, n) or W2.shape != (n, n) or W3.shape != (m, n):
            raise ValueError(f"three_layer_prelu_elu: expected x (n,), y (m,), W1 (n, n), W2 (n, n), W3 (m, n), "
                             f"got x {x.shape}, y {y.shape}, W1 {W1.shape}, W2 {W2.shape}, W3 {W3.shape}")
        for name, a in (("alpha_prelu", alpha_prelu), ("alpha_elu", alpha_elu)):
            if np.ndim(a) != 0 or not np.isfinite(float(a)):
                raise ValueError(f"three_layer_prelu_elu: {name} must be a finite number, got {a!r}")
        if alpha_elu < 0:
            raise ValueError(f"three_layer_prelu_elu: alpha_elu must be >= 0 (ELU's saturation level), got {alpha_elu}")
        return fn(x, y, W1, W2, W3, float(alpha_prelu), float(alpha_elu))

    return wrapper


@_validate_three_layer
def three_layer_prelu_elu(x: np.ndarray, y: np.ndarray, W1: np.ndarray, W2: np.ndarray, W3: np.ndarray,
                          alpha_prelu: float, alpha_elu: float) -> tuple[float, dict[str, np.ndarray]]:
    """L = 1/2 ||W3 ELU(W2 PReLU(W1 x)) - y||^2 and its gradients with respect to W1, W2, W3 and the learned
    PReLU slope alpha_prelu.

    x: (n,), y: (m,), W1: (n, n), W2: (n, n), W3: (m, n), alpha_prelu, alpha_elu >= 0: numbers
    -> (L, {'W1': dW1 (n, n), 'W2': dW2 (n, n), 'W3': dW3 (m, n), 'alpha_prelu': dalpha (a number)}).
    Intermediate variables: q1 = W1 x, q2 = PReLU(q1), q3 = W2 q2, q4 = ELU(q3), q5 = W3 q4, q6 = q5 - y,
    L = 1/2 ||q6||^2. At exactly 0, PReLU' = alpha_prelu and ELU' = alpha_elu.
    """
    # forward pass, keeping every intermediate variable
    q1 = W1 @ x                                                       # (n,)
    q2 = np.where(q1 > 0, q1, alpha_prelu * q1)                       # (n,) PReLU
    q3 = W2 @ q2                                                      # (n,)
    q4 = np.where(q3 > 0, q3, alpha_elu * np.expm1(np.minimum(q3, 0.0)))  # (n,) ELU; exp only of q3 <= 0
    q5 = W3 @ q4                                                      # (m,)
    q6 = q5 - y                                                       # (m,)
    L = 0.5 * np.sum(q6**2)
    # local derivatives of the activations (the x <= 0 branch at exactly 0)
    prelu_slope = np.where(q1 > 0, 1.0, alpha_prelu)                  # PReLU'(q1)
    elu_slope = np.where(q3 > 0, 1.0, alpha_elu * np.exp(np.minimum(q3, 0.0)))  # ELU'(q3)
    # backward pass, from L down to W1
    dq6 = q6                                                          # dL/dq6
    dq5 = dq6                                                         # q6 = q5 - y
    dW3 = np.outer(dq5, q4)                                           # (m, n)
    dq4 = W3.T @ dq5                                                  # (n,)
    dq3 = elu_slope * dq4                                             # Hadamard product
    dW2 = np.outer(dq3, q2)                                           # (n, n)
    dq2 = W2.T @ dq3                                                  # (n,)
    dq1 = prelu_slope * dq2                                           # Hadamard product
    dW1 = np.outer(dq1, x)                                            # (n, n)
    # alpha is shared by every unit: PReLU(q1) = max(q1, 0) + alpha * min(q1, 0), so dq2/dalpha = min(q1, 0)
    dalpha = np.sum(dq2 * np.minimum(q1, 0.0))                        # a sum over the n units
    return float(L), {"W1": dW1, "W2": dW2, "W3": dW3, "alpha_prelu": float(dalpha)}


# ---- provided: the XOR explorer's training loop ---------------------------------------------------------
def train_two_layer_net(X: np.ndarray, y: np.ndarray, hidden_dim: int, act_forward: "Callable[..., tuple]",
                        act_backward: "Callable[..., np.ndarray]", num_iters: int = 500, learning_rate: float = 0.5,
                        seed: int = 0) -> "tuple[Callable[[np.ndarray], np.ndarray], list[float]]":
    """Fit s = w2 . act(W1 x + b1) + b2 to binary labels by gradient descent on sigmoid_cross_entropy.

    X: (N, 2), y: (N,) in {0, 1}; act_forward(x) -> (out, cache) and act_backward(dout, cache) -> dx are an
    activation layer (yours). Returns (predict, loss history): predict(P: (M, 2)) -> labels (M,) in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    W1 = rng.normal(scale=1.0, size=(2, hidden_dim))
    b1 = rng.normal(scale=0.1, size=hidden_dim)
    w2 = rng.normal(scale=1.0 / np.sqrt(hidden_dim), size=hidden_dim)
    b2 = 0.0
    history = []
    for _ in range(num_iters):
        a, cache = act_forward(X @ W1 + b1)         # (N, hidden_dim)
        scores = a @ w2 + b2                        # (N,)
        loss, dscores = sigmoid_cross_entropy(scores, y)
        history.append(loss)
        dw2, db2 = a.T @ dscores, dscores.sum()     # back through scores = a w2 + b2
        dpre = act_backward(np.outer(dscores, w2), cache)
        dW1, db1 = X.T @ dpre, dpre.sum(axis=0)     # back through pre = X W1 + b1
        W1 -= learning_rate * dW1
        b1 -= learning_rate * db1
        w2 -= learning_rate * dw2
        b2 -= learning_rate * db2

    def predict(P: np.ndarray) -> np.ndarray:
        return (act_forward(P @ W1 + b1)[0] @ w2 + b2 > 0).astype(np.int64)

    return predict, history
