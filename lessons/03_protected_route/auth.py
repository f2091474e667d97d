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
    # TODO 2: look the user up by the id in the token's "sub" claim (user_id_from turns it into a number)
    return None
    # END TODO 2


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
