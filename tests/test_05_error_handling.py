"""Lesson 05: every error the API can give has one JSON shape, {status, code, message[, errors]}, with TESTING
on and off; 401s carry a WWW-Authenticate challenge; a 500 hides its details, is logged, and saves nothing."""
import logging
from datetime import timedelta

import jwt
import pytest
from flask_jwt_extended import create_access_token, create_refresh_token
from werkzeug.exceptions import TooManyRequests

from conftest import bearer, run_sql, table_rows

POST = {"title": "Hello", "body": "A post."}
SHAPE_KEYS = {"status", "code", "message"}


def assert_error_shape(response, status, code):
    """The response is the one error shape, with this status and code."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}"
    assert response.is_json, f"expected a JSON body, got {response.content_type}"
    body = response.get_json()
    assert SHAPE_KEYS <= set(body) <= SHAPE_KEYS | {"errors"}, f"the body has keys {sorted(body)}"
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def challenge(response):
    return response.headers.get("WWW-Authenticate", "")


@pytest.fixture
def alice(auth):
    return auth.token("alice")


def token_for(app, maker=create_access_token, **options):
    with app.app_context():
        return maker(identity="1", **options)


# --- Token errors: status 401, a code each, and a WWW-Authenticate challenge ---------------------------

@pytest.mark.todo(1, 4)
def test_a_missing_token(client):
    response = client.post("/blogs", json=POST)
    assert_error_shape(response, 401, "token_missing")
    assert challenge(response).startswith("Bearer")
    assert "error=" not in challenge(response), "no error code when the client sent no credentials (RFC 6750)"


@pytest.mark.todo(1, 4)
@pytest.mark.parametrize("header", ["Token abc", "Basic YWxpY2U6cHc=", "{token}"],
                         ids=["Token", "Basic", "a token without a scheme"])
def test_a_header_without_the_bearer_scheme(client, alice, header):
    """RFC 6750 section 3.1: a client that tried another way to authenticate sent no Bearer credentials, so it
    gets the 401 and the bare challenge a client without a header gets: no error code (invalid_request would
    go with a 400). The body's code tells the developer what to fix."""
    response = client.post("/blogs", json=POST, headers={"Authorization": header.format(token=alice)})
    assert_error_shape(response, 401, "authorization_header_malformed")
    assert challenge(response).startswith("Bearer")
    assert "error=" not in challenge(response), "no error code for a request without Bearer credentials"


@pytest.mark.todo(1, 4)
def test_the_librarys_reason_for_a_malformed_header_goes_to_the_log_only(client, caplog):
    with caplog.at_level(logging.INFO):
        response = client.post("/blogs", json=POST, headers={"Authorization": "Token abc"})
    assert 400 <= response.status_code < 500 and response.is_json
    reason = "Missing 'Bearer' type"  # how flask-jwt-extended words it
    assert reason in caplog.text, "log the library's reason (current_app.logger.info)"
    assert reason not in response.get_data(as_text=True) + challenge(response), "your own words in the answer"


@pytest.mark.todo(1, 4)
@pytest.mark.parametrize(
    "make_token",
    [lambda app, good: jwt.encode(jwt.decode(good, options={"verify_signature": False}),
                                  "an-attacker-key-that-is-long-enough-too", algorithm="HS256"),
     lambda app, good: "not-a-token",
     lambda app, good: good[:-5],
     lambda app, good: token_for(app, create_refresh_token),
     lambda app, good: "",
     lambda app, good: f"{good} {good}"],
    ids=["invalid signature", "malformed token", "cut short", "wrong token type", "no token after Bearer",
         "two tokens after Bearer"],
)
def test_a_token_that_is_not_right(client, app, alice, make_token):
    response = client.post("/blogs", json=POST, headers=bearer(make_token(app, alice)))
    assert_error_shape(response, 401, "token_invalid")
    assert 'error="invalid_token"' in challenge(response)
    assert table_rows(app, "blogs") == []


@pytest.mark.todo(1, 4)
@pytest.mark.parametrize("crit", ["x\nX-Injected: 1", "caf\u00e9 \u2603", "x" * 20_000],
                         ids=["newline", "not Latin-1", "20 KB"])
def test_nothing_from_the_token_reaches_a_header(client, app, crit, caplog):
    """PyJWT's reason for refusing this token quotes its "crit" header: it belongs in the log, not in the answer."""
    token = jwt.encode({"sub": "1"}, "an-attacker-key-that-is-long-enough-too", algorithm="HS256",
                       headers={"crit": [crit]})
    with caplog.at_level(logging.INFO):
        response = client.post("/blogs", json=POST, headers=bearer(token))
    body = assert_error_shape(response, 401, "token_invalid")
    assert "X-Injected" not in response.headers and crit[:10] not in challenge(response) + body["message"]
    assert all(" " <= char <= "~" and char not in '\\' for char in challenge(response)), "RFC 6750's characters"
    assert len(challenge(response)) < 200
    assert "critical extension" in caplog.text, "the library's reason goes to the log"
    logged = [record.getMessage() for record in caplog.records if "critical extension" in record.getMessage()]
    assert all("\n" not in line and len(line) < 500 for line in logged), \
        "log the reason on one short line, as %.200r does: a newline in it would start a line of its own in the log"
    assert table_rows(app, "blogs") == []


