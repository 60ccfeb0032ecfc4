"""Step 1 — build: release/<assignment>/ from source/<assignment>/ with `nbgrader generate_assignment`."""
from pathlib import Path

from autograder.nbg import COURSE_ROOT, nbgrader


def assignments(root: Path = COURSE_ROOT) -> list[str]:
    """The assignment ids of the course: the folders of source/ that hold a notebook, sorted."""
    return sorted(p.name for p in (root / "source").iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def check_assignment(name: str, root: Path = COURSE_ROOT) -> None:
    """Raise ValueError naming the known assignments if `name` is not one of them."""
    known = assignments(root)
    if name not in known:
        raise ValueError(f"unknown assignment {name!r}: the course has {', '.join(known)}")


def build(names: list[str] | None = None, root: Path = COURSE_ROOT) -> list[Path]:
    """Regenerate release/<a>/ for each assignment (all if None); returns the release folders.

    Solution cells are synced from solutions/ and test cells and points tables from assignments.toml first (when
    the course has one), so a release never lags behind the reference code or the registry.
    """
    from autograder import registry
    from autograder.authoring import sync_notebook

    names = assignments(root) if not names else names
    for name in names:
        check_assignment(name, root)
    registered = registry.load(root) if (root / registry.MANIFEST).is_file() else {}
    out = []
    for name in names:
        for nb in sorted((root / "source" / name).glob("*.ipynb")):
            if name in registered and nb.name in registered[name].notebooks:
                _, blocking = registry.sync_notebook(nb, registered[name].of_notebook(nb.name),
                                                     questions=registered[name].questions_of(nb.name))
                if blocking:
                    raise ValueError(f"{nb.relative_to(root)}: " + "; ".join(blocking))
            sync_notebook(nb)
        nbgrader("generate_assignment", name, "--force", root=root)
        out.append(root / "release" / name)
    return out
