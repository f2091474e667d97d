"""The Flask extensions, created once here and attached to the app in create_app (app.py)."""
import sqlite3

from flask_jwt_extended import JWTManager
from flask_sqlalchemy import SQLAlchemy

jwt = JWTManager()
db = SQLAlchemy()


def enforce_foreign_keys(dbapi_connection, connection_record):
    """Make SQLite check FOREIGN KEY constraints, which it skips unless each connection asks (PostgreSQL always
    checks). Registered in app.py for every new connection to the app's database."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