@pytest.mark.todo(4)  # with TESTING off, Flask-RESTful answers first unless error_router hands over
def test_an_expired_token(client, app, alice):
    expired = token_for(app, expires_delta=timedelta(seconds=-1))
    response = client.post("/blogs", json=POST, headers=bearer(expired))
    assert_error_shape(response, 401, "token_expired")
    assert 'error="invalid_token"' in challenge(response)


@pytest.mark.todo(4)
def test_a_token_whose_user_no_longer_exists(client, app, alice):
    run_sql(app, "DELETE FROM users")
    response = client.post("/blogs", json=POST, headers=bearer(alice))
    assert_error_shape(response, 401, "user_not_found")
    assert 'error="invalid_token"' in challenge(response)


# --- HTTP errors -----------------------------------------------------------------------------------------

@pytest.mark.todo(2, 4)
def test_validation_errors_name_each_field(client, alice):
    response = client.post("/blogs", json={"title": ""}, headers=bearer(alice))
    body = assert_error_shape(response, 400, "validation_failed")
    assert set(body["errors"]) == {"title", "body"}


@pytest.mark.todo(2, 4)
def test_wrong_credentials(client, auth):
    auth.register("alice")
    response = auth.login("alice", "wrong password")
    body = assert_error_shape(response, 401, "wrong_credentials")
    assert body["message"] == "Wrong username or password.", "the message abort(...) was given"
    assert challenge(response).startswith("Bearer"), "every 401 carries a WWW-Authenticate header"


@pytest.mark.todo(2, 4)
def test_a_taken_username(client, auth):
    auth.register("alice")
    assert_error_shape(auth.register("alice"), 409, "username_taken")


@pytest.mark.todo(2, 4)
def test_someone_elses_post(client, auth, alice):
    client.post("/blogs", json=POST, headers=bearer(alice))
    assert_error_shape(client.delete("/blogs/1", headers=bearer(auth.token("bob"))), 403, "forbidden")


@pytest.mark.todo(2)
@pytest.mark.parametrize("path", ["/nowhere", "/blogs/99"])
def test_not_found(client, path):
    assert_error_shape(client.get(path), 404, "not_found")


@pytest.mark.todo(2)
def test_method_not_allowed_says_which_methods_are(client):
    response = client.delete("/blogs")
    assert_error_shape(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.todo(2)
def test_any_other_http_error_has_the_code_http_error(make_app):
    """A status HTTP_ERROR_CODES does not list (429 from a rate limiter, say) still answers in the shape."""
    app = make_app()  # an app of its own: a route is added to it

    @app.get("/busy")
    def busy():
        raise TooManyRequests()

    assert_error_shape(app.test_client().get("/busy"), 429, "http_error")


@pytest.mark.todo(2, 4)
def test_a_body_that_is_not_json(client):
    response = client.post("/login", data="username=alice&password=x")
    assert_error_shape(response, 415, "unsupported_media_type")


@pytest.mark.todo(2, 4)
def test_broken_json(client):
    response = client.post("/login", data='{"username": ', content_type="application/json")
    assert_error_shape(response, 400, "bad_request")


@pytest.mark.todo(2, 4)
def test_a_body_that_is_too_large(client, app):
    response = client.post("/register", json={"username": "alice", "password": "x" * 100_000})
    assert_error_shape(response, 413, "payload_too_large")
    assert table_rows(app, "users") == []


# --- Unexpected errors -----------------------------------------------------------------------------------

@pytest.fixture
def broken_app(make_app):
    """An app of its own (routes cannot be added to the one the other tests share) with a route that writes to
    the database, then fails half-way, as a bug or an outage would: POST /half-write."""
    app = make_app()
    database = app.extensions["sqlalchemy"]

    @app.post("/half-write")
    def half_write():
        database.session.execute(database.text("INSERT INTO users (username, password_hash) VALUES ('x', 'y')"))
        raise RuntimeError("the disk at /var/secret/db is on fire")

    return app


@pytest.mark.todo(3)
def test_an_unexpected_error_hides_its_details_and_is_logged(broken_app, caplog):
    with caplog.at_level(logging.ERROR):
        response = broken_app.test_client().post("/half-write")
    assert_error_shape(response, 500, "internal_error")
    assert "fire" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert "the disk at /var/secret/db is on fire" in caplog.text, "the details belong in the server's log"


@pytest.mark.todo(3)
def test_a_failed_write_leaves_nothing_behind(broken_app):
    client = broken_app.test_client()
    client.post("/half-write")
    assert table_rows(broken_app, "users") == []
    assert client.post("/register", json={"username": "alice", "password": "long enough"}).status_code == 201


@pytest.mark.todo(3)
def test_a_failed_write_is_rolled_back_even_when_the_session_lives_on(broken_app):
    """Requests sent inside an app context the caller pushed (a test, a CLI command, a job) share its database
    session: without the handler's rollback, the next commit in that session would save the half-write too."""
    client = broken_app.test_client()
    with broken_app.app_context():
        client.post("/half-write")
        assert client.post("/register", json={"username": "alice", "password": "long enough"}).status_code == 201
    assert [row["username"] for row in table_rows(broken_app, "users")] == ["alice"]


def test_a_success_is_not_an_error(client, alice):
    response = client.post("/blogs", json=POST, headers=bearer(alice))
    assert response.status_code == 201 and "code" not in response.get_json()
