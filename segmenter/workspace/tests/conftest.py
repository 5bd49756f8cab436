"""Every workspace test runs twice: on a SQLite file and on a real PostgreSQL server (the root
conftest's `database_url`)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from segmenter.model.fitted import assignment_table
from segmenter.pipeline import Segmentation, run_segmentation
from segmenter.workspace import NewRun, new_run, open_workspace
from testkit.segmenter_fixtures import toy_frame


@pytest.fixture
def workspace(database_url: str) -> Iterator[Engine]:
    """A workspace opened (so migrated to head) on the test's database."""
    engine = open_workspace(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """A clock that ticks one second a call from 1 March 2026, 09:00:00.123456 UTC."""
    start = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    ticks = itertools.count()
    return lambda: start + timedelta(seconds=next(ticks))


@pytest.fixture(scope="session")
def segmentation() -> Segmentation:
    """A real run of 120 toy customers in three obvious groups, fitted once."""
    return run_segmentation(toy_frame(), k=3, seed=0, n_bootstraps=2)


@pytest.fixture(scope="session")
def toy_run(segmentation: Segmentation) -> NewRun:
    """That run, ready to record."""
    run = segmentation
    table = assignment_table(run.customer_ids, run.labels, run.model.names, run.confidence)
    return new_run(
        run.profile, run.model, table,
        source_name="toy.csv", source_sha256="ab" * 32, rows_read=121, rows_kept=120,
        settings={"algorithm": "kmeans", "k": 3, "seed": 0, "n_bootstraps": 2},
    )  # fmt: skip
