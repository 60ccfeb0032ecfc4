"""Layers as forward/backward pairs (CS231n style), starting with the activations of assignment a3_backprop.

Every ``*_forward`` returns ``(out, cache)`` and every ``*_backward`` takes ``(dout, cache)``. The cache of
each activation is fixed (so a backward pass can be graded on its own, with a reference cache):

| layer | cache |
|---|---|
| relu, softplus | ``x`` |
| leaky_relu, prelu, elu | ``(x, alpha)`` |
| sigmoid, tanh | ``out`` |

Derivatives at exactly 0 take the x <= 0 branch (ReLU'(0) = 0, leaky/PReLU alpha, ELU alpha), as PyTorch does.

Exercise ids: ``layers.relu_forward``, ``layers.relu_backward``, ``layers.leaky_relu_forward``,
``layers.leaky_relu_backward``, ``layers.prelu_forward``, ``layers.prelu_backward``,
``layers.softplus_forward``, ``layers.softplus_backward``, ``layers.elu_forward``, ``layers.elu_backward``,
``layers.sigmoid_forward``, ``layers.sigmoid_backward``, ``layers.tanh_forward``, ``layers.tanh_backward``,
``layers.sigmoid_cross_entropy``. (Affine, batchnorm, dropout and the other losses join this file with
their assignments.)
"""

import functools
from typing import Any, Callable

import numpy as np

# Argument validation lives in decorators so that the function bodies below are exactly the solutions the
# notebook shows (autograder/authoring.py copies them into the solution regions, without decorators).

ACTIVATIONS = ("relu", "leaky_relu", "prelu", "softplus", "elu", "sigmoid", "tanh")


def _as_float_array(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool) or np.iscomplexobj(arr):
        raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _scalar_alpha(alpha: Any, what: str, minimum: float | None = None) -> float:
    if np.ndim(alpha) != 0:
        raise ValueError(f"{what}: alpha must be a scalar, got an array of shape {np.shape(alpha)}")
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: alpha must be a real number, got {alpha!r}") from None
    if not np.isfinite(value):
        raise ValueError(f"{what}: alpha must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{what}: alpha must be >= {minimum:g}, got {value:g}")
    return value


