"""PostgreSQL, beyond the lessons' own tests (which run on it with --database postgresql or all): a lesson's app
connects with the DATABASE_URL its .env.example documents, and a machine without PostgreSQL skips (CI fails)."""
import pytest

import servers
from conftest import TEST_SETTINGS, AuthActions, close_database
from course.lessons import ROOT, all_lessons
from course.loader import load_app_module

DATABASE_LESSONS = [lesson for lesson in all_lessons() if lesson.database]


@pytest.mark.parametrize("lesson", DATABASE_LESSONS, ids=[lesson.id for lesson in DATABASE_LESSONS])
def test_the_app_runs_on_the_database_url_of_env_example(lesson, request, monkeypatch):
    if "postgresql" not in request.config.databases:
        pytest.skip("runs with --database postgresql or --database all")
    postgresql_server = request.getfixturevalue("postgresql_server")
    example = (ROOT / "solutions" / lesson.id / ".env.example").read_text()
    assert "# DATABASE_URL=postgresql+psycopg://" in example
    schema = postgresql_server.new_schema()
    monkeypatch.setenv("DATABASE_URL", postgresql_server.url(schema=schema))
    app = load_app_module(ROOT / "solutions" / lesson.id).create_app(
        {key: TEST_SETTINGS[key] for key in ("JWT_SECRET_KEY", "JWT_PRIVATE_KEY")})  # a secret, or from 10 on a key
    try:
        assert AuthActions(app.test_client()).register("alice").status_code == 201
        [(count,)] = postgresql_server.admin.execute(f"SELECT count(*) FROM {schema}.users").fetchall()
        assert count == 1
    finally:
        close_database(app)
        postgresql_server.drop_schema(schema)


@pytest.fixture
def no_postgresql(monkeypatch):
    """A machine where neither Debian's folder nor PATH has PostgreSQL's programs."""
    monkeypatch.setattr(servers.glob, "glob", lambda pattern: [])
    monkeypatch.setattr(servers.shutil, "which", lambda program: None)


def test_without_postgresql_the_tests_skip_and_name_the_package(no_postgresql, monkeypatch):
    monkeypatch.setattr(servers, "ON_CI", False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y postgresql"):
        servers.PostgreSQL()


def test_on_ci_a_missing_server_is_a_failure(no_postgresql, monkeypatch):
    monkeypatch.setattr(servers, "ON_CI", True)
    with pytest.raises(pytest.fail.Exception, match="postgresql"):
        servers.PostgreSQL()
