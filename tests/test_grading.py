"""The instructor's grader, on a class of real submissions: good, untouched and broken in every way we know.

One `python -m course grade` run grades them all (module fixture); each test checks one promise about it.
"""
import csv
import hashlib
import json
import shutil
import subprocess
import sys
from xml.etree import ElementTree

import pytest

from course.lessons import LOCAL_FILES, ROOT
from course.sample_submissions import BREAKAGES, GRADE_WHEN_BROKEN, make_submission, solve_todos

BROKEN_LESSON = "02_login"
# Stopping the program in the first lesson: the lessons after it must keep their points.
STOPS = ["exit_at_import", "exit_in_create_app", "interrupt_in_request"]
# Breaking the second lesson so that none of it can be graded: the reason is said once.
# Lessons 03 and 04 solved unlike the reference: graded on their own (working_differently)
WORKING = ["legacy_query_get", "expired_in_other_words", "missing_post_crashes"]
BREAKAGE_NAMES = [name for name in BREAKAGES if name not in (*WORKING, *STOPS[1:])] + [
    "missing_lesson", "empty_lesson", "renamed_app"]
REASONS = {
    "syntax_error": "app.py cannot be imported: 02_login/resources.py:55 does not parse (SyntaxError: invalid syntax)\n"
                    "    def broken(:",
    "import_error": "app.py cannot be imported: No module named 'a_module_that_does_not_exist' (not a file of the "
                    "lesson, and not a package in requirements.txt",
    "renamed_app": "app.py cannot be imported: there is no app.py in 02_login",
    "exit_at_import": "app.py cannot be imported: SystemExit(3) in app.py, line 2",
    "exit_in_create_app": "create_app() raised SystemExit('bye')",
    "interrupt_in_request": "KeyboardInterrupt()",
    "crash": "stopped early",
    "loop_at_import": "did not finish within",
    "loop_in_request": "did not finish within",
    "missing_lesson": "the folder 02_login is missing",
    "empty_lesson": "the folder 02_login is empty",
}


TAMPERING = """

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    report.outcome = "passed"
    return report
"""
OWN_CODE = "\n\ndef describe(user):\n    name = user.username.title()\n    return f'{name} ({user.id})'\n"
OWN_CODE_RESTYLED = ("\n\n# my own helper\ndef describe( user ):\n    name = user.username.title()  # nice\n\n"
                     "    return f'{name} ({user.id})'\n")


