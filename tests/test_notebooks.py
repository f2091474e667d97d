"""Every notebook runs top to bottom against the reference solutions."""
import pytest

from course.notebooks import execute_notebook, notebook_paths


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: path.stem)
def test_the_notebook_runs_top_to_bottom(path):
    notebook = execute_notebook(path)
    errors = [output for cell in notebook.cells for output in cell.get("outputs", []) if output.output_type == "error"]
    assert not errors
