"""The grader against a student who has read its code (issue 26's threat model): attacks that the cheating class
of tests/test_grading.py does not try, on the grader's own process (which reads what submissions and runs leave
behind) as much as on the verdict. All are graded in one `python -m course grade` run, with an honest reference
and an untouched starter: each attack must earn nothing it did not write, and the grading must end, with a
gradebook, whatever the attacks do. scripts/redteam/ shows what each attack got before its fix.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from course.grading import GRADER_FAILED, Snapshot, grade_all, use_course_files
from course.integrity import MOST_SHOWN, similar_pairs
from course.lesson_run import read_reports
from course.lessons import ROOT, find_lesson
from course.regions import REGION, find_regions, outside_regions
from course.sample_submissions import ATTACKS, make_attack, make_submission, write_regions
from course import sandbox
from course.sandbox import Limits, run_sandboxed, sandbox_problem
from servers import missing

if sandbox_problem():  # grading refuses to run untrusted code without a sandbox
    pytestmark = pytest.mark.usefixtures("sandbox_installed")


@pytest.fixture
def sandbox_installed():
    missing("bwrap", "bubblewrap")


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """Every attack of ATTACKS, a reference and an untouched starter, graded together on lesson 01."""
    work = tmp_path_factory.mktemp("attacked")
    folders = [make_attack(work / "submissions" / name, name) for name in ATTACKS]
    folders += [make_submission(work / "submissions" / "reference"),
                make_submission(work / "submissions" / "untouched", source="lessons")]
    result = subprocess.run([sys.executable, "-m", "course", "grade", *map(str, folders), "--lessons", "01",
                             "--jobs", "2", "--csv", str(work / "g.csv"), "--feedback", str(work / "feedback")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(work / "g.csv") as file:
        rows = {row["submission"]: row for row in csv.DictReader(file)}
    return {"rows": rows, "json": {row["submission"]: row for row in json.loads((work / "g.json").read_text())["rows"]},
            "work": work}


def test_honest_work_is_graded_as_usual_beside_the_attacks(attacked):
    assert attacked["rows"]["reference"]["01_config"] == "10" and attacked["rows"]["reference"]["flags"] == ""
    assert attacked["rows"]["untouched"]["01_config"] == "0"


@pytest.mark.parametrize("attack", ["lessons_link_to_solutions", "lessons_link_loop"])
def test_a_lessons_folder_that_is_a_link_is_not_the_students(attacked, attack):
    """lessons -> <course>/solutions: the grader copied the reference as the student's work (10 of 10, no flag).
    lessons -> lessons: Path.resolve() raised RuntimeError, and the whole grading stopped."""
    row = attacked["json"][attack]
    assert row["total"] == 0 and "no lessons found" in row["problem"]


def test_a_failure_of_the_graders_own_code_on_one_submission_stops_only_that_one(tmp_path, monkeypatch, capsys):
    """Each attack above that crashed the grader stopped the whole class's grading, with no gradebook. Whatever
    the next one is, the grader gives up on that submission alone, says so, and grades the others."""
    take = Snapshot.take
    monkeypatch.setattr(Snapshot, "take", lambda folder, *rest: take(folder, *rest) if folder.name != "crashes"
                        else 1 / 0)
    folders = [make_submission(tmp_path / "crashes"), make_submission(tmp_path / "honest")]
    graded = {submission.name: submission for submission in grade_all(folders, [find_lesson("01")])}
    assert graded["crashes"].total == 0 and graded["crashes"].problem.startswith(GRADER_FAILED)
    assert graded["honest"].total == 10
    assert "ZeroDivisionError" in capsys.readouterr().err, "the error itself, for the instructor"


@pytest.mark.parametrize("attack, reason", [("name_not_utf8", "holds a name that is not UTF-8 text: b'\\xff.py'"),
                                            ("deep_folders", "holds folders more than 10 deep")])
def test_a_lesson_folder_the_grader_cannot_copy_safely_is_refused_with_the_reason(attacked, attack, reason):
    """A name that is not UTF-8 stopped the whole grading ("'utf-8' codec can't encode"), and so did folders 600
    deep (RecursionError), with no gradebook for anyone."""
    lesson = attacked["json"][attack]["lessons"]["01_config"]
    assert lesson["score"] == 0 and lesson["problem"] == f"the folder 01_config {reason}"
    assert reason in (attacked["work"] / "feedback" / f"{attack}.md").read_text()


def test_a_course_folder_that_is_a_link_is_flagged_not_followed(attacked):
    """tests -> / had the grader read every file of the machine; tests -> /usr/share took 20 s."""
    row = attacked["rows"]["tests_link"]
    assert row["01_config"] == "10" and "its tests/ is a link (grading used the course's own)" in row["flags"]


def test_a_run_cannot_rewrite_its_own_report_log(attacked):
    """A thread of lesson 01's code rewrote the report log (a file in the run's scratch folder) in place, every
    failure but the canaries' made a pass: 10 of 10 for an untouched starter, no flag. The log now goes through a
    pipe to a file of the grader's."""
    assert attacked["rows"]["rewrites_report_log"]["01_config"] == "0"


