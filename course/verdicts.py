"""The last verdict of each lesson, kept so that `progress` runs again only the lessons whose files changed.

`check` and `watch` write down each lesson's test results with a fingerprint of everything they depend on: the
lesson folder's files (every path and every byte, as the grader copies them: course/regions.py's lesson_files),
the course's own code and tests, this Python, and which of the programs the tests start are installed. The tests
are deterministic, so the same fingerprint gives the same results: `progress` shows those, and runs the tests only
of the lessons whose fingerprint changed. The file lives beside the lesson folders (git ignores it); delete it to
start over.

A run that stopped because of the machine (out of time, the tests could not start) is not kept: it says nothing
about the files.
"""
import dataclasses
import hashlib
import json
import os
import shutil
import sys

from course.browser import chromium_path
from course.lessons import ROOT
from course.loader import IMPORT_FAILED
from course.regions import lesson_files
from course.runner import LessonRun, TestOutcome

VERDICTS_FILE = ".course-verdicts.json"
# The course's own files that decide a verdict: its tooling, its tests, its pytest settings and its packages.
COURSE_FILES = ["course/**/*.py", "course/lessons.toml", "tests/**/*.py", "pyproject.toml", "requirements.txt"]


def course_version():
    """A fingerprint of the course's own files and of this Python (a change to any of them may change a verdict)."""
    digest = hashlib.sha256(sys.version.encode())
    for pattern in COURSE_FILES:
        for path in sorted(ROOT.glob(pattern)):
            if "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fingerprint(lesson, target, course=None):
    """What the verdict of `lesson` in the folder of lessons `target` depends on, as one hash."""
    folder = target / lesson.id
    digest = hashlib.sha256(f"{course or course_version()}\0{lesson.id}\0".encode())
    programs = (shutil.which("redis-server"), chromium_path())  # where one is missing, its tests are skipped
    digest.update(repr(programs).encode())
    for path in lesson_files(folder) if folder.is_dir() else []:
        digest.update(str(path).encode() + b"\0" + (folder / path).read_bytes() + b"\0")
    return digest.hexdigest()


def worth_keeping(run):
    """Whether a run says something about the lesson's files: it ran, or its app.py does not import."""
    timed_out = any(outcome.stuck_at for outcome in run.outcomes)  # a slow machine, or an endless loop
    return not timed_out and (not run.problem or run.problem.startswith(IMPORT_FAILED))


def load(target):
    try:
        return json.loads((target / VERDICTS_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return {}


def remember(target, lesson, run, course=None):
    """Write down the verdict of `lesson` (a course.runner.LessonRun), if it is worth keeping."""
    if not worth_keeping(run):
        return
    verdicts = load(target)
    verdicts[lesson.id] = {"fingerprint": fingerprint(lesson, target, course), "run": dataclasses.asdict(run)}
    written = target / f"{VERDICTS_FILE}.{os.getpid()}"
    written.write_text(json.dumps(verdicts, indent=1) + "\n")
    os.replace(written, target / VERDICTS_FILE)  # at once: a `progress` reading it meanwhile sees all or nothing


def recall(target, lesson, course=None, verdicts=None):
    """The verdict written down for `lesson` if its fingerprint is still the same, else None."""
    kept = (verdicts if verdicts is not None else load(target)).get(lesson.id)
    if not kept or kept["fingerprint"] != fingerprint(lesson, target, course):
        return None
    run = dict(kept["run"])
    run["outcomes"] = [TestOutcome(**outcome) for outcome in run["outcomes"]]
    return LessonRun(**run)
