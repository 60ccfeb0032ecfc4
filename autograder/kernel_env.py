"""The kernel environment: the Python a student's notebook runs in while it is graded, outside the course.

It holds an interpreter, the third-party packages a notebook imports (ipykernel, numpy, matplotlib,
ipywidgets, scikit-learn, tqdm and what they require), ``course``, and a kernel-side copy of
``autograder.hidden`` + ``autograder.checks`` (so the unchanged notebook line
``from autograder.hidden import check as hidden_check`` works: there it only runs the student's functions on
inputs the grader wrote and records evidence). It never holds ``solutions``, the rest of ``autograder``,
the course's source/ notebooks, the secret or the gradebook.

Layout (under ``$NNDL_KERNEL_HOME``, else /var/lib/nndl-course as root, else ~/.cache/nndl-course):

    python-<version>-<hash>/   a hard-linked copy of the base interpreter and its standard library (no
                               site-packages): the sandbox user may not be able to reach the original (pyenv
                               under /root, a venv inside a private checkout)
    site-<hash>/               the third-party distributions, hard-linked from the grader's environment
    course-<hash>/             course/ and the kernel-side autograder/ (per content hash: cheap to rebuild)
    mpl-<hash>/                a matplotlib font cache, copied into each scratch home (saves ~2 s per kernel)

Everything is owned by the grader and world-readable, never writable by the sandbox user. Building the first
time takes a few seconds (hard links); later runs reuse it.
"""
import hashlib
import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOTS = ("ipykernel", "numpy", "matplotlib", "ipywidgets", "scikit-learn", "tqdm")
STDLIB_SKIP = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "dist-packages"}
VERSION = 1  # bump to force a rebuild of every part


@dataclass(frozen=True)
class KernelEnv:
    """How to start a grading kernel: interpreter, import path and library path."""

    python: Path
    pythonpath: tuple[Path, ...]
    ld_library_path: Path | None
    mpl_cache: Path | None

    def command(self, connection_file: str) -> list[str]:
        """The kernel's argv: no site-packages of the interpreter (-S), no user site (-s), no cwd on sys.path (-P)."""
        return [str(self.python), "-S", "-s", "-P", "-m", "ipykernel_launcher", "-f", connection_file]

    def read_only_paths(self) -> list[Path]:
        """The folders a sandboxed kernel needs to see (read-only): the interpreter copy and its import path."""
        return list(dict.fromkeys([self.python.parent.parent, *self.pythonpath]))

    def environ(self) -> dict[str, str]:
        """The environment variables that make this interpreter see only the kernel environment."""
        env = {"PYTHONPATH": os.pathsep.join(str(p) for p in self.pythonpath)}
        if self.ld_library_path:
            env["LD_LIBRARY_PATH"] = str(self.ld_library_path)
        return env


def kernel_home() -> Path:
    """Where kernel environments are kept."""
    if os.environ.get("NNDL_KERNEL_HOME"):
        return Path(os.environ["NNDL_KERNEL_HOME"])
    if os.geteuid() == 0:
        return Path("/var/lib/nndl-course")
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nndl-course"


def _digest(*parts: object) -> str:
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()[:12]


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        if src.stat().st_mode & 0o004:  # a hard link keeps the original's mode: only when others may read it
            os.link(src, dst)
            return
    except OSError:
        pass
    shutil.copy2(src, dst)
    os.chmod(dst, (os.stat(dst).st_mode | 0o444) & 0o755)


