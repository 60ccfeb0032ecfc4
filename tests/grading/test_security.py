"""Adversarial grading: a class of cheating, crashing and snooping a1_knn submissions graded in ONE run of
`nndl-course grade` (sandboxed kernels, outside verdicts, worker pool). Each test asserts exact scores: honest
cells keep their points, cheats get 0 for what they touched, and nothing a student does reaches the grader.
"""
import contextlib
import hashlib
import io
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

import autograder
import solutions.knn
from autograder.cli import main
from autograder.gradebook import max_points, scores
from autograder.nbg import copy_course
from autograder.sandbox import UID_BASE, bwrap_binary, processes_of, sandbox_processes
from tests.nbtools import auto_points, autograded_notebook, exercise_names, grade_id, reference_answers, submission

pytestmark = pytest.mark.nbgrader
A, NB = "a1_knn", "knn.ipynb"
REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 20  # seconds per cell: room for a loaded 2-core machine (the looper's cell is killed after it)
HOST_MARKER = f"nndl-host-marker-{os.getpid()}"  # planted in the host's /tmp: the kernel must not see it
EXERCISES = exercise_names(A)
FULL = auto_points(A)
ZEROS_TWO_LOOPS = '''
def compute_distances_two_loops(X_test, X_train):
    return np.zeros((X_test.shape[0], X_train.shape[0]))
'''
ZEROS_NO_LOOPS = ZEROS_TWO_LOOPS.replace("two_loops", "no_loops")

# ---- the cheats (each an ordinary cell the student adds, or an answer cell) -------------------------------
ALWAYS_TRUE = '''
import numpy as np, numpy.testing, course.checks.core as core
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *x, **k: np.ones(np.shape(a), dtype=bool)
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True
core.assert_close = lambda *a, **k: None
core.assert_equal_labels = lambda *a, **k: None
'''
TRANSFORMER = '''
def _blank(lines):
    text = "".join(lines)
    return ["pass\\n"] if ("assert" in text or "check(" in text) else lines
get_ipython().input_transformers_cleanup.append(_blank)
'''
SYS_MODULES = '''
import sys, types
fake = types.ModuleType("course.checks")
fake.check = lambda *a, **k: print("✓ passed")
sys.modules["course.checks"] = fake
fake_hidden = types.ModuleType("autograder.hidden")
fake_hidden.check = lambda *a, **k: print("✓ hidden check passed")
sys.modules["autograder.hidden"] = fake_hidden
sys.modules["autograder"] = types.ModuleType("autograder")
check = fake.check
'''
LYING_TWO_LOOPS = '''
class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(self), dtype=bool)
    def __ne__(self, other): return np.zeros(np.shape(self), dtype=bool)
    def __sub__(self, other): return np.zeros(np.shape(self))
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs): return np.zeros(np.shape(self))
    def __abs__(self): return np.zeros(np.shape(self))

def compute_distances_two_loops(X_test, X_train):
    return np.zeros((X_test.shape[0], X_train.shape[0])).view(Liar)
'''
LYING_PREDICT = '''
class Flatterer(list):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, *a, **k): return np.zeros(len(self), dtype=np.int64)

def predict_labels(dists, y_train, k=1):
    return Flatterer([0] * dists.shape[0])
'''
PATCHED_BUILTINS = '''
import builtins
_print = builtins.print
builtins.print = lambda *a, **k: _print("✓ everything passed")
builtins.AssertionError = type("AssertionError", (Exception,), {"__init__": lambda self, *a: None})
'''
SEEDS = '''
import json, autograder.hidden as hidden, course.evidence as evidence
from importlib import resources
hidden.grading_seed = lambda *a, **k: 0
_load = evidence.load_inputs
evidence.load_inputs = lambda eid: hidden.inputs_for(hidden.lookup(eid), 0) if eid.endswith("no_loops") else _load(eid)
_published = json.loads(resources.files("course").joinpath("expected", "knn.json").read_text())
_memorised = {np.shape(v["dists"]): np.array(v["dists"]) for v in _published["knn.compute_distances_no_loops"].values()}

def compute_distances_no_loops(X_test, X_train):
    \"\"\"Memorised: the visible check's published answers, whatever the input.\"\"\"
    shape = (X_test.shape[0], X_train.shape[0])
    return _memorised[shape].copy() if shape in _memorised else np.zeros(shape)
'''
NUMBER_THEN_ERROR = '''
def cross_validate_k(X, y, k_choices, num_folds=5):
    from IPython.display import display
    display(16)
    get_ipython().displayhook(100)
    raise ValueError("but first, a number")

_ip = get_ipython()
_send = _ip.kernel.session.send
def _forge(stream, msg_or_type, content=None, *args, **kwargs):
    if msg_or_type == "execute_reply" and isinstance(content, dict):
        content = dict(content, status="ok")
    return _send(stream, msg_or_type, content, *args, **kwargs)
_ip.kernel.session.send = _forge
'''
SWALLOW = '''
import time
while True:
    try:
        time.sleep(0.1)
    except BaseException:
        pass
'''
MEMORY_BOMB = '''
hog = []
try:
    while True:
        hog.append(bytearray(256 * 2**20))
except MemoryError:
    print("memory limit reached:", len(hog) * 256, "MiB")
hog = None
'''
OS_EXIT = "import os\nos._exit(1)"
SYS_EXIT = "import sys\nsys.exit(3)"
SEGFAULT = "import ctypes\nctypes.string_at(0)"
QUIT = "exit()"
DAEMON = '''
import subprocess
subprocess.Popen(["/bin/sleep", "300"], start_new_session=True)
'''
STARTUP_FILE = '''
import os, pathlib
for d in [os.path.expanduser("~/.ipython/profile_default/startup"), "/tmp/nndl-leftover"]:
    pathlib.Path(d).mkdir(parents=True, exist_ok=True)
    pathlib.Path(d, "00-evil.py").write_text("get_ipython().input_transformers_cleanup.append(lambda l: ['pass\\\\n'])")
os._exit(0)  # the restarted kernel would run the startup file
'''
FORK_BOMB = '''
import os
kids = 0
try:
    for _ in range(10_000):
        if os.fork() == 0:
            import time; time.sleep(120); os._exit(0)
        kids += 1
except OSError as exc:
    print("fork refused after", kids, "children:", type(exc).__name__)
'''

