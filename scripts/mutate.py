"""The course's own mutation check: a learner's slip inside a TODO region must fail that lesson's tests.

    python scripts/mutate.py                        # every lesson
    python scripts/mutate.py --lessons 01,02 --jobs 2
    python scripts/mutate.py --lessons 03 --list    # only show the mutants, run nothing

A mutant is a reference solution (solutions/NN_slug/) with one small change inside one TODO region, the kind of
slip a learner makes. Two sources:

- generic operators, applied to the Python code of every TODO region: a comparison swapped or negated, `and`
  and `or` swapped, a `not` removed or a condition negated, a number +1 and -1, True and False swapped, a string
  that is not prose changed, a statement removed, a decorator removed, `return x` made `return None`, an
  argument dropped from a call;
- the hand-written slips of scripts/mutants.toml (`[[slip]]`), for the mistakes of each lesson that no generic
  operator makes (and for JavaScript, which the operators do not read).

Each mutant is copied to a temporary folder, and the lesson's tests run against it as a learner's work would be
run: `pytest tests/test_NN_slug.py --target <copy> -x -q` (SQLite only). Killed: the tests fail (or hang past the
time limit). Surviving: they pass. A surviving mutant that does not change what the app does is *equivalent*;
scripts/mutants.toml lists each (`[[equivalent]]`) with the reason. Any other survivor means a requirement the
tests do not check: the script exits 1 and docs/mutation.md lists it.

Why a script of our own rather than mutmut or cosmic-ray: both mutate whole modules of a package (mutmut 3 only
code inside functions, through trampolines in a copy of the package), with no way to keep to a range of lines
short of marking every other line `# pragma: no mutate`; the lessons are folders of same-named modules loaded one
at a time (course/loader.py), some TODOs live in class bodies (a setting) or in JavaScript, and the slips that
matter most are specific to a lesson. Regions come from course/regions.py, as everywhere else in the course.
"""
import argparse
import ast
import difflib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fnmatch import fnmatch
from pathlib import Path

from course.lessons import LOCAL_FILES, ROOT, all_lessons, find_lesson
from course.regions import REGION

MUTANTS_TOML = ROOT / "scripts" / "mutants.toml"
REPORT = ROOT / "docs" / "mutation.md"


# --- Mutants ------------------------------------------------------------------------------------------------

@dataclass
class Mutant:
    lesson: str
    file: str  # relative to the lesson folder
    todo: int
    line: int
    kind: str  # which operator, or "slip"
    text: str  # the whole mutated file
    before: str = ""  # the changed lines, as they are in the reference
    after: str = ""  # ... and in the mutant
    why: str = ""  # a slip's reason (scripts/mutants.toml)
    equivalent: str = ""  # why it changes nothing, when scripts/mutants.toml says it is equivalent
    outcome: str = ""  # "killed" or "survived"
    detail: str = ""  # the first failing test, or "timed out"

    def name(self):
        return f"{self.file}:{self.line} (TODO {self.todo}) {self.kind}"


def regions(text):
    """(todo number, first line, last line) of each TODO region's body, lines counted from 1."""
    found = []
    for match in REGION.finditer(text):
        first = text.count("\n", 0, match.end(1)) + 1
        last = text.count("\n", 0, match.start(3))
        found.append((int(match.group(2)), first, last))
    return found


def todo_of(spans, first, last):
    """The TODO whose region holds lines first..last, or None."""
    return next((todo for todo, start, end in spans if start <= first and last <= end), None)


class Source:
    """A Python file's text, with ast's positions (line, UTF-8 byte column) turned into text offsets."""

    def __init__(self, text):
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line, column):
        return self.starts[line - 1] + len(self.lines[line - 1].encode()[:column].decode())

    def start(self, node):
        return self.offset(node.lineno, node.col_offset)

    def end(self, node):
        return self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node):
        return self.text[self.start(node):self.end(node)]


# Each operator takes (source, node) and yields (start, end, new text): the edit that makes one mutant.

