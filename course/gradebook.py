"""What grading writes: the gradebook (CSV, JSON), a feedback file per submission, and a summary table."""
import csv
import json
import subprocess
from datetime import datetime, timezone

from course.lessons import ROOT
from course.report import explain_failure, in_plain_words, requirements
from course.scoring import todo_shares


def write_csv(submissions, lessons, path, run_stamp, fresh=False):
    """One row per submission: each lesson's score, the total, the maximum, and when and with which version of
    the course it was graded. Rows of submissions graded earlier are kept (unless `fresh`), so grading one
    student again updates that student's row. Returns the gradebook's submissions and what changed, in words."""
    header = ["submission", *(lesson.id for lesson in lessons), "total", "max", "graded_at", "course_version",
              "flags"]
    rows = {} if fresh else earlier_rows(path, header)
    updated = sum(submission.name in rows for submission in submissions)
    kept = len(rows) - updated
    for submission in submissions:
        rows[submission.name] = dict(zip(header, [submission.name, *(grade.score for grade in submission.grades),
                                                  submission.total, submission.maximum, *run_stamp,
                                                  "; ".join(submission.flags)], strict=True))
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, header)
        writer.writeheader()
        writer.writerows(rows.values())
    return set(rows), f"{len(submissions) - updated} added, {updated} updated, {kept} kept from earlier runs"


def earlier_rows(path, header):
    """{submission: row} of an existing gradebook with the same columns; {} when there is none."""
    if not path.exists():
        return {}
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames != header:
            raise ValueError(f"{path} has other columns (other lessons?): use --fresh to start it over, "
                             "or another --csv")
        return {row["submission"]: row for row in reader}


def run_stamp():
    """(when, which commit of the course) for the gradebook: a grade can be traced to the tests that gave it."""
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        version = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        version = "unknown (not a git checkout)"
    return when, version


def write_json(submissions, path, run_stamp, fresh=False):
    """Everything the CSV has, plus each lesson's counts, failed tests and problem. Kept rows as in write_csv."""
    earlier = json.loads(path.read_text()) if path.exists() and not fresh else []
    graded_now = {submission.name for submission in submissions}
    rows = [row for row in earlier if row["submission"] not in graded_now] + [
        {
            "submission": submission.name,
            "graded_at": run_stamp[0],
            "course_version": run_stamp[1],
            "problem": submission.problem,
            "flags": submission.flags,
            "total": submission.total,
            "max": submission.maximum,
            "lessons": {
                grade.lesson.id: {
                    "score": grade.score,
                    "points": grade.lesson.points,
                    "passed": grade.run.passed,
                    "tests": grade.run.total,
                    "problem": grade.run.problem,
                    "todos_done": [number for number, done in grade.scored.done.items() if done],
                    "broken": grade.scored.broken,
                    "advice": grade.run.advice,
                    "failed": [outcome.name for outcome in grade.run.outcomes if not outcome.passed],
                }
                for grade in submission.grades
            },
        }
        for submission in submissions
    ]
    with open(path, "w") as file:
        json.dump(rows, file, indent=2)


def feedback_text(submission):
    """What a student reads: per lesson, the score and what failed, in plain words."""
    lines = [f"# Feedback for {submission.name}", "", f"Total: {submission.total} of {submission.maximum}", ""]
    if submission.flags:
        lines += ["Flags for the instructor to look at (nothing is deducted for them):", "",
                  *(f"- {flag}" for flag in submission.flags), ""]
    if submission.problem:
        return "\n".join(lines + [f"Not graded: {submission.problem}.", ""])
    for grade in submission.grades:
        lesson = grade.lesson
        lines += [f"## {lesson.id[:2]} {lesson.title}: {grade.score} of {lesson.points}", ""]
        if grade.run.problem:
            lines += [f"Not graded: {grade.run.problem}.", ""]
            continue
        lines += todo_lines(grade.scored)
        failed = [requirement for requirement in requirements(grade.run) if not requirement.passed]
        lines.append(f"{grade.run.passed} of {grade.run.total} tests pass." + ("" if failed else " Well done."))
        for requirement in failed:
            lines += ["", *(f"    {line}" for line in explain_failure(lesson, requirement.first_failure,
                                                                         grade.run.outcomes))]
        lines.append("")
        if grade.run.advice:
            lines += ["Advice (it costs no points): your code raises these warnings; a later library version may "
                      "turn them into errors.", "", *(f"    {text}" for text in grade.run.advice), ""]
    return "\n".join(lines)


def todo_lines(scored):
    """One line per TODO (done or not, and its points), and what broke, if something that worked no longer does."""
    lines = [f"- TODO {number} ({share} points): {'done' if scored.done[number] else 'not done yet'}"
             for number, share in todo_shares(scored.lesson).items()]
    if scored.broken:
        names = sorted({in_plain_words(name) for name in scored.broken})
        lines.append(f"- No TODO counts while something the starter did right is broken: {'; '.join(names)}.")
    return lines + [""]


def write_feedback(submissions, folder, gradebook_names):
    """One file per submission graded now; files of submissions no longer in the gradebook are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.md"):
        if stale.stem not in gradebook_names:
            stale.unlink()
    for submission in submissions:
        (folder / f"{submission.name}.md").write_text(feedback_text(submission))


def summary_table(submissions, lessons):
    """A text table: one row per submission, one column per lesson."""
    name_width = max([len("submission")] + [len(submission.name) for submission in submissions])
    header = f"{'submission':<{name_width}}  " + "  ".join(f"{lesson.id[:2]:>6}" for lesson in lessons)
    lines = [header + "   total"]
    for submission in submissions:
        scores = "  ".join(f"{grade.score:>6g}" for grade in submission.grades)
        lines.append(f"{submission.name:<{name_width}}  {scores}   {submission.total:g}/{submission.maximum}")
    return "\n".join(lines)
