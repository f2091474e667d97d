"""Roles: what a logged-in user may do. Lessons 02 to 07 asked "who are you?"; this file answers "what may you do?".

- Every user has a role in the database (models.User.role): reader, author or admin (models.ROLES). Each role may
  do everything the roles before it may: an admin may publish, like an author.
- Every token carries the role as a claim, written when the token is made (role_claims). It is a snapshot: if
  the role changes afterwards, the token goes on saying the old one until it expires.
- role_required(role) refuses a token whose role claim is below `role`: a quick check that trusts the snapshot.
  Destructive actions ask the database instead (resources.py, deletable_blog).
- change_role is the only way a role changes, and it ends the user's logins, so that no token keeps the old role.
"""
from functools import wraps

from flask_jwt_extended import get_jwt, verify_jwt_in_request
from flask_restful import abort

from auth import find_user
from models import ROLES
from tokens import log_out_everywhere


def at_least(role, needed):
    """Whether `role` may do what `needed` may ("admin" may do what "author" may). None or an unknown role: no."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def role_claims(identity):
    """The claims added to every token this app makes (registered in app.py with jwt.additional_claims_loader).

    `identity` is what create_access_token was given: the user's id as text. The role is read from the database
    now, when the token is made; the token carries it, unchanged, until it expires.
    """
    user = find_user(identity)
    return {} if user is None else {"role": user.role}


def role_required(role):
    """A decorator like @jwt_required() that also refuses (403 "forbidden") a token whose role claim is below `role`.

        @role_required("admin")
        def get(self): ...

    It is flask-jwt-extended's pattern for decorators of your own: verify_jwt_in_request() does the checks of
    @jwt_required() (a 401 without a valid token), then get_jwt() holds the token's claims.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            verify_jwt_in_request()
            if not at_least(get_jwt().get("role"), role):  # .get: a token made before roles existed has none
                abort(403, message=f"This needs the {role} role.", code="forbidden")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def change_role(user, role):
    """Give `user` a new role, and end every login of theirs, as /logout-all does (the caller commits).

    Every token made before, access and refresh alike, is refused from now on (lesson 07's token_version), so no
    token goes on saying the old role: the user logs in again and gets one made from the database.
    """
    user.role = role
    log_out_everywhere(user)
