"""The course's texts, read as a reader of a fresh clone reads them.

- every relative link and every file named in `code` leads to something that is in the repository (a clone has
  nothing else: no shared folder, no course guide, no article);
- each lesson's `.env.example` names its own lesson;
- each lesson README has a diagram of its flow that parses as a Mermaid sequence diagram (checked here with a
  small parser of Mermaid's basic sequence syntax, so no browser is needed).
"""
import functools
import re
import subprocess

import nbformat
import pytest

from course.lessons import ROOT, all_lessons

# Files a text may name that a clone does not contain: they are made by running something.
MADE_WHEN_RUN = {".env", "instance/", "grades.csv", "grades.json", "grades.html", "report.xml", "feedback/",
                 ".course-cache/"}
# Names of documents that live outside the repository, which a reader of a clone cannot open.
NOT_IN_A_CLONE = ("shared folder", "course guide", "GUIDE.md", "article.txt", "../shared")

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FILE_NAME = re.compile(r"[\w.-]*(/[\w.-]+)*(\.(py|md|ipynb|toml|txt|json|yml|yaml|example|csv|xml)|/)")
FENCED_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


@functools.cache
def repository_files():
    """Every file a clone has (tracked, or new and not ignored), relative to the root."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout: {listed.stderr.strip()}")
    return set(listed.stdout.splitlines())


def markdown_texts():
    """(name, folder, text) for every Markdown file and every notebook's Markdown cells."""
    texts = []
    for name in sorted(repository_files()):
        path = ROOT / name
        if name.endswith(".md"):
            texts.append((name, path.parent, path.read_text()))
        elif name.endswith(".ipynb") and name.startswith("notebooks/"):
            cells = nbformat.read(path, as_version=4).cells
            texts.append((name, path.parent, "\n\n".join(c.source for c in cells if c.cell_type == "markdown")))
    return texts


MARKDOWN = markdown_texts()


def in_repository(path, files):
    """Whether `path` (absolute) is a file of the clone or a folder holding some."""
    try:
        relative = path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return False  # outside the repository
    return relative in files or relative in ("", ".") or any(name.startswith(relative + "/") for name in files)


