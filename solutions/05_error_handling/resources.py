"""The API's endpoints, as Flask-RESTful resources."""
from datetime import timedelta

from flask import current_app
from flask_jwt_extended import create_access_token, current_user, jwt_required
from flask_restful import Resource, abort
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Blog, User
from schemas import BlogSchema, LoginSchema, RegisterSchema, load_json

# One answer for "no such user" and "wrong password": a different one would tell anyone which usernames exist.
WRONG_CREDENTIALS = "Wrong username or password."


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
        return {"id": user.id, "username": user.username}, 201


class Login(Resource):
    """POST /login {username, password}: answer with an access token if the password is right."""

    def post(self):
        credentials = load_json(LoginSchema())
        user = db.session.execute(db.select(User).filter_by(username=credentials["username"])).scalar_one_or_none()
        if user is None or not user.check_password(credentials["password"]):
            abort(401, message=WRONG_CREDENTIALS, code="wrong_credentials")
        token = create_access_token(identity=str(user.id), expires_delta=lifetime(credentials))
        return {"access_token": token}, 200


def lifetime(credentials):
    """How long the new token lives: the configured lifetime, or less if the client asks for less.

    A short-lived token limits the harm if it leaks: give a script or a one-off task only the minutes it needs.
    """
    configured = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    if "lifetime_minutes" not in credentials:
        return configured
    return min(configured, timedelta(minutes=credentials["lifetime_minutes"]))


class BlogList(Resource):
    """GET /blogs: every post (public). POST /blogs {title, body}: publish one (logged-in users only)."""

    def get(self):
        blogs = db.session.execute(db.select(Blog).order_by(Blog.id)).scalars()
        return BlogSchema(many=True).dump(blogs)

    @jwt_required()
    def post(self):
        blog = load_json(BlogSchema())
        blog.author = current_user  # the user the token names, never a field the client sends
        db.session.add(blog)
        db.session.commit()
        return BlogSchema().dump(blog), 201


class BlogItem(Resource):
    """GET /blogs/<id>: one post (public). PUT, PATCH, DELETE: its author only."""

    def get(self, blog_id):
        return BlogSchema().dump(find_blog(blog_id))

    @jwt_required()
    def put(self, blog_id):
        return self.update(blog_id, partial=False)

    @jwt_required()
    def patch(self, blog_id):
        return self.update(blog_id, partial=True)

    @jwt_required()
    def delete(self, blog_id):
        blog = find_own_blog(blog_id)
        db.session.delete(blog)
        db.session.commit()
        return "", 204

    def update(self, blog_id, partial):
        """PUT replaces title and body; PATCH (partial) changes the fields it sends."""
        blog = find_own_blog(blog_id)
        changes = load_json(BlogSchema(partial=partial))  # an unsaved Blog holding only the sent fields
        blog.title = changes.title or blog.title
        blog.body = changes.body or blog.body
        db.session.commit()
        return BlogSchema().dump(blog)


def find_blog(blog_id):
    blog = db.session.get(Blog, blog_id)
    if blog is None:
        abort(404, message=f"There is no blog post {blog_id}.")
    return blog


def find_own_blog(blog_id):
    """The post, if the logged-in user wrote it: being logged in is not enough to change someone's post."""
    blog = find_blog(blog_id)
    if blog.author_id != current_user.id:
        abort(403, message="Only the author of a post may change or delete it.")
    return blog
