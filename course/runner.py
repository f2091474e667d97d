"""Run lessons' tests in a separate pytest process and read what happened from its report log.

The process gets its own process group and a time limit, so a submission that loops forever or crashes the
interpreter costs only its own lesson: pytest-reportlog writes each test's result as it finishes, so after a
hang or a crash the lessons that finished keep their results, the lesson that was running gets the blame, and
the lessons after it run again in a fresh process. Output goes to a file, never into our memory.
"""
import functools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from course.lessons import ROOT
from course.loader import IMPORT_FAILED
from course.regions import todo_at


@dataclass
class TestOutcome:
    """One test case: its name, whether it passed, pytest's message if not, and the TODOs it checks."""

    name: str
    passed: bool = True
    message: str = ""
    todos: list = field(default_factory=list)
    finished: bool = False
    raised_in_todo: int = None  # the TODO region whose code raised the test's exception, if one did


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


def run_tests(lessons, target, timeout=None):
    """Run the tests of `lessons` against the lesson folders in `target`; return {lesson id: LessonRun}.
    `timeout`: seconds each lesson's tests may take, so a run of several lessons may take that much per lesson
    (a limit for the whole run would have to grow with every lesson added to the course)."""
    runs = {}
    remaining = list(lessons)
    while remaining:
        finished, problem = _run_once(remaining, target, timeout)
        runs.update(finished)
        remaining = [lesson for lesson in remaining if lesson.id not in runs]
        if problem.startswith(COULD_NOT_START):  # no lesson fares better in another run: say it for each
            runs.update({lesson.id: LessonRun(lesson.id, problem=problem) for lesson in remaining})
            return runs
        if remaining:  # the run stopped inside the first unfinished lesson: blame it, run the rest again
            runs[remaining[0].id] = LessonRun(remaining[0].id, problem=problem)
            remaining = remaining[1:]
    return runs


def _run_once(lessons, target, timeout):
    """One pytest process for `lessons`. Returns the finished lessons' runs, and why the process stopped early
    (if it did)."""
    with tempfile.TemporaryDirectory(prefix="course-run-") as scratch:
        log, output = Path(scratch) / "report.jsonl", Path(scratch) / "output.txt"
        command = [sys.executable, "-m", "pytest", "-p", "pytest_reportlog.plugin", f"--report-log={log}",
                   *(f"tests/test_{lesson.id}.py" for lesson in lessons), f"--target={target}", "-q", "--tb=native"]
        limit = timeout * len(lessons) if timeout else None
        exit_code = _run(command, output, limit)
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


def _run(command, output, timeout):
    """Run `command` from the repository root; return its exit code, or None if it ran out of time."""
    environment = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # only the plugins named on the command line: starts faster
    }
    with output.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=environment, start_new_session=True)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            started = descendants(process.pid)  # before any of them dies: an orphan's parent becomes init
            os.killpg(process.pid, signal.SIGKILL)  # the whole group: pytest and anything it started
            for pid in started:  # ... and servers the tests started in groups of their own (course/servers.py),
                kill(pid)        # with whatever a submission's code ran inside them
            process.wait()
            return None


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
        if report["outcome"] != "passed" and outcome.passed:
            outcome.passed = False
            # "/tmp/copy/02_login/app.py" -> "02_login/app.py": paths as the student knows them
            outcome.message = message_of(report).replace(target_prefix, "")
            outcome.raised_in_todo = _todo_that_raised(report, target_prefix)
        outcome.finished = report["when"] == "teardown"
    return outcomes


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
    if report["outcome"] == "skipped":
        return f"skipped: {longrepr[-1] if isinstance(longrepr, list) else longrepr}"
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
