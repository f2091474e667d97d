"""The course's pytest plugin (enabled in pyproject.toml): the --target and --database options, and failure
reports that say which TODO of the lesson to look at.

    pytest                                  # the reference solutions (default)
    pytest --target lessons                 # the learner's work
    pytest --target path/to/submission      # a folder laid out like lessons/ (or like this repository)
    pytest --database postgresql            # lessons with a database run on PostgreSQL instead of SQLite
    pytest --database all                   # ... on both, one after the other
"""
from pathlib import Path

import pytest

from course.lessons import find_lesson, target_folder


def pytest_addoption(parser):
    parser.addoption(
        "--target",
        default="solutions",
        help="where the lesson folders are: solutions (default), lessons, or a path to a submission",
    )
    parser.addoption(
        "--database",
        default="sqlite",
        choices=("sqlite", "postgresql", "all"),
        help="the database of the lessons that have one: sqlite (default, in memory), postgresql (a throwaway "
        "server the tests start; Debian package postgresql), or all (each test on both)",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "todo(n, ...): the test checks the lesson's TODO n (and any others named)")
    try:
        config.target_folder = target_folder(config.getoption("--target"))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    database = config.getoption("--database")
    config.databases = ["sqlite", "postgresql"] if database == "all" else [database]


def lesson_of(test_module):
    """tests/test_02_login.py belongs to lesson 02_login."""
    return find_lesson(Path(test_module.__file__).stem.removeprefix("test_"))


def pytest_collection_modifyitems(items):
    for item in items:
        marker = item.get_closest_marker("todo")
        for number in marker.args if marker else ():
            item.user_properties.append(("todo", number))  # lands in --junitxml reports


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    marker = item.get_closest_marker("todo")
    if marker and report.failed:
        lesson = lesson_of(item.module)
        advice = "\n".join(f"lessons/{lesson.id}: TODO {number}. {lesson.todo(number)}" for number in marker.args)
        report.sections.append(("What to do", advice))
    return report
