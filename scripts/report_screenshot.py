"""Make the README's picture of a grading report: grade a sample class with `python -m course grade`, open the
report in headless Chromium and save a screenshot (docs/grading-report.png by default).

    python scripts/report_screenshot.py [--output docs/grading-report.png]

The class: reference solutions, students who stopped after some lesson (the solutions up to it, the starters
after it), an untouched starter, lessons broken in the ways course/sample_submissions.py knows, a cheat, and a
classmate's copy with renamed names (so that the report's flags and its side-by-side code show).
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from course.browser import INSTALL, chromium_path, launch
from course.lessons import ROOT, all_lessons
from course.sample_submissions import CHEATS, OWN_WAY, make_cheat, make_submission, renamed, write_regions


def stopped_after(folder, last_done):
    """A submission with the solutions up to lesson `last_done` and the untouched starters after it."""
    make_submission(folder)
    for lesson in all_lessons():
        if lesson.number > last_done:
            shutil.rmtree(folder / lesson.id)
            shutil.copytree(ROOT / "lessons" / lesson.id, folder / lesson.id)
    return folder


def make_class(folder):
    make_submission(folder / "reference-a")
    make_submission(folder / "reference-b")
    stopped_after(folder / "stopped-after-04", 4)
    stopped_after(folder / "stopped-after-03", 3)
    stopped_after(folder / "stopped-after-02", 2)
    stopped_after(folder / "stopped-after-01", 1)
    make_submission(folder / "untouched", source="lessons")
    make_submission(folder / "syntax-error-in-03", "solutions", "03_protected_route", "syntax_error")
    make_submission(folder / "endless-loop-in-04", "solutions", "04_expiry", "loop_at_import")
    make_submission(folder / "missing-05", "solutions", "05_error_handling", "missing_lesson")
    make_cheat(folder / "patches-the-report", CHEATS["patches_reports"])
    for name, bodies in (("own-way", OWN_WAY), ("copy-of-own-way", {n: renamed(body) for n, body in OWN_WAY.items()})):
        write_regions(make_submission(folder / name) / "01_config" / "config.py", bodies)
    return sorted(folder.iterdir())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "grading-report.png")
    args = parser.parse_args()
    if chromium_path() is None:
        sys.exit(f"Chromium is not installed: {INSTALL}")
    with tempfile.TemporaryDirectory(prefix="course-report-") as scratch:
        work = Path(scratch)
        folders = make_class(work / "submissions")
        subprocess.run([sys.executable, "-m", "course", "grade", *map(str, folders), "--jobs", "2",
                        "--csv", str(work / "grades.csv"), "--feedback", str(work / "feedback")], cwd=ROOT, check=True)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto((work / "grades.html").as_uri())
            page.screenshot(path=args.output, full_page=True)
            browser.close()
    print(f"Screenshot: {args.output}")


if __name__ == "__main__":
    main()
