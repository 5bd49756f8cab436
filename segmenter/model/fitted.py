"""A saved segmentation model (skops, never pickle) and scoring new customers with it."""

from __future__ import annotations

import contextlib
import io
import re
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.pipeline import Pipeline

from segmenter.cluster.features import feature_matrix, transform_features
from segmenter.errors import InputError
from segmenter.explain.naming import NOISE_NAME
from segmenter.files import write_bytes
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN

__all__ = [
    "MODEL_FORMAT",
    "TRUSTED_TYPES",
    "SegmentModel",
    "assignment_confidence",
    "assignment_table",
    "load_model",
    "model_bytes",
    "preload_skops",
    "save_model",
    "score",
    "segment_names",
]

MODEL_FORMAT = "card-segmenter/segment-model"
MODEL_VERSION = 1
NOISE = -1
MAX_UNPACKED = 1 << 30  # a model of ours is a few MB; more is a zip bomb, not a model
# Types a model of ours may hold beyond skops' defaults. Loading refuses anything else, so a
# file can never make us build an object we did not expect.
TRUSTED_TYPES: tuple[str, ...] = (
    "numpy.dtype",
    "scipy.sparse._csr.csr_matrix",
    "segmenter.cluster.estimators.KneeDBSCAN",
    "segmenter.cluster.estimators.PortableBirch",
    "segmenter.cluster.estimators.SampledClusterer",
)


