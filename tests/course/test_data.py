"""Tests of course.data: synthetic 2D sets, the digits split and the CIFAR-10 loader."""

import pickle

import numpy as np
import pytest

from course.data import (
    DATASETS_2D,
    digits_split_indices,
    load_2d,
    load_cifar10,
    load_digits_split,
    make_blobs,
    make_moons,
    make_spirals,
    make_xor,
)

NUM_CLASSES = {"blobs": 3, "moons": 2, "spirals": 3, "xor": 2}  # with the default arguments


# --------------------------------------------------------------------------- synthetic 2D sets
@pytest.mark.parametrize("name", sorted(DATASETS_2D))
def test_2d_shapes_dtypes_and_labels(name):
    """Each 2D set gives X (N, 2) float64 and y (N,) int64 holding every label 0 .. C-1."""
    X, y = load_2d(name, n_samples=101)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(NUM_CLASSES[name]))
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", sorted(DATASETS_2D))
def test_2d_same_seed_same_data_other_seed_other_data(name):
    """The same seed reproduces the data exactly; another seed changes it."""
    X1, y1 = load_2d(name, seed=7)
    X2, y2 = load_2d(name, seed=7)
    X3, _ = load_2d(name, seed=8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", sorted(DATASETS_2D))
def test_2d_leaves_global_rng_alone(name):
    """Making a data set does not draw from or reseed the global numpy RNG."""
    state = np.random.get_state()
    load_2d(name)
    assert all(np.array_equal(a, b) for a, b in zip(state, np.random.get_state()))


def test_blobs_and_spirals_class_count_and_balance():
    """num_classes sets the labels; class sizes differ by at most one."""
    for make in (make_blobs, make_spirals):
        _, y = make(n_samples=22, num_classes=5)
        counts = np.bincount(y)
        assert len(counts) == 5 and counts.max() - counts.min() <= 1


def test_spirals_radius_in_unit_disc():
    """Spiral points have radius r in [0, 1] (the noise is on the angle only)."""
    X, _ = make_spirals(n_samples=300, noise=0.5)
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1 + 1e-12)


def test_noise_free_moons_lie_on_half_circles():
    """With noise=0, class 0 lies on the unit upper half circle and class 1 on the shifted lower one."""
    X, y = make_moons(n_samples=50, noise=0.0)
    assert np.allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0)
    assert np.allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)


def test_xor_label_is_xor_of_signs():
    """XOR label is 1 exactly where x1 and x2 have different signs (sign product -1)."""
    X, y = make_xor(n_samples=200, noise=0.1)
    assert np.array_equal(y, (np.sign(X[:, 0]) * np.sign(X[:, 1]) < 0).astype(np.int64))
    assert np.bincount(y).tolist() == [100, 100]


def test_xor_is_not_linearly_separable():
    """No linear classifier gets XOR right: a least-squares line stays near chance."""
    X, y = make_xor(n_samples=400, noise=0.1)
    A = np.c_[X, np.ones(len(X))]
    w = np.linalg.lstsq(A, 2.0 * y - 1.0, rcond=None)[0]
    assert np.mean((A @ w > 0) == y) < 0.75


def test_blobs_noise_is_cluster_std():
    """Blob points scatter around their class centre with standard deviation about noise."""
    X, y = make_blobs(n_samples=3000, num_classes=3, noise=0.5)
    for c in range(3):
        assert np.std(X[y == c], axis=0) == pytest.approx([0.5, 0.5], rel=0.1)


