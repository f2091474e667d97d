"""`python -m course watch`: the lesson checked again each time one of its files is saved, in about a second.

A cold `check` starts a new Python, which imports Flask, SQLAlchemy, pytest and the rest before the first test
can run: half a second or more, every time. `watch` is one process that imports them once (import_the_stack),
then forks for each check: the child is a copy of this process with all of that already in memory, and runs the
lesson's tests with pytest.main, with the same arguments, environment and report as `check`'s new process, so
the verdict is the same. The lesson's own modules are never imported here: each child imports them afresh
(course/loader.py), and nothing a check does reaches the next one, which is forked from the same parent.

The programs a lesson's tests start that do not run the learner's code (Redis, the browser) are started once and
kept for the whole session (course/servers.py's `kept`), Redis emptied before each check; gunicorn serves the
learner's app, so each check starts its own.

Saves are file events (watchfiles: inotify on Linux), acted on 50 ms after the last one; every file a learner
edits counts (WATCHED).
"""
import importlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from contextlib import contextmanager
from pathlib import Path

import pytest
import watchfiles

from course.lessons import ROOT
from course.runner import test_environment
from course.servers import RedisServer, kept, redis_installed, stop_process, stop_when_parent_dies

WATCHED = (".py", ".js", ".html", ".css")  # the files a learner edits
# What the lessons' tests import, and pytest: imported once, by the parent. (Not the course's pytest plugins or
# tests: pytest rewrites their asserts as it imports them, so each child imports those.)
STACK = ["flask", "flask_restful", "flask_jwt_extended", "jwt", "flask_sqlalchemy", "sqlalchemy", "marshmallow",
         "dotenv", "werkzeug.serving", "requests", "time_machine", "redis",
         "cryptography.hazmat.primitives.serialization", "cryptography.hazmat.primitives.asymmetric.ed25519",
         "playwright.sync_api", "_pytest.junitxml", "course.notebook", "course.sample_submissions"]


@contextmanager
def saves_in(folder):
    """Yields an iterator whose next() waits until a file a learner edits is saved in `folder` (or added, or
    deleted). It watches from the start: a save made before next() is called counts. A folder that is not there
    yet is watched for from the folder above it."""
    inside = str(folder) + os.sep
    saves = watchfiles.watch(folder if folder.is_dir() else folder.parent, step=50, rust_timeout=100,
                             watch_filter=lambda change, path: path.startswith(inside) and path.endswith(WATCHED),
                             yield_on_timeout=True)
    next(saves)  # the watching starts here (an empty answer after 0.1 s, or the first saves)
    try:
        yield (found for found in saves if found)
    finally:
        saves.close()


class Forked:
    """A pytest run in a forked child: the part of subprocess.Popen that course/runner.py uses (pid, poll, wait)."""

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self):
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode


class WarmChecks:
    """The long-lived side of `watch`: the stack imported once, the kept programs, and `launch`, which runs
    pytest in a fork (course/runner.py's run_tests(..., launch=...))."""

    def __init__(self):
        for name in STACK:
            importlib.import_module(name)
        self.folder = Path(tempfile.mkdtemp(prefix="course-watch-"))
        self.redis = None
        self.browser = None  # the process that keeps the browser open (course/browser.py)

    def __enter__(self):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # stopped: the kept ones stop too
        return self

    def __exit__(self, *error):
        kept.clear()
        if self.redis is not None:
            self.redis.stop()
        if self.browser is not None:
            self.browser.stdin.close()  # it closes the browser and ends
            stop_process(self.browser)
        shutil.rmtree(self.folder, ignore_errors=True)

    def keep_programs_for(self, run):
        """Start the programs the last check's tests started, to keep them for the next checks."""
        needed = {name.strip() for outcome in run.outcomes for name in outcome.needs.split(",") if name}
        if "Redis" in needed and self.redis is None and redis_installed():
            self.redis = kept["redis"] = RedisServer(self.folder)
        if "a browser" in needed and self.browser is None:
            # Started now, in the background: its address is read before the next check (launch)
            self.browser = subprocess.Popen([sys.executable, "-m", "course.browser"], cwd=ROOT, text=True,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                            start_new_session=True, preexec_fn=stop_when_parent_dies)

    def launch(self, arguments, output):
        """Run pytest.main(arguments) in a forked child, its output to the file `output`, as
        course/runner.py's start_pytest runs it in a new process."""
        if self.browser is not None and "browser" not in kept:
            address = self.browser.stdout.readline().strip()  # empty if it could not start: then each check starts one
            if address:
                kept["browser"] = address
        if "redis" in kept:
            with kept["redis"].client() as client:
                client.flushall()  # every database of it: the tests' and gunicorn's
        sys.stdout.flush()  # else the child would print again what is still in the buffers
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            return Forked(pid)
        run_pytest_here(arguments, output)  # the child: never returns


def run_pytest_here(arguments, output):
    """In the forked child: become what start_pytest starts (the repository root as working folder, a process
    group of its own, only the test environment's variables, the output to a file), run pytest, and exit."""
    code = pytest.ExitCode.INTERNAL_ERROR
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's way of stopping is not the child's
        os.setsid()  # a group of its own: the runner ends the whole group when time is up
        os.chdir(ROOT)
        sys.path.insert(0, str(ROOT))  # as `python -m pytest` run from there
        os.environ.clear()
        os.environ.update(test_environment())
        sink = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(sink, 1)
        os.dup2(sink, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        code = pytest.main(arguments)
    except BaseException:  # noqa: BLE001 - whatever happened, it is said in the output, and the child ends
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
