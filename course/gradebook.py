"""What grading writes: the gradebook (CSV, JSON), a feedback file per submission, and a summary table."""
import csv
import json

from course.report import explain_failure, in_plain_words, requirements
from course.scoring import todo_shares


def write_csv(submissions, lessons, path):
    """One row per submission: each lesson's score, the total and the maximum."""
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["submission", *(lesson.id for lesson in lessons), "total", "max"])
        for submission in submissions:
            writer.writerow([submission.name, *(grade.score for grade in submission.grades), submission.total,
                             submission.maximum])


def write_json(submissions, path):
    """Everything the CSV has, plus each lesson's counts, failed tests and problem."""
    rows = [
        {
            "submission": submission.name,
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
            lines += ["", *(f"    {line}" for line in explain_failure(lesson, requirement.first_failure))]
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


def write_feedback(submissions, folder):
    folder.mkdir(parents=True, exist_ok=True)
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
