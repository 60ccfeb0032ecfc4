"""Fairness of the activation-layer checks of a3_backprop (``layers.*``): every known bug is caught for every student.

Per exercise, a table of known-bug variants, one per failure mode the notebook teaches (each a small function with
a comment naming the mode), replayed through the hidden check over 50 students' seeds (tests/fairness.py) and once
through the visible check on its fixed inputs. A bug the visible check deliberately leaves to the hidden check is
listed in HIDDEN_ONLY with its reason. Right answers written differently from `solutions` (some warn about an
overflow and still return the right numbers) pass in every draw.
"""

from typing import Any, Callable

import numpy as np
import pytest

from autograder.hidden import lookup
from course.checks import exercise_ids
from solutions import layers
from tests import fairness


def _named(name: str, table: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Give every function of `table` the exercise's function name (as a student's would have)."""
    for fn in table.values():
        fn.__name__ = name
    return table


def _sig(x):
    """A stable sigmoid for the bug variants whose mistake lies elsewhere."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


# ---- ReLU -----------------------------------------------------------------------------------------------
def relu_np_max(x):
    return np.max(x, 0), x  # np.max REDUCES along axis 0: not the elementwise maximum


def relu_python_max(x):
    return max(0, x), x  # Python's max on a whole array: "truth value of an array is ambiguous"


def relu_cache_out(x):
    out = np.maximum(x, 0)
    return out, out  # the cache must be x, as the docstring says


def relu_backward_ge(dout, cache):
    return dout * (cache >= 0)  # ReLU'(0) = 1: the derivative at exactly 0 takes the x <= 0 branch (0)


def relu_backward_no_dout(dout, cache):
    return (cache > 0).astype(float)  # the local derivative alone: the chain rule multiplies by dout


def relu_backward_python_if(dout, cache):
    return dout if cache > 0 else 0 * dout  # `if` on a whole array


# ---- leaky ReLU -----------------------------------------------------------------------------------------
def leaky_as_relu(x, alpha=0.01):
    return np.maximum(x, 0), (x, alpha)  # slope 0 on the negative side, as plain ReLU


def leaky_fixed_alpha(x, alpha=0.01):
    return np.where(x > 0, x, 0.01 * x), (x, alpha)  # ignores the alpha it is given


def leaky_wrong_default(x, alpha=0.1):
    return np.where(x > 0, x, alpha * x), (x, alpha)  # the default slope is 0.01


def leaky_cache_x(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), x  # the cache must be (x, alpha)


def leaky_backward_ge(dout, cache):
    x, alpha = cache
    return np.where(x >= 0, dout, alpha * dout)  # slope 1 at exactly 0: the x <= 0 branch gives alpha


def leaky_backward_as_relu(dout, cache):
    x, alpha = cache
    return dout * (x > 0)  # slope 0 on the negative side


def leaky_backward_fixed_alpha(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, 0.01 * dout)  # 0.01 instead of the cached alpha


def leaky_backward_no_dout(dout, cache):
    x, alpha = cache
    return np.where(x > 0, 1.0, alpha)  # the local derivative alone


# ---- PReLU ----------------------------------------------------------------------------------------------
def prelu_shorthand(x, alpha):
    return np.maximum(alpha * x, x), (x, alpha)  # max(alpha x, x): the mirror image of PReLU for alpha > 1


def prelu_cache_x(x, alpha):
    return np.where(x > 0, x, alpha * x), x  # the cache must be (x, alpha)


def _prelu_grads(dout, x, alpha, *, ge=False, shorthand=False, dout_factor=True, all_entries=False, sign=1.0,
                 reduce="right"):
    """PReLU's (dx, dalpha) with one mistake switched on (all off: the right answer)."""
    neg = (alpha * x > x) if shorthand else (x < 0 if ge else x <= 0)
    dx = np.where(neg, alpha, 1.0) * (dout if dout_factor else 1.0)
    full = sign * dout * x * (True if all_entries else neg)
    shape = np.shape(alpha)
    if reduce == "none":
        return dx, full
    if reduce == "all" or shape == ():
        return dx, full.sum()
    if reduce == "axis0":
        return dx, full.sum(axis=0).reshape(shape)
    lead = full.sum(axis=tuple(range(x.ndim - len(shape))))
    return dx, lead.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def prelu_backward_ge(dout, cache):
    return _prelu_grads(dout, *cache, ge=True)  # slope 1 at exactly 0: the x <= 0 branch gives alpha


