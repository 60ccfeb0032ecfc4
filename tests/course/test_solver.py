"""Tests of course.solver: Solver trains a softmax regression, records its history and rejects bad arguments."""

import numpy as np
import pytest

from course.data import make_blobs
from course.progress import GRADING_ENV
from course.solver import Solver, sgd


class SoftmaxRegression:
    """scores = X W + b with softmax loss + reg * sum(W*W); W (D, C), b (C,)."""

    def __init__(self, D: int = 2, C: int = 3, reg: float = 1e-3, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.params = {"W": 1e-2 * rng.standard_normal((D, C)), "b": np.zeros(C)}
        self.reg = reg

    def loss(self, X, y=None):
        W, b = self.params["W"], self.params["b"]
        scores = X @ W + b
        if y is None:
            return scores
        N = len(y)
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).mean() + self.reg * np.sum(W * W)
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        return loss, {"W": X.T @ dscores + 2 * self.reg * W, "b": dscores.sum(axis=0)}


def blobs_data(n_train: int = 200, n_val: int = 100) -> dict[str, np.ndarray]:
    """Three well separated blobs (noise 0.5, centres 6.9 apart) split into train and validation."""
    X, y = make_blobs(n_samples=n_train + n_val, num_classes=3, noise=0.5, seed=0)
    return {"X_train": X[:n_train], "y_train": y[:n_train], "X_val": X[n_train:], "y_val": y[n_train:]}


def make_solver(model=None, data=None, **kwargs) -> Solver:
    """A quiet Solver (no bar, no prints) on the blobs, unless kwargs say otherwise."""
    options = {"optim_config": {"learning_rate": 0.5}, "batch_size": 50, "num_epochs": 4, "verbose": False,
               "progress": False}
    options.update(kwargs)
    return Solver(model or SoftmaxRegression(), data or blobs_data(), **options)


