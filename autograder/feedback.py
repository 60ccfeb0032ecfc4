"""Step 4 — feedback: nbgrader's HTML feedback per student, with the hidden tests scrubbed.

Stock nbgrader shows hidden tests in feedback (nbgrader #917). `ScrubHiddenTests` runs in the feedback
pipeline (configured in nbgrader_config.py): in every cell that holds a hidden-test region it replaces the
region with a one-line note and reduces error outputs to "ErrorName: message" — the teaching message of the
check — so no traceback quotes the hidden source.

Feedback is read offline: `OfflineFeedbackExporter` (GenerateFeedback.exporter_class) writes the maths of every
markdown cell as MathML into the page and leaves out the MathJax script nbconvert would load from a CDN.
"""
import copy
import html
import re
from pathlib import Path

from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.nbg import nbgrader

HIDDEN = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*", re.S)
NOTE = "# (hidden test: it ran on inputs drawn at grading time; its verdict is below)"


class ScrubHiddenTests(NbGraderPreprocessor):  # nbgrader's base is enabled by default
    """Remove hidden-test source and tracebacks from a notebook before it becomes feedback HTML."""

    def preprocess_cell(self, cell, resources, index):  # noqa: D102 - nbconvert API
        if cell.cell_type != "code" or "BEGIN HIDDEN TESTS" not in cell.source:
            return cell, resources
        cell.source = HIDDEN.sub(NOTE, cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


def generate_feedback(root: Path, assignment: str, students: list[str] | None = None) -> list[Path]:
    """Write feedback HTML for `assignment` (all graded students, or only `students`); returns the files."""
    if students is None:
        nbgrader("generate_feedback", assignment, "--force", root=root)
    else:
        for student in students:
            nbgrader("generate_feedback", assignment, "--student", student, "--force", root=root)
    base = root / ".grading" / "feedback"
    return sorted(base.glob(f"*/{assignment}/*.html"))


# ---- offline maths: feedback pages typeset their LaTeX as MathML when they are written (no MathJax, no network) ----

# \big\| etc.: latex2mathml 3.81 keeps a sized delimiter given as a command as its raw name; these are its glyphs.
DELIMITERS = {r"\|": "‖", r"\Vert": "‖", r"\lVert": "‖", r"\rVert": "‖", r"\vert": "|", r"\lvert": "|",
              r"\rvert": "|", r"\langle": "⟨", r"\rangle": "⟩", r"\{": "{", r"\}": "}", r"\lbrace": "{",
              r"\rbrace": "}", r"\lfloor": "⌊", r"\rfloor": "⌋", r"\lceil": "⌈", r"\rceil": "⌉"}
SIZED_DELIMITER = re.compile(r"(<mo\b[^>]*>)(" + "|".join(re.escape(d) for d in DELIMITERS) + r")(</mo>)")
# log-like operators latex2mathml 3.81 does not know (it writes them as "\arg")
OPERATORS = re.compile(r"<mi>\\(arg|deg|dim|hom|ker|gcd|Pr)</mi>")
MATHJAX = re.compile(r"[ \t]*(<!-- Loading mathjax macro -->\s*)?<!-- Load mathjax -->.*?"
                     r"<!-- End of mathjax configuration -->\n?", re.S)
# browsers' default maths font is a little smaller than the surrounding text
MATH_STYLE = ("<style>math { font-size: 1.15em; } math[display=block] { margin: 0.5em 0; }"
              " .tex-fallback { white-space: pre-wrap; }</style>\n")


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """`tex` (without its $ delimiters) as a MathML <math> element; what cannot be typeset stays readable as
    code-styled TeX (class "tex-fallback") instead of failing the page."""
    from latex2mathml.converter import convert

    try:
        mathml = convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - latex2mathml raises many kinds of errors on malformed TeX
        mathml = None
    if mathml is not None:
        mathml = SIZED_DELIMITER.sub(lambda m: m[1] + DELIMITERS[m[2]] + m[3], mathml)
        mathml = OPERATORS.sub(r"<mo>\1</mo>", mathml)
        text = re.sub(r"<[^>]+>", "", mathml)
        if "\\" not in text:  # an unknown command would show as "\foo" inside typeset maths: not readable
            return mathml.replace("<math ", f'<math alttext="{html.escape(tex.strip())}" ', 1)
    tag = "pre" if display else "code"
    return (f'<{tag} class="tex-fallback" title="LaTeX that could not be typeset">'
            f"{html.escape(tex.strip(), quote=False)}</{tag}>")


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer, with every maths span ($…$, $$…$$, \\(…\\), \\[…\\], environments) written
    as MathML. The markdown parser finds the maths, so a `$` in code spans, code blocks or cell outputs is never
    touched."""

    def block_math(self, body: str) -> str:  # noqa: D102 - mistune renderer API
        return tex_to_mathml(body, display=True)

    def inline_math(self, body: str) -> str:  # noqa: D102
        return tex_to_mathml(body, display=False)

    def latex_environment(self, name: str, body: str) -> str:  # noqa: D102
        return tex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)


class OfflineFeedbackExporter(HTMLExporter):
    """The HTML exporter of nbgrader's feedback (configured as GenerateFeedback.exporter_class in
    nbgrader_config.py): maths is MathML written into the page and the MathJax <script> (a CDN) is left out, so a
    feedback page reads the same offline, in any browser with MathML (Chromium ≥ 109, Firefox, Safari)."""

    @pass_context
    def markdown2html(self, context, source):  # noqa: D102 - nbconvert filter; as HTMLExporter's, MathML renderer
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False,
            attachments=cell.get("attachments", {}),
            embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options,
        )
        return MarkdownWithMath(renderer=renderer).render(source)

    def from_notebook_node(self, nb, resources=None, **kw):  # noqa: D102 - nbconvert API
        nb = copy.deepcopy(nb)
        for cell in nb.cells:  # LaTeX outputs (IPython.display.Math, sympy) get a MathML twin the page shows
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "text/latex" in data and "text/html" not in data:
                    data["text/html"] = MarkdownWithMath(renderer=MathMLRenderer(escape=False)).render(
                        data["text/latex"])
        output, resources = super().from_notebook_node(nb, resources, **kw)
        return MATHJAX.sub("", output).replace("</head>", MATH_STYLE + "</head>", 1), resources
