"""Lesson 08: every token says its user's role (a claim, written at login); role_required refuses a role claim
that is too low; deleting someone else's post asks the database, not the claim; a role change ends the user's
logins; GET /blogs takes an optional token, and shows an author their own drafts.

Roles are given the way an operator gives them: `flask set-role` (which ends the user's logins), or straight in
the database before the user logs in. Tokens for the tests of TODOs 2 and 3 carry the role claim the finished
TODO 1 writes (token_with_role), so each TODO is checked on its own.
"""
from datetime import datetime, timedelta, timezone

import jwt
import pytest
import time_machine
from flask_jwt_extended import create_access_token
from sqlalchemy.exc import IntegrityError

from conftest import TEST_SECRET, AuthActions, assert_error_shape, bearer, decode, run_sql, table_rows

POST = {"title": "Hello", "body": "A post."}
DRAFT = {"title": "Not yet", "body": "Half written.", "published": False}
PASSWORD = AuthActions.PASSWORD
ROLES = ["reader", "author", "admin"]
OTHER_KEY = "a-key-that-is-not-the-apps-but-is-long-enough"



def set_role_in_database(app, username, role):
    """Change a role straight in the database, as an operator with SQL would: no login is ended."""
    run_sql(app, f"UPDATE users SET role = '{role}' WHERE username = '{username}'")


def set_role(app, username, role):
    """`flask --app app set-role USERNAME ROLE`, the app's own way to change a role."""
    return app.test_cli_runner().invoke(args=["set-role", username, role])


def log_in(app, auth, username, role="reader"):
    """Register `username`, give them `role` in the database, log in; the JSON answer of /login."""
    auth.register(username)
    set_role_in_database(app, username, role)
    response = auth.login(username)
    assert response.status_code == 200, f"logging in as {username} failed: {response.get_json()}"
    return response.get_json()


def signed(claims, key=TEST_SECRET):
    return jwt.encode(claims, key, algorithm="HS256")


def with_claims(token, key=TEST_SECRET, **changes):
    """The token's claims with `changes` (None removes a claim), signed again with `key`."""
    claims = {**decode(token), **changes}
    return signed({name: value for name, value in claims.items() if value is not None}, key)


def token_with_role(app, auth, username, role):
    """An access token of `username`, whose role is `role`, with the role claim TODO 1 writes: the token /login
    answers, its role claim set as the finished app sets it (so the tests of TODOs 2 and 3 need only theirs)."""
    return with_claims(log_in(app, auth, username, role)["access_token"], role=role)


def publish(client, token, post=POST):
    response = client.post("/blogs", json=post, headers=bearer(token))
    assert response.status_code == 201, f"publishing failed: {response.get_json()}"
    return response.get_json()["id"]


def titles(response):
    assert response.status_code == 200, response.get_json()
    return [post["title"] for post in response.get_json()["blogs"]]


def role_in_database(app, username):
    return run_sql(app, f"SELECT role FROM users WHERE username = '{username}'")[0]["role"]


# --- The role claim (TODO 1) -------------------------------------------------------------------------------

@pytest.mark.todo(1)
def test_the_access_token_says_the_users_role(app, auth):
    claimed = {role: decode(log_in(app, auth, f"user-{role}", role)["access_token"]).get("role") for role in ROLES}
    assert claimed == {role: role for role in ROLES}


@pytest.mark.todo(1)
def test_a_new_user_is_a_reader_and_their_token_says_so(app, auth):
    assert auth.register("alice").get_json()["role"] == "reader"
    assert decode(auth.token("alice")).get("role") == "reader"


@pytest.mark.todo(1)
def test_claims_a_client_sends_at_login_are_ignored(app, auth):
    auth.register("alice")
    auth.register("bob")
    body = {"username": "alice", "password": PASSWORD, "role": "admin", "sub": "2", "fresh": False,
            "claims": {"role": "admin"}, "additional_claims": {"role": "admin"}}
    claims = decode(auth.client.post("/login", json=body).get_json()["access_token"])
    assert (claims.get("role"), claims["sub"], claims["fresh"]) == ("reader", "1", True)


@pytest.mark.todo(1)
def test_a_refresh_writes_the_role_the_database_holds_then(app, auth, client):
    tokens = log_in(app, auth, "alice", "reader")
    set_role_in_database(app, "alice", "author")  # no login ended: the refresh token still works
    refreshed = client.post("/refresh", headers=bearer(tokens["refresh_token"])).get_json()
    assert decode(tokens["access_token"]).get("role") == "reader", "the old token keeps its snapshot"
    assert decode(refreshed["access_token"]).get("role") == "author", "a new token is a new snapshot"


