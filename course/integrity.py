"""Integrity flags, for the instructor only: things worth a look, never a verdict, and nothing is deducted for them.
(What a run itself shows, such as a tampered report or a run that ended early, is flagged by course/lesson_run.py.)

- Code that lesson code never needs: an import of pytest, ctypes, subprocess, signal and the like, a call that ends
  or forks the process, reaches into Python's internals (frames, __subclasses__), names the course's solutions or
  the grader's files. What the lesson's starter or reference already has is not flagged.
- A repository-shaped submission whose copy of the course's tests/, course/ or pytest configuration differs from
  the course's, or that adds a pytest configuration: grading uses the course's own and ignores them, but
  changing them is an attempt worth knowing about.
- Two submissions whose TODO code is the same or nearly so, after normalising it with Python's tokenizer:
  comments, blank lines, formatting, strings and numbers do not count, and names are numbered in the order they
  first appear, so a copy with renamed variables is still the same code. TODO code the same as the reference's
  or the starter's is left out: honest learners often write the reference's code, and that proves nothing.

Flags never reach the students' feedback files (course/gradebook.py), only the gradebook and the HTML report.
"""
import ast
import functools
import hashlib
import io
import keyword
import stat
import tokenize
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import combinations
from pathlib import Path

from course.lessons import HIDDEN_TESTS, LOCAL_FILES, ROOT
from course.regions import find_regions, lesson_files
from course.untrusted import Refused, walk

# What lesson code never imports: the test runner and its plugins, ways to run or stop other processes, the
# interpreter's internals, the course's own code.
UNNEEDED_MODULES = {"pytest", "_pytest", "pluggy", "ctypes", "cffi", "subprocess", "multiprocessing", "signal",
                    "socket", "pty", "resource", "site", "sysconfig", "gc", "inspect", "importlib", "builtins",
                    "faulthandler", "atexit", "course", "conftest", "servers", "shutil", "glob", "xdist"}
UNNEEDED_CALLS = {"os._exit", "os.fork", "os.forkpty", "os.kill", "os.killpg", "os.setsid", "os.setpgrp",
                  "os.system", "os.popen", "os.execv", "os.execve", "os.execl", "os.execvp", "os.spawnv",
                  "os.chmod", "os.remove", "os.unlink", "os.rmdir", "os.walk", "os.listdir", "os.scandir",
                  "sys.exit", "sys.settrace", "sys.setprofile", "sys.addaudithook", "sys._getframe",
                  "exec", "eval", "compile", "__import__", "exit", "quit", "breakpoint"}
# Methods that look around the machine (its folders, its files) rather than at the lesson's own.
UNNEEDED_METHODS = {"rglob", "walk", "home", "cwd", "getcwd", "expanduser", "rmtree", "chmod", "unlink", "symlink_to"}
UNNEEDED_ATTRIBUTES = {"__subclasses__", "__globals__", "__builtins__", "__code__", "f_back", "f_globals",
                       "f_locals", "gi_frame", "tb_frame", "__loader__", "modules"}
UNNEEDED_WORDS = ("solutions", "site-packages", ".pth", "/proc", "grades.csv", "grades.json", "feedback/",
                  "course-grade", "conftest", "pytest", "sitecustomize", "usercustomize")
NEARLY_THE_SAME = 0.9  # SequenceMatcher ratio of two submissions' normalised TODO code
ENOUGH_TOKENS = 30  # less TODO code of their own than this, and two submissions are not compared
MOST_TOKENS = 5000  # ... and only this many are (SequenceMatcher's time grows with the square: 20,000 took 2.4 s)
MOST_SHOWN = 20000  # characters of each one's TODO code kept for the side-by-side view


@dataclass
class Similar:
    """Two submissions whose TODO code for a lesson is the same or nearly so, with the code side by side."""

    lesson_id: str
    first: str
    second: str
    ratio: float
    code: dict = field(default_factory=dict)  # {submission name: its own TODO code, as written}


