"""The database tables, as Flask-SQLAlchemy models."""
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db


class User(db.Model):
    """Someone who can log in. Only a hash of the password is stored, never the password itself."""

    __tablename__ = "users"
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
