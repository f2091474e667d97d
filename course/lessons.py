"""The lessons of the course: what lessons.toml says about each, and where their folders are."""
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = Path(__file__).with_name("lessons.toml")
NAMED_TARGETS = ("solutions", "lessons")
# The instructor's hidden tests: modules named like the public ones (tests/hidden/test_01_config.py), run by the
# grader with the public ones and left out of the student edition (course/student_edition.py).
HIDDEN_TESTS = "tests/hidden"
# What a lesson folder may hold that is not part of the lesson: caches, secrets, local databases, hint state, kept
# verdicts (course/verdicts.py).
LOCAL_FILES = ("__pycache__", ".pytest_cache", ".env", "instance", "*.db", ".course-hints.json",
               ".course-verdicts.json",
               "keys", "*.pem")  # lesson 10: key pairs made by `course serve` or `flask --app keytool make-keys`


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    concept: str
    builds: str
    points: int
    todos: list
    hints: list
    database: bool = False  # the app has a database: its tests can run on SQLite and on PostgreSQL
    # A capstone's app is a deliberately vulnerable target, not an app of the course's kind: its attacks must
    # succeed there and fail against the reference of the lesson named here (the course's own app).
    course_app: str = ""

    @property
    def number(self):
        return int(self.id[:2])

    def todo(self, number):
        """The text of TODO `number`, as lessons.toml words it."""
        return self.todos[number - 1]


def all_lessons():
    """Every lesson, in course order."""
    return list(read_catalogue())


@functools.cache  # read once per process: pytest looks a lesson up for every test it collects
def read_catalogue():
    with CATALOGUE.open("rb") as file:
        return tuple(Lesson(**entry) for entry in tomllib.load(file)["lesson"])


def find_lesson(key):
    """The lesson named by `key`: a number ("2", "02") or an id ("02_login")."""
    for lesson in all_lessons():
        if key in (lesson.id, lesson.id[:2]) or (key.isdigit() and int(key) == lesson.number):
            return lesson
    known = ", ".join(lesson.id for lesson in all_lessons())
    raise LookupError(f"no lesson {key!r}; the lessons are: {known}")


def test_files(lesson, root=ROOT):
    """The test modules of a lesson, relative to `root`: its public tests, and the instructor's hidden ones when
    there are some."""
    hidden = f"{HIDDEN_TESTS}/test_{lesson.id}.py"
    return [f"tests/test_{lesson.id}.py", *([hidden] if (root / hidden).is_file() else [])]


def target_folder(target):
    """The folder holding lesson folders: "solutions", "lessons", or a path to a submission.

    A submission may be laid out like `lessons/` or like this whole repository (then its `lessons/` is used).
    """
    folder = ROOT / target if target in NAMED_TARGETS else Path(target).expanduser().resolve()
    if not folder.is_dir():
        raise ValueError(f"--target {target!r}: no such folder ({folder})")
    if (folder / "lessons").is_dir() and not any(folder.glob("[0-9][0-9]_*")):
        folder = folder / "lessons"
    return folder
