"""Attack: take the machine's CPU from whoever is graded at the same time (--jobs 2), so that their lessons run
out of time. Each lesson of the hog starts 400 processes that spin (at most the sandbox's process limit, 512)
until its run is stopped. Its own lessons earn nothing; the point is the classmate's.

Expected: the honest reference graded beside it scores what it scores alone (30 of 30 on lessons 01 and 02),
whatever company and order, in about the time it takes alone (lesson 02: 1.5 to 2.6 s here).
Measured (under load): as root before the CPU cgroup, the honest lesson 02 took 11.5 s; with it, 1.5 s. As an
unprivileged user (no cgroup, so no CPU limit in all) it still took 12.2 s: near its limit."""
import tempfile
from pathlib import Path

from common import grade, show

from course.sample_submissions import make_cheat, make_submission

SPINS = """
import os

_fork, _session = getattr(os, "fo" + "rk"), getattr(os, "set" + "sid")
for _ in range(400):
    if _fork() == 0:
        _session()  # a session of its own: the kernel's autogroup shares the CPU between sessions, not processes
        while True:
            pass
"""

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        hog = make_cheat(work / "a_hog", SPINS)
        login = hog / "02_login" / "config.py"
        login.write_text(SPINS + login.read_text())
        honest = make_submission(work / "honest")
        rows, record, result, seconds = grade([hog, honest], work / "out", "--lessons", "01,02", "--jobs", "2")
        show(rows, result, seconds, ("01_config", "02_login"))
        for name in ("honest",):
            for lesson, entry in record[name]["lessons"].items():
                print(f"  {name} {lesson}: {entry['seconds']} s, {entry['problem'][:150]}")
