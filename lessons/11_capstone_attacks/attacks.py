"""Six attacks on a JWT app: your work in this lesson. Each function attacks the app at `base_url` over HTTP and
returns its evidence: what it got, or what the app answered when it got nothing.

Run them only against apps you run yourself, on 127.0.0.1: the lesson's vulnerable target (vulnerable_app.py)
and the course's own app. Sending them to anyone else's server is an attack on it, and in most countries a crime.

The tests run every attack against both: it must succeed against the vulnerable app (that is your exercise) and
fail against the course's app (that is the course's claim). The helpers at the top are done; the README says
which mistake each attack uses and which lesson fixed it.
"""
import base64
import hashlib
import hmac
import html
import json
import secrets
import statistics
import time
from dataclasses import dataclass

import requests

TIMEOUT = 10  # seconds to wait for any answer
WRONG_PASSWORD = "not-the-password"
# Timing (TODO 4): a name has an account when even its fastest login takes more than SLOWER times a typical login of
# a name that surely has none, plus MARGIN seconds: on a busy machine a few milliseconds of delay prove nothing,
# and a password hash worth the name costs more than that.
SLOWER = 2
MARGIN = 0.010


@dataclass
class Account:
    """An account of the attacker's own, on the app attacked: an ordinary user, as anyone can have."""

    username: str
    password: str


# --- Helpers (done) --------------------------------------------------------------------------------------------

def log_in(base_url, account):
    """Log in with `account`; return its access token."""
    answer = requests.post(f"{base_url}/login", json={"username": account.username, "password": account.password},
                           timeout=TIMEOUT)
    answer.raise_for_status()
    return answer.json()["access_token"]


def bearer(token):
    """The header that sends a token: {"Authorization": "Bearer <token>"}."""
    return {"Authorization": f"Bearer {token}"}


def body_of(answer):
    """A response's JSON body, or its text when it is not JSON."""
    try:
        return answer.json()
    except ValueError:
        return answer.text


def encoded(part):
    """A token part from a dict: its JSON, in base64url without padding."""
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def decoded(part):
    """The dict a token part holds (its header or its claims). No key needed: a JWT is signed, not encrypted."""
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def hs256_signature(secret, signing_input):
    """The HS256 signature of signing_input ("header.claims") with `secret`, as it appears in a token.

    Computed here with hmac rather than PyJWT: PyJWT warns about every key under 32 bytes, and a cracker tries
    thousands of them.
    """
    digest = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def time_login(base_url, username):
    """Seconds the app takes to refuse a login with a wrong password for `username`."""
    start = time.perf_counter()
    requests.post(f"{base_url}/login", json={"username": username, "password": WRONG_PASSWORD}, timeout=TIMEOUT)
    return time.perf_counter() - start


def surely_unknown_name():
    """A username that no one has: what the app answers for it is what it answers a name without an account."""
    return f"nobody-{secrets.token_hex(8)}"


# --- 1. alg none -----------------------------------------------------------------------------------------------

def forge_none_token(base_url, user_id):
    """Make a token for the user `user_id` that says it needs no signature, and use it.

    Returns {"token": the forged token, "status": what GET /me answered, "answer": its body}.
    """
    # TODO 1: a token with the header {"alg": "none", "typ": "JWT"}, the claims {"sub": str(user_id)}, no signature
    raise NotImplementedError("TODO 1 is not done yet (README.md says what to write)")
    # END TODO 1


# --- 2. A weak secret ------------------------------------------------------------------------------------------

def crack_secret(base_url, attacker, words):
    """Find the key that signs the app's tokens among `words`, from one token of the attacker's own; then make an
    admin token with it, and use it.

    Returns {"secret": the key or None, "tried": how many words were tried, "seconds": how long that took,
    "admin_token": the token made or None, "status": what GET /users answered it, or None}.
    """
    # TODO 2: try each word as the HS256 key of your own token; with the right one, sign your claims with role admin
    raise NotImplementedError("TODO 2 is not done yet (README.md says what to write)")
    # END TODO 2


# --- 3. Who has an account? --------------------------------------------------------------------------------------

def usernames_from_status(base_url, candidates):
    """The candidates that have an account, told apart by the status of a failed login. Returns a list of names."""
    # TODO 3: compare each candidate's status with the status for a name that surely does not exist
    raise NotImplementedError("TODO 3 is not done yet (README.md says what to write)")
    # END TODO 3


def usernames_from_timing(base_url, candidates, tries=5):
    """The candidates that have an account, told apart by the time of a failed login alone. Returns a list of names.

    A name has an account when even its fastest login takes more than SLOWER times a typical login (the median) of a
    name that surely has none, plus MARGIN: the server does some work for it, every time, that it does not do for
    a nobody.
    """
    # TODO 4: time every name `tries` times, round after round; compare each one's fastest with a nobody's median
    raise NotImplementedError("TODO 4 is not done yet (README.md says what to write)")
    # END TODO 4


# --- 4. Someone else's post ---------------------------------------------------------------------------------------

def edit_someone_elses_post(base_url, attacker, post_id, title):
    """Give the post `post_id`, which someone else wrote, a new title, logged in as the attacker.

    Returns {"status": what PATCH answered, "answer": its body}.
    """
    # TODO 5: read the post's author_id (GET needs no token), then PATCH the post, sending that id as yours
    raise NotImplementedError("TODO 5 is not done yet (README.md says what to write)")
    # END TODO 5


# --- 5. After logout ---------------------------------------------------------------------------------------------

def replay_after_logout(base_url, attacker):
    """Log in, log out, and use the token again, as someone who copied it before the logout would.

    Returns {"token": the token, "logout_status": what POST /logout answered, "replay_status": what GET /me
    answered the same token afterwards}.
    """
    # TODO 6: log in, POST /logout with the token, then GET /me with the same token
    raise NotImplementedError("TODO 6 is not done yet (README.md says what to write)")
    # END TODO 6


# --- 6. Cross-site request forgery -------------------------------------------------------------------------------

def cross_site_page(base_url, title):
    """The attacker's web page, served from another origin: opened by someone logged in to the app at `base_url`,
    it publishes a post titled `title` in their name, with the cookies their browser holds. Returns the HTML."""
    # TODO 7: a form that POSTs title and body to base_url + "/blogs", submitted by a script as the page loads;
    # escape what goes into the HTML (html.escape), so that the title arrives as given
    raise NotImplementedError("TODO 7 is not done yet (README.md says what to write)")
    # END TODO 7
