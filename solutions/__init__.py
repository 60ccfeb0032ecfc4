"""Reference implementations of every exercise (instructor-only; never shipped to students)."""
