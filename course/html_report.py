"""The instructor's view of the class: one self-contained HTML file (inline CSS and SVG, no script, nothing
fetched), so it can be mailed or attached to an LMS.

It is drawn from the whole gradebook (course/gradebook.py's JSON rows), not from one run: grading one student
again updates that student's row, and the report still shows the class. What needs a look comes first: the
integrity flags, submissions with similar TODO code (side by side), and the heat map of every student's lessons;
then the class's figures and what to explain again.

Python only counts (totals, shares, which requirements fail most often); the Jinja2 template
(templates/report.html.j2) lays the numbers out as tables and draws the charts as SVG. Autoescaping is on:
submission names, messages and code come from students, and must show as text, never run as HTML.
"""
import difflib
import os
import statistics
from dataclasses import dataclass, field
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined

HISTOGRAM_BINS = 10  # totals in steps of 10% of the maximum
MOST_FAILED = 10  # how many requirements the "explain again" list shows
# Why a lesson was not graded, in a word or two, from the words of its reason (first match wins).
KINDS = [
    ("no lessons found", "no lessons found"),
    ("tampered with", "tampered"),
    ("not run:", "out of time"),
    ("did not start within", "timeout"),
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


@dataclass
class SimilarPair:
    """Two submissions with the same or nearly the same TODO code for a lesson, and their code side by side."""

    lesson_id: str
    names: tuple
    ratio: float
    rows: list  # [(left line, right line, whether they differ)]


def write_html(rows, lessons, path, feedback_folder, stamp, untrusted=()):
    """Write the report of the gradebook's `rows` (course/gradebook.py) to `path`; each student's name links to
    their feedback file. `stamp` is this run's (time, course version); `untrusted` names rows that were dropped
    because the grader had not written them."""
    environment = Environment(loader=PackageLoader("course", "templates"), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    by_id = {lesson.id: lesson for lesson in lessons}
    students = [student_row(row, lessons, path, feedback_folder) for row in rows]
    maximum = sum(lesson.points for lesson in lessons)
    html = environment.get_template("report.html.j2").render(
        lessons=lessons,
        students=students,
        maximum=maximum,
        median=statistics.median([student.total for student in students]) if students else 0,
        histogram=histogram([student.total for student in students], maximum),
        not_graded=not_graded(students, lessons),
        flagged=[student for student in students if student.flags],
        similar=similar_pairs(rows),
        untrusted=list(untrusted),
        unsandboxed=[row["submission"] for row in rows if not row.get("sandboxed", True)],
        pass_shares=pass_shares(rows, lessons),
        todos=todos_done(rows, lessons),
        struggles=struggles(rows, by_id),
        run_at=stamp[0].replace("T", " "),
        version=stamp[1],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(html, encoding="utf-8")
    os.replace(partial, path)


def student_row(row, lessons, report_path, feedback_folder):
    feedback = os.path.relpath(feedback_folder / f"{row['submission']}.md", report_path.parent)
    cells = [Cell(row["lessons"][lesson.id]["score"], lesson.points, row["lessons"][lesson.id]["problem"])
             for lesson in lessons]
    # quote(): a name with "#", "?", "%" or spaces must still link to its own file
    return Student(row["submission"], row["total"], row["max"], quote(feedback.replace(os.sep, "/")),
                   cells, row["problem"], row["flags"])


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


def similar_pairs(rows):
    """Each pair of similar submissions once, with their TODO code side by side, most alike first."""
    pairs = {}
    for row in rows:
        for pair in row.get("similar", []):
            names = tuple(sorted((row["submission"], pair["other"])))
            key = (pair["lesson"], names)
            if key not in pairs and all(name in pair["code"] for name in names):
                left, right = (pair["code"][name].splitlines() for name in names)
                pairs[key] = SimilarPair(pair["lesson"], names, pair["ratio"], side_by_side(left, right))
    return sorted(pairs.values(), key=lambda pair: (-pair.ratio, pair.lesson_id, pair.names))


def side_by_side(left, right):
    """[(left line, right line, whether they differ)] lined up by difflib."""
    lines = []
    for tag, left_start, left_end, right_start, right_end in difflib.SequenceMatcher(None, left, right).get_opcodes():
        chunk_left, chunk_right = left[left_start:left_end], right[right_start:right_end]
        for index in range(max(len(chunk_left), len(chunk_right))):
            lines.append((chunk_left[index] if index < len(chunk_left) else "",
                          chunk_right[index] if index < len(chunk_right) else "", tag != "equal"))
    return lines


def histogram(totals, maximum):
    """How many totals fall in each tenth of the maximum (a full score counts in the last tenth)."""
    counts = [0] * HISTOGRAM_BINS
    for total in totals:
        share = total / maximum if maximum else 0
        counts[min(int(share * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)] += 1
    return counts


def pass_shares(rows, lessons):
    """The share of submissions with full marks in each lesson, in lesson order."""
    return [(lesson, sum(row["lessons"][lesson.id]["score"] == lesson.points for row in rows) / len(rows)
             if rows else 0) for lesson in lessons]


def todos_done(rows, lessons):
    """Per TODO of each lesson, how many submissions earned its points: [(lesson, number, count)]."""
    return [(lesson, number, sum(number in row["lessons"][lesson.id]["todos_done"] for row in rows))
            for lesson in lessons for number in range(1, len(lesson.todos) + 1)]


def struggles(rows, lessons):
    """The requirements that fail most often in lessons that could be graded, most students first."""
    found = {}
    for row in rows:
        for lesson_id, entry in row["lessons"].items():
            if entry["problem"] or lesson_id not in lessons:
                continue  # counted under "could not be graded" instead
            for requirement in entry.get("requirements", []):
                if requirement["passed"]:
                    continue
                lesson = lessons[lesson_id]
                struggle = found.setdefault((lesson_id, requirement["words"]), Struggle(lesson, requirement["words"]))
                struggle.students.append(row["submission"])
                struggle.todos = [(number, lesson.todo(number)) for number in requirement["todos"]
                                  if 1 <= number <= len(lesson.todos)]
    ranked = sorted(found.values(), key=lambda struggle: (-len(struggle.students), struggle.lesson.id))
    return ranked[:MOST_FAILED]
