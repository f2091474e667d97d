"""Test results in plain words, for learners (`check`, `progress`) and for graders' feedback files."""
import re
from dataclasses import dataclass, field

MODES = {"testing": "TESTING on", "production": "TESTING off"}

SETTING_UP = "while setting the test up: "  # how the runner marks a failure in a fixture (course/runner.py)
SKIPPED = "skipped: "  # ... and a test that could not run on this machine (a program it needs is missing)
# ... and a test that did not run because of others (course/pytest_plugin.py): it waits until the tests that start
# nothing pass (--staged), or a test before it hung
NOT_RUN = (SKIPPED + "not run yet:", SKIPPED + "not run:")

# How `check` marks a requirement, by status.
SYMBOLS = {"passed": "✔", "failed": "✘", "skipped": "○", "not run": "·"}


def status(outcome):
    """passed, failed, skipped (not checked on this machine: a program is missing) or not run (see NOT_RUN)."""
    if outcome.passed:
        return "passed"
    if outcome.message.startswith(NOT_RUN):
        return "not run"
    return "skipped" if outcome.message.startswith(SKIPPED) else "failed"


@dataclass
class Requirement:
    """What a test function checks, with the outcomes of all its variants (parametrizations)."""

    words: str
    outcomes: list = field(default_factory=list)

    @property
    def passed(self):
        return all(outcome.passed for outcome in self.outcomes)

    @property
    def status(self):
        """The requirement's status: the first of failed, not run, skipped and passed that one of its variants has."""
        statuses = {status(outcome) for outcome in self.outcomes}
        return next(name for name in ("failed", "not run", "skipped", "passed") if name in statuses)

    @property
    def first_failure(self):
        """The first variant that did not pass, preferring one that failed to one that was skipped or not run."""
        not_passed = [outcome for outcome in self.outcomes if not outcome.passed]
        return min(not_passed, key=lambda outcome: status(outcome) != "failed", default=None)


# Words a test's name cannot spell (no apostrophe in a Python name).
SPELLING = {"elses": "else's"}


def in_plain_words(test_name):
    """test_a_taken_username_is_a_conflict[production] -> 'a taken username is a conflict'."""
    base = test_name.split("[", 1)[0].removeprefix("test_")
    return " ".join(SPELLING.get(word, word) for word in base.split("_"))


def variant(test_name):
    """The parametrization in words: 'TESTING off, forged signature', or '' for a plain test."""
    if "[" not in test_name:
        return ""
    parameters = test_name[test_name.index("[") + 1 : -1]
    for mode, words in MODES.items():
        if parameters == mode:
            return words
        if parameters.startswith(mode + "-"):
            return f"{words}, {parameters.removeprefix(mode + '-')}"
    return parameters


def requirements(run):
    """The lesson's requirements, in test order: one per test function, its variants grouped."""
    grouped = {}
    for outcome in run.outcomes:
        words = in_plain_words(outcome.name)
        grouped.setdefault(words, Requirement(words)).outcomes.append(outcome)
    return list(grouped.values())


# A value the test wrote itself, on the right of `==`: a number, a string, True, False or None.
LITERAL = re.compile(r"""-?\d+(\.\d+)?|'[^']*'|"[^"]*"|True|False|None""")


def expected_and_got(message):
    """Split pytest's `assert GOT == EXPECTED` into (expected, got), only when the test compared a value with a
    literal it wrote (`assert response.status_code == 201`). When both sides were computed (two responses, say),
    neither is "the expected one": pytest then adds a `+  and ...` line, or the right side is not a literal."""
    lines = message.removeprefix(SETTING_UP).splitlines()
    match = re.match(r"^(?:AssertionError: )?assert (.+?) == (.+)$", lines[0].strip()) if lines else None
    if not match or not LITERAL.fullmatch(match.group(2)) or any(line.strip().startswith("+  and") for line in lines):
        return None
    return match.group(2), match.group(1)


def own_message(message):
    """The test's own words for a failed `assert x, "words"` (all their lines), or "" when it gave none.
    pytest puts them after "AssertionError: " and before its own `assert ...` line."""
    text = message.removeprefix(SETTING_UP)
    if not text.startswith("AssertionError: ") or text.startswith("AssertionError: assert "):
        return ""
    words = []
    for line in text.removeprefix("AssertionError: ").splitlines():
        if line.startswith("assert "):
            break
        words.append(line)
    return "\n".join(words).strip()


