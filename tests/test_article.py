"""The article "Using JWT in Flask", flaw by flaw (docs/from-the-article.md explains each).

Each test reproduces what the article's approach does, with a few lines of our own written to behave as its
snippets do, and checks that the course's solution does better. If a library changes the behaviour, the test
fails and the page must be updated.
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


def article_style_app(testing=False):
    """A bare Flask + Flask-RESTful + flask-jwt-extended app configured the way the article does."""
    app = Flask(__name__)
    app.config.update(JWT_SECRET_KEY=TEST_SECRET, TESTING=testing)
    JWTManager(app)
    return app, flask_restful.Api(app)


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
    monkeypatch.setenv("JWT_ACCESS_TOKEN_EXPIRES", "thirty")
    with pytest.raises(Exception, match="JWT_ACCESS_TOKEN_EXPIRES must be a whole number of minutes"):
        course_app("01_config")


# 4. ---------------------------------------------------------------------------------------------------

def test_4_a_short_sample_key_makes_pyjwt_warn():
    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning):
        jwt.encode({"sub": "1"}, "aRandomHash", algorithm="HS256")


def test_4_the_course_refuses_a_short_key():
    with pytest.raises(Exception, match="JWT_SECRET_KEY is too short"):
        course_app("01_config", JWT_SECRET_KEY="aRandomHash")


# 5. ---------------------------------------------------------------------------------------------------

def article_style_login(testing=False):
    """A login resource that reads fields with request.json[...] inside `if request.is_json:`."""
    app, api = article_style_app(testing)

    class Login(flask_restful.Resource):
        def post(self):
            if request.is_json:
                return {"username": request.json["username"], "password": request.json["password"]}, 200

    api.add_resource(Login, "/login")
    return app.test_client()


def test_5_a_missing_field_is_a_500_and_a_body_that_is_not_json_a_200_null():
    client = article_style_login()
    missing = client.post("/login", json={"username": "alice"})
    assert missing.status_code == 500  # KeyError: 'password'
    not_json = client.post("/login", data="username=alice")
    assert (not_json.status_code, not_json.get_json()) == (200, None)  # the method returned nothing


def test_5_the_course_answers_both_with_a_4xx():
    client = course_app("02_login").test_client()
    assert client.post("/login", json={"username": "alice"}).status_code == 400
    assert client.post("/login", data="username=alice").status_code == 415


# 6. ---------------------------------------------------------------------------------------------------

class CountingUser:
    """A user whose password check counts how often it runs."""

    checks = 0

    def verify_password(self, password):
        CountingUser.checks += 1
        return password == "right"


def article_style_user_lookup():
    """404 for an unknown user, 401 for a wrong password: the article's three-branch login."""
    app, api = article_style_app()
    users = {"alice": CountingUser()}

    class Login(flask_restful.Resource):
        def post(self):
            user, password = users.get(request.json["username"]), request.json["password"]
            if user and user.verify_password(password):
                return {"access_token": "..."}, 200
            elif not user:
                return {"Message": "no such user"}, 404
            elif not user.verify_password(password):
                return {"Message": "wrong password"}, 401

    api.add_resource(Login, "/login")
    return app.test_client()


def test_6_the_answer_tells_who_has_an_account_and_the_password_is_checked_twice():
    client = article_style_user_lookup()
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
    wrong = client.post("/login", json={"username": "alice", "password": "a guess"})
    assert (unknown.status_code, unknown.get_json()) == (wrong.status_code, wrong.get_json())
    assert len(checks) == 2  # one check each: the unknown user's against a dummy hash, so both take as long


# 7. ---------------------------------------------------------------------------------------------------

def article_style_protected(testing):
    app, api = article_style_app(testing)

    class Blogs(flask_restful.Resource):
        @jwt_required()
        def post(self):
            return {"ok": True}, 201

    api.add_resource(Blogs, "/blogs")
    return app.test_client()


@pytest.mark.parametrize("header", [None, "Bearer not-a-token"], ids=["missing token", "malformed token"])
def test_7_token_errors_are_500_in_production_and_look_right_in_testing(header):
    headers = {"Authorization": header} if header else {}
    assert article_style_protected(testing=False).post("/blogs", headers=headers).status_code == 500
    assert article_style_protected(testing=True).post("/blogs", headers=headers).status_code in (401, 422)


@pytest.mark.parametrize("lesson_id", ["03_protected_route", "05_error_handling"])
@pytest.mark.parametrize("header", [None, "Bearer not-a-token"], ids=["missing token", "malformed token"])
def test_7_the_course_answers_token_errors_in_production(lesson_id, header):
    headers = {"Authorization": header} if header else {}
    response = course_app(lesson_id).test_client().post("/blogs", json={}, headers=headers)
    assert response.status_code in (401, 422)


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
        assert response.get_json()["message"] == "Subject must be a string"
