"""Who is calling: flask-jwt-extended turns a verified token into the logged-in user."""
from extensions import db
from models import User


def load_user(jwt_header, jwt_payload):
    """Return the User a token names (its `sub` is the user's id, as text), or None if there is none.

    None makes flask-jwt-extended answer 401, so a token outlives its user harmlessly.
    Registered in app.py with jwt.user_lookup_loader; protected views then read `current_user`.
    """
    return db.session.get(User, int(jwt_payload["sub"]))