def todos_named(words):
    """The TODO numbers a message names: "do TODOs 1 and 2 first" -> [1, 2]."""
    named = re.findall(r"\bTODOs? (\d+(?:(?:, | and | or )\d+)*)", words)
    return sorted({int(number) for group in named for number in re.findall(r"\d+", group)})


def still_to_do(todos, outcomes):
    """Of the TODOs a failing shared test is marked with, those that fail a test of their own (one marked with
    that TODO alone): a learner who has done TODO 1 is not sent back to it because the test of TODOs 1 and 2
    waits for TODO 2. When none fails a test of its own (or the run's outcomes are not given), all of them."""
    if len(todos) < 2:
        return todos
    failing_alone = {outcome.todos[0] for outcome in outcomes if len(outcome.todos) == 1 and not outcome.passed}
    return [number for number in todos if number in failing_alone] or todos


def first_line(message):
    """The message's first line, without pytest's introspection (`+ where ...`) or its exception prefix: the
    test's own words when it gave some ("expected a JSON body, got text/html")."""
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.strip().startswith("+")]
    return re.sub(r"^(AssertionError|Failed): ", "", lines[0]) if lines else "failed"


def explain_failure(lesson, outcome, outcomes=()):
    """Lines that say what a failed test expected, what came back, and which TODO to look at: the test's own
    message when it has one (and the TODOs that message names), else expected and got for a comparison with a
    literal, else pytest's first line. `outcomes`, the run's other tests, narrow a test shared by TODOs down to
    the TODOs not done yet (see still_to_do)."""
    lines = [f"{in_plain_words(outcome.name)}" + (f" ({variant(outcome.name)})" if variant(outcome.name) else "")]
    if outcome.message.startswith(SKIPPED):  # no TODO is to blame: say what to install
        return lines + [f"  not checked on this machine: {outcome.message.removeprefix(SKIPPED)}"]
    words = own_message(outcome.message)
    pair = expected_and_got(outcome.message)
    todos = outcome.todos
    if outcome.stuck_at:  # pytest-timeout's message: "Failed: Timeout (>10.0s) from pytest-timeout."
        limit = re.search(r"Timeout \(>([\d.]+)s\)", outcome.message)
        lines.append(f"  it did not finish within {limit.group(1).removesuffix('.0') if limit else 'its time limit'} s")
    elif words:
        setting_up = "while setting the test up: " if outcome.message.startswith(SETTING_UP) else ""
        lines += [f"  {setting_up}{line}" if index == 0 else f"  {line}"
                  for index, line in enumerate(words.splitlines())]
        todos = todos_named(words) or todos
    elif pair:
        lines += [f"  expected: {pair[0]}", f"  got:      {pair[1]}"]
    else:
        lines.append(f"  {first_line(outcome.message)}")
    lines += evidence_lines(outcome)
    if outcome.raised_in_todo:  # the error came from the code of a TODO: that one is to fix, whatever the test's
        lines.append(f"  {'it was stuck' if outcome.stuck_at else 'the error was raised'} inside TODO "
                     f"{outcome.raised_in_todo}'s code")
        todos = [outcome.raised_in_todo]
    for number in still_to_do(todos, outcomes):
        if 1 <= number <= len(lesson.todos):
            lines.append(f"  look at TODO {number}: {lesson.todo(number)}")
    return lines


PRINTED_LINES = 15  # of a test's output, the last lines shown


def evidence_lines(outcome):
    """What the failed test left behind (course/evidence.py), in lines under its explanation."""
    lines = []
    if outcome.logged_error:
        lines.append("  the app logged this error while answering (a 500 answer hides it from the test):")
        lines += [f"    {line.strip()}" for line in outcome.logged_error.splitlines()]
    if outcome.stuck_at:
        lines.append("  it was still running here (an endless loop?), innermost last:")
        lines += [f"    {line}" for line in outcome.stuck_at.splitlines()]
    if outcome.page_errors:
        lines.append("  the page's JavaScript errors:")
        lines += [f"    {line}" for line in outcome.page_errors.splitlines()]
    printed = outcome.output.rstrip().splitlines()
    if printed:
        cut = len(printed) > PRINTED_LINES
        lines.append(f"  it printed{f' (its last {PRINTED_LINES} lines)' if cut else ''}:")
        lines += [f"    | {line}" for line in printed[-PRINTED_LINES:]]
    return lines
