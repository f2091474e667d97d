"""Grade a class: every lesson of every submission, from the submission's own temporary copy.

A submission is a folder laid out like lessons/ or like this repository. A lesson scores its points times
the share of its tests that pass. A broken lesson (a syntax error, an endless loop, a crash, a missing
folder) scores 0 with the reason; it never stops the other lessons or submissions from being graded.
"""
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from course.lessons import target_folder
from course.runner import LessonRun, run_tests

NOT_COPIED = shutil.ignore_patterns("__pycache__", ".env", "instance", "*.db", ".pytest_cache")


@dataclass
class LessonGrade:
    lesson: object
    run: LessonRun

    @property
    def score(self):
        if self.run.total == 0:
            return 0.0
        return round(self.lesson.points * self.run.passed / self.run.total, 2)


@dataclass
class SubmissionGrade:
    name: str
    folder: Path
    grades: list = field(default_factory=list)

    @property
    def total(self):
        return round(sum(grade.score for grade in self.grades), 2)

    @property
    def maximum(self):
        return sum(grade.lesson.points for grade in self.grades)


def grade_all(folders, lessons, jobs=1, timeout=60):
    """Grade every submission folder, `jobs` at a time, with a progress bar; return them in the given order."""
    names = unique_names(folders)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_submission, name, folder, lessons, timeout): name
                   for name, folder in zip(names, folders, strict=True)}
        results = {}
        for future in tqdm(as_completed(futures), total=len(futures), desc="grading", unit="submission"):
            results[futures[future]] = future.result()
    return [results[name] for name in names]


def grade_submission(name, folder, lessons, timeout):
    """Grade one submission from a temporary copy of its lesson folders."""
    runs = {}
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        present = []
        for lesson in lessons:
            problem = copy_lesson(folder, lesson, Path(scratch))
            if problem:
                runs[lesson.id] = LessonRun(lesson.id, problem=problem)
            else:
                present.append(lesson)
        if present:
            runs.update(run_tests(present, scratch, timeout))
    return SubmissionGrade(name, folder, [LessonGrade(lesson, runs[lesson.id]) for lesson in lessons])


def copy_lesson(submission, lesson, scratch):
    """Copy the submission's folder of `lesson` into `scratch`; return why it cannot be graded, if it cannot."""
    try:
        source = target_folder(str(submission)) / lesson.id
    except ValueError:
        return f"the submission folder {submission} does not exist"
    if not source.is_dir():
        return f"the folder {lesson.id} is missing from the submission"
    if not any(source.iterdir()):
        return f"the folder {lesson.id} is empty"
    shutil.copytree(source, scratch / lesson.id, ignore=NOT_COPIED)
    return ""


def unique_names(folders):
    names = []
    for folder in folders:
        name = Path(folder).resolve().name
        while name in names:
            name += "+"
        names.append(name)
    return names
