"""A Solver trains a classification model with minibatch gradient descent (after CS231n's ``solver.py``).

The model must have
- ``model.params``: dict name -> ndarray (e.g. ``W1``, ``b1``), the parameters the Solver updates;
- ``model.loss(X, y=None)``: with ``y=None`` the class scores (N, C); with labels y (N,) the pair
  ``(loss, grads)`` where ``grads`` has one gradient per parameter, keyed like ``params``.

An update rule is a function ``update(w, dw, config) -> (next_w, config)``: it gets one parameter ``w``, its
gradient ``dw`` and that parameter's own ``config`` dict (learning rate, momentum state, ...), and returns
the next value of ``w`` and the config for the next step. Plain SGD, ``w - learning_rate * dw``, is given
below; assignment a4_optim writes momentum, RMSProp and Adam with the same interface.

Example::

    solver = Solver(model, data, update_rule=sgd, optim_config={"learning_rate": 1e-2},
                    lr_decay=0.95, batch_size=100, num_epochs=10, print_every=100)
    solver.train()
    solver.loss_history, solver.train_acc_history, solver.val_acc_history, solver.best_val_acc

All sampling (minibatches, accuracy subsets) draws from ``np.random.default_rng(seed)``: the same seed and
the same starting parameters give the same training run.
"""

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from course.progress import progress as progress_bar
from course.progress import write

__all__ = ["Solver", "sgd"]

UpdateRule = Callable[[np.ndarray, np.ndarray, dict], tuple[np.ndarray, dict]]


