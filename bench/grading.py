"""Grading throughput: stock serial `nbgrader autograde` vs our sandboxed worker pool, in the same run.

    .venv/bin/python bench/grading.py [--students 40] [--workers N] [--repeat 1] [--unsafe]
    .venv/bin/python bench/grading.py --isolation [--students 8] [--repeat 3]   (as root)

Generates `--students` a1_knn submissions (the demo class cycled: perfect, partial, raising, hanging, noisy),
grades them once with one stock `nbgrader autograde a1_knn` batch (serial, in-kernel, as the grader's user)
and once with `autograder.grade.autograde` (sandboxed kernels, outside verdicts, `--workers` processes, one
gradebook writer), each in its own fresh course copy, and prints both wall-clock times (median over
`--repeat`), seconds per notebook, the ratio, and whether both gave every student the same total. Both use the
same per-call check budget (3 s, like the demo). Results are appended to bench/results/grading.txt.

`--isolation` instead compares, in the same process and alternating run by run, the sandboxed pool with each
kernel in its private filesystem view (bubblewrap: mount/PID/net namespaces + own uid, what `grade` does) and
the isolation before it (own uid + rlimits + network namespace only, `kernel.Kernel.use_view = False`):
medians, seconds per notebook and the ratio.
"""
import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.build import build  # noqa: E402
from autograder.demo import ASSIGNMENT, CLASS, NOTEBOOK, write_class  # noqa: E402
from autograder.gradebook import scores  # noqa: E402
from autograder.nbg import copy_course, nbgrader  # noqa: E402

CHECK_TIMEOUT = 3


def make_course(base: Path, n: int) -> tuple[Path, list[str]]:
    """A world-readable course copy with release built and `n` submissions in .grading/submitted/."""
    root = copy_course(base / "course")
    for d in [base, root, *root.rglob("*")]:
        if d.is_dir():
            os.chmod(d, 0o755)
    build([ASSIGNMENT], root=root)
    demo = write_class(base / "demo", root)
    names = list(CLASS)
    students = [f"s{i:03d}" for i in range(n)]
    for i, student in enumerate(students):
        dest = root / ".grading" / "submitted" / student / ASSIGNMENT
        dest.mkdir(parents=True)
        shutil.copyfile(demo / names[i % len(names)] / ASSIGNMENT / NOTEBOOK, dest / NOTEBOOK)
    return root, students


def totals(root: Path) -> dict[str, float]:
    return {s: sum(c.values()) for s, c in scores(root, ASSIGNMENT).items()}


def run_stock(n: int) -> tuple[float, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="bench-stock-") as tmp:
        root, _ = make_course(Path(tmp), n)
        t = time.perf_counter()
        nbgrader("autograde", ASSIGNMENT, "--force", root=root, timeout=None,
                 env={"NNDL_CHECK_TIMEOUT": str(CHECK_TIMEOUT)})
        return time.perf_counter() - t, totals(root)


def run_pool(n: int, workers: int, unsafe: bool) -> tuple[float, dict[str, float]]:
    from autograder.grade import autograde

    with tempfile.TemporaryDirectory(prefix="bench-pool-") as tmp:
        root, students = make_course(Path(tmp), n)
        t = time.perf_counter()
        results = autograde(root, ASSIGNMENT, students, check_timeout=CHECK_TIMEOUT, workers=workers, unsafe=unsafe)
        elapsed = time.perf_counter() - t
        bad = [r for r in results if not r.ok]
        if bad:
            raise SystemExit(f"pool failed for {[(r.student, r.message) for r in bad]}")
        return elapsed, totals(root)


def report(lines: list[str]) -> int:
    """Print the result and append it, dated, to bench/results/grading.txt."""
    print("\n".join(lines))
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    with (out / "grading.txt").open("a") as fh:
        fh.write(time.strftime("%Y-%m-%d %H:%M ") + "\n".join(lines) + "\n")
    return 0


def compare_isolation(args: argparse.Namespace) -> int:
    """Pool with the filesystem view vs the uid-only isolation before it, alternating, same process."""
    from autograder import kernel

    times: dict[str, list[float]] = {"uid only (before)": [], "view + uid (bubblewrap)": []}
    same = True
    for _ in range(args.repeat):
        got = {}
        for label, view in (("uid only (before)", False), ("view + uid (bubblewrap)", True)):
            kernel.Kernel.use_view = view  # inherited by the pool's forked workers
            t, tot = run_pool(args.students, args.workers, False)
            times[label].append(t)
            got[label] = tot
            print(f"  {label:<26} {t:7.1f} s", flush=True)
        same = same and len(set(map(lambda d: tuple(sorted(d.items())), got.values()))) == 1
    kernel.Kernel.use_view = True
    old, new = (statistics.median(v) for v in times.values())
    lines = [f"isolation cost: grading {args.students} a1_knn notebooks, {args.workers} workers, {os.cpu_count()} "
             f"cores, median of {args.repeat} (alternating, same process):"]
    lines += [f"  {label:<26} {statistics.median(v):7.1f} s  ({statistics.median(v) / args.students:.2f} s/notebook)"
              for label, v in times.items()]
    lines.append(f"  ratio view/before {new / old:.3f}   same totals for every student: {same}")
    return report(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--unsafe", action="store_true", help="pool without isolation (when not root)")
    parser.add_argument("--isolation", action="store_true",
                        help="compare the filesystem view with the uid-only isolation before it (no stock run)")
    args = parser.parse_args()
    from autograder.kernel_env import build_kernel_env

    build_kernel_env()  # once, outside the timing (a grading run reuses it)
    if args.isolation:
        return compare_isolation(args)
    stock, pool, same = [], [], True
    for _ in range(args.repeat):
        s, s_totals = run_stock(args.students)
        p, p_totals = run_pool(args.students, args.workers, args.unsafe)
        stock.append(s)
        pool.append(p)
        same = same and s_totals == p_totals
        differ = {k: (s_totals.get(k), p_totals.get(k)) for k in sorted(set(s_totals) | set(p_totals))
                  if s_totals.get(k) != p_totals.get(k)}
        print(f"  stock {s:7.1f} s   pool {p:7.1f} s" + (f"   totals differ (stock, pool): {differ}" if differ else ""),
              flush=True)
    ms, mp = statistics.median(stock), statistics.median(pool)
    lines = [
        f"grading {args.students} a1_knn notebooks on {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"median of {args.repeat}:",
        f"  stock nbgrader autograde (serial)        {ms:7.1f} s  ({ms / args.students:.2f} s/notebook)",
        f"  nndl-course pool ({args.workers} workers, sandboxed) {mp:7.1f} s  ({mp / args.students:.2f} s/notebook)",
        f"  ratio stock/pool {ms / mp:.2f}x   same totals for every student: {same}",
    ]
    return report(lines)


if __name__ == "__main__":
    raise SystemExit(main())
