"""nndl-course student toolkit."""