def integrity_flags(snapshots, lessons):
    """{submission name: [flag, ...]} and [Similar, ...] for graded submissions. `snapshots` maps each name to
    its Snapshot (course/grading.py): the copies of its lesson folders, as graded."""
    flags = {name: [] for name in snapshots}
    for name, snapshot in snapshots.items():
        if snapshot.lessons_folder is None:
            continue
        if snapshot.lessons_folder.name == "lessons":
            flags[name] += course_files_changed(snapshot.lessons_folder.parent)
        for lesson in lessons:
            folder = snapshot.folder(lesson)
            if folder.is_dir():
                flags[name] += [f"{lesson.id}: {finding}" for finding in unneeded_code(folder, lesson.id)]
    pairs = similar_pairs(snapshots, lessons)
    for pair in pairs:
        how = "the same" if pair.ratio == 1 else "nearly the same"
        flags[pair.first].append(f"{pair.lesson_id}: {how} TODO code as {pair.second}")
        flags[pair.second].append(f"{pair.lesson_id}: {how} TODO code as {pair.first}")
    return flags, pairs


# --- Code lesson code never needs -------------------------------------------------------------------------

def unneeded_code(folder, lesson_id):
    """What the lesson folder's Python code does that lesson code never needs (and the course's own versions of
    the lesson do not do), each once, with where."""
    found = {}
    for path in python_files(folder):
        for what, line in findings(path.read_text(errors="replace")):
            found.setdefault(what, f"{path.relative_to(folder)}:{line}")
    allowed = course_findings(lesson_id)
    return [f"the code {what} ({where}), which lesson code never needs" for what, where in found.items()
            if what not in allowed]


@functools.cache
def course_findings(lesson_id):
    """What the course's own starter and reference of a lesson would be flagged for (nothing, today)."""
    allowed = set()
    for source in ("lessons", "solutions"):
        folder = ROOT / source / lesson_id
        if folder.is_dir():
            for path in python_files(folder):
                allowed |= {what for what, _ in findings(path.read_text())}
    return allowed


def python_files(folder):
    return [folder / path for path in lesson_files(folder) if path.suffix == ".py" and not (folder / path).is_symlink()]


def findings(text):
    """[(what, line)] of the unneeded things in one file's code (nothing for a file that does not parse: its run
    says why)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    except (RecursionError, MemoryError):  # `1 + 1 + ...` 200,000 times, or 100,000 minus signs: the parser gives up
        return [("nests too deeply for Python's parser", 1)]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [(f"imports {name}", node.lineno) for name in names
                      if name.split(".")[0] in UNNEEDED_MODULES]
        elif isinstance(node, ast.Call) and dotted(node.func) in UNNEEDED_CALLS:
            found.append((f"calls {dotted(node.func)}()", node.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in UNNEEDED_METHODS):
            found.append((f"calls .{node.func.attr}()", node.lineno))
        elif isinstance(node, ast.Attribute) and node.attr in UNNEEDED_ATTRIBUTES:
            found.append((f"uses .{node.attr}", node.lineno))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [(f"names {word!r}", node.lineno) for word in UNNEEDED_WORDS if word in node.value]
    return found


def dotted(node):
    """"os._exit" for os._exit, "exec" for exec: the name a call is made through."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return ""


# --- The course's own files, changed in a repository-shaped submission ----------------------------------------

PYTEST_CONFIGURATION = ("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg", "conftest.py")


def course_files_changed(repository):
    """What a repository-shaped submission changed of the course's own files (grading ignores them all). Read
    with course/untrusted.py: a tests/ that is a link, or that nests folders without end, is said, not read."""
    flags = []
    # A student's copy of the course never has the instructor's hidden tests: they are not compared.
    for part, leave_out in (("tests", Path(HIDDEN_TESTS).relative_to("tests")), ("course", None)):
        theirs = repository / part
        if theirs.is_symlink():
            flags.append(f"its {part}/ is a link (grading used the course's own)")
        elif theirs.is_dir() and not same_files(theirs, ROOT / part, leave_out):
            flags.append(f"its {part}/ differs from the course's (grading used the course's own)")
    if digest(repository / "pyproject.toml") not in (None, digest(ROOT / "pyproject.toml")):
        flags.append("its pyproject.toml (the pytest configuration) differs from the course's (grading used the "
                     "course's own)")
    added = [repository / name for name in PYTEST_CONFIGURATION] + list((repository / "lessons").glob("*/conftest.py"))
    extra = sorted(str(path.relative_to(repository)) for path in added if path.is_file() and not path.is_symlink())
    if extra:
        flags.append(f"it adds a pytest configuration: {', '.join(extra)} (grading ignores it)")
    return flags


