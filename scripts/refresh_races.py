"""Refresh tokens under attack, measured on the reference apps (issue 28, items 2 and 3):

1. races on PostgreSQL: clients released together by a barrier send the same refresh token to a lesson's app on
   a real threaded server, alone or racing a request that ends every login of the user;
2. rows: how many rows `refresh_tokens` holds after one login refreshed many times (in-process, SQLite).

    python scripts/refresh_races.py                        # 200 rounds of each race, 10 000 refreshes
    python scripts/refresh_races.py --rounds 20 --refreshes 500 --lessons 06,07
    python scripts/refresh_races.py --target lessons       # any folder laid out like solutions/

Each round of a race starts from a new login, so its token is unused. The races:
- refresh:    8 x POST /refresh with one token. One may win (200); every loser must get 401 refresh_token_reused.
- logout-all: POST /logout-all and 6 x /refresh with one token (lessons with /logout-all); /logout-all is sent
              with the access token of another login of the same user.
- password:   POST /password and 6 x /refresh with one token; /password is sent with the fresh access token of
              another login of the same user.
After each round, no token the round answered may work: the login was ended (by reuse, /logout-all or /password).
The report counts, per lesson and race, the 5xx answers, the losers that got another answer than the expected
one, and the tokens that still worked. A deadlock shows as a 5xx: PostgreSQL cancels one of the transactions.

The tests (tests/test_hardening.py, test_06_refresh_tokens.py) run a few rounds of the same races; this script
runs enough of them to measure, and is not part of the suite.
"""
import argparse
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the course package, and the tests' PostgreSQL server

from course.lessons import all_lessons, target_folder  # noqa: E402
from course.loader import load_app_module  # noqa: E402
from course.notebook import LessonServer  # noqa: E402
from servers import PostgreSQL  # noqa: E402

