"""Who is calling: flask-jwt-extended turns a verified token into the logged-in user."""
import re

from flask import jsonify

from extensions import db
from models import MAX_ID, User

ID_TEXT = re.compile(r"[0-9]{1,19}")  # an id written in decimal, as str(user.id) writes it


def load_user(jwt_header, jwt_payload):
    """Return the User a token names (its `sub` is the user's id, as text), or None if there is none.

    None makes flask-jwt-extended answer 401 (user_not_found, below), so a token outlives its user harmlessly.
    Registered in app.py with jwt.user_lookup_loader; protected views then read `current_user`.
    """
    user_id = user_id_from(jwt_payload["sub"])
    return None if user_id is None else db.session.get(User, user_id)


def user_id_from(sub):
    """The id a token's `sub` holds ("42" gives 42), or None when it is not an id ("abc", "1.5", "", too big).

    Our own tokens always hold one; checking costs nothing and keeps any other signed text from causing a 500.
    """
    if not ID_TEXT.fullmatch(sub) or int(sub) > MAX_ID:
        return None
    return int(sub)


def user_not_found(jwt_header, jwt_payload):
    """The answer when load_user finds no one (jwt.user_lookup_error_loader): a 401 in our own words, where
    flask-jwt-extended's default would repeat the token's `sub` back."""
    return jsonify(message="The user this token was issued to no longer exists."), 401


def token_expired(jwt_header, jwt_payload):
    """The answer to a request whose token's `exp` has passed: 401, saying so, so the client logs in again.

    Registered in app.py with jwt.expired_token_loader.
    """
    # TODO 2: answer 401 with {"message": ..., "code": "token_expired"}
    return jsonify(message="The token has expired. Log in again to get a new one.", code="token_expired"), 401
    # END TODO 2
