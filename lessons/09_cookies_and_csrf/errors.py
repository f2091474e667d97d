"""One JSON shape for every error the API can answer, in production as in tests:

    {"status": 401, "code": "token_expired", "message": "The token has expired. ...", "errors": {...}}

`code` is stable, for programs; `message` is for people; `errors` (validation only) names each bad field.
Three sources of errors are wired here: flask-jwt-extended's loaders (token problems), Flask's error handlers
(HTTP errors and unexpected exceptions), and Flask-RESTful, which must leave its errors to Flask.
"""
from flask import current_app, jsonify, request
from flask_jwt_extended.exceptions import CSRFError
from flask_restful import Api
from werkzeug.exceptions import HTTPException

from blocklist import BlocklistUnavailable
from extensions import db

REALM = 'Bearer realm="api"'
HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
}

# A token of the wrong kind: flask-jwt-extended reports it to invalid_token_loader with one of these reasons.
WRONG_KIND_OF_TOKEN = {
    "Only refresh tokens are allowed": (
        "refresh_token_required", "This needs a refresh token: send the refresh_token that /login answered."
    ),
    "Only non-refresh tokens are allowed": (
        "access_token_required", "This needs an access token: a refresh token only works at /refresh."
    ),
}


def error_response(status, code, message, errors=None, headers=None):
    """The one shape of every error answer."""
    body = {"status": status, "code": code, "message": message}
    if errors:
        body["errors"] = errors
    return jsonify(body), status, headers or {}


def bearer_challenge(error, description):
    """The WWW-Authenticate header of a 401 (RFC 6750): how to authenticate, and what was wrong.

    `description` is always our own fixed text, never the library's reason (which can hold text from the token,
    and a newline in a header would let the client write headers of its own). RFC 6750 allows printable ASCII
    without '"' and '\\' here; anything else is dropped, as a second line of defence.
    """
    description = "".join(char for char in description if " " <= char <= "~" and char not in '"\\')
    return {"WWW-Authenticate": f'{REALM}, error="{error}", error_description="{description}"'}


# --- Token problems: flask-jwt-extended's loaders -----------------------------------------------------

def token_missing(reason):
    """No Bearer credentials (jwt.unauthorized_loader): no Authorization header, or one that is not `Bearer <token>`.

    Both get the bare challenge, without an error code: RFC 6750 section 3.1 gives none to a request that tried
    another way to authenticate, or none (its invalid_request goes with a 400, for requests it calls malformed).
    """
    if "Authorization" not in request.headers:
        message = "This needs a token: log in, then send it as 'Authorization: Bearer <token>'."
        return error_response(401, "token_missing", message, headers={"WWW-Authenticate": REALM})
    current_app.logger.info("Malformed Authorization header: %.200r", reason)  # the library's words: our log only
    message = "The Authorization header must be 'Bearer <token>'."
    return error_response(401, "authorization_header_malformed", message, headers={"WWW-Authenticate": REALM})


def token_invalid(reason):
    """A token that is not genuine or not usable here (jwt.invalid_token_loader): a bad signature, a broken
    token, a token of the wrong kind. flask-jwt-extended says 422; RFC 6750 says 401.
    """
    if reason in WRONG_KIND_OF_TOKEN:  # the library's fixed reason; the answer says which kind was expected
        code, message = WRONG_KIND_OF_TOKEN[reason]
        return error_response(401, code, message, headers=bearer_challenge("invalid_token", message))
    current_app.logger.info("Invalid token: %.200r", reason)  # the reason can hold text from the token: log it
    message = "The token is not valid. Log in to get a new one."
    return error_response(401, "token_invalid", message, headers=bearer_challenge("invalid_token", message))


def user_not_found(jwt_header, jwt_payload):
    """A genuine token whose user no longer exists (jwt.user_lookup_error_loader)."""
    message = "The user this token was issued to no longer exists."
    return error_response(401, "user_not_found", message, headers=bearer_challenge("invalid_token", message))


