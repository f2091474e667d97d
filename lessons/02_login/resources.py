"""The API's endpoints, as Flask-RESTful resources."""
from flask import current_app
from flask_jwt_extended import create_access_token
from flask_restful import Resource, abort
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import User, check_dummy_password
from schemas import LoginSchema, RegisterSchema, load_json

# One answer for "no such user" and "wrong password": a different one would tell anyone which usernames exist.
WRONG_CREDENTIALS = "Wrong username or password."


class Health(Resource):
    """GET /health: the app is up. It shows settings that are safe to show, never the secret key."""

    def get(self):
        expires = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
        return {"status": "ok", "access_token_minutes": int(expires.total_seconds() // 60)}


class Register(Resource):
    """POST /register {username, password}: create a user."""

    def post(self):
        data = load_json(RegisterSchema())
        user = User(username=data["username"])
        user.set_password(data["password"])
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:  # the username is taken (the column is unique)
            db.session.rollback()
            abort(409, message="That username is already taken.")
        return {"id": user.id, "username": user.username}, 201


class Login(Resource):
    """POST /login {username, password}: answer with an access token if the password is right."""

    def post(self):
        credentials = load_json(LoginSchema())
        user = db.session.execute(db.select(User).filter_by(username=credentials["username"])).scalar_one_or_none()
        # TODO 2: answer 401 with WRONG_CREDENTIALS for an unknown user or a wrong password, checking a hash in both
        pass
        # END TODO 2
        # TODO 3: create an access token whose identity is the user's id, as a string, and answer with it
        abort(501, message="Login is not written yet: see TODO 3 in resources.py.")
        # END TODO 3
