"""Where the app's settings come from: environment variables (a `.env` file can supply them)."""
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

APP_FOLDER = Path(__file__).parent  # key files named by a relative path are looked for here
DEFAULT_EXPIRY_MINUTES = "15"
DEFAULT_REFRESH_EXPIRY_DAYS = "14"
MAX_REFRESH_EXPIRY = timedelta(days=365)  # longer is likely a typo, and a login that practically never ends
DEFAULT_LEEWAY_SECONDS = "0"
DEFAULT_DATABASE_URL = "sqlite:///course.db"  # a relative SQLite path lands in the app's instance/ folder
DEFAULT_HASH_METHOD = "scrypt"  # werkzeug's strong default; tests pick a cheap one instead
BLOCKLIST_STORES = ("database", "redis", "memory")  # where logged-out tokens are kept (blocklist.py)
SAMESITE_VALUES = ("Lax", "Strict")  # None would send the cookies with requests that other sites make
ALGORITHM = "EdDSA"  # Ed25519 signatures (README: why this one, and when RS256 or HS256 instead)
DEFAULT_ISSUER = "http://127.0.0.1:5000"  # who makes the tokens: this app, where `course serve 10` runs it
DEFAULT_AUDIENCE = "blog"  # who the tokens are for: this app and the services that share its users
REDIS_SCHEMES = ("redis", "rediss", "unix")  # the URLs redis-py understands: redis://host:6379/0, TLS, a socket


class ConfigError(RuntimeError):
    """A setting is missing or wrong. The message says what to set."""


class Config:
    """The app's settings, read from `environ` (usually os.environ) when the app is created."""

    MAX_CONTENT_LENGTH = 64 * 1024  # bytes; a larger request body is refused with 413 before it is read
    # Until TODO 1 is done, flask-jwt-extended signs with its default, HS256, which needs a JWT_SECRET_KEY that this
    # lesson no longer has: a login answers 500, and the server's log says why.
    # TODO 1: sign with ALGORITHM, and accept no other algorithm when checking a token
    # END TODO 1

    def __init__(self, environ):
        # The private key that signs tokens (PEM text), and the public keys of earlier ones, still accepted (keys.py)
        self.JWT_PRIVATE_KEY = text_of_file(environ.get("JWT_PRIVATE_KEY_FILE", ""), "JWT_PRIVATE_KEY_FILE")
        self.JWT_PREVIOUS_PUBLIC_KEYS = [
            text_of_file(path.strip(), "JWT_PREVIOUS_PUBLIC_KEY_FILES")
            for path in environ.get("JWT_PREVIOUS_PUBLIC_KEY_FILES", "").split(",") if path.strip()
        ]
        # Who made a token (iss) and who it is for (aud): written into every token, and checked in every token
        self.JWT_ENCODE_ISSUER = self.JWT_DECODE_ISSUER = environ.get("JWT_ISSUER") or DEFAULT_ISSUER
        self.JWT_ENCODE_AUDIENCE = self.JWT_DECODE_AUDIENCE = environ.get("JWT_AUDIENCE") or DEFAULT_AUDIENCE
        self.JWT_ACCESS_TOKEN_EXPIRES = minutes_from_text(
            environ.get("JWT_ACCESS_TOKEN_EXPIRES", DEFAULT_EXPIRY_MINUTES), "JWT_ACCESS_TOKEN_EXPIRES"
        )
        self.SQLALCHEMY_DATABASE_URI = (
            environ.get("DATABASE_URL") or environ.get("SQLALCHEMY_DATABASE_URI") or DEFAULT_DATABASE_URL
        )
        self.PASSWORD_HASH_METHOD = environ.get("PASSWORD_HASH_METHOD", DEFAULT_HASH_METHOD)
        self.JWT_DECODE_LEEWAY = seconds_from_text(
            environ.get("JWT_DECODE_LEEWAY", DEFAULT_LEEWAY_SECONDS), "JWT_DECODE_LEEWAY"
        )
        self.JWT_REFRESH_TOKEN_EXPIRES = days_from_text(
            environ.get("JWT_REFRESH_TOKEN_EXPIRES", DEFAULT_REFRESH_EXPIRY_DAYS), "JWT_REFRESH_TOKEN_EXPIRES"
        )
        self.REDIS_URL = environ.get("REDIS_URL", "")  # set: the blocklist is kept in Redis
        self.BLOCKLIST = environ.get("BLOCKLIST", "")  # empty: Redis if REDIS_URL is set, else the database
        # Adds an X-Worker-Pid header to every answer, so a test can see which server process answered. For the
        # course's tests and notebook only: it tells strangers about the server.
        self.SHOW_WORKER_PID = environ.get("SHOW_WORKER_PID", "") == "1"
        # Lesson 09: a browser keeps its tokens in cookies (cookies.py); other clients keep the Authorization header.
        self.JWT_TOKEN_LOCATION = ["headers", "cookies"]
        # Secure: the browser sends the cookies over https only. Off (0) only for http://127.0.0.1 while developing.
        self.JWT_COOKIE_SECURE = flag_from_text(environ.get("JWT_COOKIE_SECURE", "1"), "JWT_COOKIE_SECURE")
        self.JWT_COOKIE_SAMESITE = environ.get("JWT_COOKIE_SAMESITE", "Lax")  # no cookies on other sites' POSTs
        self.JWT_REFRESH_COOKIE_PATH = "/refresh"  # the refresh token goes to /refresh, and nowhere else
        self.JWT_COOKIE_CSRF_PROTECT = True  # the library's default, written out: see README.md, CSRF
        # The implicit refresh renews a browser's access cookie for this long after its login or its last /refresh,
        # no longer: then only the refresh cookie gets new tokens (cookies.py, renewal_claims).
        self.IMPLICIT_REFRESH_LIMIT = timedelta(hours=1)


