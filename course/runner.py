"""Run lessons' tests in a separate pytest process and read what happened from its report log.

The process gets its own process group and a time limit, so a submission that loops forever or crashes the
interpreter costs only its own lesson: pytest-reportlog writes each test's result as it finishes, so after a
hang or a crash the lessons that finished keep their results, the lesson that was running gets the blame, and
the lessons after it run again in a fresh process. Output goes to a file, never into our memory.

`check`, `watch` and `progress` add two things for learners: a limit per test (pytest-timeout), so that a test
that hangs is named with the line it was stuck on, instead of the whole run timing out; and checking in stages
(--staged, course/pytest_plugin.py), while the report log is read as it grows, to say when the slower tests
start. `watch` starts pytest another way (a fork of a process that has imported everything, course/watch.py):
`launch` says how.
"""
import functools
import json
import math
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from course import evidence
from course.lessons import ROOT
from course.loader import IMPORT_FAILED
from course.regions import todo_at

TEST_TIME_LIMIT = 10  # seconds one test may take under check, watch and progress (each takes well under one)


@dataclass
class TestOutcome:
    """One test case: its name, whether it passed, pytest's message if not, and the TODOs it checks."""

    name: str
    passed: bool = True
    message: str = ""
    todos: list = field(default_factory=list)
    finished: bool = False
    raised_in_todo: int = None  # the TODO region whose code raised the test's exception, if one did
    hidden: bool = False  # one of the instructor's hidden tests: feedback names it, never shows its message
    needs: str = ""  # the programs the test starts ("Redis, gunicorn"), under --staged; "" for an in-process test
    # What a failed test left behind (course/evidence.py), paths as the learner knows them ("02_login/app.py:3: ..."):
    output: str = ""  # what it printed (captured stdout and stderr)
    logged_error: str = ""  # the exception the app logged: the cause of a 500
    stuck_at: str = ""  # where it was when it ran out of time
    page_errors: str = ""  # the JavaScript errors of the page, in a browser test


@dataclass
class LessonRun:
    """One lesson's tests against one folder. `problem` says why there are no results, if there are none."""

    lesson_id: str
    outcomes: list = field(default_factory=list)
    problem: str = ""
    advice: list = field(default_factory=list)  # warnings the lesson's own code raised, once each
    flags: list = field(default_factory=list)  # for the instructor only: what the grader saw (course/lesson_run.py)
    seconds: float = 0  # how long the run took (the grader's sandboxed runs)

    @property
    def passed(self):
        return sum(outcome.passed for outcome in self.outcomes)

    @property
    def total(self):
        return len(self.outcomes)

    @property
    def all_passed(self):
        return not self.problem and self.total > 0 and self.passed == self.total


def run_tests(lessons, target, timeout=None, test_limit=None, staged=False, on_later_stage=None, launch=None):
    """Run the tests of `lessons` against the lesson folders in `target`; return {lesson id: LessonRun}.
    `timeout`: seconds each lesson's tests may take, so a run of several lessons may take that much per lesson
    (a limit for the whole run would have to grow with every lesson added to the course). `test_limit`: seconds
    each test may take (pytest-timeout): one that takes longer fails, named with the line it was stuck on, and the
    tests after it in its file are skipped (they would most likely hang too). `staged`: each
    lesson's in-process tests first (see the module's docstring); on_later_stage(programs) is called when the
    first test that starts programs ("Redis, gunicorn") begins. `launch(arguments, output)` starts pytest
    (default: start_pytest, a new process)."""
    options = dict(test_limit=test_limit, staged=staged, on_later_stage=on_later_stage, launch=launch or start_pytest)
    runs = {}
    remaining = list(lessons)
    while remaining:
        finished, problem = _run_once(remaining, target, timeout, **options)
        runs.update(finished)
        remaining = [lesson for lesson in remaining if lesson.id not in runs]
        if problem.startswith(COULD_NOT_START):  # no lesson fares better in another run: say it for each
            runs.update({lesson.id: LessonRun(lesson.id, problem=problem) for lesson in remaining})
            return runs
        if remaining:  # the run stopped inside the first unfinished lesson: blame it, run the rest again
            runs[remaining[0].id] = LessonRun(remaining[0].id, problem=problem)
            remaining = remaining[1:]
    return runs


