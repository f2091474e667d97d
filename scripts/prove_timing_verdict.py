"""How often does lesson 11's timing verdict go wrong, and how near does it come? Run it under load.

The test of attack 4 (tests/test_11_capstone_attacks.py) asks the reference's usernames_from_timing for the names
that have an account on two apps served in the test's own process: the half-fixed vulnerable app (a wrong password
costs two hash checks, an unknown name none: the answer must be alice and bob) and the course's app (one check
either way: the answer must be nobody). Each run here does what that function does (`--tries` rounds of every
name, then the rule of attacks.py: a name is known when its fastest time is above SLOWER times a nobody's median,
plus MARGIN) and keeps the times, to say by how much each verdict was right:

- known names: fastest / line, the nearest to 1 (above 1: found);
- names without an account: line / fastest, the nearest to 1 (above 1: not found).

    python scripts/prove_timing_verdict.py [--runs 50] [--tries 5] [--burners 6]

--burners starts that many busy loops (other processes) for the duration, to measure on a loaded machine; the
load average is printed at the start and the end. The stage is the test's: course/capstone.py, HASH_METHOD.
"""
import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from course import capstone
from course.lessons import ROOT
from course.loader import load_app_module

LESSON = "11_capstone_attacks"
CANDIDATES = ["alice", "zoe", "bob", "trent"]  # as in the test
HAVE_ACCOUNTS = {"alice", "bob"}


def stage():
    """The two timed apps of the test, served, with alice and bob registered (the half fix) or the full stage."""
    vulnerable = load_app_module(ROOT / "solutions" / LESSON)
    half_fixed = capstone.serve(vulnerable.create_app({"PASSWORD_HASH_METHOD": capstone.HASH_METHOD,
                                                       "SAME_LOGIN_ANSWER": True}))
    for name in sorted(HAVE_ACCOUNTS):
        capstone.register(half_fixed, name)
    attacks = importlib.import_module("attacks")  # the reference's, beside its app.py (as the test imports it)
    course = capstone.serve(capstone.build_course_app(LESSON, Path(tempfile.mkdtemp()), TESTING=False))
    capstone.set_the_stage(course)
    return attacks, {"half_fixed": half_fixed, "course": course}


def one_run(attacks, url, tries):
    """The reference's rounds and rule, keeping the times: {name: (found, ratio to the line)}."""
    nobody = attacks.surely_unknown_name()
    times = {name: [] for name in [nobody, *CANDIDATES]}
    for _ in range(tries):
        for name, tries_of_name in times.items():
            tries_of_name.append(attacks.time_login(url, name))
    line = attacks.SLOWER * statistics.median(times[nobody]) + attacks.MARGIN
    return {name: (min(times[name]) > line, min(times[name]) / line) for name in CANDIDATES}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--tries", type=int, default=5, help="as the test: usernames_from_timing's default")
    parser.add_argument("--burners", type=int, default=0)
    options = parser.parse_args()
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(options.burners)]
    try:
        attacks, servers = stage()
        print(f"load at the start: {os.getloadavg()[0]:.1f}; {options.runs} runs per app, tries={options.tries}")
        for app, server in servers.items():
            should_find = HAVE_ACCOUNTS if app == "half_fixed" else set()
            wrong, nearest_known, nearest_unknown = 0, float("inf"), float("inf")
            for _ in range(options.runs):
                verdicts = one_run(attacks, server.url(), options.tries)
                found = {name for name, (is_found, _) in verdicts.items() if is_found}
                wrong += found != should_find
                for name, (_, ratio) in verdicts.items():
                    if name in should_find:
                        nearest_known = min(nearest_known, ratio)
                    else:
                        nearest_unknown = min(nearest_unknown, 1 / ratio)
            print(f"{app}: {wrong} wrong verdicts of {options.runs}; nearest name to be found "
                  f"{nearest_known:.2f}x above the line, nearest not to be found {nearest_unknown:.2f}x below it "
                  f"(load now {os.getloadavg()[0]:.1f})")
        for server in servers.values():
            server.stop()
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


if __name__ == "__main__":
    main()
