"""The kNN benchmark runs end to end (a smoke test: no assertion on any time)."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_knn_bench_quick_runs_and_reports_the_ratio(tmp_path):
    """`bench/knn.py --quick` exits 0, prints the ours/sklearn ratio line and writes its JSON."""
    out = tmp_path / "knn.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "knn.py"), "--quick", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^ratio ours/sklearn \(median no-loop distances\): \d+\.\d+x", proc.stdout, re.M), proc.stdout
    result = json.loads(out.read_text())
    assert result["quick"] is True and result["ratio_ours_over_sklearn"] > 0
    assert "sklearn: euclidean_distances" in result["rows"]
