"""The pytest plugin the grader adds to every sandboxed test run (course/lesson_run.py), so that a submission
cannot fake its own verdict from inside the process it runs in.

Before any of the submission's code runs (lesson code is imported by the tests' fixtures, after collection),
this plugin:

1. adds canary tests: some that must fail and one that must pass, named like the lesson's own tests and placed
   among them at random. Those that must fail run a real test's own body, the lesson's code included, then fail.
   A submission that patches pytest's reports or its hooks to turn failures into passes (all of them, or those
   of the tests its code ran in) turns the canaries too, and the grader sees it;
2. gives every test, canary or not, an opaque id of its own for this run: the report log names only these, so
   a submission cannot tell from a name which report belongs to which test;
3. writes the plan (each id: the test's real name, its TODOs, or which canary it is) to a pipe that only the
   grader reads, then closes it: the plan has left the process before the submission's code is imported.

The grader then accepts a run only if every planned test was reported (a run that ends early, with any exit
code, scores its missing tests as failed) and every canary came out as planned.

What this cannot stop: code written against this plugin's internals that finds the canaries among pytest's
objects in memory and forges only the other reports. The README says so; the sandbox still keeps such code
from changing anything outside its own run.
"""
import functools
import json
import os
import random
import secrets

import pytest

MUST_FAIL, MUST_PASS = "fail", "pass"
CANARIES = [MUST_FAIL, MUST_FAIL, MUST_PASS]
OPAQUE_ID = pytest.StashKey[str]()  # a test's id in this run's reports


def pytest_addoption(parser):
    group = parser.getgroup("grading", "used by the grader (course/lesson_run.py), not by hand")
    group.addoption("--grading-plan-fd", type=int, help="file descriptor to write this run's plan to")
    group.addoption("--only-todo", type=int, help="run only the tests of this TODO and the unmarked ones")


def must_fail_like(model):
    """A canary that must fail: the real test `model` itself, with its fixtures and parameters, then an ordinary
    failed comparison. The lesson's code runs in it as in that test: code that forges the reports of the tests
    during which it ran (no need to read this plugin to think of that) forges this one too."""
    @functools.wraps(model.obj)
    def canary(*args, **kwargs):
        model.obj(*args, **kwargs)
        status = 200 + secrets.randbelow(100)
        assert status == 401

    return canary


def must_pass():
    """A canary: an ordinary passing comparison."""
    status = 401
    assert status == 401


def todos_of(item):
    marker = item.get_closest_marker("todo")
    return list(marker.args) if marker else []


@pytest.hookimpl(trylast=True)  # after the course's own plugin and conftest.py have ordered the tests
def pytest_collection_modifyitems(session, config, items):
    fd = config.getoption("--grading-plan-fd")
    if fd is None:
        return
    only = config.getoption("--only-todo")
    if only is not None:
        kept = [item for item in items if not todos_of(item) or only in todos_of(item)]
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
    plan = {}
    real = list(items)
    for kind in CANARIES:
        model = random.choice(real)  # a real test whose module, name, parameters (and, for MUST_FAIL, body) it borrows
        canary = pytest.Function.from_parent(model.parent, name=model.name, originalname=model.originalname,
                                             callspec=getattr(model, "callspec", None),
                                             fixtureinfo=model._fixtureinfo if kind == MUST_FAIL else None,
                                             callobj=must_fail_like(model) if kind == MUST_FAIL else must_pass)
        items.insert(random.randrange(len(items) + 1), canary)
        plan[id(canary)] = {"canary": kind}
    for item in real:
        plan[id(item)] = {"name": item.nodeid, "todos": todos_of(item)}
    sent = {}
    for item in items:
        opaque = f"{item.nodeid.split('::', 1)[0]}::t{secrets.token_hex(8)}"
        sent[opaque] = plan[id(item)]
        item.stash[OPAQUE_ID] = opaque
    with os.fdopen(fd, "w") as pipe:
        json.dump(sent, pipe)


@pytest.hookimpl(wrapper=True, tryfirst=True)  # the outermost wrapper: the last to touch each report
def pytest_runtest_makereport(item, call):
    report = yield
    if OPAQUE_ID in item.stash:
        report.nodeid = item.stash[OPAQUE_ID]  # what the report log will name
    return report