@pytest.mark.todo(1)
def test_a_token_made_for_an_identity_that_is_no_user_gets_no_role_claim(app, auth):
    """The claims loader runs for every token the app makes. For an identity that names no user (deleted, or never
    an id) it adds nothing: no role claim, and no 500 while making the token."""
    auth.register("alice")
    with app.app_context():
        claims = {identity: decode(create_access_token(identity=identity)) for identity in ("1", "999", "abc")}
    assert {identity: made.get("role", "no role claim") for identity, made in claims.items()} == {
        "1": "reader", "999": "no role claim", "abc": "no role claim"}


def test_registration_ignores_a_role_the_client_sends(app, client):
    response = client.post("/register", json={"username": "mallory", "password": PASSWORD, "role": "admin"})
    assert response.status_code == 201
    assert response.get_json() == {"id": 1, "username": "mallory", "role": "reader"}
    assert role_in_database(app, "mallory") == "reader"


def test_me_shows_the_user_their_role_from_the_database_and_the_claims_of_the_token(app, auth, client):
    access_token = log_in(app, auth, "alice", "author")["access_token"]
    body = client.get("/me", headers=bearer(access_token)).get_json()
    assert {name: body[name] for name in ("id", "username", "role")} == {"id": 1, "username": "alice",
                                                                        "role": "author"}
    assert body["claims"] == decode(access_token)


# --- Who may do what (TODO 2; the role claims as TODO 1 writes them) ----------------------------------------

# Each route, and what each caller gets there: nobody (no token), a reader, an author, an admin. "the post" is
# someone else's: each caller has one of Walt's posts to try (its id is filled in), so one DELETE cannot spoil the
# next caller's.
ROUTES = {
    "GET /blogs": ("get", "/blogs", None),
    "GET the post": ("get", "/blogs/{post}", None),
    "GET /me": ("get", "/me", None),
    "POST /blogs": ("post", "/blogs", POST),
    "PATCH the post": ("patch", "/blogs/{post}", {"title": "Mine now"}),
    "GET /users": ("get", "/users", None),
    "DELETE the post": ("delete", "/blogs/{post}", None),
}
EXPECTED = {  # route: (nobody, reader, author, admin)
    "GET /blogs": (200, 200, 200, 200),
    "GET the post": (200, 200, 200, 200),
    "GET /me": (401, 200, 200, 200),
    "POST /blogs": (401, 403, 201, 201),
    "PATCH the post": (401, 403, 403, 403),
    "GET /users": (401, 403, 403, 200),
    "DELETE the post": (401, 403, 403, 204),
}
CALLERS = ["nobody", *ROLES]


@pytest.mark.todo(2)
def test_each_route_answers_each_role_as_the_table_says(app, auth, client):
    walt = token_with_role(app, auth, "walt", "author")
    posts = {caller: publish(client, walt) for caller in CALLERS}
    headers = {caller: bearer(token_with_role(app, auth, caller, caller)) for caller in ROLES} | {"nobody": {}}
    got = {name: [] for name in ROUTES}
    for caller in CALLERS:
        for name, (method, path, body) in ROUTES.items():  # in this order: the DELETE comes last
            response = getattr(client, method)(path.format(post=posts[caller]), json=body, headers=headers[caller])
            got[name].append(response.status_code)
    assert {name: tuple(statuses) for name, statuses in got.items()} == EXPECTED


@pytest.mark.todo(2)
def test_a_role_claim_too_low_is_forbidden_in_the_error_shape(app, auth, client):
    reader, author = (bearer(token_with_role(app, auth, role, role)) for role in ("reader", "author"))
    assert_error_shape(client.post("/blogs", json=POST, headers=reader), 403, "forbidden")
    assert_error_shape(client.get("/users", headers=reader), 403, "forbidden")
    assert_error_shape(client.get("/users", headers=author), 403, "forbidden")
    assert table_rows(app, "blogs") == []


NOT_ROLES = {"no role claim": None, "unknown": "superuser", "capitals": "ADMIN", "list": ["admin"],
             "object": {"role": "admin"}, "number": 2}


