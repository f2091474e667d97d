"""Lesson 01, the instructor's hidden tests: the grader runs them with tests/test_01_config.py and counts them
toward the TODOs they mark; `export-student` leaves this folder out, and a student's feedback names a failing
hidden test without its message.

This one tries TODO 2's rule ("refuse a missing secret") with what the public tests never give: a secret set in
code to None, as `os.environ.get("JWT_SECRET_KEY")` gives when the variable is unset. A check_settings that
measures the secret without first asking whether there is one passes every public test and fails here.
"""
import pytest


@pytest.mark.todo(2)
def test_a_secret_set_to_none_in_code_is_refused_like_a_missing_one(app_module):
    with pytest.raises(Exception, match=r"\bJWT_SECRET_KEY\b"):
        app_module.create_app({"TESTING": True, "JWT_SECRET_KEY": None})
