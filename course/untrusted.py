"""Reading a submission's folders from the grader's own process, which has no sandbox around it: nothing a
student's folder holds may make that process follow a link out of the folder, recurse without end, hang or read
without bound.

walk() lists a folder for the grader: a link is listed as a link and never followed, folders are read one at a
time (no recursion: git keeps folders nested a thousand deep, and Python's own tree walks recurse once per level),
every name must be text (git keeps any bytes; a name that is not UTF-8 cannot be written to the gradebook), and
it stops at a number of entries. The callers refuse what walk() refuses, and say why.
"""
import os
import stat
from fnmatch import fnmatch
from pathlib import Path


class Refused(ValueError):
    """Why a folder is not read: its words complete "the folder X ..."."""


def walk(folder, ignore=(), most=1000, deepest=10):
    """[(path relative to `folder`, the entry's own os.stat_result)] for everything under `folder`, in no set
    order. Names matching a pattern of `ignore` are left out with what they hold. Raises Refused for more than
    `most` entries, a path more than `deepest` folders down, or a name that is not UTF-8."""
    found, pending = [], [Path()]
    while pending:
        relative = pending.pop()
        with os.scandir(folder / relative) as entries:
            for entry in entries:
                try:
                    entry.name.encode()
                except UnicodeEncodeError:
                    raise Refused(f"holds a name that is not UTF-8 text: {os.fsencode(entry.name)!r}") from None
                if any(fnmatch(entry.name, pattern) for pattern in ignore):
                    continue
                path, status = relative / entry.name, entry.stat(follow_symlinks=False)
                if len(path.parts) > deepest:
                    raise Refused(f"holds folders more than {deepest} deep")
                found.append((path, status))
                if len(found) > most:
                    raise Refused(f"holds more than {most} files and folders")
                if stat.S_ISDIR(status.st_mode):
                    pending.append(path)
    return found
