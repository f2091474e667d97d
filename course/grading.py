"""Grade a class: every lesson of every submission, each in a sandbox of its own, so that a grade depends on
that submission's work alone, whatever its code does.

The threat model: a student controls every file of their submission and has read this code (the course is
public). So:

- each (submission, lesson) runs in its own bubblewrap sandbox (course/sandbox.py) on a fresh copy of that one
  lesson folder: no other lesson, no other submission, no solutions/, no gradebook, no network but its own
  loopback, nothing left running afterwards. One lesson's code cannot touch another lesson's verdict, nor
  another student's;
- each run's verdict is checked against a plan the code under test cannot see before it is sent (canary tests,
  every test reported: course/grading_plugin.py and course/lesson_run.py);
- each lesson's time limit comes from the reference's own time on this machine (LESSON_FACTOR times it, at least
  LESSON_FLOOR seconds), and a submission's runs together stop at SUBMISSION_BUDGET seconds;
- a lesson folder identical, byte for byte, to one graded before in this run gets that result: a run sees only
  its lesson folder and the course's files, so the same files give the same verdict;
- where a lesson's TODOs were not all earned, each TODO left is also graded on its own (course/partial_credit.py):
  a bug in one TODO costs that TODO alone;
- integrity flags (course/integrity.py) are for the instructor, and cost nothing by themselves.

Nothing here writes outside its temporary folder: the gradebook, feedback and report are written by
course/gradebook.py and course/html_report.py once every run has ended.
"""
import fcntl
import hashlib
import json
import shutil
import stat
import sys
import tempfile
import threading
import traceback
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from course.gradebook import write_atomically
from course.integrity import integrity_flags
from course.lesson_run import TAMPERED, run_lesson
from course.lessons import LOCAL_FILES, ROOT, test_files
from course.partial_credit import grade_todos_alone
from course.regions import REGION, lesson_files
from course.runner import LessonRun
from course.sandbox import Limits, sandbox_problem
from course.untrusted import Refused, walk
from course.scoring import LessonScore, score_lesson

LESSON_FLOOR = 10  # seconds: the least time a lesson's tests get
LESSON_FACTOR = 10  # ... and otherwise this many times the reference's own time
SUBMISSION_BUDGET = 120  # seconds of test runs for one submission, all its lessons together
SHORTEST_RUN = 2  # seconds: with less than this left of a submission's budget no run starts (pytest could not)
LESSON_BYTES = 20 << 20  # a lesson folder larger than this is not graded (it is copied before its tests run)
LESSON_ENTRIES = 1000  # ... nor one holding more files and folders than this
LESSON_DEPTH = 10  # ... nor one with folders nested deeper than this
COMPILED = (".pyc", ".pyo", ".so", ".pyd")  # ... nor one holding code that Python runs but no one can read
CALIBRATION = ROOT / ".course-cache" / "reference-times.json"


class GradingError(RuntimeError):
    """Grading cannot be trusted on this machine (no sandbox, a reference that fails): said before any grade."""


@dataclass
class LessonGrade:
    lesson: object
    run: LessonRun
    reused: bool = False  # the same files were graded for an earlier submission of the run: its result, not run again
    partial: dict = field(default_factory=dict)  # {TODO number: PartialCredit} for the TODOs graded on their own
    partial_note: str = ""  # why no TODO could be graded on its own, if so
    course_files: list = field(default_factory=list)  # files graded as the course wrote them (a capstone's target)

    @property
    def scored(self):
        whole = score_lesson(self.lesson, self.run)
        done = {number: earned or (number in self.partial and self.partial[number].earned)
                for number, earned in whole.done.items()}
        return LessonScore(self.lesson, done, whole.broken)

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
    similar: list = field(default_factory=list)  # integrity.Similar pairs this submission is in

    @property
    def total(self):
        return sum(grade.score for grade in self.grades)

    @property
    def maximum(self):
        return sum(grade.lesson.points for grade in self.grades)


