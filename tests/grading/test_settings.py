"""Tests of autograder.settings: the grading settings come from nbgrader_config.py through traitlets' loader."""

from pathlib import Path

from autograder import grade, settings

ROOT = Path(__file__).resolve().parents[2]


def test_settings_of_this_course_come_from_its_nbgrader_config():
    """The course id, gradebook URL and cell timeout are those nbgrader_config.py sets."""
    s = settings.load(ROOT)
    assert s.course_id == "nndl-course"
    assert s.db_url == "sqlite:///" + str(ROOT / ".grading" / "gradebook.db")
    assert s.cell_timeout == 60.0
    assert grade.configured_cell_timeout(ROOT) == 60.0


def test_a_config_computed_in_python_is_read_as_nbgrader_reads_it(tmp_path):
    """Values computed by Python code in the config (not literals a regex could find) are read correctly."""
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nBASE = 40\nc.Execute.timeout = BASE + 5\nc.CourseDirectory.course_id = 'ml' + '101'\n"
        "c.CourseDirectory.db_url = 'sqlite:///' + '/tmp/x.db'\n")
    s = settings.load(tmp_path)
    assert (s.cell_timeout, s.course_id, s.db_url) == (45.0, "ml101", "sqlite:////tmp/x.db")


def test_a_course_without_config_gets_the_defaults(tmp_path):
    """No nbgrader_config.py: the defaults, with the gradebook under the course's .grading/."""
    s = settings.load(tmp_path)
    assert (s.course_id, s.cell_timeout) == (settings.DEFAULT_COURSE_ID, settings.DEFAULT_CELL_TIMEOUT)
    assert s.db_url == "sqlite:///" + str(tmp_path.resolve() / ".grading" / "gradebook.db")


def test_gradebook_exists_follows_the_configured_url(tmp_path):
    """gradebook.exists looks where nbgrader_config.py's db_url points, and opening nothing creates nothing."""
    from autograder import gradebook

    db = tmp_path / "elsewhere" / "book.db"
    (tmp_path / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.db_url = 'sqlite:///{db}'\n")
    assert not gradebook.exists(tmp_path) and not db.exists()
    db.parent.mkdir()
    db.write_bytes(b"")
    assert gradebook.exists(tmp_path)
