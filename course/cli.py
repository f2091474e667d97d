"""The course's command line: python -m course COMMAND (or `course COMMAND`). `--help` lists the commands."""
import argparse
import dataclasses
import itertools
import os
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from course import verdicts
from course.environment import how_to_install, missing_packages
from course.envfile import ensure_env_file
from course.hints import next_hint
from course.lessons import all_lessons, find_lesson, target_folder
from course.loader import import_problem, load_app_module
from course.report import SKIPPED, SYMBOLS, explain_failure, in_plain_words, requirements, status, still_to_do
from course.runner import COULD_NOT_START, TEST_TIME_LIMIT, run_tests
from course.scoring import score_lesson, todo_shares


# --- Learners ----------------------------------------------------------------------------------------------

def check(args):
    """Run one lesson's tests against your work; say what passes, and what to do about the first failure."""
    lesson = find_lesson(args.lesson)
    todo = getattr(args, "todo", None)  # `watch` checks without one
    if todo is not None and todo not in todo_shares(lesson):
        raise ValueError(f"lesson {lesson.id} has TODOs 1 to {len(lesson.todos)}, not {todo}")
    return check_and_show(lesson, args, todo)[0]


def check_and_show(lesson, args, todo=None, launch=None):
    """Run the lesson's tests as `check` does, print the verdict, and write it down for `progress`; return the exit
    code and the run. In stages, unless one TODO's share is asked for (as GitHub Classroom grades it: then every
    test must run). `launch`: how pytest is started (`watch` forks it: course/watch.py)."""
    target = target_folder(args.target)
    print(f"Lesson {lesson.id[:2]} · {lesson.title}  ({args.target}/{lesson.id})\n", flush=True)
    run = run_tests([lesson], target, timeout=args.timeout, test_limit=args.test_timeout, staged=todo is None,
                    on_later_stage=say_later_stage, launch=launch)[lesson.id]
    verdicts.remember(target, lesson, run)
    return show_verdict(lesson, run, todo), run


def say_later_stage(programs):
    """Said while `check` runs, when the tests that start programs begin (course/pytest_plugin.py: --staged)."""
    print(f"  The in-process tests pass; now the tests that start {programs}…\n", flush=True)


def show_verdict(lesson, run, todo=None):
    """Print what a lesson's test run found (check and watch): each requirement, the score, and what to do about
    the first failure. Returns the exit code: 0 when the lesson passes (or TODO `todo`'s share is earned)."""
    if run.problem:  # nothing could be checked: say why, and nothing else (no TODO is to blame)
        problem = run.problem if run.problem.startswith(COULD_NOT_START) else f"the tests could not run: {run.problem}"
        print(f"  {problem[0].upper()}{problem[1:]}\n\n  Nothing else could be checked until this is fixed.")
        return 1
    checked = sorted(requirements(run), key=todo_order)
    for number, group in itertools.groupby(checked, key=todo_order):  # in the order of the TODOs
        print(f"  TODO {number}" if number != NO_TODO else "  What the starter already does")
        for requirement in group:
            print(f"    {SYMBOLS[requirement.status]} {requirement.words}")
    failing = [requirement for requirement in checked if requirement.status == "failed"]
    failing.sort(key=lambda requirement: first_to_fix(requirement, todo, run.outcomes))
    scored = learner_score(lesson, run)
    print(f"\n{score_words(scored)}. TODOs done: "
          f"{', '.join(str(n) for n, done in scored.done.items() if done) or 'none yet'}.")
    if any(len(requirement.first_failure.todos) > 1 for requirement in failing):
        print("A test of several TODOs counts for each of them once they are all done.")
    if scored.broken:
        print("No TODO counts while something the starter already did right is broken: "
              + "; ".join(sorted({in_plain_words(name) for name in scored.broken})) + ".")
    for line in not_checked(checked):
        print(line)
    if run.all_passed:
        print("The lesson is done. Well done!")
    elif failing:
        print("\nFirst failure: " + "\n".join(explain_failure(lesson, failing[0].first_failure, run.outcomes)))
        print(f"\nStuck? python -m course hint {lesson.id[:2]}")
    if todo is not None:  # one TODO's share, as GitHub Classroom asks for it
        print(f"\nTODO {todo}: {'done' if scored.done[todo] else 'not done yet'}.")
        return 0 if scored.done[todo] else 1
    return 0 if run.all_passed else 1