def _prelu_alpha(alpha: Any, x: np.ndarray) -> np.ndarray:
    """alpha as a float array that broadcasts against x WITHOUT changing x's shape."""
    a = _as_float_array("alpha", alpha)
    try:
        shape = np.broadcast_shapes(x.shape, a.shape)
    except ValueError:
        shape = None
    if shape != x.shape:
        raise ValueError(f"prelu: alpha must be a scalar or an array that broadcasts to x's shape {x.shape} "
                         f"(e.g. one alpha per feature, shape ({x.shape[-1] if x.ndim else 1},)), "
                         f"got alpha of shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("prelu: alpha must hold finite numbers only")
    return a


def _check_dout(name: str, dout: Any, shape: tuple[int, ...]) -> np.ndarray:
    d = _as_float_array("dout", dout)
    if d.shape != shape:
        raise ValueError(f"{name}: dout must have the shape of the forward output {shape}, got {d.shape}")
    return d


def _validate_plain_forward(fn: Callable[..., Any]) -> Callable[..., Any]:
    """forward(x) for relu, softplus, sigmoid, tanh: x any shape, numeric."""

    @functools.wraps(fn)
    def wrapper(x: np.ndarray) -> tuple[np.ndarray, Any]:
        return fn(_as_float_array("x", x))

    return wrapper


def _validate_alpha_forward(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """forward(x, alpha) for leaky_relu (scalar), prelu (broadcastable), elu (scalar >= 0)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        default = inspect_default(fn)

        @functools.wraps(fn)
        def wrapper(x: np.ndarray, alpha: Any = default) -> tuple[np.ndarray, Any]:
            x = _as_float_array("x", x)
            if alpha is _REQUIRED:
                raise TypeError(f"{fn.__name__}() missing required argument: 'alpha'")
            if kind == "prelu":
                return fn(x, _prelu_alpha(alpha, x))
            return fn(x, _scalar_alpha(alpha, fn.__name__, minimum=0.0 if kind == "elu" else None))

        return wrapper

    return decorate


_REQUIRED = object()


def inspect_default(fn: Callable[..., Any]) -> Any:
    """The default value of fn's `alpha` parameter (_REQUIRED if it has none)."""
    import inspect

    param = inspect.signature(fn).parameters["alpha"]
    return _REQUIRED if param.default is inspect.Parameter.empty else param.default


def _validate_backward(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """backward(dout, cache): the cache as documented for `kind`, dout of the forward output's shape."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(dout: np.ndarray, cache: Any) -> Any:
            name = fn.__name__
            if kind in ("relu", "softplus", "sigmoid", "tanh"):
                if isinstance(cache, tuple):
                    raise ValueError(f"{name}: cache must be the array "
                                     f"{'x' if kind in ('relu', 'softplus') else 'out'} returned by the forward "
                                     f"pass, got a tuple of length {len(cache)}")
                c = _as_float_array("cache", cache)
                if kind == "sigmoid" and np.any((c < 0) | (c > 1)):
                    raise ValueError(f"{name}: cache must be sigmoid's output (values in [0, 1])")
                if kind == "tanh" and np.any(np.abs(c) > 1):
                    raise ValueError(f"{name}: cache must be tanh's output (values in [-1, 1])")
                return fn(_check_dout(name, dout, c.shape), c)
            if not (isinstance(cache, tuple) and len(cache) == 2):
                raise ValueError(f"{name}: cache must be the tuple (x, alpha) returned by the forward pass")
            x = _as_float_array("x (in cache)", cache[0])
            if kind == "prelu":
                alpha: Any = _prelu_alpha(cache[1], x)
            else:
                alpha = _scalar_alpha(cache[1], name, minimum=0.0 if kind == "elu" else None)
            return fn(_check_dout(name, dout, x.shape), (x, alpha))

        return wrapper

    return decorate


# ---- ReLU -----------------------------------------------------------------------------------------------
@_validate_plain_forward
def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ReLU(x) = max(0, x), elementwise.

    x: any shape -> out: same shape; cache = x.
    """
    out = np.maximum(x, 0.0)  # elementwise (np.max would reduce along an axis)
    cache = x
    return out, cache


@_validate_backward("relu")
def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout * ReLU'(x), with ReLU'(x) = 1 if x > 0 else 0 (so ReLU'(0) = 0).

    dout: same shape as x; cache = x -> dx: same shape as x.
    """
    x = cache
    dx = dout * (x > 0)
    return dx


# ---- leaky ReLU -----------------------------------------------------------------------------------------
@_validate_alpha_forward("leaky_relu")
def leaky_relu_forward(x: np.ndarray, alpha: float = 0.01) -> tuple[np.ndarray, tuple[np.ndarray, float]]:
    """Leaky ReLU: x if x > 0 else alpha * x (a fixed small slope alpha on the negative side).

    x: any shape, alpha: scalar -> out: same shape as x; the cache is (x, alpha).
    """
    out = np.where(x > 0, x, alpha * x)
    cache = (x, alpha)
    return out, cache


@_validate_alpha_forward("prelu")
def prelu_forward(x: np.ndarray, alpha: float | np.ndarray) -> tuple[np.ndarray, tuple]:
    """PReLU: x if x > 0 else alpha * x, where alpha is LEARNED (a scalar, or e.g. one alpha per feature).

    x: any shape; alpha: scalar or array broadcastable to x.shape (e.g. (D,) for x of shape (N, D))
    -> out: same shape as x; the cache is (x, alpha).
    Note: max(alpha * x, x) equals PReLU only when alpha <= 1.
    """
    out = np.where(x > 0, x, alpha * x)
    cache = (x, alpha)
    return out, cache


@_validate_backward("leaky_relu")
def leaky_relu_backward(dout: np.ndarray, cache: tuple[np.ndarray, float]) -> np.ndarray:
    """dx = dout * (1 if x > 0 else alpha)   (the slope alpha also at x = 0).

    dout: same shape as x; cache: (x, alpha) -> dx: same shape as x.
    """
    x, alpha = cache
    dx = np.where(x > 0, dout, alpha * dout)
    return dx


@_validate_backward("prelu")
def prelu_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """dx = dout * (1 if x > 0 else alpha);  dalpha = sum of dout * (0 if x > 0 else x) over the entries
    that share one alpha.

    dout: same shape as x; cache: (x, alpha) -> dx: same shape as x, dalpha: same shape as alpha
    (a 0-d value for a scalar alpha).
    """
    x, alpha = cache
    dx = np.where(x > 0, dout, alpha * dout)
    dalpha_full = np.where(x > 0, 0.0, x * dout)  # d out / d alpha = x on the negative side (0 included)
    # alpha was broadcast against x: add up the contributions of all the entries that used each alpha
    shape = np.shape(alpha)
    dalpha = dalpha_full.sum(axis=tuple(range(x.ndim - len(shape))))  # leading axes alpha lacks
    dalpha = dalpha.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)  # size-1 axes
    return dx, dalpha


# ---- softplus -------------------------------------------------------------------------------------------
@_validate_plain_forward
def softplus_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """softplus(x) = log(1 + e^x), computed without overflow.

    x: any shape -> out: same shape; cache = x.
    np.log(1 + np.exp(x)) overflows for x > ~709; log(1 + e^x) = log(e^0 + e^x) = np.logaddexp(0, x).
    """
    out = np.logaddexp(0.0, x)
    cache = x
    return out, cache


@_validate_backward("softplus")
def softplus_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout * sigmoid(x)   (softplus' = sigmoid), with sigmoid computed without overflow.

    dout: same shape as x; cache = x -> dx: same shape as x.
    """
    x = cache
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    sigma = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    dx = dout * sigma
    return dx


# ---- ELU ------------------------------------------------------------------------------------------------
@_validate_alpha_forward("elu")
def elu_forward(x: np.ndarray, alpha: float = 1.0) -> tuple[np.ndarray, tuple[np.ndarray, float]]:
    """ELU(x) = x if x > 0 else alpha * (e^x - 1), with alpha >= 0.

    x: any shape, alpha: scalar >= 0 -> out: same shape as x; the cache is (x, alpha).
    Evaluate e^x only where x <= 0 (np.exp(1000) overflows even in the branch np.where throws away).
    Note: max(alpha * (e^x - 1), x) is NOT ELU (it is wrong for every x > 0 when alpha >= 1).
    """
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))
    cache = (x, alpha)
    return out, cache


@_validate_backward("elu")
def elu_backward(dout: np.ndarray, cache: tuple[np.ndarray, float]) -> np.ndarray:
    """dx = dout * (1 if x > 0 else alpha * e^x)   (alpha at x = 0).

    dout: same shape as x; cache: (x, alpha) -> dx: same shape as x.
    """
    x, alpha = cache
    dx = dout * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))
    return dx


