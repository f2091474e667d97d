"""Lesson 10: the blog app signs with a private key (Ed25519), says which key in a kid header, publishes the
public keys at /.well-known/jwks.json; a second service, reports_service.py, checks the tokens with those public
keys over real HTTP, and never has the private key. Keys rotate: both published, old tokens valid until their
key is removed. Tokens with another algorithm (HS256 keyed with the public key, none), another audience or
issuer are refused by both services.

Both services run on real threaded servers on 127.0.0.1 (the `serve` fixture), the reports service fetching
the blog app's keys over HTTP. Keys are made in the tests (Ed25519 keys take well under a millisecond).
PyJWT's key cache counts time with time.monotonic(), which time-machine does not move: the tests move it for
PyJWT's two modules only (pyjwt_clock), never sleep.
"""
import base64
import hashlib
import hmac
import importlib
import json
import socket
import sys
import time
import types
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import TEST_PRIVATE_KEY, TEST_SETTINGS, AuthActions, assert_error_shape, bearer, private_pem

ISSUER, AUDIENCE = "http://127.0.0.1:5000", "blog"  # the lesson's defaults
KEYS_PATH = "/.well-known/jwks.json"


# --- Keys and tokens made by the test --------------------------------------------------------------------

def public_pem(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(private_key):
    """The RFC 7638 thumbprint of an Ed25519 key's public half, computed here from the RFC, not the lesson's code."""
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}, separators=(",", ":"))
    return b64url(hashlib.sha256(members.encode()).digest())


def unverified(token):
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def signed(claims, key=TEST_PRIVATE_KEY, kid=None):
    """`claims` signed with an Ed25519 `key`, with a kid header (the thumbprint of `key` unless given)."""
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid or thumbprint(key)})


