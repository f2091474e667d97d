"""The course's command line: python -m course COMMAND (or `course COMMAND`). `--help` lists the commands."""
import argparse
import os
import sys
import time
from pathlib import Path

from course.envfile import ensure_env_file
from course.hints import next_hint
from course.lessons import all_lessons, find_lesson, target_folder
from course.report import explain_failure, requirements
from course.runner import run_tests


# --- Learners ----------------------------------------------------------------------------------------------

def check(args):
    """Run one lesson's tests against your work; say what passes, and what to do about the first failure."""
    lesson = find_lesson(args.lesson)
    run = run_tests([lesson], target_folder(args.target), timeout=args.timeout)[lesson.id]
    print(f"Lesson {lesson.id[:2]} · {lesson.title}  ({args.target}/{lesson.id})\n")
    if run.problem:
        print(f"  The tests could not run: {run.problem}.")
        return 1
    checked = requirements(run)
    for requirement in checked:
        print(f"  {'✔' if requirement.passed else '✘'} {requirement.words}")
    failing = [requirement for requirement in checked if not requirement.passed]
    print(f"\n{len(checked) - len(failing)} of {len(checked)} requirements pass.")
    if not failing:
        print("The lesson is done. Well done!")
        return 0
    print("\nFirst failure: " + "\n".join(explain_failure(lesson, failing[0].first_failure)))
    print(f"\nStuck? python -m course hint {lesson.id[:2]}")
    return 1


def progress(args):
    """Every lesson, whether your version passes, and the next one to do."""
    lessons = all_lessons()
    runs = run_tests(lessons, target_folder(args.target), timeout=args.timeout)
    print(f"{'#':<3} {'lesson':<18} {'status':<14} concept")
    next_lesson = None
    for lesson in lessons:
        run = runs[lesson.id]
        status = "done" if run.all_passed else "not run" if run.problem else f"{run.passed}/{run.total} tests"
        print(f"{lesson.id[:2]:<3} {lesson.title:<18} {status:<14} {lesson.concept}")
        if next_lesson is None and not run.all_passed:
            next_lesson = lesson
    if next_lesson is None:
        print("\nEvery lesson passes. Well done!")
    else:
        print(f"\nNext: lesson {next_lesson.id[:2]}, {next_lesson.title}. Read lessons/{next_lesson.id}/README.md, "
              f"then: python -m course check {next_lesson.id[:2]}")
    return 0


def hint(args):
    """The lesson's next hint (each call shows one more)."""
    lesson = find_lesson(args.lesson)
    number, total, text = next_hint(lesson, target_folder(args.target))
    print(f"Hint {number} of {total} for lesson {lesson.id[:2]} · {lesson.title}:\n\n{text}")
    return 0


def serve(args):
    """Run a lesson's app on 127.0.0.1, as `flask --app app run` inside its folder."""
    folder = target_folder("solutions" if args.solution else args.target) / find_lesson(args.lesson).id
    written = ensure_env_file(folder)
    if written:
        print(f"Created {written} with a freshly generated JWT_SECRET_KEY (git ignores it; keep it secret).")
    command = [sys.executable, "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1", "--port", str(args.port)]
    sys.stdout.flush()
    os.chdir(folder)
    os.execv(sys.executable, command)  # this process becomes the Flask server (Ctrl-C stops it)


def watch(args):
    """Check a lesson again each time one of its files is saved; move on to the next lesson once it passes."""
    lessons = all_lessons()
    lesson = find_lesson(args.lesson) if args.lesson else lessons[0]
    while True:
        folder = target_folder(args.target) / lesson.id
        before = file_times(folder)  # taken before checking, so a save during the check is not missed
        args.lesson = lesson.id
        print("\n" + "─" * 72)
        if check(args) == 0 and not args.stay:
            later = lessons[lessons.index(lesson) + 1 :]
            if not later:
                print("\nThat was the last lesson.")
                return 0
            lesson = later[0]
            print(f"\nOn to lesson {lesson.id[:2]}, {lesson.title}: read lessons/{lesson.id}/README.md")
            continue
        print(f"\nWatching {args.target}/{lesson.id} for changes (Ctrl-C to stop)…", flush=True)
        while file_times(folder) == before:
            time.sleep(0.3)


