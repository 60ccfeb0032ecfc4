"""Data sets of the course: synthetic 2D sets, the bundled digits split and a CIFAR-10 loader.

Every synthetic set is drawn from ``np.random.default_rng(seed)`` (never the global RNG): the same seed gives
the same data on every call. Features are float64, labels int64 in ``0 .. C-1``, and samples are shuffled so
that classes are interleaved.
"""

import numbers
import os
import pickle
from collections.abc import Callable

import numpy as np

__all__ = [
    "CIFAR10_URL",
    "DATASETS_2D",
    "digits_split_indices",
    "load_2d",
    "load_cifar10",
    "load_digits_split",
    "make_blobs",
    "make_moons",
    "make_spirals",
    "make_xor",
]

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
_CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
_CIFAR10_TEST_FILE = "test_batch"


# --------------------------------------------------------------------------- argument validation
def _check_int(name: str, value: object, minimum: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}{why}, got {value!r}")
    return int(value)


def _check_noise(noise: object) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def _split_evenly(n: int, parts: int) -> np.ndarray:
    """Sizes of ``parts`` groups summing to n, differing by at most one (the first ones larger)."""
    return np.full(parts, n // parts) + (np.arange(parts) < n % parts)


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    perm = rng.permutation(len(y))
    return X[perm].astype(np.float64), y[perm].astype(np.int64)


# --------------------------------------------------------------------------- synthetic 2D sets
def make_blobs(
    n_samples: int = 300, num_classes: int = 3, noise: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs, one per class, centred evenly on a circle of radius 4.

    noise: standard deviation of each blob. Class sizes differ by at most one.
    Returns X: (N, 2) float64, y: (N,) int64 in 0 .. num_classes-1, with N = n_samples.
    """
    num_classes = _check_int("num_classes", num_classes, 2)
    n_samples = _check_int("n_samples", n_samples, num_classes, " (at least one sample per class)")
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(num_classes) / num_classes
    centres = 4.0 * np.c_[np.cos(angles), np.sin(angles)]  # (C, 2)
    y = np.repeat(np.arange(num_classes), _split_evenly(n_samples, num_classes))
    X = centres[y] + noise * rng.standard_normal((n_samples, 2))
    return _shuffled(rng, X, y)


def make_moons(n_samples: int = 300, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as scikit-learn's ``make_moons``).

    Class 0: (cos t, sin t), class 1: (1 - cos t, 0.5 - sin t), t in [0, pi], plus Gaussian noise of std noise.
    Returns X: (N, 2) float64, y: (N,) int64 in {0, 1}, with N = n_samples.
    """
    n_samples = _check_int("n_samples", n_samples, 2, " (at least one sample per moon)")
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    n_out, n_in = _split_evenly(n_samples, 2)
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.r_[np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1.0 - np.cos(t_in), 0.5 - np.sin(t_in)]]
    y = np.r_[np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)]
    X = X + noise * rng.standard_normal(X.shape)
    return _shuffled(rng, X, y)


