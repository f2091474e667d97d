"""Lesson 02: users are stored with hashed passwords, and /login answers a token or one same 401."""
import hashlib

import pytest
from werkzeug.security import check_password_hash

from conftest import AuthActions, assert_same_answer, decode, run_sql, table_rows

PASSWORD = AuthActions.PASSWORD

BAD_BODIES = {
    "missing username": {"json": {"password": PASSWORD}},
    "missing password": {"json": {"username": "alice"}},
    "username is a number": {"json": {"username": 123, "password": PASSWORD}},
    "password is a list": {"json": {"username": "alice", "password": ["a"]}},
    "a JSON list": {"json": ["alice", PASSWORD]},
    "JSON null": {"data": "null", "content_type": "application/json"},
    "broken JSON": {"data": '{"username": "alice",', "content_type": "application/json"},
    "empty body": {"data": "", "content_type": "application/json"},
    "not JSON": {"data": f"username=alice&password={PASSWORD}", "content_type": "application/x-www-form-urlencoded"},
    "no content type": {"data": '{"username": "alice"}'},
}


@pytest.mark.todo(1)
def test_register_creates_a_user(client, app):
    response = client.post("/register", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    assert response.get_json() == {"id": 1, "username": "alice"}
    assert [row["username"] for row in table_rows(app, "users")] == ["alice"]


@pytest.mark.todo(1)
def test_passwords_are_stored_as_hashes_that_verify(auth, app):
    auth.register("alice", PASSWORD)
    [row] = table_rows(app, "users")
    assert PASSWORD not in row["password_hash"]
    assert row["password_hash"].startswith("pbkdf2:sha256:1$"), "use the PASSWORD_HASH_METHOD setting"
    assert check_password_hash(row["password_hash"], PASSWORD)


@pytest.mark.todo(1)
def test_a_password_checks_against_its_hash(app, app_module):
    from models import User  # the lesson's own models.py: app_module put its folder first on sys.path

    with app.app_context():
        user = User(username="alice")
        user.set_password(PASSWORD)
        assert user.password_hash != PASSWORD
        assert user.check_password(PASSWORD) is True
        assert user.check_password("not the password") is False


@pytest.mark.todo(1)
def test_two_users_with_the_same_password_get_different_hashes(auth, app):
    auth.register("alice", PASSWORD)
    auth.register("bob", PASSWORD)
    first, second = table_rows(app, "users")
    assert first["password_hash"] != second["password_hash"], "hashes must be salted"


@pytest.mark.todo(1)
def test_a_taken_username_is_a_conflict(auth, app):
    assert auth.register("alice").status_code == 201
    response = auth.register("alice", "another password")
    assert response.status_code == 409
    assert "message" in response.get_json()
    assert len(table_rows(app, "users")) == 1


@pytest.mark.todo(3)
def test_login_answers_an_access_token_for_that_user(auth):
    user_id = auth.register("alice").get_json()["id"]
    response = auth.login("alice", PASSWORD)
    assert response.status_code == 200
    claims = decode(response.get_json()["access_token"])  # signed with the app's secret
    assert claims["sub"] == str(user_id), "the token's identity (sub) is the user's id, as a string"
    assert claims["type"] == "access"


@pytest.mark.todo(3)
def test_login_with_the_cli_created_user(app, client):
    result = app.test_cli_runner().invoke(args=["create-user", "carol"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert client.post("/login", json={"username": "carol", "password": PASSWORD}).status_code == 200


@pytest.mark.todo(2)
def test_wrong_password_and_unknown_user_get_the_same_answer(auth):
    auth.register("alice")
    wrong_password = auth.login("alice", "not the password")
    unknown_user = auth.login("nobody", PASSWORD)
    assert_same_answer(wrong_password=wrong_password, unknown_user=unknown_user)
    assert wrong_password.status_code == 401
    assert wrong_password.get_json()["message"] == "Wrong username or password.", "answer with WRONG_CREDENTIALS"


@pytest.mark.parametrize("path", ["/register", "/login"])
@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_input_gets_a_json_4xx_and_saves_nothing(client, app, path, body):
    response = client.post(path, **body)
    assert 400 <= response.status_code < 500
    assert response.is_json and response.get_json()["message"]
    assert table_rows(app, "users") == []


def test_json_nested_too_deep_for_python_is_a_400(client, app):
    for path in ["/register", "/login"]:
        response = client.post(path, data="[" * 2000 + "]" * 2000, content_type="application/json")
        assert response.status_code == 400, f"{path}: {response.status_code}"
        assert "recursion" not in response.get_json()["message"], "Python's own words stay on the server"
    assert table_rows(app, "users") == []


@pytest.fixture
def hash_checks(monkeypatch):
    """How many password hashes are computed (werkzeug's pbkdf2 goes through hashlib.pbkdf2_hmac)."""
    computed = []
    real = hashlib.pbkdf2_hmac
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *args: computed.append(1) or real(*args))
    return computed


@pytest.mark.todo(2)
def test_an_unknown_user_costs_the_same_hashing_as_a_wrong_password(auth, hash_checks):
    """The time of the answer must not tell who has an account: count the work, not the clock."""
    auth.register("alice")
    auth.login("nobody", "a guess")  # the first unknown user may make the dummy hash once
    hash_checks.clear()
    wrong_password = auth.login("alice", "a guess")
    for_wrong_password = len(hash_checks)
    unknown_user = auth.login("nobody", "a guess")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert for_wrong_password == 1, "a wrong password costs one hash check"
    assert len(hash_checks) - for_wrong_password == 1, "check a dummy hash for an unknown user (TODO 2)"


@pytest.mark.todo(1, 2)
def test_a_strange_password_gets_the_same_answer_for_known_and_unknown_users(auth):
    auth.register("alice")
    for password in ["\ud800", "a\x00b"]:
        known, unknown = (auth.login(name, password) for name in ("alice", "nobody"))
        assert_same_answer(known_user=known, unknown_user=unknown)
        assert 400 <= known.status_code < 500


def test_a_body_over_the_size_limit_is_refused_unread(client, app):
    response = client.post("/register", json={"username": "alice", "password": "x" * 100, "pad": "x" * 70_000})
    assert response.status_code == 413
    assert response.is_json and response.get_json()["message"]
    assert table_rows(app, "users") == []


def test_an_error_does_not_grow_with_unknown_fields(client):
    body = {f"field{number}": 0 for number in range(3000)}  # 40 KB of names the schema does not know
    response = client.post("/register", json=body)
    assert response.status_code == 400
    assert len(response.get_data()) < 1000, "list each problem once, not each unknown field"


@pytest.mark.todo(1)
def test_usernames_are_one_account_whatever_their_case(auth, app):
    assert auth.register("Alice").get_json()["username"] == "alice"
    assert auth.register("ALICE").status_code == 409
    assert auth.login("aLiCe").status_code != 401
    assert len(table_rows(app, "users")) == 1


@pytest.mark.todo(1)
def test_a_deleted_users_id_is_never_given_again(auth, app):
    """A token names its user by id: a newcomer with a deleted user's id would inherit their tokens."""
    first = auth.register("alice").get_json()["id"]
    run_sql(app, "DELETE FROM users")
    assert auth.register("bob").get_json()["id"] != first


@pytest.mark.parametrize(
    "data", [{"username": "al", "password": PASSWORD}, {"username": "alice", "password": "short"},
             {"username": "al ice", "password": PASSWORD}, {"username": "a" * 81, "password": PASSWORD}],
    ids=["short username", "short password", "space in username", "long username"],
)
def test_registration_checks_each_field(client, app, data):
    response = client.post("/register", json=data)
    assert response.status_code == 400
    assert response.get_json()["errors"], "the answer names the fields that are wrong"
    assert table_rows(app, "users") == []


def test_registration_refuses_what_a_loose_check_lets_through(client, app):
    for data in [{"username": "alice\n", "password": PASSWORD},  # "$" in a pattern matches before a newline
                 {"username": "alice", "password": " " * 8},
                 {"username": "alice", "password": "\ud800" * 8},  # valid JSON, but not text UTF-8 can hold
                 {"username": "alice", "password": "pass\x00word"}]:
        response = client.post("/register", json=data)
        assert response.status_code == 400, f"{data!r}: {response.status_code}"
        assert response.get_json()["errors"]
    assert table_rows(app, "users") == []


def test_the_database_url_comes_from_the_environment(app_module, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'users.db'}")
    app = app_module.create_app({"JWT_SECRET_KEY": "k" * 32})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'users.db'}"
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt", "the strong hash is the default"
    assert (tmp_path / "users.db").exists()
