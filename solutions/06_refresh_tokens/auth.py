"""Who is calling: flask-jwt-extended turns a verified token into the logged-in user."""
import re

from extensions import db
from models import MAX_ID, User
from tokens import refresh_token_is_revoked

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


def token_is_revoked(jwt_header, jwt_payload):
    """Whether flask-jwt-extended must refuse this token (jwt.token_in_blocklist_loader): True answers 401.

    Access tokens are not stored; they live minutes. A refresh token is refused when the app has no row for its
    login (never issued here, or pruned) or when it is the newest token of a revoked login. An older token of the
    login is let through on purpose: /refresh must see it to recognise reuse (tokens.py).
    """
    if jwt_payload["type"] != "refresh":
        return False
    return refresh_token_is_revoked(jwt_payload)
