"""course.evidence: the plain-data codec of the grading evidence (no pickles, no subclasses, no objects)."""
import io
import json

import numpy as np
import pytest

from course import evidence


class Sub(np.ndarray):
    def __eq__(self, other):
        return True


def test_evidence_round_trips_plain_data(tmp_path) -> None:
    """Nested tuples, dicts with int keys, frozensets, numpy scalars and arrays survive save/load exactly."""
    value = {1: (np.arange(3.0), [np.int64(4), np.float32(0.5)], frozenset({(1, 2)})), "s": {None, True},
             "c": 1 + 2j, "big": 2**70, "nan": float("nan")}
    evidence.save(tmp_path, "x", value)
    back = evidence.load(tmp_path, "x")
    assert back[1][0].tolist() == [0.0, 1.0, 2.0] and type(back[1][1][0]) is np.int64
    assert back[1][1][1].dtype == np.float32 and back[1][2] == frozenset({(1, 2)}) and back["s"] == {None, True}
    assert back["c"] == 1 + 2j and back["big"] == 2**70 and np.isnan(back["nan"])


def test_evidence_strips_subclasses_and_refuses_objects(tmp_path) -> None:
    """An ndarray subclass is stored as a base ndarray; objects and object arrays are not plain data."""
    evidence.save(tmp_path, "s", np.zeros(2).view(Sub))
    assert type(evidence.load(tmp_path, "s")) is np.ndarray
    for bad in (object(), np.array([{}], dtype=object), [lambda: 0]):
        with pytest.raises(evidence.NotPlain):
            evidence.encode(bad)


def test_evidence_never_unpickles(tmp_path) -> None:
    """An npz holding a pickled object array, or JSON with an unknown tag, is rejected, never executed."""
    buf = io.BytesIO()
    np.savez(buf, a0=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError):
        evidence.loads(json.dumps({"__nd__": "a0"}), buf.getvalue())
    ok = io.BytesIO()
    np.savez(ok)
    with pytest.raises(ValueError, match="unknown evidence tag"):
        evidence.loads(json.dumps({"__reduce__": "os.system"}), ok.getvalue())
