"""The database tables, as Flask-SQLAlchemy models."""
import secrets
from datetime import datetime, timezone
from functools import lru_cache

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db

MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds on every database (PostgreSQL: 32 bits); no row above
# What a user may do, from least to most; each role may do everything the roles before it may (roles.py).
ROLES = ("reader", "author", "admin")


class User(db.Model):
    """Someone who can log in. Only a hash of the password is stored, never the password itself."""

    __tablename__ = "users"
    __table_args__ = (
        db.CheckConstraint(db.column("role").in_(ROLES), name="known_role"),  # the database refuses any other role
        {"sqlite_autoincrement": True},  # never reuse a deleted user's id: old tokens name it
    )
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    # Goes up by one at each logout from every device (and password change). Every token carries the number it
    # was made with (claim "token_version"), so the tokens made before are refused (auth.py, token_is_revoked).
    token_version = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    # A new user gets the least; only `flask --app app set-role` changes it (commands.py): no request can.
    role = db.Column(db.String(20), nullable=False, default="reader", server_default="reader")

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)


class Blog(db.Model):
    """A blog post. Its author is whoever was logged in when it was published."""

    __tablename__ = "blogs"
    __table_args__ = {"sqlite_autoincrement": True}  # never reuse a deleted post's id: a late request names it
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=lambda: datetime.now(timezone.utc))
    # A draft (False) is seen by its author only; a post is published unless the author says otherwise.
    published = db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())
    # Deleting a user deletes their posts: the database does it (ON DELETE CASCADE), in the same transaction.
    author_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    author = db.relationship(User)


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


class RefreshToken(db.Model):
    """The newest refresh token of each login, kept so that each token works once and a login can be revoked
    (tokens.py). One row per login, however often it refreshes: the table grows with logins, not with refreshes.

    The tokens of one login form a family, named by their "family" claim. Each refresh replaces the row's jti with
    the next token's; a token of the family whose jti is not the row's was replaced already. Revoking a login
    sets revoked_at.
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = {"sqlite_autoincrement": True}  # SQLite would otherwise hand a deleted row's id out again
    id = db.Column(db.Integer, primary_key=True)
    family = db.Column(db.String(32), unique=True, nullable=False)  # a random id for the login: the "family" claim
    jti = db.Column(db.String(36), nullable=False)  # the newest token's own id, its "jti" claim
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)  # the newest token's "exp"
    revoked_at = db.Column(db.DateTime(timezone=True))  # when the login was revoked (None: it was not)


class RevokedToken(db.Model):
    """An access token that was logged out before it expired, or a login that was ended: then `jti` holds the
    login's family, and every access token of the login is refused (blocklist.py, DatabaseBlocklist).

    Keyed by the token's jti, so checking a token is one lookup by primary key. expires_at is when the token
    would be refused anyway; after it the row is useless, and `flask --app app prune-blocklist` deletes it.
    """

    __tablename__ = "revoked_tokens"
    jti = db.Column(db.String(36), primary_key=True)  # the token's own id, its "jti" claim (or a family)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)
