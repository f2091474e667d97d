"""Lesson 12 (capstone): the learner's attacks (attacks.py) against two pairs of services served on 127.0.0.1 by
this test module (course/capstone_keys.py), each a token issuer and a reports service that checks its tokens: the
lesson's pair, vulnerable on purpose, where every attack must succeed, and lesson 10's (lessons.toml: course_app),
where every attack must fail.

The vulnerable reports service has one route per mistake, strict but for that mistake: the matrix test below
proves it with tokens this module forges itself, so that an attack can only succeed through its own mistake.
Each attack's evidence is checked against the services, never taken on its word: the token is sent again, its
header and claims are read, the service's own list of fetched key sets is looked at. Everything talks to
127.0.0.1 only: the jku attack's key set is served from this process (attacks.AttackerSite).
"""
import base64
import hashlib
import hmac
import importlib
import json
import socket
from types import SimpleNamespace

import click
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask import Flask, request
from flask.cli import run_command
from jwt.algorithms import RSAAlgorithm

from course import capstone, capstone_keys
from course.loader import import_problem, load_app_module

MISTAKES = ("unverified", "null-signature", "jwk", "jku", "kid-file", "alg-from-header", "any-audience", "any-type")
SIGNATURE_FORGERIES = MISTAKES[:6]  # forged claims: what a service that checks no signature accepts
TIMEOUT = 10
PASSWORD = capstone.PASSWORD


@pytest.fixture(scope="module")
def stage(lesson, lesson_folder, tmp_path_factory):
    """The learner's attacks module, the vulnerable pair and the course's pair, with the same people."""
    try:
        issuer_module = load_app_module(lesson_folder)
        reports_module = importlib.import_module("vulnerable_reports")
        attacks = importlib.import_module("attacks")  # attacks.py, beside app.py: the learner's file
    except (Exception, SystemExit, KeyboardInterrupt) as error:
        pytest.fail(import_problem(error, lesson_folder), pytrace=False)
    pairs = [capstone_keys.vulnerable_pair(lesson_folder, tmp_path_factory.mktemp("keys"))]
    answered = record_answers(pairs[0].reports.app)
    try:
        # loaded last: loading another lesson's app forgets the modules of this one (course/loader.py)
        pairs.append(capstone_keys.course_pair(lesson.id, tmp_path_factory.mktemp("course_app")))
        yield SimpleNamespace(attacks=attacks, issuer_module=issuer_module, reports_module=reports_module,
                              vulnerable=pairs[0], course=pairs[1], answered=answered)
    finally:
        for pair in pairs:
            pair.stop()


def record_answers(app):
    """The service's own log, kept by the test: (path, status, bearer token) of every request it answered."""
    log = []

    @app.after_request
    def record(response):
        log.append((request.path, response.status_code, request.headers.get("Authorization", "")[len("Bearer "):]))
        return response

    return log


@pytest.fixture
def mallory(stage):
    return stage.attacks.Account("mallory", PASSWORD)


