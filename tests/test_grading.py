"""The instructor's grader, on a class of real submissions: good, untouched and broken in every way we know.

One `python -m course grade` run grades them all (the `graded_class` fixture of tests/conftest.py, shared with
test_html_report.py); each test checks one promise about it.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from course.lessons import ROOT
from course.sample_submissions import (BREAKAGE_NAMES, BROKEN_LESSON, GRADE_WHEN_BROKEN, LOOPS, STOPS,
                                       make_submission)

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


@pytest.fixture
def graded(graded_class):
    """The sample class graded with lessons 01 and 02 (tests/conftest.py): shared with test_html_report.py."""
    return graded_class


def grade(*arguments):
    return subprocess.run([sys.executable, "-m", "course", "grade", *map(str, arguments)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_grading_finishes_and_prints_a_summary(graded):
    assert graded["returncode"] == 0, graded["stderr"][-2000:]
    assert "submission" in graded["stdout"] and "reference" in graded["stdout"]
    assert "100%" in graded["stderr"], "a progress bar while it runs"


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


@pytest.fixture(scope="module")
def looping(tmp_path_factory):
    """Lesson 02 with an endless loop (at import, in a request), graded alone with a short timeout (a loop spins
    the CPU until then)."""
    work = tmp_path_factory.mktemp("looping")
    folders = [make_submission(work / loop, broken_lesson=BROKEN_LESSON, breakage=loop) for loop in LOOPS]
    result = grade(*folders, "--lessons", "02", "--jobs", "2", "--timeout", "3", "--csv", work / "g.csv",
                   "--json", work / "g.json", "--feedback", work / "feedback")
    assert result.returncode == 0, result.stderr[-2000:]
    with open(work / "g.csv") as file:
        rows = {row["submission"]: row for row in csv.DictReader(file)}
    return {"rows": rows, "work": work, "json": json.loads((work / "g.json").read_text())}


@pytest.mark.parametrize("loop", LOOPS)
def test_an_endless_loop_costs_its_lesson_with_the_reason(looping, loop):
    assert looping["rows"][loop]["02_login"] == "0"
    assert (looping["work"] / "feedback" / f"{loop}.md").read_text().count(REASONS[loop]) == 1, "said once"
    problem = next(row for row in looping["json"] if row["submission"] == loop)["lessons"][BROKEN_LESSON]["problem"]
    assert REASONS[loop] in problem


def children_left_by_the_loop(folder):
    """The `sleep 987` processes that the loop_at_import breakage started from a submission under `folder`
    (each has its models.py path in its environment): other gradings on the machine may have their own."""
    found = subprocess.run(["pgrep", "-f", "sleep 987"], capture_output=True, text=True).stdout.split()
    mine = []
    for pid in found:
        try:
            if (str(folder) + os.sep).encode() in Path(f"/proc/{pid}/environ").read_bytes():
                mine.append(pid)
        except OSError:  # it ended meanwhile
            pass
    return mine


def test_a_timeout_stops_the_whole_process_group(looping):
    assert children_left_by_the_loop(looping["work"]) == [], "the endless loop's child process outlived the grading"


def test_a_timeout_also_stops_what_a_server_started_by_the_tests_ran(tmp_path):
    """Lesson 07's tests serve the app under gunicorn, in a process group of its own: the endless loop runs
    there too (gunicorn imports the app), and its child process must not outlive the grading either."""
    folder = make_submission(tmp_path / "loop_under_gunicorn", broken_lesson="07_logout", breakage="loop_at_import")
    result = grade(folder, "--lessons", "07", "--timeout", "3", "--csv", tmp_path / "g.csv")
    assert result.returncode == 0, result.stderr[-2000:]
    assert children_left_by_the_loop(tmp_path) == [], "the endless loop's child process outlived the grading"


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
    learner's auth.py), and an expired-token message in other words. Each submission holds only the lesson it
    changes (the other one scores 0 as missing, without running its tests)."""
    work = tmp_path_factory.mktemp("working")
    folders = [make_submission(work / "legacy", broken_lesson="03_protected_route", breakage="legacy_query_get"),
               make_submission(work / "words", broken_lesson="04_expiry", breakage="expired_in_other_words"),
               make_submission(work / "regressed", broken_lesson="03_protected_route", breakage="missing_post_crashes")]
    for folder, unused in zip(folders, ("04_expiry", "03_protected_route", "04_expiry"), strict=True):
        shutil.rmtree(folder / unused)
    result = grade(*folders, "--lessons", "03,04", "--jobs", "2", "--csv", work / "g.csv", "--feedback",
                   work / "feedback")
    assert result.returncode == 0, result.stderr[-2000:]
    with open(work / "g.csv") as file:
        return {row["submission"]: row for row in csv.DictReader(file)}, work / "feedback"


