"""Helpers for the notebooks: run a lesson's app on 127.0.0.1 and show real HTTP exchanges.

    server = start_lesson("02_login")          # lessons/02_login (COURSE_TARGET=solutions: the reference)
    response = requests.post(server.url("/login"), json={...})
    show(response)                             # method, URL, status, headers that matter, JSON body
    show_token(response.json()["access_token"])  # header and claims, decoded WITHOUT checking the signature
    server.stop()
"""
import json
import os
import secrets
import threading
from datetime import datetime, timezone

import jwt
from werkzeug.serving import WSGIRequestHandler, make_server

from course.lessons import ROOT, target_folder
from course.loader import load_app_module

SHOWN_HEADERS = ("Content-Type", "WWW-Authenticate", "Allow", "Location")
TIME_CLAIMS = ("exp", "iat", "nbf")


def demo_settings():
    """Settings for a notebook run: a fresh random key and a throw-away in-memory database."""
    return {"JWT_SECRET_KEY": secrets.token_hex(32), "SQLALCHEMY_DATABASE_URI": "sqlite://"}


def load_lesson(lesson_id):
    """Import a lesson's app module from the folder COURSE_TARGET names (default: the learner's lessons/)."""
    return load_app_module(target_folder(os.environ.get("COURSE_TARGET", "lessons")) / lesson_id)


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the per-request log lines (they would land in whichever cell runs next)."""

    def log_request(self, *args, **kwargs):
        pass


class LessonServer:
    """A lesson's app served on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self, app):
        self.app = app
        self._server = None

    def start(self, port=0):
        """Start serving; port 0 lets the system pick a free port, so a restart never finds it in use. A port
        given again (a restarted app, at the address other services know) is taken back at once."""
        self._server = make_server("127.0.0.1", port, self.app, threaded=True, request_handler=QuietRequestHandler)
        # poll_interval: how often serve_forever checks for stop(); with the default 0.5 s, stop() waits that long
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def url(self, path=""):
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def start_lesson(lesson_id, **settings):
    """Build the lesson's app with demo settings (overridden by `settings`) and start serving it."""
    module = load_lesson(lesson_id)
    app = module.create_app({**demo_settings(), **settings})
    server = LessonServer(app).start()
    print(f"Serving {module.__file__.removeprefix(str(ROOT) + os.sep)} at {server.url()}")
    return server


def show(response):
    """Print one HTTP exchange the way a reader wants to see it."""
    request = response.request
    print(f"{request.method} {request.url}")
    if "Authorization" in request.headers:
        print(f"  Authorization: {_shorten(request.headers['Authorization'])}")
    if request.body:
        print(f"  body: {_shorten(_text(request.body), 200)}")
    print(f"→ {response.status_code} {response.reason}")
    for name in SHOWN_HEADERS:
        if name in response.headers:
            print(f"  {name}: {response.headers[name]}")
    try:
        print(json.dumps(response.json(), indent=2))
    except ValueError:
        print(_shorten(response.text, 300))


def show_token(token):
    """Print a JWT's header and claims without checking its signature, with times made readable."""
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    print("header:", json.dumps(header))
    print("claims:")
    for name, value in claims.items():
        readable = f"   ({_as_utc(value)})" if name in TIME_CLAIMS else ""
        print(f"  {name}: {json.dumps(value)}{readable}")


def _as_utc(timestamp):
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _text(body):
    return body.decode(errors="replace") if isinstance(body, bytes) else str(body)


def _shorten(text, limit=60):
    return text if len(text) <= limit else text[:limit] + "…"
