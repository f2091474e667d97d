"""Lesson 01, the instructor's hidden tests: the grader runs them with tests/test_01_config.py and counts them
toward the TODOs they mark; `export-student` leaves this folder out, and a student's feedback names a failing
hidden test without its message.

This one tries TODO 2's rule ("an expiry that is not a positive timedelta is refused") with what the public
tests never give: an expiry passed to create_app() that is not a timedelta at all.
"""
import pytest

GOOD_SECRET = "0123456789abcdef" * 4


@pytest.mark.todo(2)
@pytest.mark.parametrize("expiry", [1800, False], ids=["seconds-as-a-number", "never"])
def test_an_expiry_that_is_not_a_timedelta_is_refused(app_module, monkeypatch, expiry):
    monkeypatch.setenv("JWT_SECRET_KEY", GOOD_SECRET)
    with pytest.raises(Exception, match="JWT_ACCESS_TOKEN_EXPIRES"):
        app_module.create_app({"TESTING": True, "JWT_ACCESS_TOKEN_EXPIRES": expiry})