def prelu_backward_shorthand(dout, cache):
    return _prelu_grads(dout, *cache, shorthand=True)  # the derivative of max(alpha x, x): wrong for alpha > 1


def prelu_backward_no_dout(dout, cache):
    return _prelu_grads(dout, *cache, dout_factor=False)  # dx: the local derivative alone


def prelu_backward_unsummed(dout, cache):
    return _prelu_grads(dout, *cache, reduce="none")  # dalpha not summed over the entries sharing an alpha


def prelu_backward_sum_all(dout, cache):
    return _prelu_grads(dout, *cache, reduce="all")  # dalpha summed to one number, also for per-feature alpha


def prelu_backward_sum_axis0(dout, cache):
    return _prelu_grads(dout, *cache, reduce="axis0")  # dalpha summed over axis 0 only: right for 2-axis x only


def prelu_backward_all_entries(dout, cache):
    return _prelu_grads(dout, *cache, all_entries=True)  # dalpha also sums the entries with x > 0


def prelu_backward_sign(dout, cache):
    return _prelu_grads(dout, *cache, sign=-1.0)  # dalpha with the sign flipped


# ---- softplus -------------------------------------------------------------------------------------------
def softplus_naive(x):
    return np.log(1 + np.exp(x)), x  # e^x overflows for x > 709: inf


def softplus_clipped(x):
    return np.log1p(np.exp(np.minimum(x, 700))), x  # clipping x before exp: 700 instead of x beyond it


def softplus_cache_out(x):
    out = np.logaddexp(0, x)
    return out, out  # the cache must be x


def softplus_backward_naive(dout, cache):
    return dout * np.exp(cache) / (1 + np.exp(cache))  # inf/inf = nan for x > 709


def softplus_backward_no_dout(dout, cache):
    return _sig(cache)  # the local derivative alone


def softplus_backward_softplus(dout, cache):
    return dout * np.logaddexp(0, cache)  # softplus itself, not its derivative sigmoid


# ---- ELU ------------------------------------------------------------------------------------------------
def elu_shorthand(x, alpha=1.0):
    # max(alpha (e^x - 1), x) (exp clipped so it does not overflow): wrong for x > 0 when alpha >= 1, beyond
    # x+(alpha) when alpha < 1, and on (x-(alpha), 0) when alpha > 1
    return np.maximum(alpha * np.expm1(np.minimum(x, 50)), x), (x, alpha)


def elu_exp_everywhere(x, alpha=1.0):
    return x * (x > 0) + alpha * (np.exp(x) - 1) * (x <= 0), (x, alpha)  # e^1000 = inf, inf * 0 = nan


def elu_ignores_alpha(x, alpha=1.0):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0))), (x, alpha)  # alpha (e^x - 1) without alpha


def elu_wrong_default(x, alpha=0.5):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))), (x, alpha)  # the default alpha is 1


def elu_cache_x(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))), x  # the cache must be (x, alpha)


def elu_backward_ge(dout, cache):
    x, alpha = cache
    return dout * np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0)))  # slope 1 at 0: the x <= 0 side gives alpha


def elu_backward_no_dout(dout, cache):
    x, alpha = cache
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))  # the local derivative alone


def elu_backward_exp_everywhere(dout, cache):
    x, alpha = cache
    return dout * ((x > 0) + (x <= 0) * alpha * np.exp(x))  # e^1000 = inf, inf * 0 = nan


def elu_backward_ignores_alpha(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))  # e^x instead of alpha e^x


# ---- sigmoid and tanh -----------------------------------------------------------------------------------
def sigmoid_naive(x):
    out = np.exp(x) / (1 + np.exp(x))  # inf/inf = nan for x > 709
    return out, out


def sigmoid_cache_x(x):
    return _sig(x), x  # the cache must be out


