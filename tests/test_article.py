"""The article "Using JWT in Flask", flaw by flaw (docs/from-the-article.md explains each).

Each test reproduces what the article's approach does, with a few lines of our own written to behave as its
snippets do, and checks that the course's solution does better. If a library changes the behaviour, the test
fails and the page must be updated. Run them from the repository's root:

    python -m pytest tests/test_article.py
"""
import os
import sys
from datetime import timedelta

import flask
import flask_restful
import jwt
import pytest
from flask import Flask, request
from flask_jwt_extended import JWTManager, create_access_token, jwt_required
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy.orm.exc import UnmappedInstanceError

from conftest import AuthActions, TEST_SECRET, TEST_SETTINGS, bearer
from course.lessons import ROOT
from course.loader import load_app_module



def course_app(lesson_id, testing=False, **overrides):
    """A reference solution's app, with TESTING off unless asked (as in production)."""
    module = load_app_module(ROOT / "solutions" / lesson_id)
    return module.create_app({**TEST_SETTINGS, "TESTING": testing, **overrides})


def article_style_app(testing=False, **settings):
    """A bare Flask + Flask-RESTful + flask-jwt-extended app configured the way the article does."""
    app = Flask(__name__)
    app.config.update(JWT_SECRET_KEY=TEST_SECRET, TESTING=testing, **settings)
    JWTManager(app)
    return app, flask_restful.Api(app)


def token_signed_with(key, identity="1", **options):
    """An access token made by flask-jwt-extended with `key` (another app's, or an attacker's)."""
    app = Flask(__name__)
    app.config["JWT_SECRET_KEY"] = key
    JWTManager(app)
    with app.app_context():
        return create_access_token(identity=identity, **options)


# 1. ---------------------------------------------------------------------------------------------------

def test_1_a_module_name_with_hyphens_is_a_syntax_error():
    with pytest.raises(SyntaxError):
        compile("from flask-jwt-extended import JWTManager\n", "app.py", "exec")
    compile("from flask_jwt_extended import JWTManager\n", "app.py", "exec")  # the module's real name


# 2. ---------------------------------------------------------------------------------------------------

def test_2_configuring_app_before_creating_it_is_a_name_error():
    setting_first = "app.config['JWT_SECRET_KEY'] = 'x'\napp = Flask(__name__)\n"
    with pytest.raises(NameError, match="'app' is not defined"):
        exec(setting_first, {"Flask": Flask, "__name__": "article"})


# 3. ---------------------------------------------------------------------------------------------------

def test_3_int_of_a_missing_variable_is_a_type_error(monkeypatch):
    monkeypatch.delenv("JWT_ACCESS_TOKEN_EXPIRES", raising=False)
    with pytest.raises(TypeError):
        timedelta(minutes=int(os.getenv("JWT_ACCESS_TOKEN_EXPIRES")))


def test_3_the_course_defaults_a_missing_lifetime_and_names_a_wrong_one(monkeypatch):
    monkeypatch.delenv("JWT_ACCESS_TOKEN_EXPIRES", raising=False)
    assert course_app("01_config").config["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=15)
    for wrong in ("thirty", "30m"):
        monkeypatch.setenv("JWT_ACCESS_TOKEN_EXPIRES", wrong)
        with pytest.raises(Exception, match="JWT_ACCESS_TOKEN_EXPIRES must be a whole number of minutes"):
            course_app("01_config")


def test_3_int_of_a_value_like_30m_is_a_value_error_that_does_not_name_the_variable(monkeypatch):
    monkeypatch.setenv("JWT_ACCESS_TOKEN_EXPIRES", "30m")
    with pytest.raises(ValueError) as error:
        timedelta(minutes=int(os.getenv("JWT_ACCESS_TOKEN_EXPIRES")))
    assert "JWT_ACCESS_TOKEN_EXPIRES" not in str(error.value)


@pytest.mark.parametrize("lesson_id", ["01_config", "04_expiry"])
@pytest.mark.parametrize("lifetime", [timedelta(0), timedelta(minutes=-5), False], ids=["zero", "negative", "disabled"])
def test_3_the_course_refuses_a_lifetime_that_is_zero_negative_or_disabled(lesson_id, lifetime):
    with pytest.raises(Exception, match="JWT_ACCESS_TOKEN_EXPIRES must be a positive"):
        course_app(lesson_id, JWT_ACCESS_TOKEN_EXPIRES=lifetime)


# 4. ---------------------------------------------------------------------------------------------------

def test_4_a_short_sample_key_makes_pyjwt_warn():
    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning, match="11 bytes long"):
        jwt.encode({"sub": "1"}, "aRandomHash", algorithm="HS256")