@pytest.mark.todo(2)
def test_a_role_claim_that_is_not_a_role_grants_nothing(app, auth, client):
    admins_token = log_in(app, auth, "alice", "admin")["access_token"]  # an admin in the database
    answers = {name: client.get("/users", headers=bearer(with_claims(admins_token, role=claimed)))
               for name, claimed in NOT_ROLES.items()}
    assert {name: response.status_code for name, response in answers.items()} == dict.fromkeys(NOT_ROLES, 403)
    assert_error_shape(answers["no role claim"], 403, "forbidden")


def test_a_token_that_claims_admin_signed_with_another_key_is_refused(app, auth, client):
    publish(client, token_with_role(app, auth, "writer", "author"))
    forged = with_claims(log_in(app, auth, "mallory", "reader")["access_token"], key=OTHER_KEY, role="admin")
    assert_error_shape(client.get("/users", headers=bearer(forged)), 401, "token_invalid")
    assert_error_shape(client.delete("/blogs/1", headers=bearer(forged)), 401, "token_invalid")
    assert len(table_rows(app, "blogs")) == 1


def test_the_user_list_never_shows_a_password_hash(app, auth, client):
    for name in ("bob", "carol"):
        auth.register(name)
    response = client.get("/users", headers=bearer(token_with_role(app, auth, "alice", "admin")))
    assert response.status_code == 200
    assert response.get_json()["users"] == [
        {"id": 1, "username": "bob", "role": "reader"},
        {"id": 2, "username": "carol", "role": "reader"},
        {"id": 3, "username": "alice", "role": "admin"},
    ]
    assert "pbkdf2" not in response.get_data(as_text=True)


def test_the_user_list_comes_in_pages(app, auth, client):
    admin = bearer(token_with_role(app, auth, "alice", "admin"))
    for name in ("bob", "carol", "dave"):
        auth.register(name)
    first = client.get("/users?limit=3", headers=admin).get_json()
    assert [user["username"] for user in first["users"]] == ["alice", "bob", "carol"]
    second = client.get(first["next"], headers=admin).get_json()
    assert ([user["username"] for user in second["users"]], second["next"]) == (["dave"], None)
    assert_error_shape(client.get("/users?limit=1000", headers=admin), 400, "validation_failed")


# --- Destructive actions ask the database (no TODO: read deletable_blog in resources.py) ---------------------

def test_an_admin_demoted_in_the_database_cannot_delete_with_the_old_admin_claim(app, auth, client):
    publish(client, token_with_role(app, auth, "writer", "author"))
    stale = token_with_role(app, auth, "ada", "admin")
    set_role_in_database(app, "ada", "author")  # the token still says "admin"
    assert decode(stale)["role"] == "admin"
    assert_error_shape(client.delete("/blogs/1", headers=bearer(stale)), 403, "forbidden")
    assert len(table_rows(app, "blogs")) == 1


def test_an_admin_deletes_someone_elses_draft_and_an_author_their_own_post(app, auth, client):
    draft = publish(client, token_with_role(app, auth, "writer", "author"), DRAFT)
    own = publish(client, token_with_role(app, auth, "arthur", "author"))
    admin = token_with_role(app, auth, "ada", "admin")
    assert client.delete(f"/blogs/{draft}", headers=bearer(admin)).status_code == 204
    assert client.delete(f"/blogs/{own}", headers=bearer(token_with_role(app, auth, "arthur", "author"))).status_code \
        == 204
    assert table_rows(app, "blogs") == []


def test_the_database_refuses_a_role_that_does_not_exist(app, auth):
    auth.register("alice")
    with pytest.raises(IntegrityError):
        set_role_in_database(app, "alice", "owner")
    assert role_in_database(app, "alice") == "reader"


# --- Changing a role: the set-role command ends the user's logins --------------------------------------------

@pytest.mark.parametrize("before, after", [("reader", "admin"), ("admin", "reader")], ids=["promotion", "demotion"])
def test_a_role_change_ends_every_login_of_the_user(app, auth, client, before, after):
    phone, laptop = log_in(app, auth, "alice", before), log_in(app, auth, "alice", before)
    result = set_role(app, "Alice", after)
    assert result.exit_code == 0, result.output
    assert role_in_database(app, "alice") == after
    for tokens in (phone, laptop):  # no token made before the change works: none can say the old role
        assert_error_shape(client.post("/refresh", headers=bearer(tokens["refresh_token"])), 401, "token_revoked")
        assert_error_shape(client.get("/me", headers=bearer(tokens["access_token"])), 401, "token_revoked")
    fresh = log_in(app, auth, "alice", after)["access_token"]
    assert client.get("/me", headers=bearer(fresh)).get_json()["role"] == after


