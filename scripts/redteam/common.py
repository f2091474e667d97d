"""Shared by the red-team scripts: build submissions, grade them with `python -m course grade`, show the rows.

Each script in this folder builds the submissions of one attack in a temporary folder (or under ROOT/submissions-
redteam when the attack needs the README's layout, submissions inside the course), grades them, and prints what the
grader gave: scores, flags, and what it says. Run from the repository root: python scripts/redteam/NAME.py"""
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from course.lessons import ROOT  # noqa: E402


def grade(folders, work, *options, timeout=900):
    """Grade `folders` into `work` (grades.csv, grades.json, feedback/); return (rows by name, json rows by name,
    the completed process, seconds)."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "course", "grade", *map(str, folders), "--csv",
                             str(work / "grades.csv"), "--feedback", str(work / "feedback"), *map(str, options)],
                            cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - started
    rows, record = {}, {}
    if (work / "grades.csv").exists():
        with open(work / "grades.csv") as file:
            rows = {row["submission"]: row for row in csv.DictReader(file)}
        record = {row["submission"]: row for row in json.loads((work / "grades.json").read_text())["rows"]}
    return rows, record, result, seconds


def show(rows, result, seconds, lessons=("01_config",)):
    print(f"grade exited {result.returncode} after {seconds:.0f} s")
    if result.returncode:
        print("    " + (result.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1][:300])
    for name, row in rows.items():
        print(f"  {name}: " + ", ".join(f"{lesson}={row[lesson]}" for lesson in lessons) + f"  flags: {row['flags']!r}")
