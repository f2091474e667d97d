"""The learner's command line, called the way a learner calls it: python -m course ..."""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from course.environment import NEEDED
from course.envfile import ensure_env_file
from course.lessons import ROOT, all_lessons, find_lesson
from course.loader import load_app_module
from course.sample_submissions import make_submission, solve_todos


def course(*arguments, timeout=120):
    """Run `python -m course ARGUMENTS` from the repository root; return the finished process."""
    return subprocess.run([sys.executable, "-m", "course", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def starters(tmp_path):
    """A learner's untouched lessons/, in a temporary folder."""
    return make_submission(tmp_path / "lessons", source="lessons")


@pytest.fixture(scope="module")
def mistakes(tmp_path_factory):
    """A learner's lessons/ with the mistakes newcomers make: 01 solved; 02 solved with the article's login (an
    unknown user gets 404, a wrong password 401); 03 with TODO 1 done but not TODO 2; 04's app.py that does not
    parse. Only those four lessons are there (progress runs every lesson's tests: a lesson added to the course
must not add its cost here). `python -m course check 02` is run once, for the tests that read it."""
    folder = make_submission(tmp_path_factory.mktemp("mistakes") / "lessons", source="lessons")
    for lesson in all_lessons()[4:]:
        shutil.rmtree(folder / lesson.id)
    for lesson_id in ("01_config", "02_login"):
        shutil.rmtree(folder / lesson_id)
        shutil.copytree(ROOT / "solutions" / lesson_id, folder / lesson_id)
    replace(folder / "02_login" / "resources.py", 'check_dummy_password(credentials["password"])',
            'abort(404, message="User not found")')
    solve_todos(folder / "03_protected_route", ROOT / "solutions" / "03_protected_route", [1])
    replace(folder / "04_expiry" / "app.py", "def create_app(test_config=None):", "def create_app(test_config=None)")
    return folder, course("check", "02", "--target", str(folder)).stdout


def replace(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_check_names_both_answers_it_compares_in_full(mistakes):
    _, checked = mistakes
    assert "First failure: wrong password and unknown user get the same answer" in checked
    assert "wrong password: 401 {'message': 'Wrong username or password.'}" in checked
    assert "unknown user: 404 {'message': 'User not found'}" in checked
    assert "expected:" not in checked  # neither answer is "the expected one"


def test_check_shows_the_tests_own_message_and_the_todos_it_names(mistakes):
    folder, _ = mistakes
    checked = course("check", "03", "--target", str(folder)).stdout
    first_failure = checked.split("First failure")[1]
    assert "while setting the test up: publishing a post failed (do TODOs 1 and 2 first)" in first_failure
    assert "look at TODO 2: auth.py" in first_failure
    assert "expected: 201" not in first_failure and "look at TODO 4" not in first_failure


def test_a_file_that_does_not_parse_is_named_plainly_by_check_and_serve(mistakes):
    folder, _ = mistakes
    checked = course("check", "04", "--target", str(folder))
    assert checked.returncode == 1
    line = (folder / "04_expiry" / "app.py").read_text().splitlines().index("def create_app(test_config=None)") + 1
    assert f"04_expiry/app.py:{line} does not parse (SyntaxError: expected ':')" in checked.stdout
    assert "    def create_app(test_config=None)\n" in checked.stdout
    assert "Nothing else could be checked" in checked.stdout
    assert "✘" not in checked.stdout and "TODO" not in checked.stdout
    served = course("serve", "04", "--target", str(folder), "--port", str(free_port()), timeout=30)
    assert served.returncode == 1
    assert f"04_expiry/app.py:{line} does not parse" in served.stderr and "Traceback" not in served.stderr


def test_progress_counts_in_the_unit_check_uses_and_moves_on(mistakes, tmp_path):
    folder, checked_02 = mistakes
    # Without lesson 03 (its tests would run in full; it adds nothing here): it shows as not run, like 04.
    folder = Path(shutil.copytree(folder, tmp_path / "lessons", ignore=shutil.ignore_patterns("03_*")))
    result = course("list", "--target", str(folder))
    config, login = find_lesson("01"), find_lesson("02")
    whole = f"{config.points} of {config.points} points ({len(config.todos)} of {len(config.todos)} TODOs)"
    assert re.search(rf"01\s+Config\s+done, {re.escape(whole)}", result.stdout)
    score = re.search(rf"02\s+Login\s+(\d+ of {login.points} points \(\d of {len(login.todos)} TODOs\))", result.stdout)
    assert score and f"{score.group(1)}. TODOs done: 1, 3." in checked_02  # check says the same
    assert re.search(r"04\s+Expiry\s+not run", result.stdout)
    assert "Next: lesson 02" in result.stdout


def test_without_the_course_packages_course_says_what_to_install(tmp_path):
    """A Python without the requirements (a bare virtual environment): `course` says so before anything, and
    the test runner, if reached, says why the tests could not start."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    bare = str(tmp_path / "bare" / "bin" / "python")
    result = subprocess.run([bare, "-m", "course", "check", "01"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert "lacks the course's packages: flask, flask-restful, flask-jwt-extended, pyjwt" in result.stderr
    assert "python -m pip install -r " in result.stderr and "bin/activate" in result.stderr
    runner = ("from course.runner import run_tests; from course.lessons import find_lesson, target_folder; "
              "print(run_tests([find_lesson('01')], target_folder('lessons'))['01_config'].problem)")
    problem = subprocess.run([bare, "-c", runner], cwd=ROOT, capture_output=True, text=True).stdout
    assert problem.startswith("the tests could not start: this Python has no module 'pytest'"), problem


def test_the_packages_course_asks_for_are_the_ones_grading_installs():
    """GitHub Classroom installs only requirements-grading.txt before `course check`: asking for more fails it."""
    grading = (ROOT / "requirements-grading.txt").read_text()
    assert all(re.search(rf"^{package}==", grading, re.M) for package in NEEDED.values())


def test_check_a_starter_says_what_fails_and_where_to_look(starters):
    result = course("check", "02", "--target", str(starters))
    assert result.returncode == 1
    assert "✘ wrong password and unknown user get the same answer" in result.stdout
    assert "✔ bad input gets a json 4xx and saves nothing" in result.stdout
    assert re.search(r"First failure: .+\n(.+\n)*  look at TODO \d: ", result.stdout)


def test_check_the_reference_passes():
    result = course("check", "1", "--target", "solutions")
    assert result.returncode == 0, result.stdout
    assert "The lesson is done" in result.stdout and "✘" not in result.stdout


def test_check_shows_expected_and_got(starters):
    result = course("check", "01", "--target", str(starters))
    assert "expected: " in result.stdout and "got: " in result.stdout


def test_check_an_unknown_lesson_names_the_lessons():
    result = course("check", "42")
    assert result.returncode == 2
    assert "01_config" in result.stderr and "05_error_handling" in result.stderr


def keep_only_the_first_lesson(submission):
    """Progress runs every lesson's tests: with the other lessons' folders missing, theirs fail at once, so
    these tests cost the same however many lessons the course has."""
    for lesson in all_lessons()[1:]:
        shutil.rmtree(submission / lesson.id)
    return submission


def test_progress_lists_every_lesson_and_the_next_one(starters):
    result = course("progress", "--target", str(keep_only_the_first_lesson(starters)))
    for lesson in all_lessons():
        assert lesson.title in result.stdout
    assert "Next: lesson 01" in result.stdout


def test_hints_come_one_at_a_time_then_say_it_was_the_last(starters):
    total = len(find_lesson("03").hints)
    shown = [course("hint", "3", "--target", str(starters)).stdout for _ in range(total + 1)]
    assert "Hint 1 of" in shown[0] and "Hint 2 of" in shown[1]
    assert shown[0].splitlines()[-1] != shown[1].splitlines()[-1]
    assert "That was the last hint" in shown[total - 1] and "python -m course hint 03 --again" in shown[total - 1]
    assert shown[total].startswith(f"You have seen all {total} hints")
    assert "Hint 1 of" in course("hint", "3", "--again", "--target", str(starters)).stdout


def test_plain_pytest_names_the_folder_it_tests_and_where_to_run_it():
    header = subprocess.run([sys.executable, "-m", "pytest", "tests/test_01_config.py", "--collect-only"], cwd=ROOT,
                            capture_output=True, text=True).stdout
    assert f"target: {ROOT / 'solutions'} (the reference solutions; your work: --target lessons" in header
    inside = subprocess.run([sys.executable, "-m", "pytest"], cwd=ROOT / "lessons" / "02_login", capture_output=True,
                            text=True)
    assert inside.returncode == 5
    assert f"No tests here: the course's tests are in {ROOT / 'tests'}" in inside.stdout
    assert "python -m course check 02" in inside.stdout and "tests/test_02_login.py --target lessons" in inside.stdout


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_writes_a_env_with_a_fresh_key_and_serves_on_loopback(starters):
    port = free_port()
    command = [sys.executable, "-m", "course", "serve", "01", "--target", str(starters), "--port", str(port)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as server:
        try:
            assert "Created" in read_until(server, "Created")
            response = None
            for _ in range(100):
                try:
                    response = requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)  # the server is still starting
            assert response is not None and response.status_code == 200
        finally:
            server.terminate()
    written = (starters / "01_config" / ".env").read_text()
    assert re.search(r"^JWT_SECRET_KEY=[0-9a-f]{64}$", written, re.M)


def test_serve_makes_a_key_pair_for_a_lesson_that_signs_with_one(starters):
    """From lesson 10 on the app signs with a private key: the .env that serve writes names one it made with the
    lesson's own `flask --app keytool make-keys`, and the app starts with it (the learner's untouched starter)."""
    folder = starters / "10_asymmetric_keys"
    assert ensure_env_file(folder) == folder / ".env"
    key_file = re.search(r"^JWT_PRIVATE_KEY_FILE=(keys/[\w-]+\.private\.pem)$", (folder / ".env").read_text(), re.M)
    assert key_file, (folder / ".env").read_text()
    assert (folder / key_file[1]).stat().st_mode & 0o777 == 0o600
    before = set(os.environ)
    try:
        app = load_app_module(folder).create_app()  # no settings given: it reads .env, as `flask run` does
    finally:
        for name in set(os.environ) - before:
            del os.environ[name]  # what load_dotenv put in this process's environment
    assert app.test_client().get("/health").status_code == 200


def test_serve_says_to_choose_another_port_with_its_own_option(starters):
    assert "--port PORT" in course("serve", "--help").stdout
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = course("serve", "01", "--target", str(starters), "--port", str(port), timeout=30)
    assert result.returncode == 1
    assert f"Port {port} is in use" in result.stderr and f"--port {port + 1}" in result.stderr


def read_until(process, text, seconds=60):
    """Read the process's output line by line until `text` appears; return what was read."""
    seen = ""
    deadline = time.monotonic() + seconds
    while text not in seen:
        assert time.monotonic() < deadline, f"{text!r} did not appear in:\n{seen}"
        seen += process.stdout.readline()
    return seen


def verdict(output, lesson_number):
    """The verdict of `lesson_number` in watch's output: from its "Lesson NN ·" line to the end of check's output."""
    block = output[output.rindex(f"Lesson {lesson_number} ·"):]
    return re.split(r"\n(?:Watching|On to lesson)", block)[0].strip()


@pytest.mark.timeout(180)  # read_until waits for a line: a watch that printed nothing more would hang
def test_watch_checks_again_on_save_as_a_cold_check_would_and_moves_on(starters):
    """watch forks each check from a process that has imported everything once: its verdicts are the cold
    check's, on a failing lesson and on a passing one. Any file a learner edits counts, a script too."""
    cold_failing = course("check", "01", "--target", str(starters)).stdout
    with subprocess.Popen([sys.executable, "-m", "course", "watch", "01", "--target", str(starters)],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as watcher:
        try:
            assert verdict(read_until(watcher, "Watching"), "01") == cold_failing.strip()
            shutil.copy(ROOT / "solutions" / "01_config" / "config.py", starters / "01_config" / "config.py")
            output = read_until(watcher, "Watching")
            assert "The lesson is done" in output
            assert "On to lesson 02" in output and "Lesson 02 · Login" in output
            assert verdict(output, "01") == course("check", "01", "--target", str(starters)).stdout.strip()
            (starters / "02_login" / "page.js").write_text("// a learner's script\n")
            assert "Lesson 02 · Login" in read_until(watcher, "Watching")
        finally:
            watcher.terminate()


@pytest.mark.timeout(180)  # read_until waits for a line: a watch that printed nothing more would hang
def test_watch_keeps_the_browser_for_its_next_checks_with_the_same_verdict(tmp_path):
    """Lesson 09's reference, watched: after the first check a browser is kept open for the next ones (connected
    to over DevTools instead of started), and the next check's verdict is the same."""
    from course.runner import descendants

    target = tmp_path / "lessons"
    shutil.copytree(ROOT / "solutions" / "09_cookies_and_csrf", target / "09_cookies_and_csrf")
    command = [sys.executable, "-m", "course", "watch", "09", "--stay", "--target", str(target)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as watcher:
        try:
            first = verdict(read_until(watcher, "Watching"), "09")
            assert "The lesson is done" in first
            style = target / "09_cookies_and_csrf" / "static" / "page.css"
            style.write_text(style.read_text() + "\n")
            assert verdict(read_until(watcher, "Watching"), "09") == first
            commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in descendants(watcher.pid)]
            assert any(b"course.browser" in command for command in commands), "no browser kept open"
        finally:
            watcher.terminate()


def test_the_course_script_is_installed_and_lists_every_command():
    script = Path(sys.executable).parent / "course"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("check", "progress", "hint", "serve", "watch", "grade", "notebooks"):
        assert command in result.stdout


def test_serve_creates_the_database_readable_by_its_owner_only(starters):
    port = free_port()
    command = [sys.executable, "-m", "course", "serve", "02", "--target", str(starters), "--port", str(port)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as server:
        try:
            for _ in range(100):
                try:
                    requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)  # the server is still starting
        finally:
            server.terminate()
    database = starters / "02_login" / "instance" / "course.db"
    assert database.stat().st_mode & 0o777 == 0o600, oct(database.stat().st_mode)


def test_serve_writes_no_env_where_the_example_sets_nothing(tmp_path):
    """The capstone's app reads no variable: its .env.example is comments only, so there is no .env to make."""
    capstone = next(lesson for lesson in all_lessons() if lesson.course_app)
    folder = shutil.copytree(ROOT / "lessons" / capstone.id, tmp_path / capstone.id)

    assert ensure_env_file(folder) is None
    assert not (folder / ".env").exists()


def test_check_explains_failures_in_the_order_of_the_todos():
    """By TODO (the --todo asked about first), then a test of no TODO, and a test that could not run on this
    machine last."""
    from course.cli import first_to_fix
    from course.report import Requirement
    from course.runner import TestOutcome as Outcome  # renamed: pytest would collect a Test* class

    def failing(todos, message="AssertionError: assert 200 == 201"):
        return Requirement(f"todos {todos}", [Outcome("test_x", passed=False, message=message, todos=todos)])

    later, shared, broken = failing([3]), failing([1, 2]), failing([])
    skipped = failing([1], "skipped: redis-server is not installed")
    assert sorted([later, skipped, shared, broken], key=first_to_fix) == [shared, later, broken, skipped]
    assert sorted([shared, later], key=lambda requirement: first_to_fix(requirement, todo=3)) == [later, shared]


def test_check_names_the_todo_whose_code_raised_the_error(tmp_path):
    """Every test of lesson 01 fails when TODO 2's code raises, the first one marked TODO 1: check sends the
    learner to TODO 2, where the error comes from."""
    folder = shutil.copytree(ROOT / "solutions" / "01_config", tmp_path / "01_config")
    replace(folder / "config.py", "    # END TODO 2",
            "    config['NOT_A_SETTING']  # a KeyError at every start\n    # END TODO 2")

    first_failure = course("check", "01", "--target", str(tmp_path)).stdout.split("First failure")[1]

    assert "the error was raised inside TODO 2's code" in first_failure
    assert "look at TODO 2" in first_failure and "look at TODO 1" not in first_failure


# --- Messages a learner can act on (issue 27): each on a copy of the reference with a slip a learner makes ---------

def reference_with_slip(tmp_path, lesson_number, file, old, new):
    """A copy of one lesson's reference in a folder of its own, with `old` replaced by `new` in `file`; returns
    the folder of lessons and the slip's line number."""
    lesson = find_lesson(lesson_number)
    folder = shutil.copytree(ROOT / "solutions" / lesson.id, tmp_path / "lessons" / lesson.id)
    replace(folder / file, old, new)
    line = (folder / file).read_text()[:(folder / file).read_text().index(new)].count("\n") + 1
    return tmp_path / "lessons", line


def test_a_500_shows_the_error_the_app_logged_with_its_line(tmp_path):
    """The test sees only {'code': 'internal_error', ...}: the exception behind it went to the app's log."""
    target, line = reference_with_slip(tmp_path, "06", "resources.py", "identity=str(user.id), fresh=True",
                                       "identity=str(user.user_id), fresh=True")
    first_failure = course("check", "06", "--target", str(target)).stdout.split("First failure")[1]
    assert "'internal_error'" in first_failure
    assert "AttributeError: 'User' object has no attribute 'user_id'" in first_failure
    assert f"at 06_refresh_tokens/resources.py:{line}: " in first_failure
    assert "the error was raised inside TODO 1's code" in first_failure


def test_an_endless_loop_names_the_test_and_the_line_it_was_stuck_on(tmp_path):
    """An `if` written as `while`: the first test that logs in an unknown user hangs. After the limit per test it
    is named with where it was stuck, and the lesson's next tests are not run (they would hang too)."""
    target, line = reference_with_slip(tmp_path, "02", "resources.py", "        if user is None:\n            check",
                                       "        while user is None:\n            check")
    started = time.monotonic()
    checked = course("check", "02", "--target", str(target), "--test-timeout", "3").stdout
    assert time.monotonic() - started < 30, "not the whole run's limit (60 s)"
    first_failure = checked.split("First failure: ")[1]
    assert "unknown user" in first_failure.splitlines()[0]  # the test that hung, by name
    assert "it did not finish within 3 s" in first_failure
    assert f"02_login/resources.py:{line + 1}: check_dummy_password(" in first_failure
    assert "it was stuck inside TODO 2's code" in first_failure
    assert "· Not run: " in checked and "after a test that ran out of time" in checked


def test_a_failing_test_shows_what_it_printed(tmp_path):
    read = '        self.JWT_SECRET_KEY = environ.get("JWT_SECRET_KEY", "")\n'
    target, _ = reference_with_slip(tmp_path, "01", "config.py", read,
                                    read.replace("JWT_SECRET_KEY\"", "JWT_SECRET\"")
                                    + '        print("the secret I read:", repr(self.JWT_SECRET_KEY))\n')
    first_failure = course("check", "01", "--target", str(target)).stdout.split("First failure")[1]
    assert "  it printed:\n    | the secret I read: ''\n" in first_failure


@pytest.fixture(scope="module")
def javascript_slip(tmp_path_factory):
    """Lesson 09's page with a learner's slip in TODO 2 (a cookie's name without its quotes): the page fails only
    when it refreshes. `check` run once; the tests below read its output."""
    target, line = reference_with_slip(tmp_path_factory.mktemp("javascript"), "09", "static/app.js",
                                       '? "csrf_refresh_token" :', "? csrf_refresh_token :")
    return course("check", "09", "--target", str(target)).stdout, line


def test_a_browser_test_shows_the_pages_javascript_errors(javascript_slip):
    """Before: Playwright's timeout alone, and the test's TODOs (1 and 2) to look at."""
    checked, line = javascript_slip
    first_failure = checked.split("First failure: ")[1]
    assert first_failure.startswith("the page refreshes an expired access cookie with the refresh cookie")
    assert f"ReferenceError: csrf_refresh_token is not defined (at static/app.js:{line})" in first_failure
    assert "the error was raised inside TODO 2's code" in first_failure and "look at TODO 1" not in first_failure
    assert "Failed to load resource" not in first_failure  # the API's expected 401s are no error of the page


def test_check_says_when_the_tests_that_start_programs_begin(javascript_slip):
    checked, _ = javascript_slip
    said = checked.index("The in-process tests pass; now the tests that start a browser…")
    assert said < checked.index("✘")  # said while they ran: before the verdict


def test_check_runs_the_tests_that_start_programs_only_once_the_others_pass(tmp_path):
    """A starter fails in-process tests: its browser tests wait, each shown as not run yet, and none counts."""
    target, _ = reference_with_slip(tmp_path, "09", "cookies.py", "set_access_cookies(response, tokens[",
                                    "set_refresh_cookies(response, tokens[")
    checked = course("check", "09", "--target", str(target)).stdout
    assert "· the page logs in publishes survives a reload and logs out" in checked
    assert "· Not run yet: " in checked
    assert "checked with a browser, once every test above that starts nothing passes" in checked
    assert "now the tests that start" not in checked


def test_a_test_skipped_for_a_missing_program_is_shown_as_skipped_not_as_a_failure():
    """Without Chromium (here: not on the PATH the tests get) lesson 09's browser tests are skipped: ○, not ✘,
    and not the first failure; the reason is said once."""
    result = subprocess.run([sys.executable, "-m", "course", "check", "09", "--target", "solutions"], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "PATH": "/nonexistent"}, timeout=120)
    assert result.returncode == 1  # not every test could run
    assert "○ the page logs in publishes survives a reload and logs out" in result.stdout
    assert "✘" not in result.stdout and "First failure" not in result.stdout
    assert "○ Not checked on this machine: chromium is not installed: apt-get install -y chromium" in result.stdout


def test_check_lists_each_requirement_under_its_todo_in_todo_order(mistakes):
    """In lesson 02's tests, those of TODO 3 come before those of TODO 2; check lists them by TODO."""
    _, checked = mistakes
    headings = [line.strip() for line in checked.splitlines() if re.fullmatch(r"  (TODO \d+|What the starter.*)", line)]
    assert headings == ["TODO 1", "TODO 2", "TODO 3", "What the starter already does"]
    under_todo_2 = checked.split("  TODO 2\n")[1].split("  TODO 3\n")[0]
    assert "✘ wrong password and unknown user get the same answer" in under_todo_2
