"""Attack: a failure message of 20 MB. The run's output is cut at 1 MB, but the messages in its report log are
not: each test's message goes whole into the grader's memory, the JSON gradebook, the student's feedback and the
HTML report (as a reason, twice).

- huge_error: lesson 01's config.py raises RuntimeError('x' * 20 MB) at import: every test fails with it.
- many_warnings: lesson 01's config.py raises 50,000 different warnings: each one is advice, in the feedback.

Expected: messages and advice cut to a few KB, the gradebook and report of normal size."""
import tempfile
from pathlib import Path

from common import grade, show

from course.sample_submissions import make_cheat

HUGE_ERROR = "raise RuntimeError('x' * 20_000_000)\n"  # 20 MB; INFORMED_CHEATS["huge_error"] is 1 MB
MANY_WARNINGS = "import warnings\nfor _n in range(50_000):\n    warnings.warn(f'advice number {_n}')\n"

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        folders = [make_cheat(work / "huge_error", HUGE_ERROR), make_cheat(work / "many_warnings", MANY_WARNINGS)]
        rows, _, result, seconds = grade(folders, work / "out", "--lessons", "01", "--jobs", "2")
        show(rows, result, seconds)
        for path in sorted((work / "out").rglob("*.*")):
            print(f"  {path.relative_to(work / 'out')}: {path.stat().st_size / 1e6:.1f} MB")
