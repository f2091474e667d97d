"""Every notebook runs top to bottom against the reference solutions, and first checks its kernel."""
import subprocess
import sys
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import nbformat
import pytest

from course.notebooks import execute_notebook, notebook_paths


@pytest.fixture(scope="module")
def executed():
    """Every notebook executed, two at a time: much of a notebook's time is its kernel starting and its demos
    waiting (a token left to expire, a key cache to go stale), which two notebooks can spend side by side.
    {path: a future of the executed notebook}; each test reads its own (a failing cell raises there). Each runs
    in a process of its own making (spawn): a kernel client's event loop and sockets stay out of this test process,
    whose later tests turn any unclosed one, found by the garbage collector, into an error."""
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield {path: pool.submit(execute_notebook, path) for path in notebook_paths()}


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: path.stem)
def test_the_notebook_runs_top_to_bottom(path, executed):
    notebook = executed[path].result()
    errors = [output for cell in notebook.cells for output in cell.get("outputs", []) if output.output_type == "error"]
    assert not errors


# --- The first cell: is the kernel the course's environment? --------------------------------------------

def first_cell(path):
    return nbformat.read(path, as_version=4).cells[0]


def test_every_notebook_starts_with_the_same_environment_check():
    cells = [first_cell(path) for path in notebook_paths()]
    assert all(cell.cell_type == "code" for cell in cells)
    assert len({cell.source for cell in cells}) == 1, "the first cells differ: keep them identical"


def run_first_cell(python_options, tmp_path):
    code = first_cell(notebook_paths()[0]).source
    return subprocess.run([sys.executable, *python_options, "-c", code], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def test_the_first_cell_says_in_one_line_what_to_do_in_a_kernel_without_the_packages(tmp_path):
    # -S: no site-packages, so none of the course's packages can be imported, as in a bare system Python
    result = run_first_cell(["-I", "-S"], tmp_path)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert "\n" not in message, message
    assert "course, requests, flask_jwt_extended" in message
    assert "Python (jwt-course)" in message and "-m pip install -r requirements.txt" in message


def test_the_first_cell_is_silent_in_the_course_environment(tmp_path):
    result = run_first_cell(["-I"], tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
