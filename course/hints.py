"""Hints, one at a time: each `hint N` shows the next hint of lesson N. Which hints were shown is kept in a
small git-ignored file beside the learner's lesson folders."""
import json

SHOWN_FILE = ".course-hints.json"


def next_hint(lesson, folder):
    """The next hint of `lesson` as (number, total, text); the last one again once all were shown.
    `folder` holds the learner's lesson folders (usually lessons/)."""
    shown_file = folder / SHOWN_FILE
    shown = _load(shown_file)
    number = min(shown.get(lesson.id, 0) + 1, len(lesson.hints))
    shown[lesson.id] = number
    shown_file.write_text(json.dumps(shown, indent=2) + "\n")
    return number, len(lesson.hints), lesson.hints[number - 1]


def _load(shown_file):
    try:
        return json.loads(shown_file.read_text())
    except (FileNotFoundError, ValueError):
        return {}