def hand_made(header, claims, signature_of=lambda signing_input: b""):
    """A token put together by hand, as an attacker would: no library refuses to make it."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(signature_of(signing_input.encode()))}"


def key_confusion(claims, kid):
    """The classic attack: alg HS256, with the PUBLIC key (which anyone can fetch) used as the HMAC secret. A
    verifier that let the token choose its algorithm would check it with that same public key, and accept it."""
    secret = public_pem(TEST_PRIVATE_KEY).encode()
    return hand_made({"alg": "HS256", "typ": "JWT", "kid": kid}, claims,
                     lambda signing_input: hmac.new(secret, signing_input, hashlib.sha256).digest())


def alg_none(claims, kid):
    return hand_made({"alg": "none", "typ": "JWT", "kid": kid}, claims)


# Tokens a service must refuse, each made from the claims of a genuine access token: (name, make, code).
BAD_TOKENS = [
    ("that is not a JWT at all", lambda c: "not.a.token", "token_invalid"),
    ("signed with another key, same kid",
     lambda c: signed(c, Ed25519PrivateKey.generate(), thumbprint(TEST_PRIVATE_KEY)), "token_invalid"),
    ("HS256 keyed with the public key", lambda c: key_confusion(c, thumbprint(TEST_PRIVATE_KEY)), "token_invalid"),
    ("alg none", lambda c: alg_none(c, thumbprint(TEST_PRIVATE_KEY)), "token_invalid"),
    ("another audience", lambda c: signed({**c, "aud": "billing"}), "token_invalid"),
    ("no audience", lambda c: signed({k: v for k, v in c.items() if k != "aud"}), "token_invalid"),
    ("another issuer", lambda c: signed({**c, "iss": "https://auth.example.com"}), "token_invalid"),
    ("expired", lambda c: signed({**c, "iat": c["iat"] - 7200, "nbf": c["nbf"] - 7200, "exp": c["iat"] - 3600}),
     "token_expired"),
    ("an unknown kid", lambda c: signed(c, Ed25519PrivateKey.generate()), "token_invalid"),
    ("no kid", lambda c: jwt.encode(c, TEST_PRIVATE_KEY, algorithm="EdDSA"), "token_invalid"),
    ("of the refresh kind", lambda c: signed({**c, "type": "refresh"}), "access_token_required"),
    ("a list as kid", lambda c: hand_made({"alg": "EdDSA", "kid": [thumbprint(TEST_PRIVATE_KEY)]}, c,
                                          TEST_PRIVATE_KEY.sign), "token_invalid"),
]
GENUINE = ("genuine (signed by the test with the app's key)", lambda c: signed(c), None)


# --- The two services ------------------------------------------------------------------------------------

@pytest.fixture
def reports_module(app_module):
    """reports_service.py from the same lesson folder (app_module put the folder on sys.path)."""
    sys.modules.pop("reports_service", None)
    try:
        return importlib.import_module("reports_service")
    except Exception as error:  # said once, plainly, instead of a traceback in every test
        pytest.fail(f"reports_service.py cannot be imported: {type(error).__name__}: {error}", pytrace=False)


class Swappable:
    """A WSGI app that passes requests to `self.app`, which a test may replace: the blog app restarted with new
    settings at the same address. It counts the requests for the key set."""

    def __init__(self, app):
        self.app = app
        self.key_fetches = 0

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == KEYS_PATH:
            self.key_fetches += 1
        return self.app(environ, start_response)


class Services:
    """The blog app and the reports service, each on its own server on 127.0.0.1."""

    def __init__(self, blog, reports_app, blog_server, reports_server):
        self.blog, self.reports_app = blog, reports_app
        self.blog_server, self.reports_server = blog_server, reports_server

    def login_token(self, username="alice"):
        """Register and log in at the blog app; the access token."""
        AuthActions(self.blog.app.test_client()).register(username)
        response = self.blog.app.test_client().post("/login", json={"username": username,
                                                                    "password": AuthActions.PASSWORD})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def report(self, token):
        return as_test_response(requests.get(self.reports_server.url("/report"), headers=bearer(token), timeout=10))

    def me(self, token):
        return self.blog.app.test_client().get("/me", headers=bearer(token))


def as_test_response(response):
    """A requests response with what assert_error_shape reads (status_code, is_json, get_json, headers)."""
    response.is_json = response.headers.get("Content-Type", "").startswith("application/json")
    response.get_json = response.json
    response.get_data = lambda: response.content
    return response


@pytest.fixture
def services(app_with, make_app, reports_module, serve, mode, sqlite_folder, database, database_url):
    """start(**blog_settings) starts the blog app, then the reports service pointed at its key set."""

    def start(restartable=False, **blog_settings):
        if restartable:  # a SQLite file (or the PostgreSQL schema) that a restarted blog app finds its users in
            url = f"sqlite:///{sqlite_folder / 'blog.db'}" if database == "sqlite" else database_url
            blog = Swappable(make_app(SQLALCHEMY_DATABASE_URI=url, **blog_settings))
        else:  # the module's tests share one, emptied before each test (conftest.py)
            blog = Swappable(app_with(**blog_settings))
        blog_server = serve(blog)
        reports_app = reports_module.create_app({"TESTING": mode == "testing",
                                                 "JWKS_URL": blog_server.url(KEYS_PATH)})
        return Services(blog, reports_app, blog_server, serve(reports_app))

    return start


@pytest.fixture
def pyjwt_clock(monkeypatch):
    """PyJWT's key cache and refetch cooldown read time.monotonic(); advance(seconds) moves it for them only."""
    skipped = [0.0]
    clock = types.SimpleNamespace(monotonic=lambda: time.monotonic() + skipped[0])
    for module in ("jwt.jwks_client", "jwt.jwk_set_cache"):
        monkeypatch.setattr(f"{module}.time", clock)

    def advance(seconds):
        skipped[0] += seconds

    return advance


# --- Start-up: the key ------------------------------------------------------------------------------------

def settings_without_key(**overrides):
    return {**{k: v for k, v in TEST_SETTINGS.items() if k != "JWT_PRIVATE_KEY"}, **overrides}


@pytest.mark.parametrize("key", [None, ""], ids=["unset", "empty"])
def test_start_up_refuses_a_missing_key_and_says_how_to_make_one(app_module, key):
    settings = settings_without_key() if key is None else settings_without_key(JWT_PRIVATE_KEY=key)
    with pytest.raises(Exception, match="JWT_PRIVATE_KEY_FILE") as refused:
        app_module.create_app(settings)
    assert "keytool make-keys" in str(refused.value), "the message should say how to make a key pair"


