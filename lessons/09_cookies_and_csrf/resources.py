"""The API's endpoints, as Flask-RESTful resources."""
from datetime import timedelta

from flask import current_app, make_response, request
from flask_jwt_extended import (create_access_token, current_user, get_current_user, get_jwt, get_jwt_request_location,
                                jwt_required, unset_jwt_cookies)
from flask_restful import Resource, abort
from sqlalchemy.exc import IntegrityError

from auth import token_optional
from blocklist import accepted_until, current_blocklist
from cookies import cookie_answer, renewal_claims
from extensions import db
from models import Blog, User, check_dummy_password
from roles import role_required
from schemas import (BlogSchema, LoginSchema, PageSchema, PasswordSchema, RegisterSchema, UserSchema, load_args,
                     load_json)
from tokens import end_login, issue_refresh_token, log_out_everywhere, login_claims, new_family, rotate

# One answer for "no such user" and "wrong password": a different one would tell anyone which usernames exist.
WRONG_CREDENTIALS = "Wrong username or password."
REFRESH_TOKEN_REUSED = "This refresh token was used already, so it may have been copied: every token of this login"\
    " is now revoked. Log in again."


class Health(Resource):
    """GET /health: the app is up. It shows settings that are safe to show, never the secret key."""

    def get(self):
        expires = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
        return {"status": "ok", "access_token_minutes": int(expires.total_seconds() // 60)}


class Register(Resource):
    """POST /register {username, password}: create a user."""

    def post(self):
        data = load_json(RegisterSchema())
        user = User(username=data["username"])
        user.set_password(data["password"])
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:  # the username is taken (the column is unique)
            db.session.rollback()
            abort(409, message="That username is already taken.", code="username_taken")
        return UserSchema().dump(user), 201  # id, username and role ("reader": every new user starts there)


class Login(Resource):
    """POST /login {username, password}: answer a fresh access token and a refresh token if the password is right."""

    def post(self):
        credentials = load_json(LoginSchema())
        user = db.session.execute(db.select(User).filter_by(username=credentials["username"])).scalar_one_or_none()
        if user is None:
            check_dummy_password(credentials["password"])  # as slow as a wrong password: the time tells nothing
        if user is None or not user.check_password(credentials["password"]):
            abort(401, message=WRONG_CREDENTIALS, code="wrong_credentials")
        family = new_family()  # this login; /logout ends it
        cookies = credentials["cookies"]  # a browser: the tokens go in httponly cookies, not in the body
        access_token = create_access_token(identity=str(user.id), fresh=True, expires_delta=lifetime(credentials),
                                           additional_claims=login_claims(user, family) | renewal_claims(cookies))
        answer = {"access_token": access_token}
        if "lifetime_minutes" not in credentials:  # a client that asked for a short life gets no way to extend it
            answer["refresh_token"] = issue_refresh_token(user, family)
        refuse_if_password_changed(user)  # while it was being checked: see the function
        db.session.commit()
        if cookies:
            return cookie_answer(user, answer)
        return answer, 200


def refuse_if_password_changed(user):
    """Refuse the login, as a wrong password, if the user's password changed since it was checked above.

    Checking a password takes a while (~0.1 s with scrypt). A password change that commits meanwhile revokes
    every family of the user, but not the one this login is creating: that one is not saved yet. So, once the
    new family is written, read the hash again: a changed one means this login used the old password.
    The read locks the user's row (PostgreSQL: FOR NO KEY UPDATE; SQLite holds one lock for the whole database
    from the INSERT of the refresh token on), so a password change cannot commit between this read and our
    commit: it waits, then sees the new family and revokes it too.
    From lesson 07 on, token_version refuses such tokens as well (they carry the version read before the change);
    the check stays: one query per login, and the login does not depend on a claim to be safe.
    """
    stored_hash = db.session.execute(
        db.select(User.password_hash).where(User.id == user.id).with_for_update(key_share=True)
    ).scalar_one_or_none()
    if stored_hash != user.password_hash:  # user.password_hash: the hash that was checked
        db.session.rollback()  # the new refresh token is not kept
        abort(401, message=WRONG_CREDENTIALS, code="wrong_credentials")


def lifetime(credentials):
    """How long the new token lives: the configured lifetime, or less if the client asks for less.

    A short-lived token limits the harm if it leaks: give a script or a one-off task only the minutes it needs.
    """
    configured = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    if "lifetime_minutes" not in credentials:
        return configured
    return min(configured, timedelta(minutes=credentials["lifetime_minutes"]))


class Refresh(Resource):
    """POST /refresh with a refresh token: a new access token, and the next refresh token of the same login."""

    @jwt_required(refresh=True)
    def post(self):
        presented = get_jwt()  # the refresh token's claims: its jti, and its login's family
        refresh_token = rotate(current_user, presented["family"], presented["jti"])
        if refresh_token is not None:
            cookies = get_jwt_request_location() == "cookies"  # a browser sent its refresh cookie: answer cookies
            claims = login_claims(current_user, presented["family"]) | renewal_claims(cookies)  # the same login goes on
            access_token = create_access_token(identity=str(current_user.id), additional_claims=claims)  # not fresh
            db.session.commit()
            tokens = {"access_token": access_token, "refresh_token": refresh_token}
            if cookies:
                return cookie_answer(current_user, tokens)
            return tokens, 200
        # it was replaced already, so it was copied: end its login, the access tokens the thief got included
        end_login(presented["family"])
        abort(401, message=REFRESH_TOKEN_REUSED, code="refresh_token_reused")


class Password(Resource):
    """POST /password {current_password, new_password}: change the password, and end every login of the user."""

    @jwt_required(fresh=True)  # only a fresh token (from a password login, not from /refresh)
    def post(self):
        change = load_json(PasswordSchema())
        if not current_user.check_password(change["current_password"]):
            abort(403, message="The current password is wrong.", code="wrong_password")
        current_user.set_password(change["new_password"])
        log_out_everywhere(current_user)  # whoever holds a token of this user must log in again
        db.session.commit()
        return "", 204


class Logout(Resource):
    """POST /logout: end this login. The access token that calls it and the refresh tokens of its login stop working."""

    @jwt_required()
    def post(self):
        claims = get_jwt()  # the calling token's claims: its jti, exp and family
        if "family" in claims:  # a token made before lesson 07 has none: it has no login to end but itself
            end_login(claims["family"])  # its refresh tokens, then every access token of the login
        current_blocklist().add(claims["jti"], accepted_until(claims))
        db.session.commit()
        response = make_response("", 204)
        unset_jwt_cookies(response)  # a browser forgets its token cookies and their CSRF cookies
        return response


class LogoutAll(Resource):
    """POST /logout-all: end every login of the user, on every device."""

    @jwt_required()
    def post(self):
        log_out_everywhere(current_user)
        db.session.commit()
        return "", 204


class Me(Resource):
    """GET /me: the user the token names, their role now (from the database), and the claims of the token itself."""

    @jwt_required()
    def get(self):
        return {**UserSchema().dump(current_user), "claims": get_jwt()}


class UserList(Resource):
    """GET /users: every user with their role, a page at a time (admins only). Never a password hash."""

    @role_required("admin")
    def get(self):
        page = load_args(PageSchema())
        query = db.select(User).where(User.id > page["after"]).order_by(User.id).limit(page["limit"] + 1)
        users = db.session.execute(query).scalars().all()
        return {"users": UserSchema(many=True).dump(users[: page["limit"]]), "next": next_page(users, page["limit"])}


class BlogList(Resource):
    """GET /blogs: the posts anyone may see, a page at a time; a logged-in author sees their drafts too.
    POST /blogs {title, body, published}: write one (authors and admins)."""

    @token_optional
    def get(self):
        page = load_args(PageSchema())
        query = posts_with_an_author().where(visible_posts(), Blog.id > page["after"]).order_by(Blog.id)
        blogs = db.session.execute(query.limit(page["limit"] + 1)).scalars().all()  # one more: is there a next page?
        return {"blogs": BlogSchema(many=True).dump(blogs[: page["limit"]]), "next": next_page(blogs, page["limit"])}

    @role_required("author")
    def post(self):
        blog = load_json(BlogSchema())
        blog.author = current_user  # the user the token names, never a field the client sends
        db.session.add(blog)
        db.session.commit()
        return BlogSchema().dump(blog), 201


class BlogItem(Resource):
    """GET /blogs/<id>: one post (a draft for its author only). PUT, PATCH: its author. DELETE: its author or an admin."""

    @token_optional
    def get(self, blog_id):
        return BlogSchema().dump(find_blog(blog_id))

    @role_required("author")
    def put(self, blog_id):
        return self.update(blog_id, partial=False)

    @role_required("author")
    def patch(self, blog_id):
        return self.update(blog_id, partial=True)

    @role_required("author")
    def delete(self, blog_id):
        deleted = db.session.execute(db.delete(Blog).where(deletable_blog(blog_id))).rowcount
        if not deleted:
            refuse_change(blog_id, "Only the author of a post, or an admin, may delete it.")
        db.session.commit()
        return "", 204

    def update(self, blog_id, partial):
        """PUT replaces title and body; PATCH (partial) changes the fields it sends."""
        changes = load_json(BlogSchema(partial=partial))  # an unsaved Blog holding only the sent fields
        statement = db.update(Blog).where(own_blog(blog_id)).values(
            title=db.func.coalesce(changes.title, Blog.title),  # a field that was not sent keeps its value
            body=db.func.coalesce(changes.body, Blog.body),
            published=db.func.coalesce(changes.published, Blog.published),  # a draft is published by setting it true
        )
        if not db.session.execute(statement).rowcount:
            refuse_change(blog_id)
        blog = db.session.get(Blog, blog_id, populate_existing=True)  # as saved; the write keeps others out
        answer = BlogSchema().dump(blog)
        db.session.commit()
        return answer


def next_page(rows, limit):
    """Where the next page is, or None after the last one (`rows` holds up to limit + 1 rows). Pages go by id
    ("after" the last one shown), so rows added or deleted meanwhile never move a row to another page."""
    if len(rows) <= limit:
        return None
    return f"{request.path}?after={rows[limit - 1].id}&limit={limit}"


def visible_posts():
    """The condition a post must meet to be shown to whoever is asking: published, or their own draft.

    get_current_user() is the User of the request's token, or None when no token was sent: that needs
    @token_optional (auth.py) on the view. (`current_user is None` is never true: current_user is a proxy.)
    """
    reader = get_current_user()
    if reader is None:
        return Blog.published
    return db.or_(Blog.published, Blog.author_id == reader.id)


def posts_with_an_author():
    """SELECT the posts whose author exists (blogs JOIN users). A post whose author was deleted outside the app
    (the sqlite3 shell checks no foreign keys unless asked) is left out, as ON DELETE CASCADE would have deleted
    it: showing it would read the name of an author who is not there, a 500. `flask --app app find-orphans` lists
    such posts."""
    return db.select(Blog).join(Blog.author)


def find_blog(blog_id):
    """The post `blog_id` if the caller may see it; 404 otherwise (someone else's draft is not said to exist)."""
    visible = posts_with_an_author().where(Blog.id == blog_id, visible_posts())
    blog = db.session.execute(visible).scalar_one_or_none()
    if blog is None:
        abort(404, message=f"There is no blog post {blog_id}.")
    return blog


def own_blog(blog_id):
    """The condition for changing a post: it has this id AND the logged-in user wrote it.

    It goes inside the UPDATE (... WHERE id = :id AND author_id = :me), so the database checks the
    author and writes in one step: no other request can get between a check and the write (README: check-then-act).
    """
    return db.and_(Blog.id == blog_id, Blog.author_id == current_user.id)


def deletable_blog(blog_id):
    """The condition for deleting a post: it has this id AND (the logged-in user wrote it OR is an admin now).

    "An admin now" is asked of the database, in the DELETE itself, never of the token's role claim: the claim was
    written at login, and an admin demoted since then would still be one for as long as the token lives.
    """
    is_admin_now = db.select(User.id).where(User.id == current_user.id, User.role == "admin").exists()
    return db.and_(Blog.id == blog_id, db.or_(Blog.author_id == current_user.id, is_admin_now))


def refuse_change(blog_id, message="Only the author of a post may change it."):
    """The UPDATE or DELETE matched no row: say why. 404 if there is no such post; 403 if it is someone else's."""
    find_blog(blog_id)
    abort(403, message=message)
