"""What authentication costs, measured side by side on the course's reference app (docs/cost-of-auth.md).

    python scripts/bench_auth.py            # the figures of the docs' table (a couple of minutes)
    python scripts/bench_auth.py --quick    # a few hundred iterations: proves the benchmark still runs

It measures, in one run:
1. a token alone: signing and verifying with HS256, RS256, ES256 and EdDSA (PyJWT, no Flask);
2. one request in-process (Flask's test client, no network): the same work on an open route and behind
   @jwt_required(), the protected cost broken down (the bare decorator, the user lookup, the revocation check
   with the blocklist in the database or in Redis), and how many SQL statements and Redis commands each request
   sends, on SQLite and on PostgreSQL;
3. the same over HTTP: gunicorn with 2 workers on 127.0.0.1, 2 clients at a time;
4. a login: the password hash as configured (scrypt) and as the tests set it (one round of pbkdf2).

What is compared is measured in turns (open, protected, open, protected, ...: `--repeat` short loops each), and
each figure is its fastest loop: other processes on the machine can only slow a loop down, so the fastest is
the closest to the cost itself (as `timeit` advises). The routes measured are added by this script
(`/bench/open` and `/bench/protected`, each reading one row) so that the only difference is the decorator.
"""
import argparse
import http.client
import functools
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from flask_jwt_extended import jwt_required
from sqlalchemy import event
from werkzeug.security import check_password_hash, generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the course package, and the tests' PostgreSQL server

from course.lessons import all_lessons  # noqa: E402
from course.loader import forget_loaded_lesson, load_app_module  # noqa: E402
from servers import PostgreSQL, free_port, start_redis  # noqa: E402