def grade_all(folders, lessons, jobs=1, sandboxed=True, budget=SUBMISSION_BUDGET, timeout=None):
    """Grade every submission folder, `jobs` at a time, with a progress bar; return them in the given order.
    `timeout`: each lesson's limit in seconds, instead of the one measured on the reference."""
    check_submission_paths(folders)
    problem = sandbox_problem() if sandboxed else None
    if problem:
        raise GradingError(f"untrusted work is graded only in a sandbox, and {problem}")
    names = unique_names(folders)
    with tempfile.TemporaryDirectory(prefix="course-grade-") as work:
        runner = Runner(Path(work), sandboxed)
        limits = runner.calibrate(lessons, jobs) if timeout is None else {
            lesson.id: lesson_limits(timeout / LESSON_FACTOR, floor=0) for lesson in lessons}
        snapshots = [take_snapshot(Path(folder), Path(work) / f"submission-{number}", lessons)
                     for number, folder in enumerate(folders)]
        results = {}
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(grade_submission, name, snapshot, lessons, limits, runner, budget): name
                       for name, snapshot in zip(names, snapshots, strict=True)}
            for future in tqdm(as_completed(futures), total=len(futures), desc="grading", unit="submission"):
                try:
                    results[futures[future]] = future.result()
                except Exception:  # noqa: BLE001 - one submission must never stop the class's grading
                    results[futures[future]] = not_graded(futures[future], lessons, grader_failed())
        graded = [results[name] for name in names]
        try:
            flags, pairs = integrity_flags({submission.name: snapshot
                                            for submission, snapshot in zip(graded, snapshots, strict=True)}, lessons)
        except Exception:  # noqa: BLE001 - the grades stand without it
            flags, pairs = {name: [f"not checked: {grader_failed()}"] for name in names}, []
    for submission in graded:
        submission.flags = [f"{grade.lesson.id}: {flag}" for grade in submission.grades
                            for flag in grade.run.flags] + flags[submission.name]
        submission.similar = [pair for pair in pairs if submission.name in (pair.first, pair.second)]
    return graded


GRADER_FAILED = "the grader failed on this submission (an error in the grader's own code, shown in its output)"


def grader_failed():
    """Say, for the instructor, what went wrong in the grader's own code (a bug a submission found): the error
    goes to stderr, and this short reason to the gradebook and the feedback, without the error's own words."""
    traceback.print_exc()
    return f"{GRADER_FAILED}: it was not graded"


def take_snapshot(folder, root, lessons):
    """Snapshot.take, or a snapshot of no lessons that says the grader failed on this folder."""
    try:
        return Snapshot.take(folder, root, lessons)
    except Exception:  # noqa: BLE001 - one submission must never stop the class's grading
        return Snapshot(None, root, failure=grader_failed())


def not_graded(name, lessons, problem):
    return SubmissionGrade(name, [LessonGrade(lesson, LessonRun(lesson.id, problem=problem)) for lesson in lessons],
                           problem)


def grade_submission(name, snapshot, lessons, limits, runner, budget):
    """Every lesson of one submission, in course order, within its time budget; then each TODO left on its own."""
    if snapshot.lessons_folder is None:
        return not_graded(name, lessons, snapshot.failure or "no lessons found (no lesson folder such as 01_config, "
                                                             "nor a lessons/ folder holding them)")
    clock = Budget(budget)
    grades = []
    for lesson in lessons:
        if lesson.id in snapshot.problems:
            grades.append(LessonGrade(lesson, LessonRun(lesson.id, problem=snapshot.problems[lesson.id])))
            continue
        run, reused = runner.run_once(lesson, snapshot.folder(lesson), limits[lesson.id], clock)
        grades.append(LessonGrade(lesson, run, reused, course_files=snapshot.course_files.get(lesson.id, [])))
    for grade in grades:
        if grade.lesson.id in snapshot.problems or not lesson_can_earn_more(grade):
            continue

        def run_alone(folder, number, lesson=grade.lesson):  # TODO `number`'s tests on a grafted lesson folder
            return runner.run_once(lesson, folder, limits[lesson.id], clock, only_todo=number)[0]

        grade.partial, grade.partial_note = grade_todos_alone(grade.lesson, snapshot.folder(grade.lesson),
                                                              grade.scored, run_alone)
    return SubmissionGrade(name, grades, lessons_folder=snapshot.lessons_folder)


def lesson_can_earn_more(grade):
    """Whether grading TODOs on their own may earn what the whole run did not: not for a lesson that is
    missing, was tampered with, or was not run for lack of time."""
    return (grade.score < grade.lesson.points and not grade.run.problem.startswith((TAMPERED, NOT_RUN))
            and bool(grade.run.outcomes or grade.run.problem))


NOT_RUN = "not run:"


class Budget:
    """The seconds left of one submission's runs."""

    def __init__(self, seconds):
        self.total = self.left = seconds

    def limit(self, limits):
        return Limits(seconds=min(limits.seconds, self.left), cpu_seconds=limits.cpu_seconds)

    def spend(self, seconds):
        self.left -= seconds


