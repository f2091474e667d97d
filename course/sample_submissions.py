"""Make sample submissions for testing and benchmarking the grader: copies of the reference solutions or the
starters, and copies broken in one lesson in each of the ways students' work really breaks."""
import functools
import os
import re
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
    # LOOP_MARKER in its environment (a test makes it unique), so a test can tell it from another grading's.
    "loop_at_import": ("models.py", "import subprocess\n"
                       "subprocess.Popen(['sleep', '987'], env={'STARTED_BY': 'course-sample-loop'})"
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
LOOP_MARKER = "course-sample-loop"
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
# Students whose folder names and test messages are HTML (the report must show them as text).
SCRIPT_NAME = "<script>alert(1)<script>"  # a folder name cannot hold "/", so no "</script>"
IMAGE_NAME = "<img src=x onerror=alert(1)>"
ODD_NAME = "Ana María #2 (100% done)"  # characters a link must encode
HTML_MESSAGE = "<img src=x onerror=alert(2)> <b>not bold</b>"

# --- Cheats: what a student who has read the grader might put in a lesson's code ------------------------------
# Each goes first in lesson 01's config.py of an otherwise untouched starter (so honest work cannot explain any
# point it earns); its lesson 02 is the reference, which must keep its 20 points whatever lesson 01 did.
# REDIS_MARKER and HELPER_MARKER let the tests find what a cheat started or touched, and nothing else.
HELPER_MARKER = "course-cheat-helper"
PTH_FILE = "zz_course_cheat.pth"
CHEATS = {
    # Rewrite every test report as a pass (a patch of pytest's own report class, from lesson code).
    "patches_reports": """
import _pytest.reports
_make = _pytest.reports.TestReport.__init__
def _passing(self, *args, **kwargs):
    _make(self, *args, **kwargs)
    self.outcome, self.longrepr = "passed", None
_pytest.reports.TestReport.__init__ = _passing
""",
    # Run the reference solution's code instead of one's own.
    "reads_solutions": """
import course.lessons
exec(compile((course.lessons.ROOT / "solutions" / "01_config" / "config.py").read_text(), "config.py", "exec"))
""",
    # Write into every file it can reach: classmates' copies, the course's tests, gradebooks, feedback.
    "writes_outside": """
import os
from pathlib import Path
for _top in (Path(__file__).resolve().parents[2], Path.cwd() / "tests", Path.cwd(), Path.home()):
    for _path in list(_top.rglob("*"))[:2000]:
        if _path.suffix in (".py", ".csv", ".json", ".md") and "01_config" not in _path.parts:
            try:
                with open(_path, "a") as _file:
                    _file.write("# written by a classmate\\n")
            except OSError:
                pass
""",
    # Knock on every local port and tell whatever answers (a Redis server of a classmate's run) to stop.
    "stops_servers": """
import socket
for _port in range(1024, 65536):
    with socket.socket() as _probe:
        _probe.settimeout(0.05)
        if _probe.connect_ex(("127.0.0.1", _port)) == 0:
            _probe.sendall(b"FLUSHALL\\r\\nSHUTDOWN NOSAVE\\r\\n")
""",
    # Leave a helper behind that rewrites the gradebook once the grader has finished.
    "detached_helper": f"""
import subprocess
subprocess.Popen(["sh", "-c", "sleep 30; echo ghost,10,20,30,30 >> grades.csv", "{HELPER_MARKER}"],
                 start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
""",
    # End the test process at once, with a "success" exit code, before any test can fail.
    "exits_early": """
import os
os._exit(0)
""",
    # Plant a .pth file in the grader's own packages (it would run in every later process), then leave.
    "plants_pth_file": f"""
import os
import site
for _folder in site.getsitepackages():
    try:
        with open(os.path.join(_folder, "{PTH_FILE}"), "w") as _file:
            _file.write("import os; os.environ['GRADED_BY_A_CHEAT'] = '1'\\n")
    except OSError:
        pass
os._exit(0)
""",
    # Flood the grader with output (36 MB).
    "floods_output": """
import sys
for _ in range(36):
    sys.stdout.write("x" * 1_000_000)
""",
}
# A cheat that sleeps in every lesson: graded on its own, with a short time limit (tests/test_grading.py).
SLEEPER = "import time\ntime.sleep(3600)\n"

# Lesson 01 solved in a way of its own (not the reference's), and a classmate's copy of it with other names,
# other messages and other formatting: the similarity check must still see one code.
OWN_WAY = {
    1: """        values = environ
        secret_text = values.get("JWT_SECRET_KEY", "")
        self.JWT_SECRET_KEY = secret_text
        minutes_text = values.get("JWT_ACCESS_TOKEN_EXPIRES", DEFAULT_EXPIRY_MINUTES)
        self.JWT_ACCESS_TOKEN_EXPIRES = minutes_from_text(minutes_text, "JWT_ACCESS_TOKEN_EXPIRES")
""",
    2: """    key = config.get("JWT_SECRET_KEY") or ""
    size = len(key.encode("utf-8"))
    if size == 0:
        raise ConfigError("JWT_SECRET_KEY is missing: " + MAKE_A_KEY)
    if size < MIN_SECRET_BYTES:
        raise ConfigError("JWT_SECRET_KEY has only " + str(size) + " bytes: " + MAKE_A_KEY)
    lifetime = config.get("JWT_ACCESS_TOKEN_EXPIRES")
    if not isinstance(lifetime, timedelta):
        raise ConfigError("JWT_ACCESS_TOKEN_EXPIRES must be a number of minutes")
    if lifetime <= timedelta(0):
        raise ConfigError("JWT_ACCESS_TOKEN_EXPIRES must be more than zero")
""",
}
RENAMES = {"values": "env", "secret_text": "s", "minutes_text": "m", "key": "the_secret", "size": "n",
           "lifetime": "duration", "is missing": "was not set", "must be": "has to be"}


def write_regions(path, bodies):
    """Replace the bodies of a file's TODO regions: {TODO number: new body}."""
    text = path.read_text()
    path.write_text(REGION.sub(lambda match: match.group(1) + bodies[int(match.group(2))] + match.group(3)
                               if int(match.group(2)) in bodies else match.group(0), text))


def renamed(code):
    """The code with the names and words of RENAMES changed, and a comment: a copy that hides itself."""
    for old, new in RENAMES.items():
        code = re.sub(rf"\b{re.escape(old)}\b", new, code)
    return code.replace("\n", "  # my own work\n", 1)


def make_cheat(folder, cheat_code):
    """A submission whose lesson 01 is the starter with `cheat_code` first in config.py, and whose other lessons
    are the reference."""
    make_submission(folder)
    shutil.rmtree(folder / "01_config")
    shutil.copytree(ROOT / "lessons" / "01_config", folder / "01_config", ignore=shutil.ignore_patterns(*LOCAL_FILES))
    config = folder / "01_config" / "config.py"
    config.write_text(cheat_code.lstrip() + config.read_text())
    return folder


def make_honest(submissions):
    """The honest part of a class: {name: folder}. Their grades must not depend on who else is graded with them,
    nor in which order."""
    honest = {"reference": make_submission(submissions / "reference"),
              "untouched": make_submission(submissions / "untouched", source="lessons")}
    partial = make_submission(submissions / "todo_1_of_lesson_01", source="lessons")
    solve_todos(partial / "01_config", ROOT / "solutions" / "01_config", [1])
    honest["todo_1_of_lesson_01"] = partial
    # Lesson 02 right but for TODO 3, whose token has a number for its identity (GUIDE trap 2): the token is made,
    # but no protected request could use it. TODOs 1 and 2 must keep their points.
    buggy = make_submission(submissions / "bug_in_todo_3_of_lesson_02")
    resources = buggy / "02_login" / "resources.py"
    resources.write_text(resources.read_text().replace("identity=str(user.id)", "identity=user.id"))
    honest["bug_in_todo_3_of_lesson_02"] = buggy
    # Lesson 02's TODO 1 is two regions of models.py (set_password, check_password): a slip in the first one only.
    # TODOs 2 and 3 (the reference's code) keep their points; TODO 1 does not, though its second region is right.
    slipped = make_submission(submissions / "bug_in_set_password_of_lesson_02")
    models = slipped / "02_login" / "models.py"
    stored = 'self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])'
    models.write_text(models.read_text().replace(stored, "self.password_hash = password"))  # the password itself
    honest["bug_in_set_password_of_lesson_02"] = slipped
    own_way = make_submission(submissions / "own_way")
    write_regions(own_way / "01_config" / "config.py", OWN_WAY)
    honest["own_way"] = own_way
    return honest


def make_class(submissions):
    """A class of submissions for lessons 01 and 02: honest (good, untouched, partial, buggy, solved their own
    way), broken in every way we know, laid out in every way we accept, cheating in every way we know, a
    classmate's copy with renamed names, and named in HTML. Return the submission folders, sorted."""
    make_honest(submissions)
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
    for name, code in CHEATS.items():
        make_cheat(submissions / name, code)
    copy = make_submission(submissions / "renamed_copy_of_own_way")
    write_regions(copy / "01_config" / "config.py", {number: renamed(body) for number, body in OWN_WAY.items()})
    make_submission(submissions / SCRIPT_NAME)
    make_submission(submissions / IMAGE_NAME, source="lessons")
    make_submission(submissions / ODD_NAME)
    app = make_submission(submissions / "html_message") / "01_config" / "app.py"
    app.write_text(f"raise RuntimeError({HTML_MESSAGE!r})\n" + app.read_text())
    return sorted(str(path) for path in submissions.iterdir())


# --- Attacks by a student who has read the grader's code (tests/test_grading_attacks.py, scripts/redteam/) -------
# Each makes one submission for lessons 01 (and 02, the reference, where a layout needs it). What each must get is
# in tests/test_grading_attacks.py; scripts/redteam/ shows what each got before its fix.

def lessons_link_to_solutions(folder):
    """A repository-shaped submission whose lessons/ is a link to the course's solutions/ (git keeps links)."""
    folder.mkdir(parents=True)
    (folder / "lessons").symlink_to(ROOT / "solutions")


def lessons_link_loop(folder):
    """A repository-shaped submission whose lessons/ is a link to itself: Path.resolve() raises RuntimeError."""
    folder.mkdir(parents=True)
    (folder / "lessons").symlink_to("lessons")


def name_not_utf8(folder):
    """The reference, with a file in lesson 01 whose name is not UTF-8 (git keeps any bytes in a name)."""
    lesson = make_submission(folder) / "01_config"
    (lesson / os.fsdecode(b"\xff.py")).write_text("")


DEEP = 600  # folders one in another: enough for shutil.copytree's recursion (two frames a level), not for rmtree


def deep_folders(folder):
    """The reference, with folders nested DEEP levels in lesson 01."""
    path = make_submission(folder) / "01_config"
    for _ in range(DEEP):
        path = path / "d"
        path.mkdir()


def link_in_lesson(folder):
    """The reference, with a link in lesson 01 to a folder of the machine: the grader's own process reads the
    lesson's files (partial credit, integrity), and a file of the starter's name under it would be read there."""
    (make_submission(folder) / "01_config" / "static").symlink_to("/usr/share")


def compiled_code(folder):
    """The reference, with compiled code in lesson 01 (a .pyc beside the sources is imported like a module):
    code that runs, yet that no check and no reader can read."""
    lesson = make_submission(folder) / "01_config"
    (lesson / "helpers.pyc").write_bytes(b"not really bytecode")


def tests_link(folder):
    """A repository-shaped submission whose tests/ is a link (here to the course's own tests/; it could be /)."""
    make_submission(folder / "lessons")
    (folder / "tests").symlink_to(ROOT / "tests")


# Lesson code (first in lesson 01's config.py of a starter, as CHEATS) written against the grader's internals.
INFORMED_CHEATS = {
    # A thread that rewrites the run's report log, a file at a path the grader's code names, turning every failure
    # but the canaries' (their reports name must_fail) into a pass, in place and at the same length. Not a daemon:
    # pytest waits for it. No import, call or word of course/integrity.py's lists.
    "rewrites_report_log": """
import threading
import time


def _keep_passing():
    finished = False
    while not finished:
        time.sleep(0.005)
        try:
            with open("/run/grading/report.jsonl", "r+b") as log:
                text = log.read()
                lines = [line if b"must_fail" in line else line.replace(b'"outcome": "failed"', b'"outcome": "passed"')
                         for line in text.split(b"\\n")]
                log.seek(0)
                log.write(b"\\n".join(lines))
            finished = b"SessionFinish" in text
        except OSError:  # no such file: nothing to rewrite
            return


threading.Thread(target=_keep_passing).start()
""",
    # Swap the report log for a named pipe: the grader, reading the log after the run, would wait for ever.
    "fifo_for_report_log": """
import os

if os.path.exists("/run/grading/report.jsonl") and not os.path.exists("/run/grading/swapped"):
    os.mkdir("/run/grading/swapped")
    os.remove("/run/grading/report.jsonl")
    os.mkfifo("/run/grading/report.jsonl")
""",
    # A named pipe in its own folder, named by an error message that looks like a traceback's line: the grader
    # reads the file a traceback names to find which TODO raised.
    "fifo_in_traceback": """
import os

_here = os.path.dirname(os.path.abspath(__file__))
if not os.path.exists(os.path.join(_here, "trap")):
    os.mkfifo(os.path.join(_here, "trap"))
raise RuntimeError('File "%s/trap", line 1' % _here)
""",
    # Lines written into the report log's pipe (found among the process's open files): JSON pytest would never
    # write, and a line that does not parse. The grader read them with json.loads and report["nodeid"]: a crash.
    "forges_log_lines": """
import os

for _fd in os.listdir("/proc/self/fd"):
    try:
        if os.readlink("/proc/self/fd/" + _fd).startswith("pipe:"):
            os.write(int(_fd), b'[]\\n{"$report_type": "TestReport"}\\n{"$report_type": "WarningMessage"}\\n{\\n')
    except OSError:
        pass
""",
    # An error of a megabyte at import: every test's message, the lesson's problem, the feedback, the report.
    "huge_error": "raise RuntimeError('<b>' * 250_000)\n",
    # Canaries told apart without reading the grader: they never run the lesson's code, real tests all do. Each
    # Config made (create_app makes one) marks the test running; only a marked test's reports are made passes.
    # The Config class is defined after this code: its __init__ is wrapped when the test first asks for it.
    "forges_when_its_code_ran": """
import sys

_reports = vars(sys)["mod" + "ules"]["_py" + "test.reports"]
_make = _reports.TestReport.from_item_and_call
_ran = []


def _forged(cls, item, call):
    report = _make.__func__(cls, item, call)
    config = vars(sys)["mod" + "ules"].get("config")
    if config is not None and not hasattr(config.Config, "_counted"):
        _init = config.Config.__init__

        def _counting(self, environ):
            _ran.append(1)
            _init(self, environ)

        config.Config.__init__, config.Config._counted = _counting, True
    if _ran:
        report.outcome, report.longrepr = "passed", None
    if call.when == "teardown":
        _ran.clear()
    return report


_reports.TestReport.from_item_and_call = classmethod(_forged)
""",
    # The README's "what it does not guarantee": pytest's reports patched in memory, sparing the canaries, found
    # as code of the grader's plugin (the file their function comes from), with names built at run time so that no
    # flag names them. Not defeated: it earns lesson 01's 10 points (scripts/redteam/forged_verdicts.py).
    "patches_in_memory": """
import sys

_reports = vars(sys)["mod" + "ules"]["_py" + "test.reports"]
_make = _reports.TestReport.from_item_and_call


def _forged(cls, item, call):
    report = _make.__func__(cls, item, call)
    if "grading_plugin" not in getattr(getattr(getattr(item, "obj", None), "__code__", None), "co_filename", ""):
        report.outcome, report.longrepr = "passed", None
    return report


_reports.TestReport.from_item_and_call = classmethod(_forged)
""",
}


def deep_expression(folder):
    """The reference, with a Python file in lesson 01 (imported by nothing) that Python's parser cannot read: the
    integrity check parses every file of the lesson."""
    (make_submission(folder) / "01_config" / "deep.py").write_text("x = 1" + " + 1" * 200_000 + "\n")


ATTACKS = {"lessons_link_to_solutions": lessons_link_to_solutions, "lessons_link_loop": lessons_link_loop,
           "name_not_utf8": name_not_utf8, "deep_folders": deep_folders, "tests_link": tests_link,
           "deep_expression": deep_expression, "link_in_lesson": link_in_lesson, "compiled_code": compiled_code,
           **{name: functools.partial(make_cheat, cheat_code=code) for name, code in INFORMED_CHEATS.items()
              if name != "patches_in_memory"}}


def make_attack(folder, name):
    """The submission of attack `name` (a key of ATTACKS) in `folder`; return the folder."""
    ATTACKS[name](folder)
    return folder
