"""End to end in a real browser: JupyterLab 4 + ipywidgets 8 + nbgrader's lab extension, driven by Playwright.

One JupyterLab server serves a temporary COPY of the course (release built and released with real nbgrader, so
the gradebook and the exchange are populated) and a solved copy of the kNN notebook; Debian's chromium drives it.
Facts followed: docs/notes/browser-testing.md. On failure a screenshot is saved to a temporary folder named
in the message.
"""

import re
from pathlib import Path

import nbformat
import pytest

from autograder.nbg import copy_course, nbgrader
from tests.browser_support import CHROMIUM_ARGS, LabServer, chromium_executable, screenshot_on_failure
from tests.nbtools import reference_answers, submission

NOTEBOOK = "knn_solved.ipynb"
PROGRESS_NOTEBOOK = "progress_demo.ipynb"  # a training loop with course.progress's bar
EXPLORER = ".course-explorer"
PLOT = f"{EXPLORER} .widget-output img"
LABEL = f"{EXPLORER} .course-explorer-values"


@pytest.fixture(scope="module")
def playwright_api():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Python playwright is missing: pip install -e '.[test]' (it pins playwright==1.65.2)")
    with sync_playwright() as api:
        yield api


@pytest.fixture(scope="module")
def browser(playwright_api):
    executable = chromium_executable()
    browser = playwright_api.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a course copy with a1_knn built (gradebook) and released (exchange), plus a solved notebook.

    The server starts while nbgrader builds (its extensions read the gradebook and exchange per request).
    """
    root = copy_course(tmp_path_factory.mktemp("course"))
    solved = submission("a1_knn", "knn.ipynb", reference_answers("a1_knn", "knn.ipynb"))
    nbformat.write(solved, root / NOTEBOOK)
    loop = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import time\nfrom course.progress import progress\n\n"
        "for step in progress(range(30), desc='training'):\n    time.sleep(0.02)\n"
        "print('trained')")])
    loop.metadata["kernelspec"] = solved.metadata["kernelspec"]
    nbformat.write(loop, root / PROGRESS_NOTEBOOK)
    server = LabServer(root, tmp_path_factory.mktemp("jupyter"))
    try:
        server.launch()
        nbgrader("generate_assignment", "a1_knn", "--force", root=root, timeout=120)
        nbgrader("release_assignment", "a1_knn", "--force", root=root, timeout=120)
        server.wait()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where a failing test leaves its screenshot (the path is in the failure message)."""
    return tmp_path_factory.mktemp("screenshots")


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, lab):
    context, page = _new_page(browser)
    yield page
    context.close()


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    """One Lab page (no notebook) shared by the nbgrader-extension tests: Lab loads once."""
    context, page = _new_page(browser)
    open_lab(page, lab)
    yield page
    context.close()


def open_lab(page, lab: LabServer, path: str = "") -> None:
    """Open Lab (a notebook when `path` is given) with no saved workspace restored."""
    page.goto(f"{lab.url}/lab{'/tree/' + path if path else ''}?reset&token={lab.token}")
    page.get_by_role("menuitem", name="Run", exact=True).wait_for()


def wait_kernel_idle(page, timeout: float = 60_000) -> None:
    """All three signs of a ready kernel (otherwise "Run All" silently runs nothing)."""
    page.wait_for_function(
        """() => {
            const name = document.querySelector('.jp-Toolbar-kernelName');
            const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
            const bar = document.querySelector('#jp-main-statusbar');
            return name && !/No Kernel/.test(name.textContent)
                && ind && ind.getAttribute('data-status') === 'idle'
                && bar && bar.textContent.includes('| Idle');
        }""",
        timeout=timeout,
    )


def run_menu(page, menu: str, command: str) -> None:
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.locator(f".lm-Menu-item[data-command='{command}']").click()


def wait_new_plot(page, old_src: str, timeout: float = 30_000) -> str:
    page.wait_for_function("([sel, old]) => { const i = document.querySelector(sel); return i && i.src !== old; }",
                           arg=[PLOT, old_src], timeout=timeout)
    return page.locator(PLOT).get_attribute("src")


def test_knn_explorer_slider_redraws_the_plot_and_label(page, lab, shots) -> None:
    """Run All on the solved kNN notebook, drag the k slider: a new plot replaces the old, the label says the new k."""
    with screenshot_on_failure(page, shots, "knn_explorer", lab):
        open_lab(page, lab, NOTEBOOK)
        wait_kernel_idle(page)
        run_menu(page, "Run", "runmenu:run-all")
        page.locator(PLOT).wait_for(timeout=90_000)
        wait_kernel_idle(page, timeout=90_000)

        assert page.locator(EXPLORER).count() == 1, "the explorer is shown more than once"
        explorer_cell = page.locator(".jp-Cell", has=page.locator(EXPLORER))
        assert explorer_cell.locator("img").count() == 1, "a figure leaked below the explorer"
        assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0, \
            "the notebook printed warnings or errors"
        label = page.locator(LABEL)
        assert re.search(r"\bk = 5\b", label.inner_text()), label.inner_text()
        first = page.locator(PLOT).get_attribute("src")
        assert first.startswith("data:image/png;base64,")

        # drag the handle to the right: one redraw, on release (continuous_update is off)
        page.evaluate("""(sel) => {
            window.__plots = 0;
            new MutationObserver((records) => {
                for (const r of records) for (const n of r.addedNodes)
                    if (n.nodeType === 1 && (n.tagName === 'IMG' || n.querySelector('img'))) window.__plots++;
            }).observe(document.querySelector(sel), {childList: true, subtree: true});
        }""", f"{EXPLORER} .widget-output")
        handle = page.locator(f"{EXPLORER} .widget-slider .noUi-handle").first
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 40, y, steps=8)
        page.mouse.up()
        page.wait_for_function("(h) => h.getAttribute('aria-valuenow') !== '5'", arg=handle.element_handle())
        k = int(float(handle.get_attribute("aria-valuenow")))
        second = wait_new_plot(page, first)
        page.wait_for_function("([sel, k]) => new RegExp('\\\\bk = ' + k + '\\\\b').test("
                               "document.querySelector(sel).innerText)", arg=[LABEL, k])
        assert k > 5 and second != first
        page.wait_for_timeout(500)  # a second redraw of the same drag would arrive within this
        assert page.evaluate("window.__plots") == 1, "one drag must cost exactly one redraw"

        # the data set dropdown redraws too, and the label follows
        page.locator(f"{EXPLORER} .widget-dropdown select").select_option("blobs")
        wait_new_plot(page, second)
        page.wait_for_function("(sel) => document.querySelector(sel).innerText.includes('dataset = blobs')",
                               arg=LABEL)
        assert f"k = {k}" in page.locator(LABEL).inner_text()


