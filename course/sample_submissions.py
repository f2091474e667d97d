"""Make sample submissions for testing and benchmarking the grader: copies of the reference solutions or the
starters, and copies broken in one lesson in each of the ways students' work really breaks."""
import shutil

from course.lessons import LOCAL_FILES, ROOT

# How to break a lesson folder: (file to change, text to put first, text to put last)
BREAKAGES = {
    "syntax_error": ("resources.py", "", "\ndef broken(:\n"),
    "import_error": ("app.py", "import a_module_that_does_not_exist\n", ""),
    "exit_at_import": ("app.py", "import sys\nsys.exit(3)\n", ""),
    "crash": ("app.py", "import os\nos._exit(9)\n", ""),  # the interpreter dies: no report at all
    "noisy": ("app.py", "print('x' * 5_000_000)\n", ""),  # megabytes of output, then works
    # An endless loop that also starts a child process: stopping the grading must stop both.
    "loop_at_import": ("models.py", "import subprocess\nsubprocess.Popen(['sleep', '987'])\nwhile True:\n    pass\n",
                       ""),
    "loop_in_request": ("schemas.py", "", "\n\ndef load_json(schema):\n    while True:\n        pass\n"),
}
GRADE_WHEN_BROKEN = {"noisy": "full"}  # every other breakage scores 0 for its lesson


def make_submission(folder, source="solutions", broken_lesson=None, breakage=None):
    """A submission laid out like lessons/: a copy of `source` ("solutions" or "lessons"), with one lesson
    broken by `breakage` (a key of BREAKAGES, or "missing_lesson" / "empty_lesson")."""
    shutil.copytree(ROOT / source, folder, ignore=shutil.ignore_patterns(*LOCAL_FILES))
    if breakage is None:
        return folder
    lesson_folder = folder / broken_lesson
    if breakage == "missing_lesson":
        shutil.rmtree(lesson_folder)
    elif breakage == "empty_lesson":
        shutil.rmtree(lesson_folder)
        lesson_folder.mkdir()
    else:
        name, before, after = BREAKAGES[breakage]
        path = lesson_folder / name
        path.write_text(before + path.read_text() + after)
    return folder
