"""Lesson 01: the app reads its JWT settings from the environment and refuses unsafe ones."""
import shutil
from datetime import timedelta

import pytest

from conftest import TEST_SECRET
from course.loader import load_app_module

GOOD_SECRET = "0123456789abcdef" * 4  # 64 characters, like secrets.token_hex(32)


def names(variable):
    """A pattern for pytest.raises(match=...): the message names the variable itself, as a whole word."""
    return rf"\b{variable}\b"


@pytest.fixture
def environment(monkeypatch):
    """Set the lesson's variables as a real deployment would."""
    monkeypatch.setenv("JWT_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("JWT_ACCESS_TOKEN_EXPIRES", "30")
    return monkeypatch


@pytest.mark.todo(1)
def test_settings_come_from_the_environment(app_module, environment):
    app = app_module.create_app({"TESTING": True})
    assert app.config["JWT_SECRET_KEY"] == GOOD_SECRET
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=30)


@pytest.mark.todo(1)
def test_expiry_is_read_as_whole_minutes(app_module, environment):
    environment.setenv("JWT_ACCESS_TOKEN_EXPIRES", "90")
    app = app_module.create_app({"TESTING": True})
    assert isinstance(app.config["JWT_ACCESS_TOKEN_EXPIRES"], timedelta)
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(hours=1, minutes=30)


@pytest.mark.todo(1)
def test_a_missing_expiry_is_the_default_15_minutes(app_module, environment):
    environment.delenv("JWT_ACCESS_TOKEN_EXPIRES")
    app = app_module.create_app({"TESTING": True})
    assert app.config["JWT_SECRET_KEY"] == GOOD_SECRET
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=15), "DEFAULT_EXPIRY_MINUTES"


@pytest.mark.todo(1)
def test_settings_come_from_the_env_file_beside_the_app(lesson_folder, tmp_path):
    copy = shutil.copytree(lesson_folder, tmp_path / "lesson")
    (copy / ".env").write_text(f"JWT_SECRET_KEY={GOOD_SECRET}\nJWT_ACCESS_TOKEN_EXPIRES=45\n")
    app = load_app_module(copy).create_app()
    assert app.config["JWT_SECRET_KEY"] == GOOD_SECRET
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=45)


def test_test_config_overrides_the_environment(app_module, environment):
    app = app_module.create_app({"TESTING": True, "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=5)})
    assert app.config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=5)
    assert app.config["TESTING"] is True


@pytest.mark.todo(2)
@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_a_missing_secret_is_refused_with_advice(app_module, environment, secret):
    if secret is None:
        environment.delenv("JWT_SECRET_KEY")
    else:
        environment.setenv("JWT_SECRET_KEY", secret)
    with pytest.raises(Exception, match=names("JWT_SECRET_KEY")) as refused:
        app_module.create_app({"TESTING": True})
    assert "secrets.token_hex" in str(refused.value), "the message should say how to make a key"


@pytest.mark.todo(2)
def test_a_short_secret_is_refused(app_module, environment):
    environment.setenv("JWT_SECRET_KEY", "aRandomHash")  # the kind of sample key articles show
    with pytest.raises(Exception, match=names("JWT_SECRET_KEY")) as refused:
        app_module.create_app({"TESTING": True})
    assert "32" in str(refused.value), "the message should say how long a key must be"


@pytest.mark.todo(2)
def test_a_secret_of_exactly_32_bytes_is_accepted(app_module, environment):
    environment.setenv("JWT_SECRET_KEY", "k" * 32)
    app_module.create_app({"TESTING": True})
    environment.setenv("JWT_SECRET_KEY", "k" * 31)
    with pytest.raises(Exception, match=names("JWT_SECRET_KEY")):
        app_module.create_app({"TESTING": True})


@pytest.mark.todo(2)
def test_the_secret_is_measured_in_bytes_not_characters(app_module, environment):
    environment.setenv("JWT_SECRET_KEY", "é" * 16)  # 16 characters, 32 bytes in UTF-8: long enough for HS256
    app_module.create_app({"TESTING": True})
    environment.setenv("JWT_SECRET_KEY", "é" * 15 + "k")  # still 16 characters, but 31 bytes
    with pytest.raises(Exception, match=names("JWT_SECRET_KEY")):
        app_module.create_app({"TESTING": True})


@pytest.mark.todo(1)
@pytest.mark.parametrize("minutes", ["abc", "1.5", "", "30m"])
def test_an_expiry_that_is_not_whole_minutes_is_refused(app_module, environment, minutes):
    environment.setenv("JWT_ACCESS_TOKEN_EXPIRES", minutes)
    with pytest.raises(Exception, match=names("JWT_ACCESS_TOKEN_EXPIRES")):
        app_module.create_app({"TESTING": True})


@pytest.mark.todo(2)
@pytest.mark.parametrize("minutes", ["0", "-5"])
def test_an_expiry_that_is_not_positive_is_refused(app_module, environment, minutes):
    environment.setenv("JWT_ACCESS_TOKEN_EXPIRES", minutes)
    with pytest.raises(Exception, match=names("JWT_ACCESS_TOKEN_EXPIRES")):
        app_module.create_app({"TESTING": True})


@pytest.mark.todo(2)
@pytest.mark.parametrize("lifetime", [False, "30", None], ids=["False (never expires)", "text", "None"])
def test_a_lifetime_that_is_not_a_timedelta_is_refused(app_module, environment, lifetime):
    """flask-jwt-extended takes False as "tokens never expire": a setting made in code must not slip through."""
    with pytest.raises(Exception, match=names("JWT_ACCESS_TOKEN_EXPIRES")):
        app_module.create_app({"TESTING": True, "JWT_ACCESS_TOKEN_EXPIRES": lifetime})


@pytest.mark.todo(1)
def test_health_shows_safe_settings(app_module, environment, mode):
    client = app_module.create_app({"TESTING": mode == "testing"}).test_client()
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "access_token_minutes": 30}


@pytest.mark.parametrize("path", ["/health", "/nowhere", "/health?secret=1"])
def test_the_secret_never_appears_in_a_response(client, path):
    response = client.get(path)
    assert TEST_SECRET not in response.get_data(as_text=True)
    assert response.status_code in (200, 404)