def _run_once(lessons, target, timeout, test_limit, staged, on_later_stage, launch):
    """One pytest process for `lessons`. Returns the finished lessons' runs, and why the process stopped early
    (if it did)."""
    with tempfile.TemporaryDirectory(prefix="course-run-") as scratch:
        log, output = Path(scratch) / "report.jsonl", Path(scratch) / "output.txt"
        arguments = ["-p", "pytest_reportlog.plugin", f"--report-log={log}",
                     *(f"tests/test_{lesson.id}.py" for lesson in lessons), f"--target={target}", "-q", "--tb=native"]
        if test_limit:
            arguments += ["-p", "pytest_timeout", f"--timeout={test_limit:g}"]
        if staged:
            arguments.append("--staged")
        limit = timeout * len(lessons) if timeout else None
        on_tick = _later_stage_teller(log, on_later_stage) if on_later_stage else None
        exit_code = _run(launch, arguments, output, limit, on_tick)
        prefix = str(target).rstrip("/") + "/"
        outcomes = _read_log(log, prefix) if log.exists() else {}
        advice = read_warnings(log, prefix) if log.exists() else []
        # No report log: pytest itself did not start. Exit code 2 or 4 and no test reported: it stopped while
        # reading its configuration or collecting the tests (a missing package, say), before any lesson's code.
        if exit_code is not None and (not log.exists() or exit_code in (2, 4) and not outcomes):
            return {}, f"{COULD_NOT_START} {why_not_started(output_end(output))}"
        if exit_code in (0, 1):
            return {lesson.id: _lesson_run(lesson, outcomes, advice) for lesson in lessons}, ""
        if exit_code is None:
            problem = f"the tests did not finish within {limit:g} s (an endless loop?)"
        else:
            problem = f"the test run stopped early (exit code {exit_code}): {last_line(output_end(output))}"
        finished = {}
        for lesson in lessons:
            expected = expected_tests(lesson.id)
            if not expected or not all(name in outcomes and outcomes[name].finished for name in expected):
                break
            finished[lesson.id] = _lesson_run(lesson, outcomes, advice)
        return finished, problem


COULD_NOT_START = "the tests could not start:"


def output_end(output):
    """The end of what a test run printed (its output file): where pytest says why it stopped."""
    return output.read_bytes()[-20000:].decode(errors="replace")


def why_not_started(text):
    """Why pytest stopped before any test ran, in plain words, from the end of what it printed."""
    missing = re.search(r"No module named '?([\w.]+)", text)
    if missing:
        return (f"this Python has no module {missing.group(1).split('.')[0]!r}, one of the course's packages. "
                "Activate the course's virtual environment, or install them: python -m pip install -r requirements.txt")
    errors = [line.removeprefix("E").strip() for line in text.splitlines() if line.startswith("E ")]
    return errors[-1] if errors else last_line(text)