def sgd(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """Vanilla stochastic gradient descent: w <- w - learning_rate * dw (updates w in place).

    w, dw: arrays of the same shape. config: ``learning_rate`` (default 1e-2).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    if config["learning_rate"] < 0:
        raise ValueError(f"config['learning_rate'] must be >= 0, got {config['learning_rate']!r}")
    w -= config["learning_rate"] * dw
    return w, config


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_data(data: dict[str, np.ndarray]) -> None:
    """Raise ValueError unless data holds X_train, y_train, X_val, y_val with matching lengths."""
    keys = ("X_train", "y_train", "X_val", "y_val")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"data is missing {missing}; pass a dict with the keys {list(keys)}")
    for split in ("train", "val"):
        X, y = data[f"X_{split}"], data[f"y_{split}"]
        if len(X) == 0 or len(X) != len(y):
            raise ValueError(
                f"X_{split} and y_{split} must hold the same number (> 0) of samples, got "
                f"{len(X)} and {len(y)}; y_{split}[i] is the label of X_{split}[i]"
            )


class Solver:
    """Trains ``model`` on ``data`` with minibatch gradient descent; see the module docstring.

    data: dict with X_train (N_train, ...), y_train (N_train,), X_val (N_val, ...), y_val (N_val,).
    update_rule: a function update(w, dw, config) -> (next_w, config), e.g. ``sgd``.
    optim_config: the starting config of the update rule; every parameter gets its own copy.
    lr_decay: config['learning_rate'] is multiplied by it after each epoch.
    batch_size, num_epochs: one epoch is max(N_train // batch_size, 1) iterations.
    num_train_samples, num_val_samples: accuracies are measured on this many samples (None: all of them).
    print_every, verbose: print the loss every print_every iterations (and the accuracies every epoch).
    seed: seeds the generator that draws minibatches and accuracy subsets.
    progress: show a progress bar over the iterations (course.progress; silent under nbgrader).

    After ``train()``: ``loss_history`` (one loss per iteration); ``train_acc_history`` and ``val_acc_history``
    (num_epochs + 1 entries: before training and after every epoch); ``best_val_acc`` and ``best_params``, the
    params with the best validation accuracy, which the model holds again at the end.
    """

    def __init__(
        self,
        model: Any,
        data: dict[str, np.ndarray],
        *,
        update_rule: UpdateRule = sgd,
        optim_config: dict | None = None,
        lr_decay: float = 1.0,
        batch_size: int = 100,
        num_epochs: int = 10,
        num_train_samples: int | None = 1000,
        num_val_samples: int | None = None,
        print_every: int = 10,
        verbose: bool = True,
        seed: int = 0,
        progress: bool = True,
        **unknown: Any,
    ) -> None:
        if unknown:
            hint = ""
            if "learning_rate" in unknown:
                hint = " (the learning rate goes in optim_config={'learning_rate': ...})"
            raise ValueError(f"Unrecognized arguments {', '.join(map(repr, unknown))}{hint}; see help(Solver)")
        if not callable(update_rule):
            raise ValueError(
                f"update_rule must be a function update(w, dw, config) -> (next_w, config), got {update_rule!r}; "
                "pass the function itself, e.g. update_rule=sgd (names as strings are not supported)"
            )
        _check_data(data)
        self.model = model
        self.X_train, self.y_train = np.asarray(data["X_train"]), np.asarray(data["y_train"])
        self.X_val, self.y_val = np.asarray(data["X_val"]), np.asarray(data["y_val"])
        self.update_rule = update_rule
        self.optim_config = dict(optim_config or {})
        self.lr_decay = lr_decay
        self.batch_size = _check_int("batch_size", batch_size, 1)
        self.num_epochs = _check_int("num_epochs", num_epochs, 1)
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.print_every = _check_int("print_every", print_every, 1)
        self.verbose = verbose
        self.seed = seed
        self.progress = progress
        self._reset()

    def _reset(self) -> None:
        """Set up the book-keeping, a fresh random generator and one optim config per parameter."""
        self.rng = np.random.default_rng(self.seed)
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params: dict[str, np.ndarray] = {}
        self.loss_history: list[float] = []
        self.train_acc_history: list[float] = []
        self.val_acc_history: list[float] = []
        self.optim_configs = {name: dict(self.optim_config) for name in self.model.params}

    def _step(self) -> None:
        """One gradient update on a random minibatch (drawn with replacement, as in CS231n)."""
        batch_mask = self.rng.choice(len(self.X_train), self.batch_size)
        loss, grads = self.model.loss(self.X_train[batch_mask], self.y_train[batch_mask])
        self.loss_history.append(float(loss))
        for name, w in self.model.params.items():
            if name not in grads:
                raise ValueError(f"model.loss returned no gradient for the parameter {name!r}")
            next_w, next_config = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w
            self.optim_configs[name] = next_config

    def check_accuracy(
        self, X: np.ndarray, y: np.ndarray, num_samples: int | None = None, batch_size: int = 100
    ) -> float:
        """Fraction of X (N, ...) whose highest score is the label y (N,).

        num_samples: measure it on this many samples drawn without replacement (None or >= N: all of them).
        batch_size: score this many samples at a time (to bound memory).
        """
        batch_size = _check_int("batch_size", batch_size, 1)
        N = len(X)
        if num_samples is not None and N > num_samples:
            mask = self.rng.choice(N, _check_int("num_samples", num_samples, 1), replace=False)
            X, y, N = X[mask], y[mask], num_samples
        y_pred = [np.argmax(self.model.loss(X[i : i + batch_size]), axis=1) for i in range(0, N, batch_size)]
        return float(np.mean(np.concatenate(y_pred) == y))

    def _check_accuracies(self) -> None:
        """Record train and validation accuracy; keep a copy of the params if validation accuracy is best."""
        train_acc = self.check_accuracy(self.X_train, self.y_train, num_samples=self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if self.verbose:
            write(f"(Epoch {self.epoch} / {self.num_epochs}) train acc: {train_acc:f}; val_acc: {val_acc:f}")
        if val_acc > self.best_val_acc or not self.best_params:
            self.best_val_acc = val_acc
            self.best_params = {name: w.copy() for name, w in self.model.params.items()}

    def _decay_learning_rate(self) -> None:
        """Multiply every parameter's learning rate by lr_decay (after each epoch)."""
        if self.lr_decay == 1.0:
            return
        for name, config in self.optim_configs.items():
            if "learning_rate" not in config:
                raise ValueError(
                    f"lr_decay needs a learning rate, but the config of {name!r} has no 'learning_rate': give "
                    "it in optim_config or set it in the update rule with config.setdefault('learning_rate', ...)"
                )
            config["learning_rate"] *= self.lr_decay

    def train(self) -> None:
        """Run num_epochs epochs of updates, then set the model's params to the best ones seen."""
        iterations_per_epoch = max(len(self.X_train) // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        desc = f"epoch 1/{self.num_epochs}"
        with progress_bar(total=num_iterations, desc=desc, disable=not self.progress) as bar:
            self._check_accuracies()  # epoch 0: the starting parameters
            for t in range(num_iterations):
                self._step()
                if self.verbose and t % self.print_every == 0:
                    write(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")

                epoch_end = (t + 1) % iterations_per_epoch == 0
                if epoch_end:
                    self.epoch += 1
                    self._decay_learning_rate()
                    self._check_accuracies()

                if t % self.print_every == 0 or t == num_iterations - 1:
                    bar.set_postfix(loss=self.loss_history[-1], val_acc=self.val_acc_history[-1], refresh=False)
                current_epoch = min(self.epoch + 1, self.num_epochs)
                bar.set_description(f"epoch {current_epoch}/{self.num_epochs}", refresh=False)
                bar.update()

        for name, w in self.best_params.items():
            self.model.params[name] = w.copy()
