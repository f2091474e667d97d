"""Refresh tokens, kept in the database so that each works once and a login can be ended.

A JWT is checked without asking anyone, which is what makes it cheap, and also why it cannot be taken back.
For refresh tokens, which live for days, the app keeps a row for each one it issues (models.RefreshToken):

- rotation: each refresh token works once; /refresh retires it and answers the next one of the same family;
- reuse detection: a retired token that comes back was copied, so its whole family (its login) is revoked;
- revocation: changing the password revokes every family of the user.
"""
import secrets
from datetime import datetime, timezone

from flask_jwt_extended import create_refresh_token, decode_token

from extensions import db
from models import RefreshToken


def now():
    return datetime.now(timezone.utc)


def new_family():
    """A random id for the refresh tokens of one login."""
    return secrets.token_hex(16)


def issue_refresh_token(user_id, family):
    """Make a refresh token for the user and store it as the newest of `family` (the caller commits)."""
    token = create_refresh_token(identity=str(user_id))
    claims = decode_token(token)  # its jti (unique id) and exp, as the library wrote them
    expires_at = datetime.fromtimestamp(claims["exp"], timezone.utc)
    db.session.add(RefreshToken(jti=claims["jti"], family=family, user_id=user_id, expires_at=expires_at))
    return token


def find_refresh_token(jti):
    """The stored row of the refresh token whose jti claim is `jti`, or None."""
    return db.session.execute(db.select(RefreshToken).filter_by(jti=jti)).scalar_one_or_none()


def family_is_revoked(family):
    """Whether the login `family` was ended: one revoked token is enough, even if a newer one is not marked."""
    revoked = db.select(RefreshToken.id).where(RefreshToken.family == family, RefreshToken.revoked_at.is_not(None))
    return db.session.execute(revoked.limit(1)).first() is not None


def retire(jti):
    """Mark the token used. True if this call did; False if it was used or revoked already (the caller commits).

    The check and the change are one UPDATE: the database runs two of them one after the other, so when two
    requests present the same token at once, exactly one matches the row and the other matches nothing.
    Reading the row, checking used_at in Python, then writing would let both through.
    """
    retired = db.session.execute(
        db.update(RefreshToken)
        .where(RefreshToken.jti == jti, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
        .values(used_at=now())
    )
    return retired.rowcount == 1


def revoke_family(family):
    """End one login: every refresh token of `family` stops working (the caller commits)."""
    db.session.execute(
        db.update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def revoke_every_family(user_id):
    """End every login of the user, on every device (the caller commits)."""
    db.session.execute(
        db.update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def prune_expired():
    """Delete the logins whose every token has expired; return how many rows went (the caller commits).

    A family goes as a whole, once its newest token has expired: until then its older rows still say whether
    the family was revoked.
    """
    newest_expiry = db.func.max(RefreshToken.expires_at)
    expired_families = db.select(RefreshToken.family).group_by(RefreshToken.family).having(newest_expiry < now())
    pruned = db.session.execute(db.delete(RefreshToken).where(RefreshToken.family.in_(expired_families)))
    return pruned.rowcount
