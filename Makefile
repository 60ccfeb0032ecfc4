# nndl-course — every entry point sets up what it needs first (a venv in .venv/ from pyproject.toml).
# Assumes: Python 3.11 with pip and venv, bash, make. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# nbgrader runs `alembic` and `jupyter` from PATH: the venv's bin must come first
RUN := PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: help setup demo test build lab student-wheel doctor clean

help:
	@echo "make demo           set up, then build the release and grade a sample class (the main job)"
	@echo "make test           set up, then run every test"
	@echo "make build          regenerate release/ from source/ with nbgrader"
	@echo "make lab            open the course in JupyterLab, with nbgrader's formgrader, assignment list, validate"
	@echo "make student-wheel  build dist/nndl_course_student-*.whl (the course package only)"
	@echo "make doctor         which isolation layers grading has on this machine (bubblewrap, root/user namespaces)"
	@echo "make clean          remove grading state (.grading/) and build artefacts"

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: setup
	$(RUN) $(BIN)/nndl-course demo

test: setup
	$(RUN) $(BIN)/python -m pytest

build: setup
	$(RUN) $(BIN)/nndl-course build

doctor: setup
	$(RUN) $(BIN)/nndl-course doctor

# The server runs here, so nbgrader's extensions read ./nbgrader_config.py (which creates .grading/exchange).
lab: setup
	$(RUN) $(BIN)/python -m jupyter lab --ServerApp.root_dir="$(CURDIR)" $(if $(filter 0,$(shell id -u)),--allow-root)

student-wheel: setup
	$(RUN) $(BIN)/python tools/build_student_wheel.py --out dist

clean:
	rm -rf .grading build dist *.egg-info
