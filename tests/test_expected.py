"""Tests of autograder.expected: the visible checks' fixed numbers equal a fresh run of solutions/ and an oracle."""

import json

import numpy as np
import pytest
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.neighbors import KNeighborsClassifier

from autograder import expected
from course.checks import knn as visible
from course.checks.core import load_expected
from tests.strategies import expansion_atol


def test_committed_expected_values_are_fresh(capsys):
    """`python -m autograder.expected --check` exits 0 and reports nothing on the committed files."""
    assert expected.main(["--check"]) == 0
    assert capsys.readouterr().out == ""


def test_render_equals_the_shipped_file():
    """render('knn') is byte-for-byte what course.checks loads (course/expected/knn.json)."""
    text = expected.render("knn")
    assert text == (expected.EXPECTED_DIR / "knn.json").read_text()
    assert json.loads(text) == load_expected("knn")


def test_check_reports_a_stale_file_and_write_mode_repairs_it(monkeypatch, tmp_path, capsys):
    """--check exits 1 naming a stale file without touching it; without --check the file is rewritten."""
    monkeypatch.setattr(expected, "EXPECTED_DIR", tmp_path)
    stale = tmp_path / "knn.json"
    stale.write_text("{}\n")
    assert expected.main(["--check"]) == 1
    assert str(stale) in capsys.readouterr().out and stale.read_text() == "{}\n"
    assert expected.main([]) == 0
    assert stale.read_text() == expected.render("knn")
    assert expected.main(["--check"]) == 0


def test_check_reports_a_missing_file(monkeypatch, tmp_path):
    """--check with no expected file at all exits 1."""
    monkeypatch.setattr(expected, "EXPECTED_DIR", tmp_path)
    assert expected.main(["--check"]) == 1


# ---- the shipped numbers against independent oracles --------------------------------------------------------
def test_expected_distances_equal_sklearn():
    """The shipped distances equal sklearn's euclidean_distances on the visible inputs; duplicates are exactly 0."""
    inputs, values = visible.distance_inputs(), load_expected("knn")["distances"]
    for suffix, dup in [("", ([2], [4])), ("_far", ([0, 1, 2], [0, 3, 5]))]:
        X_test, X_train = inputs[f"X_test{suffix}"], inputs[f"X_train{suffix}"]
        dists = np.array(values[f"dists{suffix}"])
        np.testing.assert_allclose(dists, euclidean_distances(X_test, X_train), rtol=1e-10,
                                   atol=expansion_atol(X_test, X_train))
        np.testing.assert_array_equal(dists[dup], 0.0)


@pytest.mark.parametrize("k", visible.predict_inputs()["k_choices"])
def test_expected_labels_equal_sklearn_precomputed(k):
    """The shipped votes equal KNeighborsClassifier(metric='precomputed') on the same distances."""
    inputs = visible.predict_inputs()
    num_train = len(inputs["y_train"])
    model = KNeighborsClassifier(n_neighbors=k, metric="precomputed", algorithm="brute")
    model.fit(np.zeros((num_train, num_train)), inputs["y_train"])
    np.testing.assert_array_equal(load_expected("knn")["predict_labels"][f"k={k}"], model.predict(inputs["dists"]))


def test_expected_tie_goes_to_smallest_label():
    """Row 7 at k=2 is a tie between labels 1 and 2, and the shipped answer is 1."""
    assert load_expected("knn")["predict_labels"]["k=2"][7] == 1


def test_expected_accuracies_follow_the_spy_rule():
    """Each shipped accuracy is the fraction of the fold's ids with (7·id + k) % 4 != 0 (the spy's right answers)."""
    inputs = visible.cross_validation_inputs()
    folds = np.array_split(np.arange(len(inputs["X"])), inputs["num_folds"])
    oracle = [[float(np.mean((7 * fold + k) % 4 != 0)) for fold in folds] for k in inputs["k_choices"]]
    assert load_expected("knn")["cross_validate_k"]["accuracies"] == oracle
