"""Measure the command line against its budgets (issue 30), each figure the median of `--repeat` runs, with the
import floor beside them (what any cold command pays to import the stack: a slow machine shows there):

- `python -m course check N`, cold: per lesson, against the reference (where every test runs to the end: the
  slowest case) and against the untouched starters, with the median CPU time (user + system, of check and the
  processes it waited for) and the load average: on a shared machine the wall time says as much about the
  neighbours as about the course, the CPU time much less;
- `python -m course watch N`, as a learner sees it: a lesson file of a copy is saved (a comment added), and the
  time is taken until the verdict is on the screen; on the reference (every stage runs) and on the starter;
- `python -m course progress` when nothing changed since the last check (every verdict reused);
- `python -m course grade` on 30 submissions (10 reference copies, 10 untouched starters, 10 broken in the
  ways sample_submissions knows, two of them endless loops) with --jobs 2, each lesson of each submission in a
  bubblewrap sandbox of its own. Identical lesson folders are graded once (course/grading.py); --distinct adds a
  different comment to every lesson of every submission, so that none is reused: the cost when every student has
  touched every lesson. First the grader measures the references once (its time limits come from them; kept in
  .course-cache/ until the course changes): that is timed on its own, as "calibration". Then the sandbox's own cost
  per run: a sandboxed `python -c pass` against the same command run directly.

    python scripts/bench_cli.py [--repeat 5] [--timeout SECONDS] [--distinct] [--only check|watch|progress|grade]
                                [--lessons 07,08]

--timeout is grade's, in seconds per lesson (default: the grader's own, 10 times the reference's time, at least
10 s): the two endless loops each cost that long.
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

FLOOR = "import flask, flask_sqlalchemy, flask_jwt_extended, flask_restful, marshmallow, pytest"
# Issue 30's budgets, by what a lesson's tests start: nothing, servers (Redis, gunicorn, threaded servers), a browser.
# Lesson 12 serves two pairs of services on threaded servers (its own and lesson 10's): a lesson with servers.
KIND = {"07": "servers", "10": "servers", "12": "servers", "09": "browser", "11": "browser"}
CHECK_BUDGET = {"nothing": 1.5, "servers": 2.5, "browser": 4.0}
WATCH_BUDGET = {"nothing": 1.0, "servers": 2.0, "browser": 2.0}
PROGRESS_BUDGET = 1.0

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


def kind(lesson):
    return KIND.get(lesson.id[:2], "nothing")


def within(figure, budget):
    return f"budget {budget:g} s: {'ok' if figure <= budget else 'MISSED'}"


def bench_floor(repeat):
    walls = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", FLOOR], check=True)
        walls.append(time.perf_counter() - started)
    print(f"import floor (python -c '{FLOOR}'): median {statistics.median(walls):.2f} s", flush=True)


def bench_check(repeat, lessons):
    for lesson in lessons:
        for target in ("solutions", "lessons"):
            walls, cpus = [], []
            for _ in range(repeat):
                before = cpu_seconds()
                walls.append(seconds(["check", lesson.id[:2], "--target", target]))
                cpus.append(cpu_seconds() - before)
            median, cpu = statistics.median(walls), statistics.median(cpus)
            print(f"check {lesson.id[:2]} --target {target}: median {median:.2f} s (CPU {cpu:.2f} s, "
                  f"load {os.getloadavg()[0]:.1f}); {within(median, CHECK_BUDGET[kind(lesson)])}", flush=True)


def bench_watch(repeat, lessons):
    """Per lesson, on a copy of the reference and of the starter: save a file, time until watch prints the
    verdict (the line after it: "Watching ..."). The first check (watch's start) is not counted."""
    for lesson in lessons:
        for source in ("solutions", "lessons"):
            with tempfile.TemporaryDirectory() as scratch:
                folder = make_submission(Path(scratch) / "lessons", source=source)
                command = [sys.executable, "-m", "course", "watch", lesson.id[:2], "--stay", "--target", str(folder)]
                with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True) as watcher:
                    try:
                        read_until(watcher, "Watching")
                        edited = folder / lesson.id / "app.py"
                        walls = []
                        for number in range(repeat):
                            time.sleep(0.5)  # a learner does not save twice in the same instant
                            started = time.perf_counter()
                            edited.write_text(edited.read_text() + f"# save {number}\n")
                            read_until(watcher, "Watching")
                            walls.append(time.perf_counter() - started)
                    finally:
                        watcher.terminate()
            median = statistics.median(walls)
            print(f"watch {lesson.id[:2]} --target {source}: a save -> the verdict, median {median:.2f} s "
                  f"(load {os.getloadavg()[0]:.1f}); {within(median, WATCH_BUDGET[kind(lesson)])}", flush=True)


