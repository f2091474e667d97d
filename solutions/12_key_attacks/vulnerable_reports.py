"""The second service of lesson 12, VULNERABLE ON PURPOSE: a reports service that checks the tokens of
vulnerable_issuer.py and gets it wrong in eight ways. Never deploy it, never copy from it. It serves 127.0.0.1
only, and fetches from 127.0.0.1 only (loopback.py).

Each mistake has a route of its own, GET /<mistake>/report. There the check is strict except for that one
mistake (marked MISTAKE n below), so that each attack of attacks.py works through its own mistake and no other:

1. /unverified/report        decodes the token without checking its signature;
2. /null-signature/report    accepts a token whose signature part is empty;
3. /jwk/report               trusts the public key that the token's own header carries (jwk);
4. /jku/report               fetches the key set from the address that the token's own header names (jku);
5. /kid-file/report          reads the key from the file that the token's kid names, whatever the name;
6. /alg-from-header/report   lets the token's header choose the algorithm: HS256, with the public key as secret;
7. /any-audience/report      does not check the audience (aud): a token meant for another service is accepted;
8. /any-type/report          does not check the token's type: a refresh token works as an access token.

The strict check, everywhere else: RS256 only, with the issuer's public key that the kid names in the issuer's key
set (/.well-known/jwks.json); the signature; exp, iss, aud ("blog") and type ("access"). Lesson 10's
reports_service.py does all of it with PyJWT, which would not let most of these mistakes be made: this service
checks its tokens by hand, as early JWT libraries did. Run it beside the issuer, from this folder:

    flask --app vulnerable_reports run --port 5001
"""
import base64
import binascii
import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from flask import Flask, current_app, jsonify, request

from loopback import is_loopback, refuse_other_hosts

MISTAKES = ("unverified", "null-signature", "jwk", "jku", "kid-file", "alg-from-header", "any-audience", "any-type")
ALGORITHM = "RS256"  # the issuer's, and the only one the strict check accepts
FETCH_TIMEOUT_SECONDS = 5
MAX_KEY_FILE_BYTES = 64 * 1024  # a kid naming an endless file (/dev/zero) reads this much, not forever
# How the key files of MISTAKE 5 and the HMAC secret of MISTAKE 6 write a public key (PEM): "SubjectPublicKeyInfo"
# ("BEGIN PUBLIC KEY", the usual one) or "PKCS1" ("BEGIN RSA PUBLIC KEY"). An attacker does not know which.
PUBLIC_KEY_FORMATS = {"SubjectPublicKeyInfo": serialization.PublicFormat.SubjectPublicKeyInfo,
                      "PKCS1": serialization.PublicFormat.PKCS1}


def create_app(test_config=None):
    """Build the service. `test_config` overrides settings: where the issuer is, where key files go."""
    app = Flask(__name__)
    app.config.from_mapping(
        ISSUER="http://127.0.0.1:5000",  # the only issuer whose tokens are accepted (iss)
        AUDIENCE="blog",  # who the tokens must be for (aud)
        JWKS_URL="http://127.0.0.1:5000/.well-known/jwks.json",  # where the issuer's public keys are
        KEY_FOLDER=str(Path(app.instance_path) / "keys"),  # MISTAKE 5's key files
        PUBLIC_KEY_FORMAT="SubjectPublicKeyInfo",
    )
    app.config.from_mapping(test_config or {})
    refuse_other_hosts(app)  # vulnerable on purpose: 127.0.0.1 only
    app.extensions["issuer_keys"] = jwt.PyJWKClient(app.config["JWKS_URL"], cache_keys=False, lifespan=300,
                                                    timeout=FETCH_TIMEOUT_SECONDS, cooldown_duration=30)
    app.extensions["jku_fetches"] = []  # every address MISTAKE 4 fetched (the notebook and the tests show it)
    app.register_error_handler(Refused, refused)
    app.register_error_handler(404, http_error)
    app.register_error_handler(405, http_error)
    app.add_url_rule("/health", view_func=health)
    app.add_url_rule("/<mistake>/report", view_func=report)
    return app