def not_checked(checked):
    """What was not checked, and why, in a line per reason: the tests that were not run yet (· in check's list)
    and those that could not run on this machine (○)."""
    waiting = [requirement for requirement in checked if requirement.status == "not run"]
    programs = {name.strip() for requirement in waiting for outcome in requirement.outcomes
                for name in outcome.needs.split(",") if name.strip()}
    lines = []
    if programs:  # --staged: they wait until the in-process tests pass
        lines.append(f"{SYMBOLS['not run']} Not run yet: {len(waiting)} checked with {' and '.join(sorted(programs))}, "
                     "once every test above that starts nothing passes.")
    elif waiting:  # a test before them hung (course/pytest_plugin.py)
        lines.append(f"{SYMBOLS['not run']} Not run: {len(waiting)}, after a test that ran out of time (they would "
                     "most likely hang on the same code).")
    for reason in sorted({requirement.first_failure.message.removeprefix(SKIPPED) for requirement in checked
                          if requirement.status == "skipped"}):
        lines.append(f"{SYMBOLS['skipped']} Not checked on this machine: {reason}")
    return lines


def learner_score(lesson, run):
    """The score by course/scoring.py's rule, except that a test of no TODO that did not run (not run yet, or not
    on this machine) does not count as broken: nothing says it is. A TODO still counts only once all its tests ran
    and passed."""
    ran = [outcome for outcome in run.outcomes if outcome.todos or status(outcome) in ("passed", "failed")]
    return score_lesson(lesson, dataclasses.replace(run, outcomes=ran))


NO_TODO = float("inf")


def todo_order(requirement):
    """Where a requirement comes in check's list: under the first TODO it checks (the README's order); the tests of
    no TODO, which check what the starter already does, after them. Within a TODO, in the tests' order."""
    return min(requirement.outcomes[0].todos, default=NO_TODO)


def first_to_fix(requirement, todo=None, outcomes=()):
    """Which failure to explain first: in the order of the TODOs not done yet (the README's order), the TODO
    asked about (--todo) before the others; then a test of no TODO (often failing only until a TODO is done);
    last a test that could not run here, as it is not the learner's to fix."""
    todos = still_to_do(requirement.first_failure.todos, outcomes)
    return not_checked_here(requirement), todo is not None and todo not in todos, min(todos, default=float("inf"))


def not_checked_here(requirement):
    """Whether the requirement failed only because a test could not run here (redis-server missing, say)."""
    return requirement.first_failure.message.startswith(SKIPPED)


def score_words(scored):
    """A lesson's score as `check` and `progress` both say it: "13 of 20 points (2 of 3 TODOs)"."""
    return (f"{scored.points} of {scored.lesson.points} points "
            f"({sum(scored.done.values())} of {len(scored.done)} TODOs)")


def progress(args):
    """Every lesson, whether your version passes, and the next one to do. The verdicts `check` and `watch` wrote
    down are reused for the lessons whose files have not changed since (course/verdicts.py); the others are checked
    again, in parallel."""
    lessons = all_lessons()
    target = target_folder(args.target)
    course = verdicts.course_version()
    kept = verdicts.load(target)
    runs = {lesson.id: verdicts.recall(target, lesson, course, kept) for lesson in lessons}
    stale = [lesson for lesson in lessons if runs[lesson.id] is None]
    runs.update(check_in_parallel(stale, target, args))
    for lesson in stale:
        verdicts.remember(target, lesson, runs[lesson.id], course)
    width = max(len(lesson.title) for lesson in lessons)  # the longest title: the columns stay in line
    print(f"{'#':<3} {'lesson':<{width}} {'score':<38} concept")
    next_lesson = None
    for lesson in lessons:
        run = runs[lesson.id]
        scored = learner_score(lesson, run)
        status = f"done, {score_words(scored)}" if run.all_passed else "not run (check says why)" if run.problem \
            else score_words(scored)
        print(f"{lesson.id[:2]:<3} {lesson.title:<{width}} {status:<38} {lesson.concept}")
        if next_lesson is None and not run.all_passed:
            next_lesson = lesson
    could_not_start = {run.problem for run in runs.values() if run.problem.startswith(COULD_NOT_START)}
    for problem in could_not_start:
        print(f"\n{problem[0].upper()}{problem[1:]}")
    if len(stale) < len(lessons):  # some verdicts were reused: say which lessons ran
        print(f"\nChecked again (files changed since): {', '.join(lesson.id[:2] for lesson in stale) or 'none'}; "
              "the others as they were last checked.")
    if next_lesson is None:
        print("\nEvery lesson passes. Well done!")
    else:
        print(f"\nNext: lesson {next_lesson.id[:2]}, {next_lesson.title}. Read lessons/{next_lesson.id}/README.md, "
              f"then: python -m course check {next_lesson.id[:2]}")
    return 0