def header_of(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=" * (-len(token.split(".")[0]) % 4)))


def claims_of(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def report(url, token):
    return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)


def refused(status):
    """A token refused: 401 (not valid), or 403 (valid, but not for this)."""
    return status in (401, 403)


def is_alice_the_admin(stage, answer):
    return (answer.status_code, answer.json()["user_id"], answer.json()["role"]) == (
        200, str(stage.vulnerable.ids["alice"]), "admin")


def issuer_jwk(pair):
    return requests.get(pair.issuer.url(capstone_keys.KEYS_PATH), timeout=TIMEOUT).json()["keys"][0]


# --- Vulnerable on purpose, and on 127.0.0.1 only (the starter passes these) ----------------------------------------

@pytest.mark.parametrize("service", ["issuer_module", "reports_module"])
def test_the_vulnerable_services_refuse_to_start_on_another_address(stage, service):
    """`flask run --host 0.0.0.0` stops before the server listens: create_app, called by `flask run`, refuses."""
    create_app = getattr(stage, service).create_app
    with click.Context(run_command, info_name="run") as context:
        context.params["host"] = "0.0.0.0"
        with pytest.raises(click.UsageError, match="vulnerable on purpose"):
            create_app({"PASSWORD_HASH_METHOD": capstone_keys.QUICK_HASH})
        context.params["host"] = "127.0.0.1"
        assert create_app({"PASSWORD_HASH_METHOD": capstone_keys.QUICK_HASH}).name


@pytest.mark.parametrize("service", ["issuer", "reports"])
def test_the_vulnerable_services_answer_this_machine_only(stage, service):
    client = getattr(stage.vulnerable, service).app.test_client()
    assert client.get("/health", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 403
    assert client.get("/health", environ_base={"REMOTE_ADDR": "::ffff:127.0.0.1"}).status_code == 200


def forged_tokens(stage, site_url):
    """One token per mistake, forged by this module (not by the learner's attacks), all claiming Alice the admin."""
    pair = stage.vulnerable
    tokens = capstone_keys.post_json(pair.issuer.url("/login"), {"username": "mallory", "password": PASSWORD})
    header_part, claims_part, signature = tokens["access_token"].split(".")
    claims = {**claims_of(tokens["access_token"]), "sub": str(pair.ids["alice"]), "role": "admin"}
    claims_part = b64(json.dumps(claims).encode())
    own_key, issuer_key = ATTACKER_KEY, jwt.PyJWK(issuer_jwk(pair)).key
    own_jwk = {**RSAAlgorithm.to_jwk(own_key.public_key(), as_dict=True), "kid": "own"}
    issuer_pem = issuer_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "unverified": f"{header_part}.{claims_part}.{signature}",
        "null-signature": f"{header_part}.{claims_part}.",
        "jwk": signed({"alg": "RS256", "kid": "own", "jwk": own_jwk}, claims, own_key),
        "jku": signed({"alg": "RS256", "kid": "own", "jku": site_url}, claims, own_key),
        "kid-file": signed({"alg": "HS256", "kid": "../" * 20 + "dev/null"}, claims, b""),
        "alg-from-header": signed({"alg": "HS256", "kid": header_of(tokens["access_token"])["kid"]}, claims,
                                  issuer_pem),
        "any-audience": pair.other_service_token,  # genuine, for "quiz"
        "any-type": tokens["refresh_token"],  # genuine, a refresh token
        "genuine": tokens["access_token"],
        "alg none": f"{b64(json.dumps({'alg': 'none'}).encode())}.{claims_part}.",
    }


ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(header, claims, key):
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}".encode()
    if isinstance(key, bytes):
        signature = hmac.new(key, signing_input, hashlib.sha256).digest()
    else:
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{b64(signature)}"


def test_each_route_is_strict_but_for_its_own_mistake(stage):
    """Route <m> accepts the token forged for mistake m and refuses the others, except that a route that checks no
    signature accepts every forged signature (but not another audience, nor a refresh token). A genuine access
    token passes everywhere; alg none passes only where nothing is checked."""
    key_set = Flask("key_set")
    key_set.add_url_rule("/jwks.json", "keys", lambda: {"keys": [
        {**RSAAlgorithm.to_jwk(ATTACKER_KEY.public_key(), as_dict=True), "kid": "own"}]})
    site = capstone.serve(key_set)
    try:
        tokens = forged_tokens(stage, site.url("/jwks.json"))
        accepted = {(name, mistake) for name, token in tokens.items() for mistake in MISTAKES
                    if report(stage.vulnerable.report_url(mistake), token).status_code == 200}
    finally:
        site.stop()
    expected = ({(mistake, mistake) for mistake in MISTAKES} | {("genuine", mistake) for mistake in MISTAKES}
                | {(name, "unverified") for name in (*SIGNATURE_FORGERIES, "alg none")})
    assert accepted == expected


