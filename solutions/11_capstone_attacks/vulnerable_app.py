"""The target of lesson 11: a small blog API with the classic JWT mistakes, made ON PURPOSE. Never deploy it, never
copy from it; serve it on 127.0.0.1 only (python -m course serve 11): it refuses any other address (this machine
only, below).

It follows the article's design (a login that says which of username or password was wrong, tokens for a blog
API) and adds the mistakes JWT apps are known for. Each is marked `MISTAKE n` where it lives; the README names the
attack that uses it and the lesson where the course fixed it:

1. the signing key is a dictionary word;
2. the token's own header chooses how the token is checked, and "none" means not at all;
3. the login answers 404 for an unknown username and 401 for a wrong password;
4. the login hashes a password only when the username exists, so an unknown name is answered faster;
5. "who may change this post" is read from the request body, not from the token;
6. tokens never expire, and logging out only asks the browser to forget its cookie;
7. the token in a cookie is enough to publish: no CSRF token, and a form body is accepted;
8. the token names its user by an id that is handed out again once that user is deleted.

It makes and checks its tokens by hand, as early JWT libraries did, because the course's libraries stand in the
way of mistakes 1, 2 and 6: PyJWT warns about a key under 32 bytes and will not check a token without being told
which algorithms to accept, and flask-jwt-extended writes an "exp" into every token unless told not to. Users and
posts live in memory, in this process: what matters here is in the tokens.
"""
import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import threading
from pathlib import Path

import click
from flask import Blueprint, Flask, current_app, jsonify, request
from flask.cli import with_appcontext
from werkzeug.security import check_password_hash, generate_password_hash

WORDS_FILE = Path(__file__).with_name("words.txt")
ROLES = ("reader", "author", "admin")
TOKEN_COOKIE = "token"

routes = Blueprint("vulnerable", __name__)


def create_app(test_config=None):
    """Build the app. `test_config` overrides settings (the tests and the notebook choose the key and the hashing)."""
    refuse_to_serve_other_machines(flask_run_host())  # `flask run --host 0.0.0.0` stops here, before it serves
    app = ThisMachineOnlyFlask(__name__)
    app.config.from_mapping(
        # MISTAKE 1: the key that signs every token is one word from a list (picked at each start, so you must
        # crack it rather than read it here). Lesson 01 refuses any key under 32 bytes; make one with
        # python -c "import secrets; print(secrets.token_hex(32))"
        JWT_SECRET_KEY=secrets.choice(WORDS_FILE.read_text().split()),
        PASSWORD_HASH_METHOD="scrypt",  # werkzeug's default; the tests pick a cheaper one, the same for both apps
        # The "half fix" of MISTAKE 3: the same 401 for an unknown username, still answered without hashing.
        SAME_LOGIN_ANSWER=False,
    )
    app.config.from_mapping(test_config or {})
    app.extensions["store"] = Store()
    app.register_blueprint(routes)
    app.cli.add_command(set_role_command)
    app.before_request(answer_this_machine_only)
    return app


# --- This machine only: the app's mistakes must never be reachable from another one --------------------------------

def is_loopback(host):
    """Whether `host` names this machine only: localhost, 127.x.x.x or ::1 (0.0.0.0 and :: mean every address)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name other than localhost, or nothing: it may be any machine
        return False


def refuse_to_serve_other_machines(host):
    """Stop, before anything is served, when the server is to listen on `host` and that is not a loopback address."""
    if host is not None and not is_loopback(host):
        raise click.UsageError(f"This app is vulnerable on purpose: serve it on 127.0.0.1 only, never on {host!r}.")


def flask_run_host():
    """The --host that `flask run` was given, when it is `flask run` that builds the app (None otherwise).
    flask run calls create_app inside its click command, so click's context holds the command's options."""
    context = click.get_current_context(silent=True)
    if context is None or context.info_name != "run":
        return None
    return context.params.get("host")


class ThisMachineOnlyFlask(Flask):
    """Flask, whose app.run() refuses a host that is not a loopback address, as create_app does for flask run."""

    def run(self, host=None, port=None, **options):
        refuse_to_serve_other_machines(host or "127.0.0.1")  # app.run's own default
        super().run(host, port, **options)


def answer_this_machine_only():
    """Refuse any request that comes from another machine (a before_request hook): whatever server runs the app, on
    whatever address (gunicorn -b 0.0.0.0:8000, which create_app cannot see), no route answers it."""
    if not is_loopback(request.remote_addr):
        return jsonify(message="This app is vulnerable on purpose: it answers 127.0.0.1 only."), 403
    return None


class Store:
    """Users and posts, kept in this process's memory (lost at each restart). One lock: one change at a time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users = {}  # id -> {"id", "username", "password_hash", "role"}
        self.posts = {}  # id -> {"id", "title", "body", "author_id"}

    def user_named(self, username):
        return next((user for user in self.users.values() if user["username"] == username), None)