def test_a_deprecation_warning_from_working_code_costs_nothing_and_is_advice(working_differently):
    rows, feedback = working_differently
    assert rows["legacy"]["03_protected_route"] == "25"
    text = (feedback / "legacy.md").read_text()
    assert text.count("03_protected_route/auth.py:") == 1 and "LegacyAPIWarning" in text and "Advice" in text


def test_an_expired_token_message_in_other_words_earns_full_marks(working_differently):
    rows, _ = working_differently
    assert rows["words"]["04_expiry"] == "20"


def test_breaking_what_the_starter_did_right_costs_the_lesson_and_says_what(working_differently):
    rows, feedback = working_differently
    assert rows["regressed"]["03_protected_route"] == "0"
    text = (feedback / "regressed.md").read_text()
    assert "No TODO counts while something the starter did right is broken: a missing post is 404." in text


def test_integrity_flags_are_shown_and_cost_nothing(graded):
    def flags(name):
        return next(row for row in graded["json"] if row["submission"] == name)["flags"]

    assert graded["rows"]["tampered"]["total"] == "0", "the tampering earned nothing"
    assert "tests/ differs from the course's" in flags("tampered")
    assert "pytest configuration added: pytest.ini" in flags("tampered")
    assert "02_login is the reference solution's code" in flags("reference")
    assert "01_config: the same code as copy_b" in flags("copy_a"), "comments and whitespace are ignored"
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
    # Cheap ones to grade again: a reference, a starter, and one whose lesson 02 does not import.
    again = [folder for folder in graded["folders"] if folder.endswith(("/reference", "/untouched", "/syntax_error"))]
    result = grade(*again, "--lessons", "01,02", "--jobs", "2", "--csv", gradebook, "--feedback", feedback)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"0 added, 3 updated, {len(graded['rows']) - 3} kept" in result.stdout
    with open(gradebook) as file:
        rows = {row["submission"]: row for row in csv.DictReader(file)}
    scores = ["01_config", "02_login", "total", "max"]
    assert {name: [row[key] for key in scores] for name, row in rows.items()} == {
        name: [row[key] for key in scores] for name, row in graded["rows"].items()}
    assert sorted(path.stem for path in feedback.iterdir()) == ["reference", "syntax_error", "untouched"]

    no_lessons = next(folder for folder in graded["folders"] if folder.endswith("/no_lessons"))  # nothing to run
    fresh = grade(no_lessons, "--lessons", "01,02", "--csv", gradebook, "--feedback", feedback, "--fresh")
    assert fresh.returncode == 0 and "1 added, 0 updated, 0 kept" in fresh.stdout
    assert len(gradebook.read_text().splitlines()) == 2
    assert [path.stem for path in feedback.iterdir()] == ["no_lessons"], "only this run's feedback"


def test_identical_lesson_folders_are_graded_once_and_a_one_byte_change_is_graded_again(tmp_path):
    folders = [make_submission(tmp_path / name) for name in ("first", "same", "one_byte_more")]
    config = folders[2] / "01_config" / "config.py"
    config.write_bytes(config.read_bytes() + b"(")  # one byte more: the file no longer parses
    result = grade(*folders, "--lessons", "01", "--csv", tmp_path / "g.csv", "--feedback", tmp_path / "feedback")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "\n1 lesson folders had the same files as one graded before them" in result.stdout, "only 'same' reused"
    with open(tmp_path / "g.csv") as file:
        rows = {row["submission"]: row["01_config"] for row in csv.DictReader(file)}
    assert rows == {"first": "10", "same": "10", "one_byte_more": "0"}
    first, same = ((tmp_path / "feedback" / f"{name}.md").read_text().split("## 01")[1] for name in ("first", "same"))
    assert same == first and re.search(r"\b(\d+) of \1 tests pass", same), "the reused result is the whole result"


@pytest.mark.parametrize("make_path", [lambda tmp: tmp / "nope", lambda tmp: tmp / "work.zip"], ids=["missing", "file"])
def test_a_path_that_is_not_a_submission_folder_is_an_error_that_names_it(tmp_path, make_path):
    (tmp_path / "work.zip").write_bytes(b"PK")
    path = make_path(tmp_path)
    result = grade(path, "--csv", tmp_path / "grades.csv")
    assert result.returncode == 2 and str(path) in result.stderr
    assert not (tmp_path / "grades.csv").exists()
