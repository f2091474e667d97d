"""Exercise regions: the lines between `# TODO N: ...` and `# END TODO N`, where a starter and its solution
may differ. Everything outside them must be the same in both. In JavaScript the markers are `// TODO N: ...`
and `// END TODO N`."""
import re
from fnmatch import fnmatch

from course.lessons import LOCAL_FILES

REGION = re.compile(r"^([ \t]*(?:#|//) TODO (\d+):[^\n]*\n).*?^([ \t]*(?:#|//) END TODO \2[ \t]*)$", re.S | re.M)


def outside_regions(text):
    """The text with every exercise region's body removed (its TODO and END lines stay)."""
    return REGION.sub(lambda match: match.group(1) + match.group(3), text)


def todo_numbers(text):
    """The TODO numbers whose regions the text has, in order."""
    return [int(match.group(2)) for match in REGION.finditer(text)]


def lesson_files(folder):
    """The files of a lesson folder that belong to it (not caches, secrets or local databases)."""
    return sorted(
        path.relative_to(folder)
        for path in folder.rglob("*")
        if path.is_file() and not any(fnmatch(part, pattern) for part in path.relative_to(folder).parts
                                      for pattern in LOCAL_FILES)
    )


def todo_at(text, line_number):
    """The number of the TODO region whose body holds line `line_number` (counted from 1), or None."""
    for match in REGION.finditer(text):
        first = text.count("\n", 0, match.end(1)) + 1  # the line after the `TODO N:` line
        last = text.count("\n", 0, match.start(3))  # the line before `END TODO N`
        if first <= line_number <= last:
            return int(match.group(2))
    return None
