"""Gradescope: `python -m course gradescope` writes the autograder zip, and its run_autograder, run against a
simulated /autograder (AUTOGRADER_ROOT: a folder holding source/, the zip unpacked, submission/ and results/),
grades with the course's grader and writes results.json as Gradescope's specification describes it
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): its fields are checked against that list here.

Graded (lesson 01 only, the references timed once for all runs, as setup.sh does): the reference, laid out as a
repository; an untouched starter, uploaded as bare lesson folders; a broken lesson (its app.py raises, at import,
an error with 30 000 characters of text and HTML in it); a buggy one, whose TODO 2 passes every public test and
fails the instructor's hidden one; the starter again where bubblewrap is not on the PATH; and a lessons/ that is a
link to the bundle's solutions/.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from course.gradescope import OUTPUT_LIMIT
from course.lessons import HIDDEN_TESTS, LOCAL_FILES, ROOT, find_lesson
from course.sandbox import sandbox_problem
from servers import missing

# The fields of results.json, as Gradescope's specification lists them: at the top, and for each test.
TOP_FIELDS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
              "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
               "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
HIDDEN_WORDS = "a secret set to none in code is refused like a missing one"
LOUD_ERROR = "<b>" + "x" * 30_000 + "</b>"
IGNORE = shutil.ignore_patterns(*LOCAL_FILES)

if sandbox_problem():  # the bundle grades in the sandbox where it can: here it must be able to
    pytestmark = pytest.mark.usefixtures("sandbox_installed")


@pytest.fixture
def sandbox_installed():
    missing("bwrap", "bubblewrap")


def submission(kind, folder):
    """A student's upload: a repository, or bare lesson folders; or a lessons/ that links to the course's solutions
    in the bundle (Gradescope's paths are no secret)."""
    if kind == "linked":
        folder.mkdir()
        (folder / "lessons").symlink_to(folder.parent / "source" / "solutions")
        return folder
    lesson = folder / "lessons" / "01_config" if kind == "reference" else folder / "01_config"
    shutil.copytree(ROOT / ("lessons" if kind in ("starter", "unsandboxed") else "solutions") / "01_config", lesson,
                    ignore=IGNORE)
    if kind == "broken":
        app = lesson / "app.py"
        app.write_text(f"raise RuntimeError({LOUD_ERROR!r})\n" + app.read_text())
    elif kind == "buggy":  # "no secret" taken as "": every public test passes, the hidden one (None) does not
        config = lesson / "config.py"
        text = config.read_text().replace('config.get("JWT_SECRET_KEY") or ""', 'config.get("JWT_SECRET_KEY")')
        config.write_text(text.replace("    if not secret:\n", "    if secret == '':\n"))
    return folder


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    result = subprocess.run([sys.executable, "-m", "course", "gradescope", "--lessons", "01", "--output",
                             str(folder / "autograder.zip")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return folder / "autograder.zip"


@pytest.fixture(scope="module")
def graded(bundle, tmp_path_factory):
    """run_autograder for each submission, two at a time, sharing one unpacked bundle whose references were timed
    first (with this checkout's times, when it has them for the same files)."""
    base = tmp_path_factory.mktemp("autograder")
    source = base / "source"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(source)
    if (ROOT / ".course-cache").is_dir():
        shutil.copytree(ROOT / ".course-cache", source / ".course-cache")
    subprocess.run([sys.executable, "-m", "course.gradescope", "--calibrate"], cwd=source, check=True, timeout=300,
                   capture_output=True)

    def run(kind):
        root = base / kind
        root.mkdir()
        (root / "source").symlink_to(source)
        submission(kind, root / "submission")
        path = "/nowhere" if kind == "unsandboxed" else os.environ["PATH"]  # no bwrap: no sandbox
        result = subprocess.run(["/bin/bash", str(source / "run_autograder")], capture_output=True, text=True,
                                env={"PATH": path, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable},
                                timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return {"results": json.loads((root / "results" / "results.json").read_text()), "stdout": result.stdout}

    kinds = ["reference", "starter", "broken", "buggy", "unsandboxed", "linked"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(kinds, pool.map(run, kinds), strict=True))


def test_the_bundle_holds_what_gradescope_runs_and_what_grading_needs(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        modes = {entry.filename: entry.external_attr >> 16 for entry in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        settings = json.loads(archive.read("gradescope.json"))
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111, "both executable, at the zip's root"
    assert settings == {"lessons": ["01_config"], "visibility": "visible", "budget": 480}
    assert {"course/grading.py", "tests/conftest.py", "tests/test_01_config.py", f"{HIDDEN_TESTS}/test_01_config.py",
            "solutions/01_config/config.py", "lessons/01_config/config.py", "requirements-grading.txt"} <= set(names)
    assert not [name for name in names if name.startswith(("solutions/02", "lessons/02")) or "__pycache__" in name
                or ".course-cache" in name or name.endswith(".env")]
    assert "bubblewrap" in setup and "requirements-grading.txt" in setup and "chrome" not in setup
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0


def test_a_bundle_of_a_browser_lesson_installs_a_browser(tmp_path):
    from course.gradescope import write_bundle

    write_bundle([find_lesson("09")], tmp_path / "autograder.zip", visibility="after_due_date")
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        assert "google-chrome-stable" in archive.read("setup.sh").decode()
        assert json.loads(archive.read("gradescope.json"))["visibility"] == "after_due_date"
    with pytest.raises(ValueError, match="--visibility"):
        write_bundle([find_lesson("01")], tmp_path / "other.zip", visibility="sometimes")


@pytest.mark.parametrize("kind", ["reference", "starter", "broken", "buggy", "unsandboxed", "linked"])
def test_results_json_has_the_fields_of_gradescopes_specification(graded, kind):
    results = graded[kind]["results"]
    assert set(results) <= TOP_FIELDS and {"score", "execution_time", "output", "tests"} <= set(results)
    assert isinstance(results["execution_time"], int) and results["execution_time"] >= 0
    assert results["visibility"] in VISIBILITIES
    assert {results[key] for key in ("output_format", "test_output_format", "test_name_format")} <= FORMATS
    lesson = find_lesson("01")
    assert [test["name"] for test in results["tests"]] == [f"01 Config: TODO {n}" for n in (1, 2)]
    for test in results["tests"]:
        assert set(test) <= TEST_FIELDS
        assert {"name", "score", "max_score", "output", "visibility", "status"} <= set(test)
        assert test["visibility"] in VISIBILITIES and test["status"] in ("passed", "failed")
        assert 0 <= test["score"] <= test["max_score"] and (test["status"] == "passed") == (test["score"] > 0)
        assert len(test["output"]) <= OUTPUT_LIMIT + 100, "output capped"
    assert sum(test["max_score"] for test in results["tests"]) == lesson.points
    assert results["score"] == sum(test["score"] for test in results["tests"])


def test_the_reference_scores_every_todo_and_the_starter_none(graded):
    reference, starter = graded["reference"]["results"], graded["starter"]["results"]
    assert [test["score"] for test in reference["tests"]] == [5, 5] and reference["score"] == 10
    assert [test["score"] for test in starter["tests"]] == [0, 0] and starter["score"] == 0
    assert "look at TODO 1" in starter["tests"][0]["output"]
    assert reference["output"].startswith("Total: 10 of 10")
    assert "Sandboxed (bubblewrap)" in graded["reference"]["stdout"]


def test_a_broken_lesson_scores_nothing_and_says_why_in_text_cut_to_size(graded):
    results = graded["broken"]["results"]
    assert results["score"] == 0 and results["test_output_format"] == "text"
    output = results["tests"][0]["output"]
    assert output.startswith("Not graded as a whole: app.py cannot be imported: RuntimeError") and "<b>xxx" in output
    assert output.endswith("more characters cut]") and len(output) <= OUTPUT_LIMIT + 100


def test_a_hidden_test_costs_its_todo_and_is_named_without_its_message(graded):
    results = graded["buggy"]["results"]
    assert [test["score"] for test in results["tests"]] == [5, 0], "every public test passes: the hidden one counts"
    output = results["tests"][1]["output"]
    assert HIDDEN_WORDS in output
    assert "NoneType" not in output and "encode" not in output and "Regex" not in output, "no message of it"
    assert HIDDEN_WORDS in graded["buggy"]["stdout"], "the instructor's copy of the feedback"


def test_without_a_sandbox_the_results_say_so_first(graded):
    results = graded["unsandboxed"]["results"]
    assert results["output"].startswith("NOT SANDBOXED: this container does not let the grader make its sandbox")
    assert results["score"] == 0 and "NOT SANDBOXED" in graded["unsandboxed"]["stdout"]
    assert not graded["reference"]["results"]["output"].startswith("NOT SANDBOXED")


def test_a_link_to_the_bundles_solutions_is_not_graded_as_the_students_work(graded):
    """It scored full marks before the grader stopped following links inside a submission (find_lessons)."""
    results = graded["linked"]["results"]
    assert results["score"] == 0 and "Not graded: no lessons found" in results["output"]
