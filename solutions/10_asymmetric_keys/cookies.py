"""Tokens in a browser: httponly cookies instead of a header, and the CSRF token that goes with them.

A browser that logs in with {"cookies": true} gets its tokens as cookies the page's script cannot read
(HttpOnly): an injected script (XSS) cannot steal them. The browser sends them by itself with every request to
this site, which is what makes CSRF possible; flask-jwt-extended's double submit answers it (README.md):

- access_token_cookie (HttpOnly, path /) and refresh_token_cookie (HttpOnly, path /refresh): the tokens;
- csrf_access_token and csrf_refresh_token (readable by the page): copies of the `csrf` claim inside each token.
  A POST, PUT, PATCH or DELETE that authenticates by cookie must send that value in the X-CSRF-TOKEN header.
  Another site's page can make the browser send the cookies, but cannot read them, so it cannot send the header.
"""
from datetime import datetime, timezone

from flask import current_app, jsonify
from flask_jwt_extended import (create_access_token, get_jwt, get_jwt_request_location, set_access_cookies,
                                set_refresh_cookies)

from auth import find_user
from extensions import db
from models import RefreshToken
from schemas import UserSchema
from tokens import family_is_revoked, login_claims, now


def cookie_answer(user, tokens):
    """The answer to a browser's login or refresh: the tokens go in cookies, never in the body (a script that can
    read the body could keep them). The body says who is logged in, for the page to show."""
    response = jsonify(UserSchema().dump(user))
    # when `tokens` has one: each also sets its readable CSRF cookie
    set_access_cookies(response, tokens["access_token"])
    if "refresh_token" in tokens:  # a login that asked for a short lifetime gets none
        set_refresh_cookies(response, tokens["refresh_token"])
    return response


# --- Implicit refresh: a browser that keeps using the page keeps a valid access cookie -----------------------

def refresh_expiring_access_cookie(response):
    """An after_request hook (app.py): when a request authenticated by its access cookie, and that token has less
    than half of its lifetime left, answer a new access cookie as well. A user on the page is then not sent to
    /refresh every few minutes. Header clients are left alone: they refresh as in lesson 06.
    """
    # (get_jwt_request_location() == "cookies" and get_jwt()["type"] == "access"), whose token expires_soon and
    # whose login_goes_on(family): then set_access_cookies(response, renewed_access_token(claims))
    if get_jwt_request_location() != "cookies":  # None when no token was checked; "headers" for an API client
        return response
    claims = get_jwt()
    if claims["type"] == "access" and expires_soon(claims) and login_goes_on(claims["family"]):
        set_access_cookies(response, renewed_access_token(claims))
    return response


def expires_soon(claims):
    """Whether the token has less than half of the configured access lifetime left."""
    left = datetime.fromtimestamp(claims["exp"], timezone.utc) - now()
    return left < current_app.config["JWT_ACCESS_TOKEN_EXPIRES"] / 2


def login_goes_on(family):
    """Whether the login `family` may get new tokens: it has a refresh token that has not expired, and none of
    its tokens was revoked. So the implicit refresh ends when the login does: at /logout, /logout-all, a password
    change, a reused refresh token, or the refresh token's own expiry; and a login that asked for a short
    lifetime (no refresh token) is never extended."""
    valid = db.select(RefreshToken.id).where(RefreshToken.family == family, RefreshToken.expires_at > now())
    return db.session.execute(valid.limit(1)).first() is not None and not family_is_revoked(family)


def renewed_access_token(claims):
    """A new access token for the same user and login (not fresh: no password was given for it)."""
    user = find_user(claims["sub"])
    return create_access_token(identity=claims["sub"], additional_claims=login_claims(user, claims["family"]))
