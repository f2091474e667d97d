"""The course checks that each lesson keeps the fixes of the attack review (issue 11), from the lesson that
introduced a fix to the last one in lessons.toml, so lessons added later are checked too (but a capstone, whose app
is vulnerable on purpose). It runs against the reference solutions only (see conftest.py), with TESTING off as in
production, on the database --database names.

Two kinds of checks:
- inputs an attacker would send, through the test client: none may give a 5xx or leak who has an account;
- races, against a real threaded server on 127.0.0.1 and a SQLite file or PostgreSQL: threads line up at a
  barrier and send their requests at once. The rounds are few and bounded, and the tests never sleep; they do
  not depend on which request wins, only on what must hold under every interleaving (no 5xx, one 204 per post,
  nobody's post touched by someone else), so they cannot fail by bad luck on a slow machine.
"""
import hashlib
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests
from flask_jwt_extended import create_access_token
from sqlalchemy import inspect

from conftest import TEST_SETTINGS, AuthActions, assert_same_answer, bearer, close_database, run_sql, table_rows
from course.lessons import ROOT, all_lessons
from course.loader import load_app_module
from course.notebook import LessonServer

PASSWORD = AuthActions.PASSWORD
POST = {"title": "Hello", "body": "A post."}
ROUNDS = 12  # rounds of each race: enough to have caught the old code, few enough to stay well under a second


def lessons_from(number):
    """Every lesson from `number` on, as pytest parameters; not a capstone, whose app is vulnerable on purpose
    (lessons.toml: course_app; its attacks are tried on the course's app instead: tests/test_11_capstone_attacks.py)."""
    lessons = [lesson for lesson in all_lessons() if lesson.number >= number and not lesson.course_app]
    return pytest.mark.parametrize("lesson_id", [lesson.id for lesson in lessons])


