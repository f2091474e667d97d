"""The HTML report of a grading run (course/html_report.py), as an instructor opens it: in a real browser.

One `python -m course grade` run grades a class (tests/conftest.py, shared with test_grading.py): the reference,
untouched starters, broken submissions, and students whose folder names and test messages are HTML. The report
must show all of it as text, run no script, and link each student to their feedback file.
"""
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from course.browser import chromium_path
from course.lessons import ROOT
from course.sample_submissions import HTML_MESSAGE, IMAGE_NAME, ODD_NAME, SCRIPT_NAME, make_submission

# The lessons of the class that could not be graded, and how the report says why.
NOT_GRADED = {("crash", "02_login", "crash"), ("empty_lesson", "02_login", "empty lesson"),
              ("exit_at_import", "02_login", "stops the program"),
              ("first_lesson_exit_at_import", "01_config", "stops the program"),
              ("html_message", "01_config", "error at import"), ("import_error", "02_login", "missing module"),
              ("missing_lesson", "02_login", "missing lesson"), ("no_lessons", "every lesson", "no lessons found"),
              ("renamed_app", "02_login", "error at import"), ("syntax_error", "02_login", "syntax error"),
              # the cheats that the sandbox and the check of the report stopped (course/sample_submissions.py)
              ("patches_reports", "01_config", "tampered"), ("reads_solutions", "01_config", "error at import"),
              ("exits_early", "01_config", "crash"), ("plants_pth_file", "01_config", "crash")}


@pytest.fixture
def graded(graded_class):
    """The sample class graded with lessons 01 and 02, the report written where it goes by default (beside the
    CSV): the class tests/test_grading.py checks (tests/conftest.py grades it once for both)."""
    return graded_class


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes, as a browser's parser sees them."""

    def __init__(self, text):
        super().__init__()
        self.tags = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_grade_writes_the_report_beside_the_csv(graded):
    assert graded["report"].is_file()
    assert f"Report: {graded['report']}" in graded["stdout"]


def test_student_text_is_escaped_in_the_source(graded):
    html = graded["report"].read_text()
    for hostile in (SCRIPT_NAME, IMAGE_NAME, HTML_MESSAGE):
        assert hostile not in html
    assert "&lt;script&gt;alert(1)&lt;script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html


def test_what_needs_a_look_comes_first(graded):
    html = graded["report"].read_text()
    order = [html.index(f'<section id="{name}">') for name in ("flags", "similar", "students", "glance")]
    assert order == sorted(order), "flags, similar code and the heat map come before the class's figures"


def test_similar_code_is_shown_side_by_side(graded):
    html = graded["report"].read_text()
    similar = html.split('<section id="similar">')[1].split("</section>")[0]
    assert "own_way and renamed_copy_of_own_way" in similar
    assert "secret_text" in similar and "the_secret" in similar, "each side's own names"


def test_feedback_shows_a_students_name_and_messages_as_text(graded):
    for name in (SCRIPT_NAME, IMAGE_NAME):
        text = (graded["work"] / "feedback" / f"{name}.md").read_text()
        assert "<" not in text.split("\n")[0] and "&lt;" in text.split("\n")[0], "the name, escaped"
    message = (graded["work"] / "feedback" / "html_message.md").read_text()
    assert HTML_MESSAGE in message.split("```text")[1], "a message from the code, inside a code block"


def test_the_report_is_self_contained(graded):
    tags = Tags(graded["report"].read_text()).tags
    names = {tag for tag, _ in tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}, "nothing run or fetched"
    assert not [attributes for _, attributes in tags if "src" in attributes]
    links = [attributes["href"] for tag, attributes in tags if tag == "a"]
    assert links and all(urlparse(link).scheme == "" for link in links), "links are relative: to feedback files"


