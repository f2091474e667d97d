"""The push feedback of a student's repository (.github/workflows/lesson-feedback.yml), run the way GitHub runs it.

The workflow file is read with pyyaml and its steps are played here in order, in a workspace of their own: each
`actions/checkout` step is done as that action does it, with the `with:` the file gives (the instructor's
repository at the pinned ref; the student's repository at its last commit); each `run:` step runs in bash, in its
`working-directory`, with the job's environment and what a runner adds ($GITHUB_STEP_SUMMARY, $RUNNER_TEMP).
`sudo` and `pip` are stubs that only record their arguments: the packages are installed here already.

Shown: a student's repository whose own tests, conftest.py, pytest options and history were tampered with gets the
same verdict as an untampered one; the tests come from the pinned ref, not from
a later commit of the course; the summary has a table per lesson and TODO; the gradebook is where the artifact step
keeps it. Only lesson 01 is graded (the variable COURSE_LESSONS): what is tested is the workflow, not the lessons.
"""
import json
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from course.github_feedback import ADVICE
from course.lessons import HIDDEN_TESTS, LOCAL_FILES, ROOT
from course.sample_submissions import TAMPERING, solve_todos
from course.sandbox import sandbox_problem
from servers import missing

WORKFLOW = ROOT / ".github" / "workflows" / "lesson-feedback.yml"
JOB = yaml.safe_load(WORKFLOW.read_text())["jobs"]["feedback"]
PINNED = "v1"
LATER_TEST = "test_added_after_the_pinned_ref"
# What the published course (the student edition) holds that grading needs: no solutions/, no hidden tests.
COURSE_PARTS = ("course", "tests", "lessons", "pyproject.toml", "requirements-grading.txt", ".github")

if sandbox_problem():  # the workflow grades in the sandbox where it can: here it must be able to
    pytestmark = pytest.mark.usefixtures("sandbox_installed")


@pytest.fixture
def sandbox_installed():
    missing("bwrap", "bubblewrap")


def git(repository, *arguments, env=None):
    return subprocess.run(["git", "-c", "user.name=Someone", "-c", "user.email=someone@example.com",
                           "-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false", *arguments],
                          cwd=repository, check=True, capture_output=True, text=True, env=env).stdout


def commit_all(repository, message, env=None):
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", message, env=env)


@pytest.fixture(scope="module")
def course_repository(tmp_path_factory):
    """The instructor's published course at tag v1 (the course as it is here, without solutions/ or hidden tests),
    then a later commit whose lesson 01 has one more test, which fails: a run pinned to v1 must not have it."""
    repository = tmp_path_factory.mktemp("course-repository")
    ignore = shutil.ignore_patterns(*LOCAL_FILES, Path(HIDDEN_TESTS).name)
    for part in COURSE_PARTS:
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, repository / part, ignore=ignore)
        else:
            shutil.copy(ROOT / part, repository / part)
    git(repository, "init", "-q")
    commit_all(repository, "The course")
    git(repository, "tag", PINNED)
    with (repository / "tests" / "test_01_config.py").open("a") as tests:
        tests.write(f"\n\ndef {LATER_TEST}():\n    assert False\n")
    commit_all(repository, "A test added later")
    return repository


def student_repository(folder, course_repository, tampered):
    """A student's repository made from the course's template (its first commit: the course at v1), with TODO 1 of
    lesson 01 done. Tampered: its tests pass everything (conftest.py hooks at the top, in tests/ and in the lesson
    folder, a test file that checks nothing, pytest options that select nothing), and an unrelated commit with an
    old date, holding a course whose every test passes, is merged into its history."""
    folder.mkdir()
    archive = subprocess.run(["git", "archive", PINNED], cwd=course_repository, check=True, capture_output=True)
    subprocess.run(["tar", "-x"], input=archive.stdout, cwd=folder, check=True)
    git(folder, "init", "-q")
    commit_all(folder, "Initial commit")
    solve_todos(folder / "lessons" / "01_config", ROOT / "solutions" / "01_config", [1])
    commit_all(folder, "TODO 1 of lesson 01")
    if not tampered:
        return folder
    with (folder / "tests" / "conftest.py").open("a") as conftest:
        conftest.write(TAMPERING)
    (folder / "conftest.py").write_text("import pytest\n" + TAMPERING)
    (folder / "lessons" / "01_config" / "conftest.py").write_text("import pytest\n" + TAMPERING)
    (folder / "tests" / "test_01_config.py").write_text("def test_everything():\n    pass\n")
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:course.pytest_plugin -k nothing_at_all\n")
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('addopts = "', 'addopts = "-k nothing_at_all '))
    commit_all(folder, "Make every test pass")
    git(folder, "checkout", "-q", "--orphan", "old-history")
    git(folder, "rm", "-q", "-r", "--cached", ".")
    (folder / "tests" / "conftest.py").write_text("import pytest\n" + TAMPERING)
    git(folder, "add", "tests/conftest.py")
    old = {"GIT_AUTHOR_DATE": "2001-01-01T00:00:00", "GIT_COMMITTER_DATE": "2001-01-01T00:00:00",
           "PATH": "/usr/bin:/bin"}
    git(folder, "commit", "-q", "-m", "An old first commit", env=old)
    git(folder, "checkout", "-q", "-f", "main")
    git(folder, "merge", "-q", "--allow-unrelated-histories", "-s", "ours", "-m", "Merge old history", "old-history")
    return folder


