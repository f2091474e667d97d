"""One lesson's tests against one folder, in a sandbox of its own (course/sandbox.py), and a verdict that the
code under test cannot fake (course/grading_plugin.py): the grader's unit of work.

A run sees one lesson folder (a fresh copy, writable) and the course's tests; its pytest process writes a
report log in its scratch folder and, before any of the lesson's code runs, sends the grader the plan of the
run (every test's opaque id, its name and TODOs, and the canaries) through a pipe. The verdict is read from the
log against that plan:

- a test of the plan that was never reported to its end failed: "the run ended before this test finished";
  the first one is the test that was running when the run ended (a timeout names it);
- a canary that did not come out as planned, or a report of a test the plan does not have, means the report
  was tampered with: the lesson scores nothing.
"""
import json
import os
import sys
import tempfile
import threading
from pathlib import Path

from course.lessons import HIDDEN_TESTS, test_files
from course.loader import IMPORT_FAILED
from course.runner import (COULD_NOT_START, FRAME, LessonRun, TestOutcome, last_line, message_of, read_evidence,
                           read_warnings, why_not_started)
from course.regions import todo_at
from course.sandbox import run_sandboxed

TAMPERED = "the test run was tampered with"
ENDED_EARLY = "the run ended before this test finished"


def run_lesson(lesson, lessons_folder, limits, work, only_todo=None, read_only=(), sandboxed=True):
    """Run `lesson`'s tests against `lessons_folder`/<lesson id> in a sandbox; return its LessonRun, whose
    `flags` say what the instructor should look at. `work`: a folder for the run's scratch space; `only_todo`:
    run only that TODO's tests and the unmarked ones; `sandboxed=False` runs it as it is (work you trust)."""
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    plan_reader, plan_writer = os.pipe()
    plan = PlanReader(plan_reader)
    # The report log goes through a pipe too, into a file of the grader's: a file the run could write, it could
    # also rewrite (a thread of the lesson's code turned every "failed" but the canaries' into "passed").
    log_reader, log_writer = os.pipe()
    log = LogReader(log_reader, Path(tempfile.mkdtemp(prefix="log-", dir=work)) / "report.jsonl", limits.file_bytes)
    command = [sys.executable, "-m", "pytest", "-p", "pytest_reportlog.plugin", f"--report-log=/dev/fd/{log_writer}",
               "-p", "course.grading_plugin", f"--grading-plan-fd={plan_writer}", *test_files(lesson),
               f"--target={lessons_folder}", "-q", "--tb=native", "-s",
               *([f"--only-todo={only_todo}"] if only_todo is not None else [])]
    result = run_sandboxed(command, scratch, lessons_folder, limits, read_only, pass_fds=[plan_writer, log_writer],
                           environment={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}, sandboxed=sandboxed)
    plan.join()
    log.join()
    return verdict(lesson, plan.result, log.path, result, Path(lessons_folder) / lesson.id)


class PlanReader(threading.Thread):
    """Reads the run's plan from its pipe while the run goes on (a plan larger than the pipe's buffer would
    otherwise block the run)."""

    def __init__(self, fd):
        super().__init__(daemon=True)
        self.fd, self.result = fd, None
        self.start()

    def run(self):
        with os.fdopen(self.fd, "rb") as pipe:
            text = pipe.read(4 << 20)
        try:
            self.result = json.loads(text)
        except ValueError:  # nothing, or cut short: the run did not get as far as its plan
            self.result = None


class LogReader(threading.Thread):
    """Copies the run's report log from its pipe into `path` as it comes, up to `keep` bytes (the rest is read
    and dropped: a line cut short does not parse, and its test counts as not reported)."""

    def __init__(self, fd, path, keep):
        super().__init__(daemon=True)
        self.fd, self.path, self.keep = fd, path, keep
        self.start()

    def run(self):
        kept = 0
        with os.fdopen(self.fd, "rb") as pipe, open(self.path, "wb") as copy:
            for chunk in iter(lambda: pipe.read1(1 << 16), b""):
                copy.write(chunk[:max(0, self.keep - kept)])
                kept += len(chunk)


