"""Write the GitHub Classroom files from lessons.toml: one autograding test per TODO, worth its share of the
lesson's points (course/scoring.py), so that Classroom and `python -m course grade` give the same numbers.

    python -m course.classroom        # rewrites .github/classroom/autograding.json and .github/workflows/classroom.yml

The workflow grades with the course's own files as the template gave them, never the student's copies:
see the comment at the top of WORKFLOW_HEAD, and the README's instructor section.
"""
import json
import shutil
import subprocess
from pathlib import Path

from course.lessons import ROOT, all_lessons
from course.scoring import todo_shares

AUTOGRADING = ROOT / ".github" / "classroom" / "autograding.json"
WORKFLOW = ROOT / ".github" / "workflows" / "classroom.yml"
GRADER = "$HOME/course-grader"  # where the workflow assembles the course's grader and the student's lessons/
TIMEOUT_MINUTES = 5
# What grading runs: taken from the pinned commit, whatever the student's latest commit holds.
GRADER_FILES = "course tests pyproject.toml requirements.txt requirements-grading.txt"

WORKFLOW_HEAD = f"""\
# Written by `python -m course.classroom` from course/lessons.toml: edit that, not this file.
# GitHub Classroom autograding: one test per TODO, each worth its share of the lesson's points, by the rule of
# course/scoring.py (the same numbers as `python -m course grade`).
#
# Keeping it honest: the tests, the grader and the pytest configuration come from GRADER_COMMIT (empty: this
# repository's first commit, which is the template as the student received it), never from the student's
# latest commit; only lessons/ does. A student who edits this file itself, or rewrites the repository's
# history, can still change the grade: `python -m course grade` on the collected repositories is the grade
# of record (README, "How an instructor grades").
name: Autograding Tests
on:
  - push
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
env:
  GRADER_COMMIT: ""
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
    - name: Checkout code
      uses: actions/checkout@v4
      with:
        fetch-depth: 0
    - name: Set up Python
      uses: actions/setup-python@v5
      with:
        python-version: "3.11"
    - name: Set up the course's own grader
      run: |
        set -eu
        pinned="${{GRADER_COMMIT:-$(git rev-list --max-parents=0 HEAD | tail -n 1)}}"
        rm -rf "{GRADER}" && mkdir -p "{GRADER}"
        git archive "$pinned" {GRADER_FILES} | tar -x -C "{GRADER}"
        if ! git diff --quiet "$pinned" HEAD -- {GRADER_FILES}; then
          echo "::warning::The course's own files were changed; grading uses them as of $pinned."
        fi
        cp -R lessons "{GRADER}/lessons"
        # Lesson 07's tests start their own redis-server, lesson 09's drive headless Chromium: install the programs
        # the runner lacks (a missing one would skip the tests that need it, and a skipped test earns nothing).
        missing=""
        command -v redis-server >/dev/null || missing="$missing redis-server"
        command -v chromium >/dev/null || command -v google-chrome >/dev/null || missing="$missing chromium"
        [ -z "$missing" ] || {{ sudo apt-get update -qq && sudo apt-get install -y -qq $missing; }}
        cd "{GRADER}" && pip install -r requirements-grading.txt
"""


def classroom_tests():
    """[(step id, test name, command, points)], one per TODO of every lesson."""
    return [(f"lesson-{lesson.id[:2]}-todo-{number}", f"{lesson.id[:2]} {lesson.title}: TODO {number}",
             f'cd "{GRADER}" && python -m course check {lesson.id[:2]} --todo {number}', share)
            for lesson in all_lessons() for number, share in todo_shares(lesson).items()]


def autograding_json():
    tests = [{"name": name, "setup": "", "run": command, "input": "", "output": "", "comparison": "included",
              "timeout": TIMEOUT_MINUTES, "points": points} for _, name, command, points in classroom_tests()]
    return json.dumps({"tests": tests}, indent=2, ensure_ascii=False) + "\n"


def workflow_yaml():
    lines = [WORKFLOW_HEAD.rstrip("\n")]
    for step_id, name, command, points in classroom_tests():
        lines += [f"    - name: {json.dumps(name)}", f"      id: {step_id}",
                  "      uses: classroom-resources/autograding-command-grader@v1", "      with:",
                  f"        test-name: {json.dumps(name)}", f"        command: {json.dumps(command)}",
                  f"        timeout: {TIMEOUT_MINUTES}", f"        max-score: {points}"]
    ids = [step_id for step_id, *_ in classroom_tests()]
    lines += ["    - name: Autograding Reporter", "      uses: classroom-resources/autograding-grading-reporter@v1",
              "      env:"]
    lines += [f'        {step_id.upper()}_RESULTS: "${{{{steps.{step_id}.outputs.result}}}}"' for step_id in ids]
    lines += ["      with:", f"        runners: {','.join(ids)}"]
    return "\n".join(lines) + "\n"


def export_student(destination):
    """Write the repository as students should get it: every file git tracks (or would), but no solutions/.
    The tests and `course check` keep working on lessons/; grading uses the instructor's copy. Returns the
    number of files written."""
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise ValueError(f"{destination} is not empty: export into a new folder")
    listing = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    files = [name for name in listing.split("\0") if name and not name.startswith("solutions/")
             and (ROOT / name).is_file()]
    for name in files:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)
    return len(files)


def main():
    AUTOGRADING.write_text(autograding_json())
    WORKFLOW.write_text(workflow_yaml())
    print(f"Wrote {AUTOGRADING.relative_to(ROOT)} and {WORKFLOW.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