SETTINGS = {
    "JWT_SECRET_KEY": "a-script-only-secret-that-is-long-enough-for-hs256",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",  # cheap hashing, as in the tests: the races are the point
    # lesson 10 on signs with a private key (the lessons before ignore it): one made for this run
    "JWT_PRIVATE_KEY": Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode(),
}
PASSWORDS = ["correct horse battery", "a brand new passphrase"]  # the password race changes it each round


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def at_once(*calls):
    """Run the calls in threads released together by a barrier; their results, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result(timeout=60) for future in [pool.submit(run, call) for call in calls]]


class Client:
    """One user of a served app: logs in, refreshes, and checks whether a token still works."""

    def __init__(self, url):
        self.url = url
        self.password = PASSWORDS[0]
        requests.post(f"{url}/register", json=self.credentials(), timeout=10)

    def credentials(self):
        return {"username": "alice", "password": self.password}

    def login(self):
        answer = requests.post(f"{self.url}/login", json=self.credentials(), timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def refresh(self, refresh_token):
        return lambda: requests.post(f"{self.url}/refresh", headers=bearer(refresh_token), timeout=30)

    def logout_all(self, access_token):
        return lambda: requests.post(f"{self.url}/logout-all", headers=bearer(access_token), timeout=30)

    def change_password(self, access_token):
        new = PASSWORDS[1 - PASSWORDS.index(self.password)]
        body = {"current_password": self.password, "new_password": new}
        return lambda: requests.post(f"{self.url}/password", json=body, headers=bearer(access_token), timeout=30)

    def still_works(self, tokens):
        """Whether either token of an answer is still accepted: the refresh token at /refresh, the access token at
        POST /blogs (an empty body: 400 or 403 once the token is accepted, 401 while it is not)."""
        refreshed = requests.post(f"{self.url}/refresh", headers=bearer(tokens["refresh_token"]), timeout=10)
        published = requests.post(f"{self.url}/blogs", json={}, headers=bearer(tokens["access_token"]), timeout=10)
        return refreshed.status_code != 401 or published.status_code != 401


def run_race(client, race, rounds, tally, access_revocable):
    """`rounds` rounds of one race; adds what happened to `tally` (a Counter)."""
    for _ in range(rounds):
        tokens, other_login = client.login(), client.login()
        if race == "refresh":
            answers = at_once(*[client.refresh(tokens["refresh_token"])] * 8)
            refreshes, other = answers, None
        else:
            ender = client.logout_all if race == "logout-all" else client.change_password
            answers = at_once(ender(other_login["access_token"]), *[client.refresh(tokens["refresh_token"])] * 6)
            other, refreshes = answers[0], answers[1:]
        tally["rounds"] += 1
        tally["5xx"] += sum(answer.status_code >= 500 for answer in answers)
        winners = [answer for answer in refreshes if answer.status_code == 200]
        losers = [answer for answer in refreshes if answer.status_code != 200]
        tally["more than one winner"] += len(winners) > 1
        if race == "refresh":
            tally["losers not refresh_token_reused"] += sum(
                answer.status_code != 401 or answer.json().get("code") != "refresh_token_reused" for answer in losers)
        else:
            tally["losers not 401"] += sum(answer.status_code != 401 for answer in losers)
            tally[f"{race} not 204"] += other.status_code != 204
            if race == "password" and other.status_code == 204:
                client.password = PASSWORDS[1 - PASSWORDS.index(client.password)]
        for answer in winners:
            successor = answer.json()
            if not access_revocable:  # lesson 06 revokes refresh tokens only: its access tokens live on
                successor = {**successor, "access_token": "not a token"}
            tally["successors still working"] += client.still_works(successor)


def has_route(app, path):
    return any(rule.rule == path for rule in app.url_map.iter_rules())


def races_of(app):
    return ["refresh", "password"] + (["logout-all"] if has_route(app, "/logout-all") else [])


def measure_races(folder, lesson_id, postgresql, rounds):
    module = load_app_module(folder / lesson_id)
    schema = postgresql.new_schema()
    app = module.create_app({**SETTINGS, "SQLALCHEMY_DATABASE_URI": postgresql.url(schema=schema)})
    app.logger.disabled = True  # a 5xx is counted; its traceback would bury the report
    server = LessonServer(app).start()
    try:
        client = Client(server.url())
        for race in races_of(app):
            tally = Counter()
            started = time.perf_counter()
            run_race(client, race, rounds, tally, access_revocable=has_route(app, "/logout"))
            seconds = time.perf_counter() - started
            figures = ", ".join(f"{name}: {count}" for name, count in tally.items() if name != "rounds")
            print(f"{lesson_id}  {race:<10}  {tally['rounds']} rounds in {seconds:.1f} s  {figures}", flush=True)
    finally:
        server.stop()
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
        postgresql.drop_schema(schema)


def measure_rows(folder, lesson_id, refreshes):
    """The rows of refresh_tokens after one login and `refreshes` refreshes (Flask's test client, SQLite)."""
    module = load_app_module(folder / lesson_id)
    app = module.create_app({**SETTINGS, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    client = app.test_client()
    credentials = {"username": "alice", "password": PASSWORDS[0]}
    client.post("/register", json=credentials)
    refresh_token = client.post("/login", json=credentials).get_json()["refresh_token"]
    started = time.perf_counter()
    for _ in range(refreshes):
        answer = client.post("/refresh", headers=bearer(refresh_token))
        assert answer.status_code == 200, answer.get_json()
        refresh_token = answer.get_json()["refresh_token"]
    seconds = time.perf_counter() - started
    database = app.extensions["sqlalchemy"]
    with app.app_context():
        rows = database.session.execute(database.text("SELECT count(*) FROM refresh_tokens")).scalar()
    print(f"{lesson_id}  rows after 1 login and {refreshes} refreshes: {rows}  ({seconds:.1f} s)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="rounds of each race (default 200)")
    parser.add_argument("--refreshes", type=int, default=10_000, help="refreshes of one login (default 10000)")
    parser.add_argument("--lessons", help="lesson numbers, comma-separated (default: every lesson with /refresh)")
    parser.add_argument("--target", default="solutions", help="solutions (default), lessons, or a folder like them")
    options = parser.parse_args()
    folder = target_folder(options.target)
    lessons = [lesson for lesson in all_lessons() if lesson.database and not lesson.course_app
               and lesson.number >= 6]
    if options.lessons:
        wanted = {int(number) for number in options.lessons.split(",")}
        lessons = [lesson for lesson in lessons if lesson.number in wanted]
    try:
        postgresql = PostgreSQL().start()
    except (pytest.skip.Exception, pytest.fail.Exception) as error:  # how servers.py says it is missing
        sys.exit(f"the races need PostgreSQL: {error}")
    try:
        for lesson in lessons:
            measure_races(folder, lesson.id, postgresql, options.rounds)
    finally:
        postgresql.stop()
    for lesson in lessons:
        measure_rows(folder, lesson.id, options.refreshes)


if __name__ == "__main__":
    main()