def token_expired(jwt_header, jwt_payload):
    """A token whose `exp` has passed (jwt.expired_token_loader): the client should log in again."""
    message = "The token has expired. Log in again to get a new one."
    return error_response(401, "token_expired", message, headers=bearer_challenge("invalid_token", message))


def token_revoked(jwt_header, jwt_payload):
    """A token that was revoked (jwt.revoked_token_loader): logged out, or of a login that was ended."""
    message = "The token has been revoked. Log in again."
    return error_response(401, "token_revoked", message, headers=bearer_challenge("invalid_token", message))


def fresh_token_required(jwt_header, jwt_payload):
    """A fresh token (just logged in with a password) is needed (jwt.needs_fresh_token_loader)."""
    message = "This needs a fresh token: log in again with your password."
    headers = bearer_challenge("invalid_token", message)
    return error_response(401, "fresh_token_required", message, headers=headers)


def csrf_failed(error):
    """A request that authenticates with a cookie, without the right X-CSRF-TOKEN header (CSRFError, which
    flask-jwt-extended would send to the unauthorized_loader, as a 401). The caller is known; the request is not
    shown to come from our own page: 403, as most frameworks answer a failed CSRF check. The library's reason is
    one of two fixed texts: no header at all, or a value that is not the token's own."""
    if str(error) == "Missing CSRF token":
        message = "This request needs the X-CSRF-TOKEN header: copy it from the csrf_access_token cookie."
        return error_response(403, "csrf_token_missing", message)
    message = "The X-CSRF-TOKEN header does not match the token's cookie. Reload the page."
    return error_response(403, "csrf_token_invalid", message)


# --- Everything else: Flask's error handlers ----------------------------------------------------------

def handle_http_error(error):
    """An HTTP error: abort(...), an unknown URL, a wrong method, a body that is not JSON or is too big."""
    details = getattr(error, "data", None) or {}  # the keywords Flask-RESTful's abort(...) was given
    code = details.get("code", HTTP_ERROR_CODES.get(error.code, "http_error"))
    message = details.get("message", error.description)
    headers = {}
    if getattr(error, "valid_methods", None):  # a 405 says which methods the URL does take
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if error.code == 401:  # every 401 says how to authenticate
        headers["WWW-Authenticate"] = REALM
    return error_response(error.code, code, message, details.get("errors"), headers)


def handle_unexpected_error(error):
    """A bug or an outage: log the details on the server, tell the client nothing about them, and undo the
    request's unfinished database work so that nothing is half-saved."""
    db.session.rollback()
    current_app.logger.exception("Unexpected error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Something went wrong on our side. It has been logged.")


def handle_blocklist_unavailable(error):
    """The blocklist store (Redis) cannot be asked whether a token was logged out. Refuse, never guess: failing
    open would accept every logged-out or stolen token for as long as the store is down."""
    db.session.rollback()
    current_app.logger.error("Blocklist unavailable on %s %s: %s", request.method, request.path, error)
    message = "Tokens cannot be checked at the moment. Try again in a little while."
    return error_response(503, "blocklist_unavailable", message, headers={"Retry-After": "5"})


class FlaskErrorsApi(Api):
    """Flask-RESTful's Api, except that it leaves every error to Flask's handlers (registered below).

    Flask-RESTful normally answers errors itself, and turns any exception that is not an HTTP error into a
    500 unless PROPAGATE_EXCEPTIONS is set. Routing them all to Flask gives one place, and one shape.
    """

    def error_router(self, original_handler, e):
        return original_handler(e)


def register_error_handlers(app, jwt):
    """Make every error of `app` answer in the one shape."""
    jwt.unauthorized_loader(token_missing)
    jwt.invalid_token_loader(token_invalid)
    jwt.user_lookup_error_loader(user_not_found)
    jwt.expired_token_loader(token_expired)
    jwt.revoked_token_loader(token_revoked)
    jwt.needs_fresh_token_loader(fresh_token_required)
    app.register_error_handler(CSRFError, csrf_failed)  # replaces the handler jwt.init_app registered
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(BlocklistUnavailable, handle_blocklist_unavailable)
    app.register_error_handler(Exception, handle_unexpected_error)
