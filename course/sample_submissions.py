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
    # An endless loop that also starts a child process: stopping the grading must stop both. The child carries
    # the file's path in its environment, so a test can tell it from another grading's.
    "loop_at_import": ("models.py", "import subprocess\nsubprocess.Popen(['sleep', '987'], env={'STARTED_BY': __file__})"
                       "\nwhile True:\n    pass\n", ""),
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


# --- The sample class: one graded class for the grader's and the report's tests ------------------------------

BROKEN_LESSON = "02_login"
# Stopping the program in the first lesson: the lessons after it must keep their points.
STOPS = ["exit_at_import", "exit_in_create_app", "interrupt_in_request"]
# Solved unlike the reference, in lessons 03 and 04: graded on their own (tests/test_grading.py).
WORKING = ["legacy_query_get", "expired_in_other_words", "missing_post_crashes"]
# Endless loops: graded on their own with a short timeout, so that no other case waits for one.
LOOPS = ["loop_at_import", "loop_in_request"]
# Breaking the second lesson so that none of it can be graded: the reason is said once.
BREAKAGE_NAMES = [name for name in BREAKAGES if name not in (*WORKING, *STOPS[1:], *LOOPS)] + [
    "missing_lesson", "empty_lesson", "renamed_app"]
# A hook that turns every failed test into a pass: what a student could add to their own conftest.py.
TAMPERING = """

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    report.outcome = "passed"
    return report
"""
OWN_CODE = "\n\ndef describe(user):\n    name = user.username.title()\n    return f'{name} ({user.id})'\n"
OWN_CODE_RESTYLED = ("\n\n# my own helper\ndef describe( user ):\n    name = user.username.title()  # nice\n\n"
                     "    return f'{name} ({user.id})'\n")
# Students whose folder names and test messages are HTML (the report must show them as text).
SCRIPT_NAME = "<script>alert(1)<script>"  # a folder name cannot hold "/", so no "</script>"
IMAGE_NAME = "<img src=x onerror=alert(1)>"
ODD_NAME = "Ana María #2 (100% done)"  # characters a link must encode
HTML_MESSAGE = "<img src=x onerror=alert(2)> <b>not bold</b>"


def make_class(submissions):
    """A class of submissions for lessons 01 and 02: good, untouched, broken in every way we know, laid out in
    every way we accept, tampered with, copied, and named in HTML. Return the submission folders, sorted."""
    make_submission(submissions / "reference")
    make_submission(submissions / "untouched", source="lessons")
    make_submission(submissions / "repository_layout" / "lessons")  # a clone of the whole repository
    for breakage in BREAKAGE_NAMES:
        make_submission(submissions / breakage, broken_lesson=BROKEN_LESSON, breakage=breakage)
    for breakage in STOPS:
        make_submission(submissions / f"first_lesson_{breakage}", broken_lesson="01_config", breakage=breakage)
    make_submission(submissions / "unzipped" / "repo-main" / "lessons")  # a downloaded zip, unpacked
    (submissions / "no_lessons").mkdir()
    (submissions / "no_lessons" / "README.md").write_text("my notes\n")
    tampered = make_submission(submissions / "tampered" / "lessons", source="lessons")
    for part in ("tests", "course"):
        shutil.copytree(ROOT / part, tampered.parent / part, ignore=shutil.ignore_patterns(*LOCAL_FILES))
    shutil.copy(ROOT / "pyproject.toml", tampered.parent)
    with (tampered.parent / "tests" / "conftest.py").open("a") as file:
        file.write(TAMPERING)
    (tampered.parent / "pytest.ini").write_text("[pytest]\n")
    for name, extra in (("copy_a", OWN_CODE), ("copy_b", OWN_CODE_RESTYLED)):
        copy = make_submission(submissions / name)
        with (copy / "01_config" / "config.py").open("a") as file:  # lesson 01: its tests cost least to run
            file.write(extra)
    partial = make_submission(submissions / "todo_1_of_lesson_01", source="lessons")
    solve_todos(partial / "01_config", ROOT / "solutions" / "01_config", [1])
    make_submission(submissions / SCRIPT_NAME)
    make_submission(submissions / IMAGE_NAME, source="lessons")
    make_submission(submissions / ODD_NAME)
    app = make_submission(submissions / "html_message") / "01_config" / "app.py"
    app.write_text(f"raise RuntimeError({HTML_MESSAGE!r})\n" + app.read_text())
    return sorted(str(path) for path in submissions.iterdir())