@pytest.mark.parametrize(
    "make, kwargs, match",
    [
        (make_blobs, {"n_samples": 2, "num_classes": 3}, "n_samples"),
        (make_blobs, {"num_classes": 1}, "num_classes"),
        (make_spirals, {"n_samples": 1.5}, "n_samples"),
        (make_spirals, {"noise": -0.1}, "noise"),
        (make_moons, {"n_samples": 1}, "n_samples"),
        (make_moons, {"noise": float("nan")}, "noise"),
        (make_xor, {"n_samples": 3}, "n_samples"),
    ],
)
def test_2d_bad_arguments_raise_value_error(make, kwargs, match):
    """Too few samples, too few classes, non-integer sizes and bad noise raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=match):
        make(**kwargs)


def test_load_2d_unknown_name_lists_valid_names():
    """An unknown name raises ValueError that lists every valid name."""
    with pytest.raises(ValueError) as info:
        load_2d("circles")
    for name in DATASETS_2D:
        assert name in str(info.value)


# --------------------------------------------------------------------------- digits
def test_digits_split_sizes_dtypes_and_range():
    """Default split: 1197/300/300 rows of 64 float64 pixels in [0, 1], int64 labels 0 .. 9."""
    d = load_digits_split()
    assert set(d) == {"X_train", "y_train", "X_val", "y_val", "X_test", "y_test"}
    for part, n in (("train", 1197), ("val", 300), ("test", 300)):
        X, y = d[f"X_{part}"], d[f"y_{part}"]
        assert X.shape == (n, 64) and X.dtype == np.float64
        assert y.shape == (n,) and y.dtype == np.int64
        assert 0.0 <= X.min() and X.max() <= 1.0
        assert set(np.unique(y)) == set(range(10))
    assert load_digits_split(normalize=False)["X_train"].max() == 16.0


def test_digits_split_disjoint_and_covering():
    """Train, val and test share no row index and together cover all 1797 digits."""
    tr, va, te = digits_split_indices(val_size=250, test_size=350)
    assert (len(tr), len(va), len(te)) == (1197, 250, 350)
    assert not set(tr) & set(va) and not set(tr) & set(te) and not set(va) & set(te)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(1797))


def test_digits_split_matches_its_indices():
    """load_digits_split returns exactly the rows digits_split_indices names."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    d = load_digits_split(seed=3)
    tr, va, te = digits_split_indices(seed=3)
    for part, idx in (("train", tr), ("val", va), ("test", te)):
        assert np.array_equal(d[f"X_{part}"], digits.data[idx] / 16.0)
        assert np.array_equal(d[f"y_{part}"], digits.target[idx])


def test_digits_split_is_fixed_by_seed():
    """The same seed gives the same split on every call; another seed gives another split."""
    a, b, c = digits_split_indices(seed=0), digits_split_indices(seed=0), digits_split_indices(seed=1)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[2], c[2])


def test_digits_split_is_stratified():
    """Each class's share of the validation set is within one digit of its share of the data."""
    from sklearn.datasets import load_digits

    y = load_digits().target
    _, va, _ = digits_split_indices()
    expected = np.bincount(y) * len(va) / len(y)
    assert np.all(np.abs(np.bincount(y[va], minlength=10) - expected) <= 1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"val_size": 0}, "val_size"),
        ({"test_size": 5}, "test_size"),
        ({"val_size": 900, "test_size": 900}, "val_size \\+ test_size"),
        ({"val_size": 10.5}, "val_size"),
        ({"seed": None}, "seed"),
    ],
)
def test_digits_bad_arguments_raise_value_error(kwargs, match):
    """Sizes that leave a class out of a part, too large sizes, or a non-integer seed raise ValueError."""
    with pytest.raises(ValueError, match=match):
        load_digits_split(**kwargs)


