"""The database tables, as Flask-SQLAlchemy models."""
import secrets
from functools import lru_cache

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db


class User(db.Model):
    """Someone who can log in. Only a hash of the password is stored, never the password itself."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}  # never reuse a deleted user's id: old tokens name it
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)

    def set_password(self, password):
        # TODO 1: store a salted hash of the password (werkzeug's generate_password_hash), never the password
        raise NotImplementedError("TODO 1 in models.py: hash the password")
        # END TODO 1

    def check_password(self, password):
        # TODO 1: say whether the password matches the stored hash (check_password_hash)
        raise NotImplementedError("TODO 1 in models.py: check the password against the hash")
        # END TODO 1


def check_dummy_password(password):
    """Check `password` against a hash of no one's password, and ignore the result.

    Login calls this when the username is unknown. Without it, refusing an unknown user takes no hashing while a
    wrong password takes one hash check (~0.1 s with scrypt), and the time of the answer tells who has an account.
    """
    check_password_hash(dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)


@lru_cache
def dummy_hash(method):
    """A hash of a random password made with `method`, once: checking it costs what checking a real one costs."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)
