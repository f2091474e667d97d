"""The Flask extensions, created once here and attached to the app in create_app (app.py)."""
import sqlite3
from pathlib import Path

from flask_jwt_extended import JWTManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.engine import make_url

jwt = JWTManager()
db = SQLAlchemy()


def enforce_foreign_keys(dbapi_connection, connection_record):
    """Make SQLite check FOREIGN KEY constraints, which it skips unless each connection asks (PostgreSQL always
    checks). Registered in app.py for every new connection to the app's database."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys = ON")


def keep_sqlite_file_private(app):
    """Create the app's SQLite database file, if it uses one, readable by its owner only (0600), in an instance/
    folder only its owner may open (0700); tighten an existing one, saying so. Called in create_app before
    db.init_app, so it holds however the app starts: flask run, flask create-user, gunicorn, a notebook, a test.

    The file holds the password hashes. Left to themselves, SQLite creates it with the process's umask (usually
    0644: anyone on the machine may read it) and Flask-SQLAlchemy creates instance/ with 0755.
    """
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.query.get("uri"):
        return  # another database, or SQLite in memory: no file (a file: URI is left as it is)
    path = Path(app.instance_path, url.database)  # a relative path lands in instance/, as Flask-SQLAlchemy puts it
    if path.parent == Path(app.instance_path):
        path.parent.mkdir(mode=0o700, exist_ok=True)
        owner_only(app, path.parent, 0o700)
    if path.parent.is_dir():  # otherwise SQLite itself says that it cannot open the file
        if not path.exists():
            path.touch(mode=0o600)  # an empty file is an empty SQLite database
        owner_only(app, path, 0o600)


def owner_only(app, path, mode):
    """Give `path` the permissions `mode` (0600, 0700) if it has more than that, and log that it did."""
    current = path.stat().st_mode & 0o777
    if current & ~mode:
        path.chmod(mode)
        app.logger.warning("%s was open to other users of this machine (%s); it is %s now: its owner's only",
                           path, oct(current), oct(mode))