class Runner:
    """Runs a lesson's tests on a copy of a lesson folder (sandboxed unless told otherwise), and remembers each
    result by what the run saw: a folder graded before, byte for byte, is not run again."""

    def __init__(self, work, sandboxed):
        self.work, self.sandboxed = work, sandboxed
        self.results, self.lock = {}, threading.Lock()

    def run(self, lesson, source, limits, only_todo=None):
        """One run on a fresh copy of the lesson folder `source` (a run may write in its folder)."""
        copy = Path(tempfile.mkdtemp(prefix="lessons-", dir=self.work))
        shutil.copytree(source, copy / lesson.id, symlinks=True)
        course_app = [ROOT / "solutions" / lesson.course_app] if lesson.course_app else []
        return run_lesson(lesson, copy, limits, self.work, only_todo, read_only=course_app, sandboxed=self.sandboxed)

    def run_once(self, lesson, source, limits, clock, only_todo=None):
        """(LessonRun, reused): the run's result, or the result of the same run made before for the same files.
        A run cut short by the submission's budget is its own: it is not kept for others."""
        if clock.left < SHORTEST_RUN:
            problem = f"{NOT_RUN} this submission's tests had used up their time ({clock.total:g} s in all)"
            return LessonRun(lesson.id, problem=problem), False
        limited = clock.limit(limits)
        if limited.seconds < limits.seconds:
            run = self.run(lesson, source, limited, only_todo)
            clock.spend(run.seconds)
            return run, False
        key = (lesson.id, only_todo, folder_fingerprint(source))
        with self.lock:
            future = self.results.get(key)
            mine = future is None
            if mine:
                future = self.results[key] = Future()
        if not mine:
            return deepcopy(future.result()), True  # its own copy: grades must not share lists
        try:
            run = self.run(lesson, source, limits, only_todo)
        except BaseException as error:
            future.set_exception(error)
            raise
        future.set_result(run)
        clock.spend(run.seconds)
        return run, False

    def calibrate(self, lessons, jobs):
        """{lesson id: Limits}: each lesson's limit from the reference's time here (kept in CALIBRATION for the
        same course files). The reference must pass every test in the sandbox, or no grade can be trusted."""
        keys = {lesson.id: calibration_key(lesson, self.sandboxed) for lesson in lessons}
        CALIBRATION.parent.mkdir(exist_ok=True)
        with open(CALIBRATION.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a grading started meanwhile waits, then reads the times measured here
            known = json.loads(CALIBRATION.read_text()) if CALIBRATION.exists() else {}
            missing = [lesson for lesson in lessons if keys[lesson.id] not in known]
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                for lesson, seconds in zip(missing, pool.map(self.time_reference, missing)):
                    known[keys[lesson.id]] = seconds
            if missing:  # written whole, then moved into place: a reader never sees half of it
                write_atomically(CALIBRATION, json.dumps(known, indent=1))
        return {lesson.id: lesson_limits(known[keys[lesson.id]]) for lesson in lessons}

    def time_reference(self, lesson):
        reference = ROOT / "solutions" / lesson.id
        if not reference.is_dir():  # a student edition: no reference to time
            return LESSON_FLOOR / LESSON_FACTOR
        run = self.run(lesson, reference, Limits(seconds=300))
        failed = [outcome.name for outcome in run.outcomes if not outcome.passed]
        if run.problem or failed or run.flags or not run.outcomes:
            why = run.problem or "; ".join(run.flags) or f"these tests fail: {', '.join(failed[:5])}"
            raise GradingError(f"the reference of lesson {lesson.id} does not pass its tests here ({why}); "
                               "grades would not mean anything")
        return run.seconds


def lesson_limits(reference_seconds, floor=LESSON_FLOOR):
    seconds = max(floor, LESSON_FACTOR * reference_seconds)
    return Limits(seconds=seconds, cpu_seconds=int(2 * seconds) + 10)


def calibration_key(lesson, sandboxed):
    """What a reference's time depends on: the course's code, the lesson's tests and reference, Python's version,
    and whether it runs in the sandbox."""
    digest = hashlib.sha256(f"{lesson.id} {sys.version} {sandboxed}".encode())
    folders = [ROOT / "course", ROOT / "solutions" / lesson.id] + (
        [ROOT / "solutions" / lesson.course_app] if lesson.course_app else [])
    files = [path for folder in folders for path in sorted(folder.rglob("*.py"))]
    for path in [*files, ROOT / "tests" / "conftest.py", *(ROOT / name for name in test_files(lesson))]:
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


# --- A submission, as graded: its lesson folders, copied once and never changed ------------------------------

@dataclass
class Snapshot:
    """A submission's lesson folders, copied to the grader's own folder before anything runs (later runs each
    get a fresh copy of these), or why a lesson cannot be graded."""

    lessons_folder: Path  # where the submission's lesson folders were found; None: no lessons at all
    root: Path  # the copies
    problems: dict = field(default_factory=dict)  # {lesson id: why it cannot be graded}
    course_files: dict = field(default_factory=dict)  # {lesson id: [files graded as the course wrote them]}
    failure: str = ""  # why the grader could not take it, when its own code failed

    def folder(self, lesson):
        return self.root / lesson.id

    @classmethod
    def take(cls, folder, root, lessons):
        snapshot = cls(find_lessons(folder, lessons), root)
        if snapshot.lessons_folder is None:
            return snapshot
        root.mkdir()
        for lesson in lessons:
            problem = copy_lesson(snapshot.lessons_folder / lesson.id, root / lesson.id)
            if problem:
                snapshot.problems[lesson.id] = problem
            elif lesson.course_app:
                snapshot.course_files[lesson.id] = use_course_files(lesson, root / lesson.id)
        return snapshot


def use_course_files(lesson, folder):
    """A capstone's files that hold no TODO are the target under attack (its vulnerable app): the course's own
    copy is graded, whatever the submission has. Returns the files that differed."""
    starter = ROOT / "lessons" / lesson.id
    replaced = []
    for path in lesson_files(starter):
        text = (starter / path).read_bytes()
        if path.suffix in (".py", ".js", ".html") and REGION.search(text.decode(errors="replace")):
            continue
        if not (folder / path).is_file() or (folder / path).read_bytes() != text:
            if (folder / path).is_dir():  # a folder of the file's name (links were refused when it was copied)
                shutil.rmtree(folder / path)
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).unlink(missing_ok=True)
            (folder / path).write_bytes(text)
            replaced.append(str(path))
    return replaced


