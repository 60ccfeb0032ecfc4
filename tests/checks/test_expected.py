"""Tests of autograder.expected: the visible checks' fixed numbers equal a fresh run of solutions/ and an oracle."""

import json

import numpy as np
import pytest
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.neighbors import KNeighborsClassifier

from autograder import expected
from course.checks import spec
from course.checks.core import load_expected
from tests.strategies import expansion_atol


def test_committed_expected_values_are_fresh(capsys):
    """`python -m autograder.expected --check` exits 0 and reports nothing on the committed files."""
    assert expected.main(["--check"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("module", sorted(expected.BUILDERS))
def test_render_equals_the_shipped_file_numerically(module):
    """A fresh render of every module equals what course.checks loads, floats within expected.RTOL."""
    assert expected.differences(load_expected(module), json.loads(expected.render(module))) == []


def _perturbed(value, ulps, change_first=None):
    """`value` with every float moved by `ulps` units in the last place (sign alternating), as another CPU's exp
    might give; with `change_first`, the first float of magnitude >= 1e-3 is instead scaled by (1 + change_first)."""
    state = {"n": 0, "changed": False}

    def walk(v):
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, float) and np.isfinite(v):
            state["n"] += 1
            if change_first is not None and not state["changed"] and abs(v) >= 1e-3:
                state["changed"] = True
                return v * (1 + change_first)
            if change_first is not None:
                return v
            direction = np.inf if state["n"] % 2 else -np.inf
            for _ in range(ulps):
                v = float(np.nextafter(v, direction))
            return v
        return v

    return walk(value), state["n"]


@pytest.mark.parametrize("module", sorted(expected.BUILDERS))
def test_freshness_check_tolerates_last_bit_differences_between_cpus(monkeypatch, tmp_path, module):
    """Committed values that differ from a fresh generation by 4 ulps in every float (exp/BLAS on another CPU)
    pass --check; a real change of 1e-9 (relative) in ONE value fails it, naming the file and the entry."""
    monkeypatch.setattr(expected, "EXPECTED_DIR", tmp_path)
    monkeypatch.setattr(expected, "BUILDERS", {module: expected.BUILDERS[module]})
    fresh = json.loads(expected.render(module))
    shifted, count = _perturbed(fresh, ulps=4)
    assert count > 10 and shifted != fresh  # the perturbation really changed the floats
    (tmp_path / f"{module}.json").write_text(json.dumps(shifted))
    assert expected.main(["--check"]) == 0
    changed, _ = _perturbed(fresh, ulps=0, change_first=1e-9)
    (tmp_path / f"{module}.json").write_text(json.dumps(changed))
    assert expected.main(["--check"]) == 1


def test_differences_compare_structure_and_labels_exactly():
    """Keys, list lengths, ints and strings must match exactly; floats within RTOL; NaN equals NaN."""
    assert expected.differences({"a": [1, 2]}, {"a": [1, 2, 3]}) == ["$.a: length 2 != 3"]
    assert expected.differences({"a": 1}, {"b": 1})
    assert expected.differences({"y": [0, 1]}, {"y": [0, 2]}) == ["$.y[1]: 1 != 2"]
    assert expected.differences({"x": 1.0}, {"x": 1.0 + 1e-15}) == []
    assert expected.differences({"x": 1.0}, {"x": 1.0 + 1e-9}) != []
    assert expected.differences({"x": 0.0}, {"x": 1e-17}) == []
    assert expected.differences({"x": float("nan")}, {"x": float("nan")}) == []
    assert expected.differences({"s": "k=2"}, {"s": "k=3"}) != []


def test_check_reports_a_stale_file_and_write_mode_repairs_it(monkeypatch, tmp_path, capsys):
    """--check exits 1 naming a stale file without touching it; without --check the file is rewritten."""
    monkeypatch.setattr(expected, "EXPECTED_DIR", tmp_path)
    stale = tmp_path / "knn.json"
    stale.write_text("{}\n")
    assert expected.main(["--check"]) == 1
    assert str(stale) in capsys.readouterr().out and stale.read_text() == "{}\n"
    assert expected.main([]) == 0
    assert expected.differences(json.loads(stale.read_text()), json.loads(expected.render("knn"))) == []
    assert expected.main(["--check"]) == 0


def test_check_reports_a_missing_file(monkeypatch, tmp_path):
    """--check with no expected file at all exits 1."""
    monkeypatch.setattr(expected, "EXPECTED_DIR", tmp_path)
    assert expected.main(["--check"]) == 1


# ---- the shipped numbers against independent oracles --------------------------------------------------------
def _visible(exercise_id):
    """(case type, visible case, shipped outputs) of `exercise_id`."""
    ex = spec.lookup(exercise_id)
    values = load_expected(ex.module)[exercise_id]
    return [(label, case, values[label]) for label, case in zip(ex.cases, spec.visible_cases(ex))]


@pytest.mark.parametrize("name", ["two_loops", "one_loop", "no_loops"])
def test_expected_distances_equal_sklearn(name):
    """The shipped distances equal sklearn's euclidean_distances on every visible case; duplicates are 0 (up to the
    no-loop expansion's rounding)."""
    for _, case, values in _visible(f"knn.compute_distances_{name}"):
        X_test, X_train = case["X_test"], case["X_train"]
        dists = np.array(values["dists"])
        np.testing.assert_allclose(dists, euclidean_distances(X_test, X_train), rtol=1e-10,
                                   atol=expansion_atol(X_test, X_train))
        duplicate = (X_test[:, None, :] == X_train[None, :, :]).all(axis=2)
        assert duplicate.any() and np.all(dists[duplicate] <= expansion_atol(X_test, X_train))


def test_expected_labels_equal_sklearn_precomputed():
    """The shipped votes equal KNeighborsClassifier(metric='precomputed') on every visible case, except where
    the k nearest hold a tie (sklearn breaks it by label order too, so ties are compared as well)."""
    for label, case, values in _visible("knn.predict_labels"):
        num_train = len(case["y_train"])
        model = KNeighborsClassifier(n_neighbors=case["k"], metric="precomputed", algorithm="brute")
        model.fit(np.zeros((num_train, num_train)), case["y_train"])
        np.testing.assert_array_equal(values["y_pred"], model.predict(case["dists"]), err_msg=label)


def test_expected_ties_go_to_the_smallest_label():
    """In the visible 'even k with label ties' case every row is a tie, and the shipped answer is its smaller label."""
    (label, case, values), = [v for v in _visible("knn.predict_labels") if v[0].startswith("even k")]
    for row, answer in zip(case["dists"], values["y_pred"]):
        tied = case["y_train"][np.argsort(row)[:case["k"]]]
        counts = np.bincount(tied)
        assert answer == int(np.flatnonzero(counts == counts.max()).min())
        assert (counts == counts.max()).sum() == 2


def test_expected_accuracies_follow_the_spy_rule():
    """Each shipped accuracy is the fraction of the fold's ids with (7·id + k) % 4 != 0 (the spy's right answers)."""
    for _, case, values in _visible("knn.cross_validate_k"):
        ids = case["X"][:, 0].astype(int)
        folds = np.array_split(ids, case["num_folds"])
        oracle = [[float(np.mean((7 * fold + k) % 4 != 0)) for fold in folds] for k in case["k_choices"]]
        np.testing.assert_allclose(values["accuracies"], oracle, rtol=0, atol=1e-12)


def test_cli_writes_only_the_named_module_and_help_writes_nothing(monkeypatch, tmp_path, capsys):
    """`python -m autograder.expected knn` writes knn.json only; --help and unknown names write nothing."""
    monkeypatch.setattr(expected, "EXPECTED_DIR", tmp_path)
    assert expected.main(["--help"]) == 0 and list(tmp_path.iterdir()) == []
    assert expected.main(["no_such_module"]) == 2 and list(tmp_path.iterdir()) == []
    assert expected.main(["knn"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["knn.json"]
    assert expected.main(["--check", "knn"]) == 0
