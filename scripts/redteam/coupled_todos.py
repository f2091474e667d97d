"""Which TODOs partial credit would give for free: for each lesson and TODO N, put the STARTER's region N into
the reference (what grading TODO N alone does with a submission that left TODO N as the starter has it, give or
take a comment) and run TODO N's tests the way the grader does (unsandboxed here: course code only).
A TODO whose tests pass there is credited by course/partial_credit.py to a student who did not write it."""
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from course.lesson_run import run_lesson
from course.lessons import ROOT, all_lessons, find_lesson
from course.partial_credit import graft
from course.sandbox import Limits
from course.scoring import todo_shares


def check(lesson, number, work):
    folder = Path(tempfile.mkdtemp(dir=work))
    graft(ROOT / "solutions" / lesson.id, ROOT / "lessons" / lesson.id, number, folder / lesson.id)
    run = run_lesson(lesson, folder, Limits(seconds=300), work, only_todo=number, sandboxed=False)
    failed = [outcome.name for outcome in run.outcomes if not outcome.passed]
    return lesson.id, number, run.problem, len(run.outcomes), failed


lessons = [find_lesson(key) for key in sys.argv[1:]] or all_lessons()
with tempfile.TemporaryDirectory() as work, ThreadPoolExecutor(2) as pool:
    jobs = [pool.submit(check, lesson, number, work) for lesson in lessons for number in todo_shares(lesson)]
    for job in jobs:
        lesson_id, number, problem, count, failed = job.result()
        verdict = "FREE CREDIT" if not problem and count and not failed else "ok"
        print(f"{lesson_id} TODO {number}: {verdict} ({count} tests, {len(failed)} fail) {problem[:100]}", flush=True)