def check_in_parallel(lessons, target, args):
    """The test runs of `lessons`, in as many pytest processes at once as the machine has cores (each process runs
    its share of the lessons one after the other, in stages as `check` does)."""
    jobs = max(1, min(len(lessons), os.cpu_count() or 1))
    shares = [lessons[index::jobs] for index in range(jobs)]
    with ThreadPoolExecutor(jobs) as pool:  # threads that wait for their process: the work is in the processes
        done = pool.map(lambda share: run_tests(share, target, timeout=args.timeout, test_limit=args.test_timeout,
                                                staged=True), [share for share in shares if share])
    return {lesson_id: run for runs in done for lesson_id, run in runs.items()}


def hint(args):
    """The lesson's next hint (each call shows one more)."""
    lesson = find_lesson(args.lesson)
    hint = next_hint(lesson, target_folder(args.target), start_over=args.again)
    again = f"python -m course hint {lesson.id[:2]} --again"
    if hint is None:
        print(f"You have seen all {len(lesson.hints)} hints of lesson {lesson.id[:2]}. To read them again from the "
              f"first: {again}")
        return 0
    number, total, text = hint
    print(f"Hint {number} of {total} for lesson {lesson.id[:2]} · {lesson.title}:\n\n{text}")
    if number == total:
        print(f"\nThat was the last hint. To read them again from the first: {again}")
    return 0


def serve(args):
    """Run a lesson's app on 127.0.0.1, as `flask --app app run` inside its folder."""
    folder = target_folder("solutions" if args.solution else args.target) / find_lesson(args.lesson).id
    written = ensure_env_file(folder)
    if written:
        print(f"Created {written} with a freshly generated key (git ignores it; keep it secret).")
    problem = serving_problem(folder, args.port)
    if problem:  # said plainly, instead of a traceback through flask's and click's code
        print(problem, file=sys.stderr)
        return 1
    command = [sys.executable, "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1", "--port", str(args.port)]
    sys.stdout.flush()
    os.chdir(folder)
    os.umask(0o077)  # what the server creates (instance/, the SQLite database) is readable by its owner only
    os.execv(sys.executable, command)  # this process becomes the Flask server (Ctrl-C stops it)


def serving_problem(folder, port):
    """Why the lesson's app cannot be served, checked before Flask starts it: its app.py does not import, or the
    port is taken. None when all is well."""
    try:
        load_app_module(folder)
    except (Exception, SystemExit, KeyboardInterrupt) as error:
        return import_problem(error, folder)
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug's server does
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return (f"Port {port} is in use by another program: stop that program, or choose another port, "
                    f"e.g. python -m course serve {folder.name[:2]} --port {port + 1}")
    return None


def watch(args):
    """Check a lesson again each time one of its files is saved; move on to the next lesson once it passes.
    One process that has imported everything once forks each check (course/watch.py): about a second each."""
    from course.watch import WarmChecks, saves_in  # imported here: watchfiles, and it imports the whole stack

    lessons = all_lessons()
    lesson = find_lesson(args.lesson) if args.lesson else lessons[0]
    with WarmChecks() as warm:
        while True:
            with saves_in(target_folder(args.target) / lesson.id) as saves:  # from before the check: none is missed
                print("\n" + "─" * 72)
                code, run = check_and_show(lesson, args, launch=warm.launch)
                warm.keep_programs_for(run)
                if code == 0 and not args.stay:
                    later = lessons[lessons.index(lesson) + 1 :]
                    if not later:
                        print("\nThat was the last lesson.")
                        return 0
                    lesson = later[0]
                    print(f"\nOn to lesson {lesson.id[:2]}, {lesson.title}: read lessons/{lesson.id}/README.md")
                    continue
                print(f"\nWatching {args.target}/{lesson.id} for changes (Ctrl-C to stop)…", flush=True)
                next(saves)