def test_set_role_refuses_an_unknown_user_or_role_and_changes_nothing(app, auth):
    tokens = log_in(app, auth, "alice", "reader")
    unknown_user, unknown_role = set_role(app, "nobody", "admin"), set_role(app, "alice", "owner")
    assert unknown_user.exit_code != 0 and "nobody" in unknown_user.output
    assert unknown_role.exit_code != 0 and "owner" in unknown_role.output
    assert role_in_database(app, "alice") == "reader"
    assert all(row["revoked_at"] is None for row in table_rows(app, "refresh_tokens"))
    assert auth.client.post("/refresh", headers=bearer(tokens["refresh_token"])).status_code == 200


# --- Drafts and the optional token at GET /blogs (TODO 3) ------------------------------------------------------

@pytest.fixture
def drafts(app, auth, client):
    """Alice (an author) has a published post (1) and a draft (2); returns her token."""
    alice = token_with_role(app, auth, "alice", "author")
    publish(client, alice)
    publish(client, alice, DRAFT)
    return alice


def test_without_a_token_only_published_posts_are_seen(client, drafts):
    assert titles(client.get("/blogs")) == ["Hello"]
    assert_error_shape(client.get("/blogs/2"), 404, "not_found")


def test_another_users_drafts_stay_hidden(app, auth, client, drafts):
    bob = token_with_role(app, auth, "bob", "author")
    assert titles(client.get("/blogs", headers=bearer(bob))) == ["Hello"]
    assert_error_shape(client.get("/blogs/2", headers=bearer(bob)), 404, "not_found")
    assert_error_shape(client.patch("/blogs/2", json={"title": "x"}, headers=bearer(bob)), 404, "not_found")


@pytest.mark.todo(3)
def test_an_author_sees_their_own_drafts(client, drafts):
    assert titles(client.get("/blogs", headers=bearer(drafts))) == ["Hello", "Not yet"]
    draft = client.get("/blogs/2", headers=bearer(drafts))
    assert draft.status_code == 200 and draft.get_json()["published"] is False


def test_publishing_a_draft_shows_it_to_everyone(client, drafts):
    response = client.patch("/blogs/2", json={"published": True}, headers=bearer(drafts))
    assert response.status_code == 200 and response.get_json()["published"] is True
    assert titles(client.get("/blogs")) == ["Hello", "Not yet"]
    assert titles(client.get("/blogs", headers=bearer(drafts))) == ["Hello", "Not yet"]


@pytest.mark.todo(3)
def test_a_bad_token_at_the_listing_is_refused_not_taken_for_anonymous(client, drafts):
    assert_error_shape(client.get("/blogs", headers=bearer(with_claims(drafts, key=OTHER_KEY))), 401,
                       "token_invalid")
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(minutes=16)):
        assert_error_shape(client.get("/blogs", headers=bearer(drafts)), 401, "token_expired")


@pytest.mark.todo(3)
@pytest.mark.parametrize("header", ["Basic YWxpY2U6cHc=", "{token}", "Bearer", "Bearer {token} {token}", ""],
                         ids=["Basic", "a token without Bearer", "Bearer alone", "two words after Bearer", "empty"])
def test_a_header_that_is_no_usable_bearer_token_gets_the_401_of_a_protected_route(client, drafts, header):
    """Optional means "no credentials at all". A client that sends an Authorization header means to log in: if it
    is not a usable Bearer token, the answer is the 401 that POST /blogs gives it, not the anonymous list."""
    headers = {"Authorization": header.format(token=drafts)}
    protected = client.post("/blogs", json=POST, headers=headers)
    assert protected.status_code == 401
    for optional in (client.get("/blogs", headers=headers), client.get("/blogs/1", headers=headers)):
        assert_error_shape(optional, 401, protected.get_json()["code"])
        assert optional.headers["WWW-Authenticate"] == protected.headers["WWW-Authenticate"]


def test_published_must_be_true_or_false(app, auth, client):
    alice = token_with_role(app, auth, "alice", "author")
    for published in ["yes", 1.5, None, "true"]:
        response = client.post("/blogs", json={**POST, "published": published}, headers=bearer(alice))
        assert "published" in assert_error_shape(response, 400, "validation_failed")["errors"], published
    assert table_rows(app, "blogs") == []
