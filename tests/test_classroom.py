"""GitHub Classroom: one autograding test per TODO worth its share of the points, the same numbers as
`python -m course grade`, and grading with the course's own tests even when a student has tampered with theirs.

The workflow cannot run here; its shell steps do, in a student's repository made with git, with nothing but
PATH and HOME in the environment (as the command grader runs them).
"""
import csv
import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from course.classroom import AUTOGRADING, WORKFLOW, autograding_json, workflow_yaml
from course.lessons import LOCAL_FILES, ROOT, all_lessons
from course.sample_submissions import TAMPERING, solve_todos
from course.scoring import todo_shares

LESSONS = all_lessons()
IGNORE = shutil.ignore_patterns(*LOCAL_FILES)
TESTS = json.loads(AUTOGRADING.read_text())["tests"]
STEPS = yaml.safe_load(WORKFLOW.read_text())["jobs"]["run-autograding-tests"]["steps"]
GRADER_STEPS = [step for step in STEPS if step.get("uses", "").startswith("classroom-resources/autograding-command")]
SETUP_STEP = next(step for step in STEPS if step["name"] == "Set up the course's own grader")
# What the student's lessons/ holds: lesson id -> "solutions", "lessons" (untouched) or the TODOs done.
WORK = {"01_config": [1], "02_login": "solutions", "03_protected_route": "lessons", "04_expiry": [2],
        "05_error_handling": "solutions"}
# The lesson whose Classroom commands are run: lesson 01, with TODO 1 done and TODO 2 not, so one command must pass
# and the other fail (a command that ran the wrong TODO, or all of them, would get one of the two wrong). Every
# command runs a lesson's tests, so running them all would cost every lesson again; that every lesson's commands
# and points come from lessons.toml and scoring is checked without running them (test_one_test_per_todo_...), and
# that each lesson's TODO tests fail on its starter by tests/test_course.py.
SAMPLE = ["01_config"]
SAMPLE_TESTS = [test for test in TESTS if any(test["name"].startswith(lesson[:2] + " ") for lesson in SAMPLE)]


def test_the_classroom_files_are_written_from_lessons_toml():
    assert AUTOGRADING.read_text() == autograding_json(), "run: python -m course.classroom"
    assert WORKFLOW.read_text() == workflow_yaml(), "run: python -m course.classroom"


def test_one_test_per_todo_worth_its_whole_share_of_the_lessons_points():
    expected = [(f"{lesson.id[:2]} {lesson.title}: TODO {number}", share)
                for lesson in LESSONS for number, share in todo_shares(lesson).items()]
    assert [(test["name"], test["points"]) for test in TESTS] == expected
    for lesson in LESSONS:
        assert sum(todo_shares(lesson).values()) == lesson.points
    assert sum(test["points"] for test in TESTS) == sum(lesson.points for lesson in LESSONS)
    assert [step["with"]["command"] for step in GRADER_STEPS] == [test["run"] for test in TESTS]
    assert [step["with"]["max-score"] for step in GRADER_STEPS] == [test["points"] for test in TESTS]


def test_grading_installs_only_lines_of_the_main_requirements():
    main = (ROOT / "requirements.txt").read_text().splitlines()
    grading = [line for line in (ROOT / "requirements-grading.txt").read_text().splitlines()
               if line and not line.startswith("#")]
    assert set(grading) <= set(main), "requirements-grading.txt must use requirements.txt's pins"
    assert "-e ." in grading and not any(line.startswith(("jupyter", "nbclient")) for line in grading)


def git(repository, *arguments):
    subprocess.run(["git", "-c", "user.name=Student", "-c", "user.email=student@example.com", *arguments],
                   cwd=repository, check=True, capture_output=True)


