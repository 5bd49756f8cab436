"""The algorithms' names for people, apart from the registry: reading them imports no
scikit-learn (the brief prints them without fitting anything)."""

from __future__ import annotations

import polars as pl

__all__ = ["TITLES", "algorithm_title", "with_titles"]

TITLES: dict[str, str] = {
    "kmeans": "K-Means",
    "agglomerative": "Agglomerative (Ward)",
    "gmm": "Gaussian mixture",
    "dbscan": "DBSCAN",
    "spectral": "Spectral",
    "birch": "BIRCH",
    "hdbscan": "HDBSCAN",
}


def algorithm_title(name: str) -> str:
    """An algorithm's name for people ("kmeans" -> "K-Means"); an unknown name as it is."""
    return TITLES.get(name, name)


def with_titles(table: pl.DataFrame) -> pl.DataFrame:
    """A comparison table for people: algorithm names in the `algorithm` column and in column
    headings (the agreement matrix) replaced by their titles."""
    if "algorithm" in table.columns:
        table = table.with_columns(pl.col("algorithm").replace(TITLES))
    return table.rename(lambda name: TITLES.get(name, name))
