"""The token issuer of lesson 12, one of a pair of services VULNERABLE ON PURPOSE. Never deploy it, never copy
from it. It serves 127.0.0.1 only (loopback.py): python -m course serve 12

This side makes its tokens the way an issuer should: RS256 with a private key that never leaves this process, a
`kid` in every header, the public key published at /.well-known/jwks.json, and iss, aud, exp and type in every
token. The mistakes are all on the other side, in the service that checks the tokens: vulnerable_reports.py.
(RS256 rather than lesson 10's EdDSA: the algorithm confusion of MISTAKE 6 needs a public key that an HMAC can be
fed with, and RSA is what the attack is known on.)

Users live in memory, in this process; the key pair is made afresh at each start.
"""
import base64
import hashlib
import json
import secrets
import threading
import time

import click
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Blueprint, Flask, current_app, jsonify, request
from flask.cli import with_appcontext
from jwt.algorithms import RSAAlgorithm
from werkzeug.security import check_password_hash, generate_password_hash

from loopback import refuse_other_hosts

ALGORITHM = "RS256"
KEYS_PATH = "/.well-known/jwks.json"
ROLES = ("reader", "author", "admin")
# Who a token can be for: the blog and the services that share its users (the reports service checks "blog"),
# and a quiz, a service of someone else's that lets people log in with their account here.
AUDIENCES = ("blog", "quiz")

routes = Blueprint("issuer", __name__)


def create_app(test_config=None):
    """Build the issuer. `test_config` overrides settings (the tests and the notebook choose the hashing)."""
    app = Flask(__name__)
    app.config.from_mapping(
        ISSUER="http://127.0.0.1:5000",  # written into every token (iss); the reports service checks it
        ACCESS_SECONDS=15 * 60,
        REFRESH_SECONDS=14 * 24 * 3600,
        PASSWORD_HASH_METHOD="scrypt",  # werkzeug's default; the tests pick a cheap one
        PRIVATE_KEY=None,  # PEM text; None: a new 2048-bit RSA key at each start
    )
    app.config.from_mapping(test_config or {})
    refuse_other_hosts(app)  # vulnerable on purpose: 127.0.0.1 only
    app.extensions["signing_key"] = signing_key(app.config["PRIVATE_KEY"])
    app.extensions["users"] = Users(app.config["PASSWORD_HASH_METHOD"])
    app.register_blueprint(routes)
    app.cli.add_command(set_role_command)
    return app


# --- The key pair ------------------------------------------------------------------------------------------

class SigningKey:
    """The private key, and the id (kid) that names its public half: its RFC 7638 thumbprint."""

    def __init__(self, private_key):
        self.private_key = private_key
        self.public_jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)  # {"kty", "n", "e"}
        members = json.dumps({name: self.public_jwk[name] for name in ("e", "kty", "n")}, separators=(",", ":"),
                             sort_keys=True)
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()


def signing_key(pem):
    if pem is None:
        return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return SigningKey(serialization.load_pem_private_key(pem.encode(), password=None))


def current_key():
    return current_app.extensions["signing_key"]


def make_token(user, token_type, audience):
    """A signed token for `user`: who (sub, role), for whom (aud), by whom (iss), what kind (type), until when."""
    now = int(time.time())
    lifetime = current_app.config["ACCESS_SECONDS" if token_type == "access" else "REFRESH_SECONDS"]
    claims = {"sub": str(user["id"]), "role": user["role"], "type": token_type, "iss": current_app.config["ISSUER"],
              "aud": audience, "iat": now, "exp": now + lifetime, "jti": secrets.token_hex(16)}
    return jwt.encode(claims, current_key().private_key, algorithm=ALGORITHM, headers={"kid": current_key().kid})


# --- Users, in memory ----------------------------------------------------------------------------------------

class Users:
    """The accounts, kept in this process's memory. One lock: one change at a time."""

    def __init__(self, hash_method):
        self.lock = threading.Lock()
        self.by_name = {}  # username -> {"id", "username", "password_hash", "role"}
        self.hash_method = hash_method
        # Checked when no user has the name, so that a wrong name costs as much time as a wrong password
        self.dummy_hash = generate_password_hash(secrets.token_hex(16), method=hash_method)

    def add(self, username, password):
        password_hash = generate_password_hash(password, method=self.hash_method)
        with self.lock:
            if username in self.by_name:
                return None
            user = {"id": len(self.by_name) + 1, "username": username, "password_hash": password_hash,
                    "role": "author"}
            self.by_name[username] = user
        return user

    def check(self, username, password):
        """The user, if the password is theirs; None otherwise (one hash check either way)."""
        user = self.by_name.get(username)
        if check_password_hash(user["password_hash"] if user else self.dummy_hash, password) and user:
            return user
        return None


def users():
    return current_app.extensions["users"]


# --- Routes --------------------------------------------------------------------------------------------------

class Refused(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@routes.app_errorhandler(Refused)
def refused(error):
    return jsonify(message=error.message, code=error.code), error.status


@routes.app_errorhandler(404)
@routes.app_errorhandler(405)
def http_error(error):
    code = "not_found" if error.code == 404 else "method_not_allowed"
    return jsonify(message=error.description, code=code), error.code


def text_field(data, name):
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise Refused(400, "validation_failed", f"{name} must be a non-empty text of at most 200 characters.")
    return value


def json_body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refused(400, "validation_failed", "Send a JSON object.")
    return data


@routes.get("/health")
def health():
    return {"status": "ok"}


@routes.get(KEYS_PATH)
def key_set():
    """The public key, for every service that checks this issuer's tokens."""
    return {"keys": [{**current_key().public_jwk, "kid": current_key().kid, "use": "sig", "alg": ALGORITHM}]}


@routes.post("/register")
def register():
    data = json_body()
    user = users().add(text_field(data, "username"), text_field(data, "password"))
    if user is None:
        raise Refused(409, "username_taken", "That username is already taken.")
    return {"id": user["id"], "username": user["username"], "role": user["role"]}, 201


@routes.post("/login")
def login():
    """POST /login {username, password, audience?}: an access token and a refresh token for that audience."""
    data = json_body()
    audience = data.get("audience", AUDIENCES[0])
    if audience not in AUDIENCES:
        raise Refused(400, "validation_failed", f"audience must be one of {', '.join(AUDIENCES)}.")
    user = users().check(text_field(data, "username"), text_field(data, "password"))
    if user is None:
        raise Refused(401, "wrong_credentials", "Wrong username or password.")
    return {"access_token": make_token(user, "access", audience),
            "refresh_token": make_token(user, "refresh", audience)}


@click.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role_command(username, role):
    """Give a user a role (flask --app app set-role alice admin). Tokens made before keep the old one."""
    user = users().by_name.get(username)
    if user is None:
        raise click.ClickException(f"There is no user {username!r}.")
    user["role"] = role
    click.echo(f"The role of {username!r} is now {role}.")
