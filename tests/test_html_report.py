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
              ("renamed_app", "02_login", "error at import"), ("syntax_error", "02_login", "syntax error")}


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

    # TODOs done, of 24: lesson 01's TODO 1 by the 16 with a working lesson 01 (not the four starters, the three
    # broken in it, the folder without lessons), TODO 2 by the same but the one that did only TODO 1; lesson 02's
    # by the 12 with a working lesson 02 (not the five starters, the seven broken in it, the folder without lessons).
    done = [row.locator("td").all_inner_texts()[:3] for row in page.locator("#todo-table tbody tr").all()]
    assert done == [["01 Config", "1", "16 of 24"], ["01 Config", "2", "15 of 24"],
                    ["02 Login", "1", "12 of 24"], ["02 Login", "2", "12 of 24"], ["02 Login", "3", "12 of 24"]]

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
        assert name in feedback.read_text()

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
