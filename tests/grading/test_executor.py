"""autograder.executor: a sandboxed kernel that is restarted (earlier cells replayed) when a cell kills it."""
import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder import executor, sandbox
from autograder.kernel_env import build_kernel_env


def test_dead_kernel_is_restarted_and_earlier_cells_replayed(tmp_path) -> None:
    """A cell that kills the kernel is skipped; a new kernel replays the earlier cells and execution goes on."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in
                ["x = 41", "import os; os._exit(3)", "x += 1", "import ctypes; ctypes.string_at(0)", "print(x)"]]
    asm = executor.Assembled(nb, [])
    base = Path(tempfile.mkdtemp(prefix="nndl-test-jails-"))  # pytest's tmp is private to root: not reachable
    base.chmod(0o711)
    jail = sandbox.make_jail(base, "t", sandbox.uid_for(63))
    try:
        run = executor.execute(asm, build_kernel_env(), jail, sandbox.Limits(), 20, 120)
    finally:
        sandbox.remove_jail(jail)
        shutil.rmtree(base, ignore_errors=True)
    assert [run.cells[i].status for i in range(5)] == ["ok", "died", "ok", "died", "ok"]
    assert run.cells[4].outputs[0]["text"] == "42\n" and run.restarts == 2
    assert run.events[1] == "the kernel died in cell 3: restarted the kernel and replayed 2 earlier cell(s)"