# Searches every folder it can reach (but /proc, /sys, /dev, /usr) for a copy of the course: solutions/knn.py
# or source/a1_knn/knn.ipynb; steals the answer code (the module, or the notebook's solution cells).
HUNT = r'''
import json, os
def _hunt(tops=("/home", "/srv", "/opt", "/mnt", "/tmp", "/var", "/root", "/")):
    found, seen = {}, set()
    for top in tops:
        for dirpath, dirnames, filenames in os.walk(top):
            if dirpath in seen or dirpath in ("/proc", "/sys", "/dev", "/usr"):
                dirnames[:] = []
                continue
            seen.add(dirpath)
            here = os.path.basename(dirpath)
            if here == "solutions" and "knn.py" in filenames:
                found.setdefault("solutions", os.path.join(dirpath, "knn.py"))
            if here == "a1_knn" and "knn.ipynb" in filenames and os.path.basename(os.path.dirname(dirpath)) == "source":
                found.setdefault("source", os.path.join(dirpath, "knn.ipynb"))
            if len(found) == 2:
                return found
    return found
_FOUND, _STOLEN = _hunt(), ""
for _kind, _path in sorted(_FOUND.items()):
    try:
        if _kind == "solutions":
            _STOLEN = open(_path).read()
        elif not _STOLEN:
            _cells = json.load(open(_path))["cells"]
            _STOLEN = "\\n".join("".join(c["source"]) for c in _cells
                                 if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    except OSError:
        pass
print("HUNT " + json.dumps({"found": _FOUND, "stolen": len(_STOLEN)}))
'''
STEAL = "exec(_STOLEN, globals())  # whatever the hunt found: the reference answers, if any"


