"""The blocklist: the access tokens that were logged out before they expired.

It holds two kinds of random ids: a token's `jti` claim (that token), and a login's `family` claim (every access
token of that login: the one from /login and each one from /refresh). token_is_revoked asks about both at once.

A JWT is checked with the secret alone, so a logged-out token would keep working until its `exp`. Logging out
therefore needs state on the server: a list of revoked tokens, asked about on every protected request. An entry
only matters while its token could still be accepted, so every store forgets it after that moment.

Two stores, chosen by configuration (make_blocklist):
- DatabaseBlocklist, the default: a table keyed by jti, pruned by `flask --app app prune-blocklist`;
- RedisBlocklist, when REDIS_URL is set: one key per jti that Redis deletes by itself when the token expires.
A third one, MemoryBlocklist, exists only to show why a Python set is wrong: each server process has its own.

Every store answers "is it revoked?" or raises BlocklistUnavailable; it never guesses "no" (fail closed).
"""
import math
from datetime import datetime, timedelta, timezone

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from extensions import db
from models import RevokedToken

REDIS_KEY_PREFIX = "revoked:"  # revoked:<jti>; a prefix keeps the blocklist's keys apart in a shared Redis
REDIS_TIMEOUT_SECONDS = 0.25  # a local Redis answers in under a millisecond: waiting longer only piles requests up


class BlocklistUnavailable(RuntimeError):
    """The store could not be asked. errors.py answers 503: a token we cannot check is not accepted."""


def now():
    return datetime.now(timezone.utc)


def accepted_until(claims):
    """When the token stops being accepted anyway: its `exp` plus the clock leeway (JWT_DECODE_LEEWAY)."""
    expires = datetime.fromtimestamp(claims["exp"], timezone.utc)
    return expires + timedelta(seconds=current_app.config["JWT_DECODE_LEEWAY"])


def every_access_token_refused_at():
    """When every access token made until now is refused anyway: now plus the longest an access token lives
    (JWT_ACCESS_TOKEN_EXPIRES; a login may ask for less, never more) plus the clock leeway. An ended login (its
    family) stays in the blocklist until then."""
    longest = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    return now() + longest + timedelta(seconds=current_app.config["JWT_DECODE_LEEWAY"])


def seconds_until(moment):
    """Whole seconds from now until `moment`, rounded up (0 or less once it has passed)."""
    return math.ceil((moment - now()).total_seconds())


def current_blocklist():
    """The store this app was configured with (create_app puts it in app.extensions)."""
    return current_app.extensions["blocklist"]


def make_blocklist(config):
    """The store the settings ask for: BLOCKLIST, or else Redis when REDIS_URL is set, or else the database."""
    store = config["BLOCKLIST"] or ("redis" if config["REDIS_URL"] else "database")
    if store == "redis":
        return RedisBlocklist(config["REDIS_URL"])
    if store == "memory":
        return MemoryBlocklist()
    return DatabaseBlocklist()


class DatabaseBlocklist:
    """The revoked tokens in the app's database (models.RevokedToken), which every server process shares.

    A worked example: the Redis store below follows the same two methods.
    """

    def add(self, revoked_id, until):
        """Revoke `revoked_id` (a token's jti or a login's family) until `until` (the caller commits)."""
        # INSERT ... ON CONFLICT DO NOTHING: two logouts of one token at the same moment are not an error.
        db.session.execute(insert_once(RevokedToken, jti=revoked_id, expires_at=until))

    def contains(self, *revoked_ids):
        """Whether any of `revoked_ids` was revoked: one query, by primary key (... WHERE jti IN (:a, :b))."""
        revoked = db.select(RevokedToken.jti).where(RevokedToken.jti.in_(revoked_ids))
        return db.session.execute(revoked.limit(1)).first() is not None

    def prune(self):
        """Delete the rows of tokens that would be refused anyway by now; return how many (the caller commits)."""
        return db.session.execute(db.delete(RevokedToken).where(RevokedToken.expires_at < now())).rowcount


def insert_once(model, **values):
    """An INSERT that does nothing when the primary key is there already. SQLite and PostgreSQL both say it
    `ON CONFLICT DO NOTHING`; SQLAlchemy builds it from the dialect's own insert()."""
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model).values(**values).on_conflict_do_nothing()


class RedisBlocklist:
    """The revoked tokens in Redis: one key per jti, which Redis deletes when the token would expire anyway.

    Every server process talks to the same Redis, so a logout seen by one is seen by all. When Redis cannot be
    reached, add and contains raise BlocklistUnavailable (a 503), never "not revoked": failing open would let
    every logged-out (or stolen) token back in exactly when Redis is down.
    """

    def __init__(self, url):
        # Short timeouts and a single retry without waiting: redis-py's default retries ten times with growing
        # pauses, so one request would hang for seconds before it could be refused. The retry is for a connection
        # that broke (Redis restarted, say): a Redis that did not answer in time is not asked twice.
        self.redis = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), retries=1, supported_errors=(redis.ConnectionError,)),
        )

    def key(self, revoked_id):
        return REDIS_KEY_PREFIX + revoked_id

    def add(self, revoked_id, until):
        """Revoke `revoked_id` (a jti or a family) until `until`: SET revoked:<id> 1 EX <seconds left>."""
        try:
            seconds = seconds_until(until)
            if seconds > 0:  # an expired token needs no entry (and Redis refuses EX 0)
                self.redis.set(self.key(revoked_id), 1, ex=seconds)
        except redis.RedisError as error:
            raise BlocklistUnavailable(f"Redis: {error}") from error

    def contains(self, *revoked_ids):
        """Whether any of `revoked_ids` was revoked: EXISTS revoked:<jti> revoked:<family>, one round trip."""
        try:
            keys = [self.key(revoked_id) for revoked_id in revoked_ids]
            return self.redis.exists(*keys) > 0  # EXISTS answers how many of the keys exist
        except redis.RedisError as error:
            raise BlocklistUnavailable(f"Redis: {error}") from error


class MemoryBlocklist:
    """FOR THE DEMONSTRATION ONLY (BLOCKLIST=memory): a set in this process's memory.

    It works with one server process and fails silently with more: gunicorn's workers are separate processes,
    each with its own set, so a logout answered by one worker is unknown to the others, which go on accepting
    the token. A restart forgets every logout, too. tests/test_07_logout.py and the notebook show it.
    """

    def __init__(self):
        self.revoked = set()

    def add(self, revoked_id, until):
        self.revoked.add(revoked_id)

    def contains(self, *revoked_ids):
        return any(revoked_id in self.revoked for revoked_id in revoked_ids)
