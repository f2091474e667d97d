"""Lesson 06: login answers a fresh access token and a refresh token; /refresh rotates refresh tokens and revokes
the whole login when a retired one comes back; changing the password needs a fresh token and ends every login.

Time is moved with time-machine, never waited for. The concurrent refreshes run against a real threaded server on
127.0.0.1.
"""
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
import time_machine
from flask_jwt_extended import create_access_token, create_refresh_token

from conftest import TEST_SETTINGS, AuthActions, assert_error_shape, bearer, close_database, decode, run_sql, table_rows
from course.notebook import LessonServer

POST = {"title": "Hello", "body": "A post."}
PASSWORD = AuthActions.PASSWORD
NEW_PASSWORD = "a brand new passphrase"
START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)



@pytest.fixture
def login(auth):
    """A function that logs alice in (registering her the first time) and returns the JSON answer of /login."""

    def log_in():
        auth.register()  # a 409 after the first time: she exists
        response = auth.login()
        assert response.status_code == 200, f"logging in failed: {response.get_json()}"
        return response.get_json()

    return log_in


def refresh(client, refresh_token):
    return client.post("/refresh", headers=bearer(refresh_token))


def refreshed(client, refresh_token):
    """The JSON answer of a refresh that must succeed."""
    response = refresh(client, refresh_token)
    assert response.status_code == 200, f"refreshing failed: {response.get_json()}"
    return response.get_json()


def change_password(client, access_token, current=PASSWORD, new=NEW_PASSWORD):
    body = {"current_password": current, "new_password": new}
    return client.post("/password", json=body, headers=bearer(access_token))


def fresh_token(app, auth):
    """Register alice and make her a fresh access token directly, as a password login would."""
    auth.register()
    with app.app_context():
        return create_access_token(identity="1", fresh=True)


def stored_tokens(app):
    return table_rows(app, "refresh_tokens")


# --- Settings ----------------------------------------------------------------------------------------------

