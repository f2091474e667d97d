"""Whether this Python has the course's packages, checked before any command runs: without them the tests
cannot even start, and "No module named 'jwt'" deep in a test run says nothing about the fix."""
import importlib.util
import sys

from course.lessons import ROOT

# The modules the lessons, their tests and the `course` command import, and the package that installs each:
# all in requirements-grading.txt, which is all the Gradescope bundle and the push feedback workflow install.
NEEDED = {
    "flask": "flask",
    "flask_restful": "flask-restful",
    "flask_jwt_extended": "flask-jwt-extended",
    "jwt": "pyjwt",
    "flask_sqlalchemy": "flask-sqlalchemy",
    "sqlalchemy": "sqlalchemy",
    "marshmallow": "marshmallow",
    "dotenv": "python-dotenv",
    "redis": "redis",  # lesson 07's Redis store
    "gunicorn": "gunicorn",  # lesson 07's tests run the app under it
    "requests": "requests",  # the tests of lessons 06 and 07 talk to real servers
    "pytest": "pytest",
    "pytest_reportlog": "pytest-reportlog",
    "pytest_timeout": "pytest-timeout",  # check's limit per test: a test that hangs is named
    "time_machine": "time-machine",
}


def missing_packages():
    """The packages of requirements.txt this Python cannot import (found without importing them: fast)."""
    return [package for module, package in NEEDED.items() if importlib.util.find_spec(module) is None]


def how_to_install(missing):
    """What is missing and the commands that fix it, in a few lines."""
    venv = ROOT / ".venv"
    return [f"This Python ({sys.executable}) lacks the course's packages: {', '.join(missing)}.",
            f"Activate the course's virtual environment (source {venv}/bin/activate)"
            + ("" if venv.is_dir() else f", after making it (python3 -m venv {venv})")
            + ", and install them:",
            f"    python -m pip install -r {ROOT / 'requirements.txt'}"]
