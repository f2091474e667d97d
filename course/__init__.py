"""Shared tooling for the course: find lessons, load their apps, drive them from notebooks."""