def test_4_the_course_refuses_a_short_key():
    with pytest.raises(Exception, match="JWT_SECRET_KEY is too short"):
        course_app("01_config", JWT_SECRET_KEY="aRandomHash")


# 5. and 6. ----------------------------------------------------------------------------------------------

class CountingUser:
    """A user whose password check counts how often it runs."""

    checks = 0

    def password_matches(self, password):
        CountingUser.checks += 1
        return password == "right"


def article_style_login(testing=False):
    """A login in the article's order: for a JSON body, read the username and find the user; read the password
    only once a user is found; then 404 for no user, 401 for a wrong password (checking it a second time)."""
    app, api = article_style_app(testing)
    users = {"alice": CountingUser()}

    class Login(flask_restful.Resource):
        def post(self):
            if not request.is_json:
                return None  # as when the article's `if` is skipped: the method ends without an answer
            found = users.get(request.json["username"])
            if found is not None and found.password_matches(request.json["password"]):
                return {"access_token": "..."}, 200
            if found is None:
                return {"Message": "no such user"}, 404
            if not found.password_matches(request.json["password"]):  # the second check
                return {"Message": "wrong password"}, 401

    api.add_resource(Login, "/login")
    return app.test_client()


def test_5_a_missing_password_is_a_404_for_an_unknown_user_and_a_500_for_a_known_one():
    client = article_style_login()
    assert client.post("/login", json={"username": "mallory"}).status_code == 404  # the password is never read
    assert client.post("/login", json={"username": "alice"}).status_code == 500  # KeyError: 'password'
    assert client.post("/login", json={"password": "a guess"}).status_code == 500  # KeyError: 'username'


def test_5_a_body_that_is_not_json_is_a_200_null():
    not_json = article_style_login().post("/login", data="username=alice")
    assert (not_json.status_code, not_json.get_json()) == (200, None)  # the method returned nothing


def test_5_the_course_answers_both_with_a_4xx():
    client = course_app("02_login").test_client()
    AuthActions(client).register("alice")
    for body in ({"username": "mallory"}, {"username": "alice"}, {"password": "a guess"}):
        assert client.post("/login", json=body).status_code == 400
    assert client.post("/login", data="username=alice").status_code == 415


def test_6_the_answer_tells_who_has_an_account_and_the_password_is_checked_twice():
    client = article_style_login()
    unknown = client.post("/login", json={"username": "mallory", "password": "guess"})
    CountingUser.checks = 0
    wrong = client.post("/login", json={"username": "alice", "password": "guess"})
    assert (unknown.status_code, wrong.status_code) == (404, 401)  # so "alice" exists, "mallory" does not
    assert CountingUser.checks == 2


def test_6_the_course_answers_the_same_and_checks_once(monkeypatch):
    client = course_app("02_login").test_client()
    AuthActions(client).register("alice")
    models = sys.modules["models"]  # the lesson's own models module, loaded with its app
    checks = []
    real_check = models.check_password_hash
    monkeypatch.setattr(models, "check_password_hash", lambda *args: checks.append(1) or real_check(*args))
    unknown = client.post("/login", json={"username": "mallory", "password": "a guess"})
    unknown_checks = len(checks)
    checks.clear()
    wrong = client.post("/login", json={"username": "alice", "password": "a guess"})
    assert unknown.status_code == 401
    assert (unknown.status_code, unknown.get_json()) == (wrong.status_code, wrong.get_json())
    assert unknown_checks == len(checks) == 1  # one check each (a dummy hash for the unknown user): same time


