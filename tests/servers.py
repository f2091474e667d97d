"""Real servers that tests start themselves, one class each: a temporary folder, a free 127.0.0.1 port, and a
stop at the end. Where a server's program is missing, the tests that need it skip with a message naming the
Debian package; under CI=true that is a failure instead, because CI installs every package (.ci/run).

The fixtures that use these classes are in conftest.py.
"""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid

import pytest

# Redis and gunicorn: the notebooks start them as well, so their classes live in the course package.
from course.servers import GunicornServer, RedisServer, ServerError, free_port, redis_installed  # noqa: F401

ON_CI = os.environ.get("CI") == "true"  # read once, before any test changes the environment


def missing(program, package):
    """Skip the test (fail it under CI) because `program` is not installed."""
    message = f"{program} is not installed: apt-get install -y {package} (Debian package `{package}`)"
    if ON_CI:
        pytest.fail(f"CI must run every test; {message}", pytrace=False)
    pytest.skip(message)


class PostgreSQL:
    """A throwaway PostgreSQL server (Debian's `postgresql` package: initdb, pg_ctl).

    It lives in a temporary folder, listens only on 127.0.0.1, trusts local connections (nothing in it is
    worth protecting), and runs with fsync off: durability does not matter for a server deleted after the
    tests, speed does. `initdb` refuses to run as root, so as root the server runs as the `postgres` user.

    Each test gets a fresh, empty schema of its own (new_schema): measured here, CREATE DATABASE and DROP
    DATABASE cost about 100 ms per test, CREATE SCHEMA and DROP SCHEMA under 1 ms. The app cannot tell the
    difference: its connections see only that schema.
    """

    def __init__(self):
        self.bin = self.find_programs()
        self.folder = tempfile.mkdtemp(prefix="course-postgresql-")
        self.data = os.path.join(self.folder, "data")
        self.port = free_port()
        self.as_owner = []
        if os.geteuid() == 0:  # initdb and postgres refuse root: run them as the postgres user
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.admin = None

    @staticmethod
    def find_programs():
        """The folder with initdb and pg_ctl: Debian keeps them out of PATH, in /usr/lib/postgresql/N/bin."""
        folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(path.split("/")[-2]))
        on_path = shutil.which("initdb")
        folders += [os.path.dirname(on_path)] if on_path else []
        for folder in reversed(folders):
            if os.path.exists(os.path.join(folder, "pg_ctl")):
                return folder
        missing("PostgreSQL", "postgresql")

    def run(self, program, *arguments):
        command = [*self.as_owner, os.path.join(self.bin, program), *arguments]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.folder)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}{self.log()}")

    def log(self):
        path = os.path.join(self.folder, "server.log")
        return open(path).read()[-2000:] if os.path.exists(path) else ""

    def start(self):
        import psycopg  # here, not at the top: only runs on PostgreSQL pay for importing it

        try:
            self.run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8",
                     "--locale=C")
            settings = (f"-h 127.0.0.1 -p {self.port} -k {self.folder}"  # TCP on loopback; the socket in our folder
                        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.folder, "server.log"), "-o", settings,
                     "-w", "start")
        except RuntimeError:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self.admin = psycopg.connect(self.url(dialect=False), autocommit=True)
        self.admin.execute("SET lock_timeout = '10s'")  # a schema still in use fails its test, never hangs it
        return self

    def stop(self):
        if self.admin is not None:
            self.admin.close()
        self.run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, dialect=True, schema=None):
        """How to connect: an SQLAlchemy URL (dialect=True) or a plain one for psycopg."""
        scheme = "postgresql+psycopg" if dialect else "postgresql"
        url = f"{scheme}://postgres@127.0.0.1:{self.port}/postgres"
        return url + (f"?options=-csearch_path%3D{schema}" if schema else "")

    def new_schema(self):
        """A fresh empty schema; its URL makes every connection use it (and only it)."""
        schema = f"test_{uuid.uuid4().hex[:12]}"
        self.admin.execute(f"CREATE SCHEMA {schema}")
        return schema

    def drop_schema(self, schema):
        self.admin.execute(f"DROP SCHEMA {schema} CASCADE")


MEMORY_FOLDER = "/dev/shm"  # Linux's tmpfs: files kept in RAM


def sqlite_files_folder():
    """A temporary folder for the SQLite files of served apps, removed at the end (use it in a `with`).

    In RAM where the system has a tmpfs: every commit to a file on disk waits for the disk (fsync), measured here
    at 0.1 s to create an app's tables and 30-90 ms per login on a busy machine, under 10 ms in RAM. The tests are
    about what several threads or processes see in one file (its locks work the same on a tmpfs), not about
    surviving a power cut: PostgreSQL above runs with fsync off for the same reason."""
    in_ram = os.path.isdir(MEMORY_FOLDER) and os.access(MEMORY_FOLDER, os.W_OK)
    return tempfile.TemporaryDirectory(prefix="course-sqlite-", dir=MEMORY_FOLDER if in_ram else None)


def started(make_server):
    """The server make_server() starts, or the test fails with the server's own output."""
    try:
        return make_server()
    except ServerError as error:
        pytest.fail(str(error), pytrace=False)


def start_redis(folder):
    """A redis-server of our own (course/servers.py), or a skip (a failure under CI) where it is not installed."""
    if not redis_installed():
        missing("redis-server", "redis-server")
    return started(lambda: RedisServer(folder))
