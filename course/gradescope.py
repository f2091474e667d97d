"""Gradescope: an autograder bundle for a chosen set of lessons, and what runs inside it.

    python -m course gradescope --lessons 01,02 --output autograder.zip

Gradescope builds an image from the zip once: it unpacks the zip in /autograder/source and runs setup.sh there
as root (on Ubuntu 22.04 by default). Then, for each submission, it puts the student's files in
/autograder/submission, runs /autograder/run_autograder, and shows /autograder/results/results.json (the format:
https://gradescope-autograders.readthedocs.io/en/latest/specs/). run_autograder runs `python -m course.gradescope`,
which grades the submission with the course's grader, the same as `python -m course grade` (grading.grade_all:
the hidden tests, the canaries, partial credit per TODO), and writes results.json: one test per TODO (its share of
the points, passed or failed, what failed in plain words), the total, the time it took. The student's text (an
error message of their code) is shown as text, never as HTML or Markdown, and each output is cut at a bound.
Integrity flags and the full feedback go to run_autograder's standard output, which Gradescope shows to
instructors only.

The sandbox. Gradescope runs every submission in a Docker container of its own, as root: other students' work is
out of its reach. Inside that container, bubblewrap can make its sandbox only where Docker lets a process make
namespaces, which its default seccomp profile does not (bubblewrap's issue #505). run_autograder tries: where
bubblewrap works, each lesson runs in its sandbox as with `course grade`; where it does not, the submission's code
runs with the grader's rights, so it could rewrite its own results, and results.json's output says so in its
first line. The README tells instructors what to do then (grade the downloaded submissions with `course grade`).
"""
import argparse
import json
import re
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from course.gradebook import feedback_text, todo_report, write_atomically
from course.grading import Runner, grade_all
from course.lessons import ROOT, find_lesson, test_files
from course.regions import lesson_files
from course.sandbox import sandbox_problem
from course.scoring import todo_shares