def sigmoid_backward_from_x(dout, cache):
    s = _sig(cache)  # treats the cache as x: it is out = sigmoid(x) already
    return dout * s * (1 - s)


def sigmoid_backward_no_dout(dout, cache):
    return cache * (1 - cache)  # the local derivative alone


def tanh_via_exp(x):
    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))  # inf/inf = nan for |x| > 709
    return out, out


def tanh_cache_x(x):
    return np.tanh(x), x  # the cache must be out


def tanh_backward_from_x(dout, cache):
    return dout * (1 - np.tanh(cache) ** 2)  # treats the cache as x: it is out = tanh(x) already


def tanh_backward_no_dout(dout, cache):
    return 1 - cache**2  # the local derivative alone


# ---- sigmoid_cross_entropy ------------------------------------------------------------------------------
def _sce(logits, y, *, loss="stable", grad="stable", average=True, average_grad=True, grad_sign=1.0):
    """Sigmoid cross-entropy with one mistake switched on (all keywords default: the right answer)."""
    N = len(y)
    s = logits
    if loss == "log_sigmoid":  # log sigmoid(s): log(0) = -inf once sigmoid rounds to 0 or 1
        p = 1 / (1 + np.exp(-s))
        per = -y * np.log(p) - (1 - y) * np.log(1 - p)
    elif loss == "clipped":  # log of a clipped sigmoid: finite, but capped near 27.6 per sample
        p = np.clip(_sig(s), 1e-12, 1 - 1e-12)
        per = -y * np.log(p) - (1 - y) * np.log(1 - p)
    elif loss == "softplus_naive":  # softplus(s) - y s with log(1 + e^s): inf for s > 709
        per = np.log(1 + np.exp(s)) - y * s
    else:
        per = np.maximum(s, 0) - y * s + np.log1p(np.exp(-np.abs(s)))
    sig = np.exp(s) / (1 + np.exp(s)) if grad == "naive" else _sig(s)  # naive: inf/inf = nan for s > 709
    value = per.mean() if average else per.sum()
    return float(value), grad_sign * (sig - y) / (N if average_grad else 1)


def sce_naive(logits, y):
    return _sce(logits, y, loss="log_sigmoid")  # log(sigmoid(s)): -inf (and 0 * -inf = nan) beyond |s| ~ 37


def sce_clipped(logits, y):
    return _sce(logits, y, loss="clipped")  # clipping the probabilities: a confident wrong logit loses its loss


def sce_softplus_naive(logits, y):
    return _sce(logits, y, loss="softplus_naive")  # log(1 + e^s) overflows for s > 709


def sce_naive_gradient(logits, y):
    return _sce(logits, y, grad="naive")  # a stable loss, but e^s / (1 + e^s) in the gradient: nan for s > 709


def sce_sum(logits, y):
    return _sce(logits, y, average=False, average_grad=False)  # summed over the samples, not averaged


def sce_grad_not_averaged(logits, y):
    return _sce(logits, y, average_grad=False)  # the loss is averaged but dlogits is not divided by N


def sce_grad_sign(logits, y):
    return _sce(logits, y, grad_sign=-1.0)  # y - sigmoid(s): the sign is flipped


