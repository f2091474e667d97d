"""The auth benchmark (scripts/bench_auth.py, the figures of docs/cost-of-auth.md) still runs, in its quick mode,
and the course's apps still add at most one database round trip per request to flask-jwt-extended's decorator."""
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
    """{first cell: last cell} of the table whose heading starts with `section`."""
    table = report.split(f"| {section}", 1)[1].split("\n\n", 1)[0]
    cells = [line.strip("|").split("|") for line in table.splitlines()[2:]]
    return {row[0].strip(): row[-1].strip() for row in cells}


def test_every_table_is_there(report):
    sections = ["token alone", "one request in-process, SQLite", "over HTTP", "login"]
    if servers.ON_CI:  # PostgreSQL is installed there: its figures must be too
        sections.append("one request in-process, PostgreSQL")
    for section in sections:
        assert f"| {section}" in report, f"no table for {section}"
    assert set(rows(report, "token alone")) == {"HS256", "RS256", "ES256", "EdDSA"}


@pytest.mark.parametrize("server", ["SQLite", "PostgreSQL"])
def test_the_course_adds_at_most_one_round_trip_to_the_bare_decorator(report, server):
    if f"in-process, {server}" not in report:
        pytest.skip(f"{server} figures left out (not installed)")
    statements = rows(report, f"one request in-process, {server}")
    bare = int(statements["@jwt_required() alone (no user lookup)"])
    course = int(statements["@jwt_required() + user lookup (the course's apps)"])
    assert course <= bare + 1, f"a protected request sends {course} SQL statements, the bare decorator {bare}"