def test_environment():
    """The tests see only PATH and HOME, as GitHub Classroom's grader passes them (tests/conftest.py)."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # only the plugins named on the command line: starts faster
    }


def start_pytest(arguments, output):
    """pytest in a new Python process, from the repository root, in a process group of its own, its output to the
    file `output`. Returns the process (a subprocess.Popen)."""
    with output.open("wb") as sink:
        return subprocess.Popen([sys.executable, "-m", "pytest", *arguments], cwd=ROOT, stdout=sink,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=test_environment(),
                                start_new_session=True)


def _run(launch, arguments, output, timeout, on_tick=None):
    """Run pytest with `arguments`; return its exit code, or None if it ran out of time. A Ctrl-C stops it too."""
    process = launch(arguments, output)
    ended = False
    try:
        ended = ended_within(process, timeout, on_tick)
        if ended and on_tick:
            on_tick()  # the end of the log, which a fast run may have written after the last look
        return process.wait() if ended else None
    finally:
        if not ended:  # out of time, or interrupted
            started = descendants(process.pid)  # before any of them dies: an orphan's parent becomes init
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the whole group: pytest and anything it started
            except ProcessLookupError:  # a fork stopped before it made its group (course/watch.py)
                kill(process.pid)
            for pid in started:  # ... and servers the tests started in groups of their own (course/servers.py),
                kill(pid)        # with whatever a submission's code ran inside them
            process.wait()


def ended_within(process, seconds, on_tick=None):
    """Wait until `process` ends (True) or `seconds` have passed (False; None: no limit). on_tick(), if given, runs
    about every 0.1 s meanwhile. On Linux the wait ends the moment the process does (a pidfd); elsewhere it
    looks every 10 ms."""
    deadline = math.inf if seconds is None else time.monotonic() + seconds
    exited = os.pidfd_open(process.pid) if hasattr(os, "pidfd_open") else None  # readable once the process ends
    try:
        while process.poll() is None:
            if time.monotonic() > deadline:
                return False
            if on_tick:
                on_tick()
            if exited is None:
                time.sleep(0.01)
            else:
                select.select([exited], [], [], max(0.0, min(0.1, deadline - time.monotonic())))
        return True
    finally:
        if exited is not None:
            os.close(exited)


def _later_stage_teller(log, on_later_stage):
    """A function that reads the report log as pytest writes it, and calls on_later_stage(programs) once, when
    the first test that starts programs has started (--staged: the in-process tests have all passed)."""
    read = 0  # bytes of the log read so far
    told = False

    def tick():
        nonlocal read, told
        if told or not log.exists():
            return
        with log.open("rb") as file:
            file.seek(read)
            for line in file:
                if not line.endswith(b"\n"):  # pytest is still writing this one
                    break
                read += len(line)
                report = json.loads(line)
                needs = [value for key, value in report.get("user_properties", []) if key == "needs"]
                if needs and report.get("outcome") == "passed" and report.get("when") == "setup":
                    on_later_stage(needs[0])
                    told = True
                    return

    return tick


def descendants(pid):
    """The processes `pid` started, the ones they started, and so on (Linux: read from /proc)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])  # after "pid (name)": state, then ppid
        except (OSError, IndexError, ValueError):  # the process ended meanwhile
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, to_visit = [], [pid]
    while to_visit:
        below = children.get(to_visit.pop(), [])
        found += below
        to_visit += below
    return found


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # already gone
        pass


def _read_log(log, target_prefix):
    """{test name: TestOutcome} from pytest-reportlog's lines (one per phase: setup, call, teardown)."""
    outcomes = {}
    for line in log.read_text().splitlines():
        report = json.loads(line)
        if report.get("$report_type") != "TestReport":
            continue
        outcome = outcomes.setdefault(report["nodeid"], TestOutcome(report["nodeid"]))
        outcome.todos = [value for key, value in report["user_properties"] if key == "todo"]
        outcome.needs = next((value for key, value in report["user_properties"] if key == "needs"), "")
        if report["outcome"] != "passed" and outcome.passed:
            outcome.passed = False
            # "/tmp/copy/02_login/app.py" -> "02_login/app.py": paths as the student knows them
            outcome.message = message_of(report).replace(target_prefix, "")
            read_evidence(outcome, dict(report.get("sections", [])))
            outcome.raised_in_todo = _todo_that_raised(report, target_prefix) or _todo_of_evidence(outcome,
                                                                                                    target_prefix)
        outcome.finished = report["when"] == "teardown"
    return outcomes


OUTPUT_LIMIT = 2000  # characters of a test's output kept: the end of it, where a learner's last print is


def read_evidence(outcome, sections):
    """What the failed test left behind, from its report's sections (course/evidence.py; pytest's captured output
    of each phase so far: "Captured stdout setup", "Captured stderr call", ...)."""
    printed = "".join(text for title, text in sections.items()
                      if title.startswith(("Captured stdout", "Captured stderr")))
    outcome.output = printed[-OUTPUT_LIMIT:]
    outcome.logged_error = sections.get(evidence.LOGGED_ERROR, "")
    outcome.stuck_at = sections.get(evidence.STUCK_AT, "")
    outcome.page_errors = sections.get(evidence.PAGE_ERRORS, "")


WHERE = re.compile(r"^(?:  at )?([^\s:]+):(\d+): ", re.M)  # "  at 02_login/app.py:3: code" (course/evidence.py)
PAGE_FILE = re.compile(r"\(at ([^\s:()]+):(\d+)\)")  # "... (at static/app.js:20)" (course/browser.py)