BUNDLE_SETTINGS = "gradescope.json"  # in the bundle: the lessons it grades, and the tests' visibility
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")  # Gradescope's words
OUTPUT_LIMIT = 10_000  # characters of a test's output (and of the whole submission's) shown to the student
# Seconds of test runs for one submission, all its lessons together: under Gradescope's own timeout (10 minutes
# unless the assignment's settings say more), which would end the run before any results.json is written.
BUDGET = 480
# The course's files the grader needs (beside the lessons' own folders, and tests/ whole: its hidden tests too).
COURSE_FILES = ["course", "tests", "pyproject.toml", "requirements-grading.txt"]

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root in /autograder/source, when it builds the autograder's image
# (written by `python -m course gradescope`).
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Python 3.11 or later (the course needs it), bubblewrap (the grader's sandbox, where the container allows one),
# redis-server (lesson 07's tests start one)
apt-get install -y -qq python3.11 python3.11-venv bubblewrap redis-server
{browser}python3.11 -m venv .venv
.venv/bin/pip install -q -r requirements-grading.txt
# Time each lesson's reference here, once: each run's time limit comes from it (course/grading.py)
.venv/bin/python -m course.gradescope --calibrate
"""
# Lessons whose tests drive a browser: Ubuntu packages Chromium only as a snap, which does not run in a container.
BROWSER = """\
# Google Chrome: lesson {lesson}'s tests drive a browser (Ubuntu's Chromium is a snap, which does not run here)
apt-get install -y -qq curl
curl -fsSL -o /tmp/chrome.deb https://dl.google.com/linux/direct/google-chrome-stable_current_amd64.deb
apt-get install -y -qq /tmp/chrome.deb
"""
RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission, as root in /autograder: grade /autograder/submission with the course's
# grader, write /autograder/results/results.json (course/gradescope.py). To try it elsewhere: AUTOGRADER_ROOT is the
# folder that holds source/, submission/ and results/; AUTOGRADER_PYTHON the Python that has the course's packages.
root="${AUTOGRADER_ROOT:-/autograder}"
cd "$root/source"
exec "${AUTOGRADER_PYTHON:-$root/source/.venv/bin/python}" -m course.gradescope "$root"
"""


# --- The bundle ----------------------------------------------------------------------------------------------

def write_bundle(lessons, output, visibility="visible", budget=BUDGET):
    """Write the autograder zip for `lessons`; return the number of files in it."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"--visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    files = course_files(lessons)
    settings = {"lessons": [lesson.id for lesson in lessons], "visibility": visibility, "budget": budget}
    browser = next((lesson for lesson in lessons if drives_a_browser(lesson)), None)
    setup = SETUP.format(browser=BROWSER.format(lesson=browser.id[:2]) if browser else "")
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text, mode in (("setup.sh", setup, 0o755), ("run_autograder", RUN, 0o755),
                                 (BUNDLE_SETTINGS, json.dumps(settings, indent=1) + "\n", 0o644)):
            entry = zipfile.ZipInfo(name)
            entry.external_attr = (0o100000 | mode) << 16  # a regular file, with these permissions
            entry.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(entry, text)
        for name in files:
            bundle.write(ROOT / name, name)
    return len(files) + 3


def course_files(lessons):
    """The course's files the bundle holds: the grader and every test, the lessons' starters and references (and
    a capstone's target: the reference it attacks), not caches or local settings."""
    folders = [f"{kind}/{lesson_id}" for lesson in lessons
               for lesson_id in (lesson.id, *([lesson.course_app] if lesson.course_app else []))
               for kind in ("lessons", "solutions")]
    names = []
    for part in [*COURSE_FILES, *dict.fromkeys(folders)]:
        path = ROOT / part
        names += [f"{part}/{name}" for name in lesson_files(path)] if path.is_dir() else [part]
    return names


BROWSER_TEST = re.compile(r"^def test_\w+\([^)]*\b(page|browser)\b", re.MULTILINE)


def drives_a_browser(lesson):
    """Whether a lesson's tests ask for the browser fixtures of tests/conftest.py (`page`, `browser`)."""
    return any(BROWSER_TEST.search((ROOT / name).read_text()) for name in test_files(lesson))


# --- Inside Gradescope: grading one submission --------------------------------------------------------------

def grade_for_gradescope(root):
    """Grade root/submission and write root/results/results.json; a results.json is written whatever happens."""
    started = time.monotonic()
    settings = json.loads((ROOT / BUNDLE_SETTINGS).read_text())
    lessons = [find_lesson(lesson_id) for lesson_id in settings["lessons"]]
    problem = sandbox_problem()
    try:
        [submission] = grade_all([root / "submission"], lessons, sandboxed=problem is None, budget=settings["budget"])
        results = results_of(submission, settings["visibility"], problem)
        print(instructor_text(submission, problem))
    except Exception as error:  # a reference that fails here, a bug: the student sees why, the instructor how
        traceback.print_exc()
        results = {"score": 0, "output": capped(f"The autograder could not grade this submission: {error}. "
                                                "Your instructor has been shown the details."), "tests": []}
    results["execution_time"] = round(time.monotonic() - started)
    write_atomically(root / "results" / "results.json", json.dumps(results, indent=1))


def results_of(submission, visibility, why_unsandboxed=None):
    """Gradescope's results.json for a graded submission: one test per TODO of each lesson."""
    tests = [todo_test(grade, number, share, visibility)
             for grade in submission.grades for number, share in todo_shares(grade.lesson).items()]
    return {"score": submission.total, "output": capped(summary(submission, why_unsandboxed)),
            "output_format": "text", "test_output_format": "text", "test_name_format": "text",
            "visibility": visibility, "tests": tests}


def todo_test(grade, number, share, visibility):
    """One TODO as a Gradescope test: its share of the lesson's points, or why it did not earn them."""
    lesson, done = grade.lesson, grade.scored.done[number]
    output = "Done: every test of this TODO passes." if done else "\n".join(todo_report(grade, number))
    return {"name": f"{lesson.id[:2]} {lesson.title}: TODO {number}", "number": f"{lesson.number}.{number}",
            "score": share if done else 0, "max_score": share, "status": "passed" if done else "failed",
            "output": capped(output), "tags": [lesson.id], "visibility": visibility}


def summary(submission, why_unsandboxed):
    """The results' output, for the whole submission: the total, whether it ran in the sandbox, what could not be
    graded, and advice."""
    lines = []
    if why_unsandboxed:  # why, in the instructor's output (instructor_text)
        lines += ["NOT SANDBOXED: this container does not let the grader make its sandbox. Your code ran with the "
                  "grader's rights, in a container of its own.", ""]
    lines.append(f"Total: {submission.total:g} of {submission.maximum}")
    if submission.problem:
        lines += ["", f"Not graded: {submission.problem}"]
    for grade in submission.grades:
        lines.append(f"{grade.lesson.id[:2]} {grade.lesson.title}: {grade.score:g} of {grade.lesson.points}")
        if grade.run.advice:
            lines += ["  Advice (it costs no points): your code raises these warnings; a later library version may "
                      "turn them into errors.", *(f"    {warning}" for warning in grade.run.advice)]
    return "\n".join(lines)


def instructor_text(submission, why_unsandboxed):
    """What run_autograder prints (Gradescope shows it to instructors only): the flags, then the feedback."""
    flags = [f"- {flag}" for flag in submission.flags] or ["- none"]
    sandbox = (f"NOT SANDBOXED: {why_unsandboxed}. The submission's code ran with the grader's rights: it could "
               "have written its own results. For a grade you can trust, download the submissions and grade them "
               "with `python -m course grade`." if why_unsandboxed else "Sandboxed (bubblewrap).")
    return "\n".join([sandbox, "", "Integrity flags (for you, never shown to the student):", *flags, "",
                      feedback_text(submission)])


def capped(text, limit=OUTPUT_LIMIT):
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters cut]"


def calibrate():
    """Time each lesson's reference in this image (setup.sh), so that no submission waits for it."""
    settings = json.loads((ROOT / BUNDLE_SETTINGS).read_text())
    lessons = [find_lesson(lesson_id) for lesson_id in settings["lessons"]]
    with tempfile.TemporaryDirectory(prefix="course-calibrate-") as work:
        Runner(Path(work), sandboxed=sandbox_problem() is None).calibrate(lessons, jobs=1)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course.gradescope",
                                     description="Run inside the Gradescope bundle (run_autograder, setup.sh).")
    parser.add_argument("root", nargs="?", type=Path, help="the folder of source/, submission/ and results/")
    parser.add_argument("--calibrate", action="store_true", help="time the references (setup.sh does, once)")
    args = parser.parse_args(argv)
    if args.calibrate:
        calibrate()
    elif args.root:
        grade_for_gradescope(args.root)
    else:
        parser.error("give the autograder's folder (/autograder), or --calibrate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
