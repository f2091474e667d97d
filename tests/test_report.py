"""What `check` and the feedback files say about one test, in plain words (course/report.py)."""
from course.lessons import find_lesson
from course.report import explain_failure
from course.runner import TestOutcome as Outcome  # renamed: pytest would collect a Test* class

REDIS_MISSING = "skipped: redis-server is not installed: apt-get install -y redis-server (Debian package `redis-server`)"


def test_a_test_skipped_for_a_missing_program_names_the_package_and_blames_no_todo():
    outcome = Outcome("test_logout_holds_across_processes[redis]", passed=False, message=REDIS_MISSING, todos=[3])

    lines = explain_failure(find_lesson("07"), outcome)

    assert lines[0] == "logout holds across processes (redis)"
    assert "apt-get install -y redis-server" in lines[1]
    assert not any("TODO" in line for line in lines)


def test_a_failed_test_points_at_its_todo():
    outcome = Outcome("test_logout_holds_across_processes[redis]", passed=False,
                          message="AssertionError: assert 200 == 401", todos=[3])

    lines = explain_failure(find_lesson("07"), outcome)

    assert lines[1:3] == ["  expected: 401", "  got:      200"]
    assert lines[3].startswith("  look at TODO 3: ")


def test_a_test_shared_by_todos_points_only_at_the_todos_not_done_yet():
    shared = Outcome("test_refreshing_by_cookie_rotates", passed=False, message="AssertionError: assert 200 == 401",
                     todos=[1, 2])
    todo_1_done = Outcome("test_a_cookie_login_sets_cookies", passed=True, todos=[1])
    todo_2_failing = Outcome("test_the_refresh_cookie_is_read", passed=False, message="assert False", todos=[2])

    narrowed = explain_failure(find_lesson("09"), shared, [shared, todo_1_done, todo_2_failing])
    neither_alone = explain_failure(find_lesson("09"), shared, [shared, todo_1_done])

    assert [line.split(":")[0] for line in narrowed if "look at" in line] == ["  look at TODO 2"]
    assert [line.split(":")[0] for line in neither_alone if "look at" in line] == ["  look at TODO 1",
                                                                                   "  look at TODO 2"]
