"""The course's pytest plugin (enabled in pyproject.toml): the --target and --database options, and failure
reports that say which TODO of the lesson to look at.

    pytest                                  # the reference solutions (default)
    pytest --target lessons                 # the learner's work
    pytest --target path/to/submission      # a folder laid out like lessons/ (or like this repository)
    pytest --database postgresql            # lessons with a database run on PostgreSQL instead of SQLite
    pytest --database all                   # ... on both, one after the other
    pytest --staged                         # as `python -m course check` runs them: see "Checking in stages"
"""
import functools
import logging
import re
from pathlib import Path

import pytest

from course import evidence
from course.lessons import ROOT, find_lesson, target_folder
from course.scoring import todo_shares


def pytest_addoption(parser):
    parser.addoption(
        "--target",
        default="solutions" if (ROOT / "solutions").is_dir() else "lessons",  # a student edition has no solutions/
        help="where the lesson folders are: solutions (default), lessons, or a path to a submission",
    )
    parser.addoption(
        "--database",
        default="sqlite",
        choices=("sqlite", "postgresql", "all"),
        help="the database of the lessons that have one: sqlite (default, in memory), postgresql (a throwaway "
        "server the tests start; Debian package postgresql), or all (each test on both)",
    )
    parser.addoption(
        "--staged",
        action="store_true",
        help="run each test file's in-process tests first, and its tests that start Redis, gunicorn, PostgreSQL or "
        "a browser only once those all pass (python -m course check does)",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "todo(n, ...): the test checks the lesson's TODO n (and any others named)")
    try:
        config.target_folder = target_folder(config.getoption("--target"))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    database = config.getoption("--database")
    config.databases = ["sqlite", "postgresql"] if database == "all" else [database]
    if config.getoption("--target") != "solutions":
        # pyproject.toml turns every warning into an error: right for the course's code and the reference, but a
        # learner's working code that calls an API its library deprecates (User.query.get) must not fail. A
        # warning attributed to one of the submission's modules is only recorded; the grader shows it as advice.
        names = submission_module_names(config.target_folder)
        if names:
            config.addinivalue_line("filterwarnings", f"always::Warning:^({'|'.join(map(re.escape, names))})$")


def pytest_report_header(config):
    """Which lesson folders are tested, first thing in pytest's output: without --target, the reference."""
    folder = config.target_folder
    if config.getoption("--target") == "solutions":
        return f"target: {folder} (the reference solutions; your work: --target lessons, or python -m course check NN)"
    return f"target: {folder}"


def pytest_terminal_summary(terminalreporter, exitstatus):
    """pytest run where there are no tests (inside lessons/, say) collects nothing: say where to run it from."""
    here = Path.cwd().resolve()
    if exitstatus != pytest.ExitCode.NO_TESTS_COLLECTED or here == ROOT:
        return
    lesson_id = next((part for part in here.parts if re.fullmatch(r"\d\d_\w+", part)), "NN_slug")  # inside one?
    terminalreporter.write_line(
        f"No tests here: the course's tests are in {ROOT / 'tests'}. From {ROOT}, run\n"
        f"    python -m course check {lesson_id[:2]}\n"
        f"or  python -m pytest tests/test_{lesson_id}.py --target lessons", yellow=True)


def submission_module_names(folder):
    """The module names a submission's lessons import their own files by (app, models, ...): the loader puts a
    lesson folder first on sys.path, so while a lesson runs, a module of that name is the lesson's."""
    return sorted({path.stem for path in folder.glob("*/*.py") if not path.stem.startswith(("test_", "conftest"))}
                  | {path.parent.name for path in folder.glob("*/*/__init__.py")})


@functools.cache  # asked for every test that has a todo marker: lessons.toml is read once per module
def lesson_of(test_module):
    """tests/test_02_login.py belongs to lesson 02_login."""
    return find_lesson(Path(test_module.__file__).stem.removeprefix("test_"))


@pytest.hookimpl(trylast=True)  # after pytest's own reordering, so that in_process_first has the last word
def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("todo")
        for number in marker.args if marker else ():
            # These land in --junitxml reports: the TODO, its share of the points, and what to do.
            lesson = lesson_of(item.module)
            item.user_properties += [("todo", number), ("points", f"{todo_shares(lesson)[number]} of {lesson.points}"),
                                     ("what_to_do", f"lessons/{lesson.id}: TODO {number}. {lesson.todo(number)}")]
    if config.getoption("--staged"):
        in_process_first(items)


def pytest_sessionstart(session):
    """A JUnit report of a submission is named after it (not "pytest")."""
    from _pytest.junitxml import xml_key  # pytest's own JUnit writer, where the suite's name is kept

    report = session.config.stash.get(xml_key, None)
    if report is not None and session.config.getoption("--target") != "solutions":
        report.suite_name = session.config.target_folder.name if session.config.target_folder.name != "lessons" \
            else session.config.target_folder.parent.name


def stop_reason(error):
    """SystemExit(3) -> "SystemExit(3): the lesson's code must not stop the program"."""
    return f"{type(error).__name__}({', '.join(map(repr, error.args))}): the lesson's code must not stop the program"


# --- Checking in stages (--staged) ----------------------------------------------------------------------------
# A learner waiting for `check` wants the first failure fast. The tests that start a program of their own (a server,
# a browser) take seconds; the others run inside pytest's process in milliseconds. So under --staged each test
# file's in-process tests run first, and its other tests only once those all pass: until then each is reported as
# skipped, "not run yet", and counts as not passed (its TODO is not done yet).