def heading_anchors(text):
    """The #anchors GitHub gives a Markdown file's headings."""
    headings = re.findall(r"^#+ (.+)$", FENCED_BLOCK.sub("", text), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("name, folder, text", MARKDOWN, ids=[name for name, _, _ in MARKDOWN])
def test_every_relative_link_resolves_in_a_clone(name, folder, text):
    files = repository_files()
    broken = []
    for target in LINK.findall(FENCED_BLOCK.sub("", text)):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:: not part of the clone
        path_part, _, anchor = target.partition("#")
        path = (folder / path_part) if path_part else ROOT / name
        if not in_repository(path, files):
            broken.append(target)
        elif anchor and path.suffix == ".md" and anchor not in heading_anchors(path.read_text()):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{name} links to what a clone does not have: {broken}"


def folders_to_look_in(name, folder, span):
    """Where a reader looks for a file a text names: beside the text, at the root, in the lesson it is about."""
    lesson_id = folder.name if folder.parent.name == "lessons" else name.removesuffix(".ipynb").split("/")[-1]
    lesson_folders = [ROOT / "lessons" / lesson_id, ROOT / "solutions" / lesson_id]
    if "/" not in span and not any(path.is_dir() for path in lesson_folders):
        lesson_folders = sorted((ROOT / "lessons").iterdir())  # a page about every lesson: a name any lesson has
    return [folder, ROOT, *lesson_folders]


@pytest.mark.parametrize("name, folder, text", MARKDOWN, ids=[name for name, _, _ in MARKDOWN])
def test_every_named_file_is_in_the_repository(name, folder, text):
    files = repository_files()
    missing = []
    for span in CODE_SPAN.findall(FENCED_BLOCK.sub("", text)):
        if not FILE_NAME.fullmatch(span) or "NN" in span or span in MADE_WHEN_RUN:
            continue
        if not any(in_repository(base / span, files) for base in folders_to_look_in(name, folder, span)):
            missing.append(span)
    assert not missing, f"{name} names files that are not in the repository: {missing}"


@pytest.mark.parametrize("name, folder, text", MARKDOWN, ids=[name for name, _, _ in MARKDOWN])
def test_no_text_sends_the_reader_outside_the_repository(name, folder, text):
    mentioned = [words for words in NOT_IN_A_CLONE if words.lower() in text.lower()]
    assert not mentioned, f"{name} refers to what a clone does not have: {mentioned}"


def test_the_link_checks_can_fail(tmp_path):
    files = repository_files()
    assert in_repository(ROOT / "lessons/01_config/README.md", files)
    assert not in_repository(ROOT / "lessons/01_config/GUIDE.md", files)
    assert not in_repository(ROOT / "../shared/article.txt", files)
    assert "the-lessons" in heading_anchors((ROOT / "README.md").read_text())


# --- .env.example ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("folder", ["lessons", "solutions"])
@pytest.mark.parametrize("lesson", all_lessons(), ids=lambda lesson: lesson.id)
def test_env_example_names_its_own_lesson(folder, lesson):
    text = (ROOT / folder / lesson.id / ".env.example").read_text()
    named = re.findall(r"python -m course \w+ (\d\d)", text)
    assert named and set(named) == {lesson.id[:2]}, f"{folder}/{lesson.id}/.env.example names lessons {named}"


# --- Mermaid sequence diagrams -------------------------------------------------------------------------------

MERMAID_BLOCK = re.compile(r"^```mermaid\n(.*?)^```", re.MULTILINE | re.DOTALL)
PARTICIPANT = re.compile(r"(participant|actor) (\w+)( as .+)?")
ARROW = re.compile(r"(\w+) ?(->>|-->>|->|-->|-x|--x|-\)|--\)) ?[+-]?(\w+) ?: ?(.+)")
NOTE = re.compile(r"[Nn]ote (left of|right of|over) (\w+)(, ?(\w+))? ?: ?(.+)")
BLOCK_START = re.compile(r"(alt|opt|loop|par|critical|break|rect)( .+)?")
BLOCK_MIDDLE = {"else": "alt", "and": "par", "option": "critical"}
OTHER = re.compile(r"autonumber|(activate|deactivate) \w+")


def sequence_diagram_problems(diagram):
    """What in `diagram` is not Mermaid's basic sequence syntax (an empty list when all of it is)."""
    lines = [line.strip() for line in diagram.splitlines() if line.strip() and not line.strip().startswith("%%")]
    if not lines or lines[0] != "sequenceDiagram":
        return ["the first line must be `sequenceDiagram`"]
    problems, declared, open_blocks = [], set(), []
    for line in lines[1:]:
        if ";" in line or "#" in line:
            problems.append(f"`;` and `#` have a meaning of their own in Mermaid: {line}")
        elif match := PARTICIPANT.fullmatch(line):
            declared.add(match[2])
        elif match := ARROW.fullmatch(line):
            problems += [f"undeclared participant {name}: {line}" for name in (match[1], match[3])
                         if name not in declared]
        elif match := NOTE.fullmatch(line):
            problems += [f"undeclared participant {name}: {line}" for name in (match[2], match[4])
                         if name and name not in declared]
        elif match := BLOCK_START.fullmatch(line):
            open_blocks.append(match[1])
        elif line.split(" ")[0] in BLOCK_MIDDLE:
            if not open_blocks or open_blocks[-1] != BLOCK_MIDDLE[line.split(" ")[0]]:
                problems.append(f"`{line.split(' ')[0]}` outside its block: {line}")
        elif line == "end":
            if not open_blocks:
                problems.append("`end` without a block to close")
            else:
                open_blocks.pop()
        elif not OTHER.fullmatch(line):
            problems.append(f"not sequence diagram syntax: {line}")
    problems += [f"`{block}` is never closed with `end`" for block in open_blocks]
    return problems


@pytest.mark.parametrize("lesson", all_lessons(), ids=lambda lesson: lesson.id)
def test_each_lesson_readme_has_one_sequence_diagram_that_parses(lesson):
    text = (ROOT / "lessons" / lesson.id / "README.md").read_text()
    diagrams = MERMAID_BLOCK.findall(text)
    assert len(diagrams) == 1, f"lessons/{lesson.id}/README.md has {len(diagrams)} Mermaid diagrams, not one"
    assert sequence_diagram_problems(diagrams[0]) == []
    assert re.search(r"participant \w+ as Client", diagrams[0]), "the diagram shows the client"


@pytest.mark.parametrize("diagram", [
    "graph TD\n  A --> B",
    "sequenceDiagram\n  participant C as Client\n  C->>A: undeclared",
    "sequenceDiagram\n  participant C as Client\n  alt never closed\n  C->>C: x",
    "sequenceDiagram\n  participant C as Client\n  else without alt\n  end",
    "sequenceDiagram\n  participant C as Client\n  C->>C: one; two",
    "sequenceDiagram\n  participant C as Client\n  C => C: not an arrow",
], ids=["not a sequence diagram", "undeclared", "unclosed", "stray else", "semicolon", "bad arrow"])
def test_the_diagram_parser_refuses_broken_diagrams(diagram):
    # Mermaid refuses each of these, except an undeclared name: it draws a new box for it, so a misspelt
    # participant would pass unseen. The course declares every participant, and the parser holds it to that.
    assert sequence_diagram_problems(diagram) != []
