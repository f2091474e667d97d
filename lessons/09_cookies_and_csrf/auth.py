"""Who is calling: flask-jwt-extended turns a verified token into the logged-in user."""
import re
from functools import wraps

from flask import g, request
from flask_jwt_extended import verify_jwt_in_request

from blocklist import current_blocklist
from extensions import db
from models import MAX_ID, User
from tokens import refresh_token_is_revoked

ID_TEXT = re.compile(r"[0-9]{1,19}")  # an id written in decimal, as str(user.id) writes it


def load_user(jwt_header, jwt_payload):
    """Return the User a token names (its `sub` is the user's id, as text), or None if there is none.

    None makes flask-jwt-extended answer 401 (user_not_found, below), so a token outlives its user harmlessly.
    Registered in app.py with jwt.user_lookup_loader; protected views then read `current_user`.
    """
    return token_user(jwt_payload)


def token_optional(view):
    """A decorator for views that anyone may call, and that show a logged-in user more (GET /blogs: drafts).

    It is @jwt_required(optional=True), except for one case. flask-jwt-extended takes an Authorization header that
    is not `Bearer <token>` ("Basic ...", a token alone) for no header at all, so such a client would quietly get
    the anonymous answer, while `Bearer` with a broken token gets a 401. A client that sends the header means to
    log in: here it is checked as @jwt_required() checks it, and gets the same 401 as on a protected route. Only a
    request without the header is anonymous (get_current_user() is None). The same pattern as roles.py's
    role_required: verify_jwt_in_request() does the checks.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        verify_jwt_in_request(optional="Authorization" not in request.headers)
        return view(*args, **kwargs)

    return wrapper


def token_user(jwt_payload):
    """The User the token's `sub` names, or None, asked of the database once per token check: the blocklist check
    (made_before_logout_everywhere) needs it first, then load_user. flask.g keeps it in between, as the Flask
    tutorial keeps g.user: SQLAlchemy's session would not (it holds a loaded object only while something else
    refers to it, so asking it twice would query twice). It is kept for these claims only (flask-jwt-extended
    hands the same dict to both): g can outlive a request (a test's app context), and the user a row."""
    if g.get("token_claims") is not jwt_payload:
        g.token_claims, g.token_user = jwt_payload, find_user(jwt_payload["sub"])
    return g.token_user


def find_user(sub):
    """The User whose id is written in `sub` ("42"), or None. The claims loader (roles.py) uses it too."""
    user_id = user_id_from(sub)
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

    - Any token made before its user's last logout from everywhere (an older token_version) is revoked.
    - A refresh token is refused when the app has no row for its login (never issued here, or pruned) or when
      it is the newest token of a revoked login (lesson 06). An older token of the login is let through on
      purpose: /refresh must see it to recognise reuse (tokens.py).
    - An access token is revoked when the blocklist holds its jti (it was logged out) or its family (its login
      was ended: /logout with another token of the login, or a refresh token reused). One question: blocklist.py.
    """
    if made_before_logout_everywhere(jwt_payload):
        return True
    if jwt_payload["type"] == "refresh":
        return refresh_token_is_revoked(jwt_payload)
    return current_blocklist().contains(*blocklist_ids(jwt_payload))


def blocklist_ids(jwt_payload):
    """What the blocklist may hold for an access token: its jti, and its family (a token made before this
    lesson has none)."""
    if "family" not in jwt_payload:
        return [jwt_payload["jti"]]
    return [jwt_payload["jti"], jwt_payload["family"]]


def made_before_logout_everywhere(jwt_payload):
    """Whether the token's token_version is not its user's current one. A token without the claim counts as
    version 0: tokens made before this lesson's code was deployed work until the user's first logout-all.
    """
    user = token_user(jwt_payload)
    if user is None:
        return False  # load_user answers for it: 401 user_not_found
    return jwt_payload.get("token_version", 0) != user.token_version
