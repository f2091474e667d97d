"""The student edition of the course: what students are handed (a template repository, a zip).

It is what git has committed at HEAD, like `git archive`: never an untracked file (a `submissions/` folder, a
gradebook, notes), never a local edit that is not committed (those are listed, as a warning). Left out:

- `solutions/`, and the instructor's hidden tests (`tests/hidden/`, see course/lessons.py);
- with `upto`, every lesson after that one: its starter, tests and notebook, and its entry in lessons.toml. Lesson
  N+1's starter is lesson N's solution with a new TODO, so a course handed out one lesson at a time must stop at
  the lesson handed out, or its next starter gives the answers away.

Plain `pytest` works in the edition, without git: it tests the starters of `lessons/`.
"""
import io
import re
import subprocess
import tarfile
from pathlib import Path

from course.lessons import CATALOGUE, HIDDEN_TESTS, ROOT, all_lessons, find_lesson

INSTRUCTOR_ONLY = ("solutions/", f"{HIDDEN_TESTS}/")


def export_student(destination, upto=None):
    """Write the student edition into `destination` (a new or empty folder). `upto`: a lesson number or id, the
    last lesson of the edition. Returns ([files written], [local edits left out])."""
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise ValueError(f"{destination} is not empty: export into a new folder")
    left_out = instructor_only(upto)
    archive = tarfile.open(fileobj=io.BytesIO(git("archive", "--format=tar", "HEAD")))
    members = [member for member in archive.getmembers()
               if not member.isdir() and not member.name.startswith(left_out)]
    destination.mkdir(parents=True, exist_ok=True)
    archive.extractall(destination, members=members, filter="data")
    if upto is not None:
        catalogue = destination / CATALOGUE.relative_to(ROOT)
        catalogue.write_text(catalogue_upto(catalogue.read_text(), find_lesson(str(upto))))
    return [member.name for member in members], local_edits(left_out)


def instructor_only(upto):
    """The path prefixes the edition leaves out."""
    if upto is None:
        return INSTRUCTOR_ONLY
    last = find_lesson(str(upto))
    later = [lesson.id for lesson in all_lessons() if lesson.number > last.number]
    return INSTRUCTOR_ONLY + tuple(path for lesson_id in later for path in
                                   (f"lessons/{lesson_id}/", f"tests/test_{lesson_id}.py",
                                    f"notebooks/{lesson_id}.ipynb"))


def catalogue_upto(text, last):
    """lessons.toml's text with the `[[lesson]]` entries after lesson `last` taken out (comments kept)."""
    head, *entries = re.split(r"^(?=\[\[lesson\]\]$)", text, flags=re.MULTILINE)
    kept = [entry for entry in entries if int(re.search(r'^id = "(\d\d)_', entry, re.MULTILINE)[1]) <= last.number]
    return head + "".join(kept).rstrip("\n") + "\n"


def local_edits(left_out):
    """Files whose local state git has not committed (changed, staged, deleted, or new and not ignored): the
    edition, written from HEAD, does not have that state. Files of the parts it leaves out anyway are not listed."""
    changed = git("diff", "--name-only", "-z", "HEAD").decode().split("\0")
    untracked = git("ls-files", "--others", "--exclude-standard", "-z").decode().split("\0")
    return sorted({path for path in changed + untracked if path and not path.startswith(left_out)})


def git(*arguments):
    """Run git in the course's folder; refuse plainly where the course is not a git checkout."""
    try:
        return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        why = getattr(error, "stderr", b"").decode(errors="replace").strip() or str(error)
        raise ValueError(f"the student edition is exported from git's last commit, and git says: {why}") from None
