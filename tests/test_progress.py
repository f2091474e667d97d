"""`python -m course progress` from the verdicts that check, watch and progress wrote down (course/verdicts.py):
a lesson runs again only when one of its files, or the course itself, changed."""
import re
import shutil

from course import verdicts
from course.lessons import ROOT, all_lessons, find_lesson
from course.runner import LessonRun
from course.runner import TestOutcome as Outcome  # renamed: pytest would collect a Test* class
from course.sample_submissions import make_submission
from test_cli import course, keep_only_the_first_lesson


def checked_again(output):
    """The lessons progress ran again, as it says ("Checked again (files changed since): 01; ..."), or None when
    it ran them all (no verdict was kept)."""
    said = re.search(r"Checked again \(files changed since\): ([^;]+);", output)
    return said and said.group(1)


def test_progress_runs_again_only_the_lessons_whose_files_changed(tmp_path):
    lessons = keep_only_the_first_lesson(make_submission(tmp_path / "lessons", source="lessons"))
    first = course("progress", "--target", str(lessons)).stdout
    assert checked_again(first) is None and "Next: lesson 01" in first
    again = course("progress", "--target", str(lessons)).stdout
    assert checked_again(again) == "none"
    assert again.split("\n\n")[0] == first.split("\n\n")[0]  # the same table, from the kept verdicts
    config = lessons / "01_config" / "config.py"
    config.write_text(config.read_text() + "# a learner's comment\n")
    assert checked_again(course("progress", "--target", str(lessons)).stdout) == "01"
    shutil.copy(ROOT / "solutions" / "01_config" / "config.py", config)
    course("check", "01", "--target", str(lessons))  # check writes its verdict down too
    after_check = course("progress", "--target", str(lessons)).stdout
    assert checked_again(after_check) == "none" and re.search(r"01\s+Config\s+done", after_check)


def a_verdict(lesson):
    return LessonRun(lesson.id, [Outcome("test_it", passed=True, todos=[1])])


def test_a_kept_verdict_is_forgotten_when_any_lesson_file_or_the_course_changes(tmp_path, monkeypatch):
    """Any file of the lesson folder (a script in a subfolder too), and any file of the course's own code, tests
    and settings: each is part of the verdict's fingerprint."""
    course_copy = tmp_path / "course"
    for part in ("course", "tests"):
        shutil.copytree(ROOT / part, course_copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    for file in ("pyproject.toml", "requirements.txt"):
        shutil.copy(ROOT / file, course_copy / file)
    monkeypatch.setattr(verdicts, "ROOT", course_copy)
    lesson = find_lesson("09")
    target = tmp_path / "lessons"
    shutil.copytree(ROOT / "lessons" / lesson.id, target / lesson.id)
    edits = [target / lesson.id / "static" / "app.js", target / lesson.id / "cookies.py",
             course_copy / "pyproject.toml", course_copy / "tests" / "conftest.py",
             course_copy / "course" / "report.py"]
    for edited in edits:
        verdicts.remember(target, lesson, a_verdict(lesson))
        assert verdicts.recall(target, lesson) == a_verdict(lesson)
        edited.write_text(edited.read_text() + "\n")
        assert verdicts.recall(target, lesson) is None, f"a change to {edited.name} kept the old verdict"
    (target / lesson.id / ".course-hints.json").write_text("{}")  # not part of the lesson (course/lessons.py)
    verdicts.remember(target, lesson, a_verdict(lesson))
    (target / lesson.id / "instance").mkdir()
    (target / lesson.id / "instance" / "course.db").write_bytes(b"a database `serve` made")
    assert verdicts.recall(target, lesson) == a_verdict(lesson)


def test_a_run_that_timed_out_is_not_kept(tmp_path):
    lesson = all_lessons()[0]
    (tmp_path / lesson.id).mkdir()
    hung = LessonRun(lesson.id, [Outcome("test_it", passed=False, stuck_at="01_config/config.py:3: while 1:")])
    verdicts.remember(tmp_path, lesson, hung)
    assert verdicts.recall(tmp_path, lesson) is None
