"""Make sample submissions for testing and benchmarking the grader: copies of the reference solutions or the
starters, and copies broken in one lesson in each of the ways students' work really breaks."""
import shutil

from course.lessons import LOCAL_FILES, ROOT
from course.regions import REGION

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
    # Stopping the program (BaseException, not Exception) at import, while building the app, or in a request.
    "exit_in_create_app": ("app.py", "", "\n\ndef create_app(test_config=None):\n    raise SystemExit('bye')\n"),
    "interrupt_in_request": ("app.py", "", "\n\nmake_app = create_app\n\n\ndef create_app(test_config=None):\n"
                             "    app = make_app(test_config)\n    app.before_request(stop)\n    return app\n\n\n"
                             "def stop():\n    raise KeyboardInterrupt\n"),
    # Working code that calls an API SQLAlchemy deprecates (a LegacyAPIWarning): lesson 03 and later only.
    "legacy_query_get": ("auth.py", "", "\n\ndef load_user(jwt_header, jwt_payload):\n"
                         "    user_id = user_id_from(jwt_payload['sub'])\n"
                         "    return None if user_id is None else User.query.get(user_id)\n"),
    # Every TODO done, but what the starter did right is broken (a missing post: 500, not 404): lesson 03 only.
    "missing_post_crashes": ("resources.py", "",
                             "\n\ndef find_blog(blog_id):\n    return db.session.get(Blog, blog_id)\n"),
    # Working code in other words than the reference's: lesson 04 and later only.
    "expired_in_other_words": ("auth.py", "", "\n\ndef token_expired(jwt_header, jwt_payload):\n    return jsonify("
                               "message='Your session timed out, please sign in again.', code='token_expired'), 401\n"),
}
# Breakages that still earn the lesson's full points; every other one scores 0 for its lesson.
GRADE_WHEN_BROKEN = {"noisy": "full", "legacy_query_get": "full", "expired_in_other_words": "full"}


def make_submission(folder, source="solutions", broken_lesson=None, breakage=None):
    """A submission laid out like lessons/: a copy of `source` ("solutions" or "lessons"), with one lesson
    broken by `breakage` (a key of BREAKAGES, or "missing_lesson" / "empty_lesson" / "renamed_app")."""
    shutil.copytree(ROOT / source, folder, ignore=shutil.ignore_patterns(*LOCAL_FILES))
    if breakage is None:
        return folder
    lesson_folder = folder / broken_lesson
    if breakage == "missing_lesson":
        shutil.rmtree(lesson_folder)
    elif breakage == "empty_lesson":
        shutil.rmtree(lesson_folder)
        lesson_folder.mkdir()
    elif breakage == "renamed_app":
        (lesson_folder / "app.py").rename(lesson_folder / "main.py")
    else:
        name, before, after = BREAKAGES[breakage]
        path = lesson_folder / name
        path.write_text(before + path.read_text() + after)
    return folder


def solve_todos(lesson_folder, solution_folder, numbers):
    """Do some of a starter lesson's TODOs: copy the body of each `# TODO N` region numbered in `numbers`
    from the solution's file into the starter's (as a learner who has done only those would have it)."""
    for path in sorted(lesson_folder.glob("*.py")):
        solution = (solution_folder / path.name).read_text()
        solved = {int(match.group(2)): match.group(0) for match in REGION.finditer(solution)}
        path.write_text(REGION.sub(lambda match: solved[int(match.group(2))] if int(match.group(2)) in numbers
                                   else match.group(0), path.read_text()))
    return lesson_folder