def test_the_refresh_lifetime_comes_from_the_environment_in_days(app_module, monkeypatch):
    monkeypatch.setenv("JWT_REFRESH_TOKEN_EXPIRES", "30")
    app = app_module.create_app({"JWT_SECRET_KEY": "k" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["JWT_REFRESH_TOKEN_EXPIRES"] == timedelta(days=30)


@pytest.mark.parametrize(
    "refresh_days, access_minutes",
    [("0", "15"), ("-1", "15"), ("two", "15"), ("1.5", "15"), ("9" * 30, "15"), ("366", "15"), ("1", "1440")],
    ids=["zero", "negative", "not a number", "not whole", "huge", "over a year", "not longer than access"],
)
def test_an_unusable_refresh_lifetime_stops_the_app_at_start_up(app_module, monkeypatch, refresh_days,
                                                                   access_minutes):
    monkeypatch.setenv("JWT_REFRESH_TOKEN_EXPIRES", refresh_days)
    monkeypatch.setenv("JWT_ACCESS_TOKEN_EXPIRES", access_minutes)
    with pytest.raises(Exception, match="JWT_REFRESH_TOKEN_EXPIRES"):
        app_module.create_app({"JWT_SECRET_KEY": "k" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


# --- Login: two tokens ---------------------------------------------------------------------------------------

@pytest.mark.todo(1)
def test_login_answers_a_fresh_access_token_and_a_refresh_token_with_their_lifetimes(login):
    tokens = login()
    access, refresh_claims = decode(tokens["access_token"]), decode(tokens["refresh_token"])
    assert (access["type"], access["fresh"]) == ("access", True), "a password login gives a fresh token"
    assert refresh_claims["type"] == "refresh"
    assert access["exp"] - access["iat"] == timedelta(minutes=15).total_seconds()
    assert refresh_claims["exp"] - refresh_claims["iat"] == timedelta(days=14).total_seconds()
    assert access["sub"] == refresh_claims["sub"] == "1"


@pytest.mark.todo(1)
def test_each_login_stores_its_refresh_token_as_a_new_family(app, login):
    first, second = login(), login()
    rows = stored_tokens(app)
    assert [row["jti"] for row in rows] == [decode(tokens["refresh_token"])["jti"] for tokens in (first, second)]
    assert rows[0]["family"] != rows[1]["family"], "each login is a family of its own"
    assert all(row["user_id"] == 1 and row["revoked_at"] is None for row in rows)


@pytest.mark.todo(1)
def test_a_login_that_asks_for_a_short_life_gets_no_refresh_token(app, auth, login):
    assert "refresh_token" in login()
    response = auth.client.post("/login", json={"username": "alice", "password": PASSWORD, "lifetime_minutes": 1})
    assert response.status_code == 200
    assert "refresh_token" not in response.get_json(), "a refresh token would outlive the minute that was asked for"
    access = decode(response.get_json()["access_token"])
    assert (access["exp"] - access["iat"], access["fresh"]) == (60, True), "a fresh token that lives the minute asked"
    assert len(stored_tokens(app)) == 1


# --- Each kind of token in its place -------------------------------------------------------------------------

def test_an_access_token_cannot_refresh(client, login):
    assert_error_shape(refresh(client, login()["access_token"]), 401, "refresh_token_required")


@pytest.mark.todo(1)
@pytest.mark.parametrize("method, path", [("post", "/blogs"), ("post", "/password")])
def test_a_refresh_token_opens_nothing_but_refresh(client, app, login, method, path):
    response = getattr(client, method)(path, json=POST, headers=bearer(login()["refresh_token"]))
    assert_error_shape(response, 401, "access_token_required")
    assert table_rows(app, "blogs") == []


@pytest.mark.todo(1)
def test_deleting_a_user_deletes_their_refresh_tokens(client, app, login):
    refresh_token = login()["refresh_token"]
    run_sql(app, "DELETE FROM users")  # the foreign key cascades: no refresh token outlives its user
    assert stored_tokens(app) == []
    assert_error_shape(refresh(client, refresh_token), 401, "token_revoked")


def test_a_refresh_token_the_app_did_not_store_is_refused(client, app, login):
    with app.app_context():
        unknown = create_refresh_token(identity="1")  # correctly signed, but never handed out by /login
    assert_error_shape(refresh(client, unknown), 401, "token_revoked")


# --- Rotation ------------------------------------------------------------------------------------------------

@pytest.mark.todo(2)
def test_refresh_answers_a_new_access_token_that_is_not_fresh_and_works(client, login):
    tokens = refreshed(client, login()["refresh_token"])
    claims, refresh_claims = decode(tokens["access_token"]), decode(tokens["refresh_token"])
    assert (claims["type"], claims["fresh"], claims["sub"]) == ("access", False, "1")
    assert claims["exp"] - claims["iat"] == timedelta(minutes=15).total_seconds()
    assert refresh_claims["exp"] - refresh_claims["iat"] == timedelta(days=14).total_seconds()
    assert client.post("/blogs", json=POST, headers=bearer(tokens["access_token"])).status_code == 201


@pytest.mark.todo(2)
def test_refresh_replaces_the_stored_token_of_its_login(client, app, login):
    """A login keeps one row, its newest refresh token, however often it refreshes: a client refreshing in a loop
    (69 a second over HTTP, in the attack review) must not grow the table without bound."""
    tokens = [login()["refresh_token"]]
    for _ in range(5):
        tokens.append(refreshed(client, tokens[-1])["refresh_token"])
    assert decode(tokens[1])["type"] == "refresh"
    rows = stored_tokens(app)
    assert len(rows) == 1, f"one login, refreshed 5 times, left {len(rows)} rows"
    assert len({decode(token)["family"] for token in tokens}) == 1, "the tokens of one login share its family"
    assert (rows[0]["jti"], rows[0]["family"]) == (decode(tokens[-1])["jti"], decode(tokens[-1])["family"])
    assert rows[0]["revoked_at"] is None


# --- Reuse -----------------------------------------------------------------------------------------------------

@pytest.mark.todo(2, 3)
def test_a_retired_refresh_token_presented_again_revokes_its_whole_family(client, app, login):
    stolen = login()["refresh_token"]
    successor = refreshed(client, stolen)["refresh_token"]  # the legitimate client refreshed first
    assert_error_shape(refresh(client, stolen), 401, "refresh_token_reused")
    assert_error_shape(refresh(client, successor), 401, "token_revoked")
    assert all(row["revoked_at"] is not None for row in stored_tokens(app))


@pytest.mark.todo(2, 3)
def test_reuse_ends_that_login_only(client, app, login):
    phone, laptop = login()["refresh_token"], login()["refresh_token"]
    refreshed(client, phone)
    assert_error_shape(refresh(client, phone), 401, "refresh_token_reused")
    assert refreshed(client, laptop)["refresh_token"], "the user's other login goes on"


# --- Freshness: changing the password ---------------------------------------------------------------------------

@pytest.mark.todo(2, 4)
def test_a_refreshed_access_token_cannot_change_the_password(client, auth, login):
    not_fresh = refreshed(client, login()["refresh_token"])["access_token"]
    assert_error_shape(change_password(client, not_fresh), 401, "fresh_token_required")
    assert auth.login("alice", PASSWORD).status_code == 200, "the password is unchanged"


@pytest.mark.todo(1)
def test_a_fresh_access_token_changes_the_password_and_ends_every_login(client, app, auth, login):
    phone, laptop = login(), login()
    assert change_password(client, laptop["access_token"]).status_code == 204
    assert_error_shape(refresh(client, phone["refresh_token"]), 401, "token_revoked")
    assert_error_shape(refresh(client, laptop["refresh_token"]), 401, "token_revoked")
    assert all(row["revoked_at"] is not None for row in stored_tokens(app))
    assert_error_shape(auth.login("alice", PASSWORD), 401, "wrong_credentials")
    assert auth.login("alice", NEW_PASSWORD).status_code == 200


def test_a_wrong_current_password_changes_nothing(client, app, auth):
    access_token = fresh_token(app, auth)
    assert_error_shape(change_password(client, access_token, current="not my password"), 403, "wrong_password")
    assert auth.login("alice", PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
     ({"new_password": NEW_PASSWORD}, "current_password"),
     ({"current_password": PASSWORD, "new_password": 12345678}, "new_password"),
     ({"current_password": PASSWORD, "new_password": " " * 12}, "new_password"),
     ({"current_password": PASSWORD, "new_password": "long enough\x00"}, "new_password"),
     ({"current_password": "\ud800", "new_password": NEW_PASSWORD}, "current_password")],
    ids=["new password too short", "current password missing", "not text", "blank", "NUL", "lone surrogate"],
)
def test_a_bad_password_change_names_the_field(client, app, auth, body, field):
    response = client.post("/password", json=body, headers=bearer(fresh_token(app, auth)))
    assert field in assert_error_shape(response, 400, "validation_failed")["errors"]
    assert auth.login("alice", PASSWORD).status_code == 200


# --- Expiry and pruning (the clock is frozen, then moved) -----------------------------------------------------------

@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.mark.todo(1)
def test_a_refresh_token_is_refused_once_it_has_expired(client, clock, login):
    refresh_token = login()["refresh_token"]
    clock.move_to(START + timedelta(days=14, seconds=1))
    assert_error_shape(refresh(client, refresh_token), 401, "token_expired")


@pytest.mark.todo(2)
def test_each_refresh_token_lives_its_full_lifetime_from_when_it_was_issued(client, clock, login):
    first = login()["refresh_token"]
    clock.move_to(START + timedelta(days=13))
    second = refreshed(client, first)["refresh_token"]
    clock.move_to(START + timedelta(days=20))
    assert refreshed(client, second)["access_token"], "a client that keeps using the app stays logged in"


@pytest.mark.todo(1)
def test_expired_logins_are_pruned_by_the_command_and_only_by_it(app, client, clock, login):
    login()
    clock.move_to(START + timedelta(days=14, seconds=1))  # that login has expired
    newest = login()
    assert len(stored_tokens(app)) == 2, "a login prunes nothing: that would scan the whole table at every login"
    result = app.test_cli_runner().invoke(args=["prune-tokens"])
    assert result.exit_code == 0, result.output
    assert [row["jti"] for row in stored_tokens(app)] == [decode(newest["refresh_token"])["jti"]]


@pytest.mark.todo(1, 2, 3)
def test_prune_tokens_deletes_ended_logins_and_reuse_is_still_detected_after_it(app, client, clock, login):
    """prune-tokens deletes the rows of logins that can no longer refresh (expired, or revoked) and keeps the live
    ones, so that a copied token of a live login is still recognised once the table has been pruned."""
    login()
    clock.move_to(START + timedelta(days=14, seconds=1))  # that login has expired
    ended = login()["refresh_token"]
    refreshed(client, ended)
    assert_error_shape(refresh(client, ended), 401, "refresh_token_reused")  # that login is revoked
    live = login()["refresh_token"]
    newest = refreshed(client, live)["refresh_token"]
    result = app.test_cli_runner().invoke(args=["prune-tokens"])
    assert result.exit_code == 0, result.output
    assert [row["jti"] for row in stored_tokens(app)] == [decode(newest)["jti"]], "only the live login is left"
    assert_error_shape(refresh(client, live), 401, "refresh_token_reused")
    assert_error_shape(refresh(client, newest), 401, "token_revoked")


# --- Clients refreshing with the same token at the same moment ---------------------------------------------------

ROUNDS = 4  # with eight clients, a check-then-act version let two or more win in 23 of 30 rounds (PostgreSQL, here)
CLIENTS = 8


@pytest.fixture
def server(app_module, tmp_path, database, database_url):
    """The lesson's app on a real threaded server on 127.0.0.1, as in production: TESTING off, a database file
    (an in-memory SQLite database has one connection for all threads: no race) or PostgreSQL."""
    url = database_url if database == "postgresql" else f"sqlite:///{tmp_path / 'race.db'}"
    app = app_module.create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": url})
    running = LessonServer(app).start()
    yield running
    running.stop()
    close_database(app)


def refresh_at_once(server, refresh_token):
    """CLIENTS clients POST /refresh with the same token, released together by a barrier; their responses."""
    barrier = threading.Barrier(CLIENTS)
    responses = [None] * CLIENTS

    def client(index):
        with requests.Session() as session:
            barrier.wait(timeout=10)
            responses[index] = session.post(server.url("/refresh"), headers=bearer(refresh_token), timeout=30)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.todo(2, 3)
def test_refreshes_with_one_token_at_once_have_one_winner_and_every_loser_is_told_reuse(server):
    """Eight clients (a double click, tabs, a thief racing the client) at once: one wins, and each of the others is
    a reuse of the token the winner replaced, so each is told so, however late it comes after the revocation. On
    PostgreSQL the old design (a row per token, each reuse revoking every row of the family) deadlocked now and
    then: a 500."""
    credentials = {"username": "alice", "password": PASSWORD}
    requests.post(server.url("/register"), json=credentials, timeout=10)
    for _ in range(ROUNDS):
        refresh_token = requests.post(server.url("/login"), json=credentials, timeout=10).json()["refresh_token"]
        responses = refresh_at_once(server, refresh_token)
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] + [401] * (CLIENTS - 1), f"exactly one refresh may succeed, got {statuses}"
        winner = next(response for response in responses if response.status_code == 200)
        codes = [response.json()["code"] for response in responses if response.status_code == 401]
        assert codes == ["refresh_token_reused"] * (CLIENTS - 1), codes
        successor = requests.post(server.url("/refresh"), headers=bearer(winner.json()["refresh_token"]), timeout=10)
        assert successor.status_code == 401, "the family was revoked: the winner's new token is dead too"
        assert successor.json()["code"] == "token_revoked"
