"""Run the lesson notebooks top to bottom with nbclient, against the reference solutions by default."""
import os

import nbformat
from nbclient import NotebookClient

from course.lessons import ROOT

NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 60  # seconds; a notebook cell that takes longer has hung


def notebook_paths():
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def execute_notebook(path, target="solutions"):
    """Execute the notebook at `path` and return it with its outputs; a failing cell raises CellExecutionError."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # cells run with notebooks/ as the working folder
    )
    client.execute(env={**os.environ, "COURSE_TARGET": target})  # the kernel reads it in course.notebook
    return notebook


def refresh_outputs(paths=None):
    """Re-execute notebooks against solutions/ and save them with their outputs (what GitHub shows)."""
    for path in paths or notebook_paths():
        notebook = execute_notebook(path)
        nbformat.write(notebook, path)
        print(f"refreshed {path.relative_to(ROOT)}")
