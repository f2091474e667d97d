"""Grade a class: every lesson of every submission, from the submission's own temporary copy.

A submission is a folder laid out like lessons/ or like this repository. A lesson is scored per TODO by
course/scoring.py (the rule `course check` and Classroom use too). A broken lesson (a syntax error, an endless
loop, a crash, a missing folder) scores 0 with the reason; it never stops the other lessons or submissions from
being graded. Integrity flags (course/integrity.py) are added for the instructor; they cost nothing.
"""
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from course.integrity import integrity_flags
from course.lessons import LOCAL_FILES
from course.runner import LessonRun, run_tests
from course.scoring import score_lesson


@dataclass
class LessonGrade:
    lesson: object
    run: LessonRun

    @property
    def scored(self):
        return score_lesson(self.lesson, self.run)

    @property
    def score(self):
        return self.scored.points


@dataclass
class SubmissionGrade:
    name: str
    grades: list = field(default_factory=list)
    problem: str = ""  # why nothing could be graded (no lessons found), said once rather than per lesson
    lessons_folder: Path = None  # where its lesson folders were found
    flags: list = field(default_factory=list)  # for the instructor to look at (course/integrity.py)

    @property
    def total(self):
        return sum(grade.score for grade in self.grades)

    @property
    def maximum(self):
        return sum(grade.lesson.points for grade in self.grades)


def grade_all(folders, lessons, jobs=1, timeout=60):
    """Grade every submission folder, `jobs` at a time, with a progress bar; return them in the given order."""
    check_submission_paths(folders)
    names = unique_names(folders)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_submission, name, folder, lessons, timeout): name
                   for name, folder in zip(names, folders, strict=True)}
        results = {}
        for future in tqdm(as_completed(futures), total=len(futures), desc="grading", unit="submission"):
            results[futures[future]] = future.result()
    flags = integrity_flags({name: results[name].lessons_folder for name in names}, lessons)
    for name in names:
        results[name].flags = flags[name]
    return [results[name] for name in names]


def grade_submission(name, folder, lessons, timeout):
    """Grade one submission from a temporary copy of its lesson folders."""
    lesson_folders = find_lessons(Path(folder), lessons)
    if lesson_folders is None:
        problem = "no lessons found (no lesson folder such as 01_config, nor a lessons/ folder holding them)"
        return SubmissionGrade(name, [LessonGrade(lesson, LessonRun(lesson.id, problem=problem)) for lesson in lessons],
                               problem)
    runs = {}
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        present = []
        for lesson in lessons:
            problem = copy_lesson(lesson_folders / lesson.id, Path(scratch) / lesson.id)
            if problem:
                runs[lesson.id] = LessonRun(lesson.id, problem=problem)
            else:
                present.append(lesson)
        if present:
            runs.update(run_tests(present, scratch, timeout))
    return SubmissionGrade(name, [LessonGrade(lesson, runs[lesson.id]) for lesson in lessons],
                           lessons_folder=lesson_folders)


def find_lessons(folder, lessons):
    """The folder that holds a submission's lesson folders: the submission itself, its lessons/, or either one
    level down (a downloaded zip unpacks to student/repo-main/lessons). None when there is none."""
    def holds_lessons(candidate):
        return any((candidate / lesson.id).is_dir() for lesson in lessons)

    for candidate in (folder, folder / "lessons"):
        if holds_lessons(candidate):
            return candidate
    for child in sorted(path for path in folder.iterdir() if path.is_dir()):
        for candidate in (child, child / "lessons"):
            if holds_lessons(candidate):
                return candidate
    return None


def check_submission_paths(folders):
    """Refuse, naming it, a path that does not exist or is not a folder (rather than grade it 0)."""
    for folder in folders:
        if not Path(folder).exists():
            raise ValueError(f"{folder}: no such file or folder")
        if not Path(folder).is_dir():
            raise ValueError(f"{folder}: not a folder (unpack a zip first)")


def copy_lesson(source, destination):
    """Copy one lesson folder of a submission; return why it cannot be graded, if it cannot."""
    if not source.is_dir():
        return f"the folder {source.name} is missing from the submission"
    if not any(source.iterdir()):
        return f"the folder {source.name} is empty"
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(*LOCAL_FILES))
    return ""


def unique_names(folders):
    names = []
    for folder in folders:
        name = Path(folder).resolve().name
        while name in names:
            name += "+"
        names.append(name)
    return names