COMPARISON_SWAPS = {"<": ["<=", ">="], "<=": ["<", ">"], ">": [">=", "<="], ">=": [">", "<"], "==": ["!="],
                    "!=": ["=="], "is": ["is not"], "is not": ["is"], "in": ["not in"], "not in": ["in"]}
COMPARISON = re.compile(r"<=|>=|==|!=|<|>|\bis\s+not\b|\bis\b|\bnot\s+in\b|\bin\b")


def comparison_swapped(source, node):
    if isinstance(node, ast.Compare):
        for left, right in zip([node.left, *node.comparators], node.comparators):
            gap_start = source.end(left)
            match = COMPARISON.search(source.text, gap_start, source.start(right))
            for swap in COMPARISON_SWAPS[" ".join(match.group().split())]:
                yield match.start(), match.end(), swap


def boolean_swapped(source, node):
    if isinstance(node, ast.BoolOp):
        for left, right in zip(node.values, node.values[1:]):
            match = re.compile(r"\b(and|or)\b").search(source.text, source.end(left), source.start(right))
            yield match.start(), match.end(), "or" if match.group() == "and" else "and"


def not_removed(source, node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield source.start(node), source.end(node), f"({source.segment(node.operand)})"


def condition_negated(source, node):
    if isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
        test = node.test
        if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)):  # not_removed covers those
            yield source.start(test), source.end(test), f"not ({source.segment(test)})"


def constant_changed(source, node):
    if not isinstance(node, ast.Constant):
        return
    start, end = source.start(node), source.end(node)
    if isinstance(node.value, bool):
        yield start, end, str(not node.value)
    elif isinstance(node.value, (int, float)):
        yield start, end, repr(node.value + 1)
        yield start, end, repr(node.value - 1)
    elif isinstance(node.value, str) and not any(char.isspace() for char in node.value):
        # Prose (a message) is the learner's own words; names, codes, keys and paths are not.
        text = source.segment(node)
        if text[:1] in "\"'" and text[:3] not in ('"""', "'''"):
            yield start, end, f"{text[0]}XX{text[1:-1]}XX{text[0]}"


def statement_removed(source, node):
    if isinstance(node, ast.stmt) and not isinstance(node, ast.Pass) and not is_docstring(node):
        yield source.start(node), source.end(node), "pass"


def is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def return_made_none(source, node):
    if isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield source.start(node.value), source.end(node.value), "None"


def argument_dropped(source, node):
    if isinstance(node, ast.Call):
        arguments = sorted([*node.args, *node.keywords], key=lambda argument: (argument.lineno, argument.col_offset))
        for index, argument in enumerate(arguments):
            if len(arguments) == 1:
                yield source.start(argument), source.end(argument), ""
            elif index < len(arguments) - 1:  # "a, b" -> "b": up to the next argument
                yield source.start(argument), source.start(arguments[index + 1]), ""
            else:  # "a, b" -> "a": from the end of the one before
                yield source.end(arguments[index - 1]), source.end(argument), ""


OPERATORS = {
    "comparison": comparison_swapped,
    "and/or": boolean_swapped,
    "not removed": not_removed,
    "condition negated": condition_negated,
    "constant": constant_changed,
    "statement removed": statement_removed,
    "return None": return_made_none,
    "argument dropped": argument_dropped,
}


def decorators_removed(source, tree, spans):
    """A decorator line inside a region (the function itself may be outside it, as in lesson 03's TODO 1)."""
    for node in ast.walk(tree):
        for decorator in getattr(node, "decorator_list", []):
            line_start = source.starts[decorator.lineno - 1]
            if todo_of(spans, decorator.lineno, decorator.end_lineno) is not None \
                    and source.text[line_start:source.start(decorator)].strip() == "@":
                yield decorator, line_start, source.starts[decorator.end_lineno], ""