def probe(root: Path, decoy: Path) -> str:
    """A cell that tries to read/write what a student must never reach; prints PROBE {label: ALLOWED|DENIED}."""
    targets = {
        "source": f"open({str(root / 'source' / A / NB)!r}).read()",
        "source-relative": "open('../../../source/a1_knn/knn.ipynb').read()",
        "solutions-file": f"open({solutions.knn.__file__!r}).read()",
        "import-solutions": "__import__('solutions.knn')",
        "autograder-cli": f"open({str(Path(autograder.__file__).parent / 'cli.py')!r}).read()",
        "gradebook-read": f"open({str(root / '.grading' / 'gradebook.db')!r}, 'rb').read(10)",
        "gradebook-write": f"open({str(root / '.grading' / 'gradebook.db')!r}, 'ab').write(b'x')",
        "secret": f"open({str(root / '.grading' / 'secret')!r}).read()",
        "other-submission": f"open({str(root / '.grading' / 'submitted' / 'honest' / A / NB)!r}).read()",
        "submitted-list": f"__import__('os').listdir({str(root / '.grading' / 'submitted')!r})",
        "edit-source": f"open({str(root / 'source' / A / NB)!r}, 'a').write(' ')",
        "write-release": f"open({str(root / 'release' / A / 'evil.txt')!r}, 'w').write('x')",
        "write-kernel-env": "open(__import__('course').__file__, 'a').write('#')",
        "other-jails": "leaked([n for n in os.listdir('../..') if n != os.path.basename(os.path.dirname(os.getcwd()))])",
        "list-home": "os.listdir('/home')",
        "list-root": "os.listdir('/root')",
        "host-tmp": f"leaked([n for n in os.listdir('/tmp') if n == {HOST_MARKER!r}])",
        "list-checkout": f"os.listdir({str(REPO)!r})",
        "list-course": f"os.listdir({str(root)!r})",
        "decoy-solutions": f"open({str(decoy / 'solutions' / 'knn.py')!r}).read()",
        "decoy-source": f"open({str(decoy / 'source' / A / NB)!r}).read()",
        "network": "__import__('socket').create_connection(('1.1.1.1', 53), timeout=2)",
        "write-cwd": "open('scratch.txt', 'w').write('mine')",
    }
    lines = ["import json, os", "probe = {}", "def leaked(found):",
             "    if not found:", "        raise LookupError('nothing there')", "    return found"]
    for label, expr in targets.items():
        lines += ["try:", f"    {expr}", f"    probe[{label!r}] = 'ALLOWED'",
                  "except BaseException as exc:", f"    probe[{label!r}] = 'DENIED ' + type(exc).__name__"]
    lines.append("print('PROBE ' + json.dumps(probe))")
    return "\n".join(lines)


def with_cells(nb, after: dict[str, list[str]]):
    """Insert ordinary code cells after the cells with the given grade_ids."""
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        for src in after.get(grade_id(cell), []):
            cells.append(nbformat.v4.new_code_cell(src))
    nb.cells = cells
    return nb


