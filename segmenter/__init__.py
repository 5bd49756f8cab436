"""Segment credit-card customers and explain each segment.

    >>> import segmenter
    >>> customers = segmenter.load_customers("CC_GENERAL.csv")
    >>> run = segmenter.segment(customers, seed=0)        # k chosen from 3 to 8, and why
    >>> [(s.id, s.name, s.size) for s in run.profile.segments]
    >>> scores = segmenter.score(run, segmenter.load_customers("new_customers.csv"))

The names below are the interface; every module under `segmenter` is internal and may change.
They load on first use, so `import segmenter` (and the command line's `--help`) stays quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from segmenter.api import compare, load_customers, load_model, save, score, segment
    from segmenter.comparison import ComparisonRun
    from segmenter.errors import InputError, SegmenterError
    from segmenter.ingest.quality import LoadedCustomers
    from segmenter.ingest.report import DataQualityReport, Finding
    from segmenter.model.fitted import SegmentModel
    from segmenter.pipeline import Segmentation
    from segmenter.results import KChoice, Metrics, RunProfile, SegmentProfile

__all__ = [
    "ComparisonRun",
    "DataQualityReport",
    "Finding",
    "InputError",
    "KChoice",
    "LoadedCustomers",
    "Metrics",
    "RunProfile",
    "SegmentModel",
    "SegmentProfile",
    "Segmentation",
    "SegmenterError",
    "compare",
    "load_customers",
    "load_model",
    "save",
    "score",
    "segment",
]

# Public name -> the module that defines it.
_HOMES = {
    "ComparisonRun": "segmenter.comparison",
    "DataQualityReport": "segmenter.ingest.report",
    "Finding": "segmenter.ingest.report",
    "InputError": "segmenter.errors",
    "KChoice": "segmenter.results",
    "LoadedCustomers": "segmenter.ingest.quality",
    "Metrics": "segmenter.results",
    "RunProfile": "segmenter.results",
    "SegmentModel": "segmenter.model.fitted",
    "SegmentProfile": "segmenter.results",
    "SegmenterError": "segmenter.errors",
    "Segmentation": "segmenter.pipeline",
    "compare": "segmenter.api",
    "load_customers": "segmenter.api",
    "load_model": "segmenter.api",
    "save": "segmenter.api",
    "score": "segmenter.api",
    "segment": "segmenter.api",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'segmenter' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
