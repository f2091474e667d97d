"""Grade a TODO on its own, so that a bug in one TODO costs that TODO alone.

A starter and its reference differ only inside the TODO regions (the course's contract, checked by
tests/test_course.py). So a submission's region N can be put into the reference in place of the reference's
own region N: the result is the course's lesson with only TODO N written by the student. If TODO N's tests (and
the unmarked ones) pass there, the student's TODO N is right, whatever their other TODOs do; the grader counts
it (course/grading.py).

This holds only for a submission that kept to the contract: one whose code outside the TODO regions is the
starter's. Code changed outside them (a crash added to app.py, say) is part of what the whole run graded, and
grafting the TODOs onto the reference would hide it: such a lesson keeps its whole run's score.

Only TODOs the whole run did not earn are graded this way, and only where it can change something: a region
left as the starter has it earns nothing (no run), a region the same as the reference's earns its share (no run
either: the reference passes its tests, the grader checked it), anything else is run in the sandbox like any
other run. What the student sees of such a run is which tests failed, never their messages: the run had the
reference's code of the other TODOs, which a message printed by the student's code could show.
"""
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from course.lessons import ROOT
from course.regions import find_regions, lesson_files, outside_regions, replace_regions


@dataclass
class PartialCredit:
    """TODO N graded on its own: whether it earned its share, how (words for the feedback), and which of its
    tests failed when it did not."""

    earned: bool
    how: str
    failed: list = field(default_factory=list)


def grade_todos_alone(lesson, folder, whole, run_alone):
    """({TODO number: PartialCredit} for the TODOs `whole` (the whole run's LessonScore) did not earn, why none
    could be graded on its own, if so). `run_alone(folder, number)` runs TODO `number`'s tests on a lesson folder
    and returns its LessonRun."""
    reference, starter = ROOT / "solutions" / lesson.id, ROOT / "lessons" / lesson.id
    if not reference.is_dir():  # a student edition has no reference to graft onto
        return {}, ""
    changed = changed_outside_regions(folder, starter)
    if changed:
        return {}, (f"your code outside the TODO regions differs from the starter's ({', '.join(changed)}), so the "
                    "TODOs were graded only together")
    graded = {}
    for number, done in whole.done.items():
        if done:
            continue
        mine = regions(folder, number)
        if mine is None or set(mine) != set(regions(starter, number)):
            graded[number] = PartialCredit(False, "its TODO lines were not found (keep the TODO and END TODO lines)")
        elif mine == regions(starter, number):
            graded[number] = PartialCredit(False, "not started: its code is the starter's")
        elif mine == regions(reference, number):
            graded[number] = PartialCredit(True, "its code is right on its own: the rest of the lesson breaks "
                                                 "its tests")
        else:
            graded[number] = run_in_reference(lesson, folder, number, run_alone)
    return graded, ""


CODE = (".py", ".js", ".html", ".css")


def changed_outside_regions(folder, starter):
    """The starter's code files that the submission lacks, or whose code outside the TODO regions differs from the
    starter's (spaces at the ends of lines and of the file aside)."""
    def outside(path):
        text = "" if path.is_symlink() or not path.is_file() else path.read_text(errors="replace")
        return [line.rstrip() for line in outside_regions(text).rstrip().splitlines()]

    return [str(path) for path in lesson_files(starter)
            if path.suffix in CODE and outside(folder / path) != outside(starter / path)]


def run_in_reference(lesson, folder, number, run_alone):
    with tempfile.TemporaryDirectory(prefix="todo-alone-") as work:
        grafted = Path(work) / lesson.id
        graft(ROOT / "solutions" / lesson.id, folder, number, grafted)
        run = run_alone(grafted, number)
    failed = sorted({outcome.name.split("[", 1)[0] for outcome in run.outcomes if not outcome.passed})
    if run.problem or not run.outcomes:
        return PartialCredit(False, "on its own, with the rest of the lesson as in the course's reference, its tests "
                                    "could not run either")
    if failed:
        return PartialCredit(False, "on its own, with the rest of the lesson as in the course's reference, its tests "
                                    "still fail", failed)
    return PartialCredit(True, "its code is right on its own: with the rest of the lesson as in the course's "
                               "reference its tests pass (your other code breaks them)")


def regions(folder, number):
    """{file: [the bodies of its regions `number`, in order]} for every file of the lesson folder that has that
    region (a TODO may have several in one file: lesson 02's TODO 1 is set_password and check_password), or None
    when no file has it. Links are passed over: a submission's link may point at anything of the grader's."""
    found = {}
    for path in lesson_files(folder):
        if path.suffix not in (".py", ".js") or (folder / path).is_symlink():
            continue
        text = (folder / path).read_text(errors="replace")
        for match in find_regions(text):
            if int(match.group(2)) == number:
                found.setdefault(str(path), []).append(text[match.end(1):match.start(3)])
    return found or None


def graft(reference, folder, number, destination):
    """Write to `destination` the reference lesson with its region `number` replaced by the submission's."""
    shutil.copytree(reference, destination, ignore=shutil.ignore_patterns("__pycache__", "instance"))
    theirs = regions(folder, number)
    for name, bodies in theirs.items():
        path = destination / name
        if not path.is_file():
            continue
        in_order = iter(bodies)  # the file's regions `number`, first to last (the same as the starter's: checked)
        path.write_text(replace_regions(path.read_text(), lambda match: match.group(1) + next(in_order) + match.group(3)
                                        if int(match.group(2)) == number else match.group(0)))