def generic_mutants(lesson_id, file, text):
    """Every mutant the generic operators make inside the file's TODO regions."""
    spans = regions(text)
    if not spans or not file.endswith(".py"):
        return []
    source, tree = Source(text), ast.parse(text)
    edits = []  # (kind, node, start, end, new text)
    for node in ast.walk(tree):
        if hasattr(node, "end_lineno") and todo_of(spans, node.lineno, node.end_lineno) is not None:
            for kind, operator in OPERATORS.items():
                edits += [(kind, node, *edit) for edit in operator(source, node)]
    edits += [("decorator removed", *edit) for edit in decorators_removed(source, tree, spans)]
    mutants = []
    for kind, node, start, end, new in edits:
        mutated = text[:start] + new + text[end:]
        line = text.count("\n", 0, start) + 1
        mutants.append(Mutant(lesson_id, file, todo_of(spans, node.lineno, node.end_lineno), line, kind, mutated))
    return mutants


def parses(mutant):
    if not mutant.file.endswith(".py"):
        return True
    try:
        ast.parse(mutant.text)
    except SyntaxError:
        return False
    return True


def describe(mutant, reference):
    """Fill in the lines the mutant changes (for the report, and for writing an [[equivalent]] entry)."""
    old, new = reference.splitlines(), mutant.text.splitlines()
    opcodes = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes() if op[0] != "equal"]
    first, last = opcodes[0], opcodes[-1]
    mutant.before = "\n".join(old[first[1]:last[2]])
    mutant.after = "\n".join(new[first[3]:last[4]])


# --- scripts/mutants.toml ---------------------------------------------------------------------------------

def edit_of(entry, reference):
    """The reference with an entry's `find` replaced by its `replace`, the TODO it changes and the line.

    `find` must occur once in the file; it may take in lines around the change (a TODO line, to tell four
    identical lines apart), but what changes must lie inside one TODO region."""
    where = f"scripts/mutants.toml, {entry['lesson']} {entry['file']}: {entry['find']!r}"
    if reference.count(entry["find"]) != 1:
        raise SystemExit(f"{where} occurs {reference.count(entry['find'])} times in the reference, not once")
    mutated = reference.replace(entry["find"], entry["replace"])
    same_start = next((index for index, (old, new) in enumerate(zip(reference, mutated)) if old != new),
                      min(len(reference), len(mutated)))
    same_end = next((index for index, (old, new) in enumerate(zip(reference[::-1], mutated[::-1])) if old != new),
                    min(len(reference), len(mutated)))
    first = reference.count("\n", 0, same_start) + 1
    last = reference.count("\n", 0, max(same_start, len(reference) - same_end))
    todo = todo_of(regions(reference), first, max(first, last))
    if todo is None:
        raise SystemExit(f"{where} changes lines {first}-{last}, which are not inside one TODO region")
    return mutated, todo, first


def read_toml():
    with MUTANTS_TOML.open("rb") as file:
        entries = tomllib.load(file)
    return entries.get("slip", []), entries.get("equivalent", [])


def lesson_mutants(lesson):
    """The lesson's mutants (generic and slips, without duplicates), each marked equivalent when the toml says so."""
    folder = ROOT / "solutions" / lesson.id
    slips, equivalents = read_toml()
    references = {str(path.relative_to(folder)): path.read_text() for path in sorted(folder.rglob("*"))
                  if path.suffix in (".py", ".js") and "__pycache__" not in path.parts}
    mutants = []
    for entry in (entry for entry in slips if entry["lesson"] == lesson.id):
        text, todo, line = edit_of(entry, references[entry["file"]])
        mutants.append(Mutant(lesson.id, entry["file"], todo, line, "slip", text, why=entry["why"]))
    for file, text in references.items():
        mutants += generic_mutants(lesson.id, file, text)
    unique = {}
    for mutant in mutants:
        if mutant.text != references[mutant.file] and parses(mutant):
            unique.setdefault((mutant.file, mutant.text), mutant)  # a slip first: its reason is kept
    for entry in (entry for entry in equivalents if entry["lesson"] == lesson.id):
        text, _, _ = edit_of(entry, references[entry["file"]])
        if (entry["file"], text) not in unique:
            raise SystemExit(f"scripts/mutants.toml: the equivalent {entry['find']!r} -> {entry['replace']!r} of "
                             f"{lesson.id} {entry['file']} is no mutant the script makes: remove or correct it")
        unique[entry["file"], text].equivalent = entry["why"]
    for mutant in unique.values():
        describe(mutant, references[mutant.file])
    return sorted(unique.values(), key=lambda mutant: (mutant.file, mutant.line))


