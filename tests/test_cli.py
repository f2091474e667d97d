"""The learner's command line, called the way a learner calls it: python -m course ..."""
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from course.lessons import ROOT, all_lessons
from course.sample_submissions import make_submission


def course(*arguments, timeout=120):
    """Run `python -m course ARGUMENTS` from the repository root; return the finished process."""
    return subprocess.run([sys.executable, "-m", "course", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def starters(tmp_path):
    """A learner's untouched lessons/, in a temporary folder."""
    return make_submission(tmp_path / "lessons", source="lessons")


def test_check_a_starter_says_what_fails_and_where_to_look(starters):
    result = course("check", "02", "--target", str(starters))
    assert result.returncode == 1
    assert "✘ wrong password and unknown user get the same answer" in result.stdout
    assert "✔ bad input gets a json 4xx and saves nothing" in result.stdout
    assert re.search(r"First failure: .+\n(.+\n)*  look at TODO \d: ", result.stdout)


def test_check_the_reference_passes():
    result = course("check", "4", "--target", "solutions")
    assert result.returncode == 0, result.stdout
    assert "The lesson is done" in result.stdout and "✘" not in result.stdout


def test_check_shows_expected_and_got(starters):
    result = course("check", "01", "--target", str(starters))
    assert "expected: " in result.stdout and "got: " in result.stdout


def test_check_an_unknown_lesson_names_the_lessons():
    result = course("check", "42")
    assert result.returncode == 2
    assert "01_config" in result.stderr and "05_error_handling" in result.stderr


def test_check_a_broken_lesson_explains_instead_of_crashing(tmp_path):
    submission = make_submission(tmp_path / "lessons", "solutions", "01_config", "syntax_error")
    result = course("check", "01", "--target", str(submission))
    assert result.returncode == 1
    assert "SyntaxError" in result.stdout and "Traceback" not in result.stdout


def test_progress_lists_every_lesson_and_the_next_one(starters):
    result = course("progress", "--target", str(starters))
    for lesson in all_lessons():
        assert lesson.title in result.stdout
    assert "Next: lesson 01" in result.stdout


def test_progress_moves_on_as_lessons_pass(tmp_path):
    submission = make_submission(tmp_path / "lessons", source="lessons")
    shutil.rmtree(submission / "01_config")
    shutil.copytree(ROOT / "solutions" / "01_config", submission / "01_config")
    result = course("list", "--target", str(submission))
    assert re.search(r"01\s+Config\s+done", result.stdout)
    assert "Next: lesson 02" in result.stdout


def test_hints_come_one_at_a_time(starters):
    first = course("hint", "3", "--target", str(starters)).stdout
    second = course("hint", "3", "--target", str(starters)).stdout
    assert "Hint 1 of" in first and "Hint 2 of" in second
    assert first.splitlines()[-1] != second.splitlines()[-1]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_writes_a_env_with_a_fresh_key_and_serves_on_loopback(starters):
    port = free_port()
    command = [sys.executable, "-m", "course", "serve", "01", "--target", str(starters), "--port", str(port)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as server:
        try:
            assert "Created" in read_until(server, "Created")
            response = None
            for _ in range(100):
                try:
                    response = requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)  # the server is still starting
            assert response is not None and response.status_code == 200
        finally:
            server.terminate()
    written = (starters / "01_config" / ".env").read_text()
    assert re.search(r"^JWT_SECRET_KEY=[0-9a-f]{64}$", written, re.M)


def read_until(process, text, seconds=60):
    """Read the process's output line by line until `text` appears; return what was read."""
    seen = ""
    deadline = time.monotonic() + seconds
    while text not in seen:
        assert time.monotonic() < deadline, f"{text!r} did not appear in:\n{seen}"
        seen += process.stdout.readline()
    return seen


def test_watch_checks_again_on_save_and_moves_on(starters):
    with subprocess.Popen([sys.executable, "-m", "course", "watch", "01", "--target", str(starters)],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as watcher:
        try:
            assert "✘" in read_until(watcher, "Watching")
            shutil.copy(ROOT / "solutions" / "01_config" / "config.py", starters / "01_config" / "config.py")
            output = read_until(watcher, "Watching")
            assert "The lesson is done" in output
            assert "On to lesson 02" in output and "Lesson 02 · Login" in output
        finally:
            watcher.terminate()


def test_the_course_script_is_installed_and_lists_every_command():
    script = Path(sys.executable).parent / "course"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("check", "progress", "hint", "serve", "watch", "grade", "notebooks"):
        assert command in result.stdout


def test_serve_creates_the_database_readable_by_its_owner_only(starters):
    port = free_port()
    command = [sys.executable, "-m", "course", "serve", "02", "--target", str(starters), "--port", str(port)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as server:
        try:
            for _ in range(100):
                try:
                    requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)  # the server is still starting
        finally:
            server.terminate()
    database = starters / "02_login" / "instance" / "course.db"
    assert database.stat().st_mode & 0o777 == 0o600, oct(database.stat().st_mode)
