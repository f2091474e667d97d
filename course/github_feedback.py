"""Feedback on every push, for a classroom built on GitHub repositories: each student has a repository made from
the student edition (`python -m course export-student`), by a template repository, GitHub Classroom's successor
flows, CS50's Classroom 50 or a script of your own.

The student edition carries .github/workflows/lesson-feedback.yml. On each push it checks out the student's
repository and, beside it, the course's tests and tools from the instructor's repository (the variable
COURSE_REPOSITORY: the published student edition) at a pinned ref (COURSE_REF: a tag or a commit), never from the
student's repository or its history. From that checkout it runs

    python -m course github-feedback ../student --summary "$GITHUB_STEP_SUMMARY" --json grades.json

which grades the student's lessons/ with the course's grader (course/grading.py, sandboxed where the runner allows
it), writes a Markdown table per lesson and TODO into the job's summary, and the gradebook (JSON and CSV), which
the workflow keeps as an artifact. Integrity flags are left out of both: they are for the instructor's own run.

That is advice for the student, and says so: the workflow runs in the student's repository, whose files (the
workflow included) the student controls. Grades come from the instructor's own sandboxed run of
`python -m course grade` over the collected repositories (README, "How an instructor grades").
"""
from pathlib import Path

from course.gradebook import escaped, run_stamp, todo_report, write_gradebook
from course.grading import grade_all
from course.sandbox import sandbox_problem
from course.scoring import todo_shares

ADVICE = ("This is advice for you, not your grade: your grade comes from your instructor's own run of the "
          "course's grader over the class's repositories.")
CELL_LIMIT = 1500  # characters of a table cell: a summary stays readable


def github_feedback(folder, lessons, summary_path, json_path):
    """Grade the lessons of one repository (`folder`); append the summary to `summary_path`, write the gradebook
    to `json_path` (and a CSV beside it). Returns the SubmissionGrade."""
    problem = sandbox_problem()
    [submission] = grade_all([Path(folder)], lessons, sandboxed=problem is None)
    submission.flags = []  # integrity flags are for the instructor's own run: this gradebook is the student's
    stamp = run_stamp()
    json_path = Path(json_path)
    write_gradebook([submission], lessons, json_path, json_path.with_suffix(".csv"), stamp, problem is None,
                    fresh=True)
    with open(summary_path, "a", encoding="utf-8") as summary:
        summary.write(summary_markdown(submission, stamp[1], problem))
    return submission


def summary_markdown(submission, course_version, why_unsandboxed=None):
    """The job's summary: the total, then a table per lesson with a row per TODO (done, points, what to look
    at). Text from the submission is escaped: it shows as text, never as Markdown or HTML."""
    lines = [f"# Lesson feedback: {submission.total:g} of {submission.maximum} points", "", ADVICE, "",
             f"Graded with the course's tests at {escaped(course_version)}."]
    if why_unsandboxed:
        lines.append(f"Your code ran without the grader's sandbox on this runner ({escaped(why_unsandboxed)}).")
    if submission.problem:
        return "\n".join(lines + ["", f"Not graded: {escaped(submission.problem)}", ""])
    for grade in submission.grades:
        lesson, scored = grade.lesson, grade.scored
        lines += ["", f"## {lesson.id[:2]} {escaped(lesson.title)}: {grade.score:g} of {lesson.points}", "",
                  "| TODO | points | done | what to look at |", "|---|---|---|---|"]
        for number, share in todo_shares(lesson).items():
            done = scored.done[number]
            lines.append(f"| {number} | {share if done else 0} of {share} | {'✔' if done else '✘'} | "
                         f"{table_cell(todo_report(grade, number))} |")
        if grade.run.advice:
            lines += ["", "Advice (it costs no points): your code raises warnings that a later library version "
                          "may turn into errors: " + "; ".join(escaped(warning) for warning in grade.run.advice)]
    return "\n".join(lines) + "\n"


def table_cell(lines):
    """Lines of plain text as one Markdown table cell: escaped, joined by line breaks, cut at CELL_LIMIT."""
    text = "\n".join(line.strip() for line in lines)
    if len(text) > CELL_LIMIT:
        text = text[:CELL_LIMIT] + " [...]"
    return "<br>".join(escaped(line) for line in text.splitlines())