def file_times(folder):
    """When each Python file of the lesson was last changed."""
    return {path: path.stat().st_mtime_ns for path in folder.rglob("*.py") if "__pycache__" not in path.parts}


# --- Instructors -------------------------------------------------------------------------------------------

def grade(args):
    """Grade submissions: a gradebook, a feedback file per submission, an HTML report, and a summary table."""
    from course.gradebook import summary_table, write_csv, write_feedback, write_json  # only grading needs tqdm
    from course.grading import grade_all
    from course.html_report import write_html

    lessons = [find_lesson(key) for key in args.lessons.split(",")] if args.lessons else all_lessons()
    submissions = grade_all([Path(folder) for folder in args.submissions], lessons, args.jobs, args.timeout)
    write_csv(submissions, lessons, args.csv)
    if args.json:
        write_json(submissions, args.json)
    write_feedback(submissions, Path(args.feedback))
    html = Path(args.html or Path(args.csv).with_suffix(".html"))
    write_html(submissions, lessons, html, Path(args.feedback))
    print(summary_table(submissions, lessons))
    print(f"\nGradebook: {args.csv}" + (f", {args.json}" if args.json else "") + f"; feedback in {args.feedback}/")
    print(f"Report: {html}")
    return 0


# --- Course developers -------------------------------------------------------------------------------------

def notebooks(args):
    """Re-execute the notebooks against solutions/ and save their outputs."""
    from course.notebooks import refresh_outputs  # imported here: jupyter is slow to import

    refresh_outputs()
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m course",
                                     description="JWT authentication in Flask, lesson by lesson.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, function, help, aliases=()):
        sub = commands.add_parser(name, help=help, description=help, aliases=list(aliases))
        sub.set_defaults(run=function)
        return sub

    def target_option(sub):
        sub.add_argument("--target", default="lessons", help="folder of lesson folders to test (default: lessons)")
        sub.add_argument("--timeout", type=float, default=60, help="seconds before a test run is stopped")

    sub = command("check", check, "run a lesson's tests against your work")
    sub.add_argument("lesson", help="lesson number or id, e.g. 2 or 02_login")
    target_option(sub)

    target_option(command("progress", progress, "every lesson and whether it passes", aliases=["list"]))

    sub = command("hint", hint, "show the lesson's next hint")
    sub.add_argument("lesson")
    sub.add_argument("--target", default="lessons", help="folder of your lesson folders (default: lessons)")

    sub = command("serve", serve, "run a lesson's app on 127.0.0.1")
    sub.add_argument("lesson")
    sub.add_argument("--solution", action="store_true", help="run the reference instead of lessons/")
    sub.add_argument("--target", default="lessons", help="folder of lesson folders (default: lessons)")
    sub.add_argument("--port", type=int, default=5000)

    sub = command("watch", watch, "check a lesson each time you save, then move on to the next")
    sub.add_argument("lesson", nargs="?", help="where to start (default: lesson 01)")
    sub.add_argument("--stay", action="store_true", help="keep watching this lesson after it passes")
    target_option(sub)

    sub = command("grade", grade, "grade submissions (folders laid out like this repository or like lessons/)")
    sub.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    sub.add_argument("--csv", default="grades.csv", help="gradebook to write (default: grades.csv)")
    sub.add_argument("--json", help="also write the gradebook, with details, as JSON")
    sub.add_argument("--html", help="the class report to write (default: the CSV's name with .html)")
    sub.add_argument("--feedback", default="feedback", help="folder for one feedback file per submission")
    sub.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default: 1)")
    sub.add_argument("--timeout", type=float, default=60, help="seconds a submission's test run may take")
    sub.add_argument("--lessons", help="grade only these lessons, e.g. 01,02 (default: all)")

    command("notebooks", notebooks, "re-run every notebook against solutions/ and save its outputs")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (LookupError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C, the usual way to leave `watch`
        return 130
