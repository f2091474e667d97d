"""GitHub Classroom: the autograding files list one test per lesson with its points and its `course check`
command, and a command passes on the reference solutions with nothing but PATH and HOME in its environment (as
the grader runs it). That each lesson's tests pass with only PATH and HOME is proved by the lessons' own tests,
which run that way (conftest.py's clean_environment): running every command again here would prove nothing new."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from course.lessons import ROOT, all_lessons

LESSONS = all_lessons()
AUTOGRADING = json.loads((ROOT / ".github" / "classroom" / "autograding.json").read_text())["tests"]
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "classroom.yml").read_text())
GRADER_STEPS = [step for job in WORKFLOW["jobs"].values() for step in job["steps"]
                if step.get("uses", "").startswith("classroom-resources/autograding-command-grader")]


def test_autograding_json_has_one_test_per_lesson_with_its_points():
    assert [test["name"] for test in AUTOGRADING] == [f"{lesson.id[:2]} {lesson.title}" for lesson in LESSONS]
    for test, lesson in zip(AUTOGRADING, LESSONS, strict=True):
        assert set(test) == {"name", "setup", "run", "input", "output", "comparison", "timeout", "points"}
        assert test["points"] == lesson.points
        assert 0 < test["timeout"] <= 10  # minutes


def test_the_workflow_runs_the_same_commands_with_the_same_points():
    assert [step["with"]["command"] for step in GRADER_STEPS] == [test["run"] for test in AUTOGRADING]
    assert [step["with"]["max-score"] for step in GRADER_STEPS] == [test["points"] for test in AUTOGRADING]
    reporter = next(step for step in WORKFLOW["jobs"]["run-autograding-tests"]["steps"]
                    if step.get("uses", "").startswith("classroom-resources/autograding-grading-reporter"))
    assert reporter["with"]["runners"].split(",") == [step["id"] for step in GRADER_STEPS]
    for step in GRADER_STEPS:
        assert f"steps.{step['id']}.outputs.result" in reporter["env"][f"{step['id'].upper()}_RESULTS"]


@pytest.fixture(scope="module")
def student_repository(tmp_path_factory):
    """A student's clone of the course whose lessons/ holds the reference solutions."""
    clone = tmp_path_factory.mktemp("clone")
    for part in ("course", "tests", "pyproject.toml"):
        copy = shutil.copytree if (ROOT / part).is_dir() else shutil.copy
        copy(ROOT / part, clone / part)
    shutil.copytree(ROOT / "solutions", clone / "lessons")
    shutil.copytree(ROOT / "lessons" / "01_config", clone / "untouched" / "01_config")
    return clone


def bare_environment(home):
    """What the command grader passes on: PATH (with this Python first) and HOME, nothing else."""
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(home)}


def test_each_command_checks_its_own_lesson():
    assert [test["run"] for test in AUTOGRADING] == [f"python -m course check {lesson.id[:2]}" for lesson in LESSONS]


def test_the_newest_lessons_command_passes_on_the_reference_in_a_bare_environment(student_repository, tmp_path):
    test = AUTOGRADING[-1]  # the newest lesson: the likeliest to need something new from its environment
    result = subprocess.run(test["run"], shell=True, cwd=student_repository, env=bare_environment(tmp_path),
                            capture_output=True, text=True, timeout=test["timeout"] * 60)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_a_command_fails_on_an_untouched_starter(student_repository, tmp_path):
    command = AUTOGRADING[0]["run"] + " --target untouched"
    result = subprocess.run(command, shell=True, cwd=student_repository, env=bare_environment(tmp_path),
                            capture_output=True, text=True)
    assert result.returncode == 1