# --- Playing the workflow ------------------------------------------------------------------------------------

EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def evaluate(text, context):
    """A value of the workflow with its ${{ }} expressions replaced: a name of `context`, or `a || b` (the first
    that is not empty). Any other expression fails the test: this player knows only what the file uses."""
    def value(match):
        names = [name.strip() for name in match.group(1).split("||")]
        return next((context[name] for name in names if context[name]), "")

    return EXPRESSION.sub(value, str(text))


def stub(folder, name):
    """A program that records its arguments (one line per call) in folder/name.log and succeeds."""
    path = folder / name
    path.write_text(f'#!/bin/sh\necho "$@" >> "{folder / name}.log"\n')
    path.chmod(0o755)


def play(job, base, student, course_repository, ref=PINNED):
    """Run the job's steps for a push to `student`; return what a reader of the run sees."""
    workspace, temp, stubs = base / "workspace", base / "runner-temp", base / "stubs"
    for folder in (workspace, temp, stubs):
        folder.mkdir(parents=True)
    for name in ("sudo", "pip"):
        stub(stubs, name)
    context = {"vars.COURSE_REPOSITORY": str(course_repository), "vars.COURSE_REF": ref, "vars.COURSE_LESSONS": "01",
               "inputs.course_ref": "", "runner.temp": str(temp)}
    env = {name: evaluate(value, context) for name, value in job["env"].items()}
    context.update({f"env.{name}": value for name, value in env.items()})
    runner = {"PATH": f"{stubs}:{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(base), "CI": "true",
              "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(temp),
              "GITHUB_STEP_SUMMARY": str(temp / "summary.md"), **env}
    seen = {"logs": [], "artifact": None}
    for step in job["steps"]:
        uses = step.get("uses", "")
        settings = {key: evaluate(value, context) for key, value in step.get("with", {}).items()}
        if uses.startswith("actions/checkout@"):
            checkout(settings.get("repository") or student, settings.get("ref") or "HEAD", workspace / settings["path"])
        elif uses.startswith("actions/setup-python@"):
            assert settings["python-version"] == "3.11"
        elif uses.startswith("actions/upload-artifact@"):
            seen["artifact"] = Path(settings["path"])
        else:
            assert not uses, f"a step this player does not know: {uses}"
            result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                    cwd=workspace / step.get("working-directory", "."), env=runner,
                                    capture_output=True, text=True, timeout=300)
            seen["logs"].append(result.stdout + result.stderr)
            assert result.returncode == 0, f"{step['name']}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    seen["summary"] = (temp / "summary.md").read_text()
    seen["gradebook"] = json.loads((seen["artifact"] / "grades.json").read_text())["rows"][0]
    seen["course"] = workspace / "course"
    seen["calls"] = {name: (stubs / f"{name}.log").read_text() for name in ("sudo", "pip")}
    return seen


def checkout(repository, ref, path):
    """What actions/checkout does, for this test: the repository's files at `ref`, in `path`."""
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(repository), str(path)], check=True)
    git(path, "checkout", "-q", "--detach", ref)


@pytest.fixture(scope="module")
def runs(course_repository, tmp_path_factory):
    """The workflow played for an honest repository and for a tampered one, two at a time."""
    base = tmp_path_factory.mktemp("workflow")
    students = {kind: student_repository(base / f"{kind}-student", course_repository, kind == "tampered")
                for kind in ("honest", "tampered")}
    with ThreadPoolExecutor(max_workers=2) as pool:
        played = {kind: pool.submit(play, JOB, base / kind, student, course_repository)
                  for kind, student in students.items()}
    return {kind: future.result() for kind, future in played.items()}