@dataclass(frozen=True)
class SegmentModel:
    """Preprocessing and clusterer, and how the clusterer's raw labels become named segments."""

    algorithm: str
    pipeline: Pipeline  # steps "features" then "cluster"; predict gives raw labels
    label_map: dict[int, int]  # raw label -> segment id (0..k-1 by size, -1 noise)
    names: dict[int, str]  # segment id -> name
    centres: np.ndarray  # (k, n_features) segment means in the transformed space, by ascending id

    @property
    def centre_ids(self) -> np.ndarray:
        """The segment id of each row of `centres`: the ids ascending (0..k-1 when fitted;
        a refreshed run keeps earlier ids, so they may skip)."""
        return np.array(sorted(s for s in self.names if s != NOISE), dtype=np.int64)

    def centre_of(self, segment: int) -> np.ndarray:
        """The centre of one segment id."""
        return self.centres[int(np.searchsorted(self.centre_ids, segment))]

    def segments(self, frame: pl.DataFrame) -> np.ndarray:
        """Segment id of every customer in a canonical frame, in its row order."""
        return self._segments(feature_matrix(frame))[0]

    def _segments(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Segment ids and the transformed rows they were found from."""
        transformed = transform_features(self.pipeline[:-1], raw)
        predicted = self.pipeline[-1].predict(transformed).tolist()
        ids = np.array([self.label_map.get(int(p), -2) for p in predicted], dtype=np.int64)
        unknown = ids == -2
        if unknown.any():  # a raw label no training customer had (an empty mixture component)
            nearest = _distances(transformed[unknown], self.centres).argmin(axis=1)
            ids[unknown] = self.centre_ids[nearest]
        return ids, transformed


def score(model: SegmentModel, frame: pl.DataFrame) -> pl.DataFrame:
    """Segment, name, confidence and runner-up segment for every customer of a canonical frame.

    Confidence as in `assignment_confidence`; the runner-up is the nearest other segment centre
    (empty for a single segment).
    """
    ids, transformed = model._segments(feature_matrix(frame))
    confidence, runner = assignment_confidence(
        transformed, model.centres, ids, centre_ids=model.centre_ids
    )
    several = model.centres.shape[0] > 1
    return assignment_table(frame.get_column(ID_COLUMN), ids, model.names, confidence).with_columns(
        pl.Series("runner_up", runner if several else [None] * ids.size, dtype=pl.Int64),
        pl.Series(
            "runner_up_name",
            segment_names(runner, model.names) if several else [None] * ids.size,
            dtype=pl.String,
        ),
    )


def assignment_confidence(
    transformed: np.ndarray,
    centres: np.ndarray,
    segments: np.ndarray,
    *,
    centre_ids: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """How surely each customer belongs to their segment, and the nearest other segment.

    Confidence is d2 / (d1 + d2), where d1 is the distance of a customer's transformed row to
    their own segment centre and d2 to the nearest other one: 1 at the own centre, 0.5
    half-way, rounded to 4 decimals; NaN for noise and when there is a single segment. The
    runner-up is the nearest other centre (the nearest centre for noise); NOISE for a single
    segment. `centre_ids` are the segment ids of the centres' rows (default 0..k-1). The one
    place this is computed: assignments.csv and scoring both use it.
    """
    n, k = segments.size, centres.shape[0]
    if k < 2:
        return np.full(n, np.nan), np.full(n, NOISE, dtype=np.int64)
    ids = np.arange(k) if centre_ids is None else centre_ids
    distances = _distances(transformed, centres)
    rows = np.arange(n)
    assigned = segments >= 0
    column = np.minimum(np.searchsorted(ids, np.clip(segments, 0, None)), k - 1)
    own = np.where(assigned, distances[rows, column], np.nan)
    others = distances.copy()
    others[rows[assigned], column[assigned]] = np.inf
    runner = others.argmin(axis=1)
    runner_distance = others[rows, runner]
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.round(runner_distance / (own + runner_distance), 4)
    return np.where(assigned & np.isfinite(confidence), confidence, np.nan), ids[runner]


def assignment_table(
    customer_ids: pl.Series, segments: np.ndarray, names: dict[int, str], confidence: np.ndarray
) -> pl.DataFrame:
    """The columns of assignments.csv: customer_id, segment, segment_name, confidence (or null)."""
    return pl.DataFrame(
        {
            "customer_id": customer_ids.cast(pl.String),
            "segment": pl.Series(segments, dtype=pl.Int64),
            "segment_name": segment_names(segments, names),
            "confidence": pl.Series(confidence, dtype=pl.Float64).fill_nan(None),
        }
    )


def segment_names(segments: np.ndarray, names: dict[int, str]) -> pl.Series:
    """The name of every segment id in `segments`; NOISE_NAME for an id without one."""
    return pl.Series(segments, dtype=pl.Int64).replace_strict(
        {int(s): name for s, name in names.items()}, default=NOISE_NAME, return_dtype=pl.String
    )


def _distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Euclidean distance of every point to every centre, shape (n_points, n_centres)."""
    # Direct differences, one centre at a time: exact, and memory stays O(n * n_features).
    columns = [np.sqrt(((points - centre) ** 2).sum(axis=1)) for centre in centres]
    return np.column_stack(columns) if columns else np.empty((points.shape[0], 0))


def preload_skops() -> None:
    """Import skops on a background thread now, so that saving a model later does not wait.

    The import takes about 0.3 s, most of it skops listing every scikit-learn estimator (it
    imports them all) to know which types are safe; a run started with this overlaps it with
    reading and fitting, which spend their time in native code that releases the GIL.
    """
    threading.Thread(target=_import_skops, name="import-skops").start()


def _import_skops() -> None:
    # On failure, the import where skops is used raises again, on the thread that needs it.
    with contextlib.suppress(ImportError):
        import skops.io  # noqa: F401


def model_bytes(model: SegmentModel) -> bytes:
    """The model as the bytes of a skops archive."""
    import skops.io as sio

    state: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "algorithm": model.algorithm,
        "feature_columns": list(FEATURE_COLUMNS),
        "pipeline": model.pipeline,
        "raw_labels": np.array(list(model.label_map), dtype=np.int64),
        "segment_of_raw": np.array(list(model.label_map.values()), dtype=np.int64),
        "segment_ids": np.array(list(model.names), dtype=np.int64),
        "segment_names": list(model.names.values()),
        "centres": model.centres,
    }
    return _canonical(bytes(sio.dumps(state)))


_ARCHIVE_ID = re.compile(r'"__id__": (\d+)|"file": "(\d+)(\.\w+)"')


def _canonical(archive: bytes) -> bytes:
    """The same archive, identical for the same model: skops names members and nodes by the
    objects' memory addresses and stamps the time; both are renumbered and fixed here.

    Ids keep their meaning (a node seen twice keeps one id): they are numbered in the order
    they first appear in schema.json, and the members (.npy, .npz) are renamed to match.
    """
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    schema = members.pop("schema.json").decode("utf-8")
    numbers: dict[str, str] = {}
    for match in _ARCHIVE_ID.finditer(schema):
        numbers.setdefault(match[1] or match[2], str(len(numbers) + 1))

    def renumber(match: re.Match[str]) -> str:
        if match[1]:
            return f'"__id__": {numbers[match[1]]}'
        return f'"file": "{numbers[match[2]]}{match[3]}"'

    files = {}
    for name, data in members.items():
        stem, dot, suffix = name.partition(".")
        files[f"{numbers[stem]}{dot}{suffix}"] = data
    files["schema.json"] = _ARCHIVE_ID.sub(renumber, schema).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as target:
        for name in sorted(files):
            target.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), files[name])
    return out.getvalue()