def find_lessons(folder, lessons):
    """The folder that holds a submission's lesson folders: the submission itself, its lessons/, or either one
    level down (a downloaded zip unpacks to student/repo-main/lessons). None when there is none. No link inside the
    submission is followed: `lessons -> ../../solutions` would have the reference graded (and on Gradescope that path
    is the same for everyone). (`folder` itself is the instructor's: it may be a link.)"""
    folder = folder.resolve()

    def holds_lessons(candidate):  # a child of `folder` is checked not to be a link before its lessons/ is tried
        return (candidate == folder or not candidate.is_symlink()) and any(
            (candidate / lesson.id).is_dir() and not (candidate / lesson.id).is_symlink() for lesson in lessons)

    for candidate in (folder, folder / "lessons"):
        if holds_lessons(candidate):
            return candidate
    for child in sorted(path for path in folder.iterdir() if path.is_dir() and not path.is_symlink()):
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
    """Copy one lesson folder of a submission; return why it cannot be graded, if it cannot. Refused: links (the
    grader's own process reads the copy: a link to a folder would take it outside), anything but files and
    folders (a named pipe would block the copy), compiled code (a .pyc or .so runs, yet no check can read it),
    folders larger than LESSON_BYTES, and what course/untrusted.py refuses (more than LESSON_ENTRIES entries,
    folders nested deeper than LESSON_DEPTH, names that are not text)."""
    if not source.is_dir() or source.is_symlink():
        return f"the folder {source.name} is missing from the submission"
    try:
        entries = walk(source, ignore=LOCAL_FILES, most=LESSON_ENTRIES, deepest=LESSON_DEPTH)
    except Refused as why:
        return f"the folder {source.name} {why}"
    except OSError as error:  # a folder the grader may not read (an unprivileged grader, a zip's modes)
        return f"the folder {source.name} cannot be read: {error.strerror}"
    size = 0
    for path, status in entries:
        if stat.S_ISLNK(status.st_mode):
            return f"{source.name}/{path} is a link: links are not graded (put the file itself there)"
        if not (stat.S_ISREG(status.st_mode) or stat.S_ISDIR(status.st_mode)):
            return f"{source.name}/{path} is not a file or a folder"
        if path.suffix in COMPILED:
            return f"{source.name}/{path} is compiled code: only source files are graded"
        size += status.st_size
    if size > LESSON_BYTES:
        return f"the folder {source.name} holds {size / 1e6:.0f} MB (at most {LESSON_BYTES >> 20} MiB are graded)"
    if not entries:
        return f"the folder {source.name} is empty"
    try:
        shutil.copytree(source, destination, ignore=shutil.ignore_patterns(*LOCAL_FILES))
    except (OSError, shutil.Error):
        shutil.rmtree(destination, ignore_errors=True)
        return f"the folder {source.name} cannot be read (a file the grader may not open)"
    return ""


def folder_fingerprint(folder):
    """Every path under `folder` and what it holds (a file's bytes, a link's target): what a run of it sees."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder)).encode()
        if path.is_symlink():
            content = b"(a link to) " + str(path.readlink()).encode()
        elif path.is_file():
            content = path.read_bytes()
        else:
            content = b"(a folder)"
        for part in (name, content):
            digest.update(len(part).to_bytes(8, "big") + part)  # each length first: no two files run together
    return digest.hexdigest()


def unique_names(folders):
    names = []
    for folder in folders:
        name = Path(folder).resolve().name
        while name in names:
            name += "+"
        names.append(name)
    return names
