"""Fixtures every lesson's tests share. Which lesson folder they load comes from --target, which database
the app uses from --database (see course/pytest_plugin.py).
"""
import csv
import fcntl
import functools
import gc
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event
from werkzeug.exceptions import NotFound

from course.browser import chromium_path, launch, page_errors, reset
from course.lessons import ROOT
from course.loader import import_problem, load_app_module
from course.notebook import LessonServer
from course.pytest_plugin import PAGE_ERRORS, lesson_of, stop_reason
from course.regions import lesson_files
from course.sample_submissions import make_class
from course.servers import kept
from servers import GunicornServer, PostgreSQL, missing, sqlite_files_folder, start_redis, started



def private_pem(private_key):
    """A private key as the PEM text a key file holds (unencrypted PKCS #8, as `keytool make-keys` writes it)."""
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()


TEST_SECRET = "a-test-only-secret-that-is-long-enough-for-hs256"
# Lesson 10 on signs with a private key: an Ed25519 one, made afresh in each test run (instantly), never committed.
TEST_PRIVATE_KEY = Ed25519PrivateKey.generate()
TEST_SETTINGS = {
    "JWT_SECRET_KEY": TEST_SECRET,
    "JWT_PRIVATE_KEY": private_pem(TEST_PRIVATE_KEY),  # lessons before 10 sign with HS256 and ignore it
    "SQLALCHEMY_DATABASE_URI": "sqlite://",  # a fresh in-memory database for every app
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",  # cheap hashing, for tests only
}
# Variables the lessons read; removed from the environment so a developer's shell cannot change results.
LESSON_VARIABLES = re.compile(r"^(JWT_|DATABASE_URL$|SQLALCHEMY_|PASSWORD_HASH)")
LESSON_TEST_MODULE = re.compile(r"^test_\d\d_")
GRADER_VARIABLES = ("PATH", "HOME")
MODES = ["testing", "production"]


# The files that take longest, longest first (measured with --durations). pytest-xdist hands out whole files
# (--dist loadfile) in the order they were collected: the long ones first, so that both workers end together.
SLOWEST_FILES = ["test_notebooks.py", "test_cli.py", "test_hardening.py", "test_grading.py", "test_course.py"]


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):  # xdist's own order, files with most tests first: not ours
        config.option.loadscopereorder = False


def slow_files_first(item):
    name = item.path.name
    return SLOWEST_FILES.index(name) if name in SLOWEST_FILES else len(SLOWEST_FILES)


def pytest_collection_modifyitems(config, items):
    """Tests of the course itself (not of a lesson) run only against the reference solutions."""
    items.sort(key=slow_files_first)  # a stable sort: each file's tests keep their order
    if config.getoption("--target") == "solutions":
        return
    # Against a submission only the lessons' tests run: the others are left out, so a report lists only those.
    course_tests = [item for item in items if not LESSON_TEST_MODULE.match(item.module.__name__.rsplit(".", 1)[-1])]
    if course_tests:
        config.hook.pytest_deselected(items=course_tests)
        items[:] = [item for item in items if item not in course_tests]


def pytest_generate_tests(metafunc):
    """Run each test that asks for `mode` with TESTING on and off; with --database all, run each test that asks
    for a database (a lesson's that has one, or a course test's of such lessons) on each database. On PostgreSQL
    a test runs only as in production: TESTING changes how errors are answered, not what the database does, so
    both ways on SQLite are enough."""
    databases = metafunc.config.databases
    on_each_database = ("database" in metafunc.fixturenames and len(databases) > 1
                        and has_a_database(metafunc.module))
    if "mode" in metafunc.fixturenames and on_each_database:
        runs = [("testing", "sqlite"), ("production", "sqlite"), ("production", "postgresql")]
        metafunc.parametrize(["mode", "database"], runs, indirect=True, ids=["-".join(run) for run in runs])
    elif "mode" in metafunc.fixturenames:
        metafunc.parametrize("mode", MODES, indirect=True)
    elif on_each_database:
        metafunc.parametrize("database", databases, indirect=True)


def pytest_collection_finish(session):
    """What is imported by now (pytest, Flask, the tests...) lives as long as the run: gc.freeze() takes it out of
    the garbage collector's sight, so that its passes, pytest's full one at the end included, look only at what
    the tests make; app_module does the same once the first lesson's app is imported. Measured on lesson 08's
    tests (gc.callbacks): 0.2 s in the collector, 0.8 s with this freeze only, 2 s with neither."""
    gc.freeze()


# --- The lesson under test -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lesson(request):
    return lesson_of(request.module)