# --- Instructors -------------------------------------------------------------------------------------------

def grade(args):
    """Grade submissions: a gradebook, a feedback file per submission, an HTML report, and a summary table."""
    from course.gradebook import run_stamp, summary_table, write_feedback, write_gradebook  # needs tqdm
    from course.grading import GradingError, grade_all
    from course.html_report import write_html

    lessons = [find_lesson(key) for key in args.lessons.split(",")] if args.lessons else all_lessons()
    try:
        submissions = grade_all([Path(folder) for folder in args.submissions], lessons, args.jobs,
                                sandboxed=not args.no_sandbox, budget=args.budget, timeout=args.timeout)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stamp = run_stamp()
    csv_path = Path(args.csv)
    json_path = Path(args.json or csv_path.with_suffix(".json"))
    rows, changes, untrusted, changed_csv = write_gradebook(submissions, lessons, json_path, csv_path, stamp,
                                                            not args.no_sandbox, args.fresh)
    write_feedback(submissions, Path(args.feedback), {row["submission"] for row in rows})
    html = Path(args.html or csv_path.with_suffix(".html"))
    write_html(rows, lessons, html, Path(args.feedback), stamp, untrusted)
    print(summary_table(submissions, lessons))
    reused = sum(grade.reused for submission in submissions for grade in submission.grades)
    print(f"\n{reused} lesson folders had the same files as one graded before them in this run: "
          "their tests ran once, for the first.")
    if args.no_sandbox:
        print("\nNOT SANDBOXED (--no-sandbox): the submissions' code ran with your rights. The gradebook and the "
              "report say so.")
    for names, what in ((untrusted, "rows of the JSON gradebook"), (changed_csv, "rows of the CSV")):
        if names:
            print(f"\nDropped {len(names)} {what} that the grader did not write (changed or added since): "
                  f"{', '.join(names)}. Grade those submissions again.")
    print(f"\nGradebook {csv_path} and {json_path}: {changes}; feedback in {args.feedback}/")
    print(f"Report: {html}")
    return 0


def export_student(args):
    """Write the student edition of the course (course/student_edition.py): a template repository, or a zip."""
    from course.student_edition import export_student as export

    files, local_edits = export(args.destination, args.upto)
    upto = f", lessons up to {find_lesson(args.upto).id}" if args.upto else ""
    print(f"Wrote {len(files)} files to {args.destination}: git's last commit, without solutions/ or the hidden "
          f"tests{upto}.")
    if args.upto:
        print("Each starter holds the answers of the lesson before it: hand out a later lesson with a new export.")
    if local_edits:
        shown = ", ".join(local_edits[:10]) + (f" and {len(local_edits) - 10} more" if len(local_edits) > 10 else "")
        print(f"warning: left out, as git has not committed them: {shown}. Commit them and export again to include "
              "them.", file=sys.stderr)
    return 0


def github_feedback(args):
    """Grade one repository's lessons for the push feedback workflow (course/github_feedback.py)."""
    from course.github_feedback import github_feedback as feedback
    from course.grading import GradingError

    lessons = [find_lesson(key) for key in args.lessons.split(",")] if args.lessons else all_lessons()
    try:
        submission = feedback(args.repository, lessons, args.summary, args.json)
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{submission.total:g} of {submission.maximum} points (advice, not a grade); the summary is in "
          f"{args.summary}, the gradebook in {args.json}")
    return 0


