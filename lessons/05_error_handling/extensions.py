"""The Flask extensions, created once here and attached to the app in create_app (app.py)."""
from flask_jwt_extended import JWTManager
from flask_sqlalchemy import SQLAlchemy

jwt = JWTManager()
db = SQLAlchemy()