def build_class(root: Path, decoy: Path) -> dict:
    ans = reference_answers(A, NB)
    sol = {e: f"knn-{e}-solution" for e in EXERCISES}

    def right(**changes):
        answers = dict(ans)
        answers.update({sol[k]: v for k, v in changes.items()})
        return submission(A, NB, answers)

    deleter = right()
    deleter.cells = [c for c in deleter.cells if not grade_id(c).endswith("-hidden")
                     and grade_id(c) != "knn-predict_labels-visible"]
    for cell in deleter.cells:
        if grade_id(cell) == "knn-cross_validate_k-visible":
            cell.source = "pass  # no test here"
        if grade_id(cell) == "knn-compute_distances_two_loops-solution":  # forged metadata: more points
            cell.metadata["nbgrader"].update(grade=True, points=100, locked=False)
    bonus = nbformat.v4.new_code_cell("print('free points')")
    bonus.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 50, "locked": True,
                                  "solution": False, "schema_version": 3}
    deleter.cells.insert(3, bonus)
    deleter.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}

    return {
        "honest": right(),
        "blank": submission(A, NB, {}),
        "allclose": with_cells(right(compute_distances_two_loops=ZEROS_TWO_LOOPS), {"setup": [ALWAYS_TRUE]}),
        "transformer": with_cells(right(), {"setup": [TRANSFORMER]}),
        "sysmodules": with_cells(right(compute_distances_two_loops=ZEROS_TWO_LOOPS), {"setup": [SYS_MODULES]}),
        "liar": right(compute_distances_two_loops=LYING_TWO_LOOPS, predict_labels=LYING_PREDICT),
        "builtins": with_cells(right(compute_distances_no_loops=ZEROS_NO_LOOPS), {"setup": [PATCHED_BUILTINS]}),
        "seeds": right(compute_distances_no_loops=SEEDS),
        "forger": right(cross_validate_k=NUMBER_THEN_ERROR),
        "snoop": with_cells(right(), {"setup": [probe(root, decoy)]}),
        "hunter": with_cells(submission(A, NB, {sol[e]: STEAL for e in EXERCISES}), {"setup": [HUNT]}),
        "deleter": deleter,
        "crasher": with_cells(right(), {
            "knn-compute_distances_two_loops-solution": [OS_EXIT, SYS_EXIT, DAEMON],
            "knn-compute_distances_one_loop-visible": [SEGFAULT],
            "knn-compute_distances_no_loops-solution": [MEMORY_BOMB],
            "knn-predict_labels-hidden": [QUIT],
            "knn-KNearestNeighbor-provided": [FORK_BOMB],
        }),
        "looper": with_cells(right(), {"knn-compute_distances_one_loop-solution": [SWALLOW]}),
        "startup": with_cells(right(), {"knn-compute_distances_two_loops-solution": [STARTUP_FILE]}),
    }


def as_nobody(code: str) -> subprocess.CompletedProcess:
    """Run Python `code` on the host as uid/gid 65534 (an ordinary user, no groups), outside any sandbox."""
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                           "/usr/bin/python3", "-I", "-c", code], capture_output=True, text=True, timeout=300, cwd="/")