def gradescope(args):
    """Write a Gradescope autograder (course/gradescope.py) for some lessons."""
    from course.gradescope import write_bundle

    lessons = [find_lesson(key) for key in args.lessons.split(",")] if args.lessons else all_lessons()
    count = write_bundle(lessons, args.output, args.visibility, args.budget)
    print(f"Wrote {args.output} ({count} files; lessons {', '.join(lesson.id for lesson in lessons)}). Upload it as "
          "the assignment's autograder on Gradescope (Configure Autograder: Zip file upload).")
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
        sub.add_argument("--timeout", type=float, default=60, help="seconds each lesson's tests may take")
        sub.add_argument("--test-timeout", type=float, default=TEST_TIME_LIMIT,
                         help=f"seconds each test may take (default: {TEST_TIME_LIMIT}); one that takes longer is "
                              "named, with the line it was stuck on")

    sub = command("check", check, "run a lesson's tests against your work")
    sub.add_argument("lesson", help="lesson number or id, e.g. 2 or 02_login")
    sub.add_argument("--todo", type=int, help="succeed when this TODO's share is earned (as GitHub Classroom "
                                              "grades it), even if other TODOs are not done")
    target_option(sub)

    target_option(command("progress", progress, "every lesson and whether it passes", aliases=["list"]))

    sub = command("hint", hint, "show the lesson's next hint")
    sub.add_argument("lesson")
    sub.add_argument("--again", action="store_true", help="start over from the first hint")
    sub.add_argument("--target", default="lessons", help="folder of your lesson folders (default: lessons)")

    sub = command("serve", serve, "run a lesson's app on 127.0.0.1")
    sub.add_argument("lesson")
    sub.add_argument("--solution", action="store_true", help="run the reference instead of lessons/")
    sub.add_argument("--target", default="lessons", help="folder of lesson folders (default: lessons)")
    sub.add_argument("--port", type=int, default=5000, help="the port to serve on (default: 5000)")

    sub = command("watch", watch, "check a lesson each time you save, then move on to the next")
    sub.add_argument("lesson", nargs="?", help="where to start (default: lesson 01)")
    sub.add_argument("--stay", action="store_true", help="keep watching this lesson after it passes")
    target_option(sub)

    sub = command("grade", grade, "grade submissions (folders laid out like this repository or like lessons/)")
    sub.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    sub.add_argument("--csv", default="grades.csv", help="gradebook to write (default: grades.csv)")
    sub.add_argument("--json", help="the gradebook with every detail, the record grading again reads (default: "
                                    "the CSV's name with .json)")
    sub.add_argument("--html", help="the class report to write (default: the CSV's name with .html)")
    sub.add_argument("--feedback", default="feedback", help="folder for one feedback file per submission")
    sub.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default: 1)")
    sub.add_argument("--timeout", type=float, help="seconds each lesson's tests may take (default: 10 times the "
                                                   "reference's time on this machine, at least 10 s)")
    sub.add_argument("--budget", type=float, default=120,
                     help="seconds of tests for one submission, all its lessons together (default: 120)")
    sub.add_argument("--lessons", help="grade only these lessons, e.g. 01,02 (default: all)")
    sub.add_argument("--fresh", action="store_true", help="start the gradebook over instead of updating the rows "
                                                          "of the submissions graded again")
    sub.add_argument("--no-sandbox", action="store_true", help="run the submissions' code without the bubblewrap "
                                                               "sandbox: only for work you trust")

    sub = command("export-student", export_student, "write what git has committed of the course, without "
                                                     "solutions/ or the hidden tests, for students")
    sub.add_argument("destination", help="a new (or empty) folder")
    sub.add_argument("--upto", metavar="NN", help="stop the course at this lesson (later lessons are left out)")

    sub = command("github-feedback", github_feedback, "grade a repository's lessons/ for the feedback workflow "
                                                       "(.github/workflows/lesson-feedback.yml)")
    sub.add_argument("repository", help="the student's repository (a folder)")
    sub.add_argument("--lessons", help="only these lessons, e.g. 01,02 (default, or empty: all)")
    sub.add_argument("--summary", required=True, help="the Markdown file to append the summary to "
                                                      "($GITHUB_STEP_SUMMARY)")
    sub.add_argument("--json", required=True, help="the gradebook to write (a CSV is written beside it)")

    sub = command("gradescope", gradescope, "write a Gradescope autograder (a zip) that grades some lessons")
    sub.add_argument("--lessons", help="the lessons it grades, e.g. 01,02 (default: all)")
    sub.add_argument("--output", default="autograder.zip", help="the zip to write (default: autograder.zip)")
    sub.add_argument("--visibility", default="visible", help="when students see each TODO's result: visible "
                     "(default), after_due_date, after_published or hidden (Gradescope's settings)")
    sub.add_argument("--budget", type=float, default=480, help="seconds of tests for one submission, all its "
                     "lessons together (default: 480; keep it under the assignment's Gradescope timeout, 10 minutes "
                     "unless set otherwise)")

    command("notebooks", notebooks, "re-run every notebook against solutions/ and save its outputs")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    missing = missing_packages()
    if missing:  # first, or the tests would fail to start with "No module named ..."
        print("\n".join(how_to_install(missing)), file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except (LookupError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C, the usual way to leave `watch`
        return 130
