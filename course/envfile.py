"""Create a lesson's `.env` from its `.env.example`, with a freshly generated secret key (or key pair)."""
import secrets
import subprocess
import sys


def ensure_env_file(lesson_folder):
    """Write `.env` beside the lesson's app if there is none. Return its path if written, else None.

    The key is random and stays in the file, so tokens survive a restart of the app (a key generated at
    every start would log everybody out each time). From lesson 10 on, the app signs with a private key in a
    file of its own: the lesson's own tool makes the pair, and `.env` names the private key's file.
    """
    env_file = lesson_folder / ".env"
    example = lesson_folder / ".env.example"
    if env_file.exists() or not example.exists():
        return None
    lines = [_with_secret(line, lesson_folder) for line in example.read_text().splitlines()]
    if all(line.startswith("#") or not line.strip() for line in lines):  # comments only: nothing to set
        return None
    env_file.touch(mode=0o600)  # readable by its owner only: it holds a secret
    env_file.write_text("\n".join(lines) + "\n")
    return env_file


def _with_secret(line, lesson_folder):
    if line.startswith("JWT_SECRET_KEY="):
        return "JWT_SECRET_KEY=" + secrets.token_hex(32)
    if line == "JWT_PRIVATE_KEY_FILE=":
        return _new_key_pair(lesson_folder)
    return line


def _new_key_pair(lesson_folder):
    """Make a key pair with the lesson's own command (flask --app keytool make-keys); the .env line it prints."""
    made = subprocess.run([sys.executable, "-m", "flask", "--app", "keytool", "make-keys"], cwd=lesson_folder,
                          capture_output=True, text=True, check=True, timeout=60)
    return next(line.strip() for line in made.stdout.splitlines() if line.strip().startswith("JWT_PRIVATE_KEY_FILE="))
