"""The database tables, as Flask-SQLAlchemy models."""
from datetime import datetime, timezone

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
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)


class Blog(db.Model):
    """A blog post. Its author is whoever was logged in when it was published."""

    __tablename__ = "blogs"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=lambda: datetime.now(timezone.utc))
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    author = db.relationship(User)


class RefreshToken(db.Model):
    """A refresh token that was issued, kept so that it can be used once and revoked (tokens.py).

    The tokens of one login form a family: each refresh retires the presented token (used_at) and issues the
    next one in the same family. Revoking a login sets revoked_at on every token of its family.
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = {"sqlite_autoincrement": True}  # SQLite would otherwise hand a deleted row's id out again
    id = db.Column(db.Integer, primary_key=True)
    jti = db.Column(db.String(36), unique=True, nullable=False)  # the token's own id, its "jti" claim
    family = db.Column(db.String(32), nullable=False, index=True)  # a random id shared by the tokens of one login
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)  # the token's "exp"
    used_at = db.Column(db.DateTime(timezone=True))  # when it was exchanged at /refresh (None: not yet)
    revoked_at = db.Column(db.DateTime(timezone=True))  # when its family was revoked (None: it was not)
