"""The instructor's hidden tests (README, "Hidden tests"): a package, so that its modules may have the public
ones' names (tests/hidden/test_01_config.py is lesson 01's)."""
