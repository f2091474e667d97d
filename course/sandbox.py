"""Run a student's code, and the course's tests of it, in a bubblewrap sandbox.

A submission's code runs inside the pytest process that tests it, so it can do anything that process can: patch
pytest, exit, start processes that outlive the run, read and write files, talk to any port. The sandbox bounds
what "anything" means, with bubblewrap (Debian package `bubblewrap`, the sandbox Flatpak uses):

- a filesystem of its own, read-only but for a scratch folder: the system's programs and libraries, this
  Python and its packages, the course's `course/` and `tests/`, the lesson's own folder (a copy, writable), and
  nothing else: no `solutions/`, no other submission, no gradebook, no home folder;
- no network but a loopback of its own: the lesson's servers (Redis, gunicorn, Chromium) listen there, and no
  address outside the sandbox can be reached;
- its own process tree (a PID namespace): when the run ends, everything it started ends with it;
- an unprivileged user, no new privileges, a new terminal session;
- limits: wall-clock time (the caller's), CPU seconds, memory, file size and open files per process (prlimit),
  and the number of processes and the whole sandbox's memory where a cgroup can be made (as root); output is
  read by the grader and kept up to a bound, the rest counted and cut.

run_sandboxed() is the one entry point; sandbox_problem() says why there can be no sandbox on this machine.
"""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from course.lessons import ROOT

PACKAGE = "bubblewrap"
NOBODY = 65534  # the unprivileged user inside the sandbox
# The system's files a Python program, redis-server and Chromium need from /etc (read-only); nothing else of it:
# no /etc/shadow, no keys.
ETC_FILES = ["passwd", "group", "hosts", "nsswitch.conf", "host.conf", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
             "localtime", "ssl", "ca-certificates", "fonts", "alternatives", "mime.types", "chromium", "chromium.d"]
# The sandbox's scratch folder (its HOME), and where it sees the grader's copy of its lesson folders.
SCRATCH = "/run/grading"
LESSONS_SOURCE = "/run/lessons"


@dataclass
class Limits:
    """What one sandboxed run may use."""

    seconds: float = 60  # wall clock, for the whole run
    cpu_seconds: int = 600  # per process
    memory_bytes: int = 4 << 30  # per process (data), and for the whole sandbox where a cgroup can say so
    processes: int = 512  # in the whole sandbox (a cgroup; RLIMIT_NPROC when not root)
    cpus: float = 1  # the whole sandbox's processes together, where a cgroup can say so: one run cannot take the
    # CPU from the run graded beside it (--jobs 2), however many processes it starts, each in a session of its own
    file_bytes: int = 64 << 20  # the largest file it may write
    output_bytes: int = 1 << 20  # output kept; the rest is counted and cut
    disk_bytes: int = 512 << 20  # each folder it may write (/tmp, /dev/shm, its scratch, its lesson folders): memory


@dataclass
class SandboxResult:
    exit_code: int  # None when the run was stopped for taking too long
    output: str  # what it printed (stdout and stderr), at most Limits.output_bytes
    output_bytes: int  # how much it printed in all
    seconds: float
    limits_enforced: list = field(default_factory=list)  # which limits this machine could enforce

    @property
    def timed_out(self):
        return self.exit_code is None

    @property
    def output_cut(self):
        return self.output_bytes > len(self.output.encode(errors="replace"))


def bwrap_path():
    return shutil.which("bwrap")


def sandbox_problem():
    """Why untrusted code cannot be sandboxed here, in one line, or None when it can."""
    if not bwrap_path():
        return (f"bubblewrap is not installed (Debian/Ubuntu: apt-get install {PACKAGE}); it is Linux only. "
                "Grade on a Linux machine that has it, or pass --no-sandbox to grade work you trust")
    probe = subprocess.run(bwrap_command(["true"], scratch=None), capture_output=True, text=True)
    if probe.returncode != 0:
        return f"bubblewrap cannot make a sandbox here: {probe.stderr.strip()[:300]}"
    return None


def python_folders():
    """The folders this Python needs: its installation, the virtual environment's, and the other folders of
    sys.path where packages are installed (a user's site-packages, say). Not sys.path[0], the folder of the
    running script or the current folder (it may be /tmp, or hold submissions), nor the course's own folders
    (bound one by one, see bwrap_command)."""
    folders = {Path(sys.base_prefix), Path(sys.prefix)}
    for entry in sys.path[1:]:
        path = Path(entry).resolve()
        if (path.is_dir() and not path.is_relative_to(ROOT) and not ROOT.is_relative_to(path)
                and not any(path.is_relative_to(folder) for folder in folders)):
            folders.add(path)
    return sorted(folders)