def encrypted_key():
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"a password")).decode()


WRONG_KEYS = {
    "RSA 1024 bits": lambda: private_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
    "EC P-256": lambda: private_pem(ec.generate_private_key(ec.SECP256R1())),
    "a public key": lambda: public_pem(Ed25519PrivateKey.generate()),
    "a password-protected key": encrypted_key,
    "not PEM": lambda: "a secret that is long enough for HS256 but is no key at all",
}


@pytest.mark.parametrize("make_key", WRONG_KEYS.values(), ids=WRONG_KEYS.keys())
def test_start_up_refuses_a_weak_or_wrong_key(app_module, make_key):
    with pytest.raises(Exception, match="JWT_PRIVATE_KEY_FILE") as refused:
        app_module.create_app(settings_without_key(JWT_PRIVATE_KEY=make_key()))
    assert "keytool make-keys" in str(refused.value)


def test_start_up_refuses_a_key_file_that_does_not_exist(app_module, monkeypatch, tmp_path):
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(Exception, match="missing.pem"):
        app_module.create_app(settings_without_key())


def test_keytool_makes_a_key_pair_the_app_starts_with(app_module, monkeypatch, tmp_path):
    keytool = importlib.import_module("keytool")
    runner = keytool.app.test_cli_runner()
    first = runner.invoke(args=["make-keys", "--folder", str(tmp_path / "keys")])
    second = runner.invoke(args=["make-keys", "--folder", str(tmp_path / "keys")])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    private_files = sorted((tmp_path / "keys").glob("*.private.pem"))
    assert len(private_files) == 2, "a second key pair never overwrites the first"
    assert all(oct(path.stat().st_mode & 0o777) == "0o600" for path in private_files), "readable by its owner only"
    line = next(line.strip() for line in first.output.splitlines() if line.strip().startswith("JWT_PRIVATE_KEY_FILE="))
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", line.split("=", 1)[1])
    assert app_module.create_app(settings_without_key()).test_client().get("/health").status_code == 200


# --- TODO 1: signing with the private key -----------------------------------------------------------------

@pytest.mark.todo(1)
def test_tokens_are_signed_with_the_private_key_and_verify_with_the_public_key_only(make_app):
    key = Ed25519PrivateKey.generate()
    app = make_app(JWT_PRIVATE_KEY=private_pem(key), JWT_SECRET_KEY=None)  # no shared secret at all
    token = AuthActions(app.test_client()).token()
    header, _ = unverified(token)
    assert header["alg"] == "EdDSA" and header["kid"] == thumbprint(key), header
    claims = jwt.decode(token, key.public_key(), algorithms=["EdDSA"], issuer=ISSUER, audience=AUDIENCE)
    assert claims["sub"] == "1" and claims["type"] == "access"
    assert app.test_client().get("/me", headers=bearer(token)).status_code == 200


@pytest.mark.todo(1)
def test_the_app_signs_with_the_key_in_the_file_the_environment_names(app_module, monkeypatch, tmp_path):
    key = Ed25519PrivateKey.generate()
    (tmp_path / "private.pem").write_text(private_pem(key))
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(tmp_path / "private.pem"))
    client = app_module.create_app(settings_without_key()).test_client()
    token = AuthActions(client).token()
    jwt.decode(token, key.public_key(), algorithms=["EdDSA"], issuer=ISSUER, audience=AUDIENCE)


@pytest.mark.todo(1)
def test_the_blog_app_accepts_its_own_tokens_and_refuses_the_others(app):
    token = AuthActions(app.test_client()).token()
    assert_each_token_gets_its_answer(token, lambda token: app.test_client().get("/me", headers=bearer(token)))


