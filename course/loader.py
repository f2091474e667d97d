"""Load one lesson's Flask app on its own.

Every lesson folder has modules with the same names (app, config, models, ...). Python caches imported
modules by name, so before importing a lesson we forget the modules the previous lesson brought in;
otherwise lesson 03 would silently run with lesson 02's `models`.
"""
import importlib
import os
import sys
from pathlib import Path

_loaded_folder = None  # the lesson folder currently on sys.path, if any


def load_app_module(folder):
    """Import `app.py` from the lesson `folder` and return the module (its create_app builds the app)."""
    global _loaded_folder
    folder = Path(folder).resolve()
    if folder == _loaded_folder and "app" in sys.modules:
        return sys.modules["app"]
    forget_loaded_lesson()
    forget_modules_named_like(folder)
    sys.path.insert(0, str(folder))
    _loaded_folder = folder
    importlib.invalidate_caches()  # the folder may be new (a copied submission) or freshly edited
    return importlib.import_module("app")


def forget_loaded_lesson():
    """Take the loaded lesson off sys.path and drop every module imported from it."""
    global _loaded_folder
    if _loaded_folder is None:
        return
    if str(_loaded_folder) in sys.path:
        sys.path.remove(str(_loaded_folder))
    # The folder on sys.path is resolved (load_app_module), so the files of modules imported from it start with it:
    # comparing text is enough (resolving the path of each of ~700 loaded modules took 20-40 ms per lesson switch).
    inside = str(_loaded_folder) + os.sep
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(inside):
            del sys.modules[name]
    _loaded_folder = None


def forget_modules_named_like(folder):
    """Drop cached modules that share a name with a module in `folder` (so the folder's own one is used)."""
    for path in folder.iterdir():
        if path.suffix == ".py" or (path / "__init__.py").exists():
            sys.modules.pop(path.stem, None)


def _is_inside(file, folder):
    return file is not None and Path(file).resolve().is_relative_to(folder)


IMPORT_FAILED = "app.py cannot be imported:"  # how a failed import starts its message (the runner looks for it)


def import_problem(error, folder):
    """Why a lesson's app.py cannot be imported, in one line a learner can act on."""
    folder = Path(folder)
    if isinstance(error, ModuleNotFoundError) and error.name:
        top = error.name.split(".")[0]
        if top == "app":
            return f"{IMPORT_FAILED} there is no app.py in {folder.name}"
        if not (folder / f"{top}.py").exists() and not (folder / top).is_dir():
            return (f"{IMPORT_FAILED} No module named {top!r} (not a file of the lesson, and not a package in "
                    "requirements.txt: the course installs only those)")
    if isinstance(error, SyntaxError) and error.filename:  # nothing of the lesson runs: say where, and show the line
        file = Path(error.filename)
        where = file.name
        if _is_inside(file, folder):  # 02_login/app.py, as the learner knows it
            where = f"{folder.name}/{file.resolve().relative_to(folder.resolve())}"
        line = f"\n    {error.text.strip()}" if error.text and error.text.strip() else ""
        return f"{IMPORT_FAILED} {where}:{error.lineno} does not parse ({type(error).__name__}: {error.msg}){line}"
    where = ""
    traceback = error.__traceback__
    while traceback:  # the last line of the lesson's own code that the error went through
        if _is_inside(traceback.tb_frame.f_code.co_filename, folder):
            where = f" in {Path(traceback.tb_frame.f_code.co_filename).name}, line {traceback.tb_lineno}"
        traceback = traceback.tb_next
    if not isinstance(error, Exception):  # SystemExit, KeyboardInterrupt: stopping the program
        return f"{IMPORT_FAILED} {type(error).__name__}({error}){where}: the lesson's code must not stop the program"
    return f"{IMPORT_FAILED} {type(error).__name__}{where}: {error}"
