"""Scoring uploaded customers with an uploaded model: bytes in, assignments and a summary out."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from segmenter.errors import InputError
from segmenter.model.fitted import SegmentModel, load_model

__all__ = ["model_from_bytes", "score_summary"]


def model_from_bytes(data: bytes, *, name: str) -> SegmentModel:
    """A model from an uploaded model.skops; errors name the upload, not a temporary file."""
    with tempfile.TemporaryDirectory(prefix="segmenter-model-") as tmp:
        path = Path(tmp) / "model.skops"
        path.write_bytes(data)
        try:
            return load_model(path)
        except InputError as error:
            raise InputError(str(error).replace(str(path), name)) from None


def score_summary(scored: pl.DataFrame) -> pl.DataFrame:
    """Customers per segment of a scored table, with their share and median confidence."""
    return (
        scored.group_by("segment", "segment_name")
        .agg(
            pl.len().alias("customers"),
            pl.col("confidence").median().alias("median_confidence"),
        )
        .with_columns(share=pl.col("customers") / pl.col("customers").sum())
        .sort(pl.col("segment") < 0, "segment")
        .select("segment", "segment_name", "customers", "share", "median_confidence")
    )
