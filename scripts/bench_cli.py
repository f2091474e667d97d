"""Measure the command line's two numbers:

- `python -m course check N`: median wall time of `--repeat` runs per lesson, against the reference (where
  every test runs to the end: the slowest case) and against the untouched starters, with the median CPU time
  (user + system, of check and the processes it waited for) and the load average: on a shared machine the
  wall time says as much about the neighbours as about the course, the CPU time much less;
- `python -m course grade` on 30 submissions (10 reference copies, 10 untouched starters, 10 broken in the
  ways sample_submissions knows, two of them endless loops) with --jobs 2. Identical lesson folders are graded
  once (course/grading.py); --distinct adds a different comment to every lesson of every submission, so that
  none is reused: the cost when every student has touched every lesson.

    python scripts/bench_cli.py [--repeat 5] [--timeout 10] [--distinct] [--only check|grade] [--lessons 07,08]

--timeout is grade's, in seconds per lesson: the two endless loops each cost that long.
"""
import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course.lessons import ROOT, all_lessons
from course.sample_submissions import make_submission

BROKEN = ["syntax_error", "import_error", "exit_at_import", "crash", "noisy", "loop_at_import", "loop_in_request",
          "missing_lesson", "empty_lesson", "syntax_error"]


def seconds(command):
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "course", *command], cwd=ROOT, capture_output=True)
    return time.perf_counter() - started


def cpu_seconds():
    """User + system time of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_check(repeat, lesson_numbers=None):
    worst = 0
    for lesson in all_lessons():
        if lesson_numbers and lesson.id[:2] not in lesson_numbers:
            continue
        for target in ("solutions", "lessons"):
            walls, cpus = [], []
            for _ in range(repeat):
                before = cpu_seconds()
                walls.append(seconds(["check", lesson.id[:2], "--target", target]))
                cpus.append(cpu_seconds() - before)
            median, cpu = statistics.median(walls), statistics.median(cpus)
            worst = max(worst, median)
            print(f"check {lesson.id[:2]} --target {target}: median {median:.2f} s (CPU {cpu:.2f} s, "
                  f"load {os.getloadavg()[0]:.1f})", flush=True)
    print(f"check: slowest median {worst:.2f} s (goal: under 1.5 s)")


def bench_grade(timeout, distinct):
    # 02 onwards have every file a breakage changes; a capstone (lessons.toml: course_app) is not such an app
    breakable = [lesson for lesson in all_lessons()[1:] if not lesson.course_app]
    with tempfile.TemporaryDirectory() as scratch:
        folders = []
        for number in range(10):
            folders.append(make_submission(Path(scratch) / f"reference-{number}"))
            folders.append(make_submission(Path(scratch) / f"untouched-{number}", source="lessons"))
            broken_lesson = breakable[number % len(breakable)].id
            folders.append(make_submission(Path(scratch) / f"broken-{number}-{BROKEN[number]}", "solutions",
                                           broken_lesson, BROKEN[number]))
        if distinct:
            for number, folder in enumerate(folders):
                for app in folder.glob("*/app.py"):
                    app.write_text(app.read_text() + f"# submission {number}\n")
        command = ["grade", *map(str, folders), "--jobs", "2", "--timeout", str(timeout),
                   "--csv", f"{scratch}/grades.csv", "--feedback", f"{scratch}/feedback"]
        took = seconds(command)
        with open(f"{scratch}/grades.csv") as file:
            rows = list(csv.DictReader(file))
        # A figure is worth something only if the grading was right: a reference copy cut short by --timeout is not.
        wrong = [row["submission"] for row in rows if row["submission"].startswith("reference")
                 and row["total"] != row["max"]]
        if wrong:
            sys.exit(f"grade: these reference copies did not get full marks (a --timeout too short?): {wrong}")
    kind = "every lesson folder different" if distinct else "identical folders graded once"
    print(f"grade: 30 submissions of {len(all_lessons())} lessons ({kind}) with --jobs 2 --timeout {timeout}: "
          f"{took:.1f} s (goal: under 60 s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=10, help="grade's --timeout (seconds per lesson)")
    parser.add_argument("--distinct", action="store_true", help="make every lesson folder of the class different")
    parser.add_argument("--only", choices=("check", "grade"), help="measure only this command")
    parser.add_argument("--lessons", help="check only these lessons, by number: 07,08")
    args = parser.parse_args()
    if args.only != "grade":
        bench_check(args.repeat, args.lessons.split(",") if args.lessons else None)
    if args.only != "check":
        bench_grade(args.timeout, args.distinct)


if __name__ == "__main__":
    main()
