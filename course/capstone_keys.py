"""The stage of lesson 12 (attacks on key handling), shared by its tests and its notebook: two pairs of services on
127.0.0.1, each a token issuer and a reports service that checks its tokens, with the same people:

- the lesson's pair, vulnerable on purpose: vulnerable_issuer.py (the lesson's app.py) and vulnerable_reports.py,
  where each mistake has a route of its own (/<mistake>/report);
- the course's pair: the lesson `course_app` names (lesson 10): its blog app, which issues the tokens and publishes
  its keys, and its reports_service.py, which checks them through that key set (/report, for every attack).

Alice is the victim (an admin), Mallory the attacker (an ordinary author). Each pair also holds a token of Alice's
meant for another service (audience "quiz"): what Mallory's quiz got when Alice logged in there with her account.
"""
import importlib
import logging
from dataclasses import dataclass, field

from course import capstone
from course.loader import load_app_module

PEOPLE = {"alice": "admin", "mallory": "author"}
KEYS_PATH = "/.well-known/jwks.json"
OTHER_AUDIENCE = "quiz"
QUICK_HASH = "pbkdf2:sha256:1"  # nothing here is timed: cheap hashing


@dataclass
class Pair:
    """An issuer and a reports service, both served; who is who; a token of Alice's for another service."""

    issuer: object  # a course.notebook.LessonServer
    reports: object
    one_route_per_mistake: bool  # the vulnerable pair: /<mistake>/report; the course's: /report for all
    ids: dict = field(default_factory=dict)  # username -> user id
    other_service_token: str = ""
    quieted_logger: str = ""  # a logger silenced while the pair runs (stop() gives it back its level)

    def report_url(self, mistake):
        return self.reports.url(f"/{mistake}/report" if self.one_route_per_mistake else "/report")

    def stop(self):
        self.reports.stop()
        self.issuer.stop()
        if self.quieted_logger:
            logging.getLogger(self.quieted_logger).setLevel(logging.NOTSET)


def vulnerable_pair(lesson_folder, key_folder, **reports_settings):
    """The lesson's two services from `lesson_folder`, served, with the people; key files go in `key_folder`."""
    issuer_module = load_app_module(lesson_folder)
    reports_module = importlib.import_module("vulnerable_reports")  # beside app.py
    issuer = capstone.serve(issuer_module.create_app({"PASSWORD_HASH_METHOD": QUICK_HASH}))
    reports = capstone.serve(reports_module.create_app({"JWKS_URL": issuer.url(KEYS_PATH),
                                                        "KEY_FOLDER": str(key_folder), **reports_settings}))
    pair = Pair(issuer, reports, one_route_per_mistake=True, ids=set_the_stage(issuer))
    login = {"username": "alice", "password": capstone.PASSWORD, "audience": OTHER_AUDIENCE}
    pair.other_service_token = post_json(issuer.url("/login"), login)["access_token"]
    return pair


def course_pair(lesson_id, folder):
    """The course's app (lessons.toml: course_app) and its reports service, served, with the people. Loading it
    forgets the modules of the lesson loaded before (course/loader.py): load the vulnerable pair first."""
    from flask_jwt_extended import create_access_token

    blog_app = capstone.build_course_app(lesson_id, folder, TESTING=False, PASSWORD_HASH_METHOD=QUICK_HASH)
    reports_module = importlib.import_module("reports_service")  # lesson 10's second service, beside its app.py
    issuer = capstone.serve(blog_app)
    reports_app = reports_module.create_app({"JWKS_URL": issuer.url(KEYS_PATH)})
    # It logs a warning for each token it refuses: here every attack is one, and the log would fill the notebook
    logging.getLogger(reports_app.name).setLevel(logging.ERROR)
    reports = capstone.serve(reports_app)
    pair = Pair(issuer, reports, one_route_per_mistake=False, ids=set_the_stage(issuer),
                quieted_logger=reports_app.name)
    # The same issuer, its own key and code, making Alice a token for another audience
    with blog_app.app_context():
        pair.other_service_token = create_access_token(identity=str(pair.ids["alice"]),
                                                       additional_claims={"aud": OTHER_AUDIENCE})
    return pair


def set_the_stage(issuer):
    """Register PEOPLE at the issuer through its API and give each their role with its `flask set-role` command.
    Returns {name: user id}."""
    ids = {}
    for name, role in PEOPLE.items():
        ids[name] = capstone.register(issuer, name)
        result = issuer.app.test_cli_runner().invoke(args=["set-role", name, role])
        if result.exit_code != 0:
            raise RuntimeError(f"set-role {name} {role}: {result.output}")
    return ids


def post_json(url, body):
    import requests  # imported here: the course's command line imports this package without it

    answer = requests.post(url, json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()
