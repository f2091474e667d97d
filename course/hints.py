"""Hints, one at a time: each `hint N` shows the next hint of lesson N. Which hints were shown is kept in a
small git-ignored file beside the learner's lesson folders."""
import json

SHOWN_FILE = ".course-hints.json"


def next_hint(lesson, folder, start_over=False):
    """The next hint of `lesson` as (number, total, text); None once all were shown (until `start_over`).
    `folder` holds the learner's lesson folders (usually lessons/)."""
    shown_file = folder / SHOWN_FILE
    shown = _load(shown_file)
    number = 1 if start_over else shown.get(lesson.id, 0) + 1
    if number > len(lesson.hints):
        return None
    shown[lesson.id] = number
    shown_file.write_text(json.dumps(shown, indent=2) + "\n")
    return number, len(lesson.hints), lesson.hints[number - 1]


def _load(shown_file):
    try:
        return json.loads(shown_file.read_text())
    except (FileNotFoundError, ValueError):
        return {}