def assert_each_token_gets_its_answer(genuine_token, ask):
    """`ask(token)` (a request with it) answers 200 for a genuine token, and refuses each of BAD_TOKENS."""
    _, claims = unverified(genuine_token)
    for name, make, code in [GENUINE, *BAD_TOKENS]:
        response = ask(make(claims))
        if code is None:
            assert response.status_code == 200, f"{name}: {response.status_code} {response.get_data()}"
        else:
            try:
                assert_error_shape(response, 401, code)
            except AssertionError as error:
                raise AssertionError(f"a token {name}: {error}") from None


# --- TODO 2: the key set ----------------------------------------------------------------------------------

@pytest.mark.todo(2)
def test_the_jwks_publishes_every_public_key_and_nothing_private(make_app):
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    app = make_app(JWT_PRIVATE_KEY=private_pem(new), JWT_PREVIOUS_PUBLIC_KEYS=[public_pem(old)])
    response = app.test_client().get(KEYS_PATH)
    assert response.status_code == 200 and response.is_json
    keys = response.get_json()["keys"]
    assert [key["kid"] for key in keys] == [thumbprint(new), thumbprint(old)], "the signing key first"
    for key, private_key in zip(keys, [new, old], strict=True):
        raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert key == {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": thumbprint(private_key),
                       "use": "sig", "alg": "EdDSA"}  # no "d": the private part is never published
        assert jwt.PyJWK(key).key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == raw


# --- TODO 3 (with 1 and 2): the reports service -----------------------------------------------------------

@pytest.mark.todo(1, 2, 3)
def test_the_reports_service_accepts_a_token_of_the_blog_app_over_http(services):
    running = services()
    token = running.login_token()
    response = running.report(token)
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == "1"
    assert "PRIVATE KEY" not in repr(dict(running.reports_app.config)), "the reports service has no private key"


@pytest.mark.todo(2, 3)
def test_the_reports_service_accepts_genuine_tokens_and_refuses_the_others(services):
    running = services()
    assert_each_token_gets_its_answer(running.login_token(), running.report)


@pytest.mark.todo(2, 3)
def test_the_reports_service_allows_its_configured_clock_leeway_and_no_more(services):
    """JWT_DECODE_LEEWAY (here 30 s): a token that expired 5 s ago is still accepted, one that expired a minute ago
    is not. Times are a whole 25 s away from the limit: no clock needs moving."""
    running = services()
    running.reports_app.config["JWT_DECODE_LEEWAY"] = 30
    _, claims = unverified(running.login_token())
    now = int(time.time())
    just_expired, long_expired = (signed({**claims, "exp": now - ago}) for ago in (5, 60))
    assert running.report(just_expired).status_code == 200, "inside the leeway"
    assert_error_shape(running.report(long_expired), 401, "token_expired")


@pytest.mark.todo(2, 3)
@pytest.mark.parametrize("claim", ["exp", "iat", "sub"])
def test_the_reports_service_refuses_a_token_without_a_claim_it_needs(services, claim):
    """Signed by the blog app's key, but without exp (it would never expire), iat or sub: refused (REQUIRED_CLAIMS),
    never a 500 for a missing claim."""
    running = services()
    _, claims = unverified(running.login_token())
    assert running.report(signed(claims)).status_code == 200, "the same token with every claim is accepted"
    without = signed({name: value for name, value in claims.items() if name != claim})
    assert_error_shape(running.report(without), 401, "token_invalid")


@pytest.mark.todo(2, 3)
def test_the_reports_service_checks_the_issuer_and_audience_it_is_configured_with(services):
    """JWT_ISSUER and JWT_AUDIENCE are settings, read from the service's configuration, not the defaults."""
    running = services()
    running.reports_app.config.update(JWT_ISSUER="https://blog.example.com", JWT_AUDIENCE="reports")
    _, claims = unverified(running.login_token())  # issued by the blog app with the default issuer and audience
    assert running.report(signed({**claims, "iss": "https://blog.example.com", "aud": "reports"})).status_code == 200
    assert_error_shape(running.report(signed(claims)), 401, "token_invalid")


