"""The instructor's grader, on a class of real submissions: honest, partial, buggy, broken in every way we know,
and cheating in every way we know (course/sample_submissions.py: CHEATS).

One `python -m course grade` run grades them all (the `graded_class` fixture of tests/conftest.py, shared with
test_html_report.py); each test checks one promise about it. The grader runs every lesson of every submission in
a bubblewrap sandbox of its own: these tests need Debian's `bubblewrap` (skipped without it, failed under CI).
"""
import csv
import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from xml.etree import ElementTree

import pytest

from course.lessons import ROOT
from course.sample_submissions import (BREAKAGE_NAMES, BROKEN_LESSON, CHEATS, GRADE_WHEN_BROKEN, HELPER_MARKER,
                                       LOOP_MARKER, LOOPS, PTH_FILE, SLEEPER, STOPS, make_honest, make_submission)
from course.sandbox import sandbox_problem
from servers import missing

if sandbox_problem():  # every test here grades; grading refuses to run untrusted code without a sandbox
    pytestmark = pytest.mark.usefixtures("sandbox_installed")


@pytest.fixture
def sandbox_installed():
    missing("bwrap", "bubblewrap")

REASONS = {
    "syntax_error": "app.py cannot be imported: 02_login/resources.py:55 does not parse (SyntaxError: invalid syntax)\n"
                    "    def broken(:",
    "import_error": "app.py cannot be imported: No module named 'a_module_that_does_not_exist' (not a file of the "
                    "lesson, and not a package in requirements.txt",
    "renamed_app": "app.py cannot be imported: there is no app.py in 02_login",
    "exit_at_import": "app.py cannot be imported: SystemExit(3) in app.py, line 2",
    "exit_in_create_app": "create_app() raised SystemExit('bye')",
    "interrupt_in_request": "KeyboardInterrupt()",
    "crash": "the test run stopped early, before any test finished (exit code 9)",
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
    """Lesson 02 with an endless loop (at import, in a request), and a submission that sleeps an hour at the import
    of every lesson, graded alone with a short time limit (--timeout 3) and a short budget for each submission's
    tests (--budget 4.5: lesson 01 and a loop fit in it, two sleeps do not): a loop spins the CPU until then."""
    work = tmp_path_factory.mktemp("looping")
    folders = [make_submission(work / loop, broken_lesson=BROKEN_LESSON, breakage=loop) for loop in LOOPS]
    marker = with_unique_loop_marker(folders[LOOPS.index("loop_at_import")])
    sleeper = make_submission(work / "sleeper")
    for module in ("01_config/config.py", "02_login/models.py"):
        (sleeper / module).write_text(SLEEPER + (sleeper / module).read_text())
    result = grade(*folders, sleeper, "--lessons", "01,02", "--jobs", "2", "--timeout", "3", "--budget", "4.5",
                   "--csv", work / "g.csv", "--feedback", work / "feedback")
    assert result.returncode == 0, result.stderr[-2000:]
    with open(work / "g.csv") as file:
        rows = {row["submission"]: row for row in csv.DictReader(file)}
    return {"rows": rows, "work": work, "json": json.loads((work / "g.json").read_text())["rows"], "marker": marker}


@pytest.mark.parametrize("loop", LOOPS)
def test_an_endless_loop_costs_its_lesson_with_the_reason(looping, loop):
    assert looping["rows"][loop]["02_login"] == "0"
    assert (looping["work"] / "feedback" / f"{loop}.md").read_text().count(REASONS[loop]) == 1, "said once"
    problem = next(row for row in looping["json"] if row["submission"] == loop)["lessons"][BROKEN_LESSON]["problem"]
    assert REASONS[loop] in problem


def test_a_timeout_names_the_test_that_was_running(looping):
    problem = next(row for row in looping["json"] if row["submission"] == "loop_at_import")["lessons"][
        BROKEN_LESSON]["problem"]
    assert "was still running" in problem and "test_" in problem


def test_sleeping_in_every_lesson_costs_at_most_the_submissions_budget(looping):
    sleeper = next(row for row in looping["json"] if row["submission"] == "sleeper")
    lessons = sleeper["lessons"]
    assert sleeper["total"] == 0
    assert "did not finish within 3 s" in lessons["01_config"]["problem"], "the lesson's own limit first"
    assert lessons["02_login"]["problem"].startswith("not run:"), "then the budget ran out"
    assert sum(lesson["seconds"] for lesson in lessons.values()) <= 4.5


def with_unique_loop_marker(folder):
    """Make the loop_at_import breakage of a submission mark its child process with a marker of its own (other
    gradings on the machine may have theirs); return the marker."""
    marker = f"{LOOP_MARKER}-{uuid.uuid4().hex}"
    for models in folder.glob("*/models.py"):
        models.write_text(models.read_text().replace(LOOP_MARKER, marker))
    return marker


def children_left_by_the_loop(marker):
    """The `sleep 987` processes started by a loop_at_import breakage marked with `marker`."""
    found = subprocess.run(["pgrep", "-f", "sleep 987"], capture_output=True, text=True).stdout.split()
    mine = []
    for pid in found:
        try:
            if marker.encode() in Path(f"/proc/{pid}/environ").read_bytes():
                mine.append(pid)
        except OSError:  # it ended meanwhile
            pass
    return mine


def test_a_timeout_stops_the_whole_process_group(looping):
    assert children_left_by_the_loop(looping["marker"]) == [], "the endless loop's child process outlived the grading"


def test_a_timeout_also_stops_what_a_server_started_by_the_tests_ran(tmp_path):
    """Lesson 07's tests serve the app under gunicorn, in a process group of its own: the endless loop runs
    there too (gunicorn imports the app), and its child process must not outlive the grading either."""
    folder = make_submission(tmp_path / "loop_under_gunicorn", broken_lesson="07_logout", breakage="loop_at_import")
    marker = with_unique_loop_marker(folder)
    result = grade(folder, "--lessons", "07", "--timeout", "3", "--csv", tmp_path / "g.csv")
    assert result.returncode == 0, result.stderr[-2000:]
    assert children_left_by_the_loop(marker) == [], "the endless loop's child process outlived the grading"


def test_grading_changes_no_file_of_the_submissions_or_the_course(graded):
    assert graded["changed"] == [], "grading changed files in these folders"


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
    # --timeout: a limit of our own, so that no reference of 03 and 04 is timed for it (the class above is)
    result = grade(*folders, "--lessons", "03,04", "--jobs", "2", "--timeout", "60", "--csv", work / "g.csv",
                   "--feedback", work / "feedback")
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


# What each cheat is flagged for (words of one of its flags), on the lesson it touched.
CHEAT_FLAGS = {
    "patches_reports": "tampered with",
    "reads_solutions": "names 'solutions'",
    "writes_outside": "calls .rglob()",
    "stops_servers": "imports socket",
    "detached_helper": "imports subprocess",
    "exits_early": "ended early (exit code 0)",
    "plants_pth_file": "names '.pth'",
    "floods_output": "MB of output",
}


def test_every_cheat_is_in_the_table_of_flags():
    assert set(CHEAT_FLAGS) == set(CHEATS)


@pytest.mark.parametrize("cheat", CHEATS)
def test_a_cheat_scores_nothing_on_its_lesson_is_flagged_and_costs_no_other_lesson(graded, cheat):
    row = graded["rows"][cheat]
    assert row["01_config"] == "0", "the lesson the cheat is in earns nothing"
    assert row["02_login"] == "20", "its other lesson (the reference) is graded on its own"
    assert any(flag.startswith("01_config:") and CHEAT_FLAGS[cheat] in flag for flag in row["flags"].split("; ")), \
        row["flags"]


def test_honest_submissions_carry_no_flag(graded):
    honest = ["reference", "untouched", "todo_1_of_lesson_01", "bug_in_todo_3_of_lesson_02",
              "bug_in_set_password_of_lesson_02", "repository_layout", "unzipped"]
    assert {name: graded["rows"][name]["flags"] for name in honest} == dict.fromkeys(honest, "")


def test_a_copy_with_renamed_names_is_flagged_with_its_original(graded):
    assert "01_config: the same TODO code as own_way" in graded["rows"]["renamed_copy_of_own_way"]["flags"]
    assert "01_config: the same TODO code as renamed_copy_of_own_way" in graded["rows"]["own_way"]["flags"]
    assert graded["rows"]["own_way"]["total"] == "30", "a flag costs nothing by itself"


def test_a_repository_whose_tests_were_changed_is_flagged_and_graded_with_the_courses(graded):
    flags = graded["rows"]["tampered"]["flags"]
    assert graded["rows"]["tampered"]["total"] == "0", "its conftest.py that passes every test was not used"
    assert "its tests/ differs from the course's" in flags and "adds a pytest configuration: pytest.ini" in flags


def test_feedback_never_shows_flags_or_classmates(graded):
    names = [row["submission"] for row in graded["json"]]
    for path in (graded["work"] / "feedback").glob("*.md"):
        text = path.read_text()
        assert "flag" not in text.lower(), path.name
        others = [name for name in names if name != path.stem and "_" in name and name in text]
        assert not others, f"{path.name} names {others}"


def test_a_bug_in_one_todo_costs_that_todo_alone(graded):
    row = graded["rows"]["bug_in_todo_3_of_lesson_02"]
    assert row["02_login"] == "14", "TODOs 1 and 2 keep their 7 points each"
    feedback = (graded["work"] / "feedback" / "bug_in_todo_3_of_lesson_02.md").read_text()
    assert "- TODO 1 (7 points): done" in feedback and "- TODO 3 (6 points): not done yet" in feedback
    assert "on its own, with the rest of the lesson as in the course's reference, its tests still fail" in feedback


def test_a_todo_of_two_regions_is_graded_on_both(graded):
    """Lesson 02's TODO 1 is two regions of one file; a slip in the first may not pass for right because the second
    is the reference's (it did: 20 of 20)."""
    assert graded["rows"]["bug_in_set_password_of_lesson_02"]["02_login"] == "13", "TODOs 2 and 3 only: 7 + 6"


def test_a_server_outside_the_sandbox_is_out_of_reach(graded):
    """The cheat stops_servers told every local port it could reach to stop; a Redis server of the machine's
    own kept running and kept its data (a classmate's lesson 07 would have lost its store)."""
    if graded["redis_kept_its_key"] is None:
        missing("redis-server", "redis-server")
    assert graded["redis_kept_its_key"]


def test_nothing_the_cheats_started_is_left_running(graded):
    found = subprocess.run(["pgrep", "-f", HELPER_MARKER], capture_output=True, text=True).stdout.split()
    assert found == [], "a helper started by a submission outlived the grading"


def test_no_file_was_planted_in_the_graders_python(graded):
    planted = [path for folder in map(Path, sys.path) if folder.is_dir() for path in folder.glob(PTH_FILE)]
    assert planted == []


@pytest.fixture(scope="module")
def honest_alone(tmp_path_factory):
    """The honest submissions of the class graded again, alone and in the reverse order."""
    work = tmp_path_factory.mktemp("honest")
    folders = sorted(make_honest(work / "submissions").values(), reverse=True)
    result = grade(*folders, "--lessons", "01,02", "--jobs", "2", "--csv", work / "g.csv", "--feedback",
                   work / "feedback")
    assert result.returncode == 0, result.stderr[-2000:]
    with open(work / "g.csv") as file:
        return {row["submission"]: row for row in csv.DictReader(file)}


def test_honest_grades_do_not_depend_on_company_or_order(graded, honest_alone):
    columns = ["01_config", "02_login", "total", "max"]
    assert {name: [row[column] for column in columns] for name, row in honest_alone.items()} == {
        name: [graded["rows"][name][column] for column in columns] for name in honest_alone}


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
    for name in ("grades.csv", "grades.json"):  # the JSON is the record; the CSV is made from it
        (tmp_path / name).write_text((graded["work"] / name).read_text())
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
    report = (tmp_path / "grades.html").read_text()
    assert report.count('class="feedback"') == len(graded["rows"]), "the class report, not a report of three"

    no_lessons = next(folder for folder in graded["folders"] if folder.endswith("/no_lessons"))  # nothing to run
    fresh = grade(no_lessons, "--lessons", "01,02", "--csv", gradebook, "--feedback", feedback, "--fresh")
    assert fresh.returncode == 0 and "1 added, 0 updated, 0 kept" in fresh.stdout
    assert len(gradebook.read_text().splitlines()) == 2
    assert [path.stem for path in feedback.iterdir()] == ["no_lessons"], "only this run's feedback"


def test_the_gradebook_keeps_only_the_rows_the_grader_wrote(graded, tmp_path):
    gradebook, record = tmp_path / "grades.csv", tmp_path / "grades.json"
    with gradebook.open("w") as file:
        file.write((graded["work"] / "grades.csv").read_text() + "ghost,10,20,30,30,2030-01-01,v,yes,\n")
    book = json.loads((graded["work"] / "grades.json").read_text())
    next(row for row in book["rows"] if row["submission"] == "untouched")["total"] = 30  # edited by hand
    record.write_text(json.dumps(book))
    no_lessons = next(folder for folder in graded["folders"] if folder.endswith("/no_lessons"))  # nothing to run
    result = grade(no_lessons, "--lessons", "01,02", "--csv", gradebook, "--feedback", tmp_path / "feedback")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Dropped 1 rows of the JSON gradebook that the grader did not write (changed or added since): untouched" \
        in result.stdout
    assert "Dropped 2 rows of the CSV that the grader did not write" in result.stdout  # the ghost, and untouched
    with open(gradebook) as file:
        names = {row["submission"] for row in csv.DictReader(file)}
    assert "ghost" not in names and "untouched" not in names and "reference" in names
    assert "untouched" in (tmp_path / "grades.html").read_text().split('id="untrusted"')[1].split("</p>")[0]


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


def test_without_bubblewrap_grading_refuses_unless_told_the_work_is_trusted(tmp_path):
    """An instructor on a machine without bubblewrap (macOS, say) is told why in one line; --no-sandbox grades
    anyway, and the gradebook and the report say the run was not sandboxed."""
    submission = make_submission(tmp_path / "trusted")
    no_bwrap = {"PATH": str(tmp_path / "empty"), "HOME": str(tmp_path)}
    (tmp_path / "empty").mkdir()
    command = [sys.executable, "-m", "course", "grade", str(submission), "--lessons", "01",
               "--csv", str(tmp_path / "g.csv"), "--feedback", str(tmp_path / "feedback")]
    refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=no_bwrap, timeout=120)
    assert refused.returncode == 2 and not (tmp_path / "g.csv").exists()
    assert refused.stderr.count("\n") == 1 and "bubblewrap is not installed" in refused.stderr and "--no-sandbox" in \
        refused.stderr
    trusted = subprocess.run([*command, "--no-sandbox"], cwd=ROOT, capture_output=True, text=True, env=no_bwrap,
                             timeout=300)
    assert trusted.returncode == 0, trusted.stderr[-2000:]
    assert "NOT SANDBOXED" in trusted.stdout
    with open(tmp_path / "g.csv") as file:
        row = next(csv.DictReader(file))
    assert (row["01_config"], row["sandboxed"]) == ("10", "NO")
    assert 'id="unsandboxed"' in (tmp_path / "g.html").read_text()


@pytest.mark.parametrize("make_path", [lambda tmp: tmp / "nope", lambda tmp: tmp / "work.zip"], ids=["missing", "file"])
def test_a_path_that_is_not_a_submission_folder_is_an_error_that_names_it(tmp_path, make_path):
    (tmp_path / "work.zip").write_bytes(b"PK")
    path = make_path(tmp_path)
    result = grade(path, "--csv", tmp_path / "grades.csv")
    assert result.returncode == 2 and str(path) in result.stderr
    assert not (tmp_path / "grades.csv").exists()
