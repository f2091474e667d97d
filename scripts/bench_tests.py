"""Measure how long the tests take: the whole suite as the README runs it, and each lesson's tests alone.

    python scripts/bench_tests.py [--repeat 3]

Each figure is the median wall time of `--repeat` runs, in a fresh process each time (pytest's start-up
included, as a learner would see it). The issues ask for: the whole suite under 60 s, a lesson under 2 s.
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
        print(f"tests/test_{lesson.id}.py alone: {median_seconds([f'tests/test_{lesson.id}.py'], repeat):.2f} s")
    print(f"whole suite (pytest -n 2 --dist loadfile): {median_seconds(['-n', '2', '--dist', 'loadfile'], 1):.1f} s")


if __name__ == "__main__":
    main()
