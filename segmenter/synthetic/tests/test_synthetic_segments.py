"""The bundled synthetic sample segments like the real file: the same four names at k=4."""

from __future__ import annotations

from pathlib import Path

from segmenter.ingest.read import load_customers
from segmenter.pipeline import run_segmentation
from testkit.paths import SAMPLE


def names(path: Path) -> set[str]:
    run = run_segmentation(load_customers(path).frame, algorithm="kmeans", k=4, seed=0)
    return {segment.name for segment in run.profile.segments}


def test_sample_and_real_file_get_the_same_four_segment_names(real_data_path: Path) -> None:
    real = names(real_data_path)
    assert len(real) == 4
    assert names(SAMPLE) == real
