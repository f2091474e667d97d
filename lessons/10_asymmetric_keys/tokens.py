"""Refresh tokens, kept in the database so that each works once and a login can be ended.

A JWT is checked without asking anyone, which is what makes it cheap, and also why it cannot be taken back.
For refresh tokens, which live for days, the app keeps a row for each one it issues (models.RefreshToken):

- rotation: each refresh token works once; /refresh retires it and answers the next one of the same family;
- reuse detection: a retired token that comes back was copied, so its whole family (its login) is revoked;
- revocation: logging out revokes the family of the login; logging out everywhere, or changing the password,
  revokes every family of the user.

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


def issue_refresh_token(user, family):
    """Make a refresh token for the user and store it as the newest of `family` (the caller commits)."""
    token = create_refresh_token(identity=str(user.id), additional_claims=login_claims(user, family))
    claims = decode_token(token)  # its jti (unique id) and exp, as the library wrote them
    expires_at = datetime.fromtimestamp(claims["exp"], timezone.utc)
    db.session.add(RefreshToken(jti=claims["jti"], family=family, user_id=user.id, expires_at=expires_at))
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


def prune_expired():
    """Delete the logins whose every token has expired; return how many rows went (the caller commits).

    A family goes as a whole, once its newest token has expired: until then its older rows still say whether
    the family was revoked.
    """
    newest_expiry = db.func.max(RefreshToken.expires_at)
    expired_families = db.select(RefreshToken.family).group_by(RefreshToken.family).having(newest_expiry < now())
    pruned = db.session.execute(db.delete(RefreshToken).where(RefreshToken.family.in_(expired_families)))
    return pruned.rowcount