# 7. ---------------------------------------------------------------------------------------------------

def article_style_protected(testing=False, **settings):
    app, api = article_style_app(testing, **settings)

    class Blogs(flask_restful.Resource):
        @jwt_required()
        def post(self):
            return {"ok": True}, 201

    api.add_resource(Blogs, "/blogs")
    return app.test_client()


TOKEN_PROBLEMS = {  # the Authorization header each problem sends (None: no header at all)
    "missing token": lambda: None,
    "malformed token": lambda: "Bearer not-a-token",
    "forged token": lambda: "Bearer " + token_signed_with("an-attackers-own-key-that-is-long-enough"),
    "expired token": lambda: "Bearer " + token_signed_with(TEST_SECRET, expires_delta=timedelta(seconds=-1)),
}


def headers_for(problem):
    header = TOKEN_PROBLEMS[problem]()
    return {"Authorization": header} if header else {}


@pytest.mark.parametrize("problem", TOKEN_PROBLEMS)
def test_7_token_errors_are_500_in_production_and_look_right_in_testing_or_debug(problem):
    assert article_style_protected().post("/blogs", headers=headers_for(problem)).status_code == 500
    assert article_style_protected(testing=True).post("/blogs", headers=headers_for(problem)).status_code in (401, 422)
    debug = article_style_protected(DEBUG=True).post("/blogs", headers=headers_for(problem))
    assert debug.status_code in (401, 422)


LESSON_03_STATUS = {"missing token": 401, "malformed token": 422, "forged token": 422, "expired token": 401}


@pytest.mark.parametrize("lesson_id", ["03_protected_route", "05_error_handling"])
@pytest.mark.parametrize("problem", TOKEN_PROBLEMS)
def test_7_the_course_answers_token_errors_in_production(lesson_id, problem):
    client = course_app(lesson_id).test_client()
    AuthActions(client).register("alice")  # user 1, so that the expired token names someone
    response = client.post("/blogs", json={"title": "Hello", "body": "A post."}, headers=headers_for(problem))
    # lesson 03 keeps flask-jwt-extended's statuses; lesson 05 answers 401 for every token problem (RFC 6750)
    assert response.status_code == (401 if lesson_id == "05_error_handling" else LESSON_03_STATUS[problem])


# 8. ---------------------------------------------------------------------------------------------------

def test_8_load_returns_a_dict_that_the_session_cannot_add():
    class PostSchema(Schema):  # validation only, no @post_load
        title = fields.String(required=True)

    loaded = PostSchema().load({"title": "Hello"})
    assert loaded == {"title": "Hello"}
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)
    with app.app_context(), pytest.raises(UnmappedInstanceError):
        db.session.add(loaded)


def test_8_the_course_schema_builds_the_model():
    app = course_app("03_protected_route")
    schemas = sys.modules["schemas"]
    with app.app_context():
        blog = schemas.BlogSchema().load({"title": "Hello", "body": "A post."})
    assert type(blog).__name__ == "Blog" and blog.title == "Hello"


# 9. ---------------------------------------------------------------------------------------------------

def test_9_a_stray_character_after_abort_is_a_syntax_error():
    with pytest.raises(SyntaxError):
        compile("abort(400, problems)x  # a letter left after the call\n", "resources.py", "exec")


def aborting_app(abort):
    app, api = article_style_app()

    class Blogs(flask_restful.Resource):
        def post(self):
            abort(400, {"title": ["Missing data for required field."]})

    api.add_resource(Blogs, "/blogs")
    return app.test_client()


def test_9_which_abort_matters():
    restful = aborting_app(flask_restful.abort).post("/blogs")
    assert restful.status_code == 500  # flask_restful.abort takes keywords only: a TypeError
    plain = aborting_app(flask.abort).post("/blogs")
    assert plain.status_code == 400
    assert plain.get_json() == {"message": {"title": ["Missing data for required field."]}}