@pytest.mark.parametrize("attack", ["fifo_for_report_log", "fifo_in_traceback"])
def test_what_a_run_leaves_behind_cannot_keep_the_grader_waiting(attacked, attack):
    """A named pipe in place of the report log, or named by a fake traceback line: the grader opened it after the
    run, and the whole grading never ended (the fixture's grading would time out)."""
    assert attacked["json"][attack]["lessons"]["01_config"]["score"] == 0


def test_a_test_whose_call_was_not_reported_did_not_pass(tmp_path):
    """A log with a test's setup and teardown but not its call (a line dropped, or made unreadable by bytes
    written into the log's pipe) counted as a pass."""
    log = tmp_path / "report.jsonl"
    lines = [{"$report_type": "TestReport", "nodeid": "t1", "when": when, "outcome": "passed", "longrepr": None}
             for when in ("setup", "teardown")]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert read_reports(log)["t1"]["passed"] is False


def test_todo_lines_without_end_lines_are_read_in_linear_time():
    """16,000 `# TODO 1:` lines and no END line: REGION.finditer took 36 s on them (each TODO line was tried
    against all the text after it), in the grader's own process, for each file of each submission it read."""
    text = "# TODO 1: x\n" * 16000
    started = time.perf_counter()
    assert find_regions(text) == [] and outside_regions(text) == text
    assert time.perf_counter() - started < 2


def test_regions_are_found_as_the_regular_expression_finds_them():
    texts = [path.read_text() for folder in ("lessons", "solutions") for path in (ROOT / folder).rglob("*.py")]
    texts.append("# TODO 1: a\n# TODO 2: b\nx\n# END TODO 2\n# END TODO 1\n# TODO 12: c\n# END TODO 1\n# END TODO 12")
    for text in texts:
        assert [match.span() for match in find_regions(text)] == [match.span() for match in REGION.finditer(text)]


def test_code_too_deep_for_pythons_parser_is_flagged_and_stops_nothing(attacked):
    """`x = 1 + 1 + ...` 200,000 times in a file of lesson 01: ast.parse raised RecursionError in the integrity
    check, after every run, and the whole grading ended with a traceback and no gradebook."""
    row = attacked["rows"]["deep_expression"]
    assert row["01_config"] == "10" and "nests too deeply for Python's parser (deep.py:1)" in row["flags"]


def test_two_large_copies_are_compared_in_bounded_time(tmp_path):
    """Two submissions (colluding) whose TODO 1 is the same 60,000 tokens: SequenceMatcher's time grows with the
    square of their length (about 20 s here; 20 MB would be days). Only the first MOST_TOKENS are compared."""
    snapshots = {}
    for name in ("first", "second"):
        lesson = tmp_path / name / "01_config"
        shutil.copytree(ROOT / "solutions" / "01_config", lesson)
        write_regions(lesson / "config.py", {1: "        x = [a, b, c]\n" * 6000})
        snapshots[name] = Snapshot(lesson.parent, lesson.parent)
    started = time.perf_counter()
    pairs = similar_pairs(snapshots, [find_lesson("01")])
    assert time.perf_counter() - started < 5
    assert [(pair.first, pair.second, pair.ratio) for pair in pairs] == [("first", "second", 1.0)]
    assert len(pairs[0].code["first"]) <= MOST_SHOWN, "the side-by-side view is kept short too"


def test_lines_forged_into_the_report_logs_pipe_are_tampering(attacked):
    """Lesson code wrote JSON that pytest never writes (a list, a test report without its fields) and a line that
    does not parse into every pipe it had open, the report log's included: the grader's report["nodeid"] and
    json.loads raised, and the whole grading ended with no gradebook."""
    row = attacked["rows"]["forges_log_lines"]
    assert row["01_config"] == "0" and "the test run was tampered with" in row["flags"]


def test_a_huge_error_message_is_cut_everywhere_it_goes(attacked):
    """An error of 1 MB raised at import went whole into every test's message, the lesson's problem, the JSON
    gradebook, the feedback and the report."""
    lesson = attacked["json"]["huge_error"]["lessons"]["01_config"]
    assert lesson["score"] == 0 and "app.py cannot be imported" in lesson["problem"]
    assert len(lesson["problem"]) < 5000 and "characters cut]" in lesson["problem"]
    for path in ("g.json", "g.html", "feedback/huge_error.md"):
        assert (attacked["work"] / path).stat().st_size < 200_000, path


SPINNERS = """
import os, resource, time
children = 0
for _ in range(3):
    if os.fork() == 0:
        os.setsid()  # a session of its own: the kernel's autogroup shares the CPU between sessions, not processes
        break
    children += 1
end = time.monotonic() + 1.5
while time.monotonic() < end:
    pass
for _ in range(children):
    os.wait()
used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(sum(usage.ru_utime + usage.ru_stime for usage in used))
"""