def verdict(row):
    """What a gradebook row says of the work: each lesson's score, TODOs, and which tests failed."""
    return {lesson_id: {key: lesson[key] for key in ("score", "todos_done", "tests", "passed", "failed", "problem")}
            for lesson_id, lesson in row["lessons"].items()}


# --- The file ------------------------------------------------------------------------------------------------

def test_the_workflow_takes_the_tests_and_tools_from_the_course_at_the_pinned_ref():
    steps = JOB["steps"]
    course = next(step for step in steps if step.get("with", {}).get("path") == "course")
    assert course["with"]["repository"] == "${{ env.COURSE_REPOSITORY }}"
    assert course["with"]["ref"] == "${{ env.COURSE_REF }}"
    assert JOB["env"]["COURSE_REF"] == "${{ inputs.course_ref || vars.COURSE_REF }}"
    running = [step for step in steps if "run" in step and ("python" in step["run"] or "pip" in step["run"])]
    assert running and all(step.get("working-directory") == "course" for step in running), \
        "code runs from the course's checkout, never from the student's"
    assert JOB["if"] == "vars.COURSE_REPOSITORY != ''", "not in the instructor's own repository"
    assert yaml.safe_load(WORKFLOW.read_text())["permissions"] == {"contents": "read"}
    text = WORKFLOW.read_text()
    assert "advice for the student, not a grade" in text and "python -m course grade" in text


def test_an_unpinned_ref_fails_the_run_with_a_reason(tmp_path):
    check = JOB["steps"][0]
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", check["run"]], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "COURSE_REPOSITORY": "teacher/course", "COURSE_REF": ""})
    assert result.returncode == 1 and "::error::Set the COURSE_REF variable" in result.stdout


def test_grading_installs_only_lines_of_the_main_requirements():
    main = (ROOT / "requirements.txt").read_text().splitlines()
    grading = [line for line in (ROOT / "requirements-grading.txt").read_text().splitlines()
               if line and not line.startswith("#")]
    assert set(grading) <= set(main), "requirements-grading.txt must use requirements.txt's pins"
    assert "-e ." in grading and not any(line.startswith(("jupyter", "nbclient")) for line in grading)


# --- The workflow, played ------------------------------------------------------------------------------------

def test_an_honest_repository_gets_its_points_and_a_table_per_lesson_and_todo(runs):
    honest = runs["honest"]
    lesson = honest["gradebook"]["lessons"]["01_config"]
    assert (lesson["score"], lesson["todos_done"]) == (5, [1])
    summary = honest["summary"]
    assert summary.startswith("# Lesson feedback: 5 of 10 points") and ADVICE in summary
    assert "## 01 Config: 5 of 10" in summary and "| TODO | points | done | what to look at |" in summary
    assert re.search(r"^\| 1 \| 5 of 5 \| ✔ \|  \|$", summary, re.MULTILINE)
    assert re.search(r"^\| 2 \| 0 of 5 \| ✘ \| .*look at TODO 2", summary, re.MULTILINE)
    assert "-r requirements-grading.txt" in honest["calls"]["pip"] and "bubblewrap" in honest["calls"]["sudo"]


def test_a_tampered_repository_gets_the_same_verdict_as_an_honest_one(runs):
    assert verdict(runs["tampered"]["gradebook"]) == verdict(runs["honest"]["gradebook"])
    assert runs["tampered"]["summary"].splitlines()[0] == "# Lesson feedback: 5 of 10 points"


def test_the_students_gradebook_carries_no_integrity_flags(runs):
    """Flags are for the instructor's own run (`course grade` flags this tampering: tests/test_grading.py); the
    artifact is the student's."""
    assert runs["honest"]["gradebook"]["flags"] == runs["tampered"]["gradebook"]["flags"] == []
    assert "differs" not in runs["tampered"]["summary"]


def test_the_tests_come_from_the_pinned_ref_not_a_later_commit(runs, course_repository):
    course = runs["honest"]["course"]
    assert git(course, "rev-parse", "HEAD") == git(course_repository, "rev-parse", f"{PINNED}^{{commit}}")
    assert LATER_TEST not in (course / "tests" / "test_01_config.py").read_text()
    failed = runs["honest"]["gradebook"]["lessons"]["01_config"]["failed"]
    assert failed and LATER_TEST not in failed
