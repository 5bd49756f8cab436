"""`score` refuses, in one line, every file that is not a model of ours for this schema."""

from __future__ import annotations

import io
import tempfile
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans

from card_segmenter.cli import main
from segmenter.errors import InputError
from segmenter.ingest.schema import FEATURE_COLUMNS
from segmenter.model import fitted as model_module
from segmenter.model.fitted import MODEL_FORMAT, load_model, model_bytes, score
from segmenter.pipeline import run_segmentation
from testkit.segmenter_fixtures import toy_frame

FRAME = toy_frame((30, 20, 10))


@pytest.fixture(scope="module")
def good_bytes() -> bytes:
    return model_bytes(run_segmentation(FRAME, k=3, n_bootstraps=1).model)


def state_of(data: bytes) -> dict[str, Any]:
    state = sio.loads(data, trusted=list(model_module.TRUSTED_TYPES))
    assert isinstance(state, dict)
    return state


def other_schema(good: bytes) -> bytes:
    """Our model format, trained on 16 columns: TENURE dropped, FOO added."""
    state = state_of(good)
    columns = [c for c in FEATURE_COLUMNS if c != "TENURE"] + ["FOO"]
    return sio.dumps({**state, "feature_columns": columns})


def zipped(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


CASES: dict[str, tuple[Any, str]] = {
    "random-bytes": (bytes(range(256)) * 4, "not a segmenter model file"),
    "empty": (b"", "not a segmenter model file"),
    "csv": (b"CUST_ID,BALANCE\nC1,1\n", "not a segmenter model file"),
    "plain-zip": (zipped(**{"hello.txt": b"hi"}), "not a segmenter model file"),
    "zip-with-bad-schema": (zipped(**{"schema.json": b"{not json"}), "not a segmenter model file"),
    "zip-with-odd-schema": (zipped(**{"schema.json": b'{"__class__": 1}'}), "not a segmenter"),
    "untrusted-type": (sio.dumps(Fraction(1, 3)), "holds types this program does not load"),
    "untrusted-type-in-our-format": (
        sio.dumps({"format": MODEL_FORMAT, "version": 1, "x": Fraction(1, 3)}),
        "holds types this program does not load",
    ),
    "another-estimator": (
        sio.dumps(KMeans(n_clusters=2, n_init=1).fit(np.eye(4))),
        "a skops file, but not a segmenter model",
    ),
    "another-version": (sio.dumps({"format": MODEL_FORMAT, "version": 99}), "format version 99"),
    "other-schema": (other_schema, r"trained on other columns \(missing TENURE; extra FOO\)"),
    "damaged-pipeline": (
        lambda good: sio.dumps({**state_of(good), "pipeline": "not a pipeline"}),
        "a damaged segmenter model",
    ),
    "damaged-centres": (
        lambda good: sio.dumps({**state_of(good), "centres": np.zeros((3, 4))}),
        "its centres are not 3 rows of 17 numbers",
    ),
    "names-that-do-not-pair": (
        lambda good: sio.dumps({**state_of(good), "segment_names": ["only one"]}),
        "do not pair up",
    ),
}


@pytest.mark.parametrize(("content", "message"), CASES.values(), ids=CASES.keys())
def test_score_refuses_what_is_not_our_model_in_one_line(
    good_bytes: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: Any,
    message: str,
) -> None:
    path = tmp_path / "model.skops"
    path.write_bytes(content(good_bytes) if callable(content) else content)
    with pytest.raises(InputError, match=message):
        load_model(path)
    customers = tmp_path / "customers.csv"
    FRAME.write_csv(customers)
    with pytest.raises(SystemExit) as done:
        main(["score", str(path), str(customers), "--out", str(tmp_path / "s.csv")])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ")
    assert err.count("\n") == 1
    assert not (tmp_path / "s.csv").exists()


def test_an_archive_that_would_unpack_too_large_is_refused(
    good_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.skops"
    path.write_bytes(good_bytes)
    monkeypatch.setattr(model_module, "MAX_UNPACKED", 1000)
    with pytest.raises(InputError, match="it would unpack to"):
        load_model(path)


def test_our_model_still_loads_and_scores(good_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "model.skops"
    path.write_bytes(good_bytes)
    scored = score(load_model(path), FRAME)
    assert scored["segment"].n_unique() == 3


@settings(max_examples=60, deadline=None, derandomize=True)
@given(data=st.data())
def test_damaged_models_load_and_score_or_are_refused(
    good_bytes: bytes, data: st.DataObject
) -> None:
    raw = bytearray(good_bytes)
    if data.draw(st.booleans(), label="truncate"):
        raw = raw[: data.draw(st.integers(0, len(raw) - 1), label="cut")]
    else:
        for _ in range(data.draw(st.integers(1, 8), label="flips")):
            at = data.draw(st.integers(0, len(raw) - 1), label="at")
            raw[at] = data.draw(st.integers(0, 255), label="byte")
    with tempfile.TemporaryDirectory(prefix="fuzz-model-") as tmp:
        path = Path(tmp) / "model.skops"
        path.write_bytes(bytes(raw))
        try:
            loaded = load_model(path)
        except InputError:
            return
        assert score(loaded, FRAME).height == FRAME.height
