"""How a lesson is scored. One rule, used by `course grade`, `course check`/`progress`, the Gradescope bundle and
the push feedback workflow.

- A lesson's points are split over its TODOs in whole points (a gradebook of whole numbers, one test per TODO):
  20 points over 3 TODOs gives 7, 7 and 6.
- A TODO's share is earned when every test marked `@pytest.mark.todo(n)` for it passes, in every variant
  (a test marked with several TODOs counts for each of them).
- The lesson's unmarked tests check what the starter already does right (refusing bad input, for example).
  They earn nothing on their own, but while one of them fails no TODO of the lesson counts: breaking what
  worked costs the lesson until it works again.

So an untouched starter scores 0 and the reference solution scores full marks.
"""
from dataclasses import dataclass


def todo_shares(lesson):
    """{TODO number: its whole points}, the lesson's points split as evenly as whole numbers allow."""
    count = len(lesson.todos)
    base, extra = divmod(lesson.points, count)
    return {number: base + (1 if number <= extra else 0) for number in range(1, count + 1)}


@dataclass
class LessonScore:
    lesson: object
    done: dict  # {TODO number: True when its share is earned}
    broken: list  # unmarked tests that fail: what already worked and no longer does

    @property
    def points(self):
        return sum(share for number, share in todo_shares(self.lesson).items() if self.done[number])

    @property
    def complete(self):
        return all(self.done.values())


def score_lesson(lesson, run):
    """Score one lesson's test run (course.runner.LessonRun) by the rule above."""
    if run.problem or not run.outcomes:
        return LessonScore(lesson, {number: False for number in todo_shares(lesson)}, [])
    broken = [outcome.name for outcome in run.outcomes if not outcome.todos and not outcome.passed]
    done = {}
    for number in todo_shares(lesson):
        tests = [outcome for outcome in run.outcomes if number in outcome.todos]
        done[number] = bool(tests) and all(outcome.passed for outcome in tests) and not broken
    return LessonScore(lesson, done, broken)
