"""Integrity flags for the instructor: things worth a look, never a verdict, and nothing is deducted for them.

- the submission changed the course's own files (tests/, course/, the pytest configuration, a conftest.py);
- a lesson's code is the reference solution's (comments and whitespace ignored);
- two submissions wrote the same, or nearly the same, code for a lesson.

Code is compared after normalising it (Python tokens only: no comments, no blank lines, no indentation
differences), and only the lines a learner wrote: lines that are also in the starter are left out, since
everyone has those (and, between two learners, lines of the reference solution too).
"""
import functools
import hashlib
import io
import tokenize
from collections import Counter
from difflib import SequenceMatcher
from itertools import combinations

from course.lessons import ROOT
from course.regions import lesson_files

NEARLY_THE_SAME = 0.9  # SequenceMatcher ratio of two learners' own lines
ENOUGH_LINES = 3  # fewer lines of their own than this, and two learners are not compared
PYTEST_CONFIGURATION = ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "conftest.py")


def normalised_lines(text):
    """The code's lines as tokens joined by single spaces, without comments or blank lines."""
    tokens = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            tokens.append(token)
    except (tokenize.TokenError, SyntaxError):
        pass  # a file that does not parse: compare the tokens read before the error
    lines = {}
    for token in tokens:
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                          tokenize.ENDMARKER):
            continue
        lines.setdefault(token.start[0], []).append(token.string)
    return [" ".join(parts) for _, parts in sorted(lines.items())]


def code_lines(folder):
    """Every normalised line of the lesson folder's Python files, file by file."""
    lines = []
    for path in lesson_files(folder):
        if path.suffix == ".py":
            lines += [f"{path}: {line}" for line in normalised_lines((folder / path).read_text(errors="replace"))]
    return lines


@functools.cache
def starter_lines(lesson_id):
    return Counter(code_lines(ROOT / "lessons" / lesson_id))


def own_lines(folder, lesson_id):
    """The normalised lines of a learner's lesson that the starter does not have."""
    starter = starter_lines(lesson_id).copy()
    own = []
    for line in code_lines(folder):
        if starter[line]:
            starter[line] -= 1
        else:
            own.append(line)
    return own


def course_files_changed(repository):
    """What a repository-shaped submission changed of the course's own files (empty for a lessons/ folder)."""
    if not any((repository / part).exists() for part in ("tests", "course", "pyproject.toml")):
        return []
    flags = []
    for part in ("tests", "course"):
        if fingerprint(repository / part) != fingerprint(ROOT / part):
            flags.append(f"{part}/ differs from the course's")
    if digest(repository / "pyproject.toml") != digest(ROOT / "pyproject.toml"):
        flags.append("pyproject.toml (the pytest configuration) differs from the course's")
    added = [repository / name for name in PYTEST_CONFIGURATION] + list((repository / "lessons").rglob("conftest.py"))
    extra = sorted(str(path.relative_to(repository)) for path in added if path.is_file())
    if extra:
        flags.append(f"pytest configuration added: {', '.join(extra)}")
    return flags


def fingerprint(folder):
    """{file: its hash} for a folder's files (caches left out), or None when there is no such folder."""
    return {str(path): digest(folder / path) for path in lesson_files(folder)} if folder.is_dir() else None


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def integrity_flags(lesson_folders, lessons):
    """{submission name: [flag, ...]} for graded submissions. `lesson_folders` maps a name to the folder holding
    its lesson folders (or None)."""
    flags = {name: [] for name in lesson_folders}
    own = {}
    for name, folder in lesson_folders.items():
        if folder is None:
            continue
        if folder.name == "lessons":
            flags[name] += course_files_changed(folder.parent)
        for lesson in lessons:
            if (folder / lesson.id).is_dir():
                own[name, lesson.id] = own_lines(folder / lesson.id, lesson.id)
    reference = {lesson.id: own_lines(ROOT / "solutions" / lesson.id, lesson.id) for lesson in lessons}
    for (name, lesson_id), lines in own.items():
        if lines and lines == reference[lesson_id]:
            flags[name].append(f"{lesson_id} is the reference solution's code")
    for lesson in lessons:
        # Lines the reference has too are left out: two learners who both wrote the obvious line are no match.
        canonical = set(reference[lesson.id])
        written = [(name, [line for line in lines if line not in canonical]) for (name, lesson_id), lines in own.items()
                   if lesson_id == lesson.id]
        written = [(name, lines) for name, lines in written if len(lines) >= ENOUGH_LINES]
        for (first, first_lines), (second, second_lines) in combinations(written, 2):
            similarity = SequenceMatcher(None, first_lines, second_lines, autojunk=False)
            if similarity.quick_ratio() >= NEARLY_THE_SAME and similarity.ratio() >= NEARLY_THE_SAME:
                how = "the same" if first_lines == second_lines else "nearly the same"
                flags[first].append(f"{lesson.id}: {how} code as {second}")
                flags[second].append(f"{lesson.id}: {how} code as {first}")
    return flags