class Refused(Exception):
    """An answer other than success: status, code and message."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class BadToken(Exception):
    """The token fails a check (its reason is not told to the client)."""


def refused(error):
    return jsonify(message=error.message, code=error.code), error.status


def http_error(error):
    code = "not_found" if error.code == 404 else "method_not_allowed"
    return jsonify(message=error.description, code=code), error.code


def health():
    return {"status": "ok"}


def report(mistake):
    """GET /<mistake>/report with a token: what the token says about its user, once checked (with that mistake)."""
    if mistake not in MISTAKES:
        raise Refused(404, "not_found", f"No such route. The routes are /<mistake>/report for: {', '.join(MISTAKES)}.")
    claims = checked_claims(bearer_token(), mistake)
    return {"report": f"Activity report for user {claims['sub']}", "user_id": claims["sub"],
            "role": claims.get("role"), "checked_with_mistake": mistake}


def bearer_token():
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise Refused(401, "token_missing", "Send a token: 'Authorization: Bearer <token>'.")
    return token.strip()


# --- Checking a token, by hand ------------------------------------------------------------------------------

def checked_claims(token, mistake):
    """The claims of `token` if it passes every check (but the one `mistake` skips); Refused (401) otherwise."""
    try:
        header, claims, signing_input, signature = parts_of(token)
        if not signature_holds(header, signing_input, signature, mistake):
            raise BadToken()
        claims_hold(claims, mistake)
    except jwt.PyJWKClientConnectionError:  # the issuer is down: refuse, never accept unchecked
        raise Refused(503, "keys_unavailable", "Tokens cannot be checked at the moment. Try again soon.") from None
    except (BadToken, jwt.PyJWTError, requests.RequestException, OSError, ValueError, TypeError, KeyError,
            AttributeError):  # whatever the token holds, a bad one is a 401, never a 500
        raise Refused(401, "token_invalid", "The token is not valid.") from None
    return claims


def parts_of(token):
    """header dict, claims dict, the signed bytes ("header.claims") and the signature's bytes."""
    header_part, claims_part, signature_part = token.split(".")  # ValueError unless three parts
    header, claims = json.loads(from_b64url(header_part)), json.loads(from_b64url(claims_part))
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise BadToken()
    return header, claims, f"{header_part}.{claims_part}".encode(), from_b64url(signature_part)


def from_b64url(text):
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise BadToken() from None


def signature_holds(header, signing_input, signature, mistake):
    """Whether the signature is the one the key this token's header leads to makes."""
    if mistake == "unverified":
        # MISTAKE 1: the claims are decoded and trusted, the signature is never looked at (decode instead of
        # verify). Anyone can change the claims of a token they have. Lesson 10 checks it with jwt.decode and a key.
        return True
    algorithm, key = verifying_key(header, mistake)
    if header.get("alg") != algorithm:  # the key decides the algorithm; a header that says otherwise is refused
        return False
    if mistake == "null-signature" and signature == b"":
        # MISTAKE 2: a token with nothing after its second dot is taken as "nothing to check". A check that can be
        # skipped by the token is no check. PyJWT refuses an empty signature like any wrong one.
        return True
    return VERIFY[algorithm](key, signing_input, signature)


def verifying_key(header, mistake):
    """(algorithm, key) to check this token with. Strict: RS256 and the issuer's public key that the kid names."""
    if mistake == "jwk" and "jwk" in header:
        return ALGORITHM, key_in_header(header["jwk"])
    if mistake == "jku" and "jku" in header:
        return ALGORITHM, key_from_address(header["jku"], header.get("kid"))
    if mistake == "kid-file":
        return key_from_file(header.get("kid"))
    key = issuer_key(header.get("kid"))
    if mistake == "alg-from-header" and header.get("alg") == "HS256":
        # MISTAKE 6: the header chooses the algorithm, and the key is handed to it as it is. For HS256 the key is
        # a secret: the public key's PEM text, which anyone can fetch from the JWKS. Lesson 10 accepts one
        # algorithm (JWT_DECODE_ALGORITHMS, algorithms=[ALGORITHM]), and PyJWT refuses a public key as an HMAC secret.
        return "HS256", pem_of(key)
    return ALGORITHM, key


def issuer_key(kid):
    """The issuer's public key that `kid` names, from its JWKS (fetched, and kept for a while)."""
    if not isinstance(kid, str):
        raise BadToken()
    return current_app.extensions["issuer_keys"].get_signing_key(kid).key  # PyJWKClientError: no such key


