"""Who is calling: flask-jwt-extended turns a verified token into the logged-in user."""
from flask import jsonify

from extensions import db
from models import User


def load_user(jwt_header, jwt_payload):
    """Return the User a token names (its `sub` is the user's id, as text), or None if there is none.

    None makes flask-jwt-extended answer 401, so a token outlives its user harmlessly.
    Registered in app.py with jwt.user_lookup_loader; protected views then read `current_user`.
    """
    return db.session.get(User, int(jwt_payload["sub"]))


def token_expired(jwt_header, jwt_payload):
    """The answer to a request whose token's `exp` has passed: 401, saying so, so the client logs in again.

    Registered in app.py with jwt.expired_token_loader.
    """
    # TODO 2: answer 401 with {"message": ..., "code": "token_expired"}
    return jsonify(message="Token has expired"), 401
    # END TODO 2