def bare_environment(home, *extra_path):
    """What the command grader passes on: PATH (with this Python first) and HOME, nothing else."""
    return {"PATH": ":".join([*map(str, extra_path), str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
            "HOME": str(home)}


@pytest.fixture(scope="module")
def student_repository(tmp_path_factory):
    """A Classroom repository: the template as its first commit, then the student's work, with a conftest.py
    (theirs and one at the top) that makes every test pass."""
    repository = tmp_path_factory.mktemp("student")
    for part in ("course", "tests", "pyproject.toml", "requirements.txt", "requirements-grading.txt", "lessons"):
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, repository / part, ignore=IGNORE)
        else:
            shutil.copy(ROOT / part, repository / part)
    git(repository, "init", "-q")
    git(repository, "add", ".")
    git(repository, "commit", "-q", "-m", "Initial commit")
    for lesson_id, work in WORK.items():
        if work == "solutions":
            shutil.rmtree(repository / "lessons" / lesson_id)
            shutil.copytree(ROOT / "solutions" / lesson_id, repository / "lessons" / lesson_id, ignore=IGNORE)
        elif work != "lessons":
            solve_todos(repository / "lessons" / lesson_id, ROOT / "solutions" / lesson_id, work)
    with (repository / "tests" / "conftest.py").open("a") as file:
        file.write(TAMPERING)
    (repository / "conftest.py").write_text("import pytest\n" + TAMPERING)
    git(repository, "add", ".")
    git(repository, "commit", "-q", "-m", "My work")
    return repository


@pytest.fixture(scope="module")
def classroom_results(student_repository, tmp_path_factory):
    """Run the workflow's set-up step (pip stubbed: the packages are installed here), then the sample's commands."""
    home = tmp_path_factory.mktemp("home")
    stubs = tmp_path_factory.mktemp("stubs")
    (stubs / "pip").write_text("#!/bin/sh\nexit 0\n")
    (stubs / "pip").chmod(0o755)
    setup = subprocess.run(["bash", "-c", SETUP_STEP["run"]], cwd=student_repository,
                           env=bare_environment(home, stubs), capture_output=True, text=True)
    assert setup.returncode == 0, setup.stdout + setup.stderr

    def run(test):
        return subprocess.run(test["run"], shell=True, cwd=student_repository, env=bare_environment(home),
                              capture_output=True, text=True, timeout=test["timeout"] * 60).returncode

    with ThreadPoolExecutor(max_workers=2) as pool:  # Classroom runs them one by one; two at a time is faster here
        codes = dict(zip([test["name"] for test in SAMPLE_TESTS], pool.map(run, SAMPLE_TESTS), strict=True))
    return {"setup": setup, "codes": codes, "home": home}


def test_the_tampering_would_pass_every_test_in_the_students_own_copy(student_repository, tmp_path):
    result = subprocess.run([sys.executable, "-m", "course", "check", "01", "--todo", "2"], cwd=student_repository,
                            env=bare_environment(tmp_path), capture_output=True, text=True)
    assert result.returncode == 0, "the tampered conftest.py should fool a check run in the student's copy"


def test_classroom_grades_with_the_templates_tests_and_says_they_were_changed(classroom_results):
    assert "The course's own files were changed" in classroom_results["setup"].stdout
    grader = classroom_results["home"] / "course-grader"
    assert (grader / "tests" / "conftest.py").read_text() == (ROOT / "tests" / "conftest.py").read_text()
    assert not (grader / "conftest.py").exists()
    assert classroom_results["codes"]["01 Config: TODO 2"] == 1, "a TODO not done earns nothing, tampering or not"
    assert classroom_results["codes"]["01 Config: TODO 1"] == 0, "a TODO done earns its points"


def test_classroom_and_course_grade_give_the_same_points(classroom_results, student_repository, tmp_path):
    classroom = {test["name"]: test["points"] if classroom_results["codes"][test["name"]] == 0 else 0
                 for test in SAMPLE_TESTS}
    result = subprocess.run([sys.executable, "-m", "course", "grade", str(student_repository / "lessons"),
                             "--lessons", ",".join(lesson[:2] for lesson in SAMPLE),
                             "--csv", str(tmp_path / "grades.csv"), "--feedback", str(tmp_path / "feedback")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    with open(tmp_path / "grades.csv") as file:
        row = next(csv.DictReader(file))
    for lesson in (lesson for lesson in LESSONS if lesson.id in SAMPLE):
        in_classroom = sum(points for name, points in classroom.items() if name.startswith(lesson.id[:2] + " "))
        assert int(row[lesson.id]) == in_classroom, lesson.id
    assert int(row["total"]) == sum(classroom.values()) == 5


def test_the_student_edition_has_no_solutions_and_its_checks_still_work(tmp_path):
    edition = tmp_path / "student-edition"
    result = subprocess.run([sys.executable, "-m", "course", "export-student", str(edition)], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not (edition / "solutions").exists()
    for part in ("lessons/01_config/app.py", "tests/conftest.py", "course/scoring.py", "requirements-grading.txt",
                 ".github/workflows/classroom.yml", "README.md"):
        assert (edition / part).is_file(), part
    check = subprocess.run([sys.executable, "-m", "course", "check", "01", "--todo", "1"], cwd=edition,
                           env=bare_environment(tmp_path), capture_output=True, text=True)
    assert check.returncode == 1 and "TODO 1: not done yet" in check.stdout, check.stdout + check.stderr
    plain = subprocess.run([sys.executable, "-m", "pytest", "tests/test_01_config.py", "-q"], cwd=edition,
                           env=bare_environment(tmp_path), capture_output=True, text=True)
    assert plain.returncode == 1 and " failed" in plain.stdout, "plain pytest tests the starters of lessons/ there"
    again = subprocess.run([sys.executable, "-m", "course", "export-student", str(edition)], cwd=ROOT,
                           capture_output=True, text=True)
    assert again.returncode == 2 and "not empty" in again.stderr