def read_until(process, text):
    seen = ""
    while text not in seen:
        line = process.stdout.readline()
        if not line:
            sys.exit(f"watch stopped:\n{seen}")
        seen += line
    return seen


def bench_progress(repeat):
    """progress on a copy of the starters, once to write every verdict down, then `repeat` times with nothing
    changed."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = make_submission(Path(scratch) / "lessons", source="lessons")
        first = seconds(["progress", "--target", str(folder)])
        median = statistics.median(seconds(["progress", "--target", str(folder)]) for _ in range(repeat))
    print(f"progress: every lesson checked {first:.2f} s; nothing changed, median {median:.2f} s "
          f"(load {os.getloadavg()[0]:.1f}); {within(median, PROGRESS_BUDGET)}", flush=True)


def bench_grade(timeout, distinct):
    # 02 onwards have every file a breakage changes; a capstone (lessons.toml: course_app) is not such an app
    breakable = [lesson for lesson in all_lessons()[1:] if not lesson.course_app]
    limit = ["--timeout", str(timeout)] if timeout else []
    with tempfile.TemporaryDirectory() as scratch:
        calibration = ROOT / ".course-cache" / "reference-times.json"
        calibration.unlink(missing_ok=True)
        first = make_submission(Path(scratch) / "first")
        took = seconds(["grade", str(first), "--jobs", "2", "--csv", f"{scratch}/first.csv", "--feedback",
                        f"{scratch}/first-feedback"])
        print(f"grade: calibration (every reference timed once in the sandbox) and one reference submission: "
              f"{took:.1f} s", flush=True)
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
        command = ["grade", *map(str, folders), "--jobs", "2", *limit,
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
    print(f"grade: 30 submissions of {len(all_lessons())} lessons ({kind}) with --jobs 2: {took:.1f} s "
          "(goal: under 180 s)")


def bench_sandbox(runs=20):
    """The sandbox's own cost per run: bubblewrap, its mounts and its limits, around a Python that does nothing."""
    from course.sandbox import run_sandboxed

    def median_seconds(sandboxed):
        with tempfile.TemporaryDirectory() as scratch:
            return statistics.median(run_sandboxed([sys.executable, "-c", "pass"], scratch, sandboxed=sandboxed).seconds
                                     for _ in range(runs))

    inside, outside = median_seconds(True), median_seconds(False)
    print(f"sandbox: python -c pass, median of {runs}: {inside * 1000:.0f} ms sandboxed, {outside * 1000:.0f} ms "
          f"directly: {(inside - outside) * 1000:.0f} ms per run")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, help="grade's --timeout (seconds per lesson; default: grade's own)")
    parser.add_argument("--distinct", action="store_true", help="make every lesson folder of the class different")
    parser.add_argument("--only", choices=("check", "watch", "progress", "grade"), help="measure only this command")
    parser.add_argument("--lessons", help="check and watch only these lessons, by number: 07,08")
    args = parser.parse_args()
    lessons = [lesson for lesson in all_lessons() if not args.lessons or lesson.id[:2] in args.lessons.split(",")]
    if args.only != "grade":
        bench_floor(args.repeat)
    if args.only in (None, "check"):
        bench_check(args.repeat, lessons)
    if args.only in (None, "watch"):
        bench_watch(args.repeat, lessons)
    if args.only in (None, "progress"):
        bench_progress(args.repeat)
    if args.only in (None, "grade"):
        bench_sandbox()
        bench_grade(args.timeout, args.distinct)


if __name__ == "__main__":
    main()