def store():
    return current_app.extensions["store"]


def next_id(table):
    """MISTAKE 8: the highest id plus one, as SQLite hands out ids without AUTOINCREMENT. Delete the newest user and
    the next one to register gets their id, and with it every token the deleted user still holds (they never
    expire: MISTAKE 6). Lesson 02 on: sqlite_autoincrement=True, an id is never used twice."""
    return max(table, default=0) + 1


# --- Tokens, made by hand -----------------------------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hs256(secret, signing_input):
    """The HS256 signature: an HMAC-SHA256 of "header.claims" with the secret, in base64url."""
    return b64url(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest())


def make_token(claims):
    """header.claims.signature. MISTAKE 6: no "exp" claim, so the token is valid for as long as the key is."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing_input = f"{header}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{hs256(current_app.config['JWT_SECRET_KEY'], signing_input)}"


class BadToken(Exception):
    pass


# MISTAKE 2: how to check a token is looked up by the "alg" its own header names, and "none" (RFC 7519's
# "unsecured JWT") passes every check. Whoever makes the token chooses. RFC 8725 section 3.1: accept only the
# algorithms you use. The course never reads the header to choose: flask-jwt-extended passes PyJWT the one
# algorithm of the app's configuration (lessons 01 and 10).
CHECKS = {
    "HS256": lambda signing_input, signature, secret: hmac.compare_digest(signature, hs256(secret, signing_input)),
    "none": lambda signing_input, signature, secret: True,
}


def read_token(token):
    """The claims of a token, if its check passes; BadToken otherwise."""
    try:
        header_part, claims_part, signature = token.split(".")
        check = CHECKS[json.loads(from_b64url(header_part))["alg"]]
        claims = json.loads(from_b64url(claims_part))
        passed = check(f"{header_part}.{claims_part}", signature, current_app.config["JWT_SECRET_KEY"])
    except (ValueError, KeyError, TypeError):  # not three parts, not base64url, not JSON, an unknown alg
        raise BadToken() from None
    if not passed or not isinstance(claims, dict):
        raise BadToken()
    return claims


def request_token():
    """The token of this request: an Authorization: Bearer header, or else the cookie the login set.

    MISTAKE 7: the cookie alone is enough. The browser sends it with every request to this app, whichever site
    made the request, so a page on another site can publish in the user's name (CSRF). Lesson 09 asks every
    cookie-authenticated change for a header that only this app's own pages can send (double submit).
    """
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ")
    return request.cookies.get(TOKEN_COOKIE)


def logged_in_claims():
    token = request_token()
    if not token:
        raise Refused(401, "Log in first.")
    try:
        return read_token(token)
    except BadToken:
        raise Refused(401, "That token is not valid.") from None


def logged_in_user():
    user = store().users.get(int_or_none(logged_in_claims().get("sub")))
    if user is None:
        raise Refused(401, "That token names no user.")
    return user


def int_or_none(text):
    return int(text) if isinstance(text, str) and text.isascii() and text.isdigit() else None


# --- Errors: one JSON shape ----------------------------------------------------------------------------------

class Refused(Exception):
    """An answer other than success: status and message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


@routes.app_errorhandler(Refused)
def refused(error):
    return jsonify(message=error.message), error.status


@routes.app_errorhandler(404)
@routes.app_errorhandler(405)
def http_error(error):
    return jsonify(message=error.description), error.code


def text_field(data, name):
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refused(400, f"{name} must be a non-empty text.")
    return value


def json_body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refused(400, "Send a JSON object.")
    return data


# --- Users ---------------------------------------------------------------------------------------------------

@routes.get("/health")
def health():
    return {"status": "ok"}


@routes.post("/register")
def register():
    data = json_body()
    username, password = text_field(data, "username"), text_field(data, "password")
    password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    with store().lock:
        if store().user_named(username):
            raise Refused(409, "That username is already taken.")
        user = {"id": next_id(store().users), "username": username, "password_hash": password_hash, "role": "author"}
        store().users[user["id"]] = user
    return public(user), 201


def public(user):
    return {"id": user["id"], "username": user["username"], "role": user["role"]}