def verdict(lesson, plan, log, result, folder):
    """The LessonRun of a finished sandboxed run (course/sandbox.py's SandboxResult) read against its plan."""
    run = LessonRun(lesson.id, seconds=result.seconds)
    if result.output_cut:
        run.flags.append(f"printed {result.output_bytes / 1e6:.1f} MB of output (the grader keeps 1 MB)")
    if not plan:
        if result.timed_out:
            run.problem = f"the tests did not start within {result.seconds:.0f} s"
        else:
            run.problem = cut(f"{COULD_NOT_START} {why_not_started(result.output)}")
        return run
    reports = read_reports(log) if log.exists() else {}
    unknown = [opaque for opaque in reports if opaque not in plan]
    canaries = {opaque: planned["canary"] for opaque, planned in plan.items() if "canary" in planned}
    wrong = [opaque for opaque, kind in canaries.items() if opaque in reports and reports[opaque]["finished"]
             and reports[opaque]["passed"] != (kind == "pass")]
    if unknown or wrong:
        run.problem = f"{TAMPERED}: its report does not match the tests that ran"
        run.flags.append(f"{TAMPERED} (a canary test's result was changed, or tests were reported that never ran)")
        return run
    running = None
    for opaque, planned in plan.items():
        if "canary" in planned:
            continue
        outcome = TestOutcome(planned["name"].split("::", 1)[1], todos=planned["todos"],
                              hidden=planned["name"].startswith(f"{HIDDEN_TESTS}/"))
        report = reports.get(opaque)
        if report and report["finished"]:
            outcome.passed, outcome.message, outcome.finished = report["passed"], report["message"], True
            read_evidence(outcome, report["sections"])  # shown in the feedback (never a hidden test's)
            outcome.raised_in_todo = todo_that_raised(report["traceback"], folder) if not report["passed"] else None
        else:
            outcome.passed = False
            if running is None:
                running = outcome
                outcome.message = (f"still running when the time limit ({result.seconds:.0f} s) ended the run "
                                   "(an endless loop, or a long wait?)" if result.timed_out else
                                   f"{ENDED_EARLY} (the test process exited with code {result.exit_code})")
            else:
                outcome.message = f"{ENDED_EARLY}: it did not run"
        run.outcomes.append(outcome)
    if running is not None:
        run.flags.append("the tests did not finish within the time limit" if result.timed_out else
                         f"the test run ended early (exit code {result.exit_code})")
    if running is not None and not any(outcome.finished for outcome in run.outcomes):  # nothing ran: say it once
        run.problem = (f"the tests did not finish within {result.seconds:.0f} s (an endless loop, or a long wait?); "
                       f"the first test, {running.name}, was still running" if result.timed_out else
                       f"the test run stopped early, before any test finished (exit code {result.exit_code}): "
                       f"{last_line(result.output)}")
    # "03_protected_route/auth.py:12: LegacyAPIWarning: ...": paths as the student knows them
    run.advice = read_warnings(log, str(folder.parent) + os.sep) if log.exists() else []
    import_failure = next((outcome.message for outcome in run.outcomes if IMPORT_FAILED in outcome.message), "")
    if import_failure:  # every test fails the same way: say it once, as the lesson's problem
        run.problem = import_failure[import_failure.index(IMPORT_FAILED):]
    return run


MALFORMED = "(a report line pytest would not write)"  # its id in read_reports(): in no plan, so "tampered"
MESSAGE_CHARS = 4000  # of a failure's message, or a run's problem, kept: the rest is cut (a message can be 20 MB)


def read_reports(log):
    """{opaque id: {"passed", "finished", "message", "traceback"}} from pytest-reportlog's lines (one per phase:
    setup, call, teardown). A test passed when its call was reported and no phase failed; it finished when its
    teardown was reported. The run can write to its log: a line that does not parse is passed over (the log's
    bound can cut one short), a test report without the fields pytest writes is reported under MALFORMED."""
    reports = {}
    with open(log, errors="replace") as lines:
        for line in lines:
            try:
                report = json.loads(line)
            except ValueError:
                continue
            if not isinstance(report, dict) or report.get("$report_type") != "TestReport":
                continue
            try:
                nodeid, outcome, when = str(report["nodeid"]), report["outcome"], report["when"]
                failure = (cut(message_of(report)), traceback_text(report), sections_of(report)) \
                    if outcome != "passed" else None
            except (KeyError, TypeError, AttributeError, IndexError, ValueError):
                nodeid, outcome, when, failure = MALFORMED, "failed", "teardown", ("", "", {})
            found = reports.setdefault(nodeid, {"passed": True, "finished": False, "message": "", "traceback": "",
                                                "sections": {}, "called": False})
            if failure and found["passed"]:
                found["passed"], (found["message"], found["traceback"], found["sections"]) = False, failure
            found["finished"] = found["finished"] or when == "teardown"
            found["called"] = found["called"] or when == "call"
    for found in reports.values():  # setup and teardown alone, no call: not a pass (pytest reports every call)
        if found["passed"] and not found["called"]:
            found["passed"], found["message"] = False, "its result was not reported"
    return reports


def sections_of(report):
    """{title: text} of what a failed test left behind in its report (course/evidence.py: the error the app logged,
    where a hang was stuck, the page's JavaScript errors), each cut to MESSAGE_CHARS."""
    return {str(title): cut(text) for title, text in report.get("sections", [])}


def cut(text):
    """The text, at most MESSAGE_CHARS of it, saying how much was cut."""
    text = str(text)
    extra = len(text) - MESSAGE_CHARS
    return text if extra <= 0 else f"{text[:MESSAGE_CHARS]} [... {extra} characters cut]"


def traceback_text(report):
    longrepr = report.get("longrepr")
    entries = longrepr.get("reprtraceback", {}).get("reprentries", []) if isinstance(longrepr, dict) else []
    return "".join(str(line) for entry in entries for line in entry.get("data", {}).get("lines", []))


def todo_that_raised(traceback, folder):
    """The TODO region of the innermost line of the lesson's own code in a failure's traceback, if that line is
    inside one: an exception raised by the code of TODO 3 is TODO 3's to fix, whichever test saw it.

    The traceback is the run's to write (an exception's message can look like a traceback line), and so is the
    folder: only a file that is really in it, and is a file (not a named pipe, which would keep the grader
    waiting, nor a link to /dev/zero), of a lesson file's size, is read."""
    own = [(path, int(line)) for path, line in FRAME.findall(traceback) if Path(path).is_relative_to(folder)]
    if not own:
        return None
    path, line = own[-1]
    try:
        path = Path(path).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file() or path.stat().st_size > 1 << 20:
            return None
        return todo_at(path.read_text(errors="replace"), line)
    except (OSError, RuntimeError):  # RuntimeError: a loop of links
        return None