def make_spirals(
    n_samples: int = 300, num_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spiral: arm j has radius r in [0, 1] and angle t in [4j, 4(j+1)] (+ noise on t).

    Each point is (r sin t, r cos t); noise is the standard deviation of the Gaussian added to the angle
    (radians). Class sizes differ by at most one.
    Returns X: (N, 2) float64, y: (N,) int64 in 0 .. num_classes-1, with N = n_samples.
    """
    num_classes = _check_int("num_classes", num_classes, 2)
    n_samples = _check_int("n_samples", n_samples, num_classes, " (at least one sample per class)")
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    Xs, ys = [], []
    for j, n in enumerate(_split_evenly(n_samples, num_classes)):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n) + noise * rng.standard_normal(n)
        Xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(n, j))
    return _shuffled(rng, np.concatenate(Xs), np.concatenate(ys))


def make_xor(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """XOR: four Gaussian clusters centred at (+-1, +-1), no line separates the two classes.

    The label is the sign product of the centre mapped to {0, 1}: y = 1 where the signs differ
    (s1 * s2 = -1, i.e. XOR of the bits x1 > 0 and x2 > 0), y = 0 where they agree.
    noise: standard deviation of each cluster. Cluster sizes differ by at most one.
    Returns X: (N, 2) float64, y: (N,) int64 in {0, 1}, with N = n_samples.
    """
    n_samples = _check_int("n_samples", n_samples, 4, " (at least one sample per cluster)")
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    centres = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    cluster = np.repeat(np.arange(4), _split_evenly(n_samples, 4))
    y = (centres[cluster, 0] * centres[cluster, 1] < 0).astype(np.int64)
    X = centres[cluster] + noise * rng.standard_normal((n_samples, 2))
    return _shuffled(rng, X, y)


DATASETS_2D: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "blobs": make_blobs,
    "moons": make_moons,
    "spirals": make_spirals,
    "xor": make_xor,
}


def load_2d(name: str, **kw) -> tuple[np.ndarray, np.ndarray]:
    """Make the synthetic 2D set called ``name`` (a key of ``DATASETS_2D``), passing ``kw`` on.

    Returns X: (N, 2) float64, y: (N,) int64.
    """
    try:
        make = DATASETS_2D[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown 2D data set {name!r}; valid names: {', '.join(sorted(DATASETS_2D))}"
        ) from None
    return make(**kw)


# --------------------------------------------------------------------------- digits (bundled with sklearn)
def digits_split_indices(
    val_size: int = 300, test_size: int = 300, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row indices into ``sklearn.datasets.load_digits()`` of a stratified train/val/test split.

    Deterministic: the same arguments give the same split on every call. The three index arrays are
    disjoint and together cover all 1797 rows.
    Returns idx_train: (1797 - val_size - test_size,), idx_val: (val_size,), idx_test: (test_size,), int64.
    """
    from sklearn.datasets import load_digits

    return _split_indices(load_digits().target, val_size, test_size, seed)


def _split_indices(
    y: np.ndarray, val_size: int, test_size: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    seed = _check_int("seed", seed, 0, " (the split must be reproducible)")
    n, num_classes = len(y), len(np.unique(y))
    # a stratified split needs every part to hold at least one sample per class
    val_size = _check_int("val_size", val_size, num_classes, " (at least one digit per class)")
    test_size = _check_int("test_size", test_size, num_classes, " (at least one digit per class)")
    if val_size + test_size > n - num_classes:
        raise ValueError(
            f"val_size + test_size must be <= {n - num_classes} so that the training set keeps at least "
            f"{num_classes} of the {n} digits, got {val_size} + {test_size} = {val_size + test_size}"
        )
    idx = np.arange(n)
    idx_rest, idx_test = train_test_split(idx, test_size=test_size, stratify=y, random_state=seed)
    idx_train, idx_val = train_test_split(idx_rest, test_size=val_size, stratify=y[idx_rest], random_state=seed)
    return idx_train.astype(np.int64), idx_val.astype(np.int64), idx_test.astype(np.int64)


def load_digits_split(
    val_size: int = 300, test_size: int = 300, seed: int = 0, normalize: bool = True
) -> dict[str, np.ndarray]:
    """The 8x8 handwritten digits bundled with scikit-learn (no download), split train/val/test.

    The split is ``digits_split_indices(val_size, test_size, seed)``: stratified and the same on every call.
    normalize: divide the pixels (0 .. 16) by 16, giving values in [0, 1].
    Returns {'X_train': (N_train, 64) float64, 'y_train': (N_train,) int64 in 0 .. 9, 'X_val', 'y_val',
    'X_test', 'y_test'} with N_train = 1797 - val_size - test_size.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    idx_train, idx_val, idx_test = _split_indices(digits.target, val_size, test_size, seed)
    X = digits.data.astype(np.float64)
    if normalize:
        X /= 16.0
    y = digits.target.astype(np.int64)
    return {
        "X_train": X[idx_train], "y_train": y[idx_train],
        "X_val": X[idx_val], "y_val": y[idx_val],
        "X_test": X[idx_test], "y_test": y[idx_test],
    }


# --------------------------------------------------------------------------- CIFAR-10 (python version)
def _cifar_missing(root: str, what: str) -> FileNotFoundError:
    hint = ""
    nested = os.path.join(root, "cifar-10-batches-py")
    if os.path.isfile(os.path.join(nested, "data_batch_1")):
        hint = f" (found {nested}: pass that folder as root)"
    return FileNotFoundError(
        f"CIFAR-10: {what}{hint}. Download the CIFAR-10 python version (cifar-10-python.tar.gz) from "
        f"{CIFAR10_URL} and extract it (tar -xzf cifar-10-python.tar.gz) so that "
        f"{os.path.join(root, 'data_batch_1')} exists; root is the extracted folder cifar-10-batches-py."
    )


def _load_cifar_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch -> X: (n, 32, 32, 3) uint8, y: (n,) int64. Malformed files raise ValueError."""
    name = os.path.basename(path)
    try:
        # pickle runs code from the file: load only the official archive
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError,
            ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"CIFAR-10 batch {name} ({path}) is not a readable pickle: {exc}") from exc
    if not isinstance(batch, dict):
        raise ValueError(f"CIFAR-10 batch {name} ({path}) should hold a dict, got {type(batch).__name__}")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if data is None or labels is None:
        raise ValueError(f"CIFAR-10 batch {name} ({path}) lacks the keys b'data' and b'labels'")
    data = np.asarray(data)
    labels = np.asarray(labels)
    if data.ndim != 2 or data.shape[1] != 3072 or data.dtype != np.uint8:
        raise ValueError(
            f"CIFAR-10 batch {name} ({path}): b'data' should be an (N, 3072) uint8 array, "
            f"got shape {data.shape} and dtype {data.dtype}"
        )
    if labels.shape != (data.shape[0],) or (labels.size and not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(
            f"CIFAR-10 batch {name} ({path}): b'labels' should hold {data.shape[0]} integers, "
            f"got shape {labels.shape} and dtype {labels.dtype}"
        )
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"CIFAR-10 batch {name} ({path}): labels should lie in 0 .. 9, "
                         f"got {labels.min()} .. {labels.max()}")
    X = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return X, labels.astype(np.int64)


def _take(files: list[str], limit: int | None, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Load batches in order until ``limit`` samples are read; return the first ``limit`` as float64."""
    Xs, ys, count = [], [], 0
    for path in files:
        if limit is not None and count >= limit:
            break
        X, y = _load_cifar_batch(path)
        Xs.append(X)
        ys.append(y)
        count += len(y)
    if limit is not None and limit > count:
        raise ValueError(f"{name} = {limit} exceeds the {count} images available")
    X, y = np.concatenate(Xs), np.concatenate(ys)
    if limit is not None:
        X, y = X[:limit], y[:limit]
    return X.astype(np.float64), y


def load_cifar10(root: str | os.PathLike, num_training: int | None = None,
                 num_test: int | None = None) -> dict[str, np.ndarray]:
    """Load CIFAR-10 from the extracted python version (``root/data_batch_1 .. 5``, ``root/test_batch``).

    num_training, num_test: keep only the first so many images (None: all of them).
    Returns {'X_train': (N_train, 32, 32, 3) float64 pixels 0 .. 255, 'y_train': (N_train,) int64 in 0 .. 9,
    'X_test': (N_test, 32, 32, 3) float64, 'y_test': (N_test,) int64}.
    Raises FileNotFoundError (saying where to get the data) if root or a batch is missing, ValueError
    naming the file if a batch is malformed.
    """
    root = os.fspath(root)
    for name, value in (("num_training", num_training), ("num_test", num_test)):
        if value is not None:
            _check_int(name, value, 1)
    if not os.path.isdir(root):
        raise _cifar_missing(root, f"the folder {root} does not exist")
    paths = [os.path.join(root, f) for f in (*_CIFAR10_TRAIN_FILES, _CIFAR10_TEST_FILE)]
    missing = [os.path.basename(p) for p in paths if not os.path.isfile(p)]
    if missing:
        raise _cifar_missing(root, f"missing file(s) {', '.join(missing)} in {root}")
    X_train, y_train = _take(paths[:5], num_training, "num_training")
    X_test, y_test = _take(paths[5:], num_test, "num_test")
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test}
