"""`nndl-course doctor`: one line per isolation layer (active/missing and why), exit 1 when grading cannot be
isolated."""
import os

from autograder import sandbox
from autograder.cli import main

LAYERS = ["filesystem view (bubblewrap)", "user namespace", "uid switch", "rlimits", "network namespace",
          "outside verdicts"]


def lines_of(out: str) -> dict[str, str]:
    """{layer name: 'active'|'missing'} from doctor's output."""
    got = {}
    for line in out.splitlines():
        for name in LAYERS:
            if line[9:].startswith(name):
                got[name] = line[:7].strip()
    return got


def test_doctor_as_root_with_bubblewrap_reports_every_layer_active(capsys) -> None:
    """As root with bubblewrap (this machine, CI): all six layers active, exit 0."""
    assert sandbox.bwrap_binary(), "bubblewrap is not installed: apt-get install bubblewrap (the sandbox needs it)"
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert lines_of(out) == dict.fromkeys(LAYERS, "active") and "grading is isolated on this machine" in out


def test_doctor_rootless_reports_the_missing_uid_switch(monkeypatch, capsys) -> None:
    """Not root but with user namespaces: the view and the user namespace are active, the uid switch is
    missing (and says why), grading is still isolated: exit 0."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert lines_of(out) == {**dict.fromkeys(LAYERS, "active"), "uid switch": "missing"}
    assert "kernels keep your uid inside their user namespace" in out


def test_doctor_without_bubblewrap_says_what_to_install_and_fails(monkeypatch, capsys) -> None:
    """Without bubblewrap the view and the network namespace are missing, the install command is printed and
    doctor exits 1."""
    monkeypatch.setenv("NNDL_BWRAP", "/nonexistent/bwrap")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    got = lines_of(out)
    assert got["filesystem view (bubblewrap)"] == got["network namespace"] == "missing"
    assert got["rlimits"] == got["outside verdicts"] == got["uid switch"] == "active"
    assert "apt-get install bubblewrap" in out and "grading cannot be isolated here" in out