class RecordingRule:
    """An update rule that does SGD and records (parameter shape, config, learning rate) of every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, w, dw, config):
        self.calls.append((w.shape, config, config.get("learning_rate")))
        return sgd(w, dw, config)


# --------------------------------------------------------------------------- training
def test_solver_learns_separable_blobs():
    """On three separable blobs a softmax regression reaches >= 0.95 validation accuracy within 4 epochs."""
    solver = make_solver()
    solver.train()
    assert solver.best_val_acc >= 0.95
    assert solver.check_accuracy(solver.X_val, solver.y_val) >= 0.95
    assert solver.loss_history[-1] < solver.loss_history[0]


@pytest.mark.parametrize(
    ("n_train", "batch_size", "iterations_per_epoch"), [(200, 50, 4), (200, 30, 6), (20, 50, 1)]
)
def test_history_lengths(n_train, batch_size, iterations_per_epoch):
    """loss_history has num_epochs * max(N_train // batch_size, 1) entries; accuracies one per epoch plus one."""
    solver = make_solver(data=blobs_data(n_train=n_train), batch_size=batch_size, num_epochs=3)
    solver.train()
    assert len(solver.loss_history) == 3 * iterations_per_epoch
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 3 + 1
    assert solver.epoch == 3


def test_best_params_are_restored():
    """After training the model holds best_params, whose validation accuracy is best_val_acc, not the last one."""

    def ruin_last_epoch(w, dw, config):
        config["calls"] = config.get("calls", 0) + 1
        if config["calls"] > 3 * 4:  # epoch 4 of 4 flips every score: accuracy collapses
            return -np.abs(w) if w.ndim == 2 else w, config
        return sgd(w, dw, config)

    model = SoftmaxRegression()
    solver = make_solver(model=model, update_rule=ruin_last_epoch)
    solver.train()
    assert solver.val_acc_history[-1] < 0.5 <= solver.best_val_acc == max(solver.val_acc_history)
    for name in model.params:
        np.testing.assert_array_equal(model.params[name], solver.best_params[name])
        assert model.params[name] is not solver.best_params[name]
    assert solver.check_accuracy(solver.X_val, solver.y_val) == solver.best_val_acc


def test_same_seed_same_run_other_seed_other_run():
    """The same seed reproduces loss_history exactly; another seed draws other minibatches."""
    runs = {}
    for key, seed in [("a", 3), ("b", 3), ("c", 4)]:
        solver = make_solver(seed=seed)
        solver.train()
        runs[key] = solver.loss_history
    assert runs["a"] == runs["b"]
    assert runs["a"] != runs["c"]


def test_update_rule_called_once_per_parameter_per_iteration_with_its_own_config():
    """Each iteration calls the update rule once per parameter, each with its own copy of optim_config."""
    rule = RecordingRule()
    optim_config = {"learning_rate": 0.1}
    solver = make_solver(update_rule=rule, optim_config=optim_config, num_epochs=2)
    solver.train()
    iterations = 2 * 4
    assert [shape for shape, _, _ in rule.calls] == [(2, 3), (3,)] * iterations
    config_W, config_b = rule.calls[0][1], rule.calls[1][1]
    assert config_W is not config_b and config_W is not optim_config
    assert all(config is (config_W, config_b)[i % 2] for i, (_, config, _) in enumerate(rule.calls))
    assert optim_config == {"learning_rate": 0.1}


def test_lr_decay_multiplies_the_learning_rate_after_each_epoch():
    """With lr_decay = 0.5 epoch e (from 0) updates with learning_rate 0.1 * 0.5**e."""
    rule = RecordingRule()
    solver = make_solver(update_rule=rule, optim_config={"learning_rate": 0.1}, lr_decay=0.5, num_epochs=3)
    solver.train()
    rates = [lr for _, _, lr in rule.calls]
    calls_per_epoch = 2 * 4
    for epoch in range(3):
        epoch_rates = rates[epoch * calls_per_epoch : (epoch + 1) * calls_per_epoch]
        assert epoch_rates == [0.1 * 0.5**epoch] * calls_per_epoch
    assert solver.optim_configs["W"]["learning_rate"] == pytest.approx(0.1 * 0.5**3)


def test_sgd_default_learning_rate():
    """sgd moves w by -1e-2 * dw when config gives no learning rate, and fills it in."""
    w, config = sgd(np.ones(3), np.array([1.0, 2.0, 3.0]), None)
    np.testing.assert_allclose(w, [0.99, 0.98, 0.97])
    assert config == {"learning_rate": 1e-2}


# --------------------------------------------------------------------------- check_accuracy
class IndexModel:
    """Predicts class 0 for every sample; X[:, 0] holds the sample's index, recorded on each call."""

    params = {}

    def __init__(self):
        self.seen = []

    def loss(self, X, y=None):
        self.seen.append(X[:, 0].astype(int))
        return np.c_[np.ones(len(X)), np.zeros(len(X))]


def test_check_accuracy_subsamples_num_samples_distinct_rows():
    """check_accuracy(num_samples=k) scores k distinct samples in batches and returns their accuracy."""
    N = 50
    X = np.c_[np.arange(N), np.zeros(N)]
    y = np.arange(N) % 2  # the model is right on even indices
    model = IndexModel()
    solver = make_solver(model=model, data={"X_train": X, "y_train": y, "X_val": X, "y_val": y})
    acc = solver.check_accuracy(X, y, num_samples=20, batch_size=8)
    assert [len(s) for s in model.seen] == [8, 8, 4]
    seen = np.concatenate(model.seen)
    assert len(set(seen)) == 20
    assert acc == np.mean(seen % 2 == 0)


@pytest.mark.parametrize("num_samples", [None, 50, 80])
def test_check_accuracy_without_subsampling_scores_all(num_samples):
    """With num_samples None or >= N, check_accuracy scores every sample once, in order."""
    N = 50
    X = np.c_[np.arange(N), np.zeros(N)]
    y = np.arange(N) % 2
    model = IndexModel()
    solver = make_solver(model=model, data={"X_train": X, "y_train": y, "X_val": X, "y_val": y})
    assert solver.check_accuracy(X, y, num_samples=num_samples) == 0.5
    np.testing.assert_array_equal(np.concatenate(model.seen), np.arange(N))


# --------------------------------------------------------------------------- argument errors
@pytest.mark.parametrize("name", ["learning_rate", "num_epoch"])
def test_unknown_argument_is_named(name):
    """An unknown keyword argument raises ValueError naming it."""
    with pytest.raises(ValueError, match=f"Unrecognized arguments '{name}'"):
        make_solver(**{name: 1})


def test_learning_rate_argument_points_to_optim_config():
    """Passing learning_rate to Solver says that it belongs in optim_config."""
    with pytest.raises(ValueError, match="optim_config"):
        make_solver(learning_rate=0.1)


@pytest.mark.parametrize("update_rule", ["sgd", None, 0.1])
def test_update_rule_must_be_a_function(update_rule):
    """An update_rule that is not callable (a name string included) raises ValueError explaining the interface."""
    with pytest.raises(ValueError, match=r"update_rule must be a function update\(w, dw, config\)"):
        make_solver(update_rule=update_rule)


def _without(key):
    data = blobs_data()
    del data[key]
    return data


def _short(key):
    data = blobs_data()
    data[key] = data[key][:-1]
    return data


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": _without("y_val")}, r"data is missing \['y_val'\]"),
        ({"data": _short("y_train")}, "X_train and y_train must hold the same number"),
        ({"data": _short("X_val")}, "X_val and y_val must hold the same number"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"batch_size": 2.5}, "batch_size must be an integer >= 1"),
        ({"num_epochs": 0}, "num_epochs must be an integer >= 1"),
        ({"print_every": 0}, "print_every must be an integer >= 1"),
    ],
)
def test_bad_data_or_sizes_raise_value_error(kwargs, message):
    """Missing data keys, X/y length mismatches and sizes below 1 raise ValueError saying what is expected."""
    with pytest.raises(ValueError, match=message):
        make_solver(**kwargs)


