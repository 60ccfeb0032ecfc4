"""Instructor-only: hidden checks (reference outputs on grading-time inputs) and the instructor CLI."""
