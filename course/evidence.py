"""What a failed test leaves behind that points at the learner's code, gathered while the test runs (by the
course's pytest plugin) and shown by `check` under the failure:

- the error the app logged: a bug in a request handler becomes a 500 answer, and the test sees only the status;
  the exception itself went to the app's log (app.logger.exception, or Flask's own log);
- the line a test that hung was stuck on, when pytest-timeout stopped it (in the test's own thread, or in a
  server thread of the test);
- the JavaScript errors of a page in the browser: an error in the page's script only shows as a page that never
  gets ready, and the test waits until its time limit.

Each is added to the test's report as a section of its own (pytest prints these under a failure; the runner
reads them back from the report log): SECTIONS names them.
"""
import linecache
import logging
import sys
import threading
from pathlib import Path

LOGGED_ERROR = "Error the app logged"
STUCK_AT = "Where the test was stuck"
PAGE_ERRORS = "JavaScript errors on the page"
SECTIONS = (LOGGED_ERROR, STUCK_AT, PAGE_ERRORS)


class LoggedErrors(logging.Handler):
    """Keeps the log records that carry an exception (logger.exception(...), or error(..., exc_info=...))."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            self.records.append(record)


def lines_in(traceback, folder):
    """The lines of a traceback that are in `folder`, outermost first, each as "02_login/resources.py:41: code"
    (paths relative to `folder`, the folder of lesson folders)."""
    found = []
    while traceback is not None:
        found.append(_line_in(traceback.tb_frame, traceback.tb_lineno, folder))
        traceback = traceback.tb_next
    return [line for line in found if line]


def lines_in_stack(frame, folder):
    """The same for a running thread's stack, from its current `frame`."""
    found = []
    while frame is not None:
        found.insert(0, _line_in(frame, frame.f_lineno, folder))
        frame = frame.f_back
    return [line for line in found if line]


def _line_in(frame, line, folder):
    file = Path(frame.f_code.co_filename)
    if not file.is_relative_to(folder):
        return ""
    return f"{file.relative_to(folder)}:{line}: {linecache.getline(str(file), line).strip()}"


def logged_error(handler, folder):
    """The first logged exception, preferring one raised through the learner's code: its type, message and
    where ("KeyError: 'family'\\n  at 07_logout/resources.py:88: ..."); "" when nothing was logged."""
    described = []
    for record in handler.records:
        error = record.exc_info[1]
        where = (lines_in(error.__traceback__, folder) or [""])[-1]
        described.append((not where, f"{type(error).__name__}: {error}" + (f"\n  at {where}" if where else "")))
    return min(described, key=lambda pair: pair[0])[1] if described else ""


STACK_LINES = 3  # of a hung test's stack in the learner's code, the innermost ones shown


def stuck_at(traceback, folder):
    """Where a test that ran out of time was, as lines of the learner's code, innermost last: in the test's own
    thread (the traceback of pytest-timeout's exception), else in another thread (a server the test started)."""
    here = lines_in(traceback, folder)
    others = [frame for ident, frame in sys._current_frames().items() if ident != threading.get_ident()]
    for frame in others:
        here = here or lines_in_stack(frame, folder)
    return "\n".join(here[-STACK_LINES:])