def save_model(model: SegmentModel, path: Path) -> None:
    """Write the model as a skops archive, atomically."""
    write_bytes(path, model_bytes(model))


def load_model(path: Path) -> SegmentModel:
    """Read a model written by `save_model`; refuse, with an InputError, any other file.

    Refused: files that are not skops archives, archives holding types outside skops' defaults
    and TRUSTED_TYPES (nothing else is ever built), skops files of other objects, and models
    of another version or trained on another schema.
    """
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    if not path.is_file():
        raise InputError(f"{path}: no such model file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from None
    _check_archive(path, data)
    try:
        state = sio.loads(data, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException as error:
        raise InputError(
            f"{path}: not a segmenter model; it holds types this program does not load ({error})"
        ) from None
    except Exception:  # skops raises whatever its parsers meet in a damaged archive
        raise InputError(
            f"{path}: not a segmenter model file (damaged, or another program's archive); save "
            "the model again with `segmenter segment` or the app's Export page"
        ) from None
    if not isinstance(state, dict) or state.get("format") != MODEL_FORMAT:
        raise InputError(f"{path}: a skops file, but not a segmenter model")
    if state.get("version") != MODEL_VERSION:
        raise InputError(
            f"{path}: a segmenter model of format version {state.get('version')!r}; this "
            f"program reads version {MODEL_VERSION}: segment the data again"
        )
    _check_schema(path, state.get("feature_columns"))
    return _model_from_state(path, state)


def _check_archive(path: Path, data: bytes) -> None:
    """Refuse what is not a zip archive, or one that would unpack to more than MAX_UNPACKED."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InputError(f"{path}: not a segmenter model file (not a skops archive)") from None
    if unpacked > MAX_UNPACKED:
        raise InputError(
            f"{path}: not a segmenter model file (it would unpack to {unpacked:,} bytes)"
        )


def _check_schema(path: Path, columns: object) -> None:
    """Refuse a model trained on columns other than this program's schema."""
    expected = list(FEATURE_COLUMNS)
    if columns == expected:
        return
    found = [str(c) for c in columns] if isinstance(columns, list | tuple) else []
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    parts = [f"missing {', '.join(missing)}"] if missing else []
    if extra:
        parts.append(f"extra {', '.join(extra[:5])}" + (" and more" if len(extra) > 5 else ""))
    detail = "; ".join(parts) or "the same columns in another order"
    raise InputError(
        f"{path}: a segmenter model trained on other columns ({detail}); "
        "segment the data again with this version"
    )


def _model_from_state(path: Path, state: dict[str, Any]) -> SegmentModel:
    """The model, once every part is of the kind and shape `save_model` writes."""
    problem = _state_problem(state)
    if problem is not None:
        raise InputError(f"{path}: a damaged segmenter model ({problem}); segment the data again")
    raw, segment_of_raw = state["raw_labels"].tolist(), state["segment_of_raw"].tolist()
    return SegmentModel(
        algorithm=str(state.get("algorithm")),
        pipeline=state["pipeline"],
        label_map=dict(zip(raw, segment_of_raw, strict=True)),
        names=dict(zip(state["segment_ids"].tolist(), state["segment_names"], strict=True)),
        centres=state["centres"],
    )


def _state_problem(state: dict[str, Any]) -> str | None:
    """What is wrong with the parts of a loaded model, or None."""
    pipeline, names = state.get("pipeline"), state.get("segment_names")
    n_features = len(FEATURE_COLUMNS)
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        return "its pipeline is not preprocessing followed by a clusterer"
    taken = getattr(pipeline[0], "n_features_in_", n_features)
    if taken != n_features:
        return f"its preprocessing takes {taken} columns, not {n_features}"
    arrays: list[Any] = [
        state.get(k) for k in ("raw_labels", "segment_of_raw", "segment_ids", "centres")
    ]
    if not all(isinstance(a, np.ndarray) for a in arrays):
        return "its labels or centres are not arrays"
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return "its segment names are not text"
    raw, segment_of_raw, ids, centres = arrays
    if not all(a.ndim == 1 and a.dtype.kind == "i" for a in (raw, segment_of_raw, ids)):
        return "its labels are not whole numbers"
    if raw.size != segment_of_raw.size or ids.size != len(names):
        return "its labels and names do not pair up"
    if not set(segment_of_raw.tolist()) <= {*ids.tolist(), NOISE}:
        return "it maps labels to segments it does not name"
    k = int(np.sum(ids >= 0))
    if centres.shape != (k, n_features) or centres.dtype.kind != "f":
        return f"its centres are not {k} rows of {n_features} numbers"
    if not np.isfinite(centres).all():
        return "its centres are not finite"
    return None
