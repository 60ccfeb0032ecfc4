"""nbgrader configuration of the nndl-course course (read by every nbgrader command run from this folder).

All grading state — gradebook.db, submitted/, autograded/, feedback/ and the exchange — lives in the
git-ignored folder .grading/ beside this file, never in /srv or the home directory.
"""
import os

_here = os.path.dirname(os.path.abspath(__file__))
_state = os.path.join(_here, ".grading")

os.makedirs(_state, exist_ok=True)  # sqlite cannot create the gradebook's folder itself
# The exchange (release/fetch/submit; the lab extension's assignment list) must exist, writable by every user.
_exchange = os.path.join(_state, "exchange")
os.makedirs(_exchange, exist_ok=True)
try:
    os.chmod(_exchange, 0o777)
except PermissionError:  # someone else's course folder: they created it, with its mode
    pass

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "nndl-course"
c.CourseDirectory.root = _here
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = os.path.join(".grading", "submitted")
c.CourseDirectory.autograded_directory = os.path.join(".grading", "autograded")
c.CourseDirectory.feedback_directory = os.path.join(".grading", "feedback")
c.CourseDirectory.solution_directory = os.path.join(".grading", "solution")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_state, "gradebook.db")
c.Exchange.root = _exchange
# release/ holds only notebooks and their helper files; never caches or evidence
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".nndl_evidence"]

# What students see where a solution was: one line that says what to do.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError(\"replace this line with your code\")"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Per-cell timeout (seconds). Heavy cells do a light version under NBGRADER_EXECUTION, so 60 s is generous;
# a hung function costs its own cell, not the notebook (interrupt, then go on).
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# A loop that swallows KeyboardInterrupt must not abort the whole submission (nbgrader-facts.md).
c.Execute.raise_on_iopub_timeout = False
c.Execute.iopub_timeout = 10

# Honest warnings never cost points: any stderr in a test cell scores 0 under nbgrader, so drop
# stderr output that is a Python warning. (Checks also capture warnings raised inside student calls.)
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(Warning|warnings\.warn)"

# A deleted test cell comes back from the source version instead of "needs manual grading".
c.OverwriteCells.add_missing_cells = True

# Feedback never shows hidden tests: our scrubber runs after nbgrader's own steps (nbgrader #917).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.feedback.ScrubHiddenTests",
]
# Feedback reads the same offline: maths is written into the page as MathML, no MathJax from a CDN.
c.GenerateFeedback.exporter_class = "autograder.feedback.OfflineFeedbackExporter"