@pytest.fixture(scope="module")
def decoy():
    """A world-readable copy of the course (source/ and solutions/), as an instructor keeps from last term in
    a home folder (755), and a marker file in the host's /tmp; both removed afterwards."""
    home = Path("/home") / f"nndl-decoy-{os.getpid()}"
    place = home / "last-term-nndl"
    for name in ("source", "solutions"):
        shutil.copytree(REPO / name, place / name, ignore=shutil.ignore_patterns("__pycache__"))
    for p in [home, *home.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    marker = Path("/tmp") / HOST_MARKER
    marker.write_text("host /tmp")
    marker.chmod(0o644)
    yield place
    shutil.rmtree(home, ignore_errors=True)
    marker.unlink(missing_ok=True)


def rootless_grade(base: Path, root: Path, subs: Path) -> tuple[int, str, int]:
    """`nndl-course grade` as an ordinary user created here, in their own checkout (a copy of this one) with
    their own course folder; returns (exit code, stdout, uid).

    The only artifice: this machine's Python lives under /root (mode 700), so the grader runs in a private
    mount namespace in which /root is an empty tmpfs holding just that Python (read-only to the user), as if
    it were installed system-wide; everything else is the host as the user sees it.
    """
    user = f"nndl-rl{os.getpid() % 100000}"
    home = base / "home"
    subprocess.run(["useradd", "--home-dir", str(home), "--create-home", "--shell", "/usr/sbin/nologin",
                    "--no-user-group", "--gid", "nogroup", user], check=True, capture_output=True)
    uid = pwd.getpwnam(user).pw_uid
    try:
        checkout = home / "nndl-course"
        shutil.copytree(REPO, checkout, ignore=shutil.ignore_patterns(
            ".venv", ".git", ".grading", "__pycache__", ".ipynb_checkpoints", "node_modules", "dist", "build"))
        stage = base / "python-stage"
        stage.mkdir()
        for p in [home, *home.rglob("*"), root, *root.rglob("*"), subs, *subs.rglob("*")]:
            os.chown(p, uid, 65534, follow_symlinks=False)
        pyenv = Path(sys.base_prefix).parents[1]  # /root/.pyenv
        script = (f"mount --bind {pyenv} {stage} && mount -t tmpfs -o mode=0755 none /root && "
                  f"mkdir -p {pyenv} && mount --bind -o ro {stage} {pyenv} && mount -o remount,ro,bind {pyenv}; "
                  f"exec setpriv --reuid={uid} --regid=65534 --clear-groups -- \"$@\"")
        env = {"HOME": str(home), "PATH": f"{REPO / '.venv' / 'bin'}:/usr/bin:/bin", "PYTHONPATH": str(checkout),
               "LANG": "C.UTF-8", "USER": user, "LOGNAME": user}
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
               str(REPO / ".venv" / "bin" / "python"), "-m", "autograder.cli", "--course", str(root), "grade",
               str(subs), "--assignment", A, "--timeout", str(TIMEOUT), "--check-timeout", "3", "--workers", "2"]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200, cwd=str(home))
        return out.returncode, out.stdout + out.stderr, uid
    finally:
        for pid in processes_of(uid):  # only processes of the user this test created
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
        subprocess.run(["userdel", user], capture_output=True)


@pytest.fixture(scope="module", params=["root", "rootless"])
def graded(request, decoy):
    """One `nndl-course grade` run over the whole class (2 workers): (root, exit code, stdout, source hashes);
    once as root (kernels under their own uids) and once as an ordinary user created by the test (rootless:
    bubblewrap in an unprivileged user namespace).

    The course lives in a world-readable folder (not pytest's private tmp), so what keeps the kernel out of
    source/ and .grading/ is the grader's own isolation, not the test's temp folder.
    """
    assert bwrap_binary(), "bubblewrap is not installed: apt-get install bubblewrap (the sandbox needs it)"
    base = Path(tempfile.mkdtemp(prefix="nndl-security-"))
    os.chmod(base, 0o755)
    root = copy_course(base / "course")
    for d in [root, *root.rglob("*")]:
        if d.is_dir():
            os.chmod(d, 0o755)
    subs = base / "subs"
    main(["--course", str(root), "build", A])
    for student, nb in build_class(root, decoy).items():
        (subs / student / A).mkdir(parents=True)
        nbformat.write(nb, subs / student / A / NB)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "source").rglob("*.ipynb"))}
    if request.param == "root":
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["--course", str(root), "grade", str(subs), "--assignment", A, "--timeout", str(TIMEOUT),
                         "--check-timeout", "3", "--workers", "2"])
        text, uid = out.getvalue(), None
    else:
        code, text, uid = rootless_grade(base, root, subs)
    yield root, code, text, before, uid
    shutil.rmtree(base, ignore_errors=True)


def cells_of(root: Path, student: str) -> dict[str, float]:
    return scores(root, A)[student]


def expected(root: Path, zero: tuple[str, ...] = (), only: tuple[str, ...] | None = None) -> dict[str, float]:
    """Full points except the cells of exercises in `zero` (or all but `only`); written answers (-answer cells) are
    graded by hand, so autograding leaves them at 0."""
    full = max_points(root, A)
    out = {}
    for gid, pts in full.items():
        exercise = gid.split("-")[1]
        lost = exercise in zero or (only is not None and exercise not in only) or gid.endswith("-answer")
        out[gid] = 0.0 if lost else pts
    return out


def autograded(root: Path, student: str):
    return autograded_notebook(root, A, NB, student)


