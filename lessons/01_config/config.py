"""Where the app's settings come from: environment variables (a `.env` file can supply them)."""
from datetime import timedelta

MIN_SECRET_BYTES = 32  # HS256 needs a key at least as long as its 32-byte hash; PyJWT warns below that
DEFAULT_EXPIRY_MINUTES = "15"
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_hex(32))"'


class ConfigError(RuntimeError):
    """A setting is missing or wrong. The message says what to set."""


class Config:
    """The app's settings, read from `environ` (usually os.environ) when the app is created."""

    def __init__(self, environ):
        # TODO 1: read JWT_SECRET_KEY (text) and JWT_ACCESS_TOKEN_EXPIRES (minutes, as a timedelta)
        pass
        # END TODO 1


def minutes_from_text(text, name):
    """Turn "30" into timedelta(minutes=30); anything but a whole number is a ConfigError naming `name`."""
    try:
        return timedelta(minutes=int(text))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of minutes, like 30 (got {text!r})") from None


def check_settings(config):
    """Refuse to start with settings that would make tokens unsafe or unusable."""
    # TODO 2: raise ConfigError for a missing or short JWT_SECRET_KEY and a non-positive expiry
    pass
    # END TODO 2
