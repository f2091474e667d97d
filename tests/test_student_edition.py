"""`python -m course export-student`: the student edition is what git has committed (like `git archive`), minus
solutions/ and the hidden tests, and with --upto NN minus every lesson after NN; never an untracked file, never a
local edit (both named in a warning); plain pytest runs in it without git.

Each test exports from a git repository of its own holding the course as it is here (committed there), so that
untracked files and local edits can be made without touching this checkout.
"""
import hashlib
import subprocess
import sys
import tomllib

import pytest

from course.lessons import ROOT, all_lessons

LATER = [lesson.id for lesson in all_lessons() if lesson.number > 1]


def git(repository, *arguments):
    return subprocess.run(["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.com",
                           *arguments], cwd=repository, check=True, capture_output=True).stdout


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course as it is here, committed in a repository of its own; then an untracked file and folder, and a
    local edit of a tracked file, which the edition must not have."""
    repository = tmp_path_factory.mktemp("course")
    listed = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (repository / name).parent.mkdir(parents=True, exist_ok=True)
            (repository / name).write_bytes((ROOT / name).read_bytes())
    git(repository, "init", "-q")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "The course")
    (repository / "notes.txt").write_text("grading notes\n")
    (repository / "submissions" / "ana").mkdir(parents=True)
    (repository / "submissions" / "ana" / "app.py").write_text("print('a student's work')\n")
    (repository / "README.md").write_text((repository / "README.md").read_text() + "\nA local edit.\n")
    return repository


def committed(repository):
    """{path: git's object id of its content} of every file of the last commit."""
    entries = git(repository, "ls-tree", "-r", "-z", "HEAD").decode().split("\0")
    return {entry.split("\t", 1)[1]: entry.split()[2] for entry in entries if entry}


def exported(folder):
    """{path: git's object id of its content} of every file of the folder (a blob's id: sha1 of its header and
    bytes)."""
    def object_id(data):
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

    return {str(path.relative_to(folder)): object_id(path.read_bytes()) for path in folder.rglob("*") if path.is_file()}


def export(course, destination, *options):
    return subprocess.run([sys.executable, "-m", "course", "export-student", str(destination), *options], cwd=course,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def edition(course, tmp_path_factory):
    """(the whole edition's folder, what the command said)."""
    folder = tmp_path_factory.mktemp("edition") / "edition"
    return folder, export(course, folder)


@pytest.fixture(scope="module")
def edition_upto_01(course, tmp_path_factory):
    folder = tmp_path_factory.mktemp("edition-upto-01") / "edition"
    return folder, export(course, folder, "--upto", "01")


def test_the_edition_is_the_committed_files_without_solutions_or_hidden_tests(course, edition):
    folder, result = edition
    assert result.returncode == 0, result.stderr
    files = committed(course)
    assert {name.split("/")[0] for name in files} >= {"solutions", "tests"} and "tests/hidden/__init__.py" in files
    expected = {name: text for name, text in files.items() if not name.startswith(("solutions/", "tests/hidden/"))}
    assert exported(folder) == expected, "the committed files and contents, the README without its edit"
    assert "warning: left out, as git has not committed them: README.md, notes.txt, submissions/ana/app.py" in \
        result.stderr


def test_upto_stops_the_course_at_that_lesson(course, edition_upto_01):
    folder, result = edition_upto_01
    assert result.returncode == 0, result.stderr
    later = tuple(f"{part}{lesson_id}" for lesson_id in LATER for part in ("lessons/", "tests/test_", "notebooks/"))
    expected = {name: text for name, text in committed(course).items()
                if not name.startswith(("solutions/", "tests/hidden/", *later))}
    files = exported(folder)
    files.pop("course/lessons.toml")
    assert files == {name: text for name, text in expected.items() if name != "course/lessons.toml"}
    catalogue = (folder / "course" / "lessons.toml").read_text()
    assert [lesson["id"] for lesson in tomllib.loads(catalogue)["lesson"]] == ["01_config"]
    assert catalogue.startswith((course / "course" / "lessons.toml").read_text().split("[[lesson]]")[0])
    assert "Each starter holds the answers of the lesson before it" in result.stdout


def test_plain_pytest_and_course_check_run_in_the_edition_without_git(edition_upto_01):
    folder, _ = edition_upto_01
    plain = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/test_docs.py", "tests/test_01_config.py"],
                           cwd=folder, capture_output=True, text=True, timeout=300)
    assert plain.returncode == 1 and " failed" in plain.stdout and "error" not in plain.stdout, plain.stdout[-2000:]
    check = subprocess.run([sys.executable, "-m", "course", "check", "01", "--todo", "1"], cwd=folder,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 1 and "TODO 1: not done yet" in check.stdout, check.stdout + check.stderr


def test_export_refuses_a_folder_that_is_not_empty_or_a_course_outside_git(course, edition, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("")
    again = export(course, tmp_path / "full")
    assert again.returncode == 2 and "not empty" in again.stderr
    without_git = export(edition[0], tmp_path / "second")  # the edition is no git checkout
    assert without_git.returncode == 2 and "exported from git's last commit" in without_git.stderr