def key_in_header(jwk):
    """MISTAKE 3: the token brings its own public key (the `jwk` header, RFC 7515) and this check believes it. So
    anyone who makes a key pair can sign anything: the signature is right, for the wrong key. Lesson 10 takes
    keys from its issuer's key set only, and ignores what a header says about keys."""
    key = jwt.PyJWK(jwk).key
    if not isinstance(key, RSAPublicKey):
        raise BadToken()
    return key


def key_from_address(address, kid):
    """MISTAKE 4: the token names where its keys are (the `jku` header), and this check fetches them from there.
    Anyone can publish a key set. Lesson 10 fetches keys from one address, in its configuration (JWKS_URL).

    (This copy fetches only from 127.0.0.1, and follows no redirect: even by mistake it reaches nothing else.
    A real one fetches from anywhere: a server-side request forgery too, RFC 8725 section 3.10.)"""
    if not is_loopback(urlsplit(address).hostname or ""):
        raise BadToken()
    current_app.extensions["jku_fetches"].append(address)
    answer = requests.get(address, timeout=FETCH_TIMEOUT_SECONDS, allow_redirects=False)
    for key in jwt.PyJWKSet.from_dict(answer.json()).keys:
        if key.key_id == kid and isinstance(key.key, RSAPublicKey):
            return key.key
    raise BadToken()


def key_from_file(kid):
    """MISTAKE 5: keys are kept in files named by their kid, and the kid is used as a file name as it comes. A kid
    of "../../../dev/null" leaves the folder: /dev/null reads empty, and an empty text is taken as an HMAC secret
    that anyone knows. Lesson 10 looks a kid up among its own keys (a dict), never builds a path with it.

    A file that holds a PEM public key is an RS256 key; anything else is the shared secret of an HS256 key (for
    internal services, say). A kid not seen yet makes the issuer's key set be fetched and saved first."""
    path = Path(current_app.config["KEY_FOLDER"]) / kid  # TypeError when the kid is no text
    if not path.exists():
        save_issuer_keys()
    with path.open("rb") as file:  # FileNotFoundError (an OSError) when there is still no such key
        content = file.read(MAX_KEY_FILE_BYTES)
    if content.startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(content)
        if not isinstance(key, RSAPublicKey):
            raise BadToken()
        return ALGORITHM, key
    return "HS256", content


def save_issuer_keys():
    """Write each key of the issuer's key set to KEY_FOLDER/<its kid> (the kids of the issuer's own JWKS)."""
    folder = Path(current_app.config["KEY_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    for key in current_app.extensions["issuer_keys"].get_jwk_set(refresh=True).keys:
        if key.key_id and isinstance(key.key, RSAPublicKey):
            (folder / key.key_id).write_bytes(pem_of(key.key))


def pem_of(public_key):
    """The public key as PEM text, in this service's PUBLIC_KEY_FORMAT."""
    public_format = PUBLIC_KEY_FORMATS[current_app.config["PUBLIC_KEY_FORMAT"]]
    return public_key.public_bytes(serialization.Encoding.PEM, public_format)


def rs256_holds(key, signing_input, signature):
    try:
        key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def hs256_holds(secret, signing_input, signature):
    return hmac.compare_digest(hmac.new(secret, signing_input, hashlib.sha256).digest(), signature)


VERIFY = {"RS256": rs256_holds, "HS256": hs256_holds}


def claims_hold(claims, mistake):
    """The claims' checks: not expired, our issuer, for us, an access token, a subject. BadToken otherwise."""
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires <= time.time():
        raise BadToken()
    if claims.get("iss") != current_app.config["ISSUER"]:
        raise BadToken()
    if mistake != "any-audience" and claims.get("aud") != current_app.config["AUDIENCE"]:
        # (MISTAKE 7 skips this: a token the issuer made for another service is as good as one made for us. RFC 8725
        # section 3.9: check the audience. Lesson 10 passes its JWT_AUDIENCE to jwt.decode.)
        raise BadToken()
    if mistake != "any-type" and claims.get("type") != "access":
        # (MISTAKE 8 skips this: the issuer signs refresh tokens with the same key, and they live 14 days instead of
        # 15 minutes. Lesson 10's reports service refuses any token whose type is not "access".)
        raise BadToken()
    if not isinstance(claims.get("sub"), str):
        raise BadToken()
