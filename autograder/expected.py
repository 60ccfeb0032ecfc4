"""Generate the fixed expected values of the visible checks (course/expected/<module>.json) from `solutions`.

The visible checks ship these numbers to students (like the numbers printed in CS231n's notebooks); the inputs
come from course.checks.<module>, the outputs from the reference. `python -m autograder.expected` rewrites
the files; `--check` (and tests/checks/test_expected.py) proves the committed files equal a fresh generation
NUMERICALLY (`differences`: floats within RTOL), never as text: exp, log and BLAS differ in the last bit
between CPUs, so the committed text cannot be reproduced byte for byte on every machine.
"""

import json
import math
import sys
from pathlib import Path
from typing import Any, Callable


EXPECTED_DIR = Path(__file__).resolve().parents[1] / "course" / "expected"


def from_specs(module: str) -> Callable[[], dict[str, Any]]:
    """The builder of a module whose checks are exercise specs (course.checks.spec): the reference on the visible
    draw of every case type."""

    def build() -> dict[str, Any]:
        from autograder.hidden import reference
        from course.checks import spec

        return spec.expected_values(module, reference)

    build.__name__ = f"expected_{module}"
    return build


def _hand_written(module: str) -> Callable[[], dict[str, Any]]:
    """The builder of a module's hand-written visible checks: autograder.checks.<module>.expected_values."""

    def build() -> dict[str, Any]:
        import importlib

        return importlib.import_module(f"autograder.checks.{module}").expected_values()

    build.__name__ = f"hand_written_{module}"
    return build


# modules whose checks are (some of them) hand-written: the values of those checks come from here, beside the
# specs' (the exam graph's digests and the exam network in backprop, the split and the Gaussians in concepts;
# layers is not converted to specs yet)
HAND_WRITTEN = {m: _hand_written(m) for m in ("concepts", "backprop", "layers")}


def _builder(module: str) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        from course.checks import spec

        values = from_specs(module)() if spec.exercises(module) else {}
        return {**values, **(HAND_WRITTEN[module]() if module in HAND_WRITTEN else {})}

    build.__name__ = f"expected_{module}"
    return build


BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {m: _builder(m) for m in ("concepts", "knn", "linear", "backprop",
                                                                              "layers")}


def render(module: str) -> str:
    """The JSON text of course/expected/<module>.json, as generated now."""
    return json.dumps(BUILDERS[module](), indent=1, sort_keys=True) + "\n"


RTOL = 1e-12  # a few ulps of CPU-dependent rounding pass; any real change of the reference (>= 1e-10) fails
ATOL = 1e-14  # for values that cancel to ~0 (a gradient entry of 1e-17 on one CPU, 0 on another)


def differences(committed: Any, fresh: Any, path: str = "$") -> list[str]:
    """Where two expected-value trees differ: structure, ints, strings and bools exactly, floats within RTOL/ATOL."""
    if isinstance(committed, dict) and isinstance(fresh, dict):
        if committed.keys() != fresh.keys():
            return [f"{path}: keys {sorted(committed)} != {sorted(fresh)}"]
        return [d for key in committed for d in differences(committed[key], fresh[key], f"{path}.{key}")]
    if isinstance(committed, list) and isinstance(fresh, list):
        if len(committed) != len(fresh):
            return [f"{path}: length {len(committed)} != {len(fresh)}"]
        return [d for i, (a, b) in enumerate(zip(committed, fresh)) for d in differences(a, b, f"{path}[{i}]")]
    numbers = (int, float)
    if (isinstance(committed, float) or isinstance(fresh, float)) and not isinstance(committed, bool) \
            and not isinstance(fresh, bool) and isinstance(committed, numbers) and isinstance(fresh, numbers):
        if math.isclose(committed, fresh, rel_tol=RTOL, abs_tol=ATOL) or (math.isnan(committed) and math.isnan(fresh)):
            return []
        return [f"{path}: {committed!r} != {fresh!r}"]
    if type(committed) is not type(fresh) or committed != fresh:
        return [f"{path}: {committed!r} != {fresh!r}"]
    return []


def stale_entries(module: str) -> list[str]:
    """How course/expected/<module>.json differs from a fresh generation (empty: fresh)."""
    path = EXPECTED_DIR / f"{module}.json"
    if not path.exists():
        return [f"{path} is missing"]
    try:
        committed = json.loads(path.read_text())
    except ValueError as exc:
        return [f"{path} is not valid JSON ({exc})"]
    return differences(committed, json.loads(render(module)))


USAGE = "usage: python -m autograder.expected [--check] [MODULE ...]   (modules: {})"


def main(argv: list[str] | None = None) -> int:
    """Write the expected-values files of MODULEs (default: all), or only check them, numerically, with --check."""
    argv = sys.argv[1:] if argv is None else argv
    flags = [a for a in argv if a.startswith("-")]
    modules = [a for a in argv if not a.startswith("-")] or list(BUILDERS)
    if set(flags) - {"--check"} or set(modules) - set(BUILDERS):
        print(USAGE.format(", ".join(BUILDERS)), file=sys.stderr)
        return 0 if set(flags) & {"-h", "--help"} else 2
    stale = []
    for module in modules:
        path = EXPECTED_DIR / f"{module}.json"
        if "--check" in flags:
            diffs = stale_entries(module)
            if diffs:
                stale.append(f"{path} ({len(diffs)} difference(s), first: {diffs[0]})")
        else:
            path.write_text(render(module))
            print(f"wrote {path}")
    if stale:
        print("stale expected values (run `python -m autograder.expected`):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

