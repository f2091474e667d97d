"""What grading writes, once every run has ended: the gradebook (JSON, the record; CSV, its table), a feedback
file per submission, and a summary table.

- Every file is written whole and then moved into place (os.replace), so a reader never sees half of one.
- The JSON gradebook keeps one row per submission with everything the class report needs, and a digest of each
  row as the grader wrote it. Grading some submissions again updates their rows and keeps the others, but only
  rows whose digest still matches: a row changed or added by anything but the grader is dropped, and said.
- The CSV is rewritten from those rows every time (a row added to the CSV by hand does not survive either).
- Feedback is for the student: scores, TODOs, what failed in plain words. It never carries integrity flags or
  another student's name, and every text that comes from a submission (its name, messages its code raised) is
  escaped for Markdown, or shown in a code block.
"""
import csv
import hashlib
import io
import json
import os
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from course.lessons import ROOT
from course.report import explain_failure, in_plain_words, requirements
from course.scoring import todo_shares

FORMAT = 2  # the JSON gradebook's layout; a gradebook of another layout is started over only with --fresh


def run_stamp():
    """(when, which commit of the course) for the gradebook: a grade can be traced to the tests that gave it."""
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        version = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        version = "unknown (not a git checkout)"
    return when, version


def write_atomically(path, text):
    """Write `text` to a file beside `path`, then move it into place: `path` is never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


# --- The gradebook -------------------------------------------------------------------------------------------

def row_of(submission, stamp, sandboxed):
    """One submission's row of the JSON gradebook (its digest added by write_gradebook)."""
    return {
        "submission": submission.name,
        "graded_at": stamp[0],
        "course_version": stamp[1],
        "sandboxed": sandboxed,
        "problem": submission.problem,
        "flags": submission.flags,
        "similar": [{"lesson": pair.lesson_id, "other": pair.second if pair.first == submission.name else pair.first,
                     "ratio": pair.ratio, "code": pair.code} for pair in submission.similar],
        "total": submission.total,
        "max": submission.maximum,
        "lessons": {grade.lesson.id: lesson_entry(grade) for grade in submission.grades},
    }


def lesson_entry(grade):
    scored = grade.scored
    return {
        "score": grade.score,
        "points": grade.lesson.points,
        "passed": grade.run.passed,
        "tests": grade.run.total,
        "problem": grade.run.problem,
        "todos_done": [number for number, done in scored.done.items() if done],
        "broken": scored.broken,
        "advice": grade.run.advice,
        "failed": [outcome.name for outcome in grade.run.outcomes if not outcome.passed],
        "requirements": [{"words": requirement.words, "passed": requirement.passed,
                          "todos": sorted({n for outcome in requirement.outcomes for n in outcome.todos})}
                         for requirement in requirements(grade.run)],
        "alone": {str(number): {"earned": alone.earned, "how": alone.how, "failed": alone.failed}
                  for number, alone in grade.partial.items()},
        "alone_note": grade.partial_note,
        "course_files": grade.course_files,
        "reused": grade.reused,
        "seconds": round(grade.run.seconds, 2),
    }


