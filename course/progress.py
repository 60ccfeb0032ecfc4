"""One progress bar for every training loop of the course.

``progress`` returns a ``tqdm`` bar from ``tqdm.auto``: a widget in Jupyter, a text bar in a terminal.

While nbgrader grades (the environment variable ``NBGRADER_EXECUTION`` is set during autograde and validate)
there is no browser and every output lands in the feedback HTML, so the bar is a DISABLED ``tqdm.std.tqdm``:
it writes nothing while it runs and prints one summary line when it closes. We chose this over a text bar with
a huge ``mininterval`` because such a bar still draws on start and close, still redraws on every
``set_postfix()`` / ``set_description()`` (they refresh by default), and tqdm's monitor thread still forces a
redraw every ``maxinterval`` seconds: a wall of ``\\r``-updates in red stderr. A disabled bar stays silent
whatever the loop calls on it.

Print with ``write`` (not ``print``) inside a loop that shows a bar, so the message does not break the bar.

Example::

    from course.progress import progress, write

    with progress(total=num_iterations, desc="epoch 1/10") as bar:
        for t in range(num_iterations):
            loss = step()
            bar.set_postfix(loss=loss, refresh=False)
            if t % 100 == 0:
                write(f"iteration {t}: loss {loss:.3f}")
            bar.update()
"""

import os
import time
from collections.abc import Iterable
from typing import IO, Any

from tqdm import auto
from tqdm import std

__all__ = ["GRADING_ENV", "grading", "progress", "write"]

GRADING_ENV = "NBGRADER_EXECUTION"


def grading() -> bool:
    """True while nbgrader executes the notebook (autograde / validate): no widgets, no live bars."""
    return bool(os.environ.get(GRADING_ENV))


class _GradingBar(std.tqdm):
    """A disabled tqdm bar that still counts and prints one summary line (to stdout) when it closes."""

    def __init__(self, iterable: Iterable | None = None, summary: bool = True, **kwargs: Any) -> None:
        kwargs["disable"] = True
        super().__init__(iterable, **kwargs)  # a disabled tqdm keeps only iterable, n, total and leave
        self.desc = kwargs.get("desc") or ""
        self.unit = kwargs.get("unit") or "it"
        self.postfix = ""
        self.summary = summary
        self._start = time.perf_counter()
        self._open = True

    def __iter__(self):
        try:
            for obj in super().__iter__():
                yield obj
                self.n += 1
        finally:
            self.close()

    def update(self, n: float = 1) -> None:
        """Count n more iterations (nothing is drawn)."""
        self.n += n

    def close(self) -> None:
        """Print the summary line once, e.g. ``epoch 10/10: 200/200 it in 1.3 s, loss=0.1, val_acc=0.97``."""
        if self._open and self.summary:
            desc = self.desc.removesuffix(": ")
            done = f"{self.n}/{self.total}" if self.total is not None else f"{self.n}"
            postfix = f", {self.postfix}" if self.postfix else ""
            elapsed = time.perf_counter() - self._start
            std.tqdm.write(f"{desc + ': ' if desc else ''}{done} {self.unit} in {elapsed:.1f} s{postfix}")
        self._open = False


def progress(
    iterable: Iterable | None = None, total: int | None = None, desc: str | None = None, **kwargs: Any
) -> std.tqdm:
    """A progress bar over ``iterable`` (or ``total`` manual ``bar.update()`` steps) labelled ``desc``.

    kwargs go to tqdm (e.g. ``leave``, ``unit``, ``disable=True`` to hide the bar). Under nbgrader the bar is
    silent and prints one summary line on close (none if ``disable=True``); see the module docstring.
    """
    if grading():
        summary = kwargs.pop("disable", False) is not True
        return _GradingBar(iterable, total=total, desc=desc, summary=summary, **kwargs)
    return auto.tqdm(iterable, total=total, desc=desc, **kwargs)


def write(msg: str, file: IO[str] | None = None) -> None:
    """Print msg (to stdout, or file) without breaking a progress bar that is being drawn (``tqdm.write``)."""
    auto.tqdm.write(msg, file=file)