def minutes_from_text(text, name):
    """Turn "30" into timedelta(minutes=30); anything but a whole number is a ConfigError naming `name`."""
    try:
        return timedelta(minutes=int(text))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of minutes, like 30 (got {text!r})") from None


def days_from_text(text, name):
    """Turn "14" into timedelta(days=14); anything but a whole number of days is a ConfigError naming `name`."""
    try:
        return timedelta(days=int(text))
    except (ValueError, OverflowError):  # OverflowError: more days than a timedelta holds
        raise ConfigError(f"{name} must be a whole number of days, like 14 (got {text!r})") from None


def flag_from_text(text, name):
    """Turn "1" into True and "0" into False; anything else is a ConfigError naming `name`."""
    if text not in ("0", "1"):
        raise ConfigError(f"{name} must be 1 (on) or 0 (off) (got {text!r})")
    return text == "1"


def seconds_from_text(text, name):
    """Turn "10" into 10; anything but a whole number of seconds, zero or more, is a ConfigError naming `name`."""
    if not text.isdigit():
        raise ConfigError(f"{name} must be a whole number of seconds, like 10 (got {text!r})")
    return int(text)


def text_of_file(path, name):
    """The text of the file at `path` (relative to this folder), "" when `path` is empty; a ConfigError naming
    the setting `name` when the file cannot be read."""
    if not path:
        return ""
    try:
        return (APP_FOLDER / path).read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{name} names {path}, which cannot be read ({type(error).__name__})."
                          " flask --app keytool make-keys makes a key pair") from None


def check_settings(config):
    """Refuse to start with settings that would make tokens unsafe or unusable (the keys: keys.py)."""
    expires = config.get("JWT_ACCESS_TOKEN_EXPIRES")
    # Tokens that never expire (False) are refused: a stolen one would work forever.
    if not isinstance(expires, timedelta) or expires <= timedelta(0):
        raise ConfigError("JWT_ACCESS_TOKEN_EXPIRES must be a positive whole number of minutes, like 30")
    if timedelta(seconds=config.get("JWT_DECODE_LEEWAY", 0)) >= expires:
        raise ConfigError("JWT_DECODE_LEEWAY must be shorter than the token lifetime, JWT_ACCESS_TOKEN_EXPIRES")
    refresh_expires = config.get("JWT_REFRESH_TOKEN_EXPIRES")
    # A refresh token exists to outlive access tokens; one that never expires would let a thief in for good.
    if not isinstance(refresh_expires, timedelta) or not expires < refresh_expires <= MAX_REFRESH_EXPIRY:
        raise ConfigError(
            "JWT_REFRESH_TOKEN_EXPIRES must be a whole number of days, like 14: longer than"
            f" JWT_ACCESS_TOKEN_EXPIRES and at most {MAX_REFRESH_EXPIRY.days}"
        )
    store = config.get("BLOCKLIST") or ""
    if store and store not in BLOCKLIST_STORES:
        raise ConfigError(f"BLOCKLIST must be one of {', '.join(BLOCKLIST_STORES)}, or empty (got {store!r})")
    if store == "redis" and not config.get("REDIS_URL"):
        raise ConfigError("BLOCKLIST=redis needs REDIS_URL, like redis://127.0.0.1:6379/0")
    if config.get("JWT_COOKIE_SAMESITE") not in SAMESITE_VALUES:
        raise ConfigError(f"JWT_COOKIE_SAMESITE must be Lax or Strict (got {config.get('JWT_COOKIE_SAMESITE')!r})")
    redis_url = config.get("REDIS_URL") or ""
    if redis_url and urlsplit(redis_url).scheme not in REDIS_SCHEMES:  # "127.0.0.1:6379" lacks redis://
        raise ConfigError(f"REDIS_URL must start with redis://, rediss:// or unix://, like redis://127.0.0.1:6379/0"
                          f" (got {redis_url!r})")