# --- Running the tests --------------------------------------------------------------------------------------

def copy_of_solutions(destination, mutant=None):
    """solutions/ without local files (caches, databases, keys), with the mutant's file written over."""
    shutil.copytree(ROOT / "solutions", destination,
                    ignore=lambda folder, names: [name for name in names
                                                  if any(fnmatch(name, pattern) for pattern in LOCAL_FILES)])
    if mutant:
        (destination / mutant.lesson / mutant.file).write_text(mutant.text)
    return destination


FAILED = re.compile(r"^(?:FAILED|ERROR) \S+::(\S+)", re.MULTILINE)


def run_tests(lesson_id, target, timeout):
    """Run the lesson's tests against `target`, as `course check` would; (passed, what failed first)."""
    command = [sys.executable, "-m", "pytest", f"tests/test_{lesson_id}.py", "--target", str(target), "-x", "-q",
               "-p", "no:cacheprovider"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the tests' own servers too
        process.communicate()
        return False, f"timed out after {timeout:.0f} s"
    if process.returncode == 0:
        return True, ""
    failed = FAILED.search(output)
    return False, failed.group(1) if failed else f"pytest exit {process.returncode}: {output.strip()[-300:]}"


def run_mutant(mutant, timeout):
    with tempfile.TemporaryDirectory(prefix="mutant-") as folder:
        passed, detail = run_tests(mutant.lesson, copy_of_solutions(Path(folder) / "solutions", mutant), timeout)
    mutant.outcome, mutant.detail = ("survived" if passed else "killed"), detail
    return mutant


@dataclass
class LessonResult:
    lesson: str
    mutants: list = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome, equivalent=None):
        return sum(1 for mutant in self.mutants if mutant.outcome == outcome
                   and (equivalent is None or bool(mutant.equivalent) == equivalent))

    @property
    def survivors(self):
        return [mutant for mutant in self.mutants if mutant.outcome == "survived" and not mutant.equivalent]


def check_lesson(lesson, jobs):
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reference-") as folder:
        passed, detail = run_tests(lesson.id, copy_of_solutions(Path(folder) / "solutions"), timeout=600)
    if not passed:
        raise SystemExit(f"{lesson.id}: the reference itself fails its tests ({detail}): fix that first")
    timeout = 5 * (time.perf_counter() - started) + 20  # a mutant that makes the tests hang is killed
    mutants = lesson_mutants(lesson)
    print(f"{lesson.id}: {len(mutants)} mutants, tests take {time.perf_counter() - started:.1f} s", flush=True)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for mutant in pool.map(lambda mutant: run_mutant(mutant, timeout), mutants):
            if mutant.outcome == "killed":
                mark = "killed by " + mutant.detail
            else:
                mark = "equivalent" if mutant.equivalent else \
                    f"SURVIVED: {code(mutant.before)} → {code(mutant.after)}"
            if mutant.equivalent and mutant.outcome == "killed":
                mark += " (listed as equivalent in scripts/mutants.toml: remove it there)"
            print(f"  {mutant.name()}: {mark}", flush=True)
    return LessonResult(lesson.id, mutants, time.perf_counter() - started)


# --- docs/mutation.md -------------------------------------------------------------------------------------