@routes.post("/login")
def login():
    """The article's login, in plain Flask: the same tests in the same order."""
    data = json_body()
    username, password = text_field(data, "username"), text_field(data, "password")
    user = store().user_named(username)
    if user is not None and check_password_hash(user["password_hash"], password):
        return logged_in(user)
    if user is None:
        # MISTAKE 4: no password is hashed for a name nobody has, so this answer comes back at once, while a wrong
        # password costs two hash checks (the one above, and the one below). Lesson 02 checks a dummy hash here.
        if current_app.config["SAME_LOGIN_ANSWER"]:
            return {"message": "Wrong username or password."}, 401  # the half fix: the same words, not the same time
        # MISTAKE 3: a different status for "no such user" tells anyone which names have an account. Lesson 02
        # answers 401 with the same body for both.
        return {"message": "User not found"}, 404
    # The article checks the password a second time here, to choose its message: it can only fail again.
    check_password_hash(user["password_hash"], password)
    message = "Wrong username or password." if current_app.config["SAME_LOGIN_ANSWER"] else "Incorrect password"
    return {"message": message}, 401


def logged_in(user):
    """The answer to a good login: a token in the body, and in a cookie."""
    # The token says who (sub: the user's id, MISTAKE 8) and what they may do (role). No "exp": MISTAKE 6.
    token = make_token({"sub": str(user["id"]), "role": user["role"]})
    response = jsonify(access_token=token)
    # MISTAKE 7: the token also goes in a cookie that every request to this app carries, from any site.
    response.set_cookie(TOKEN_COOKIE, token, httponly=True)
    return response


@routes.post("/logout")
def logout():
    """MISTAKE 6: asks the browser to forget its cookie, and nothing more. The token itself stays valid: anyone who
    copied it keeps using it, forever (no "exp"). Lesson 04 gives tokens a lifetime, lesson 07 a blocklist."""
    logged_in_claims()
    response = jsonify(message="Logged out.")
    response.delete_cookie(TOKEN_COOKIE)
    return response


@routes.get("/me")
def me():
    return public(logged_in_user())


@routes.get("/users")
def user_list():
    """Every user: admins only. The role is read from the token, which is right only if no one else can sign one."""
    if logged_in_claims().get("role") != "admin":
        raise Refused(403, "This needs the admin role.")
    return {"users": [public(user) for user in store().users.values()]}


@routes.delete("/users/<int:user_id>")
def delete_user(user_id):
    if logged_in_claims().get("role") != "admin":
        raise Refused(403, "This needs the admin role.")
    with store().lock:
        if store().users.pop(user_id, None) is None:
            raise Refused(404, f"There is no user {user_id}.")
    return "", 204


@click.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role_command(username, role):
    """Give a user a role (flask --app app set-role alice admin). Their tokens keep saying the old one."""
    user = store().user_named(username)
    if user is None:
        raise click.ClickException(f"There is no user {username!r}.")
    user["role"] = role
    click.echo(f"The role of {username!r} is now {role}.")


# --- Posts ---------------------------------------------------------------------------------------------------

@routes.get("/blogs")
def blog_list():
    return {"blogs": list(store().posts.values())}


@routes.post("/blogs")
def publish():
    author = logged_in_user()
    # MISTAKE 7: a form body is taken as well as JSON. A form is what a page on any other site can make a browser
    # send, with this app's cookie, and no preflight asks this app first. The course's apps take JSON only.
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        data = request.form
    post = {"title": text_field(data, "title"), "body": text_field(data, "body"), "author_id": author["id"]}
    with store().lock:
        post["id"] = next_id(store().posts)
        store().posts[post["id"]] = post
    return post, 201


@routes.get("/blogs/<int:post_id>")
def blog(post_id):
    return find_post(post_id)


@routes.patch("/blogs/<int:post_id>")
def edit(post_id):
    logged_in_user()  # anyone logged in may try
    data = json_body()
    post = find_post(post_id)
    # MISTAKE 5: "is this the author?" is asked of the request body: the client says which author it is, and
    # anyone can send the author_id the post shows. Lesson 03 compares the post's author with the user the token
    # names, inside the UPDATE itself.
    if data.get("author_id") != post["author_id"]:
        raise Refused(403, "Only the author of a post may change it.")
    changes = {name: text_field(data, name) for name in ("title", "body") if name in data}
    with store().lock:
        post.update(changes)
    return post


def find_post(post_id):
    post = store().posts.get(post_id)
    if post is None:
        raise Refused(404, f"There is no blog post {post_id}.")
    return post