def _todo_of_evidence(outcome, target_prefix):
    """The TODO region of the learner's line that the app's logged error, the page's JavaScript errors (the first
    in a TODO region), or a hang (the innermost of its lines in a TODO region) points at, if there is one."""
    lesson_id = outcome.name.split("::")[0].removeprefix("tests/test_").removesuffix(".py")
    # a page's scripts are served by the lesson's app, from its folder: static/app.js is in 09_cookies_and_csrf/
    page_lines = [(f"{lesson_id}/{path}", line) for path, line in PAGE_FILE.findall(outcome.page_errors)]
    lines = WHERE.findall(outcome.logged_error)[-1:] or page_lines or WHERE.findall(outcome.stuck_at)[::-1]
    for path, line in lines:
        todo = _todo_at_line(Path(target_prefix, path), int(line))
        if todo:
            return todo
    return None


def _todo_at_line(path, line):
    try:
        return todo_at(path.read_text(), line)
    except (OSError, UnicodeDecodeError):
        return None


MOST_ADVICE = 10  # warnings shown as advice (code can raise thousands), each cut at ADVICE_CHARS
ADVICE_CHARS = 500


def read_warnings(log, target_prefix):
    """Warnings raised from the submission's own files (see course/pytest_plugin.py), as
    "02_login/models.py:12: LegacyAPIWarning: ...", each once, the first MOST_ADVICE of them. The log may hold
    lines the code under test wrote (the grader's runs): what is not a warning pytest would report is passed over."""
    advice = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            report = json.loads(line)
        except ValueError:  # a line cut short
            continue
        if (len(advice) < MOST_ADVICE and isinstance(report, dict) and report.get("$report_type") == "WarningMessage"
                and str(report.get("filename")).startswith(target_prefix)):
            where = str(report["filename"]).removeprefix(target_prefix)
            text = f"{where}:{report.get('lineno')}: {report.get('category')}: {report.get('message')}"[:ADVICE_CHARS]
            if text not in advice:
                advice.append(text)
    return advice


FRAME = re.compile(r'File "([^"]+)", line (\d+)')  # a line of Python's own traceback (pytest's --tb=native)


def _todo_that_raised(report, target_prefix):
    """The TODO region of the innermost line of the submission's own code in the failure's traceback, if that
    line is inside one: an exception raised by the code of TODO 3 is TODO 3's to fix, whichever test saw it."""
    longrepr = report["longrepr"]
    entries = longrepr.get("reprtraceback", {}).get("reprentries", []) if isinstance(longrepr, dict) else []
    traceback = "".join(line for entry in entries for line in entry["data"].get("lines", []))
    own = [(path, int(line)) for path, line in FRAME.findall(traceback) if path.startswith(target_prefix)]
    if not own:
        return None
    path, line = own[-1]
    try:
        return todo_at(Path(path).read_text(), line)
    except OSError:
        return None


def message_of(report):
    """What a failed (or skipped) test report says: pytest's message, or why the test could not be set up."""
    longrepr = report["longrepr"]
    if report["outcome"] == "skipped":  # longrepr: [file, line, "Skipped: the reason"]
        return f"skipped: {(longrepr[-1] if isinstance(longrepr, list) else longrepr).removeprefix('Skipped: ')}"
    message = longrepr["reprcrash"]["message"] if isinstance(longrepr, dict) else str(longrepr)
    return message if report["when"] == "call" else f"while setting the test up: {message}"


def _lesson_run(lesson, outcomes, advice=()):
    prefix = f"tests/test_{lesson.id}.py::"
    run = LessonRun(lesson.id, [outcome for name, outcome in outcomes.items() if name.startswith(prefix)],
                    advice=[text for text in advice if text.startswith(f"{lesson.id}/")])
    for outcome in run.outcomes:
        outcome.name = outcome.name.removeprefix(prefix)
    if not run.outcomes:
        run.problem = "no test of this lesson ran"
    import_failure = next((outcome.message for outcome in run.outcomes if IMPORT_FAILED in outcome.message), "")
    if import_failure:  # every test fails the same way: say it once, as the lesson's problem
        run.problem = import_failure[import_failure.index(IMPORT_FAILED):]
    return run


@functools.cache
def expected_tests(lesson_id):
    """The test names of a lesson, as pytest collects them (they do not depend on the folder tested)."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", f"tests/test_{lesson_id}.py"]
    listing = subprocess.run(command, cwd=ROOT, capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if line.startswith(f"tests/test_{lesson_id}.py::")]


def last_line(text, limit=300):
    lines = text[-4000:].strip().splitlines()
    return (lines[-1] if lines else "no output")[:limit]