HEADER = """# The mutation check: do the tests catch a learner's slips?

A lesson's tests grade the learner's code (`python -m course check NN`), so a slip that breaks a requirement
must fail them. `scripts/mutate.py` checks that: it makes mutants of each reference solution, each with one small
change inside one TODO region (generic operators, and the hand-written slips of `scripts/mutants.toml`), and runs
the lesson's tests against each. A mutant the tests fail on is *killed*. One they pass on either changes nothing
a requirement asks for (*equivalent*: `scripts/mutants.toml` says why, for each) or *survives*, which means a
requirement is not tested. The goal is no survivor.

The generic operators: a comparison swapped or negated, `and`/`or` swapped, a `not` removed or a condition
negated, a number +1 and -1, `True`/`False` swapped, a string that is not prose wrapped in `XX` (a name, a code,
a key; a message's words are the learner's own), a statement removed, a decorator removed, `return x` made
`return None`, one argument dropped from a call. Each mutant is tested like a learner's work, on SQLite.

It takes minutes, so it is not part of the README's test command. Run it after changing a lesson's TODO regions
or its tests:

```bash
python scripts/mutate.py [--lessons 01,02] [--jobs 2]
```

It rewrites the sections of the lessons it ran, below. Last results:
"""
SECTION = re.compile(r"^## (\d\d_\w+)\n", re.MULTILINE)
COUNTS = re.compile(r"^(\d+) mutants: (\d+) killed, (\d+) equivalent, (\d+) surviving", re.MULTILINE)


def code(text):
    """Text as one Markdown code span (a multi-line change is shown on one line, with ⏎ for line breaks)."""
    text = " ⏎ ".join(line.strip() for line in text.splitlines()) or "(nothing)"
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def section(result, version):
    lines = [f"## {result.lesson}", "",
             f"{len(result.mutants)} mutants: {result.count('killed')} killed, "
             f"{result.count('survived', equivalent=True)} equivalent, {len(result.survivors)} surviving "
             f"(run {datetime.now(timezone.utc):%Y-%m-%d} on {version}, {result.seconds:.0f} s).", ""]
    equivalent = [mutant for mutant in result.mutants if mutant.outcome == "survived" and mutant.equivalent]
    for title, mutants in (("Surviving", result.survivors), ("Equivalent", equivalent)):
        if mutants:
            lines += [f"{title}:", ""]
            lines += [f"- {mutant.name()}: {code(mutant.before)} → {code(mutant.after)}"
                      + (f": {mutant.equivalent}" if mutant.equivalent else "")
                      + (f" (slip: {mutant.why})" if mutant.why else "") for mutant in mutants]
            lines.append("")
    return "\n".join(lines) + "\n"


def write_report(results):
    """Replace the sections of the lessons that ran; keep the others; the table at the top sums them all."""
    version = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                             text=True).stdout.strip() or "unknown version"
    old = REPORT.read_text() if REPORT.exists() else ""
    parts = SECTION.split(old)
    sections = {parts[index]: f"## {parts[index]}\n{parts[index + 1]}" for index in range(1, len(parts), 2)}
    sections.update({result.lesson: section(result, version) for result in results})
    table = ["| lesson | mutants | killed | equivalent | surviving |", "|---|---|---|---|---|"]
    for lesson_id in sorted(sections):
        counts = COUNTS.search(sections[lesson_id]).groups()
        table.append(f"| [{lesson_id}](#{lesson_id}) | " + " | ".join(counts) + " |")
    REPORT.write_text(HEADER + "\n" + "\n".join(table) + "\n\n" + "\n".join(sections[key].rstrip() + "\n"
                                                                           for key in sorted(sections)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", help="comma-separated lesson numbers or ids (default: every lesson)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    arguments = parser.parse_args()
    try:
        lessons = [find_lesson(key.strip()) for key in arguments.lessons.split(",")] if arguments.lessons \
            else all_lessons()
    except LookupError as error:
        parser.error(str(error))
    if arguments.list:
        for lesson in lessons:
            for mutant in lesson_mutants(lesson):
                print(f"{lesson.id} {mutant.name()}: {code(mutant.before)} → {code(mutant.after)}"
                      + (" [equivalent]" if mutant.equivalent else ""))
        return 0
    started = time.perf_counter()
    results = [check_lesson(lesson, arguments.jobs) for lesson in lessons]
    write_report(results)
    survivors = [mutant for result in results for mutant in result.survivors]
    print(f"{sum(len(result.mutants) for result in results)} mutants in {time.perf_counter() - started:.0f} s; "
          f"{len(survivors)} surviving; results in {REPORT.relative_to(ROOT)}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
