"""The instructor's hidden tests (tests/hidden/): the grader runs them with the public ones, in the same sandboxed
run (counted in its plan), they count toward the TODOs they mark, and a student's feedback names a failing one
without its message or its source. (That export-student leaves them out: tests/test_student_edition.py; that they
cost a buggy TODO its points on Gradescope: tests/test_gradescope.py.)
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course.gradebook import feedback_text, todo_report
from course.grading import LessonGrade, SubmissionGrade
from course.integrity import course_files_changed
from course.lesson_run import read_reports
from course.lessons import HIDDEN_TESTS, LOCAL_FILES, ROOT, all_lessons, find_lesson
from course import runner
from course.sandbox import sandbox_problem
from servers import missing

HIDDEN = sorted((ROOT / HIDDEN_TESTS).glob("test_*.py"))
EXAMPLE = ROOT / HIDDEN_TESTS / "test_01_config.py"
EXAMPLE_WORDS = "a secret set to none in code is refused like a missing one (TODO 2)"


def test_each_hidden_module_is_a_lessons_and_its_todo_tests_fail_on_the_starter(tmp_path):
    """They pass on the reference in this very run (pytest collects tests/hidden/ with the rest); here they run
    against the starters, as tests/test_course.py runs the public ones."""
    lesson_ids = {lesson.id for lesson in all_lessons()}
    assert HIDDEN and all(path.stem.removeprefix("test_") in lesson_ids for path in HIDDEN)
    log = tmp_path / "report.jsonl"
    subprocess.run([sys.executable, "-m", "pytest", f"--report-log={log}",
                    *map(str, HIDDEN), "--target", "lessons", "-q"], cwd=ROOT, capture_output=True, timeout=300)
    reports = read_reports(log)
    assert reports and all(report["finished"] for report in reports.values())
    passing = [name for name, report in reports.items() if report["passed"]]
    assert not passing, f"hidden tests that pass on the untouched starter: {passing}"


def test_feedback_names_a_failing_hidden_test_but_never_shows_its_message():
    lesson = find_lesson("01")
    public = runner.TestOutcome("test_settings_come_from_the_environment", False, "AssertionError: PUBLIC-WORDS", [1])
    hidden = runner.TestOutcome("test_a_secret_set_to_none_in_code_is_refused_like_a_missing_one", False,
                                "AssertionError: SECRET-WORDS of the instructor's test", [2], hidden=True)
    grade = LessonGrade(lesson, runner.LessonRun(lesson.id, [public, hidden]))
    feedback = feedback_text(SubmissionGrade("student", [grade]))
    assert "PUBLIC-WORDS" in feedback and "SECRET-WORDS" not in feedback
    assert EXAMPLE_WORDS in feedback
    todo_2 = "\n".join(todo_report(grade, 2))  # what Gradescope and the GitHub summary show of TODO 2
    assert EXAMPLE_WORDS in todo_2 and "SECRET-WORDS" not in todo_2


@pytest.fixture
def graded(graded_class):
    if sandbox_problem():
        missing("bwrap", "bubblewrap")
    return graded_class


def lesson_01(graded, name):
    return next(row for row in graded["json"] if row["submission"] == name)["lessons"]["01_config"]


def test_course_grade_runs_the_hidden_tests_and_counts_them(graded):
    """The sample class (tests/conftest.py) graded by `python -m course grade`: the reference passes the hidden
    tests with the public ones, an untouched starter fails them, and its feedback names them only."""
    reference, untouched = lesson_01(graded, "reference"), lesson_01(graded, "untouched")
    assert reference["failed"] == [] and reference["tests"] == untouched["tests"], "the same tests, all passed"
    hidden_failed = [name for name in untouched["failed"] if name.startswith("test_a_secret_set_to_none_in_code")]
    assert len(hidden_failed) == 1 and untouched["hidden_failed"] == [EXAMPLE_WORDS]
    feedback = (graded["work"] / "feedback" / "untouched.md").read_text()
    assert EXAMPLE_WORDS in feedback
    source = [line.strip() for line in EXAMPLE.read_text().splitlines() if len(line.strip()) > 20]
    assert source and not [line for line in source if line in feedback], "no line of the hidden test's source"


def test_a_students_copy_of_the_course_without_the_hidden_tests_is_not_flagged(tmp_path):
    """A repository made from the student edition has tests/ without tests/hidden/: that is not a change."""
    ignore = shutil.ignore_patterns(*LOCAL_FILES, Path(HIDDEN_TESTS).name)
    for part in ("course", "tests"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    assert course_files_changed(tmp_path) == []
    (tmp_path / "tests" / "test_01_config.py").write_text("def test_nothing():\n    pass\n")
    assert course_files_changed(tmp_path) == ["its tests/ differs from the course's (grading used the course's own)"]