def test_the_html_option_writes_the_report_elsewhere_with_working_links(tmp_path):
    submission = make_submission(tmp_path / ODD_NAME)
    report = tmp_path / "reports" / "class.html"
    report.parent.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "course", "grade", str(submission), "--lessons", "01", "--html", str(report),
         "--csv", str(tmp_path / "grades.csv"), "--feedback", str(tmp_path / "feedback")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (tmp_path / "grades.html").exists()
    [link] = [attributes["href"] for tag, attributes in Tags(report.read_text()).tags if tag == "a"]
    feedback = (report.parent / unquote(link)).resolve()
    assert feedback == (tmp_path / "feedback" / f"{ODD_NAME}.md").resolve() and feedback.is_file()


# --- In the browser ------------------------------------------------------------------------------------------

def test_the_report_in_a_browser(graded, page, tmp_path):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(graded["report"].as_uri())

    # No script ran and nothing from student text became an element.
    assert dialogs == []
    assert page.locator("script, img").count() == 0

    # Every chart and table is there and visible.
    for selector in ("#histogram svg", "#lesson-chart svg", "#todo-table", "#struggles-table", "#heat-map",
                     "#not-graded-table", "#flags-table"):
        element = page.locator(selector)
        assert element.is_visible(), f"{selector} is not visible"
        box = element.bounding_box()
        assert box["width"] > 50 and box["height"] > 50, f"{selector} is too small: {box}"
    assert page.locator("#histogram rect").count() == 10
    assert page.locator("#lesson-chart rect").count() == 2 * 2, "a track and a bar per lesson"

    # TODOs done: as many as the gradebook says, of every submission (test_grading.py checks the grades themselves).
    done = [row.locator("td").all_inner_texts()[:3] for row in page.locator("#todo-table tbody tr").all()]
    everyone = len(graded["json"])

    def earned(lesson_id, number):
        return sum(number in row["lessons"][lesson_id]["todos_done"] for row in graded["json"])

    assert done == [[f"{lesson_id[:2]} {title}", str(number), f"{earned(lesson_id, number)} of {everyone}"]
                    for lesson_id, title, todos in (("01_config", "Config", 2), ("02_login", "Login", 3))
                    for number in range(1, todos + 1)]

    # What to explain again: the requirements most students fail, each with the students who fail it (the untouched
    # starters among them), counted.
    struggles = page.locator("#struggles-table tbody tr").all()
    assert struggles
    for row in struggles:
        count, lesson, requirement = row.locator("td").all_inner_texts()[:3]
        names = requirement.splitlines()[-1].split(", ")
        assert lesson in ("01 Config", "02 Login") and count == str(len(names))
        assert {IMAGE_NAME, "tampered", "untouched"} <= set(names)

    # The heat map: one row per student, names shown as the text they are, totals as in the CSV.
    shown = {}
    for row in page.locator("#heat-map tbody tr").all():
        shown[row.locator("a").inner_text()] = row.locator("td").last.inner_text()
    assert set(shown) == set(graded["rows"])
    for name, row in graded["rows"].items():
        assert shown[name].replace(" ", "") == f"{float(row['total']):g}/{row['max']}"

    # Lessons that could not be graded, and why; the HTML in a test message shows as text.
    cells = [row.locator("td").all_inner_texts() for row in page.locator("#not-graded-table tbody tr").all()]
    assert {tuple(texts[:3]) for texts in cells} == NOT_GRADED
    assert any(HTML_MESSAGE in texts[3] for texts in cells)

    # Every student's link opens their own feedback file.
    for link in page.locator("a.feedback").all():
        name, address = link.inner_text(), link.evaluate("link => link.href")
        feedback = Path(unquote(urlparse(address).path))
        assert feedback.parent == graded["work"] / "feedback" and feedback.is_file(), address
        assert feedback.stem == name

    screenshot = tmp_path / "report.png"
    page.screenshot(path=screenshot, full_page=True)
    print(f"screenshot of the report: {screenshot}")
    assert screenshot.stat().st_size > 10_000


def test_the_browser_is_the_first_installed_of_the_headless_shell_chromium_and_google_chrome(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert chromium_path() is None
    for name in ["google-chrome", "chromium", "chromium-headless-shell"]:  # each preferred to those before it
        program = tmp_path / name
        program.write_text("#!/bin/sh\n")
        program.chmod(0o755)
        assert chromium_path() == str(program)