def test_the_reports_service_refuses_requests_without_an_access_token(services):
    running = services()
    url = running.reports_server.url("/report")
    assert_error_shape(as_test_response(requests.get(url, timeout=10)), 401, "token_missing")
    as_cookie = requests.get(url, cookies={"access_token_cookie": running.login_token()}, timeout=10)
    assert_error_shape(as_test_response(as_cookie), 401, "token_missing")  # the header only: no CSRF to check
    malformed = requests.get(url, headers={"Authorization": "Token abc"}, timeout=10)
    assert_error_shape(as_test_response(malformed), 401, "authorization_header_malformed")
    assert "error=" not in malformed.headers["WWW-Authenticate"], "RFC 6750 section 3.1: no Bearer credentials"
    assert_error_shape(as_test_response(requests.get(running.reports_server.url("/nowhere"), timeout=10)), 404,
                       "not_found")
    assert_error_shape(as_test_response(requests.post(url, timeout=10)), 405, "method_not_allowed")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_reports_service_fails_closed_when_the_keys_cannot_be_fetched(reports_module, mode, serve):
    reports = reports_module.create_app({"TESTING": mode == "testing",
                                         "JWKS_URL": f"http://127.0.0.1:{free_port()}{KEYS_PATH}"})

    token = signed({"sub": "1", "type": "access", "iss": ISSUER, "aud": AUDIENCE, "iat": 0, "exp": 2**40})
    response = requests.get(serve(reports).url("/report"), headers=bearer(token), timeout=10)
    body = assert_error_shape(as_test_response(response), 503, "keys_unavailable")
    assert "127.0.0.1" not in body["message"]


@pytest.mark.todo(2)
def test_an_unknown_kid_refetches_the_keys_at_most_once_per_interval(services, pyjwt_clock):
    running = services()
    token = running.login_token()
    running.report(token)  # the first token: the reports service fetches the key set
    assert running.blog.key_fetches == 1
    claims = jwt.decode(token, options={"verify_signature": False})
    strangers = [signed(claims, Ed25519PrivateKey.generate(), kid=str(uuid.uuid4())) for _ in range(5)]
    assert [running.report(stranger).status_code for stranger in strangers] == [401] * 5
    assert running.blog.key_fetches == 1, "an unknown kid right after a fetch fetches nothing"
    pyjwt_clock(31)  # past the cooldown
    assert [running.report(stranger).status_code for stranger in strangers] == [401] * 5
    assert running.blog.key_fetches == 2, "then one fetch, for all of them"
    running.report(token)
    assert running.blog.key_fetches == 2, "a known key comes from the cache"


@pytest.mark.todo(1, 2, 3)
def test_rotation_keeps_old_tokens_valid_until_their_key_is_removed(services, make_app, pyjwt_clock):
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    running = services(restartable=True, JWT_PRIVATE_KEY=private_pem(old))
    database = running.blog.app.config["SQLALCHEMY_DATABASE_URI"]
    old_token = running.login_token()
    assert running.report(old_token).status_code == 200

    # Rotate: the blog app restarts signing with the new key; the old public key stays published
    running.blog.app = make_app(SQLALCHEMY_DATABASE_URI=database, JWT_PRIVATE_KEY=private_pem(new),
                                JWT_PREVIOUS_PUBLIC_KEYS=[public_pem(old)])
    new_token = running.login_token()
    assert unverified(new_token)[0]["kid"] == thumbprint(new)
    assert [running.me(token).status_code for token in (old_token, new_token)] == [200, 200]
    pyjwt_clock(31)  # the reports service fetched the keys a moment ago: the next fetch waits for the cooldown
    assert [running.report(token).status_code for token in (old_token, new_token)] == [200, 200]
    assert running.blog.key_fetches == 2, "the new kid made the reports service fetch the keys once more"

    # The old tokens have expired: the old key is removed
    running.blog.app = make_app(SQLALCHEMY_DATABASE_URI=database, JWT_PRIVATE_KEY=private_pem(new))
    assert_error_shape(running.me(old_token), 401, "token_invalid")
    assert running.me(new_token).status_code == 200
    pyjwt_clock(301)  # the reports service's copy of the key set lives 300 s
    assert_error_shape(running.report(old_token), 401, "token_invalid")
    assert running.report(new_token).status_code == 200
