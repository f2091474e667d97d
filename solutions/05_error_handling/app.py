"""The app factory. Run the app from this folder with: flask --app app run"""
import os
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask
from sqlalchemy import event

from auth import load_user
from commands import create_user_command, find_orphans_command
from config import Config, check_settings
from errors import FlaskErrorsApi, register_error_handlers
from extensions import db, enforce_foreign_keys, jwt, keep_sqlite_file_private
from models import MAX_ID
from resources import BlogItem, BlogList, Health, Login, Register

ENV_FILE = Path(__file__).with_name(".env")


def create_app(test_config=None):
    """Build the app. `test_config` is a dict of settings that override everything else (tests use it)."""
    app = Flask(__name__)
    if test_config is None:
        load_dotenv(ENV_FILE)  # a real run: variables missing from the environment are taken from .env
    app.config.from_object(Config(os.environ))
    app.config.from_mapping(test_config or {})
    check_settings(app.config)  # refuse to start rather than issue unsafe tokens
    jwt.init_app(app)
    jwt.user_lookup_loader(load_user)  # lets protected views use `current_user`
    register_error_handlers(app, jwt)  # one JSON shape for every error (errors.py)
    keep_sqlite_file_private(app)  # the database file holds password hashes: its owner's only
    db.init_app(app)
    with app.app_context():
        event.listen(db.engine, "connect", enforce_foreign_keys)  # before the first connection is made
        db.create_all()  # create any missing tables (a bigger app would use migrations)
    app.cli.add_command(create_user_command)
    app.cli.add_command(find_orphans_command)

    api = FlaskErrorsApi(app)
    api.add_resource(Health, "/health")
    api.add_resource(Register, "/register")
    api.add_resource(Login, "/login")
    api.add_resource(BlogList, "/blogs")
    api.add_resource(BlogItem, f"/blogs/<int(max={MAX_ID}):blog_id>")  # a bigger id is 404, like any unknown one
    return app