def bwrap_command(command, scratch, lessons=None, read_only=(), environment=None, disk_bytes=Limits.disk_bytes):
    """The bwrap command line that runs `command` in the sandbox.

    `scratch`: given for a run (a host folder, unused inside): the run gets a /tmp and a SCRATCH (its HOME) of
    its own, each a tmpfs of `disk_bytes`; `lessons`: a host folder of lesson folders, bound read-only at
    LESSONS_SOURCE, with a tmpfs of `disk_bytes` at its own place for copy_lessons_command() to fill (lessons write
    their instance/ folder, and file names in tracebacks are the host's); `read_only`: more host paths, bound at
    the same place. What a run writes is memory of a bounded size, never the grader's disk, and the grader's
    copy of the lesson is as it was after the run."""
    args = [bwrap_path(), "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv",
            "--proc", "/proc", "--dev", "/dev", "--size", str(disk_bytes), "--tmpfs", "/dev/shm",
            "--ro-bind", "/usr", "/usr"]
    # /tmp first: the folders bound below may lie under /tmp on the host (a course cloned there), and a mount on
    # /tmp after them would hide them.
    args += ["--size", str(disk_bytes), "--tmpfs", "/tmp"]
    if scratch is not None:
        args += ["--size", str(disk_bytes), "--tmpfs", SCRATCH, "--dir", f"{SCRATCH}/home"]
    for name in ("bin", "lib", "lib64", "sbin"):  # merged /usr: links; else folders
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--ro-bind-try", "/opt/google", "/opt/google"]  # Google Chrome, where Chromium is not installed
    # A folder bound whole that holds the course (a course in /usr/src/app, a Python installed above it) would
    # show solutions/ and whatever else lies in the course's folder: an empty tmpfs hides the course's folder,
    # then what the sandbox may see of it is bound again.
    around = [folder for folder in python_folders() if ROOT.is_relative_to(folder)]
    for path in around:
        args += ["--ro-bind", str(path), str(path)]
    if around or any(ROOT.is_relative_to(folder) for folder in ("/usr", "/opt/google")):
        args += ["--tmpfs", str(ROOT)]
    for path in [*(folder for folder in python_folders() if folder not in around), ROOT / "course", ROOT / "tests",
                 ROOT / "pyproject.toml", *read_only]:
        args += ["--ro-bind", str(path), str(path)]
    if lessons is not None:
        args += ["--ro-bind", str(lessons), LESSONS_SOURCE, "--size", str(disk_bytes), "--tmpfs", str(lessons)]
    home = f"{SCRATCH}/home" if scratch is not None else "/tmp"
    variables = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": home,
                 "LANG": "C.UTF-8", "TMPDIR": "/tmp", "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
                 **(environment or {})}
    for name, value in variables.items():
        args += ["--setenv", name, str(value)]
    # bwrap's own / and /dev are tmpfs that the sandbox may write, each as large as half the machine's memory:
    # read-only, once everything is mounted (its /dev/shm is a tmpfs of its own, bounded above)
    return [*args, "--remount-ro", "/", "--remount-ro", "/dev", "--chdir", str(ROOT), *command]


def copy_lessons_command(lessons):
    """A shell prefix that copies the lesson folders (bound read-only at LESSONS_SOURCE) into their tmpfs, then
    runs the rest of the command line: inside the sandbox, so the copy counts against its limits."""
    return ["/bin/sh", "-c", 'cp -a "$1"/. "$2"/ && shift 2 && exec "$@"', "sh", LESSONS_SOURCE, str(lessons)]


def prlimit_command(limits):
    """prlimit (util-linux) sets the per-process limits inside the sandbox, then runs the command."""
    options = [f"--cpu={limits.cpu_seconds}", f"--data={limits.memory_bytes}", f"--fsize={limits.file_bytes}",
               "--nofile=4096", "--core=0"]
    if os.geteuid() != 0:  # as root the sandbox's user is root outside it, which RLIMIT_NPROC does not bind
        options.append(f"--nproc={limits.processes}")
    return ["prlimit", *options, "--"]


# --- The whole sandbox's processes and memory: a cgroup, where the machine lets us make one ------------------

CGROUP_ROOT = Path("/sys/fs/cgroup")
CPU_PERIOD = 100_000  # microseconds: a sandbox may use `cpus` times this much CPU time in each period


