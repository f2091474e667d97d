"""Attack: tell the canaries from the real tests without reading course/grading_plugin.py: the canaries never run
the lesson's code, the real tests all do. Lesson 01's config.py counts the Config objects made (create_app makes
one) and turns a test's reports into passes only when one was made since the last test ended. pytest's report
module is found with names built at run time (no flag).

Expected (fixed): the canaries that must fail run the lesson's code too, so they are forged as well: "the test run
was tampered with", 0 points. Before: 10 of 10, no flag."""
import tempfile
from pathlib import Path

from common import grade, show

from course.sample_submissions import INFORMED_CHEATS, make_cheat

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        folder = make_cheat(work / "forges_when_its_code_ran", INFORMED_CHEATS["forges_when_its_code_ran"])
        rows, _, result, seconds = grade([folder], work / "out", "--lessons", "01")
        show(rows, result, seconds)
