"""Feedback pages are self-contained: maths typeset as MathML when the page is written, no MathJax, no network.

These run nbconvert in-process on small notebooks (fast); tests/course/test_browser.py opens a real feedback page from
the nbgrader pipeline in chromium with the network blocked.
"""
import html
import re
from pathlib import Path

import nbgrader

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.feedback import OfflineFeedbackExporter, tex_to_mathml


def visible_text(page: str) -> str:
    """The text of an HTML page as a reader sees it (head, scripts, styles and tags dropped, entities decoded)."""
    body = re.sub(r"<head>.*?</head>|<script\b.*?</script>|<style\b.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def export(*cells) -> str:
    """The page OfflineFeedbackExporter writes for a notebook of `cells`, with nbgrader's feedback template (set up as
    nbgrader's GenerateFeedback does)."""
    formgrader = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    exporter = OfflineFeedbackExporter(
        template_name="feedback", extra_template_basedirs=[str(formgrader / "templates")],
        extra_template_paths=[str(formgrader / "static" / "node_modules" / "bootstrap" / "dist" / "css")])
    resources = {"nbgrader": {"notebook": "demo", "score": 1.0, "max_score": 2.0, "late_penalty": 0}}
    page, _ = exporter.from_notebook_node(new_notebook(cells=list(cells)), resources=resources)
    return page


def test_inline_and_display_tex_become_mathml() -> None:
    """$x^2$ becomes an inline <math> with a superscript; display maths gets display="block"; the TeX is alttext."""
    inline = tex_to_mathml("x^2")
    assert inline.startswith("<math ") and "<msup>" in inline and 'display="inline"' in inline
    assert 'alttext="x^2"' in inline
    block = tex_to_mathml(r"\frac{a}{b}", display=True)
    assert 'display="block"' in block and "<mfrac>" in block


def test_course_notation_typesets_without_raw_commands() -> None:
    r"""\arg, \big\| and \mathbb (used in the course notebooks) become glyphs, never "\arg" or "\|" as text."""
    for tex in [r"\hat y_i = \arg\max_j (x_i W)_j", r"\tfrac12\,\big\|h(x) - y\big\|^2",
                r"W \in \mathbb{R}^{D\times C}"]:
        mathml = tex_to_mathml(tex)
        assert mathml.startswith("<math "), (tex, mathml)
        assert "\\" not in re.sub(r"<[^>]+>", "", mathml), (tex, mathml)


def test_tex_that_cannot_be_typeset_stays_readable_as_code() -> None:
    r"""Malformed TeX or an unknown command is kept as code-styled TeX (no crash, no $ delimiters)."""
    for tex in [r"\frac{a}{", r"\notacommand x"]:
        out = tex_to_mathml(tex)
        assert out.startswith('<code class="tex-fallback"') and html.escape(tex, quote=False) in out
        assert "$" not in out
    assert tex_to_mathml(r"\frac{a}{", display=True).startswith('<pre class="tex-fallback"')


def test_page_has_mathml_and_no_mathjax_or_network_reference() -> None:
    """The page holds <math> for every maths span, no MathJax <script>, and no http(s) URL it would load."""
    page = export(new_markdown_cell("Distance $d(x, y) = \\lVert x - y \\rVert_2$ and\n\n$$\\sum_{i=1}^N x_i$$"))
    assert page.count("<math ") == 2 and 'display="block"' in page
    assert "mathjax" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page loads something remotely"
    assert "$" not in visible_text(page)


def test_dollars_outside_maths_are_left_alone() -> None:
    """A $ in a code span, a code cell or a cell's output is shown as written, never turned into maths."""
    page = export(new_markdown_cell("Run `echo $HOME` and `$PATH`; the cost is $c$."),
                  new_code_cell('price = "$5"\nprint(price, "$6")',
                                outputs=[new_output("stream", name="stdout", text="$5 $6\n")]))
    assert page.count("<math ") == 1
    text = visible_text(page)
    assert "echo $HOME" in text and "$PATH" in text and "$5 $6" in text
    assert '"$5"' in text


def test_latex_outputs_are_typeset_too() -> None:
    """A code cell's text/latex output (IPython.display.Math) is shown as MathML, not as raw $$…$$."""
    out = new_output("display_data", data={"text/latex": "$$\\alpha^2$$", "text/plain": "<IPython.core.display.Math>"})
    page = export(new_code_cell("Math(r'\\alpha^2')", outputs=[out]))
    assert "<math " in page and "$$" not in visible_text(page)


def test_nbgrader_uses_the_offline_exporter_for_feedback() -> None:
    """nbgrader_config.py makes OfflineFeedbackExporter the exporter of `nbgrader generate_feedback`."""
    from traitlets.config import PyFileConfigLoader

    from autograder.nbg import COURSE_ROOT

    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE_ROOT)).load_config()
    assert config.GenerateFeedback.exporter_class == "autograder.feedback.OfflineFeedbackExporter"
    assert "autograder.feedback.ScrubHiddenTests" in config.GenerateFeedback.preprocessors
