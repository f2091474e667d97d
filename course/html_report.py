"""The instructor's view of a grading run: one self-contained HTML file (inline CSS and SVG, no script, nothing
fetched), so it can be mailed or attached to an LMS.

Python only counts (totals, shares, which requirements fail most often); the Jinja2 template
(templates/report.html.j2) lays the numbers out as tables and draws the charts as SVG. Autoescaping is on:
submission names and test messages come from students, and must show as text, never run as HTML.

It reads only a few attributes of the grading results (course/grading.py): a submission's name, total, maximum,
grades, problem and flags, and a grade's lesson, score, scored TODOs and run (its problem and test outcomes).
"""
import os
import statistics
from dataclasses import dataclass, field
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

from course.report import requirements

HISTOGRAM_BINS = 10  # totals in steps of 10% of the maximum
MOST_FAILED = 10  # how many requirements the "explain again" list shows
# Why a lesson was not graded, in a word or two, from the words of its reason (first match wins).
KINDS = [
    ("no lessons found", "no lessons found"),
    ("did not finish within", "timeout"),
    ("is missing", "missing lesson"),
    ("is empty", "empty lesson"),
    ("SyntaxError", "syntax error"),
    ("No module named", "missing module"),
    ("must not stop the program", "stops the program"),
    ("cannot be imported", "error at import"),
    ("stopped early", "crash"),
]


@dataclass
class Cell:
    """One lesson of one submission, as the heat map shows it."""

    score: float
    points: int
    reason: str = ""  # why the lesson was not graded, if it was not

    @property
    def share(self):
        return self.score / self.points if self.points else 0


@dataclass
class Student:
    name: str
    total: float
    maximum: int
    feedback: str  # link to the feedback file, relative to the report
    cells: list
    problem: str  # why nothing could be graded (no lessons found), if so
    flags: list  # integrity flags (course/integrity.py), for the instructor to look at


@dataclass
class Struggle:
    """A requirement the class fails: which lesson, which TODOs it checks, and who fails it."""

    lesson: object
    words: str
    todos: list = field(default_factory=list)  # [(number, text)]
    students: list = field(default_factory=list)


def write_html(submissions, lessons, path, feedback_folder, stamp):
    """Write the report of graded `submissions` to `path`; each student's name links to their feedback file.
    `stamp` is the run's (time, course version), as course.gradebook.run_stamp gives it."""
    environment = Environment(loader=PackageLoader("course", "templates"), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    students = [student_row(submission, path, feedback_folder) for submission in submissions]
    maximum = sum(lesson.points for lesson in lessons)
    html = environment.get_template("report.html.j2").render(
        lessons=lessons,
        students=students,
        maximum=maximum,
        median=statistics.median([student.total for student in students]) if students else 0,
        histogram=histogram([student.total for student in students], maximum),
        not_graded=not_graded(students, lessons),
        flagged=[student for student in students if student.flags],
        pass_shares=pass_shares(submissions, lessons),
        todos=todos_done(submissions, lessons),
        struggles=struggles(submissions),
        run_at=stamp[0].replace("T", " "),
        version=stamp[1],
    )
    path.write_text(html, encoding="utf-8")


def student_row(submission, report_path, feedback_folder):
    feedback = os.path.relpath(feedback_folder / f"{submission.name}.md", report_path.parent)
    cells = [Cell(grade.score, grade.lesson.points, grade.run.problem) for grade in submission.grades]
    # quote(): a name with "#", "?", "%" or spaces must still link to its own file
    return Student(submission.name, submission.total, submission.maximum, quote(feedback.replace(os.sep, "/")),
                   cells, submission.problem, submission.flags)


def kind_of(reason):
    return next((kind for words, kind in KINDS if words in reason), "error in the app")


def not_graded(students, lessons):
    """Every lesson that could not be graded: [(student, lesson id, kind, reason)], and how many of each kind.
    A submission where no lesson was found is one row, not one per lesson."""
    rows = []
    for student in students:
        if student.problem:
            rows.append((student, "every lesson", kind_of(student.problem), student.problem))
            continue
        rows += [(student, lesson.id, kind_of(cell.reason), cell.reason)
                 for lesson, cell in zip(lessons, student.cells, strict=True) if cell.reason]
    kinds = {}
    for row in rows:
        kinds[row[2]] = kinds.get(row[2], 0) + 1
    return {"rows": rows, "kinds": sorted(kinds.items(), key=lambda item: -item[1]),
            "submissions": len({row[0].name for row in rows})}


def histogram(totals, maximum):
    """How many totals fall in each tenth of the maximum (a full score counts in the last tenth)."""
    counts = [0] * HISTOGRAM_BINS
    for total in totals:
        share = total / maximum if maximum else 0
        counts[min(int(share * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)] += 1
    return counts


def pass_shares(submissions, lessons):
    """The share of submissions with full marks in each lesson, in lesson order."""
    shares = []
    for lesson in lessons:
        passing = sum(grade.score == lesson.points for submission in submissions for grade in submission.grades
                      if grade.lesson.id == lesson.id)
        shares.append((lesson, passing / len(submissions) if submissions else 0))
    return shares


def todos_done(submissions, lessons):
    """Per TODO of each lesson, how many submissions earned its points (course/scoring.py):
    [(lesson, number, count)]."""
    done = {(lesson.id, number): 0 for lesson in lessons for number in range(1, len(lesson.todos) + 1)}
    for submission in submissions:
        for grade in submission.grades:
            for number, earned in grade.scored.done.items():
                done[grade.lesson.id, number] += earned
    return [(lesson, number, done[lesson.id, number]) for lesson in lessons
            for number in range(1, len(lesson.todos) + 1)]


def struggles(submissions):
    """The requirements that fail most often in lessons that could be graded, most students first."""
    found = {}
    for submission in submissions:
        for grade in submission.grades:
            if grade.run.problem:
                continue  # counted under "could not be graded" instead
            for requirement in requirements(grade.run):
                if requirement.passed:
                    continue
                key = (grade.lesson.id, requirement.words)
                struggle = found.setdefault(key, Struggle(grade.lesson, requirement.words))
                struggle.students.append(submission.name)
                numbers = sorted({number for outcome in requirement.outcomes for number in outcome.todos})
                struggle.todos = [(number, grade.lesson.todo(number)) for number in numbers]
    ranked = sorted(found.values(), key=lambda struggle: (-len(struggle.students), struggle.lesson.id))
    return ranked[:MOST_FAILED]

