"""The API's endpoints, as Flask-RESTful resources."""
from flask import current_app
from flask_jwt_extended import create_access_token, current_user, jwt_required
from flask_restful import Resource, abort
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Blog, User, check_dummy_password
from schemas import BlogSchema, LoginSchema, PageSchema, RegisterSchema, load_args, load_json

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
            abort(409, message="That username is already taken.")
        return {"id": user.id, "username": user.username}, 201


class Login(Resource):
    """POST /login {username, password}: answer with an access token if the password is right."""

    def post(self):
        credentials = load_json(LoginSchema())
        user = db.session.execute(db.select(User).filter_by(username=credentials["username"])).scalar_one_or_none()
        if user is None:
            check_dummy_password(credentials["password"])  # as slow as a wrong password: the time tells nothing
        if user is None or not user.check_password(credentials["password"]):
            abort(401, message=WRONG_CREDENTIALS)
        return {"access_token": create_access_token(identity=str(user.id))}, 200


class BlogList(Resource):
    """GET /blogs: the posts, a page at a time (public). POST /blogs {title, body}: publish one (logged-in users)."""

    def get(self):
        page = load_args(PageSchema())
        query = posts_with_an_author().where(Blog.id > page["after"]).order_by(Blog.id).limit(page["limit"] + 1)
        blogs = db.session.execute(query).scalars().all()  # one more than a page: is there a next page?
        return {"blogs": BlogSchema(many=True).dump(blogs[: page["limit"]]), "next": next_page(blogs, page["limit"])}

    # TODO 1: only a logged-in user may publish
    @jwt_required()
    # END TODO 1
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

    # TODO 1: only a logged-in user may edit or delete (three methods)
    @jwt_required()
    # END TODO 1
    def put(self, blog_id):
        return self.update(blog_id, partial=False)

    # TODO 1: (same as above)
    @jwt_required()
    # END TODO 1
    def patch(self, blog_id):
        return self.update(blog_id, partial=True)

    # TODO 1: (same as above)
    @jwt_required()
    # END TODO 1
    def delete(self, blog_id):
        deleted = db.session.execute(db.delete(Blog).where(own_blog(blog_id))).rowcount
        if not deleted:
            refuse_change(blog_id)
        db.session.commit()
        return "", 204

    def update(self, blog_id, partial):
        """PUT replaces title and body; PATCH (partial) changes the fields it sends."""
        changes = load_json(BlogSchema(partial=partial))  # an unsaved Blog holding only the sent fields
        statement = db.update(Blog).where(own_blog(blog_id)).values(
            title=db.func.coalesce(changes.title, Blog.title),  # a field that was not sent keeps its value
            body=db.func.coalesce(changes.body, Blog.body),
        )
        if not db.session.execute(statement).rowcount:
            refuse_change(blog_id)
        blog = db.session.get(Blog, blog_id, populate_existing=True)  # as saved; the write keeps others out
        answer = BlogSchema().dump(blog)
        db.session.commit()
        return answer


def next_page(blogs, limit):
    """Where the next page is, or None after the last one (`blogs` holds up to limit + 1 posts). Pages go by id
    ("after" the last one shown), so posts published or deleted meanwhile never move a post to another page."""
    if len(blogs) <= limit:
        return None
    return f"/blogs?after={blogs[limit - 1].id}&limit={limit}"


def posts_with_an_author():
    """SELECT the posts whose author exists (blogs JOIN users). A post whose author was deleted outside the app
    (the sqlite3 shell checks no foreign keys unless asked) is left out, as ON DELETE CASCADE would have deleted
    it: showing it would read the name of an author who is not there, a 500. `flask --app app find-orphans` lists
    such posts."""
    return db.select(Blog).join(Blog.author)


def find_blog(blog_id):
    blog = db.session.execute(posts_with_an_author().where(Blog.id == blog_id)).scalar_one_or_none()
    if blog is None:
        abort(404, message=f"There is no blog post {blog_id}.")
    return blog


def own_blog(blog_id):
    """The condition for changing a post: it has this id AND the logged-in user wrote it.

    It goes inside the UPDATE or DELETE (... WHERE id = :id AND author_id = :me), so the database checks the
    author and writes in one step: no other request can get between a check and the write (README: check-then-act).
    """
    # TODO 3: match only the post with this id whose author is the logged-in user (current_user)
    return db.and_(Blog.id == blog_id, Blog.author_id == current_user.id)
    # END TODO 3


def refuse_change(blog_id):
    """The UPDATE or DELETE matched no row: say why. 404 if there is no such post; 403 if it is someone else's."""
    find_blog(blog_id)
    abort(403, message="Only the author of a post may change or delete it.")
