"""Attack: file names the grader's own code (outside the sandbox) trips on, so that the whole class's grading
fails, with a traceback and no gradebook, for one student's file.

- not_utf8: a file whose name is not UTF-8 (bytes 0xff): git stores any bytes; folder_fingerprint() encodes the
  name as UTF-8, which raises.
- deep_folders: 1000 folders one inside the other: shutil.copytree() recurses once per level (RecursionError).
- newline_name: a Python file named with a line break and HTML, imported by nothing: flags name it.

Expected: each submission graded (its lesson refused or graded, with a reason), the others unaffected."""
import os
import subprocess
import tempfile
from pathlib import Path

from common import grade, show

from course.sample_submissions import make_submission

if __name__ == "__main__":
    work = Path(tempfile.mkdtemp())
    try:
        not_utf8 = make_submission(work / "not_utf8")
        (Path(os.fsdecode(bytes(not_utf8 / "01_config") + b"/\xff.py"))).write_text("import socket\n")
        deep = make_submission(work / "deep_folders")
        os.chdir(deep / "01_config")  # relative paths: the full one would be longer than PATH_MAX
        for _ in range(1000):
            os.mkdir("d")
            os.chdir("d")
        os.chdir(work)
        newline = make_submission(work / "newline_name")
        (newline / "01_config" / "x\n<b>bold.py").write_text("import socket\n")
        honest = make_submission(work / "honest")
        for attack in (not_utf8, deep, newline):  # one grading each: each alone stops the whole grading
            print(f"{attack.name} graded with an honest classmate:")
            rows, _, result, seconds = grade([attack, honest], work / attack.name, "--lessons", "01")
            show(rows, result, seconds)
    finally:
        subprocess.run(["rm", "-rf", work])  # shutil.rmtree recurses once per level too