@pytest.fixture(scope="module")
def lesson_folder(request, lesson):
    folder = request.config.target_folder / lesson.id
    if not folder.is_dir():
        pytest.fail(f"lesson {lesson.id} is missing from {request.config.target_folder}", pytrace=False)
    return folder


@contextmanager
def stopping_fails_the_test(doing):
    """A lesson's code that raises SystemExit or KeyboardInterrupt (a sys.exit() in create_app, say) fails the
    test that ran it, with the reason. Let through a fixture, either would leave pytest's fixtures broken and
    cost every later test, of every lesson. (app_module does the same for imports, and course/pytest_plugin.py
    for a test's own body.)"""
    try:
        yield
    except (SystemExit, KeyboardInterrupt) as error:
        pytest.fail(f"{doing} raised {stop_reason(error)}", pytrace=False)


@pytest.fixture
def app_module(lesson_folder):
    """The lesson's app.py, imported on its own (see course/loader.py)."""
    first_import = "app" not in sys.modules
    try:
        module = load_app_module(lesson_folder)
    except (Exception, SystemExit, KeyboardInterrupt) as error:  # the grader says it once per lesson
        pytest.fail(import_problem(error, lesson_folder), pytrace=False)
    if first_import:
        gc.freeze()  # SQLAlchemy and the rest the app brought in live as long as the run (pytest_collection_finish)
    return module


@pytest.fixture(autouse=True)
def clean_environment(request, monkeypatch):
    """A lesson's tests see only what GitHub Classroom's grader passes on (PATH and HOME), so that passing here
    means passing there. Other tests lose the lessons' own variables: a developer's shell cannot change results."""
    lesson_test = LESSON_TEST_MODULE.match(request.module.__name__.rsplit(".", 1)[-1])
    for name in list(os.environ):
        keep = not lesson_test or name in GRADER_VARIABLES or name.startswith("PYTEST_")  # pytest's own
        if LESSON_VARIABLES.match(name) or not keep:
            monkeypatch.delenv(name)


@pytest.fixture
def mode(request):
    """Run a test twice: with TESTING on, and off as in production (where Flask-RESTful hides bugs)."""
    return request.param  # each of MODES in turn (see pytest_generate_tests)


# --- The database ----------------------------------------------------------------------------------------

@functools.cache  # once per test module: lessons.toml is read each time a lesson is looked up
def has_a_database(test_module):
    """Whether the module tests apps that have a database: a lesson's tests if lessons.toml says so; the course's
    own tests that ask for a database test lessons that have one."""
    if LESSON_TEST_MODULE.match(test_module.__name__.rsplit(".", 1)[-1]):
        return lesson_of(test_module).database
    return True


@pytest.fixture
def database(request):
    """The database --database names (each in turn with --database all); SQLite for a lesson without one."""
    if hasattr(request, "param"):
        return request.param
    return request.config.databases[0] if has_a_database(request.module) else "sqlite"