def test_a_sandbox_gets_one_cpu_however_many_processes_it_starts(tmp_path):
    """Processes that spin, each in a session of its own, took the CPU from the run graded beside them (--jobs 2):
    a reference's lesson 02 took 11.5 s instead of 2.6 s, close to its time limit (scripts/redteam/
    starves_classmates.py). Four such processes for 3 s used 6 s of CPU on two idle cores; now at most one CPU
    (spinning for 1.5 s here).
    (On a machine already busy they get less than two CPUs anyway: there this cannot tell.)"""
    if os.geteuid() != 0:
        pytest.skip("the sandbox's processes share one CPU only where the grader can make a cgroup (as root)")
    result = run_sandboxed([sys.executable, "-c", SPINNERS], tmp_path, limits=Limits(seconds=30))
    assert result.exit_code == 0, result.output
    assert float(result.output.split()[-1]) < 1.2 * result.seconds


def test_what_a_run_writes_is_memory_of_a_bounded_size_not_the_graders_disk(tmp_path):
    """A run could write files of 64 MB (its per-file limit), as many as it liked, to its /tmp, its HOME and its
    lesson folder: all on the grader's disk, until the disk was full for everyone (the grader, the runs beside it,
    the machine); and to bwrap's own / and /dev, memory of up to half the machine's each. Each folder it may write
    is now a tmpfs of Limits.disk_bytes, the rest is read-only, and the grader's copy of the lesson is left as it
    was."""
    lessons, scratch = tmp_path / "lessons", tmp_path / "scratch"
    (lessons / "01_config").mkdir(parents=True)
    (lessons / "01_config" / "app.py").write_text("x = 1\n")
    scratch.mkdir()
    fill = (f"for folder in /tmp /dev/shm $HOME {lessons}/01_config / /dev /run /etc; do "
            f"head -c 16000000 /dev/zero > $folder/big || echo full; done; cat {lessons}/01_config/app.py")
    result = run_sandboxed(["/bin/sh", "-c", fill], scratch, lessons, Limits(seconds=30, disk_bytes=8 << 20))
    assert result.output.count("full") == 8 and "x = 1" in result.output, result.output
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["01_config", "app.py", "lessons", "scratch"]


def test_a_course_inside_a_folder_the_sandbox_sees_whole_is_hidden_but_for_its_code_and_tests(tmp_path,
                                                                                             monkeypatch):
    """The sandbox sees /usr and Python's own folders whole: a course in /usr/src/app (Docker's custom), or under
    a Python installed in a folder above it, showed its solutions/ (and submissions, gradebooks) inside."""
    folders = sandbox.python_folders()
    monkeypatch.setattr(sandbox, "python_folders", lambda: [*folders, ROOT.parent])
    result = run_sandboxed(["/bin/sh", "-c", f"ls {ROOT}/solutions; ls {ROOT}/course/grading.py"], tmp_path,
                           limits=Limits(seconds=30))
    assert "solutions" in result.output and "No such file" in result.output, result.output
    assert f"{ROOT}/course/grading.py" in result.output


def test_canaries_cannot_be_told_apart_by_whether_the_lessons_code_ran_in_them(attacked):
    """Code that made passes of the reports of the tests during which it had run (it counted the Config objects
    made) spared the canaries without knowing of them, since they never ran the lesson's code: 5 of 10, no flag.
    The canaries that must fail now run a real test's body first."""
    row = attacked["rows"]["forges_when_its_code_ran"]
    assert row["01_config"] == "0" and "the test run was tampered with" in row["flags"]


@pytest.mark.parametrize("attack, reason", [
    ("link_in_lesson", "01_config/static is a link: links are not graded (put the file itself there)"),
    ("compiled_code", "01_config/helpers.pyc is compiled code: only source files are graded")])
def test_links_and_compiled_code_in_a_lesson_are_refused(attacked, attack, reason):
    """A link to /usr/share was copied as a link, and the grader's own process (partial credit, integrity) read the
    starter's file names through it; a .pyc beside the sources is imported like a module, and no check reads it.
    Both lessons got 10 of 10."""
    lesson = attacked["json"][attack]["lessons"]["01_config"]
    assert (lesson["score"], lesson["problem"]) == (0, reason)


def test_a_capstones_course_file_replaced_by_a_folder_is_put_back(tmp_path):
    """The capstone's files without a TODO are graded as the course wrote them: a folder named like one of them
    (words.txt/) made the copy raise IsADirectoryError, and the grader gave up on the whole submission."""
    capstone = find_lesson("11")
    folder = tmp_path / capstone.id
    shutil.copytree(ROOT / "lessons" / capstone.id, folder)
    (folder / "words.txt").unlink()
    (folder / "words.txt").mkdir()
    assert use_course_files(capstone, folder) == ["words.txt"]
    assert (folder / "words.txt").read_bytes() == (ROOT / "lessons" / capstone.id / "words.txt").read_bytes()
