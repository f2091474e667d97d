"""Every rule a lesson states about the learner's code is tested on the learner's code (issue 27).

Each lesson README has a table of its requirements, in this form:

    ## Requirements

    | # | Requirement | TODO | Tests |
    |---|---|---|---|
    | 1 | The secret is at least 32 bytes long, counted in UTF-8 bytes | 2 | `test_a_short_secret_is_refused` |

one row per requirement, the TODO it belongs to, and the test functions of the lesson's own tests/test_NN_slug.py
that check it (those run on the learner's code under `course check` and `course grade`). This module fails when
a README has no such table, when a row names no test, a test the module does not have, or a test not marked
`@pytest.mark.todo(n)` with the row's TODO, and when a TODO of lessons.toml has no row. The tests are read with
`ast`, not imported: the check is about the files as written, and costs a few milliseconds.
"""
import ast
import re
from dataclasses import dataclass

import pytest

from course.lessons import ROOT, all_lessons

LESSONS = all_lessons()
HEADING = "## Requirements"
HEADER = "| # | Requirement | TODO | Tests |"
SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|){4}$")
CELL_SEPARATOR = re.compile(r"(?<!\\)\|")  # a "|" inside a cell is written "\|"
TEST_NAME = re.compile(r"`([^`]*)`")


@dataclass
class Row:
    number: str
    requirement: str
    todo: str
    tests: list


def requirements_table(readme):
    """The rows of the README's requirements table. ValueError says what is missing or malformed."""
    lines = readme.splitlines()
    if HEADING not in lines:
        raise ValueError(f"no '{HEADING}' section")
    table = [line.strip() for line in lines[lines.index(HEADING) + 1:]]
    while table and not table[0]:
        table.pop(0)
    if table[:1] != [HEADER] or len(table) < 2 or not SEPARATOR.match(table[1]):
        raise ValueError(f"'{HEADING}' must start with the table header {HEADER!r} and its |---| line")
    rows = []
    for line in table[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in CELL_SEPARATOR.split(line)[1:-1]]
        if len(cells) != 4:
            raise ValueError(f"a row has {len(cells)} cells, not 4: {line}")
        rows.append(Row(cells[0], cells[1], cells[2], TEST_NAME.findall(cells[3])))
    if not rows:
        raise ValueError("the requirements table has no rows")
    return rows


def todo_markers(test_source):
    """{test function name: the TODO numbers of its @pytest.mark.todo(...)} for a test module's source."""
    markers = {}
    for node in ast.parse(test_source).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            markers[node.name] = {argument.value for decorator in node.decorator_list
                                  if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                                  and decorator.func.attr == "todo" for argument in decorator.args
                                  if isinstance(argument, ast.Constant)}
    return markers


def problems(readme, test_source, todo_count):
    """What is wrong with a lesson's requirements table, as sentences (none when it is right)."""
    try:
        rows = requirements_table(readme)
    except ValueError as error:
        return [str(error)]
    markers = todo_markers(test_source)
    found = []
    for index, row in enumerate(rows, start=1):
        where = f"requirement {row.number} ({row.requirement[:50]})"
        if row.number != str(index):
            found.append(f"{where}: rows are numbered 1, 2, 3 ... (expected {index})")
        if not row.requirement:
            found.append(f"{where}: says no requirement")
        if not row.todo.isdigit() or not 1 <= int(row.todo) <= todo_count:
            found.append(f"{where}: TODO {row.todo!r} is not one of the lesson's TODOs 1..{todo_count}")
            continue
        if not row.tests:
            found.append(f"{where}: names no test (write each test function's name in backquotes)")
        for name in row.tests:
            if name not in markers:
                found.append(f"{where}: {name!r} is not a test function of the lesson's test module")
            elif int(row.todo) not in markers[name]:
                found.append(f"{where}: {name} is not marked @pytest.mark.todo({row.todo})")
    covered = {int(row.todo) for row in rows if row.todo.isdigit()}
    found += [f"TODO {number} has no requirement in the table" for number in range(1, todo_count + 1)
              if number not in covered]
    return found


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_requirement_of_the_readme_is_tested_under_its_todo(lesson):
    readme = (ROOT / "lessons" / lesson.id / "README.md").read_text()
    test_source = (ROOT / "tests" / f"test_{lesson.id}.py").read_text()
    found = problems(readme, test_source, len(lesson.todos))
    assert not found, f"lessons/{lesson.id}/README.md, {HEADING}:\n  " + "\n  ".join(found)


TESTS = '''
@pytest.mark.todo(1)
def test_one(): ...

@pytest.mark.todo(2)
@pytest.mark.parametrize("x", [1])
def test_two(x): ...

@pytest.mark.todo(1, 2)
def test_both(): ...

def test_unmarked(): ...
'''
GOOD = f"""# Lesson

{HEADING}

{HEADER}
|---|---|---|---|
| 1 | The first rule | 1 | `test_one` |
| 2 | The second rule, with a \\| in it | 2 | `test_two`, `test_both` |

## What changed
"""


@pytest.mark.parametrize("readme, problem", [
    (GOOD.replace(HEADING, "## Rules"), "no '## Requirements' section"),
    (GOOD.replace("| # |", "| Number |"), "must start with the table header"),
    (GOOD.replace("| 2 | The second", "| 3 | The second"), "rows are numbered"),
    (GOOD.replace("`test_one` |\n", "test_one |\n"), "names no test"),
    (GOOD.replace("`test_one` |\n", "`test_three` |\n"), "'test_three' is not a test function"),
    (GOOD.replace("`test_one` |\n", "`test_unmarked` |\n"), "test_unmarked is not marked @pytest.mark.todo(1)"),
    (GOOD.replace("| 1 | `test_one` |", "| 2 | `test_two` |"), "TODO 1 has no requirement"),
    (GOOD.replace("| 1 | `test_one` |", "| 3 | `test_one` |"), "TODO '3' is not one of the lesson's TODOs"),
    (GOOD.replace("| 1 | `test_one` |", "| 1 | `test_one` | extra |"), "a row has 5 cells"),
], ids=["no section", "other header", "numbering", "no test", "unknown test", "unmarked test", "TODO without a row",
        "TODO out of range", "a cell too many"])
def test_the_requirement_checks_can_fail(readme, problem):
    assert problems(GOOD, TESTS, todo_count=2) == []
    assert any(problem in found for found in problems(readme, TESTS, todo_count=2)), problems(readme, TESTS, 2)
