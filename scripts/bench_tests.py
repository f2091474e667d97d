"""Measure how long the tests take: the whole suite as the README runs it, and each lesson's tests alone (on
SQLite, as `course check` runs them, and on PostgreSQL for the lessons that have a database).

    python scripts/bench_tests.py [--repeat 3]

Each figure is the median wall time of `--repeat` runs, in a fresh process each time (pytest's start-up
included, as a learner would see it). The goals: the whole suite under 120 s on a 2-core machine, SQLite and
PostgreSQL together; `course check NN` under 1.5 s (scripts/bench_cli.py measures that).
"""
import argparse
import statistics
import subprocess
import sys
import time

from course.lessons import ROOT, all_lessons


def seconds_to_run(arguments):
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", *arguments], cwd=ROOT, capture_output=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"pytest {' '.join(arguments)} failed:\n{result.stdout.decode()[-2000:]}")
    return elapsed


def median_seconds(arguments, repeat):
    return statistics.median(seconds_to_run(arguments) for _ in range(repeat))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    for lesson in all_lessons():
        for database in ("sqlite", "postgresql") if lesson.database else ("sqlite",):
            seconds = median_seconds([f"tests/test_{lesson.id}.py", "--database", database], repeat)
            print(f"tests/test_{lesson.id}.py alone on {database}: {seconds:.2f} s")
    whole = ["-n", "2", "--dist", "loadfile", "--database", "all"]
    print(f"whole suite (pytest {' '.join(whole)}): {median_seconds(whole, 1):.1f} s")


if __name__ == "__main__":
    main()