# --------------------------------------------------------------------------- CIFAR-10
PER_BATCH = 5
BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def _write_fake_cifar(root, per_batch=PER_BATCH):
    """Write a tiny CIFAR-10 in the official pickle format; return {file name: (data, labels)}."""
    rng = np.random.default_rng(0)
    written = {}
    for name in BATCHES:
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=per_batch).tolist()
        batch = {b"batch_label": name.encode(), b"labels": labels, b"data": data,
                 b"filenames": [f"img{i}.png".encode() for i in range(per_batch)]}
        with open(root / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
        written[name] = (data, labels)
    return written


def test_cifar_fake_dataset_shapes_dtypes_and_pixels(tmp_path):
    """Train = the 5 batches in order as (N, 32, 32, 3) float64 in HWC order; labels int64."""
    written = _write_fake_cifar(tmp_path)
    d = load_cifar10(tmp_path)
    assert d["X_train"].shape == (5 * PER_BATCH, 32, 32, 3) and d["X_train"].dtype == np.float64
    assert d["X_test"].shape == (PER_BATCH, 32, 32, 3) and d["X_test"].dtype == np.float64
    assert d["y_train"].dtype == np.int64 and d["y_test"].dtype == np.int64
    assert d["y_train"].tolist() == sum((written[n][1] for n in BATCHES[:5]), [])
    assert d["y_test"].tolist() == written["test_batch"][1]
    # row layout of the official files: 1024 red, then 1024 green, then 1024 blue values, row-major
    data = written["data_batch_1"][0]
    assert d["X_train"][0, 0, 1, 0] == data[0, 1]          # red channel, pixel (0, 1)
    assert d["X_train"][0, 1, 0, 2] == data[0, 2048 + 32]  # blue channel, pixel (1, 0)


def test_cifar_num_training_and_num_test(tmp_path):
    """num_training / num_test keep the first so many images; too many raises ValueError."""
    _write_fake_cifar(tmp_path)
    full = load_cifar10(tmp_path)
    d = load_cifar10(tmp_path, num_training=7, num_test=2)
    assert d["X_train"].shape[0] == 7 and d["X_test"].shape[0] == 2
    assert np.array_equal(d["X_train"], full["X_train"][:7])
    assert np.array_equal(d["y_test"], full["y_test"][:2])
    with pytest.raises(ValueError, match="num_training"):
        load_cifar10(tmp_path, num_training=5 * PER_BATCH + 1)
    with pytest.raises(ValueError, match="num_test"):
        load_cifar10(tmp_path, num_test=0)


def test_cifar_missing_root_says_where_to_get_it(tmp_path):
    """A missing folder raises FileNotFoundError naming the archive, the URL and root/data_batch_1."""
    root = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as info:
        load_cifar10(root)
    msg = str(info.value)
    assert "cifar-10-python.tar.gz" in msg
    assert "https://www.cs.toronto.edu/~kriz/cifar.html" in msg
    assert str(root / "data_batch_1") in msg


def test_cifar_missing_batch_is_named(tmp_path):
    """With one batch deleted, FileNotFoundError names that file and where to get the data set."""
    _write_fake_cifar(tmp_path)
    (tmp_path / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="test_batch") as info:
        load_cifar10(tmp_path)
    assert "https://www.cs.toronto.edu/~kriz/cifar.html" in str(info.value)


def test_cifar_parent_folder_hint(tmp_path):
    """Passing the folder that contains cifar-10-batches-py suggests the right root."""
    nested = tmp_path / "cifar-10-batches-py"
    nested.mkdir()
    _write_fake_cifar(nested)
    with pytest.raises(FileNotFoundError, match="pass that folder as root"):
        load_cifar10(tmp_path)


@pytest.mark.parametrize(
    "content",
    [
        b"not a pickle at all",
        pickle.dumps([1, 2, 3]),
        pickle.dumps({b"data": np.zeros((5, 100), dtype=np.uint8), b"labels": [0] * 5}),
        pickle.dumps({b"data": np.zeros((5, 3072), dtype=np.uint8), b"labels": [0] * 4}),
        pickle.dumps({b"data": np.zeros((5, 3072), dtype=np.uint8), b"labels": [0, 1, 2, 3, 10]}),
        pickle.dumps({b"labels": [0] * 5}),
    ],
    ids=["garbage", "not-a-dict", "wrong-width", "label-count", "label-range", "no-data-key"],
)
def test_cifar_malformed_batch_raises_value_error_naming_file(tmp_path, content):
    """A corrupt or wrongly shaped batch raises ValueError naming that file."""
    _write_fake_cifar(tmp_path)
    (tmp_path / "data_batch_3").write_bytes(content)
    with pytest.raises(ValueError, match="data_batch_3"):
        load_cifar10(tmp_path)