def test_9_the_course_aborts_with_keywords():
    client = course_app("03_protected_route").test_client()
    token = AuthActions(client).token()
    response = client.post("/blogs", json={"body": "no title"}, headers=bearer(token))
    assert response.status_code == 400
    assert set(response.get_json()) == {"message", "errors"} and "title" in response.get_json()["errors"]


# 10. --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("identity, status", [(1, 422), ("1", 201)], ids=["integer identity", "string identity"])
def test_10_an_integer_identity_breaks_every_protected_request(identity, status):
    app = course_app("03_protected_route")
    client = app.test_client()
    AuthActions(client).register("alice")
    with app.app_context():
        token = create_access_token(identity=identity)
    response = client.post("/blogs", json={"title": "Hello", "body": "A post."}, headers=bearer(token))
    assert response.status_code == status
    if status == 422:
        assert response.get_json()["message"] == "Subject must be a string"  # lesson 03 renames the key


def test_10_with_the_library_defaults_the_422_says_msg():
    client = article_style_protected(testing=True)  # in production this would be a 500 (item 7)
    response = client.post("/blogs", headers=bearer(token_signed_with(TEST_SECRET, identity=1)))
    assert (response.status_code, response.get_json()) == (422, {"msg": "Subject must be a string"})


# 11. --------------------------------------------------------------------------------------------------

def test_11_anyone_who_holds_a_token_can_read_its_claims_without_the_key():
    client = course_app("02_login").test_client()
    token = AuthActions(client).token("alice")
    claims = jwt.decode(token, options={"verify_signature": False})  # no key needed: signed, not encrypted
    assert claims["sub"] == "1" and claims["exp"] > claims["iat"]


def test_11_flask_jwt_extended_falls_back_to_flasks_secret_key():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = TEST_SECRET  # no JWT_SECRET_KEY
    JWTManager(app)
    with app.app_context():
        token = create_access_token(identity="alice")
    assert jwt.decode(token, TEST_SECRET, algorithms=["HS256"])["sub"] == "alice"


@pytest.mark.parametrize("lesson_id", ["01_config", "05_error_handling", "09_cookies_and_csrf"])
def test_11_the_course_wants_a_jwt_secret_key_of_its_own(lesson_id):
    with pytest.raises(Exception, match="JWT_SECRET_KEY is not set"):
        course_app(lesson_id, JWT_SECRET_KEY="", SECRET_KEY=TEST_SECRET)


def test_11_lesson_10_wants_a_private_key_instead():
    with pytest.raises(Exception, match="JWT_PRIVATE_KEY_FILE is not set"):
        course_app("10_asymmetric_keys", JWT_PRIVATE_KEY="", JWT_SECRET_KEY="", SECRET_KEY=TEST_SECRET)


LIBRARY_CLAIMS = {"sub", "iat", "nbf", "exp", "jti", "type", "fresh", "csrf"}


@pytest.mark.parametrize("lesson_id, added", [
    ("02_login", set()), ("07_logout", {"family", "token_version"}),
    ("08_claims_and_roles", {"family", "token_version", "role"}),
    ("10_asymmetric_keys", {"family", "token_version", "role", "iss", "aud"}),
])
def test_11_what_the_course_tokens_hold(lesson_id, added):
    token = AuthActions(course_app(lesson_id).test_client()).token("alice")
    assert set(jwt.decode(token, options={"verify_signature": False})) == LIBRARY_CLAIMS | added


def test_11_what_a_success_answers():
    client = course_app("03_protected_route").test_client()
    auth = AuthActions(client)
    token = auth.token("alice")
    login = auth.login("alice")
    assert (login.status_code, set(login.get_json())) == (200, {"access_token"})
    created = client.post("/blogs", json={"title": "Hello", "body": "A post."}, headers=bearer(token))
    assert created.status_code == 201
    assert {"id", "title", "body", "author", "created_at"} == set(created.get_json())
    assert created.get_json()["author"] == "alice"
