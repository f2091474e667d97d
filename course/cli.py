"""The course's command line: python -m course COMMAND (or just `course COMMAND`)."""
import argparse
import subprocess
import sys

from course.envfile import ensure_env_file
from course.lessons import find_lesson, target_folder


def serve(args):
    """Run a lesson's app on 127.0.0.1, as `flask --app app run` inside its folder."""
    folder = target_folder("solutions" if args.solution else "lessons") / find_lesson(args.lesson).id
    written = ensure_env_file(folder)
    if written:
        print(f"Created {written} with a freshly generated JWT_SECRET_KEY (git ignores it; keep it secret).")
    command = [sys.executable, "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1", "--port", str(args.port)]
    try:
        return subprocess.run(command, cwd=folder).returncode
    except KeyboardInterrupt:
        return 0


def notebooks(args):
    """Re-execute the notebooks against solutions/ and save their outputs."""
    from course.notebooks import refresh_outputs  # imported here: jupyter is slow to import

    refresh_outputs()
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m course", description="JWT authentication in Flask, lesson by lesson.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve_command = commands.add_parser("serve", help="run a lesson's app on 127.0.0.1")
    serve_command.add_argument("lesson", help="lesson number or id, e.g. 1 or 01_config")
    serve_command.add_argument("--solution", action="store_true", help="run the reference instead of lessons/")
    serve_command.add_argument("--port", type=int, default=5000)
    serve_command.set_defaults(run=serve)

    notebooks_command = commands.add_parser("notebooks", help="re-run every notebook and save its outputs")
    notebooks_command.set_defaults(run=notebooks)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