def test_training_loop_progress_bar_is_a_widget_in_lab(page, lab, shots) -> None:
    """course.progress in JupyterLab draws a widget bar that reaches 30/30 (not text spam on stderr)."""
    with screenshot_on_failure(page, shots, "progress_bar", lab):
        open_lab(page, lab, PROGRESS_NOTEBOOK)
        wait_kernel_idle(page)
        run_menu(page, "Run", "runmenu:run-all")
        page.get_by_text("trained", exact=True).wait_for(timeout=60_000)
        bar = page.locator(".widget-hprogress, .widget-progress").first
        bar.wait_for()
        row = page.locator(".jp-OutputArea-output .widget-hbox", has=bar).first
        page.wait_for_function("(el) => /30\\/30/.test(el.innerText)", arg=row.element_handle())
        assert "training" in row.inner_text()
        assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0, \
            "the bar fell back to text on stderr"


def test_formgrader_lists_the_course_assignments(lab_page, lab, shots) -> None:
    """Nbgrader → Formgrader in Lab shows a1_knn, with the course id and the exchange found (config picked up)."""
    page = lab_page
    with screenshot_on_failure(page, shots, "formgrader", lab):
        run_menu(page, "Nbgrader", "nbgrader:open-formgrader")
        frame = page.frame_locator("iframe").last
        frame.locator("#main-table td.name", has_text="a1_knn").first.wait_for(timeout=60_000)
        for warning in ("#warning-exchange", "#warning-course-id"):
            assert frame.locator(warning).count() == 0, f"formgrader shows {warning}"


def test_assignment_list_renders_for_a_student(lab_page, lab, shots) -> None:
    """Nbgrader → Assignment List renders without an error and lists the released a1_knn."""
    page = lab_page
    with screenshot_on_failure(page, shots, "assignment_list", lab):
        run_menu(page, "Nbgrader", "nbgrader:open-assignment-list")
        released = page.locator("#released_assignments_list")
        released.get_by_text("a1_knn").first.wait_for(timeout=60_000)
        for part in ("released", "fetched", "submitted"):
            error = page.locator(f"#{part}_assignments_list_error")
            assert not error.is_visible(), f"{part} assignments: {error.inner_text()}"


@pytest.fixture(scope="module")
def feedback_page(tmp_path_factory) -> Path:
    """The kNN feedback page of one student, through the real pipeline: nbgrader autograde, then generate_feedback."""
    from autograder.feedback import generate_feedback
    from tests.nbtools import class_of, grade_class

    root = copy_course(tmp_path_factory.mktemp("feedback-course"))
    grade_class(root, "a1_knn", "knn.ipynb", {"ada": class_of("a1_knn", "knn.ipynb")["perfect"]})
    (page,) = generate_feedback(root, "a1_knn")
    return page


def test_feedback_page_typesets_maths_offline(browser, feedback_page, shots) -> None:
    """The feedback page, opened with every network request blocked, shows typeset MathML maths and no raw $."""
    context, page = _new_page(browser)
    requested: list[str] = []

    def offline(route) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    try:
        with screenshot_on_failure(page, shots, "feedback_maths"):
            page.route("**/*", offline)
            page.goto(feedback_page.as_uri(), wait_until="load")
            assert requested == [], f"the page asked the network for {requested}"
            maths = page.locator("math")
            assert maths.count() >= 20 and page.locator("math[display=block]").count() >= 1
            # typeset: chromium laid each <math> out as a MathML element with a real box, none left as TeX
            sizes = page.evaluate("""() => Array.from(document.querySelectorAll('math'), (m) => {
                const r = m.getBoundingClientRect();
                return [m instanceof MathMLElement, r.width, r.height]; })""")
            assert all(is_mathml and w > 0 and h > 0 for is_mathml, w, h in sizes), sizes
            assert page.locator(".tex-fallback").count() == 0
            prose = "\n".join(page.locator(".text_cell_render").all_inner_texts())
            assert "nearest" in prose and "$" not in prose, re.findall(r".{0,30}\$.{0,30}", prose)[:5]
            assert "$" not in page.locator("body").inner_text()
    finally:
        context.close()