# ---- sigmoid and tanh -----------------------------------------------------------------------------------
@_validate_plain_forward
def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sigmoid(x) = 1 / (1 + e^-x), computed without overflow for large |x|.

    x: any shape -> out: same shape, in [0, 1]; cache = out.
    With z = e^-|x| <= 1: sigmoid(x) = 1 / (1 + z) for x >= 0 and z / (1 + z) for x < 0.
    """
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    out = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    cache = out
    return out, cache


@_validate_backward("sigmoid")
def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout * sigmoid(x) * (1 - sigmoid(x)), from the cached output.

    dout: same shape as out; cache = out = sigmoid(x) -> dx: same shape.
    """
    out = cache
    dx = dout * out * (1.0 - out)
    return dx


@_validate_plain_forward
def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x) = 2 sigmoid(2x) - 1.

    x: any shape -> out: same shape, in [-1, 1]; cache = out.
    """
    out = np.tanh(x)
    cache = out
    return out, cache


@_validate_backward("tanh")
def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout * (1 - tanh(x)^2), from the cached output.

    dout: same shape as out; cache = out = tanh(x) -> dx: same shape.
    """
    out = cache
    dx = dout * (1.0 - out**2)
    return dx


# ---- losses ---------------------------------------------------------------------------------------------
def _validate_sigmoid_ce(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        logits = _as_float_array("logits", logits)
        y = np.asarray(y)
        if logits.ndim != 1 or y.shape != logits.shape or logits.size == 0:
            raise ValueError(f"expected logits (N,) and y (N,) with N >= 1, got {logits.shape} and {y.shape}")
        if not np.all((y == 0) | (y == 1)):
            raise ValueError("y must hold binary labels (0 or 1 only)")
        if not np.all(np.isfinite(logits)):
            raise ValueError("logits must be finite")
        return fn(logits, y.astype(np.float64))

    return wrapper


@_validate_sigmoid_ce
def sigmoid_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Binary cross-entropy of sigmoid(logits) against labels y, averaged over the N samples.

    logits: (N,) real scores s; y: (N,) in {0, 1} -> loss: float, dlogits: (N,).
    loss = mean(-y log sigmoid(s) - (1 - y) log(1 - sigmoid(s))) = mean(softplus(s) - y s),
    written as max(s, 0) - y s + log(1 + e^-|s|) so that no exponential overflows and nothing is log(0).
    dlogits = (sigmoid(s) - y) / N.
    """
    N = logits.shape[0]
    loss = np.mean(np.maximum(logits, 0.0) - y * logits + np.log1p(np.exp(-np.abs(logits))))
    z = np.exp(-np.abs(logits))
    sig = np.where(logits >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    dlogits = (sig - y) / N
    return float(loss), dlogits