class Cgroup:
    """A control group for one sandbox: at most `processes` processes and `memory_bytes` of memory in all, and
    `cpus` CPUs' time where the cpu controller is there. Made only where this process may (root, with cgroup v2 or
    v1's pids and memory controllers); otherwise `folders` is empty and the sandbox has the per-process limits
    alone."""

    def __init__(self, limits):
        self.folders, self.made = [], False
        if limits is None or os.geteuid() != 0:
            return
        name = f"course-grading-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        quota = int(limits.cpus * CPU_PERIOD)
        if (CGROUP_ROOT / "cgroup.controllers").exists():  # cgroup v2: one tree
            values = {"pids.max": limits.processes, "memory.max": limits.memory_bytes}
            if "cpu" in (CGROUP_ROOT / "cgroup.subtree_control").read_text().split():
                values["cpu.max"] = f"{quota} {CPU_PERIOD}"
            settings = {CGROUP_ROOT / name: values}
        else:  # cgroup v1: a tree per controller
            settings = {CGROUP_ROOT / "pids" / name: {"pids.max": limits.processes},
                        CGROUP_ROOT / "memory" / name: {"memory.limit_in_bytes": limits.memory_bytes}}
            if (CGROUP_ROOT / "cpu").is_dir():
                settings[CGROUP_ROOT / "cpu" / name] = {"cpu.cfs_period_us": CPU_PERIOD, "cpu.cfs_quota_us": quota}
        try:
            for folder, values in settings.items():
                folder.mkdir()
                self.folders.append(folder)
                for key, value in values.items():
                    (folder / key).write_text(str(value))
            self.made = True
        except OSError:  # not allowed here (a container, a read-only hierarchy): per-process limits only
            self.remove()

    def enter_command(self):
        """A shell prefix that moves the process into the cgroup, then runs the rest of the command line."""
        if not self.folders:
            return []
        moves = "; ".join(f'echo $$ > "{folder}/cgroup.procs"' for folder in self.folders)
        return ["/bin/sh", "-c", f'{moves}; exec "$@"', "sh"]

    def kill_all(self):
        for folder in self.folders:
            for pid in (folder / "cgroup.procs").read_text().split():
                kill(int(pid))

    def remove(self):
        for folder in self.folders:
            for _ in range(100):  # a killed process leaves its cgroup a moment later
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.01)
        self.folders = []


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# --- One run -------------------------------------------------------------------------------------------------

def run_sandboxed(command, scratch, lessons=None, limits=None, read_only=(), environment=None, pass_fds=(),
                  sandboxed=True):
    """Run `command` (a list, as inside the sandbox) and return a SandboxResult. See bwrap_command for the rest.
    `pass_fds`: file descriptors the command inherits (course/lesson_run.py's pipe); closed here once passed.
    `sandboxed=False` runs the command as it is, with the same time and output limits: for work you trust (an
    instructor's own machine without bubblewrap, `course grade --no-sandbox`)."""
    limits = limits or Limits()
    cgroup = Cgroup(limits) if sandboxed else Cgroup(None)
    if sandboxed:
        inside = [*prlimit_command(limits), *(copy_lessons_command(lessons) if lessons is not None else []), *command]
        full = [*cgroup.enter_command(), *bwrap_command(inside, scratch, lessons, read_only, environment,
                                                         limits.disk_bytes)]
        options = {}
    else:
        full = command
        home = Path(scratch) / "home"
        home.mkdir(exist_ok=True)
        options = {"cwd": ROOT, "env": {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(home),
                                        "TMPDIR": str(scratch), **(environment or {})}}
    started = time.monotonic()
    process = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True, pass_fds=pass_fds, **options)
    for fd in pass_fds:  # the sandbox has them now: closed here, a pipe's reader sees its end when the run ends
        os.close(fd)
    reader = OutputReader(process.stdout, limits.output_bytes)
    try:
        exit_code = process.wait(timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        exit_code = None
    finally:
        stop(process, cgroup)
        reader.join()
        process.stdout.close()
    seconds = time.monotonic() - started
    cgroup.remove()
    return SandboxResult(exit_code, reader.text(), reader.total, seconds, enforced_limits(sandboxed, cgroup))


def enforced_limits(sandboxed, cgroup):
    """Which limits held for a run, in words (the report says so)."""
    if not sandboxed:
        return ["time", "output"]
    whole = ["processes", "memory in all"] if cgroup.made or os.geteuid() != 0 else []
    return ["time", "output", "cpu per process", "memory per process", "file size", "disk", *whole]


def stop(process, cgroup):
    """End the sandbox and everything in it: bwrap's PID namespace ends with its first process."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    cgroup.kill_all()
    process.wait()


class OutputReader(threading.Thread):
    """Reads a process's output as it comes, keeping the first half of `keep` bytes and the last half: the
    start says what ran, the end how it ended. The bytes in between are counted, not kept."""

    def __init__(self, stream, keep):
        super().__init__(daemon=True)
        self.stream, self.half = stream, keep // 2
        self.head, self.tail, self.total = bytearray(), bytearray(), 0
        self.start()

    def run(self):
        for chunk in iter(lambda: self.stream.read(65536), b""):
            self.total += len(chunk)
            room = self.half - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            self.tail = (self.tail + chunk)[-self.half:]

    def text(self):
        cut = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {cut} bytes of output cut ...]\n".encode() if cut > 0 else b""
        return (self.head + middle + self.tail).decode(errors="replace")
