"""The Flask extensions, created once here and attached to the app in create_app (app.py)."""
from flask_jwt_extended import JWTManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event

jwt = JWTManager()
db = SQLAlchemy()


def enforce_foreign_keys(engine):
    """Make SQLite check foreign keys, which it does only when each connection asks (other databases always do)."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", lambda connection, record: connection.execute("PRAGMA foreign_keys=ON"))