def same_files(theirs, ours, leave_out=None):
    """Whether the folder `theirs` holds the same files as the course's folder `ours` (but those under the subfolder
    `leave_out`): the same names, each a file (not a link, nor anything else) of the same bytes. What is larger than
    ours is not read."""
    def kept(name):
        return leave_out is None or not Path(name).is_relative_to(leave_out)

    expected = {str(path): (ours / path).stat().st_size for path in lesson_files(ours) if kept(path)}
    try:
        entries = walk(theirs, ignore=LOCAL_FILES, most=len(expected) + 100)
    except Refused:
        return False
    files = {str(path): status for path, status in entries if not stat.S_ISDIR(status.st_mode) and kept(path)}
    if files.keys() != expected.keys():
        return False
    return all(stat.S_ISREG(status.st_mode) and status.st_size == expected[name]
               and (theirs / name).read_bytes() == (ours / name).read_bytes() for name, status in files.items())


def digest(path):
    """The file's SHA-256, None when it is not a file (or is a link), "too large" above a megabyte (not read)."""
    if not path.is_file() or path.is_symlink():
        return None
    return "too large" if path.stat().st_size > 1 << 20 else hashlib.sha256(path.read_bytes()).hexdigest()


# --- Two submissions with the same TODO code ---------------------------------------------------------------

def similar_pairs(snapshots, lessons):
    found = []
    for lesson in lessons:
        own = {}
        for name, snapshot in snapshots.items():
            if snapshot.lessons_folder is not None and snapshot.folder(lesson).is_dir():
                code, tokens = own_todo_code(snapshot.folder(lesson), lesson.id)
                if len(tokens) >= ENOUGH_TOKENS:
                    own[name] = code[:MOST_SHOWN], tokens[:MOST_TOKENS]
        for (first, (first_code, first_tokens)), (second, (second_code, second_tokens)) in combinations(own.items(), 2):
            matcher = SequenceMatcher(None, first_tokens, second_tokens, autojunk=False)
            if matcher.real_quick_ratio() >= NEARLY_THE_SAME and matcher.ratio() >= NEARLY_THE_SAME:
                found.append(Similar(lesson.id, first, second, round(matcher.ratio(), 3),
                                     {first: first_code, second: second_code}))
    return found


def own_todo_code(folder, lesson_id):
    """(text, normalised tokens) of the lesson's TODO regions that differ from both the starter's and the
    reference's (after normalising): the code this learner wrote their own way."""
    course = course_regions(lesson_id)
    texts, tokens = [], []
    for key, body in todo_regions(folder).items():
        normal = normalised(body)
        if normal and normal not in course.get(key, []):
            texts.append(f"# {key[0]}, TODO {key[1]}\n{body.strip()}")
            tokens += normal
    return "\n\n".join(texts), tokens


@functools.cache
def course_regions(lesson_id):
    """{(file, TODO number): [normalised starter region, normalised reference region]}."""
    regions = {}
    for source in ("lessons", "solutions"):
        folder = ROOT / source / lesson_id
        if folder.is_dir():
            for key, body in todo_regions(folder).items():
                regions.setdefault(key, []).append(normalised(body))
    return regions


def todo_regions(folder):
    """{(file, TODO number, which of that file's regions of the TODO): region body} of a lesson folder's Python
    and JavaScript files (a TODO may have several regions in one file)."""
    found = {}
    for path in lesson_files(folder):
        if path.suffix in (".py", ".js") and not (folder / path).is_symlink():
            text = (folder / path).read_text(errors="replace")
            for match in find_regions(text):
                number = int(match.group(2))
                which = sum(key[:2] == (str(path), number) for key in found)
                found[str(path), number, which] = text[match.end(1):match.start(3)]
    return found


SKIPPED_TOKENS = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                  tokenize.ENDMARKER, tokenize.ENCODING}


def normalised(code):
    """The code's tokens with formatting, comments, strings and numbers taken out and names numbered by first
    appearance (attribute names after a dot are kept: `.encode()` is not a name the learner chose)."""
    numbers, result, previous = {}, [], None
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type in SKIPPED_TOKENS:
                continue
            if token.type == tokenize.NAME and not keyword.iskeyword(token.string) and previous != ".":
                result.append(f"n{numbers.setdefault(token.string, len(numbers))}")
            elif token.type == tokenize.STRING or token.type == tokenize.NUMBER:
                result.append("S" if token.type == tokenize.STRING else "N")
            else:
                result.append(token.string)
            previous = token.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a fragment that does not tokenize to the end: compare what was read
    return result