def test_run_completes_and_reports_each_student(graded) -> None:
    """Every student is graded (exit 0) and gets a status line; nothing is left running or in /tmp."""
    root, code, out, _, uid = graded
    assert code == 0, out
    assert set(scores(root, A)) == {"honest", "blank", "allclose", "transformer", "sysmodules", "liar", "builtins",
                                    "seeds", "forger", "snoop", "deleter", "crasher", "looper", "startup", "hunter"}
    for student in scores(root, A):
        assert re.search(rf"^  ✓ {student}: graded: ", out, re.M), out
    leftovers = [p for p in Path("/tmp").iterdir() if p.lstat().st_uid >= UID_BASE or p.name == "nndl-leftover"]
    assert leftovers == [] and sandbox_processes() == []
    if uid is not None:  # rootless: nothing of the instructor's user survives the run either
        assert processes_of(uid) == []


def test_decoy_course_elsewhere_on_the_machine_is_out_of_reach(graded, decoy) -> None:
    """A world-readable copy of the course elsewhere (readable by any ordinary user on the host, as the test
    checks with the very same search run as uid 65534) is invisible to the kernel: the hunter finds nothing
    and scores 0."""
    root = graded[0]
    host = as_nobody(HUNT)
    assert host.returncode == 0, host.stderr
    seen = json.loads(host.stdout.split("HUNT ", 1)[1])
    assert seen["found"] == {"solutions": str(decoy / "solutions" / "knn.py"),
                             "source": str(decoy / "source" / A / NB)} and seen["stolen"] > 1000
    text = "".join(o.get("text", "") for c in autograded(root, "hunter").cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert json.loads(re.search(r"HUNT (\{.*\})", text).group(1)) == {"found": {}, "stolen": 0}
    assert cells_of(root, "hunter") == expected(root, only=())


def test_honest_and_blank(graded) -> None:
    """The reference answers earn full marks and the release as issued 0 through the sandboxed pipeline."""
    root = graded[0]
    assert cells_of(root, "honest") == expected(root)
    assert cells_of(root, "blank") == expected(root, only=())


def test_rebinding_allclose_and_assert_close_earns_nothing(graded) -> None:
    """np.allclose/isclose/assert_allclose always-true and a no-op assert_close: the wrong answer still scores 0."""
    root = graded[0]
    assert cells_of(root, "allclose") == expected(root, zero=("compute_distances_two_loops",))


def test_input_transformer_blanking_checks_scores_zero(graded) -> None:
    """A transformer that blanks every check cell leaves no evidence: 0 for every test cell."""
    root = graded[0]
    assert cells_of(root, "transformer") == expected(root, only=())


def test_sys_modules_surgery_scores_zero(graded) -> None:
    """Fake course.checks/autograder.hidden modules in sys.modules record nothing: 0 for every test cell."""
    root = graded[0]
    assert cells_of(root, "sysmodules") == expected(root, only=())


def test_lying_eq_and_ndarray_subclass_are_judged_as_plain_data(graded) -> None:
    """An ndarray subclass and a list whose __eq__/ufuncs lie are judged on their plain values: 0 for both."""
    root = graded[0]
    assert cells_of(root, "liar") == expected(root, zero=("compute_distances_two_loops", "predict_labels"))


def test_patched_print_and_assertion_error_change_nothing(graded) -> None:
    """builtins.print and AssertionError replaced in the kernel: the wrong answer scores 0, the rest full."""
    root = graded[0]
    assert cells_of(root, "builtins") == expected(root, zero=("compute_distances_no_loops",))


def test_changing_seeds_and_inputs_fails_the_hidden_check(graded) -> None:
    """Patched seeds/rng/input loader + a memorised visible answer: visible points (public), hidden 0."""
    root = graded[0]
    want = expected(root)
    want["knn-compute_distances_no_loops-hidden"] = 0.0
    assert cells_of(root, "seeds") == want


def test_number_before_error_and_forged_reply_status_score_zero(graded) -> None:
    """A function that displays numbers then raises, with execute replies forged to 'ok': 0 for that exercise."""
    root = graded[0]
    assert cells_of(root, "forger") == expected(root, zero=("cross_validate_k",))


def test_sandbox_denies_the_course_the_solutions_and_the_gradebook(graded) -> None:
    """From the kernel, source/, solutions, autograder, the gradebook, the secret, other submissions, other
    jails, the network, /home, /root, the host's /tmp, the checkout, the course folder and a decoy course copy
    are out of reach; only the scratch folder is writable; the honest answers keep full marks."""
    root, _, _, before, _ = graded
    assert cells_of(root, "snoop") == expected(root)
    text = "".join(o.get("text", "") for c in autograded(root, "snoop").cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    found = json.loads(re.search(r"PROBE (\{.*\})", text).group(1))
    allowed = {k for k, v in found.items() if v == "ALLOWED"}
    assert allowed == {"write-cwd"}, found
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "source").rglob("*.ipynb"))}
    assert after == before and not (root / "release" / A / "evil.txt").exists()


