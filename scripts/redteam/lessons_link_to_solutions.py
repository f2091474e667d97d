"""Attack: a repository-shaped submission whose `lessons` is a link to the course's solutions/.

find_lessons() refuses a lesson folder that is a link, but not a `lessons` folder that is one. Graded the way the
README says (`python -m course grade submissions/*` from the course's root, submissions inside it), a relative link
`lessons -> ../../solutions` makes the grader copy the reference as the student's work. A git repository stores
links, so a clone from GitHub Classroom keeps it.

Expected (fixed): 0 points, "no lessons found" or a refusal that names the link. Before the fix: full marks, no
flag."""
import os
import shutil
import tempfile
from pathlib import Path

from common import ROOT, grade, show

submissions = ROOT / "submissions-redteam"
shutil.rmtree(submissions, ignore_errors=True)
(submissions / "relative_link").mkdir(parents=True)
os.symlink("../../solutions", submissions / "relative_link" / "lessons")  # as the README lays submissions out
(submissions / "absolute_link" / "repo-main").mkdir(parents=True)
os.symlink(ROOT / "solutions", submissions / "absolute_link" / "repo-main" / "lessons")  # a zip's layout
try:
    with tempfile.TemporaryDirectory() as work:
        rows, _, result, seconds = grade(sorted(submissions.iterdir()), Path(work), "--lessons", "01,02", "--jobs", "2")
        show(rows, result, seconds, ("01_config", "02_login"))
finally:
    shutil.rmtree(submissions)