SECRET = "a-benchmark-secret-that-is-long-enough-for-hs256"
TEST_HASH = "pbkdf2:sha256:1"  # the tests' setting (tests/conftest.py)
PASSWORD = "correct horse battery"
# From lesson 10 on the apps sign with a private key (the lessons before ignore it). One key for the run, handed to
# gunicorn's workers through the environment, so that every process signs and verifies alike.
PRIVATE_KEY = os.environ.setdefault("BENCH_PRIVATE_KEY", ed25519.Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
CLAIMS = {"sub": "1", "iat": 1_700_000_000, "exp": 4_000_000_000, "type": "access", "jti": "b" * 36}


def newest_database_lesson():
    """The reference app of the newest lesson that has a database: the app learners leave the course with."""
    lesson = [lesson for lesson in all_lessons() if lesson.database][-1]
    return lesson.id, ROOT / "solutions" / lesson.id


def fastest_microseconds(actions, iterations, repeat):
    """{name: µs per call} for each of `actions` ({name: function}): `repeat` rounds in which each action in
    turn runs a loop of `iterations` calls; an action's figure is its fastest loop."""
    best = {name: float("inf") for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            started = time.perf_counter()
            for _ in range(iterations):
                action()
            best[name] = min(best[name], (time.perf_counter() - started) / iterations * 1e6)
    return best


# --- 1. A token alone ------------------------------------------------------------------------------------

def signing_keys():
    """(algorithm, signing key, verifying key) for each algorithm compared."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ed_key = ed25519.Ed25519PrivateKey.generate()
    return [("HS256", SECRET, SECRET), ("RS256", rsa_key, rsa_key.public_key()),
            ("ES256", ec_key, ec_key.public_key()), ("EdDSA", ed_key, ed_key.public_key())]


def bench_tokens(iterations, repeat):
    rows = []
    for algorithm, private, public in signing_keys():
        token = jwt.encode(CLAIMS, private, algorithm=algorithm)
        times = fastest_microseconds({"sign": lambda: jwt.encode(CLAIMS, private, algorithm=algorithm),
                                      "verify": lambda: jwt.decode(token, public, algorithms=[algorithm])},
                                     iterations, repeat)
        rows.append((algorithm, times["sign"], times["verify"], len(token)))
    return rows


# --- 2. One request, in-process ----------------------------------------------------------------------------

def add_bench_routes(app):
    """Two routes that do the same work (read one row); only the second needs a token."""
    database = app.extensions["sqlalchemy"]

    def read_one_row():
        return {"title": database.session.execute(database.text("SELECT title FROM blogs WHERE id = 1")).scalar()}

    app.add_url_rule("/bench/open", "bench_open", read_one_row)
    app.add_url_rule("/bench/protected", "bench_protected", jwt_required()(read_one_row))


def seed(database):
    """One user (id 1) and one post (id 1), unless an earlier app on the same database made them."""
    if database.session.execute(database.text("SELECT count(*) FROM users")).scalar():
        return
    password_hash = generate_password_hash(PASSWORD, method=TEST_HASH)
    database.session.execute(database.text("INSERT INTO users (username, password_hash) VALUES ('alice', :hash)"),
                             {"hash": password_hash})
    insert_post = "INSERT INTO blogs (title, body, author_id, created_at) VALUES ('Hello', 'A post.', 1, :now)"
    database.session.execute(database.text(insert_post), {"now": datetime.now(timezone.utc)})
    database.session.commit()


def seeded_app(folder, database_url, variant="course", **settings):
    """The lesson's app with one user and one post, the bench routes, and the variant's token checks:
    "bare": flask-jwt-extended's decorator alone (a user loader that asks nothing, no revocation check);
    "user lookup": the app's own user loader, no revocation check; "course": the app as the course builds it
    (from lesson 07, with its revocation check in the blocklist that `settings` choose)."""
    forget_loaded_lesson()  # a fresh import: loaders registered on the last app's JWTManager are gone
    settings = {"JWT_SECRET_KEY": SECRET, "JWT_PRIVATE_KEY": PRIVATE_KEY, "SQLALCHEMY_DATABASE_URI": database_url,
                "PASSWORD_HASH_METHOD": TEST_HASH, **settings}
    app = load_app_module(folder).create_app(settings)
    add_bench_routes(app)
    with app.app_context():
        seed(app.extensions["sqlalchemy"])
    # a token as /login gives it (from lesson 07: a family and a token_version, so two ids for the blocklist)
    login = app.test_client().post("/login", json={"username": "alice", "password": PASSWORD})
    token = login.get_json()["access_token"]
    manager = app.extensions["flask-jwt-extended"]
    if variant == "bare":
        manager.user_lookup_loader(lambda header, payload: SimpleNamespace(id=1))
    if variant in ("bare", "user lookup"):
        manager.token_in_blocklist_loader(lambda header, payload: False)
    return app, token


def has_a_blocklist(folder, database_url):
    """Whether the lesson's app checks tokens against a blocklist (lesson 07 on)."""
    app = seeded_app(folder, database_url)[0]
    close(app)
    return "blocklist" in app.extensions


def round_trips_per_request(app, path, headers, redis_client=None):
    """(SQL statements, Redis commands) that one request sends, once connections are open: each is a round trip
    to a store."""
    database = app.extensions["sqlalchemy"]
    count = [0]

    def counted(*args):
        count[0] += 1

    with app.app_context():
        engine = database.engine
    app.test_client().get(path, headers=headers)  # first: connections open (redis-py names itself on connect)
    redis_before = redis_commands(redis_client)
    event.listen(engine, "before_cursor_execute", counted)
    response = app.test_client().get(path, headers=headers)
    event.remove(engine, "before_cursor_execute", counted)
    redis_sent = redis_commands(redis_client) - redis_before - 1 if redis_client else 0  # less our own INFO
    assert response.status_code == 200, response.get_data(as_text=True)
    return count[0], redis_sent


def redis_commands(client):
    """How many commands the Redis server has answered so far (INFO counts itself among them)."""
    return client.info("stats")["total_commands_processed"] if client else 0


def request_variants(folder, database_url, redis_server):
    """(label, variant, path, settings) of each request measured; the revocation rows from lesson 07 on, the
    Redis one where redis-server is installed."""
    variants = [("open route", "course", "/bench/open", {}),
                ("@jwt_required() alone (no user lookup)", "bare", "/bench/protected", {}),
                ("@jwt_required() + user lookup", "user lookup", "/bench/protected", {})]
    if has_a_blocklist(folder, database_url):
        variants.append(("... + revocation check, blocklist in the database (the course's apps)", "course",
                         "/bench/protected", {"BLOCKLIST": "database"}))
        if redis_server:
            variants.append(("... + revocation check, blocklist in Redis (the course's apps)", "course",
                             "/bench/protected", {"BLOCKLIST": "redis", "REDIS_URL": redis_server.url}))
    return variants


def bench_requests(folder, database_url, redis_server, iterations, repeat):
    """(label, µs per request, SQL statements, Redis commands) for each variant, measured in turns."""
    requests, trips, apps = {}, {}, []
    redis_client = redis_server.client() if redis_server else None
    variants = request_variants(folder, database_url, redis_server)
    for label, variant, path, settings in variants:  # each its own app (and its own import of the lesson)
        app, token = seeded_app(folder, database_url, variant, **settings)
        apps.append(app)
        headers = {"Authorization": f"Bearer {token}"}
        trips[label] = round_trips_per_request(app, path, headers, redis_client)
        requests[label] = functools.partial(app.test_client().get, path, headers=headers)
    times = fastest_microseconds(requests, iterations, repeat)
    for app in apps:
        close(app)
    return [(label, times[label], *trips[label]) for label, *_ in variants]


def close(app):
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


# --- 3. Over HTTP: gunicorn --------------------------------------------------------------------------------

def http_app():
    """gunicorn's entry point (`bench_auth:http_app()`): the seeded app, configured by the environment."""
    return seeded_app(os.environ["BENCH_LESSON_FOLDER"], os.environ["BENCH_DATABASE_URL"])[0]


class Gunicorn:
    """gunicorn serving http_app() with 2 worker processes on 127.0.0.1 and a free port."""

    def __init__(self, folder, database_url):
        self.port = free_port()
        environment = {**os.environ, "BENCH_LESSON_FOLDER": str(folder), "BENCH_DATABASE_URL": database_url}
        command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
                   "--chdir", str(ROOT / "scripts"), "--log-level", "warning", "bench_auth:http_app()"]
        self.process = subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL)

    def wait_until_serving(self, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.get("/health", {})
                return self
            except OSError:
                time.sleep(0.05)  # gunicorn is starting: poll, up to the deadline
        raise RuntimeError("gunicorn did not start")

    def get(self, path, headers):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status
        finally:
            connection.close()

    def stop(self):
        self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown (SIGTERM waits for the workers)
        self.process.wait(timeout=30)


def requests_per_second(server, path, headers, requests, clients=2):
    """Send `requests` GETs from `clients` threads at once; return the rate the server sustained."""
    def client():
        for _ in range(requests // clients):
            server.get(path, headers)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return requests // clients * clients / (time.perf_counter() - started)


def best_rates(server, paths, headers, requests, repeat):
    """{path: requests/s}: `repeat` rounds in which each path in turn gets a burst; its best burst counts."""
    best = dict.fromkeys(paths, 0.0)
    for _ in range(repeat):
        for path in paths:
            best[path] = max(best[path], requests_per_second(server, path, headers, requests))
    return best


def bench_http(folder, scratch, requests, repeat):
    database_url = f"sqlite:///{scratch}/http.db"
    app, token = seeded_app(folder, database_url)  # seeds the database before the workers start
    close(app)
    server = Gunicorn(folder, database_url).wait_until_serving()
    try:
        rates = best_rates(server, ["/bench/open", "/bench/protected"], {"Authorization": f"Bearer {token}"},
                           requests, repeat)
        return [("open route", rates["/bench/open"]),
                ("@jwt_required(), the course's app (user lookup, database blocklist)", rates["/bench/protected"])]
    finally:
        server.stop()


# --- 4. Login ------------------------------------------------------------------------------------------------

def bench_login(iterations, repeat):
    rows = []
    slow_checks = max(1, iterations // 200)  # scrypt takes a tenth of a second or more
    for label, method, count in [("scrypt (werkzeug's default, the apps' setting)", "scrypt", slow_checks),
                                 (f"{TEST_HASH} (the tests' setting)", TEST_HASH, iterations)]:
        stored = generate_password_hash("correct horse battery", method=method)
        micros = fastest_microseconds({"check": lambda: check_password_hash(stored, "wrong guess")}, count, repeat)
        rows.append((label, micros["check"]))
    return rows


# --- The report ----------------------------------------------------------------------------------------------

def postgresql_server():
    """The tests' throwaway PostgreSQL server (tests/servers.py), or None where PostgreSQL is not installed."""
    try:
        return PostgreSQL().start()
    except (pytest.skip.Exception, pytest.fail.Exception) as error:  # how servers.py says it is missing
        print(f"(PostgreSQL figures left out: {error})")
        return None


def redis_server(folder):
    """A redis-server of the tests' kind (tests/servers.py), or None where Redis is not installed."""
    try:
        return start_redis(Path(folder))
    except (pytest.skip.Exception, pytest.fail.Exception) as error:
        print(f"(Redis figures left out: {error})")
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few hundred iterations, to check that it runs")
    parser.add_argument("--repeat", type=int, default=10, help="loops per figure; the fastest is shown")
    args = parser.parse_args()
    # calls per loop: token operations, in-process requests, HTTP requests; and loops per figure
    iterations, in_process, over_http, repeat = (100, 20, 20, 1) if args.quick else (1000, 300, 300, args.repeat)
    lesson_id, folder = newest_database_lesson()
    print(f"# What auth costs: {lesson_id}'s reference app, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores{' (--quick: too few iterations to trust)' if args.quick else ''}\n")

    print("| token alone (PyJWT) | sign, µs | verify, µs | token length |\n|---|---:|---:|---:|")
    for algorithm, sign, verify, length in bench_tokens(iterations, repeat):
        print(f"| {algorithm} | {sign:.0f} | {verify:.0f} | {length} |")

    server = postgresql_server()
    databases = [("SQLite (a file)", None)] + ([("PostgreSQL (127.0.0.1)", server)] if server else [])
    with tempfile.TemporaryDirectory(prefix="bench-auth-") as scratch:
        redis = redis_server(scratch)
        try:
            for name, pg in databases:
                url = pg.url(schema=pg.new_schema()) if pg else f"sqlite:///{scratch}/inprocess.db"
                rows = bench_requests(folder, url, redis, in_process, repeat)
                print(f"\n| one request in-process, {name} | µs | × open | SQL statements | Redis commands |"
                      "\n|---|---:|---:|---:|---:|")
                for label, micros, statements, commands in rows:
                    print(f"| {label} | {micros:.0f} | {micros / rows[0][1]:.2f} | {statements} | {commands} |")
        finally:
            for running in (server, redis):
                if running:
                    running.stop()
        rows = bench_http(folder, scratch, over_http, repeat)
    print("\n| over HTTP: gunicorn, 2 workers, 2 clients, SQLite | requests/s | × open (time) |\n|---|---:|---:|")
    for label, rate in rows:
        print(f"| {label} | {rate:.0f} | {rows[0][1] / rate:.2f} |")

    print("\n| login: checking a password | µs | checks/s per core |\n|---|---:|---:|")
    for label, micros in bench_login(iterations, repeat):
        print(f"| {label} | {micros:,.0f} | {1e6 / micros:,.0f} |")


if __name__ == "__main__":
    main()