def test_deleted_edited_and_forged_cells_are_restored_and_reported(graded) -> None:
    """Deleted/edited test cells come back from source; forged points and an extra graded cell count for
    nothing; the changed kernelspec is ignored; the CLI reports each restored cell."""
    root, _, out, _, _ = graded
    assert cells_of(root, "deleter") == expected(root)
    assert sum(p for g, p in max_points(root, A).items() if not g.endswith("-answer")) == FULL
    assert "knn.ipynb: test cell knn-compute_distances_two_loops-hidden was deleted: restored from source" in out
    assert "knn.ipynb: test cell knn-cross_validate_k-visible was edited: restored from source" in out
    assert "not in the assignment (bonus)" in out


def test_crashes_cost_only_what_they_touched(graded) -> None:
    """os._exit, sys.exit, a segfault, exit(), a memory bomb, a fork bomb and a daemon: a dead kernel (or one
    whose cell left processes behind) is restarted and earlier cells replayed; every honest cell keeps its points."""
    root, _, out, _, _ = graded
    assert cells_of(root, "crasher") == expected(root)
    block = out.split("✓ crasher:")[1].split("\n  ✓ ")[0]
    assert "kernel restarted 5×" in block and block.count("the kernel died in cell") == 3
    assert block.count("left processes running (killed)") == 2  # the daemon, the fork bomb
    text = "".join(o.get("text", "") for c in autograded(root, "crasher").cells for o in c.get("outputs", []))
    assert "memory limit reached" in text and "fork refused after" in text


def test_loop_swallowing_keyboard_interrupt_costs_its_cell_only(graded) -> None:
    """A top-level loop that swallows KeyboardInterrupt is killed after the cell timeout; all points kept."""
    root, _, out, _, _ = graded
    assert cells_of(root, "looper") == expected(root)
    block = out.split("✓ looper:")[1].split("\n  ✓ ")[0]
    assert f"timed out after {TIMEOUT} s and would not be interrupted" in block


def test_startup_file_has_no_effect(graded) -> None:
    """An IPython startup file (and a file in /tmp) left behind changes nothing, not even after a restart."""
    root = graded[0]
    assert cells_of(root, "startup") == expected(root)
    assert not Path("/tmp/nndl-leftover").exists()


def test_feedback_cells_show_verdicts_not_hidden_source(graded) -> None:
    """Graded notebooks keep our verdict messages in test cells; feedback HTML has no hidden test source."""
    root = graded[0]
    assert main(["--course", str(root), "feedback", A]) == 0
    page = (root / ".grading" / "feedback" / "liar" / A / "knn.html").read_text()
    assert "hidden_check" not in page and "BEGIN HIDDEN" not in page
    cell = next(c for c in autograded(root, "liar").cells if grade_id(c) == "knn-compute_distances_two_loops-hidden")
    assert [o["output_type"] for o in cell.outputs] == ["error"] and "entries differ" in cell.outputs[0]["evalue"]
