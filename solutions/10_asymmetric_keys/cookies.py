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
    set_access_cookies(response, tokens["access_token"])
    if "refresh_token" in tokens:  # a login that asked for a short lifetime gets none
        set_refresh_cookies(response, tokens["refresh_token"])
    return response


# --- Implicit refresh: a browser that keeps using the page keeps a valid access cookie -----------------------

def refresh_expiring_access_cookie(response):
    """An after_request hook (app.py): when a request authenticated by its access cookie, and that token has less
    than half of its lifetime left, answer a new access cookie as well. A user on the page is then not sent to
    /refresh every few minutes. Only a token this app put in a cookie is renewed, and only until its renew_until
    (renewal_claims, below): header clients are left alone (they refresh as in lesson 06), and a copied access
    token cannot keep a login alive without the refresh token.
    """
    if get_jwt_request_location() != "cookies":  # None when no token was checked; "headers" for an API client
        return response
    claims = get_jwt()
    if (claims["type"] == "access" and may_be_renewed(claims) and expires_soon(claims)
            and login_goes_on(claims["family"])):
        set_access_cookies(response, renewed_access_token(claims))
    return response


def renewal_claims(in_a_cookie):
    """The claim of an access token this app puts in a cookie (Login and Refresh add it); {} for a header client.

    renew_until is the time (in seconds, as exp) after which the hook above no longer renews the token. It bounds
    what flask-jwt-extended's documented implicit refresh leaves open, where any valid access token that comes in
    a cookie is renewed, again and again:
    - a token without the claim, as every header client's is, is never renewed: one copied from an API client's
      logs and sent back as a cookie expires when it would have;
    - a renewed token keeps the claim unchanged (renewed_access_token), so a chain of renewals ends
      IMPLICIT_REFRESH_LIMIT after the login or the last /refresh, however often it is renewed. Only the refresh
      cookie, which the browser sends to /refresh and nowhere else, starts a new chain: the page calls /refresh
      by itself when a token has expired.
    """
    if not in_a_cookie:
        return {}
    renew_until = now() + current_app.config["IMPLICIT_REFRESH_LIMIT"]
    return {"renew_until": int(renew_until.timestamp())}


def may_be_renewed(claims):
    """Whether this app put the token in a cookie (it has renew_until) and that time is still ahead."""
    return "renew_until" in claims and now().timestamp() < claims["renew_until"]


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
    """A new access token for the same user and login (not fresh: no password was given for it), renewable until
    the same time as the token it replaces."""
    user = find_user(claims["sub"])
    same_end = {"renew_until": claims["renew_until"]}  # never later: see renewal_claims
    new_claims = login_claims(user, claims["family"]) | same_end
    return create_access_token(identity=claims["sub"], additional_claims=new_claims)
