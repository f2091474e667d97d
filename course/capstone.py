"""The stage of a capstone lesson (lessons.toml: `course_app`), shared by its tests and its notebook: two apps on
127.0.0.1, side by side, each with the same people and posts, so that one attack can be run against both.

- the lesson's own app, deliberately vulnerable (its create_app, as for any lesson);
- the course's app: the reference of the lesson `course_app` names. A student edition has no solutions/: there
  it is the student's own version of that lesson, and the attacks must fail against their work.

Both hash passwords with the same method (HASH_METHOD), so that a difference in login times can only come from
the code, never from the settings.
"""
import secrets

from course.lessons import ROOT, find_lesson, target_folder
from course.loader import load_app_module
from course.notebook import LessonServer

PASSWORD = "correct horse battery"
# About 25 ms per check on the 2-core machine the course is built on (45 ms under a load of 9): cheap enough for
# tests, and far above the time of a request that checks no hash (a few ms, loaded), so that a timing difference
# is plain to see even on a loaded machine.
HASH_METHOD = "pbkdf2:sha256:80000"
# Who is there, and may do what. Alice is the victim (user 1, an admin), Mallory the attacker: an ordinary author
# with an account of her own, as anyone can have.
PEOPLE = {"alice": "admin", "bob": "author", "mallory": "author"}
AUTHORS_OF_POSTS = ("alice", "bob")


def course_app_folder(lesson_id):
    """The folder of the course's app that the capstone `lesson_id` attacks."""
    course_app = find_lesson(lesson_id).course_app
    solutions = ROOT / "solutions"
    return (solutions if solutions.is_dir() else target_folder("lessons")) / course_app


def course_app_settings(folder):
    """Settings for the course's app, as `course serve` would make them: fresh keys, a random 32-byte secret for a
    lesson that signs with HS256 and a new Ed25519 private key for one that signs with a key pair (lesson 10 on;
    each reads its own and ignores the other); a SQLite file in `folder` (an in-memory database has one connection
    for every thread of a server); and HASH_METHOD."""
    from cryptography.hazmat.primitives import serialization  # imported here: only the capstone needs it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return {"JWT_SECRET_KEY": secrets.token_hex(32), "JWT_PRIVATE_KEY": private_key,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'course.db'}", "PASSWORD_HASH_METHOD": HASH_METHOD}


def build_course_app(lesson_id, folder, **settings):
    """The course's app, built with course_app_settings(folder) and `settings`, not served yet."""
    module = load_app_module(course_app_folder(lesson_id))
    return module.create_app({**course_app_settings(folder), **settings})


def serve(app):
    """Serve `app` on 127.0.0.1 and a free port in this process: server.url("/path"), server.stop()."""
    return LessonServer(app).start()


def set_the_stage(server):
    """Register PEOPLE through the API, give each their role with the app's own `flask set-role` command, and publish
    a post by each of AUTHORS_OF_POSTS. Returns {"ids": {name: user id}, "posts": {name: post id}}."""
    import requests  # imported here: the course's command line imports this package without it

    app, ids, posts = server.app, {}, {}
    for name, role in PEOPLE.items():
        ids[name] = register(server, name)
        result = app.test_cli_runner().invoke(args=["set-role", name, role])
        if result.exit_code != 0:
            raise RuntimeError(f"set-role {name} {role}: {result.output}")
    for name in AUTHORS_OF_POSTS:
        token = requests.post(server.url("/login"), json={"username": name, "password": PASSWORD},
                              timeout=10).json()["access_token"]
        answer = requests.post(server.url("/blogs"), json={"title": f"{name.title()}'s post", "body": "Mine."},
                               headers={"Authorization": f"Bearer {token}"}, timeout=10)
        if answer.status_code != 201:
            raise RuntimeError(f"{name} publishing: {answer.status_code} {answer.text}")
        posts[name] = answer.json()["id"]
    return {"ids": ids, "posts": posts}


def register(server, name):
    """Register `name` with PASSWORD through the API; returns the new user's id."""
    import requests

    answer = requests.post(server.url("/register"), json={"username": name, "password": PASSWORD}, timeout=10)
    if answer.status_code != 201:
        raise RuntimeError(f"registering {name}: {answer.status_code} {answer.text}")
    return answer.json()["id"]
