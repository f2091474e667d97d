"""Refresh tokens, kept in the database so that each works once and a login can be ended.

A JWT is checked without asking anyone, which is what makes it cheap, and also why it cannot be taken back.
For refresh tokens, which live for days, the app keeps one row per login (models.RefreshToken): the login's
newest refresh token. Every refresh token names its login in a "family" claim, which the signature protects.

- rotation: each refresh token works once; /refresh replaces the login's newest token with the next one;
- reuse detection: a token of the login that is not its newest was replaced already, so it was copied, and the
  whole login is revoked. The row needs no history for that: the token itself says which login it belongs to;
- revocation: logging out revokes the login; logging out everywhere, or changing the password, revokes every
  login of the user.

A refresh, a reuse and a logout change one row (their login's) and wait for nothing else while they hold it;
logging out everywhere and changing the password write the user's row first, then the rows of the user's logins.
So no two requests can wait for each other in a circle (a deadlock, which PostgreSQL ends by failing one of
them: a 500). With a row per token, two reuses of one login each revoked several rows, in orders of their own,
and did deadlock now and then.

Every token of a login, access and refresh alike, carries two claims of our own (login_claims): its family, so
that /logout knows which login to end, and the user's token_version, so that /logout-all can end them all.
"""
import secrets
from datetime import datetime, timezone

from flask_jwt_extended import create_refresh_token, decode_token

from blocklist import current_blocklist, every_access_token_refused_at
from extensions import db
from models import RefreshToken, User


def now():
    return datetime.now(timezone.utc)


def new_family():
    """A random id for the refresh tokens of one login."""
    return secrets.token_hex(16)


def login_claims(user, family):
    """The claims of our own that every token of a login carries (create_*_token(..., additional_claims=...))."""
    return {"family": family, "token_version": user.token_version}


def make_refresh_token(user, family):
    """A new refresh token of the login `family` (login_claims), with its jti and expiry as the row keeps them."""
    token = create_refresh_token(identity=str(user.id), additional_claims=login_claims(user, family))
    claims = decode_token(token)  # its jti (unique id) and exp, as the library wrote them
    return token, claims["jti"], datetime.fromtimestamp(claims["exp"], timezone.utc)


def issue_refresh_token(user, family):
    """Make the first refresh token of a new login, `family`, and store it as its newest (the caller commits)."""
    token, jti, expires_at = make_refresh_token(user, family)
    db.session.add(RefreshToken(family=family, jti=jti, user_id=user.id, expires_at=expires_at))
    return token


def rotate(user, family, jti):
    """Replace the login's newest token, if it is `jti`, with the next one, and return that one (the caller
    commits). None when `jti` is not the newest token of a live login: it was replaced already (so it was copied),
    or the login was revoked.

    The check and the change are one UPDATE ... WHERE family = :family AND jti = :jti: the database runs two of
    them one after the other, so when two requests present the same token at once, exactly one matches the row
    and the other matches nothing. Reading the row, checking the jti in Python, then writing would let both through.
    """
    token, next_jti, expires_at = make_refresh_token(user, family)
    replaced = db.session.execute(
        db.update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.jti == jti, RefreshToken.revoked_at.is_(None))
        .values(jti=next_jti, expires_at=expires_at)
    )
    return token if replaced.rowcount == 1 else None


def newest_refresh_token(family):
    """The stored row of the login `family` (its newest refresh token), or None: never issued here, or pruned."""
    return db.session.execute(db.select(RefreshToken).filter_by(family=family)).scalar_one_or_none()


def refresh_token_is_revoked(claims):
    """Whether a refresh token must be refused (auth.py, token_is_revoked): its login is unknown here (never
    issued here, or pruned), or it is the newest token of a login that was revoked.

    A token that is not its login's newest is let through on purpose, even once the login was revoked: it was
    replaced, so it is a copy, and /refresh must see it to say so (refresh_token_reused).
    """
    newest = newest_refresh_token(claims.get("family"))  # a token without the claim was not made here
    return newest is None or (newest.jti == claims["jti"] and newest.revoked_at is not None)


def family_is_revoked(family):
    """Whether the login `family` was revoked (cookies.py, login_goes_on)."""
    revoked = db.select(RefreshToken.id).where(RefreshToken.family == family, RefreshToken.revoked_at.is_not(None))
    return db.session.execute(revoked.limit(1)).first() is not None


def revoke_family(family):
    """End one login: none of its refresh tokens works any more (the caller commits)."""
    db.session.execute(
        db.update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def end_login(family):
    """End one login: its refresh tokens (revoke_family), then its access tokens (the family goes into the
    blocklist until the last of them is refused anyway). Commits each step, the database first: if the blocklist
    fails after it (a 503), the caller's token still works to try again."""
    revoke_family(family)
    db.session.commit()
    current_blocklist().add(family, every_access_token_refused_at())
    db.session.commit()


def revoke_every_family(user_id):
    """End every login of the user, on every device (the caller commits)."""
    db.session.execute(
        db.update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def log_out_everywhere(user):
    """End every login of the user: revoke every family, and add one to token_version, so that every token
    made before, access tokens included, is refused (the caller commits).

    The addition happens in the database (token_version = token_version + 1), so two at once both count.
    The user's row is written first, then the refresh tokens, as /password writes them (the new hash, then
    revoke): with one order everywhere, two requests never each hold a row the other waits for (a deadlock).
    """
    db.session.execute(db.update(User).where(User.id == user.id).values(token_version=User.token_version + 1))
    revoke_every_family(user.id)


def prune_ended_logins():
    """Delete the rows of logins that can no longer refresh: revoked, or whose newest token has expired; return how
    many went (the caller commits). A token of a deleted login is refused as unknown, as it was before. Live logins
    keep their row, so a copied token of one is still recognised."""
    ended = db.or_(RefreshToken.revoked_at.is_not(None), RefreshToken.expires_at < now())
    return db.session.execute(db.delete(RefreshToken).where(ended)).rowcount
