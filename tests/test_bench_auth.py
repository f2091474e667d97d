"""The auth benchmark (scripts/bench_auth.py, the figures of docs/cost-of-auth.md) still runs, in its quick mode,
and each check the course's apps add to flask-jwt-extended's decorator costs one round trip per request: one
query for the user, one question to the blocklist (in the database or in Redis)."""
import subprocess
import sys

import pytest

import servers
from course.lessons import ROOT


@pytest.fixture(scope="module")
def report():
    result = subprocess.run([sys.executable, "scripts/bench_auth.py", "--quick"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def rows(report, section):
    """{first cell: [the other cells]} of the table whose heading starts with `section`."""
    table = report.split(f"| {section}", 1)[1].split("\n\n", 1)[0]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    return {row[0]: row[1:] for row in cells}


def test_every_table_is_there(report):
    sections = ["token alone", "one request in-process, SQLite", "over HTTP", "login"]
    if servers.ON_CI:  # PostgreSQL is installed there: its figures must be too
        sections.append("one request in-process, PostgreSQL")
    for section in sections:
        assert f"| {section}" in report, f"no table for {section}"
    assert set(rows(report, "token alone")) == {"HS256", "RS256", "ES256", "EdDSA"}
    if servers.ON_CI:  # so is redis-server
        assert any("blocklist in Redis" in label for label in rows(report, "one request in-process, SQLite"))


@pytest.mark.parametrize("server", ["SQLite", "PostgreSQL"])
def test_each_check_the_course_adds_costs_one_round_trip(report, server):
    if f"in-process, {server}" not in report:
        pytest.skip(f"{server} figures left out (not installed)")
    table = rows(report, f"one request in-process, {server}")
    # SQL statements and Redis commands, the last two columns; the route itself reads one row
    round_trips = [int(cells[-2]) + int(cells[-1]) for cells in table.values()]
    expected = {"open route": 1, "@jwt_required() alone": 1, "+ user lookup": 2, "blocklist in the database": 3,
                "blocklist in Redis": 3}
    assert round_trips == [next(trips for words, trips in expected.items() if words in label) for label in table]
    redis_row = [cells for label, cells in table.items() if "blocklist in Redis" in label]
    assert [int(cells[-1]) for cells in redis_row] in ([], [1]), "the Redis blocklist: one command per request"