# ---- the tables -----------------------------------------------------------------------------------------
BUGS: dict[str, dict[str, Callable[..., Any]]] = {
    "layers.relu_forward": _named("relu_forward", {
        "np.max reduces": relu_np_max, "Python max": relu_python_max, "cache is out": relu_cache_out}),
    "layers.relu_backward": _named("relu_backward", {
        "ReLU'(0) = 1": relu_backward_ge, "no dout": relu_backward_no_dout, "Python if": relu_backward_python_if}),
    "layers.leaky_relu_forward": _named("leaky_relu_forward", {
        "slope 0 (plain ReLU)": leaky_as_relu, "ignores alpha": leaky_fixed_alpha,
        "default alpha 0.1": leaky_wrong_default, "cache is x": leaky_cache_x}),
    "layers.leaky_relu_backward": _named("leaky_relu_backward", {
        "slope 1 at 0": leaky_backward_ge, "slope 0 (plain ReLU)": leaky_backward_as_relu,
        "0.01 instead of alpha": leaky_backward_fixed_alpha, "no dout": leaky_backward_no_dout}),
    "layers.prelu_forward": _named("prelu_forward", {
        "max(alpha x, x)": prelu_shorthand, "cache is x": prelu_cache_x}),
    "layers.prelu_backward": _named("prelu_backward", {
        "slope 1 at 0": prelu_backward_ge, "max shorthand's slope": prelu_backward_shorthand,
        "no dout": prelu_backward_no_dout, "dalpha unsummed": prelu_backward_unsummed,
        "dalpha summed to a scalar": prelu_backward_sum_all, "dalpha summed over axis 0": prelu_backward_sum_axis0,
        "dalpha over all entries": prelu_backward_all_entries, "dalpha sign": prelu_backward_sign}),
    "layers.softplus_forward": _named("softplus_forward", {
        "log(1 + e^x) overflows": softplus_naive, "x clipped before exp": softplus_clipped,
        "cache is out": softplus_cache_out}),
    "layers.softplus_backward": _named("softplus_backward", {
        "e^x / (1 + e^x) overflows": softplus_backward_naive, "no dout": softplus_backward_no_dout,
        "softplus instead of sigmoid": softplus_backward_softplus}),
    "layers.elu_forward": _named("elu_forward", {
        "max(alpha (e^x - 1), x)": elu_shorthand, "exp of every entry": elu_exp_everywhere,
        "ignores alpha": elu_ignores_alpha, "default alpha 0.5": elu_wrong_default, "cache is x": elu_cache_x}),
    "layers.elu_backward": _named("elu_backward", {
        "slope 1 at 0": elu_backward_ge, "no dout": elu_backward_no_dout,
        "exp of every entry": elu_backward_exp_everywhere, "ignores alpha": elu_backward_ignores_alpha}),
    "layers.sigmoid_forward": _named("sigmoid_forward", {
        "e^x / (1 + e^x) overflows": sigmoid_naive, "cache is x": sigmoid_cache_x}),
    "layers.sigmoid_backward": _named("sigmoid_backward", {
        "cache taken for x": sigmoid_backward_from_x, "no dout": sigmoid_backward_no_dout}),
    "layers.tanh_forward": _named("tanh_forward", {"tanh via exp overflows": tanh_via_exp, "cache is x": tanh_cache_x}),
    "layers.tanh_backward": _named("tanh_backward", {
        "cache taken for x": tanh_backward_from_x, "no dout": tanh_backward_no_dout}),
    "layers.sigmoid_cross_entropy": _named("sigmoid_cross_entropy", {
        "log(sigmoid(s))": sce_naive, "clipped probabilities": sce_clipped,
        "log(1 + e^s) overflows": sce_softplus_naive,
        "naive sigmoid in dlogits": sce_naive_gradient, "summed, not averaged": sce_sum,
        "dlogits not averaged": sce_grad_not_averaged, "dlogits sign": sce_grad_sign}),
}

# bugs the visible check deliberately leaves to the hidden one, with the reason
_KINK_REASON = ("DESIGN/notebook: the derivative at exactly 0 takes the x <= 0 branch and is graded only by the "
                "hidden check (its 'exact zeros' case type); the visible inputs keep |x| >= 1e-3 so that numerical "
                "gradients of the student's own functions stay exact there")
HIDDEN_ONLY: dict[tuple[str, str], str] = {
    ("layers.relu_backward", "ReLU'(0) = 1"): _KINK_REASON,
    ("layers.leaky_relu_backward", "slope 1 at 0"): _KINK_REASON,
    ("layers.prelu_backward", "slope 1 at 0"): _KINK_REASON,
    ("layers.elu_backward", "slope 1 at 0"): _KINK_REASON,
}

IDS = [e for e in exercise_ids() if e.startswith("layers.")]


def _reference(exercise_id: str) -> Callable[..., Any]:
    return getattr(layers, exercise_id.partition(".")[2])