def test_lr_decay_without_learning_rate_explains():
    """lr_decay with an update rule that never sets a learning rate raises ValueError saying where to set it."""
    solver = make_solver(update_rule=lambda w, dw, config: (w, config), optim_config={}, lr_decay=0.9)
    with pytest.raises(ValueError, match="no 'learning_rate'"):
        solver.train()


def test_missing_gradient_is_named():
    """A model whose loss returns no gradient for a parameter raises ValueError naming that parameter."""

    class ForgetsDb(SoftmaxRegression):
        def loss(self, X, y=None):
            if y is None:
                return super().loss(X)
            loss, grads = super().loss(X, y)
            return loss, {"W": grads["W"]}

    with pytest.raises(ValueError, match="no gradient for the parameter 'b'"):
        make_solver(model=ForgetsDb()).train()


# --------------------------------------------------------------------------- progress bar and printing
def test_progress_bar_and_verbose_lines_outside_grading(monkeypatch, capsys):
    """Outside nbgrader the bar draws on stderr (epoch and loss shown) and verbose lines go whole to stdout."""
    monkeypatch.delenv(GRADING_ENV, raising=False)
    make_solver(num_epochs=2, verbose=True, progress=True, print_every=2).train()
    captured = capsys.readouterr()
    assert "epoch 2/2" in captured.err and "8/8" in captured.err and "loss=" in captured.err
    out = captured.out.splitlines()
    assert out[0].startswith("(Epoch 0 / 2) train acc: ") and out[1].startswith("(Iteration 1 / 8) loss: ")
    assert sum(line.startswith("(Iteration ") for line in out) == 4  # t = 0, 2, 4, 6
    assert sum(line.startswith("(Epoch ") for line in out) == 3  # epochs 0, 1, 2
    assert "\r" not in captured.out


def test_progress_false_draws_no_bar(monkeypatch, capsys):
    """progress=False draws nothing on stderr."""
    monkeypatch.delenv(GRADING_ENV, raising=False)
    make_solver(num_epochs=1, progress=False).train()
    assert capsys.readouterr() == ("", "")


def test_under_grading_no_bar_updates_only_lines(monkeypatch, capsys):
    """Under nbgrader training writes nothing to stderr and no \\r: verbose lines plus one summary line."""
    monkeypatch.setenv(GRADING_ENV, "autograde")
    make_solver(num_epochs=2, verbose=True, progress=True, print_every=2).train()
    captured = capsys.readouterr()
    assert captured.err == "" and "\r" not in captured.out
    out = captured.out.splitlines()
    assert len(out) == 4 + 3 + 1
    assert out[-1].startswith("epoch 2/2: 8/8 it in ") and "loss=" in out[-1] and "val_acc=" in out[-1]


def test_under_grading_progress_false_prints_no_summary(monkeypatch, capsys):
    """Under nbgrader progress=False and verbose=False print nothing at all."""
    monkeypatch.setenv(GRADING_ENV, "autograde")
    make_solver(num_epochs=1, progress=False).train()
    assert capsys.readouterr() == ("", "")