def digest_of(row):
    """A hash of a row's content as the grader wrote it (the digest itself left out)."""
    content = {key: value for key, value in row.items() if key != "digest"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def earlier_rows(path, lessons):
    """({submission: row} of an existing JSON gradebook whose digests match, [names of rows that do not]). A
    gradebook of other lessons or of another layout is an error: --fresh starts it over."""
    if not path.exists():
        return {}, []
    try:
        book = json.loads(path.read_text())
    except ValueError:
        raise ValueError(f"{path} is not a gradebook the grader wrote: use --fresh to start it over, "
                         "or another --json") from None
    if not isinstance(book, dict) or book.get("format") != FORMAT:
        raise ValueError(f"{path} is a gradebook of another layout: use --fresh to start it over, or another --json")
    if book.get("lessons") != [lesson.id for lesson in lessons]:
        raise ValueError(f"{path} has other lessons ({', '.join(book.get('lessons', []))}): use --fresh to start "
                         "it over, or another --csv/--json")
    kept, untrusted = {}, []
    for row in book.get("rows", []):
        if isinstance(row, dict) and row.get("digest") == digest_of(row):
            kept[row["submission"]] = row
        else:
            untrusted.append(str(row.get("submission", "?")) if isinstance(row, dict) else "?")
    return kept, untrusted


def write_gradebook(submissions, lessons, json_path, csv_path, stamp, sandboxed, fresh=False):
    """Write the JSON gradebook and the CSV: this run's rows, and the earlier rows the grader wrote (unless
    `fresh`). Returns (every row, in the gradebook's order; what changed, in words; rows dropped as not written by
    the grader; CSV rows that had been changed outside the grader)."""
    rows, untrusted = ({}, []) if fresh else earlier_rows(json_path, lessons)
    changed_csv = [] if fresh else csv_rows_changed(csv_path, rows, lessons)
    updated = sum(submission.name in rows for submission in submissions)
    kept = len(rows) - updated
    for submission in submissions:
        row = row_of(submission, stamp, sandboxed)
        rows[submission.name] = {**row, "digest": digest_of(row)}
    book = {"format": FORMAT, "lessons": [lesson.id for lesson in lessons], "rows": list(rows.values())}
    write_atomically(json_path, json.dumps(book, indent=1))
    write_atomically(csv_path, csv_text(rows.values(), lessons))
    words = f"{len(submissions) - updated} added, {updated} updated, {kept} kept from earlier runs"
    return list(rows.values()), words, untrusted, changed_csv


CSV_END = ["total", "max", "graded_at", "course_version", "sandboxed", "flags"]


def csv_text(rows, lessons):
    """The gradebook as a table: one row per submission, each lesson's score, the total and how it was graded."""
    header = ["submission", *(lesson.id for lesson in lessons), *CSV_END]
    output = io.StringIO()
    writer = csv.DictWriter(output, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_row(row, lessons) for row in rows)
    return output.getvalue()


def csv_row(row, lessons):
    return {"submission": row["submission"], **{lesson.id: row["lessons"][lesson.id]["score"] for lesson in lessons},
            "total": row["total"], "max": row["max"], "graded_at": row["graded_at"],
            "course_version": row["course_version"], "sandboxed": "yes" if row["sandboxed"] else "NO",
            "flags": "; ".join(row["flags"])}


def csv_rows_changed(path, rows, lessons):
    """Names of the rows of an existing CSV that are not what the grader wrote for the JSON's rows (added or
    changed by hand, or by a program): the CSV is rewritten from the JSON, so they are said, then gone."""
    if not path.exists():
        return []
    expected = {row["submission"]: {key: str(value) for key, value in csv_row(row, lessons).items()}
                for row in rows.values()}
    with open(path, newline="") as file:
        return [found.get("submission", "?") for found in csv.DictReader(file)
                if expected.get(found.get("submission")) != found]


# --- Feedback, for the student -------------------------------------------------------------------------------

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def escaped(text):
    """Text from a submission, shown as text in Markdown (and in the HTML a Markdown viewer makes of it)."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def code_block(lines, indent=""):
    """Lines that may hold a submission's text, as a fenced code block (a fence longer than any run of
    backticks inside, so nothing can close it early)."""
    text = "\n".join(lines)
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return [f"{indent}{fence}text", *(f"{indent}{line}" for line in text.splitlines()), f"{indent}{fence}", ""]


def feedback_text(submission):
    """What a student reads: per lesson, the score, each TODO, and what failed, in plain words."""
    lines = [f"# Feedback for {escaped(submission.name)}", "", f"Total: {submission.total:g} of {submission.maximum}",
             ""]
    if submission.problem:
        return "\n".join(lines + ["Not graded:", "", *code_block([submission.problem], "")])
    for grade in submission.grades:
        lesson = grade.lesson
        lines += [f"## {lesson.id[:2]} {lesson.title}: {grade.score:g} of {lesson.points}", ""]
        if grade.course_files:
            lines += ["These files hold no TODO, so the course's own copy of them was graded: "
                      + ", ".join(escaped(name) for name in grade.course_files) + ".", ""]
        lines += todo_lines(grade)
        if grade.run.problem:
            lines += ["Not graded as a whole:", "", *code_block([grade.run.problem], ""), ""]
            continue
        failed = [requirement for requirement in requirements(grade.run) if not requirement.passed]
        lines.append(f"{grade.run.passed} of {grade.run.total} tests pass." + ("" if failed else " Well done."))
        for requirement in failed:
            lines += ["", *code_block(explain_failure(lesson, requirement.first_failure, grade.run.outcomes))]
        lines.append("")
        if grade.run.advice:
            lines += ["Advice (it costs no points): your code raises these warnings; a later library version may "
                      "turn them into errors.", "", *code_block(grade.run.advice), ""]
    return "\n".join(lines)


def todo_lines(grade):
    """One line per TODO: done or not, its points, and how a TODO graded on its own fared; then what broke, if
    something that worked no longer does."""
    scored, lines = grade.scored, []
    for number, share in todo_shares(grade.lesson).items():
        line = f"- TODO {number} ({share} points): {'done' if scored.done[number] else 'not done yet'}"
        alone = grade.partial.get(number)
        if alone:
            line += f" ({alone.how}"
            line += f": {', '.join(in_plain_words(name) for name in alone.failed)})" if alone.failed else ")"
        lines.append(line)
    if scored.broken:
        names = sorted({in_plain_words(name) for name in scored.broken})
        lines.append(f"- No TODO counts while something the starter did right is broken: {'; '.join(names)}.")
    if grade.partial_note:
        lines.append(f"- {escaped(grade.partial_note)}.")
    return lines + [""]


def write_feedback(submissions, folder, gradebook_names):
    """One file per submission graded now; files of submissions no longer in the gradebook are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.md"):
        if stale.stem not in gradebook_names:
            stale.unlink()
    for submission in submissions:
        write_atomically(folder / f"{submission.name}.md", feedback_text(submission))


def summary_table(submissions, lessons):
    """A text table: one row per submission, one column per lesson."""
    name_width = max([len("submission")] + [len(submission.name) for submission in submissions])
    header = f"{'submission':<{name_width}}  " + "  ".join(f"{lesson.id[:2]:>6}" for lesson in lessons)
    lines = [header + "   total"]
    for submission in submissions:
        scores = "  ".join(f"{grade.score:>6g}" for grade in submission.grades)
        lines.append(f"{submission.name:<{name_width}}  {scores}   {submission.total:g}/{submission.maximum}")
    return "\n".join(lines)
