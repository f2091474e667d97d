"""The course checks itself: every lesson is complete, and its tests can tell a starter from a solution."""
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

from course.lessons import ROOT, all_lessons
from course.regions import lesson_files, outside_regions, todo_numbers

LESSONS = all_lessons()
lesson_ids = pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])



@lesson_ids
def test_every_part_of_the_lesson_exists(lesson):
    for part in (
        f"lessons/{lesson.id}/app.py",
        f"lessons/{lesson.id}/README.md",
        f"lessons/{lesson.id}/.env.example",
        f"solutions/{lesson.id}/app.py",
        f"notebooks/{lesson.id}.ipynb",
        f"tests/test_{lesson.id}.py",
    ):
        assert (ROOT / part).is_file(), f"{part} is missing"


@lesson_ids
def test_the_starter_differs_from_the_solution_only_inside_todo_regions(lesson):
    starter, solution = ROOT / "lessons" / lesson.id, ROOT / "solutions" / lesson.id
    code_files = [path for path in lesson_files(starter) if path.name != "README.md"]
    assert code_files == lesson_files(solution), "the starter and the solution must have the same files"
    todos = []
    for path in code_files:
        starter_text, solution_text = (starter / path).read_text(), (solution / path).read_text()
        assert outside_regions(starter_text) == outside_regions(solution_text), f"{path} differs outside TODOs"
        assert todo_numbers(starter_text) == todo_numbers(solution_text)
        todos += todo_numbers(starter_text)
    assert sorted(set(todos)) == list(range(1, len(lesson.todos) + 1)), "lessons.toml describes each TODO"


def run_lesson_tests(lesson, target, report):
    """Run one lesson's tests in a fresh process; return pytest's exit code and its JUnit XML report."""
    command = [sys.executable, "-m", "pytest", f"tests/test_{lesson.id}.py", f"--target={target}",
               "-q", "--tb=no", f"--junitxml={report}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    return result.returncode, ElementTree.parse(report).getroot(), result.stdout


def todos_of(testcase):
    """The TODO numbers a test case is marked with (from the plugin's JUnit XML properties)."""
    return {int(found.get("value")) for found in testcase.findall("properties/property[@name='todo']")}


def failed(testcase):
    return testcase.find("failure") is not None or testcase.find("error") is not None


@lesson_ids
def test_every_todo_test_fails_on_the_starter(lesson, tmp_path):
    code, report, output = run_lesson_tests(lesson, "lessons", tmp_path / "starter.xml")
    assert code == 1, f"the starter's tests should fail (exit 1), got exit {code}:\n{output[-3000:]}"
    cases = report.findall(".//testcase")
    todo_cases = [case for case in cases if todos_of(case)]
    passing = [case.get("name") for case in todo_cases if not failed(case)]
    assert not passing, f"tests marked with a TODO pass on the untouched starter: {passing}"
    tested = set().union(*(todos_of(case) for case in todo_cases))
    assert tested == set(range(1, len(lesson.todos) + 1)), "each TODO has tests"


@lesson_ids
def test_every_test_passes_on_the_solution(lesson, tmp_path):
    code, report, output = run_lesson_tests(lesson, "solutions", tmp_path / "solution.xml")
    assert code == 0, f"the solution's tests should pass, got exit {code}:\n{output[-3000:]}"
    assert len(report.findall(".//testcase")) > 0


def test_ci_runs_the_test_command_the_readme_gives():
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert f"```bash\n{ci_command}\n```" in (ROOT / "README.md").read_text()


@lesson_ids
def test_the_readme_lists_the_lesson(lesson):
    assert f"| {lesson.id[:2]} | [{lesson.title}](lessons/{lesson.id}/README.md) |" in (ROOT / "README.md").read_text()