# ---- right answers written differently from solutions (several warn about an overflow and are still right) --
def _prelu_backward_bincount(dout, cache):
    """dalpha by the index of the alpha each entry used (np.bincount), not by summing axes."""
    x, alpha = cache
    a = np.asarray(alpha, dtype=float)
    dx = dout * np.where(x > 0, 1.0, np.broadcast_to(a, x.shape))
    index = np.broadcast_to(np.arange(a.size).reshape(a.shape), x.shape)
    contrib = np.where(x > 0, 0.0, dout * x)
    dalpha = np.bincount(index.ravel(), weights=contrib.ravel(), minlength=a.size).reshape(a.shape)
    return dx, dalpha


def _sce_other(logits, y):
    loss = np.mean(np.logaddexp(0, logits) - y * logits)
    return loss, (0.5 * (1 + np.tanh(logits / 2)) - y) / len(y)


RIGHT: dict[str, dict[str, Callable[..., Any]]] = {
    "layers.relu_forward": {"mask": lambda x: (x * (x > 0), x)},
    "layers.relu_backward": {"where": lambda dout, cache: np.where(cache > 0, dout, 0.0)},
    "layers.leaky_relu_forward": {
        # max(alpha x, x) equals leaky ReLU for its alphas (<= 1): a shorthand that is RIGHT here
        "max(alpha x, x) for alpha <= 1": lambda x, alpha=0.01: (np.maximum(alpha * x, x), (x, alpha))},
    "layers.leaky_relu_backward": {"masks": lambda dout, c: dout * ((c[0] > 0) + c[1] * (c[0] <= 0))},
    "layers.prelu_forward": {"masks": lambda x, alpha: (x * (x > 0) + alpha * x * (x <= 0), (x, alpha))},
    "layers.prelu_backward": {"bincount": _prelu_backward_bincount},
    "layers.softplus_forward": {
        "where over an overflowing exp": lambda x: (np.where(x > 30, x + np.log1p(np.exp(-np.abs(x))),
                                                              np.log1p(np.exp(x))), x)},
    "layers.softplus_backward": {"1 / (1 + e^-x), overflowing to 0": lambda dout, x: dout / (1 + np.exp(-x))},
    "layers.elu_forward": {
        "where over an overflowing exp":
            lambda x, alpha=1.0: (np.where(x > 0, x, alpha * (np.exp(x) - 1)), (x, alpha))},
    "layers.elu_backward": {
        "where over an overflowing exp": lambda dout, c: dout * np.where(c[0] > 0, 1.0, c[1] * np.exp(c[0]))},
    "layers.sigmoid_forward": {"1 / (1 + e^-x), overflowing to 0": lambda x: (1 / (1 + np.exp(-x)),) * 2},
    "layers.sigmoid_backward": {"out - out^2": lambda dout, out: dout * (out - out**2)},
    "layers.tanh_forward": {"2 sigmoid(2x) - 1": lambda x: (2 / (1 + np.exp(-2 * x)) - 1,) * 2},
    "layers.tanh_backward": {"(1 - out)(1 + out)": lambda dout, out: dout * (1 - out) * (1 + out)},
    "layers.sigmoid_cross_entropy": {"logaddexp and tanh": _sce_other},
}
for _eid, _table in RIGHT.items():
    _named(_eid.partition(".")[2], _table)


# ---- the tests ------------------------------------------------------------------------------------------
def test_the_tables_cover_every_exercise_of_layers() -> None:
    """Every layers.* exercise with a visible check has bug variants and an independent right answer."""
    assert len(IDS) == 15 and set(BUGS) == set(IDS) and set(RIGHT) == set(IDS)


@pytest.mark.parametrize("exercise_id, bug", sorted(HIDDEN_ONLY), ids=[f"{e}:{b}" for e, b in sorted(HIDDEN_ONLY)])
def test_a_wrong_derivative_at_zero_is_caught_by_the_zeros_case_with_a_hint(exercise_id: str, bug: str) -> None:
    """The slope-at-0 bugs fail the 'exact zeros' case type in every draw, with the hint naming x == 0."""
    from autograder.hidden import evaluate

    for seed in fairness.seeds(exercise_id):
        reason = evaluate(exercise_id, seed, BUGS[exercise_id][bug])
        assert reason is not None and "[hidden case: exact zeros" in reason and "x == 0 exactly" in reason, reason