# The fixtures that start a program of their own, and the program as a learner knows it.
PROGRAMS = {"redis_server": "Redis", "gunicorn": "gunicorn", "postgresql_server": "PostgreSQL", "browser": "a browser"}
NOT_RUN_YET = "not run yet:"  # how the reason of such a skip starts (the runner and `check` look for it)
NOT_RUN = "not run:"  # ... and of the skip of the tests after one that hung (see pytest_runtest_makereport)
IN_PROCESS_FAILED = pytest.StashKey[set]()  # the test files whose in-process tests did not all pass
HUNG = pytest.StashKey[dict]()  # {test file: the name of its test that ran out of time}
RUNNING = pytest.StashKey[object]()  # the test being run


def programs_started(item):
    """The programs a test starts through its fixtures: ["Redis", "gunicorn"], or [] for an in-process test."""
    return [name for fixture, name in PROGRAMS.items() if fixture in item.fixturenames]


def in_process_first(items):
    """In each test file, the in-process tests first, then the others (each group keeps its order). Each test that
    starts programs says which in its report (user property "needs"): `check` says so when they start."""
    first_place = {}
    for index, item in enumerate(items):
        first_place.setdefault(item.path, index)
        if programs_started(item):
            item.user_properties.append(("needs", ", ".join(programs_started(item))))
    items.sort(key=lambda item: (first_place[item.path], bool(programs_started(item))))


def not_run_yet(programs, item):
    if item.path in item.config.stash.get(IN_PROCESS_FAILED, set()):
        pytest.skip(f"{NOT_RUN_YET} it starts {' and '.join(programs)}, once the tests that start nothing pass")


def pytest_runtest_setup(item):
    item.config.stash[RUNNING] = item
    hung = item.config.stash.get(HUNG, {}).get(item.path)
    if hung:
        pytest.skip(f"{NOT_RUN} {hung} ran out of time before it, and this one would most likely hang on the same code")
    if item.config.getoption("--staged") and programs_started(item):
        not_run_yet(programs_started(item), item)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """A test may ask for a server while it runs (request.getfixturevalue): under --staged the same rule holds.
    (The skip comes before pytest's own setup of the fixture, which would keep it for the tests after.)"""
    item = request.config.stash.get(RUNNING, None)
    if request.config.getoption("--staged") and fixturedef.argname in PROGRAMS and item is not None:
        not_run_yet([PROGRAMS[fixturedef.argname]], item)
    return (yield)


# --- What a failure leaves behind (course/evidence.py) ------------------------------------------------------------

LOGGED = pytest.StashKey[evidence.LoggedErrors]()
PAGE_ERRORS = pytest.StashKey[list]()  # the browser fixtures put the page's JavaScript errors here (conftest.py)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item):
    """Listen to the log while the test runs (setup, call and teardown): a 500 answer's exception is logged there."""
    item.stash[LOGGED] = logged = evidence.LoggedErrors()
    logging.getLogger().addHandler(logged)
    try:
        return (yield)
    finally:
        logging.getLogger().removeHandler(logged)
        del item.stash[LOGGED]  # its records hold tracebacks, and with them the test's apps: not for the whole run


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A KeyboardInterrupt raised by a submission's own code (not a real Ctrl-C) fails this test, instead of
    stopping the whole run. SystemExit needs nothing: pytest already counts it as this test's failure."""
    try:
        return (yield)
    except KeyboardInterrupt as error:
        if not raised_in(error, item.config.target_folder):
            raise
        raise pytest.fail.Exception(stop_reason(error), pytrace=False) from None


def raised_in(error, folder):
    """Whether the innermost frame of the error's traceback is a file under `folder`."""
    traceback = error.__traceback__
    while traceback.tb_next:
        traceback = traceback.tb_next
    return Path(traceback.tb_frame.f_code.co_filename).resolve().is_relative_to(folder)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if not report.failed:
        return report
    if not programs_started(item):  # an in-process test failed: its file's other tests wait (--staged)
        item.config.stash.setdefault(IN_PROCESS_FAILED, set()).add(item.path)
    folder = item.config.target_folder
    logged = evidence.logged_error(item.stash[LOGGED], folder) if LOGGED in item.stash else ""
    if logged:
        report.sections.append((evidence.LOGGED_ERROR, logged))
    if timed_out(call):
        where = evidence.stuck_at(call.excinfo.tb, folder) or "not in the lesson's code"
        report.sections.append((evidence.STUCK_AT, where))
        # The file's next tests would most likely hang on the same code, each for the whole limit: they are skipped.
        item.config.stash.setdefault(HUNG, {})[item.path] = item.name
    page_errors = item.stash.get(PAGE_ERRORS, [])
    if page_errors:
        report.sections.append((evidence.PAGE_ERRORS, "\n".join(page_errors)))
    marker = item.get_closest_marker("todo")
    if marker:
        lesson = lesson_of(item.module)
        advice = "\n".join(f"lessons/{lesson.id}: TODO {number}. {lesson.todo(number)}" for number in marker.args)
        report.sections.append(("What to do", advice))
    return report


def timed_out(call):
    """Whether pytest-timeout stopped the test (its exception: "Failed: Timeout (>10.0s) from pytest-timeout.")."""
    return (call.excinfo is not None and call.excinfo.errisinstance(pytest.fail.Exception)
            and str(call.excinfo.value).startswith("Timeout"))