@pytest.fixture
def make_app(database_url):
    """make_app(lesson_id): a lesson's reference app on the test's fresh database, closed after the test."""
    apps = []

    def make(lesson_id, **overrides):
        module = load_app_module(ROOT / "solutions" / lesson_id)
        settings = {**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": False}
        apps.append(module.create_app({**settings, **overrides}))
        return apps[-1]

    yield make
    for app in apps:
        close_database(app)


def app_with_blogs(make_app, lesson_id, **overrides):
    app = make_app(lesson_id, **overrides)
    if not any(rule.rule == "/blogs" for rule in app.url_map.iter_rules()):
        pytest.skip(f"lesson {lesson_id} has no /blogs")
    return app


def make_author(app, username):
    """From lesson 08 on, a new user is a reader, who may not write: make them an author, before they log in."""
    database = app.extensions["sqlalchemy"]
    with app.app_context():
        columns = {column["name"] for column in inspect(database.engine).get_columns("users")}
    if "role" in columns:
        run_sql(app, f"UPDATE users SET role = 'author' WHERE username = '{username}'")


def token_of(client, username):
    AuthActions(client).register(username)
    make_author(client.application, username)
    return AuthActions(client).token(username)


# --- Login: the answer and the work do not depend on whether the user exists (from lesson 02) ---------------

@lessons_from(2)
def test_an_unknown_user_costs_one_hash_check_like_a_wrong_password(lesson_id, make_app, monkeypatch):
    client = make_app(lesson_id).test_client()
    AuthActions(client).register("alice")
    client.post("/login", json={"username": "nobody", "password": "x"})  # makes the dummy hash, once
    checks = []
    real = hashlib.pbkdf2_hmac
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", lambda *args: checks.append(1) or real(*args))
    answers = [client.post("/login", json={"username": name, "password": "a guess"}) for name in ("alice", "nobody")]
    assert_same_answer(wrong_password=answers[0], unknown_user=answers[1])
    assert answers[0].status_code == 401
    assert len(checks) == 2, "one hash check each"


LOGIN_BODIES = {
    "nested JSON": lambda name: {"data": "[" * 2000 + "]" * 2000, "content_type": "application/json"},
    "surrogate password": lambda name: {"json": {"username": name, "password": "\ud800"}},
    "surrogate username": lambda name: {"json": {"username": name + "\ud800", "password": "x"}},
    "NUL": lambda name: {"json": {"username": name + "\x00", "password": "x"}},
    "70 KB": lambda name: {"json": {"username": name, "password": "x", "pad": "x" * 70_000}},
    "huge lifetime": lambda name: {"json": {"username": name, "password": PASSWORD, "lifetime_minutes": 10**13}},
}


@lessons_from(2)
@pytest.mark.parametrize("make_body", LOGIN_BODIES.values(), ids=LOGIN_BODIES.keys())
def test_no_login_input_gives_a_5xx_or_tells_who_exists(lesson_id, make_app, make_body):
    client = make_app(lesson_id).test_client()
    AuthActions(client).register("alice")
    known, unknown = (client.post("/login", **make_body(name)) for name in ("alice", "nobody"))
    assert known.status_code < 500 and known.is_json
    if known.status_code != 200:
        assert_same_answer(known_user=known, unknown_user=unknown)


@lessons_from(2)
def test_registration_refuses_what_slips_past_a_loose_pattern(lesson_id, make_app):
    client = make_app(lesson_id).test_client()
    for username, password in [("alice\n", PASSWORD), ("bob", " " * 8), ("carol", "\ud800" * 8)]:
        response = client.post("/register", json={"username": username, "password": password})
        assert response.status_code == 400, f"{username!r} / {password!r}: {response.status_code}"
    assert AuthActions(client).register("Dave").status_code == 201
    assert AuthActions(client).register("dave").status_code == 409


@lessons_from(2)
def test_a_deleted_users_id_is_never_reused(lesson_id, make_app):
    app = make_app(lesson_id)
    client = app.test_client()
    first = AuthActions(client).register("alice").get_json()["id"]
    run_sql(app, "DELETE FROM users")
    assert AuthActions(client).register("bob").get_json()["id"] != first


# --- Tokens, ids and lists (from lesson 03) ------------------------------------------------------------------

@lessons_from(3)
def test_a_deleted_users_token_means_no_one(lesson_id, make_app):
    app = app_with_blogs(make_app, lesson_id)
    client = app.test_client()
    alice = token_of(client, "alice")
    assert client.post("/blogs", json=POST, headers=bearer(alice)).status_code == 201
    run_sql(app, "DELETE FROM users WHERE username = 'alice'")
    assert client.get("/blogs").status_code == 200
    token_of(client, "mallory")
    assert client.post("/blogs", json=POST, headers=bearer(alice)).status_code == 401
    assert table_rows(app, "blogs") == []


@lessons_from(3)
def test_strange_tokens_and_ids_get_a_4xx(lesson_id, make_app):
    app = app_with_blogs(make_app, lesson_id)
    client = app.test_client()
    alice = token_of(client, "alice")
    with app.app_context():
        for sub in ["abc", "1.5", "", str(2**31), "9" * 30]:
            response = client.post("/blogs", json=POST, headers=bearer(create_access_token(identity=sub)))
            assert response.status_code == 401, f"sub {sub!r}: {response.status_code}"
    for method, blog_id in itertools.product(["get", "put", "patch", "delete"], [2**31, 2**63]):
        response = getattr(client, method)(f"/blogs/{blog_id}", json=POST, headers=bearer(alice))
        assert response.status_code == 404
    for body in [{"title": "   ", "body": "x"}, {"title": "x", "body": "a\x00"}, {"title": "\udc00", "body": "x"}]:
        assert client.post("/blogs", json=body, headers=bearer(alice)).status_code == 400
    assert table_rows(app, "blogs") == []


@lessons_from(3)
def test_nothing_from_a_token_reaches_a_header(lesson_id, make_app):
    client = app_with_blogs(make_app, lesson_id).test_client()
    for crit in ["x\nX-Injected: 1", "caf\u00e9 \u2603", "x" * 20_000]:
        token = jwt.encode({"sub": "1"}, "an-attacker-key-that-is-long-enough-too", algorithm="HS256",
                           headers={"crit": [crit]})
        response = client.post("/blogs", json=POST, headers=bearer(token))
        assert response.status_code in (401, 422) and "X-Injected" not in response.headers
        challenge = response.headers.get("WWW-Authenticate", "")
        assert len(challenge) < 200 and all(" " <= char <= "~" for char in challenge)


@lessons_from(3)
def test_the_list_of_posts_comes_in_pages(lesson_id, make_app):
    client = app_with_blogs(make_app, lesson_id).test_client()
    alice = token_of(client, "alice")
    for _ in range(3):
        client.post("/blogs", json=POST, headers=bearer(alice))
    page = client.get("/blogs?limit=2").get_json()
    assert len(page["blogs"]) == 2 and page["next"]
    assert client.get("/blogs?limit=1000").status_code == 400


# --- Races against a real server (from lesson 03) -------------------------------------------------------------

@pytest.fixture
def served(tmp_path, serve, make_app, database, database_url):
    """Start a lesson's app on a real threaded server with a SQLite file (an in-memory one has one connection for
    all threads: no race) or the test's PostgreSQL schema; returns (url, app)."""

    def start(lesson_id, needs_blogs=True):
        url = database_url if database == "postgresql" else f"sqlite:///{tmp_path / 'race.db'}"
        settings = {"SQLALCHEMY_DATABASE_URI": url}
        app = app_with_blogs(make_app, lesson_id, **settings) if needs_blogs else make_app(lesson_id, **settings)
        return serve(app).url(), app

    return start


def at_once(*calls):
    """Run the calls in threads that wait for each other at a barrier, so their requests overlap."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result(timeout=30) for future in [pool.submit(run, call) for call in calls]]


def login(url, app, username):
    requests.post(f"{url}/register", json={"username": username, "password": PASSWORD}, timeout=10)
    make_author(app, username)
    response = requests.post(f"{url}/login", json={"username": username, "password": PASSWORD}, timeout=10)
    return bearer(response.json()["access_token"])


@lessons_from(2)
def test_one_name_registered_at_once_in_any_case_makes_one_account(lesson_id, served):
    url, app = served(lesson_id, needs_blogs=False)
    names = ["carol", "Carol", "CAROL", "carol", "cArOl", "CaRoL"]
    answers = at_once(*[lambda name=name: requests.post(f"{url}/register", json={"username": name,
                                                         "password": PASSWORD}, timeout=10) for name in names])
    assert sorted(answer.status_code for answer in answers) == [201] + [409] * (len(names) - 1)
    assert [row["username"] for row in table_rows(app, "users")] == ["carol"]


@lessons_from(3)
def test_no_interleaving_lets_a_user_touch_another_users_post(lesson_id, served):
    """Alice edits and deletes her post while Bob publishes: Bob's posts stay exactly as he wrote them."""
    url, app = served(lesson_id)
    alice, bob = login(url, app, "alice"), login(url, app, "bob")
    bobs_posts = []
    for round_number in range(ROUNDS):
        post_id = requests.post(f"{url}/blogs", json=POST, headers=alice, timeout=10).json()["id"]
        bobs = {"title": f"Bob's {round_number}", "body": "Mine."}
        answers = at_once(
            lambda: requests.delete(f"{url}/blogs/{post_id}", headers=alice, timeout=10),
            lambda: requests.patch(f"{url}/blogs/{post_id}", json={"title": "Alice's"}, headers=alice, timeout=10),
            lambda: requests.post(f"{url}/blogs", json=bobs, headers=bob, timeout=10),
            lambda: requests.post(f"{url}/blogs", json=bobs, headers=bob, timeout=10),
        )
        assert all(answer.status_code < 500 for answer in answers), [a.status_code for a in answers]
        assert answers[0].status_code == 204 and answers[1].status_code in (200, 404)
        bobs_posts += [(answer.json()["id"], bobs["title"]) for answer in answers[2:] if answer.status_code == 201]
        assert all(answer.status_code == 201 for answer in answers[2:])
    saved = {row["id"]: (row["title"], row["author_id"]) for row in table_rows(app, "blogs")}
    bobs_id = table_rows(app, "users")[1]["id"]
    assert {post_id: saved.get(post_id) for post_id, _ in bobs_posts} == {
        post_id: (title, bobs_id) for post_id, title in bobs_posts
    }, "every post Bob published is there, as he wrote it"


@lessons_from(3)
def test_a_post_deleted_by_several_requests_at_once_is_deleted_once(lesson_id, served):
    url, app = served(lesson_id)
    alice = login(url, app, "alice")
    for _ in range(ROUNDS):
        post_id = requests.post(f"{url}/blogs", json=POST, headers=alice, timeout=10).json()["id"]
        answers = at_once(
            *[lambda: requests.delete(f"{url}/blogs/{post_id}", headers=alice, timeout=10)] * 3,
            lambda: requests.patch(f"{url}/blogs/{post_id}", json={"title": "Edited"}, headers=alice, timeout=10),
        )
        statuses = [answer.status_code for answer in answers]
        assert sorted(statuses[:3]) == [204, 404, 404], statuses
        assert statuses[3] in (200, 404), statuses
    assert table_rows(app, "blogs") == []
