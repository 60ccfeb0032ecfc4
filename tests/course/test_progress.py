"""Tests of course.progress: a live tqdm bar outside grading, a silent bar with one summary line under nbgrader."""

import pytest
from tqdm import std

import course.progress
from course.progress import GRADING_ENV, grading, progress, write


@pytest.fixture
def interactive(monkeypatch):
    """A run outside nbgrader."""
    monkeypatch.delenv(GRADING_ENV, raising=False)


@pytest.fixture
def graded(monkeypatch):
    """A run inside nbgrader's autograde."""
    monkeypatch.setenv(GRADING_ENV, "autograde")


@pytest.mark.parametrize(
    ("value", "expected"), [(None, False), ("", False), ("autograde", True), ("validate", True)]
)
def test_grading_reads_the_environment_at_call_time(monkeypatch, value, expected):
    """grading() is true exactly when NBGRADER_EXECUTION is set to a non-empty value (as LIGHT in notebooks)."""
    if value is None:
        monkeypatch.delenv(GRADING_ENV, raising=False)
    else:
        monkeypatch.setenv(GRADING_ENV, value)
    assert grading() is expected


def test_outside_grading_the_bar_draws_on_stderr(interactive, capsys):
    """Outside nbgrader (no notebook kernel) the bar is a live tqdm text bar on stderr and yields every item."""
    bar = progress(range(5), desc="demo")
    assert isinstance(bar, std.tqdm) and not bar.disable
    assert list(bar) == [0, 1, 2, 3, 4]
    captured = capsys.readouterr()
    assert "demo" in captured.err and "5/5" in captured.err and "\r" in captured.err
    assert captured.out == ""


def test_outside_grading_manual_updates_and_disable(interactive, capsys):
    """A manual bar (total=, update()) counts its steps; disable=True draws nothing."""
    with progress(total=3, desc="manual") as bar:
        for _ in range(3):
            bar.update()
    assert bar.n == 3
    assert "3/3" in capsys.readouterr().err
    with progress(total=3, disable=True) as hidden:
        hidden.update(3)
    assert capsys.readouterr().err == ""


def test_under_grading_nothing_is_drawn_and_one_summary_line_is_printed(graded, capsys):
    """Under nbgrader the bar is a disabled std tqdm (no widget, no stderr, no \\r) and prints one summary line."""
    bar = progress(range(5), desc="demo")
    assert isinstance(bar, std.tqdm) and bar.disable
    assert list(bar) == [0, 1, 2, 3, 4]
    captured = capsys.readouterr()
    assert captured.err == "" and "\r" not in captured.out
    lines = captured.out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("demo: 5/5 it in ")


def test_under_grading_tqdm_auto_is_never_used(graded, monkeypatch, capsys):
    """Under nbgrader progress() does not call tqdm.auto (a widget bar inside a Jupyter kernel)."""

    def no_widget(*args, **kwargs):
        raise AssertionError("tqdm.auto was called under grading")

    monkeypatch.setattr(course.progress.auto, "tqdm", no_widget)
    assert list(progress(range(2))) == [0, 1]
    assert capsys.readouterr().out.startswith("2/2 it in ")


def test_under_grading_postfix_and_description_show_only_in_the_summary(graded, capsys):
    """Under nbgrader set_postfix/set_description/update (with refresh) write nothing until close."""
    with progress(total=4, desc="epoch 1/2") as bar:
        for _ in range(4):
            bar.set_postfix(loss=0.5)  # refresh=True by default: would redraw a live bar
            bar.set_description("epoch 2/2")
            bar.update()
        assert capsys.readouterr() == ("", "")
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert out[0].startswith("epoch 2/2: 4/4 it in ") and out[0].endswith("loss=0.5")


def test_under_grading_an_interrupted_loop_reports_its_count_once(graded, capsys):
    """Breaking out of a loop prints the summary once, counting the items finished before the break (as tqdm)."""
    bar = progress(range(10))
    for i in bar:
        if i == 2:
            break
    bar.close()
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("2/10 it in ")


def test_under_grading_disable_prints_nothing(graded, capsys):
    """Under nbgrader a bar made with disable=True prints no summary either."""
    assert list(progress(range(3), disable=True)) == [0, 1, 2]
    assert capsys.readouterr() == ("", "")


def test_write_prints_its_own_line_next_to_a_live_bar(interactive, capsys):
    """write() puts the message on stdout as a whole line while a bar is drawing on stderr."""
    with progress(total=2, desc="demo") as bar:
        bar.update()
        write("hello")
        bar.update()
    captured = capsys.readouterr()
    assert captured.out == "hello\n"
    assert "2/2" in captured.err


def test_write_under_grading_prints_plainly(graded, capsys):
    """Under nbgrader write() prints the message to stdout and nothing to stderr."""
    write("hello")
    assert capsys.readouterr() == ("hello\n", "")


def test_under_grading_the_summary_counts_in_the_bars_unit(graded, capsys):
    """A bar over models (unit="model") says so in its summary line: "lr × reg search: 3/3 model in ..."."""
    assert list(progress(range(3), desc="lr × reg search", unit="model")) == [0, 1, 2]
    assert capsys.readouterr().out.startswith("lr × reg search: 3/3 model in ")
