"""The course checks itself: every lesson is complete, and its tests can tell a starter from a solution.

That every test passes on the solution needs no test here: the lessons' tests run against the solutions (the
default --target) in this same pytest run. That they fail on the starters is checked below, with all the
starters in one separate pytest process, so that each lesson adds the cost of its own tests once.
"""
import pytest

from conftest import TEST_SETTINGS, close_database
from course.lessons import ROOT, all_lessons
from course.loader import load_app_module
from course.regions import lesson_files, outside_regions, todo_numbers
from course.runner import run_tests

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


@pytest.fixture(scope="module")
def starter_runs():
    """Every lesson's tests against the untouched starters, in one pytest process (course/runner.py)."""
    return run_tests(LESSONS, ROOT / "lessons", timeout=300)


@lesson_ids
def test_every_todo_test_fails_on_the_starter(lesson, starter_runs):
    run = starter_runs[lesson.id]
    assert not run.problem, run.problem
    todo_outcomes = [outcome for outcome in run.outcomes if outcome.todos]
    # A test marked with a TODO fails on the starter in at least one variant (with TESTING on or off, say: some
    # checks fail only in production); an unmarked test passes in every one (course/scoring.py relies on both).
    functions = {outcome.name.split("[", 1)[0] for outcome in todo_outcomes}
    passing = [name for name in functions
               if all(outcome.passed for outcome in todo_outcomes if outcome.name.split("[", 1)[0] == name)]
    assert not passing, f"tests marked with a TODO pass on the untouched starter: {passing}"
    broken = [outcome.name for outcome in run.outcomes if not outcome.todos and not outcome.passed]
    assert not broken, f"unmarked tests must pass on the starter (see course/scoring.py); these fail: {broken}"
    tested = {number for outcome in todo_outcomes for number in outcome.todos}
    assert tested == set(range(1, len(lesson.todos) + 1)), "each TODO has tests"


@lesson_ids
def test_lessons_toml_says_which_lessons_have_a_database(lesson):
    """`database = true` makes a lesson's tests run on PostgreSQL too (pytest --database): none may be missed."""
    app = load_app_module(ROOT / "solutions" / lesson.id).create_app(dict(TEST_SETTINGS))
    close_database(app)
    assert ("sqlalchemy" in app.extensions) == lesson.database, "set `database = true` in lessons.toml"


def test_ci_runs_the_test_command_the_readme_gives():
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert f"```bash\n{ci_command}\n```" in (ROOT / "README.md").read_text()


@lesson_ids
def test_the_readme_table_says_what_lessons_toml_says(lesson):
    row = f"| {lesson.id[:2]} | [{lesson.title}](lessons/{lesson.id}/README.md) | {lesson.concept} | {lesson.builds} |"
    assert row in (ROOT / "README.md").read_text()