def _publish(tmp: Path, final: Path) -> Path:
    """Make `tmp` world-readable and move it to `final` atomically (another grader may have won the race)."""
    for dirpath, dirnames, _ in os.walk(tmp):
        for d in dirnames:
            os.chmod(os.path.join(dirpath, d), 0o755)
    os.chmod(tmp, 0o755)
    try:
        os.rename(tmp, final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _new_tmp(home: Path, name: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o755)
    return Path(tempfile.mkdtemp(prefix=f".{name}.", dir=home))


# ---- the interpreter ------------------------------------------------------------------------------------
def _base_python() -> tuple[Path, Path, Path | None]:
    """(real interpreter binary, standard library folder, shared libpython or None) of this Python."""
    binary = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    libpython = None
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        lib = Path(sysconfig.get_config_var("LIBDIR") or "") / str(sysconfig.get_config_var("INSTSONAME") or "")
        if lib.is_file():
            libpython = lib.resolve()
    return binary, stdlib, libpython


def build_python(home: Path) -> tuple[Path, Path | None]:
    """A copy of the base interpreter under `home`: (python binary, folder for LD_LIBRARY_PATH or None)."""
    binary, stdlib, libpython = _base_python()
    tag = f"{sys.version_info.major}.{sys.version_info.minor}"
    final = home / f"python-{sys.version.split()[0]}-{_digest(VERSION, binary, stdlib, libpython)}"
    if not (final / "bin" / f"python{tag}").exists():
        tmp = _new_tmp(home, "python")
        _link_or_copy(binary, tmp / "bin" / f"python{tag}")
        os.chmod(tmp / "bin" / f"python{tag}", 0o755)
        if libpython is not None:
            _link_or_copy(libpython, tmp / "lib" / libpython.name)
        dest = tmp / "lib" / f"python{tag}"
        for dirpath, dirnames, filenames in os.walk(stdlib):
            rel = Path(dirpath).relative_to(stdlib)
            if rel == Path("."):
                dirnames[:] = [d for d in dirnames if d not in STDLIB_SKIP and not d.startswith("config-")]
            for f in filenames:
                _link_or_copy(Path(dirpath) / f, dest / rel / f)
        _publish(tmp, final)
    return final / "bin" / f"python{tag}", (final / "lib") if libpython is not None else None


# ---- third-party packages -------------------------------------------------------------------------------
def _closure(roots: tuple[str, ...]) -> list[metadata.Distribution]:
    """The installed distributions `roots` need (requirements without extras whose markers hold here)."""
    from packaging.requirements import Requirement

    seen: dict[str, metadata.Distribution] = {}
    todo = list(roots)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = dist
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return sorted(seen.values(), key=lambda d: d.metadata["Name"].lower())


def build_site(home: Path, roots: tuple[str, ...] = ROOTS) -> Path:
    """The third-party packages (hard links of the grader's installed files), without any project package."""
    dists = _closure(roots)
    names = [f"{d.metadata['Name']}=={d.version}" for d in dists]
    final = home / f"site-{_digest(VERSION, sys.version, *names)}"
    if not final.is_dir():
        tmp = _new_tmp(home, "site")
        for dist in dists:
            for f in dist.files or []:
                if ".." in f.parts or f.name.endswith(".pth") or f.parts[0].startswith("__editable__"):
                    continue
                src = Path(dist.locate_file(f))
                if src.is_file():
                    _link_or_copy(src, tmp / f)
        _publish(tmp, final)
    return final


# ---- course + the kernel-side autograder ----------------------------------------------------------------
KERNEL_AUTOGRADER_INIT = '''"""Kernel-side copy of autograder: hidden-check runners only (no solutions, no secret, no CLI)."""
'''


def _course_files() -> dict[str, Path]:
    """{relative path in the kernel env: source file} — course/ and the hidden-check modules.

    Taken from the packages this grader imports, so the kernel records exactly what this process judges.
    """
    import autograder
    import course

    files: dict[str, Path] = {}
    src = Path(course.__file__).parent
    root = Path(autograder.__file__).parent.parent
    for p in sorted(src.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith((".pyc", ".pyo")):
            files[str(Path("course") / p.relative_to(src))] = p
    files["autograder/hidden.py"] = root / "autograder" / "hidden.py"
    for p in sorted((root / "autograder" / "checks").glob("*.py")):
        files[f"autograder/checks/{p.name}"] = p
    return files


def build_course(home: Path, python: Path, env: dict[str, str]) -> Path:
    """course/ and autograder/{hidden,checks}, byte-compiled, keyed by content."""
    files = _course_files()
    h = hashlib.sha256(str(VERSION).encode())
    for rel, src in files.items():
        h.update(rel.encode() + b"\0" + src.read_bytes() + b"\0")
    final = home / f"course-{h.hexdigest()[:12]}"
    if not final.is_dir():
        tmp = _new_tmp(home, "course")
        for rel, src in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, tmp / rel)
            os.chmod(tmp / rel, 0o644)
        (tmp / "autograder" / "__init__.py").write_text(KERNEL_AUTOGRADER_INIT)
        os.chmod(tmp / "autograder" / "__init__.py", 0o644)
        subprocess.run([str(python), "-S", "-m", "compileall", "-q", str(tmp)], env=env, check=False,
                       capture_output=True)
        for p in tmp.rglob("*.pyc"):
            os.chmod(p, 0o644)
        _publish(tmp, final)
    return final


def build_mpl_cache(home: Path, python: Path, env: dict[str, str], key: str) -> Path | None:
    """A matplotlib font cache built once with the kernel's interpreter (copied into each scratch home)."""
    final = home / f"mpl-{key}"
    if not final.is_dir():
        tmp = _new_tmp(home, "mpl")
        run_env = {**env, "MPLCONFIGDIR": str(tmp), "MPLBACKEND": "Agg", "HOME": str(tmp)}
        subprocess.run([str(python), "-S", "-s", "-c", "import matplotlib.font_manager"], env=run_env,
                       check=False, capture_output=True, timeout=300)
        for p in tmp.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        _publish(tmp, final)
    return final if any(final.glob("fontlist*.json")) else None


def build_kernel_env(root: Path | None = None, home: Path | None = None) -> KernelEnv:
    """The kernel environment (built on first use, then reused); `root` is accepted for symmetry only."""
    home = Path(home) if home else kernel_home()
    python, ld = build_python(home)
    site = build_site(home)
    base_env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    if ld:
        base_env["LD_LIBRARY_PATH"] = str(ld)
    course = build_course(home, python, base_env)
    mpl = build_mpl_cache(home, python, base_env, site.name.split("-", 1)[1])
    return KernelEnv(python, (course, site), ld, mpl)
