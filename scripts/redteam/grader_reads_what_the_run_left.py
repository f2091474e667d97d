"""Attack: after a run, the grader's own process (root, unsandboxed, no time limit) reads files the run could
change: its report log (scratch/report.jsonl) and the lesson files a failure's traceback names. A run leaves a
named pipe there, and the grader waits on it forever: the whole class's grading hangs.

- fifo_for_report_log: lesson 01's config.py swaps /run/grading/report.jsonl for a named pipe (pytest keeps
  writing to the file it opened, now unlinked); the grader opens the pipe to read the report: blocks.
- fifo_in_traceback: config.py makes a named pipe in its own lesson folder and raises an error whose message
  looks like a traceback line naming it; the grader opens it to find which TODO raised: blocks.
(A link to /dev/zero instead of a pipe makes the grader read until the machine's memory is gone: not tried here.)

Expected: each graded 0 on lesson 01 within its time limits. Before the fix: grading never ends."""
import subprocess
import tempfile
from pathlib import Path

from common import grade, show

from course.sample_submissions import INFORMED_CHEATS, make_cheat

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        for name in ("fifo_for_report_log", "fifo_in_traceback"):
            folder = make_cheat(work / name, INFORMED_CHEATS[name])
            try:
                rows, _, result, seconds = grade([folder], work / f"{name}-out", "--lessons", "01", timeout=90)
                show(rows, result, seconds)
            except subprocess.TimeoutExpired:
                print(f"{name}: grading had not ended after 90 s (stopped)")
