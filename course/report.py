"""Test results in plain words, for learners (`check`, `progress`) and for graders' feedback files."""
import re
from dataclasses import dataclass, field

MODES = {"testing": "TESTING on", "production": "TESTING off"}


@dataclass
class Requirement:
    """What a test function checks, with the outcomes of all its variants (parametrizations)."""

    words: str
    outcomes: list = field(default_factory=list)

    @property
    def passed(self):
        return all(outcome.passed for outcome in self.outcomes)

    @property
    def first_failure(self):
        return next((outcome for outcome in self.outcomes if not outcome.passed), None)


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


def expected_and_got(message):
    """Split pytest's first assertion line `assert GOT == EXPECTED` into (expected, got), when it is one."""
    for line in message.splitlines():
        match = re.match(r"^(?:AssertionError: )?assert (.+?) == (.+)$", line.strip())
        if match:
            return match.group(2), match.group(1)
    return None


def first_line(message):
    """The message's first line, without pytest's introspection (`+ where ...`) or its exception prefix: the
    test's own words when it gave some ("expected a JSON body, got text/html")."""
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.strip().startswith("+")]
    return re.sub(r"^(AssertionError|Failed): ", "", lines[0]) if lines else "failed"


def explain_failure(lesson, outcome):
    """Lines that say what a failed test expected, what came back, and which TODO to look at."""
    lines = [f"{in_plain_words(outcome.name)}" + (f" ({variant(outcome.name)})" if variant(outcome.name) else "")]
    pair = expected_and_got(outcome.message)
    if pair:
        lines += [f"  expected: {pair[0]}", f"  got:      {pair[1]}"]
    else:
        lines.append(f"  {first_line(outcome.message)}")
    for number in outcome.todos:
        lines.append(f"  look at TODO {number}: {lesson.todo(number)}")
    return lines