def test_the_batteries_hold_the_edge_cases_for_every_student() -> None:
    """For each of 50 students: exact zeros, |x| >= 710 of both signs, PReLU/ELU alpha > 1, per-feature alphas."""
    for seed in fairness.seeds("layers.prelu_forward"):
        cases = lookup("layers.prelu_forward").make_inputs(np.random.default_rng(seed))["cases"]
        xs = np.concatenate([c["x"].ravel() for c in cases])
        assert np.any(xs == 0) and np.any(xs >= 710) and np.any(xs <= -710)
        assert any(np.ndim(c["alpha"]) == 0 and c["alpha"] > 1 for c in cases)
        assert any(c["x"].ndim == 3 and np.shape(c["alpha"]) == c["x"].shape[-1:] for c in cases)
        assert any(c["x"].ndim == 2 and np.shape(c["alpha"]) == c["x"].shape[-1:] for c in cases)
        assert any(np.ndim(c["alpha"]) == 2 and np.shape(c["alpha"])[0] == 1 for c in cases)
        elu = lookup("layers.elu_forward").make_inputs(np.random.default_rng(seed))["cases"]
        assert any(c["default"] and c["alpha"] == 1 for c in elu) and any(c["alpha"] > 1 for c in elu)
        assert any(c["alpha"] < 1 and c["x"].max() >= 10 for c in elu)
        sce = lookup("layers.sigmoid_cross_entropy").make_inputs(np.random.default_rng(seed))["cases"]
        pairs = {(bool(s > 0), int(t)) for c in sce for s, t in zip(c["logits"], c["y"]) if abs(s) >= 710}
        assert pairs == {(True, 0), (True, 1), (False, 0), (False, 1)}


def test_every_case_type_is_named_for_feedback() -> None:
    """Case types are distinct, readable phrases (they prefix a failing case's message)."""
    for exercise_id in IDS:
        types = lookup(exercise_id).case_types
        assert len(set(types)) == len(types) and all(len(t) > 10 for t in types), exercise_id


# ---- no collateral loss ---------------------------------------------------------------------------------
WRONG_FORWARD = {name: next(iter(BUGS[f"layers.{name}_forward"].values())) for name in layers.ACTIVATIONS}


@pytest.mark.parametrize("name", layers.ACTIVATIONS)
def test_a_wrong_forward_costs_the_backward_nothing(name: str) -> None:
    """A right backward next to a wrong forward (in its globals) passes: the checks build the cache themselves."""
    from course.checks.core import with_globals

    backward = with_globals(getattr(layers, f"{name}_backward"), **{f"{name}_forward": WRONG_FORWARD[name]})
    assert fairness.visible_verdict(f"layers.{name}_backward", backward) is None
    fairness.assert_passes_in_every_draw(f"layers.{name}_backward", backward)
    assert fairness.visible_verdict(f"layers.{name}_forward", WRONG_FORWARD[name]) is not None


@pytest.mark.parametrize("name", layers.ACTIVATIONS)
def test_backward_checks_get_the_documented_cache(name: str) -> None:
    """Every hidden backward case's cache has the documented form: x, (x, alpha) with a valid alpha, or an output."""
    form = {"relu": "x", "softplus": "x", "leaky_relu": "(x, alpha)", "prelu": "(x, alpha)", "elu": "(x, alpha)",
            "sigmoid": "out", "tanh": "out"}[name]
    for seed in fairness.seeds(f"layers.{name}_backward", n=10):
        for case in lookup(f"layers.{name}_backward").make_inputs(np.random.default_rng(seed))["cases"]:
            cache = case["cache"]
            if form == "(x, alpha)":
                assert isinstance(cache, tuple) and cache[0].shape == case["dout"].shape
            else:
                assert isinstance(cache, np.ndarray) and cache.shape == case["dout"].shape
            if form == "out":  # an output of the layer: sigmoid in [0, 1], tanh in [-1, 1]
                lo = 0.0 if name == "sigmoid" else -1.0
                assert np.all((cache >= lo) & (cache <= 1.0))
            getattr(layers, f"{name}_backward")(case["dout"], cache)  # a valid cache by the reference's validation
