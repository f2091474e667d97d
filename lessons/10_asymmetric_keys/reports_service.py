"""A second service: reports. It accepts the blog app's access tokens, and holds no key that could make one.

Run it beside the blog app (which serves its keys on port 5000), from this folder:

    flask --app reports_service run --port 5001

It is a Flask app of its own, with no database and no private key: it fetches the blog app's public keys from
JWKS_URL with PyJWT's PyJWKClient, which keeps them for a while, and checks every token itself: signature,
algorithm, expiry, issuer and audience. It shares only the error shape (errors.py) with the blog app.
"""
import os
from pathlib import Path

import jwt
from dotenv import load_dotenv
from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException

from config import ALGORITHM, DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEFAULT_LEEWAY_SECONDS, seconds_from_text
from errors import REALM, bearer_challenge, error_response, handle_http_error

ENV_FILE = Path(__file__).with_name(".env")
KEYS_LIFESPAN_SECONDS = 300  # how long a fetched key set is used before it is fetched again
REFETCH_COOLDOWN_SECONDS = 30  # a token naming an unknown kid refetches the key set at most this often
FETCH_TIMEOUT_SECONDS = 5  # a blog app that does not answer costs a request this long at most
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]  # a token without one of them is refused


class Refused(Exception):
    """A request this service refuses: the status, the code and the message of the answer (errors.py's shape)."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def create_app(test_config=None):
    """Build the reports service. `test_config` is a dict of settings that override everything else."""
    app = Flask(__name__)
    if test_config is None:
        load_dotenv(ENV_FILE)  # the same .env as the blog app: JWT_ISSUER, JWT_AUDIENCE, JWKS_URL
    app.config.from_mapping(settings_from(os.environ))
    app.config.from_mapping(test_config or {})
    # The key set is fetched when the first token comes, then kept for KEYS_LIFESPAN_SECONDS. cache_keys stays
    # off: PyJWT's per-kid cache (an LRU of 16 keys) has no time limit, so a key removed from the JWKS would go on
    # being accepted until 16 other kids pushed it out.
    app.extensions["jwks_client"] = jwt.PyJWKClient(
        app.config["JWKS_URL"], lifespan=app.config["KEYS_LIFESPAN_SECONDS"], timeout=FETCH_TIMEOUT_SECONDS,
        cooldown_duration=app.config["REFETCH_COOLDOWN_SECONDS"],
    )
    app.register_error_handler(Refused, refused)
    app.register_error_handler(HTTPException, handle_http_error)  # 404, 405...: the same shape as the blog app
    app.register_error_handler(Exception, unexpected_error)
    app.add_url_rule("/health", view_func=health)
    app.add_url_rule("/report", view_func=report)
    return app


def settings_from(environ):
    """The service's settings, from environment variables (the blog app reads the same JWT_ ones)."""
    issuer = environ.get("JWT_ISSUER") or DEFAULT_ISSUER
    return {
        "JWT_ISSUER": issuer,  # the only issuer whose tokens are accepted
        "JWT_AUDIENCE": environ.get("JWT_AUDIENCE") or DEFAULT_AUDIENCE,  # tokens must be meant for us
        "JWKS_URL": environ.get("JWKS_URL") or f"{issuer}/.well-known/jwks.json",  # where the public keys are
        "JWT_DECODE_LEEWAY": seconds_from_text(environ.get("JWT_DECODE_LEEWAY", DEFAULT_LEEWAY_SECONDS),
                                               "JWT_DECODE_LEEWAY"),
        "KEYS_LIFESPAN_SECONDS": KEYS_LIFESPAN_SECONDS,
        "REFETCH_COOLDOWN_SECONDS": REFETCH_COOLDOWN_SECONDS,
    }


# --- The views -------------------------------------------------------------------------------------------

def health():
    """GET /health: the service is up (it says nothing about the blog app)."""
    return {"status": "ok"}


def report():
    """GET /report with an access token: what this service knows about the caller, from the token alone."""
    claims, header = access_token_claims()
    return {"report": f"Activity report for user {claims['sub']}", "user_id": claims["sub"],
            "role": claims.get("role"), "signed_with_kid": header.get("kid")}


# --- Checking a token ------------------------------------------------------------------------------------

def access_token_claims():
    """The claims and header of the request's access token, once checked; Refused (401, 503) otherwise."""
    token = bearer_token()
    try:
        claims = verified_claims(token)
    except jwt.ExpiredSignatureError:
        raise Refused(401, "token_expired", "The token has expired. Log in again to get a new one.") from None
    except jwt.PyJWKClientConnectionError as error:  # the blog app is down: refuse, never accept unchecked
        current_app.logger.error("Cannot fetch the keys from %s: %s", current_app.config["JWKS_URL"], error)
        raise Refused(503, "keys_unavailable", "Tokens cannot be checked at the moment. Try again soon.") from None
    except jwt.PyJWKSetError as error:  # the key set has no key we can use: a misconfigured blog app
        current_app.logger.error("No usable key in %s: %s", current_app.config["JWKS_URL"], error)
        raise Refused(503, "keys_unavailable", "Tokens cannot be checked at the moment. Try again soon.") from None
    except jwt.PyJWTError as error:  # a bad signature, an unknown kid, another algorithm, issuer or audience...
        current_app.logger.warning("Invalid token: %.200r", str(error))  # it can hold text from the token: log only
        raise Refused(401, "token_invalid", "The token is not valid. Log in to get a new one.") from None
    if claims.get("type") != "access":  # a refresh token is signed by the same key: it only works at /refresh
        raise Refused(401, "access_token_required", "This needs an access token: a refresh token only works at"
                                                    " the blog app's /refresh.")
    return claims, jwt.get_unverified_header(token)  # verified by now: the signature covers the header too


def bearer_token():
    """The token of an `Authorization: Bearer <token>` header; Refused (401) when there is none."""
    if "Authorization" not in request.headers:
        raise Refused(401, "token_missing", "This needs a token: log in at the blog app, then send it as"
                                            " 'Authorization: Bearer <token>'.")
    scheme, _, token = request.headers["Authorization"].partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise Refused(401, "authorization_header_malformed", "The Authorization header must be 'Bearer <token>'.")
    return token.strip()


def verified_claims(token):
    """The claims of `token` if the blog app signed it for us and it is still valid; a PyJWT error otherwise.

    The public key comes from the JWKS, chosen by the token's kid (a kid we have not seen refetches the set, at
    most once per REFETCH_COOLDOWN_SECONDS). Which algorithms, issuer and audience are accepted is our decision,
    written here, never the token's.
    """
    signing_key = current_app.extensions["jwks_client"].get_signing_key_from_jwt(token)
    # TODO 3: check the token with signing_key.key: ALGORITHM only, our issuer and audience, exp (with the leeway)
    raise jwt.InvalidTokenError("not checked yet: TODO 3")  # refuse every token until the check is written
    # END TODO 3


# --- Errors, in the blog app's shape ---------------------------------------------------------------------

def refused(error):
    """A Refused request: a 401 says how to authenticate (WWW-Authenticate), a 503 when to try again."""
    headers = {"Retry-After": "5"} if error.status == 503 else {}
    if error.code in ("token_missing", "authorization_header_malformed"):  # no Bearer credentials: RFC 6750 3.1
        headers["WWW-Authenticate"] = REALM
    elif error.status == 401:
        headers.update(bearer_challenge("invalid_token", error.message))
    return error_response(error.status, error.code, error.message, headers=headers)


def unexpected_error(error):
    """A bug: log it here, tell the client nothing about it."""
    current_app.logger.exception("Unexpected error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Something went wrong on our side. It has been logged.")
