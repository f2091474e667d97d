"""Create a lesson's `.env` from its `.env.example`, with a freshly generated secret key."""
import secrets


def ensure_env_file(lesson_folder):
    """Write `.env` beside the lesson's app if there is none. Return its path if written, else None.

    The key is random and stays in the file, so tokens survive a restart of the app (a key generated at
    every start would log everybody out each time).
    """
    env_file = lesson_folder / ".env"
    example = lesson_folder / ".env.example"
    if env_file.exists() or not example.exists():
        return None
    lines = [_with_secret(line) for line in example.read_text().splitlines()]
    env_file.touch(mode=0o600)  # readable by its owner only: it holds a secret
    env_file.write_text("\n".join(lines) + "\n")
    return env_file


def _with_secret(line):
    if line.startswith("JWT_SECRET_KEY="):
        return "JWT_SECRET_KEY=" + secrets.token_hex(32)
    return line
