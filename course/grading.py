"""Grade a class: every lesson of every submission, from the submission's own temporary copy.

A submission is a folder laid out like lessons/ or like this repository. A lesson is scored per TODO by
course/scoring.py (the rule `course check` and Classroom use too). A broken lesson (a syntax error, an endless
loop, a crash, a missing folder) scores 0 with the reason; it never stops the other lessons or submissions from
being graded. Integrity flags (course/integrity.py) are added for the instructor; they cost nothing.
"""
import hashlib
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from copy import deepcopy
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
    reused: bool = False  # the same files were graded for an earlier submission of the run: its result, not run again

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
    """Grade every submission folder, `jobs` at a time, with a progress bar; return them in the given order.

    A lesson folder identical to one graded earlier in the same run (an untouched starter, a copy) gets that
    result without its tests running again: in one run the course's tests, settings and time limit are the same
    for every submission, and the tests are deterministic, so the same files give the same result."""
    check_submission_paths(folders)
    names = unique_names(folders)
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        copies = {name: copy_submission(Path(folder), Path(scratch) / str(number), lessons)
                  for number, (name, folder) in enumerate(zip(names, folders, strict=True))}
        first_with = {}  # fingerprint of a lesson folder -> the copy whose tests will run for it
        for copied in copies.values():
            for key in copied.keys.values():
                first_with.setdefault(key, copied)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(run_tests, copied.to_run(lessons, first_with), copied.folder, timeout): copied
                       for copied in copies.values() if copied.to_run(lessons, first_with)}
            runs = {}  # fingerprint -> LessonRun
            for future in tqdm(as_completed(futures), total=len(futures), desc="grading", unit="submission"):
                copied = futures[future]
                runs.update({copied.keys[lesson_id]: run for lesson_id, run in future.result().items()})
        results = [copied.grade(name, lessons, runs, first_with) for name, copied in copies.items()]
    flags = integrity_flags({result.name: result.lessons_folder for result in results}, lessons)
    for result in results:
        result.flags = flags[result.name]
    return results


@dataclass
class SubmissionCopy:
    """A submission's lesson folders copied for grading, each with its fingerprint (or why it cannot be graded)."""

    lessons_folder: Path  # where the submission's lesson folders were found; None: no lessons at all
    folder: Path  # the temporary copy
    keys: dict = field(default_factory=dict)  # {lesson id: fingerprint} of the lessons that can be graded
    problems: dict = field(default_factory=dict)  # {lesson id: why it cannot be graded}

    def to_run(self, lessons, first_with):
        """The lessons whose tests run on this copy: those no submission before it has the same files for."""
        return [lesson for lesson in lessons if lesson.id in self.keys and first_with[self.keys[lesson.id]] is self]

    def grade(self, name, lessons, runs, first_with):
        if self.lessons_folder is None:
            problem = "no lessons found (no lesson folder such as 01_config, nor a lessons/ folder holding them)"
            return SubmissionGrade(name, [LessonGrade(lesson, LessonRun(lesson.id, problem=problem))
                                          for lesson in lessons], problem)
        grades = []
        for lesson in lessons:
            if lesson.id in self.problems:
                grades.append(LessonGrade(lesson, LessonRun(lesson.id, problem=self.problems[lesson.id])))
            else:
                key = self.keys[lesson.id]
                reused = first_with[key] is not self
                grades.append(LessonGrade(lesson, deepcopy(runs[key]) if reused else runs[key], reused))
        return SubmissionGrade(name, grades, lessons_folder=self.lessons_folder)


def copy_submission(folder, destination, lessons):
    """Copy a submission's lesson folders to `destination` and fingerprint each one."""
    copied = SubmissionCopy(find_lessons(folder, lessons), destination)
    if copied.lessons_folder is None:
        return copied
    destination.mkdir()
    for lesson in lessons:
        problem = copy_lesson(copied.lessons_folder / lesson.id, destination / lesson.id)
        if problem:
            copied.problems[lesson.id] = problem
        else:
            copied.keys[lesson.id] = fingerprint(lesson.id, destination / lesson.id)
    return copied


def fingerprint(lesson_id, folder):
    """The lesson and every file and folder of its copy (the path, and the bytes of a file): what its tests see."""
    digest = hashlib.sha256(lesson_id.encode())
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder)).encode()
        content = path.read_bytes() if path.is_file() else b"(a folder)"
        for part in (name, content):
            digest.update(len(part).to_bytes(8, "big") + part)  # each length first: no two files run together
    return digest.hexdigest()


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
