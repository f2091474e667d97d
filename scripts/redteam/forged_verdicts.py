"""Attack: forge lesson 01's verdict without any of the imports, calls or words course/integrity.py flags.

- rewrites_report_log: no pytest at all. A thread started at import rewrites the run's report log in place (it is a
  file the sandbox can write, at a path the grader's code names: /run/grading/report.jsonl), turning every
  "failed" into "passed" except in the reports that name the canary's function (`must_fail`). Same length, so
  pytest-reportlog's own writes land where they would have. The thread is not a daemon, so pytest waits for it.
- patches_in_memory: the README's "what it does not guarantee", with names built at run time: vars(sys) for
  sys.modules, "_py" + "test.reports" for pytest's report module; the report of any test whose function is not
  the grader's canary is made a pass.

The code of both is course/sample_submissions.py's INFORMED_CHEATS. Before any fix: 10/10, no flag, for both. Since
the report log goes through a pipe (course/lesson_run.py): rewrites_report_log 0. patches_in_memory still 10/10,
no flag: it cannot be stopped from inside the process (the README says so)."""
import tempfile
from pathlib import Path

from common import grade, show

from course.sample_submissions import INFORMED_CHEATS, make_cheat, make_submission

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        folders = [make_cheat(work / "rewrites_report_log", INFORMED_CHEATS["rewrites_report_log"]),
                   make_cheat(work / "patches_in_memory", INFORMED_CHEATS["patches_in_memory"]),
                   make_submission(work / "untouched", source="lessons")]
        rows, _, result, seconds = grade(folders, work / "out", "--lessons", "01", "--jobs", "2")
        show(rows, result, seconds)
