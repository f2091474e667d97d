"""The app factory. Run the app from this folder with: flask --app app run"""
import os
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask, current_app
from sqlalchemy import event

from auth import load_user, token_is_revoked
from blocklist import make_blocklist
from commands import (create_user_command, find_orphans_command, prune_blocklist_command,
                      prune_tokens_command, set_role_command)
from config import Config, check_settings
from cookies import refresh_expiring_access_cookie
from errors import FlaskErrorsApi, register_error_handlers
from extensions import db, enforce_foreign_keys, jwt, keep_sqlite_file_private
from keys import kid_header, load_signing_keys, verifying_key
from models import MAX_ID
from resources import (BlogItem, BlogList, Health, KeySet, Login, Logout, LogoutAll, Me, Password, Refresh, Register,
                       UserList)
from roles import role_claims

ENV_FILE = Path(__file__).with_name(".env")


def create_app(test_config=None):
    """Build the app. `test_config` is a dict of settings that override everything else (tests use it)."""
    app = Flask(__name__)
    if test_config is None:
        load_dotenv(ENV_FILE)  # a real run: variables missing from the environment are taken from .env
    app.config.from_object(Config(os.environ))
    app.config.from_mapping(test_config or {})
    check_settings(app.config)  # refuse to start rather than issue unsafe tokens
    app.extensions["signing_keys"] = load_signing_keys(app.config)  # refuses a missing or weak key (keys.py)
    jwt.init_app(app)
    # TODO 1: name the signing key in every token's header (kid), and check each token with the key its kid names
    jwt.additional_headers_loader(kid_header)
    jwt.decode_key_loader(verifying_key)
    # END TODO 1
    jwt.user_lookup_loader(load_user)  # lets protected views use `current_user`
    jwt.token_in_blocklist_loader(token_is_revoked)  # asked about every token: logged out? (auth.py)
    app.extensions["blocklist"] = make_blocklist(app.config)  # the database, or Redis (blocklist.py)
    if app.config["BLOCKLIST"] == "memory" and not app.testing:
        app.logger.warning("BLOCKLIST=memory keeps logouts in this process only, and a restart forgets them: for"
                           " the demonstration only. Use the database or Redis (blocklist.py).")
    jwt.additional_claims_loader(role_claims)  # every token made says the user's role (roles.py)
    register_error_handlers(app, jwt)  # one JSON shape for every error (errors.py)
    keep_sqlite_file_private(app)  # the database file holds password hashes: its owner's only
    db.init_app(app)
    with app.app_context():
        event.listen(db.engine, "connect", enforce_foreign_keys)  # before the first connection is made
        db.create_all()  # create any missing tables (a bigger app would use migrations)
    app.cli.add_command(create_user_command)
    app.cli.add_command(find_orphans_command)
    app.cli.add_command(prune_tokens_command)
    app.cli.add_command(prune_blocklist_command)
    app.cli.add_command(set_role_command)
    app.after_request(refresh_expiring_access_cookie)  # a browser on the page stays logged in (cookies.py)
    if not app.config["JWT_COOKIE_SECURE"]:
        app.logger.warning("JWT_COOKIE_SECURE is off: token cookies travel over plain http. Only for"
                           " http://127.0.0.1 while developing; never in production.")
    if app.config["SHOW_WORKER_PID"]:
        app.after_request(add_worker_pid)  # for the course's tests and notebook only (config.py)

    app.add_url_rule("/", "index", index)  # the page (static/index.html); its script is static/app.js
    api = FlaskErrorsApi(app)
    api.add_resource(Health, "/health")
    api.add_resource(KeySet, "/.well-known/jwks.json")  # the public keys, for every service that checks tokens
    api.add_resource(Register, "/register")
    api.add_resource(Login, "/login")
    api.add_resource(Refresh, "/refresh")
    api.add_resource(Password, "/password")
    api.add_resource(Logout, "/logout")
    api.add_resource(LogoutAll, "/logout-all")
    api.add_resource(Me, "/me")
    api.add_resource(UserList, "/users")
    api.add_resource(BlogList, "/blogs")
    api.add_resource(BlogItem, f"/blogs/<int(max={MAX_ID}):blog_id>")  # a bigger id is 404, like any unknown one
    return app


def index():
    """The page a browser opens. Its Content-Security-Policy lets only this site's own files run as scripts: a
    script injected into the page (XSS) is not run, a second line of defence after httponly cookies."""
    response = current_app.send_static_file("index.html")
    response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
    return response


def add_worker_pid(response):
    """Say which server process answered (X-Worker-Pid): several gunicorn workers answer the same URL."""
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response