@pytest.fixture(scope="session")
def postgresql_server():
    """One throwaway PostgreSQL server for the whole run (for each xdist worker), started when a test first
    needs it (see servers.py)."""
    server = PostgreSQL().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One redis-server for the whole run (for each xdist worker), started when a test first needs it; each test
    empties the database it uses (redis_url). In a check of `course watch`, the one it keeps for all its checks."""
    if "redis" in kept:
        yield kept["redis"]
        return
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The URL of an empty Redis database (number 0), for one test."""
    with redis_server.client() as client:
        client.flushdb()
    return redis_server.url


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn(app_folder, environment, workers=2, **options) starts an app under gunicorn with several worker
    processes (course/servers.py's GunicornServer, which says what the options are); call .ready() on it before
    the first request. Each one is stopped at the end of the test module, so that the module's tests can share
    servers that take a second to start."""
    folder = tmp_path_factory.mktemp("gunicorn")
    servers = []

    def start(app_folder, environment, workers=2, **options):
        servers.append(started(lambda: GunicornServer(folder, app_folder, environment, workers, **options)))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sqlite_folder():
    """A temporary folder for a test's SQLite files, in RAM where there is a tmpfs (servers.sqlite_files_folder)."""
    with sqlite_files_folder() as folder:
        yield Path(folder)


@pytest.fixture
def database_url(request, database):
    """A fresh empty database for one test: SQLite in memory, or a schema of its own on the PostgreSQL server."""
    if database == "sqlite":
        yield TEST_SETTINGS["SQLALCHEMY_DATABASE_URI"]
        return
    server = request.getfixturevalue("postgresql_server")
    schema = server.new_schema()
    yield server.url(schema=schema)
    server.drop_schema(schema)


def close_database(app):
    """Close the app's database connections (a test's apps live only as long as the test)."""
    database = app.extensions.get("sqlalchemy")
    if database is not None:
        with app.app_context():
            for engine in database.engines.values():
                engine.dispose()


# --- The app ---------------------------------------------------------------------------------------------

@pytest.fixture
def make_app(app_module, mode, database_url):
    """Build the lesson's app with the test settings, plus any overrides."""
    apps = []

    def make(**overrides):
        settings = {**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": mode == "testing"}
        with stopping_fails_the_test("create_app()"):
            apps.append(app_module.create_app({**settings, **overrides}))
        return apps[-1]

    yield make
    for app in apps:
        close_database(app)


@pytest.fixture(scope="module")
def shared_apps():
    """The apps app_with() hands out in one test module: {(mode, database, settings): app}. Closed at the end of
    the module, their PostgreSQL schemas dropped."""
    apps, schemas = {}, []
    yield apps, schemas
    for app in apps.values():
        close_database(app)
    for server, schema in schemas:
        server.drop_schema(schema)


@pytest.fixture
def app_with(request, app_module, mode, database, shared_apps):
    """app_with(**settings): the lesson's app with the test settings plus `settings`, its database empty.

    Building an app costs more than emptying its database: Flask compiles every route, SQLAlchemy creates the
    tables and compiles each query once per engine. So the tests of a module share one app per mode, database
    and settings, emptied before each test that asks for it (ids start at 1 again). A test that changes the app
    itself (adds a route, say) builds one of its own with make_app()."""
    apps, schemas = shared_apps

    def shared(**overrides):
        key = (mode, database, repr(sorted(overrides.items())))
        if key in apps and emptied(apps[key]):
            return apps[key]
        if key in apps:  # it could not be emptied (a submission's odd tables?): start again from a new one
            close_database(apps.pop(key))
        url = TEST_SETTINGS["SQLALCHEMY_DATABASE_URI"]
        if database == "postgresql":
            server = request.getfixturevalue("postgresql_server")
            schemas.append((server, server.new_schema()))
            url = server.url(schema=schemas[-1][1])
        settings = {**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": url, "TESTING": mode == "testing"}
        with stopping_fails_the_test("create_app()"):
            apps[key] = app_module.create_app({**settings, **overrides})
        return apps[key]

    return shared


@pytest.fixture
def app(app_with):
    """The lesson's app with the test settings, its database empty (shared: see app_with)."""
    return app_with()


def emptied(app):
    """Delete every row of the app's tables and restart their ids at 1; False if that failed."""
    database = app.extensions.get("sqlalchemy")
    if database is None:
        return True  # nothing kept between requests but the app's settings
    try:
        with app.app_context():
            session, tables = database.session, database.metadata.sorted_tables
            if database.engine.dialect.name == "postgresql":
                names = ", ".join(database.engine.dialect.identifier_preparer.format_table(table) for table in tables)
                session.execute(database.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(tables):  # the tables that point at others first (foreign keys)
                    session.execute(table.delete())
                if session.execute(database.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).all():
                    session.execute(database.text("DELETE FROM sqlite_sequence"))  # AUTOINCREMENT's counters
            session.commit()
        return True
    except Exception:  # noqa: BLE001 - whatever went wrong, a new app is the way out
        return False


@pytest.fixture
def client(app):
    return app.test_client()


class AppSlot:
    """A WSGI app that hands each request to the app a test put in it (see serve); 404 when it holds none."""

    def __init__(self):
        self.app = NotFound()

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def idle_servers():
    """[(threaded server, its AppSlot)] that tests have finished with, for the next serve() to reuse."""
    servers = []
    yield servers
    with ThreadPoolExecutor() as pool:  # each stop waits for its server's loop to notice: all at once
        list(pool.map(lambda idle: idle[0].stop(), servers))


@pytest.fixture
def serve(idle_servers):
    """Serve an app on a real threaded server (127.0.0.1, a free port) for one test: serve(app).url("/path").

    Stopping a server waits for its loop to notice (up to 50 ms, at each stop), so tests reuse the servers of the
    tests before them: each test puts its own app in a server's slot and takes it out at the end."""
    taken = []

    def start(app):
        server, slot = idle_servers.pop() if idle_servers else started_server()
        slot.app = app
        taken.append((server, slot))
        return server

    yield start
    for _, slot in taken:
        slot.app = NotFound()  # nothing of this test answers the next one
    idle_servers.extend(taken)


def started_server():
    slot = AppSlot()
    return LessonServer(slot).start(), slot


def decode(token, **options):
    """The claims of a token signed with the test secret (signature checked)."""
    return jwt.decode(token, TEST_SECRET, algorithms=["HS256"], options=options)


class AuthActions:
    """Register and log in through the API, as a client would (like the AuthActions of Flask's tutorial)."""

    PASSWORD = "correct horse battery"

    def __init__(self, client):
        self.client = client

    def register(self, username="alice", password=PASSWORD):
        return self.client.post("/register", json={"username": username, "password": password})

    def login(self, username="alice", password=PASSWORD):
        return self.client.post("/login", json={"username": username, "password": password})

    def token(self, username="alice", password=PASSWORD):
        """Register (if needed) and log in; return the access token."""
        self.register(username, password)
        response = self.login(username, password)
        assert response.status_code == 200, f"logging in as {username} failed: {response.get_json()}"
        return response.get_json()["access_token"]


def assert_same_answer(**answers):
    """Two responses that must not differ (a login must not tell who has an account), each named in the failure:
    assert_same_answer(wrong_password=..., unknown_user=...). Neither is "the expected one"."""
    (first, one), (second, other) = answers.items()
    assert (one.status_code, one.get_json(silent=True)) == (other.status_code, other.get_json(silent=True)), (
        f"these two answers must be the same:\n{described(first, one)}\n{described(second, other)}")


def described(name, response):
    """wrong_password, <401 response> -> "wrong password: 401 {'message': '...'}", the body in full."""
    body = response.get_json(silent=True) or response.get_data(as_text=True)
    return f"{name.replace('_', ' ')}: {response.status_code} {body}"


@pytest.fixture
def auth(client):
    return AuthActions(client)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


SHAPE_KEYS = {"status", "code", "message"}


def assert_error_shape(response, status, code):
    """The response is the course's one error shape (lesson 05 on), with this status and code;
    every 401 also says how to authenticate (WWW-Authenticate)."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.get_data()}"
    assert response.is_json, f"expected a JSON body, got {response.content_type}"
    body = response.get_json()
    assert SHAPE_KEYS <= set(body) <= SHAPE_KEYS | {"errors"}, f"the body has keys {sorted(body)}"
    assert (body["status"], body["code"]) == (status, code)
    assert isinstance(body["message"], str) and body["message"]
    assert response.status_code != 401 or response.headers["WWW-Authenticate"].startswith("Bearer")
    return body


def run_sql(app, statement):
    """Run SQL on the app's database, outside any request; return the rows as dicts."""
    database = app.extensions["sqlalchemy"]
    with app.app_context():
        result = database.session.execute(database.text(statement))
        rows = [dict(row._mapping) for row in result] if result.returns_rows else []
        database.session.commit()
        return rows


def table_rows(app, table):
    """Every row of a database table, in the order of its first column (the id): tests check what was (or was
    not) saved. Without ORDER BY, PostgreSQL may return rows in any order (an updated row moves)."""
    return run_sql(app, f"SELECT * FROM {table} ORDER BY 1")


@contextmanager
def before_each_statement(app, callback):
    """Call `callback(connection, cursor, statement, parameters, context, executemany)` before each SQL statement
    the app's engine sends while the `with` lasts (SQLAlchemy's before_cursor_execute event): to count what a
    request asks, or to make one statement fail as an outage would."""
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    event.listen(engine, "before_cursor_execute", callback)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", callback)


@contextmanager
def failing_once(app, statement_start):
    """The first SQL statement the app sends that starts with `statement_start` fails, as a database outage would;
    yields the list of the statements that failed (one, once it has)."""
    failures = []

    def fail_once(connection, cursor, statement, parameters, context, executemany):
        if statement.startswith(statement_start) and not failures:
            failures.append(statement)
            raise RuntimeError("the database is unavailable (a test's engine event)")

    with before_each_statement(app, fail_once):
        yield failures


def post_again_after_deleting_alice_in_one_app_context(app, client, alice, post):
    """POST `post` twice with alice's token inside one app context the caller pushed (as a test or a CLI command
    would: the requests share it, flask.g and the database session included), alice deleted in that session
    between the two; the second answer."""
    database = app.extensions["sqlalchemy"]
    with app.app_context():
        assert client.post("/blogs", json=post, headers=bearer(alice)).status_code == 201
        database.session.execute(database.text("DELETE FROM users WHERE username = 'alice'"))
        database.session.commit()
        return client.post("/blogs", json=post, headers=bearer(alice))


@contextmanager
def statements_sent(app):
    """The SQL statements the app sends while the `with` lasts, each on one line (spaces folded)."""
    sent = []

    def note(connection, cursor, statement, *rest):
        sent.append(" ".join(statement.split()))

    with before_each_statement(app, note):
        yield sent


# --- Programs the tests start --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (see course/browser.py), started once per test process."""
    if chromium_path() is None:
        missing("chromium", "chromium")
    from playwright.sync_api import sync_playwright  # imported here: only browser tests need it

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def browser_tab(browser):
    """One browser tab for all the tests of a module (see `page`)."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    # A script that fails (a syntax error stops app.js whole; an error in an async function rejects its promise)
    # marks the page, so that a test waiting for what the script would show can stop at once
    # (tests/test_09_cookies_and_csrf.py: SCRIPT_FAILED) instead of at its time limit.
    context.add_init_script("for (const kind of ['error', 'unhandledrejection']) "
                            "addEventListener(kind, () => { document.documentElement.dataset.scriptFailed = 'y'; })")
    yield context.new_page()
    context.close()


@pytest.fixture
def page(request, browser_tab):
    """The module's browser tab, with no cookies, storage or cache from other tests: after each test it is reset
    (course/browser.py). Listeners and routes a test adds to it (page.on, page.route) stay for the module's
    later tests: remove them at the end of the test. The page's JavaScript errors are shown under a failure."""
    visited = []
    note = lambda frame: visited.append(frame.url)  # every page and frame the test opened
    browser_tab.on("framenavigated", note)
    with page_errors(browser_tab) as errors:
        request.node.stash[PAGE_ERRORS] = errors  # course/pytest_plugin.py adds them to the failure's report
        yield browser_tab
    browser_tab.remove_listener("framenavigated", note)
    reset(browser_tab, visited)


# --- One graded class, for the grader's tests and the report's ------------------------------------------------

def fingerprint(folder):
    """Every file under `folder` and a hash of its content: to prove that grading changed nothing. Local state
    (course/lessons.py's LOCAL_FILES: caches, kept verdicts, databases) is left out: other tests running meanwhile
    write it, and grading never reads it."""
    return {str(path): hashlib.sha256((folder / path).read_bytes()).hexdigest() for path in lesson_files(folder)}


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """The sample class (course/sample_submissions.py) graded once with lessons 01 and 02 by `python -m course
    grade`, its report written beside the CSV; return what the grader wrote and printed. Grading is the slow part
    and both tests/test_grading.py and tests/test_html_report.py read it: with pytest-xdist they may run in two
    processes, so the first one grades (holding a lock in the run's shared temporary folder) and writes down what
    it got; the other reads that."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder every worker of this run has in common
    work = shared / "graded_class"
    with open(shared / "graded_class.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not (work / "run.json").exists():
            grade_the_class(work)
    run = json.loads((work / "run.json").read_text())
    assert run["returncode"] == 0, run["stderr"][-2000:]
    with open(work / "grades.csv") as file:
        rows = {row["submission"]: row for row in csv.DictReader(file)}
    return {**run, "rows": rows, "work": work, "report": work / "grades.html",
            "json": json.loads((work / "grades.json").read_text())["rows"]}


def grade_the_class(work):
    """Grade the sample class once. Around the grading: a Redis server of the machine's own (outside any sandbox)
    holding a key, for the cheat that tells every server it reaches to stop; and a fingerprint of every file
    grading must not change: the submissions, the course's lessons, solutions, tests and code."""
    submissions = work / "submissions"
    folders = make_class(submissions)
    watched = [submissions, *(ROOT / part for part in ("lessons", "solutions", "tests", "course"))]
    before = [fingerprint(folder) for folder in watched]
    (work / "redis").mkdir(parents=True, exist_ok=True)
    outside = start_redis(work / "redis") if shutil.which("redis-server") else None
    if outside:
        with outside.client() as client:
            client.set("still-here", "yes")
    result = subprocess.run(
        [sys.executable, "-m", "course", "grade", *folders, "--lessons", "01,02", "--jobs", "2",
         "--csv", str(work / "grades.csv"), "--json", str(work / "grades.json"), "--feedback", str(work / "feedback")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    redis_kept_its_key = None
    if outside:
        try:
            with outside.client() as client:
                redis_kept_its_key = client.get("still-here") == "yes"
        except Exception:  # noqa: BLE001 - stopped, or no longer answering: either way, reached
            redis_kept_its_key = False
        outside.stop()
    after = [fingerprint(folder) for folder in watched]
    run = {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr,
           "changed": [str(folder) for folder, old, new in zip(watched, before, after, strict=True) if old != new],
           "folders": folders, "redis_kept_its_key": redis_kept_its_key}
    (work / "run.json").write_text(json.dumps(run))
