"""Write lesson 11's word list (words.txt, in lessons/ and solutions/): the guesses its secret cracker tries.

    python scripts/make_word_list.py

Nothing is downloaded. The list is the secrets that tutorials and samples show, then the commonest plain words of
Python's own documentation (the docstrings of its standard library), 4 to 10 letters long: about 3,000 lines, the
size of a small attacker's list. Real lists of leaked passwords hold millions; what matters in the lesson is that
a key a person chose, or copied from a sample, is on some list.
"""
import ast
import collections
import re
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON = "11_capstone_attacks"
SIZE = 3000
# Keys people copy from samples and tutorials, or type when a tool asks for "a secret".
SAMPLE_SECRETS = [
    "secret", "secretkey", "secret-key", "secret_key", "mysecret", "mysecretkey", "my-secret-key", "supersecret",
    "super-secret", "super-secret-key", "topsecret", "jwt-secret", "jwt_secret", "jwtsecret", "jwt-secret-key",
    "your-256-bit-secret", "your-secret-key", "change-me", "changeme", "changethis", "password", "passw0rd",
    "123456", "12345678", "qwerty", "letmein", "admin", "administrator", "flask", "flask-secret", "development",
    "dev", "devkey", "dev-key", "test", "testing", "testkey", "default", "example", "s3cr3t",
]
# A word after a space, a line break or an opening mark, and before a space or punctuation: not the tail of an
# escape such as "\return" (a carriage return, then "eturn"), nor a piece of an identifier.
WORD = re.compile(r"(?:^|(?<=[ \n(\"'`]))[a-z]{4,10}(?=[ \n.,;:)\"'`]|$)", re.MULTILINE)


def documentation_words():
    """Every lowercase word of the standard library's docstrings, the most frequent first."""
    counts = collections.Counter()
    for path in Path(sysconfig.get_paths()["stdlib"]).glob("*.py"):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                counts.update(WORD.findall(ast.get_docstring(node) or ""))
    words = [word for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return [word for word in words if not re.search(r"(.)\1\1", word)]  # not "mmmmmm" (a date format)


def word_list():
    words = list(dict.fromkeys(SAMPLE_SECRETS))
    words += [word for word in documentation_words() if word not in words][: SIZE - len(words)]
    return words


def main():
    text = "\n".join(word_list()) + "\n"
    for folder in ("lessons", "solutions"):
        path = ROOT / folder / LESSON / "words.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}: {text.count(chr(10))} words")


if __name__ == "__main__":
    main()