def fingerprint(folder):
    """Every file under `folder` and a hash of its content: to prove that grading changed nothing."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade a class of submissions with lessons 01 and 02; return what the grader wrote and printed."""
    work = tmp_path_factory.mktemp("class")
    submissions = work / "submissions"
    make_submission(submissions / "reference")
    make_submission(submissions / "untouched", source="lessons")
    make_submission(submissions / "repository_layout" / "lessons")  # a clone of the whole repository
    for breakage in BREAKAGE_NAMES:
        make_submission(submissions / breakage, broken_lesson=BROKEN_LESSON, breakage=breakage)
    for breakage in STOPS:
        make_submission(submissions / f"first_lesson_{breakage}", broken_lesson="01_config", breakage=breakage)
    make_submission(submissions / "unzipped" / "repo-main" / "lessons")  # a downloaded zip, unpacked
    (submissions / "no_lessons").mkdir()
    (submissions / "no_lessons" / "README.md").write_text("my notes\n")
    tampered = make_submission(submissions / "tampered" / "lessons", source="lessons")
    for part in ("tests", "course"):
        shutil.copytree(ROOT / part, tampered.parent / part, ignore=shutil.ignore_patterns(*LOCAL_FILES))
    shutil.copy(ROOT / "pyproject.toml", tampered.parent)
    with (tampered.parent / "tests" / "conftest.py").open("a") as file:
        file.write(TAMPERING)
    (tampered.parent / "pytest.ini").write_text("[pytest]\n")
    for name, extra in (("copy_a", OWN_CODE), ("copy_b", OWN_CODE_RESTYLED)):
        copy = make_submission(submissions / name)
        with (copy / "02_login" / "models.py").open("a") as file:
            file.write(extra)
    partial = make_submission(submissions / "todo_1_of_lesson_01", source="lessons")
    solve_todos(partial / "01_config", ROOT / "solutions" / "01_config", [1])
    before = fingerprint(submissions), fingerprint(ROOT / "lessons"), fingerprint(ROOT / "solutions")
    folders = sorted(str(path) for path in submissions.iterdir())
    result = subprocess.run(
        [sys.executable, "-m", "course", "grade", *folders, "--lessons", "01,02", "--jobs", "2", "--timeout", "20",
         "--csv", str(work / "grades.csv"), "--json", str(work / "grades.json"), "--feedback", str(work / "feedback")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    after = fingerprint(submissions), fingerprint(ROOT / "lessons"), fingerprint(ROOT / "solutions")
    with open(work / "grades.csv") as file:
        rows = {row["submission"]: row for row in csv.DictReader(file)}
    return {"result": result, "rows": rows, "work": work, "unchanged": before == after, "folders": folders,
            "json": json.loads((work / "grades.json").read_text())}


def grade(*arguments):
    return subprocess.run([sys.executable, "-m", "course", "grade", *map(str, arguments)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_grading_finishes_and_prints_a_summary(graded):
    assert graded["result"].returncode == 0, graded["result"].stderr[-2000:]
    assert "submission" in graded["result"].stdout and "reference" in graded["result"].stdout
    assert "100%" in graded["result"].stderr, "a progress bar while it runs"


def test_the_reference_gets_full_marks_in_either_layout(graded):
    for name in ("reference", "repository_layout", "unzipped"):
        row = graded["rows"][name]
        assert (row["01_config"], row["02_login"], row["total"], row["max"]) == ("10", "20", "30", "30")


def test_an_untouched_starter_scores_nothing(graded):
    row = graded["rows"]["untouched"]
    assert (row["01_config"], row["02_login"], row["total"]) == ("0", "0", "0")
    feedback = (graded["work"] / "feedback" / "untouched.md").read_text()
    assert "- TODO 1 (5 points): not done yet" in feedback


def test_a_todo_done_earns_its_share_of_the_lessons_points(graded):
    row = graded["rows"]["todo_1_of_lesson_01"]
    assert (row["01_config"], row["02_login"], row["total"]) == ("5", "0", "5")
    feedback = (graded["work"] / "feedback" / "todo_1_of_lesson_01.md").read_text()
    assert "- TODO 1 (5 points): done" in feedback and "- TODO 2 (5 points): not done yet" in feedback


@pytest.mark.parametrize("breakage", BREAKAGE_NAMES)
def test_a_broken_lesson_costs_only_its_own_points_with_the_reason(graded, breakage):
    row = graded["rows"][breakage]
    assert row["01_config"] == "10", "the other lesson is graded normally"
    expected = "20" if GRADE_WHEN_BROKEN.get(breakage) == "full" else "0"
    assert row["02_login"] == expected
    feedback = (graded["work"] / "feedback" / f"{breakage}.md").read_text()
    assert feedback.count(REASONS.get(breakage, "20 of 20")) == 1, "the reason, said once"
    problem = next(row for row in graded["json"] if row["submission"] == breakage)["lessons"][BROKEN_LESSON]["problem"]
    assert bool(problem) == (GRADE_WHEN_BROKEN.get(breakage) != "full"), "the JSON's problem says why, too"


@pytest.mark.parametrize("breakage", STOPS)
def test_stopping_the_program_costs_only_that_lesson(graded, breakage):
    name = f"first_lesson_{breakage}"
    row = graded["rows"][name]
    assert (row["01_config"], row["02_login"]) == ("0", "20"), "the lesson after it keeps its points"
    assert REASONS[breakage] in (graded["work"] / "feedback" / f"{name}.md").read_text()


def test_the_json_gradebook_has_the_details(graded):
    untouched = next(row for row in graded["json"] if row["submission"] == "untouched")
    login = untouched["lessons"]["02_login"]
    assert login["points"] == 20 and login["score"] == 0 and 0 < login["passed"] < login["tests"]
    assert login["todos_done"] == [] and login["broken"] == []
    assert "test_wrong_password_and_unknown_user_get_the_same_answer[testing]" in login["failed"]


def test_feedback_says_what_failed_in_plain_words(graded):
    feedback = (graded["work"] / "feedback" / "untouched.md").read_text()
    assert "wrong password and unknown user get the same answer" in feedback
    assert "look at TODO 2" in feedback
    assert "+ where" not in feedback and " at 0x" not in feedback, "no pytest introspection"


def test_a_timeout_stops_the_whole_process_group(graded):
    leftovers = subprocess.run(["pgrep", "-f", "sleep 987"], capture_output=True, text=True).stdout
    assert leftovers == "", "the endless loop's child process outlived the grading"


def test_grading_changes_no_file_of_the_submissions_or_the_course(graded):
    assert graded["unchanged"]


def test_plain_pytest_grades_a_submission_path_with_a_junit_report(tmp_path):
    submission = make_submission(tmp_path / "student" / "lessons")
    report = tmp_path / "report.xml"
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/test_01_config.py", "tests/test_course.py",
                             f"--target={submission.parent}", f"--junitxml={report}", "-q"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    suite = ElementTree.parse(report).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert suite.get("name") == "student" and suite.get("skipped") == "0"
    assert cases and all(case.get("classname") == "tests.test_01_config" for case in cases), "only lesson tests"
    properties = {(prop.get("name"), prop.get("value")) for prop in cases[0].iter("property")}
    assert ("points", "5 of 10") in properties
    assert any(name == "what_to_do" and value.startswith("lessons/01_config: TODO 1. config.py")
               for name, value in properties)


def test_an_unknown_target_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/test_01_config.py", f"--target={tmp_path}/nope"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 4 and "no such folder" in result.stderr


def test_a_lesson_missing_from_the_target_is_named(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/test_01_config.py", f"--target={tmp_path}", "-q"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1 and "lesson 01_config is missing from" in result.stdout


@pytest.fixture(scope="module")
def working_differently(tmp_path_factory):
    """Lessons 03 and 04 solved in ways the reference does not: User.query.get (a LegacyAPIWarning from the
    learner's auth.py), and an expired-token message in other words."""
    work = tmp_path_factory.mktemp("working")
    folders = [make_submission(work / "legacy", broken_lesson="03_protected_route", breakage="legacy_query_get"),
               make_submission(work / "words", broken_lesson="04_expiry", breakage="expired_in_other_words"),
               make_submission(work / "regressed", broken_lesson="03_protected_route", breakage="missing_post_crashes")]
    result = grade(*folders, "--lessons", "03,04", "--jobs", "2", "--csv", work / "g.csv", "--feedback",
                   work / "feedback")
    assert result.returncode == 0, result.stderr[-2000:]
    with open(work / "g.csv") as file:
        return {row["submission"]: row for row in csv.DictReader(file)}, work / "feedback"


def test_a_deprecation_warning_from_working_code_costs_nothing_and_is_advice(working_differently):
    rows, feedback = working_differently
    assert (rows["legacy"]["03_protected_route"], rows["legacy"]["04_expiry"]) == ("25", "20")
    text = (feedback / "legacy.md").read_text()
    assert text.count("03_protected_route/auth.py:") == 1 and "LegacyAPIWarning" in text and "Advice" in text


def test_an_expired_token_message_in_other_words_earns_full_marks(working_differently):
    rows, _ = working_differently
    assert (rows["words"]["03_protected_route"], rows["words"]["04_expiry"]) == ("25", "20")


def test_breaking_what_the_starter_did_right_costs_the_lesson_and_says_what(working_differently):
    rows, feedback = working_differently
    assert (rows["regressed"]["03_protected_route"], rows["regressed"]["04_expiry"]) == ("0", "20")
    text = (feedback / "regressed.md").read_text()
    assert "No TODO counts while something the starter did right is broken: a missing post is 404." in text


def test_integrity_flags_are_shown_and_cost_nothing(graded):
    def flags(name):
        return next(row for row in graded["json"] if row["submission"] == name)["flags"]

    assert graded["rows"]["tampered"]["total"] == "0", "the tampering earned nothing"
    assert "tests/ differs from the course's" in flags("tampered")
    assert "pytest configuration added: pytest.ini" in flags("tampered")
    assert "02_login is the reference solution's code" in flags("reference")
    assert "02_login: the same code as copy_b" in flags("copy_a"), "comments and whitespace are ignored"
    assert graded["rows"]["copy_a"]["total"] == "30" and "copy_a" in graded["rows"]["copy_b"]["flags"]
    assert flags("untouched") == [] and not any("same code" in flag for flag in flags("syntax_error"))
    assert "nothing is deducted" in (graded["work"] / "feedback" / "tampered.md").read_text()


def test_a_folder_without_lessons_is_said_once(graded):
    row = graded["rows"]["no_lessons"]
    assert row["total"] == "0"
    feedback = (graded["work"] / "feedback" / "no_lessons.md").read_text()
    assert feedback.count("Not graded") == 1 and "no lessons found" in feedback


def test_each_row_records_when_and_with_which_course_version(graded):
    row = graded["rows"]["reference"]
    assert row["graded_at"].startswith("20") and row["graded_at"].endswith("+00:00")
    version = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    assert row["course_version"] == (version.stdout.strip() or "unknown (not a git checkout)")


def test_grading_some_again_updates_their_rows_keeps_the_others_and_gives_the_same_numbers(graded, tmp_path):
    gradebook = tmp_path / "grades.csv"
    gradebook.write_text((graded["work"] / "grades.csv").read_text())
    feedback = tmp_path / "feedback"
    again = [folder for folder in graded["folders"] if folder.endswith(("/reference", "/untouched", "/noisy"))]
    result = grade(*again, "--lessons", "01,02", "--csv", gradebook, "--feedback", feedback)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"0 added, 3 updated, {len(graded['rows']) - 3} kept" in result.stdout
    with open(gradebook) as file:
        rows = {row["submission"]: row for row in csv.DictReader(file)}
    scores = ["01_config", "02_login", "total", "max"]
    assert {name: [row[key] for key in scores] for name, row in rows.items()} == {
        name: [row[key] for key in scores] for name, row in graded["rows"].items()}
    assert sorted(path.stem for path in feedback.iterdir()) == ["noisy", "reference", "untouched"]

    fresh = grade(again[0], "--lessons", "01,02", "--csv", gradebook, "--feedback", feedback, "--fresh")
    assert fresh.returncode == 0 and "1 added, 0 updated, 0 kept" in fresh.stdout
    assert len(gradebook.read_text().splitlines()) == 2
    assert [path.stem for path in feedback.iterdir()] == ["noisy"], "only this run's feedback"


@pytest.mark.parametrize("make_path", [lambda tmp: tmp / "nope", lambda tmp: tmp / "work.zip"], ids=["missing", "file"])
def test_a_path_that_is_not_a_submission_folder_is_an_error_that_names_it(tmp_path, make_path):
    (tmp_path / "work.zip").write_bytes(b"PK")
    path = make_path(tmp_path)
    result = grade(path, "--csv", tmp_path / "grades.csv")
    assert result.returncode == 2 and str(path) in result.stderr
    assert not (tmp_path / "grades.csv").exists()