def test_a_bad_token_is_a_401_never_a_500(stage):
    url = stage.vulnerable.report_url
    odd_header = b64(json.dumps({"alg": "RS256", "kid": [1], "jwk": "x", "jku": 5}).encode())
    for mistake in MISTAKES:
        for token in ("x", "a.b.c", "e30.e30.", "..", f"{b64(b'[]')}.e30.", f"{odd_header}.e30.x"):
            assert report(url(mistake), token).status_code == 401, (mistake, token)
    kids = [None, 5, "", ".", "/dev/zero", "bad\u0000kid", "../" * 3]
    for kid in kids:
        token = signed({"alg": "HS256", "kid": kid}, {"sub": "1"}, b"")
        assert report(url("kid-file"), token).status_code == 401, kid
    assert report(url("no-such-mistake"), "x").status_code == 404


def test_with_the_issuer_down_the_vulnerable_service_fails_closed(stage, tmp_path):
    """No key set, no check: 503, never an unchecked token let through (except where nothing is checked)."""
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app = stage.reports_module.create_app({"JWKS_URL": f"http://127.0.0.1:{closed_port}/jwks.json",
                                           "KEY_FOLDER": str(tmp_path)})
    token = capstone_keys.post_json(stage.vulnerable.issuer.url("/login"),
                                    {"username": "mallory", "password": PASSWORD})["access_token"]
    for mistake in MISTAKES[1:]:
        answer = app.test_client().get(f"/{mistake}/report", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 503 and answer.json["code"] == "keys_unavailable", mistake


# --- 1. A signature nobody checks ----------------------------------------------------------------------------------

@pytest.mark.todo(1)
def test_claims_changed_under_the_same_signature_pass_as_alice_on_the_vulnerable_service(stage, mallory):
    pair = stage.vulnerable
    evidence = stage.attacks.keep_any_signature(pair.issuer.url(), pair.report_url("unverified"), mallory,
                                                pair.ids["alice"])
    token = evidence["token"]
    assert header_of(token) == {"alg": "RS256", "kid": issuer_jwk(pair)["kid"], "typ": "JWT"}, "the header is kept"
    assert token.split(".")[2], "the signature is kept (an empty one is TODO 2)"
    assert is_alice_the_admin(stage, report(pair.report_url("unverified"), token))
    assert evidence["status"] == 200


@pytest.mark.todo(1)
def test_claims_changed_under_the_same_signature_are_refused_by_the_course(stage, mallory):
    pair = stage.course
    evidence = stage.attacks.keep_any_signature(pair.issuer.url(), pair.report_url("unverified"), mallory,
                                                pair.ids["alice"])
    assert refused(evidence["status"]) and refused(report(pair.report_url("unverified"), evidence["token"]).status_code)


# --- 2. An empty signature -----------------------------------------------------------------------------------------

@pytest.mark.todo(2)
def test_an_empty_signature_passes_as_alice_on_the_vulnerable_service(stage, mallory):
    pair = stage.vulnerable
    evidence = stage.attacks.drop_the_signature(pair.issuer.url(), pair.report_url("null-signature"), mallory,
                                                pair.ids["alice"])
    token = evidence["token"]
    assert token.endswith(".") and header_of(token)["alg"] == "RS256", "RS256 in the header, nothing after the dot"
    assert is_alice_the_admin(stage, report(pair.report_url("null-signature"), token))
    assert evidence["status"] == 200


@pytest.mark.todo(2)
def test_an_empty_signature_is_refused_by_the_course(stage, mallory):
    pair = stage.course
    evidence = stage.attacks.drop_the_signature(pair.issuer.url(), pair.report_url("null-signature"), mallory,
                                                pair.ids["alice"])
    assert evidence["token"].endswith(".")
    assert refused(evidence["status"])
    assert refused(report(pair.report_url("null-signature"), evidence["token"]).status_code)


# --- 3. A key in the header ----------------------------------------------------------------------------------------

@pytest.mark.todo(3)
def test_a_key_in_the_header_passes_as_alice_on_the_vulnerable_service(stage, mallory):
    pair = stage.vulnerable
    evidence = stage.attacks.embed_your_key(pair.issuer.url(), pair.report_url("jwk"), mallory, pair.ids["alice"])
    header = header_of(evidence["token"])
    assert header["alg"] == "RS256" and header["jwk"]["n"] != issuer_jwk(pair)["n"], "your own key, in the header"
    assert is_alice_the_admin(stage, report(pair.report_url("jwk"), evidence["token"]))
    assert evidence["status"] == 200


@pytest.mark.todo(3)
def test_a_key_in_the_header_is_ignored_by_the_course(stage, mallory):
    pair = stage.course
    evidence = stage.attacks.embed_your_key(pair.issuer.url(), pair.report_url("jwk"), mallory, pair.ids["alice"])
    assert "jwk" in header_of(evidence["token"])
    assert refused(evidence["status"]) and refused(report(pair.report_url("jwk"), evidence["token"]).status_code)


# --- 4. A key set at the attacker's address -----------------------------------------------------------------------

@pytest.mark.todo(4)
def test_the_vulnerable_service_fetches_the_attackers_key_set_and_takes_alice(stage, mallory):
    pair = stage.vulnerable
    fetches = pair.reports.app.extensions["jku_fetches"]
    before = len(fetches)
    evidence = stage.attacks.point_to_your_key_set(pair.issuer.url(), pair.report_url("jku"), mallory,
                                                   pair.ids["alice"])
    header = header_of(evidence["token"])
    assert header["alg"] == "RS256" and header["jku"] == evidence["jku"]
    assert evidence["jku"] in fetches[before:], "the service fetched the key set the token named"
    assert evidence["fetched"], "the attacker's site was asked for its key set"
    assert ("/jku/report", 200, evidence["token"]) in stage.answered, "the service accepted the token"
    assert evidence["answer"]["user_id"] == str(pair.ids["alice"]) and evidence["answer"]["role"] == "admin"
    assert evidence["status"] == 200


@pytest.mark.todo(4)
def test_the_course_fetches_nothing_from_the_attacker(stage, mallory):
    pair = stage.course
    evidence = stage.attacks.point_to_your_key_set(pair.issuer.url(), pair.report_url("jku"), mallory,
                                                   pair.ids["alice"])
    assert "jku" in header_of(evidence["token"])
    assert evidence["fetched"] == [] and refused(evidence["status"])


# --- 5. A kid that names a file ------------------------------------------------------------------------------------

@pytest.mark.todo(5)
def test_a_kid_leading_to_dev_null_passes_as_alice_on_the_vulnerable_service(stage, mallory):
    pair = stage.vulnerable
    evidence = stage.attacks.kid_to_a_known_file(pair.issuer.url(), pair.report_url("kid-file"), mallory,
                                                 pair.ids["alice"])
    header = header_of(evidence["token"])
    assert header["alg"] == "HS256" and header["kid"] != issuer_jwk(pair)["kid"]
    assert is_alice_the_admin(stage, report(pair.report_url("kid-file"), evidence["token"]))
    assert evidence["status"] == 200


@pytest.mark.todo(5)
def test_a_kid_leading_to_a_file_is_refused_by_the_course(stage, mallory):
    pair = stage.course
    evidence = stage.attacks.kid_to_a_known_file(pair.issuer.url(), pair.report_url("kid-file"), mallory,
                                                 pair.ids["alice"])
    assert refused(evidence["status"]) and refused(report(pair.report_url("kid-file"), evidence["token"]).status_code)


# --- 6. The public key as an HMAC secret ---------------------------------------------------------------------------

@pytest.fixture(params=["SubjectPublicKeyInfo", "PKCS1"])
def public_key_format(request, stage):
    """The PEM format the vulnerable service holds its keys in: the attack must try each."""
    config = stage.vulnerable.reports.app.config
    config["PUBLIC_KEY_FORMAT"] = request.param
    yield request.param
    config["PUBLIC_KEY_FORMAT"] = "SubjectPublicKeyInfo"


@pytest.mark.todo(6)
def test_the_public_key_as_hmac_secret_passes_as_alice_on_the_vulnerable_service(stage, mallory, public_key_format):
    pair = stage.vulnerable
    evidence = stage.attacks.sign_with_the_public_key(pair.issuer.url(), pair.report_url("alg-from-header"), mallory,
                                                      pair.ids["alice"])
    assert header_of(evidence["token"]) == {"alg": "HS256", "typ": "JWT", "kid": issuer_jwk(pair)["kid"]}
    assert is_alice_the_admin(stage, report(pair.report_url("alg-from-header"), evidence["token"]))
    # public_key_texts gives the PEM forms in the order SubjectPublicKeyInfo, PKCS1: the attack stops at the first
    # the service takes, and says how many it tried
    assert evidence["status"] == 200 and evidence["tried"] == (1 if public_key_format == "SubjectPublicKeyInfo" else 2)


@pytest.mark.todo(6)
def test_the_public_key_as_hmac_secret_is_refused_by_the_course(stage, mallory):
    pair = stage.course
    evidence = stage.attacks.sign_with_the_public_key(pair.issuer.url(), pair.report_url("alg-from-header"), mallory,
                                                      pair.ids["alice"])
    every_text = stage.attacks.public_key_texts(issuer_jwk(pair))
    assert header_of(evidence["token"])["alg"] == "HS256" and evidence["tried"] == len(every_text), "each text, once"
    assert refused(evidence["status"])
    assert refused(report(pair.report_url("alg-from-header"), evidence["token"]).status_code)


# --- 7. A token meant for another service -------------------------------------------------------------------------

@pytest.mark.todo(7)
def test_a_token_meant_for_another_service_passes_as_alice_on_the_vulnerable_service(stage):
    pair = stage.vulnerable
    evidence = stage.attacks.use_a_token_meant_for_another_service(pair.report_url("any-audience"),
                                                                   pair.other_service_token)
    assert evidence["token"] == pair.other_service_token and evidence["audience"] == capstone_keys.OTHER_AUDIENCE
    assert evidence["status"] == 200 and evidence["answer"]["user_id"] == str(pair.ids["alice"])


@pytest.mark.todo(7)
def test_a_token_meant_for_another_service_is_refused_by_the_course(stage):
    pair = stage.course
    evidence = stage.attacks.use_a_token_meant_for_another_service(pair.report_url("any-audience"),
                                                                   pair.other_service_token)
    assert evidence["audience"] == capstone_keys.OTHER_AUDIENCE
    assert refused(evidence["status"])
    assert refused(report(pair.report_url("any-audience"), evidence["token"]).status_code)


# --- 8. A refresh token as an access token ------------------------------------------------------------------------

@pytest.mark.todo(8)
def test_a_refresh_token_is_taken_as_an_access_token_by_the_vulnerable_service(stage, mallory):
    pair = stage.vulnerable
    evidence = stage.attacks.refresh_token_as_access_token(pair.issuer.url(), pair.report_url("any-type"), mallory)
    claims = jwt.decode(evidence["token"], jwt.PyJWK(issuer_jwk(pair)).key, algorithms=["RS256"], audience="blog")
    assert claims["type"] == "refresh", "a genuine refresh token of the issuer's"
    assert evidence["status"] == 200 and evidence["answer"]["user_id"] == str(pair.ids["mallory"])


@pytest.mark.todo(8)
def test_a_refresh_token_is_refused_by_the_course(stage, mallory):
    pair = stage.course
    evidence = stage.attacks.refresh_token_as_access_token(pair.issuer.url(), pair.report_url("any-type"), mallory)
    assert claims_of(evidence["token"])["type"] == "refresh"
    assert refused(evidence["status"]) and refused(report(pair.report_url("any-type"), evidence["token"]).status_code)
