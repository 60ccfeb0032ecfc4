"""The course's grading settings, read once from its nbgrader_config.py through traitlets' config loader.

nbgrader_config.py is the one place for settings (course id, gradebook, per-cell timeout, …); this module loads it
with the same loader nbgrader uses (traitlets' PyFileConfigLoader, which provides ``get_config()``), so the
instructor CLI and nbgrader never disagree, and never parses it with a regular expression.
"""

from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "nbgrader_config.py"
DEFAULT_COURSE_ID = "nndl-course"
DEFAULT_CELL_TIMEOUT = 60.0  # nbgrader's own default is 30 s; ours is stated in nbgrader_config.py


@dataclass(frozen=True)
class Settings:
    """What the grading pipeline needs to know of a course (paths absolute)."""

    root: Path
    course_id: str
    db_url: str
    cell_timeout: float


def load(root: Path) -> Settings:
    """Settings of the course at `root`; a course without nbgrader_config.py gets the defaults under .grading/."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root).resolve()
    config = Config()
    if (root / CONFIG_FILE).is_file():
        config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    course = config.CourseDirectory
    course_id = course.course_id if "course_id" in course else DEFAULT_COURSE_ID
    db_url = course.db_url if "db_url" in course else "sqlite:///" + str(root / ".grading" / "gradebook.db")
    timeout = config.Execute.timeout if "timeout" in config.Execute else DEFAULT_CELL_TIMEOUT
    return Settings(root, str(course_id), str(db_url), float(timeout))
