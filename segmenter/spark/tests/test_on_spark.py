"""Everything that needs a Spark session, in one file: under `pytest -n 2 --dist loadfile` one
worker starts one JVM (conftest; two JVMs on two cores cost more than they overlap).
Validation against the single-machine report; a K-Means run on the bundled sample: the
profiles.json contract, its figures against the single-machine code on the same segments,
agreement with scikit-learn, determinism, the command line, `brief`, `score` and `compare`;
then 200,000 synthetic customers: agreement with one machine and every profile figure against
Polars, within what the run says of itself (medians approximate, the rest exact)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sklearn.metrics import adjusted_rand_score

from segmenter.cluster.features import fit_transform_features
from segmenter.errors import InputError
from segmenter.explain.profiles import build_profiles
from segmenter.ingest.read import load_customers
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.model.fitted import assignment_confidence
from segmenter.pipeline import run_segmentation
from segmenter.results import RunProfile
from segmenter.spark.profiles import MEDIAN_ACCURACY
from segmenter.spark.read import read_book
from segmenter.spark.run import SparkRun
from segmenter.spark.validate import validate_book
from segmenter.synthetic.generate import write_customers
from segmenter.workspace import (
    database_url_from_env,
    file_sha256,
    get_run,
    list_review_items,
    list_runs,
    open_workspace,
    shown_url,
    sqlite_url,
    verify,
)
from testkit.segmenter_fixtures import cli_code

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Measured on the bundled sample at k=4, seed 0: see the report in test_agrees_...
MIN_ARI_WITH_SCIKIT_LEARN = 0.9
BOOK_ROWS = 8_950  # the book: the bundled sample (conftest)


def _hostile(book: Path, path: Path, changes: dict[tuple[int, str], str | None]) -> Path:
    """The book's first 60 customers as text, with some cells changed, written as CSV."""
    frame = pl.read_parquet(book).head(60).cast(pl.String)
    for (row, name), value in changes.items():
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(name).alias(name)
        )
    frame.write_csv(path)
    return path


def test_findings_are_the_single_machine_findings_in_counts(
    spark: SparkSession, book: Path, tmp_path: Path
) -> None:
    changes: dict[tuple[int, str], str | None] = {
        (1, "BALANCE"): "n/a",  # missing, not "not a number"
        (2, "PURCHASES_TRX"): "abc",
        (3, "CASH_ADVANCE"): "-50",
        (4, "CASH_ADVANCE_FREQUENCY"): "1.25",  # kept: the public file has such values
        (5, "PURCHASES_FREQUENCY"): "1.2",  # clipped to 1
        (6, "TENURE"): "0",
        (7, "PAYMENTS"): "900000000",  # far above the column's typical value
        **{(8, name): None for name in FEATURE_COLUMNS},  # an empty row
        **{(9, name): None for name in FEATURE_COLUMNS[:10]},  # not a customer
    }
    path = _hostile(book, tmp_path / "hostile.csv", changes)
    rows = pl.read_csv(path, infer_schema=False)
    rows.vstack(rows.slice(20, 1)).write_csv(path)  # and an exact duplicate row
    clean, report = validate_book(read_book(spark, str(path)), source=str(path), fmt="csv")
    local = load_customers(path).report

    def counted(findings: list) -> set[tuple[str, str | None, int, str]]:  # type: ignore[type-arg]
        return {(f.issue, f.column, f.count, f.action) for f in findings}

    assert counted(report.findings) == counted(local.findings)
    assert {f.issue for f in report.findings} >= {
        "not_a_number", "negative", "out_of_range", "implausible", "empty_rows",
        "not_a_customer", "duplicate_rows", "missing",
    }  # fmt: skip
    assert (report.rows_read, report.rows_kept, report.missing) == (
        local.rows_read, local.rows_kept, local.missing,
    )  # fmt: skip
    assert clean.count() == local.rows_kept


def test_a_column_too_often_not_a_number_is_refused(
    spark: SparkSession, book: Path, tmp_path: Path
) -> None:
    path = _hostile(book, tmp_path / "bad.csv", {(i, "BALANCE"): "abc" for i in range(10)})
    with pytest.raises(InputError, match="column BALANCE: 10 of 60 values are not numbers"):
        validate_book(read_book(spark, str(path)), source=str(path), fmt="csv")


def test_a_money_column_scaled_as_a_whole_is_refused_as_on_one_machine(
    spark: SparkSession, book: Path, tmp_path: Path
) -> None:
    # Every credit limit times a million: the rule of segmenter.ingest.plausibility, on Spark's
    # approximate medians.
    limits = pl.read_parquet(book).head(60).get_column("CREDIT_LIMIT")
    changes = {(i, "CREDIT_LIMIT"): str(v * 1e6) for i, v in enumerate(limits) if v is not None}
    path = _hostile(book, tmp_path / "scaled.csv", changes)
    said = r"column CREDIT_LIMIT: its typical amount .* times larger than the other money columns"
    with pytest.raises(InputError, match=said):
        validate_book(read_book(spark, str(path)), source=str(path), fmt="csv")


def test_a_missing_column_and_an_unknown_table_are_one_sentence(
    spark: SparkSession, book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "short.csv"
    pl.read_parquet(book).head(5).drop("BALANCE").write_csv(path)
    with pytest.raises(InputError, match=r"missing 1 required column\(s\): BALANCE"):
        validate_book(read_book(spark, str(path)), source=str(path), fmt="csv")
    with pytest.raises(InputError, match="nor a table of that name in the session's catalog"):
        read_book(spark, "lake.no_such_cards")
    # On the command line: one line on stderr, exit 2, nothing written.
    capsys.readouterr()
    for book_path, said in ((path, "BALANCE"), ("lake.no_such_cards", "lake.no_such_cards")):
        out = tmp_path / "never"
        assert cli_code("segment", book_path, "--out", out, "--engine", "spark") == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith("error: ")
        assert said in err[-1]
        assert not out.exists()


def test_a_damaged_parquet_file_is_one_sentence_naming_it(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "damaged.parquet"
    path.write_bytes(b"PAR1" + b"not a footer" * 4 + b"PAR1")
    said = rf"^{re.escape(str(path))}: Spark could not read it as parquet: \[FAILED_READ_FILE"
    with pytest.raises(InputError, match=said):
        read_book(spark, str(path))


def test_a_book_without_ids_gets_row_number_ids_as_on_one_machine(
    spark: SparkSession, book: Path, tmp_path: Path
) -> None:
    path = tmp_path / "no-ids.csv"
    pl.read_parquet(book).head(6).drop(ID_COLUMN).write_csv(path)
    clean, report = validate_book(read_book(spark, str(path)), source=str(path), fmt="csv")
    local = load_customers(path)
    ids = sorted(row[ID_COLUMN] for row in clean.select(ID_COLUMN).collect())
    assert ids == sorted(local.frame.get_column(ID_COLUMN).to_list())
    assert ids == [f"row-{n}" for n in range(2, 8)]  # the header is row 1
    assert report.ids_generated
    assert [f.count for f in report.findings if f.issue == "generated_ids"] == [6]


def test_the_sample_does_not_depend_on_spark_s_partitions(spark: SparkSession, book: Path) -> None:
    from pyspark.sql import functions as F

    from segmenter.spark.fit import _draw_of

    ids = spark.read.parquet(str(book)).select(F.col(ID_COLUMN).cast("string").alias("id"))

    def draws(partitions: int, seed: int) -> dict[str, float]:
        drawn = ids.repartition(partitions).select("id", _draw_of(F.col("id"), seed).alias("u"))
        return {row["id"]: row["u"] for row in drawn.collect()}

    one, seven = draws(1, seed=0), draws(7, seed=0)
    assert one == seven  # F.rand(seed) would differ: it draws per partition
    assert draws(1, seed=1) != one
    values = np.array(list(one.values()))
    assert values.min() >= 0.0
    assert values.max() < 1.0
    assert abs(np.mean(values < 0.25) - 0.25) < 0.05  # uniform: a quarter fall below 0.25


def _assignments(out: Path) -> pl.DataFrame:
    """The run's Parquet assignments, one row per customer, by customer id."""
    found = pl.read_parquet(out / "assignments" / "**" / "*.parquet", hive_partitioning=True)
    columns = ("customer_id", pl.col("segment").cast(pl.Int64), "segment_name", "confidence")
    return found.select(*columns).sort("customer_id")


def _labelled(book: Path, out: Path) -> tuple[pl.DataFrame, np.ndarray]:
    """The book as one machine reads it, and the Spark run's segment of each customer."""
    frame = load_customers(book).frame.sort(ID_COLUMN)
    segments = _assignments(out)
    assert segments.get_column("customer_id").to_list() == frame.get_column(ID_COLUMN).to_list()
    return frame, segments.get_column("segment").to_numpy()


def test_profiles_json_is_the_run_profile_contract(kmeans_run: SparkRun, book: Path) -> None:
    profile = RunProfile.model_validate_json((kmeans_run.out_dir / "profiles.json").read_text())
    assert profile == kmeans_run.profile
    assert (profile.algorithm, profile.k, profile.seed, profile.n_customers) == (
        "kmeans",
        4,
        0,
        BOOK_ROWS,
    )
    sizes = [s.size for s in profile.segments]
    assert [s.id for s in profile.segments] == [0, 1, 2, 3]
    assert sizes == sorted(sizes, reverse=True)  # ids by size, largest first
    assert sum(sizes) == BOOK_ROWS
    assert sum(s.share for s in profile.segments) == pytest.approx(1.0, abs=1e-3)
    assert len({s.name for s in profile.segments}) == 4
    assert profile.metrics.silhouette is not None
    assert 0.1 < profile.metrics.silhouette < 0.5
    assert profile.metrics.stability_ari is not None
    assert "medians are approximate" in (profile.fit_note or "")
    for name in ("spark_model.json", "spark_model"):
        assert (kmeans_run.out_dir / name).exists()
    table = _assignments(kmeans_run.out_dir)
    counts = dict(table.group_by("segment").len().iter_rows())
    assert counts == {s.id: s.size for s in profile.segments}


def test_figures_match_the_single_machine_profiles_of_the_same_segments(
    kmeans_run: SparkRun, book: Path
) -> None:
    frame, labels = _labelled(book, kmeans_run.out_dir)
    expected = {s.id: s for s in build_profiles(frame, labels, seed=0)}
    for got in kmeans_run.profile.segments:
        want = expected[got.id]
        assert got.size == want.size
        assert got.purchase_type == want.purchase_type
        wanted = {s.feature: s for s in want.stats}
        assert [s.feature for s in got.stats] == list(wanted)
        for stat in got.stats:
            other = wanted[stat.feature]
            # Means and effect sizes are exact in Spark; rounding leaves the last digit.
            assert stat.mean == pytest.approx(other.mean, rel=1e-6, abs=1e-4), stat.feature
            assert stat.effect_size == pytest.approx(other.effect_size, abs=2e-3), stat.feature
            assert stat.population_mean == pytest.approx(other.population_mean, abs=1e-4)
        assert [d.feature for d in got.distinctions] == [d.feature for d in want.distinctions]


def test_medians_are_within_the_stated_approximation(kmeans_run: SparkRun, book: Path) -> None:
    frame, labels = _labelled(book, kmeans_run.out_dir)
    for segment in kmeans_run.profile.segments:
        rows = frame.filter(pl.Series(labels == segment.id))
        for stat in segment.stats:
            if stat.feature not in FEATURE_COLUMNS:
                continue
            values = rows.get_column(stat.feature).drop_nulls()
            # percentile_approx returns a value of the column whose rank is within n/10,000
            # of the middle: at 8,950 rows, one of the two middle values.
            low = values.quantile(0.5, interpolation="lower")
            high = values.quantile(0.5, interpolation="higher")
            assert low is not None
            assert high is not None
            assert low - 1e-4 <= stat.median <= high + 1e-4, (segment.id, stat.feature)


def test_confidence_is_the_single_machine_measure(kmeans_run: SparkRun, book: Path) -> None:
    frame, labels = _labelled(book, kmeans_run.out_dir)
    _, X = fit_transform_features(frame, seed=0)
    centres = np.array([X[labels == s].mean(axis=0) for s in range(4)])
    expected, _ = assignment_confidence(X, centres, labels)
    got = _assignments(kmeans_run.out_dir).get_column("confidence").to_numpy()
    # Both round to 4 decimals (Spark half up, NumPy half to even): one unit apart at most.
    # (Spark's approximate medians fill missing values; on 8,950 rows they are exact.)
    assert np.abs(got - expected).max() <= 1.5e-4
    assert got.min() >= 0.5  # K-Means: every customer is nearest their own segment's centre


def test_agrees_with_scikit_learn_kmeans_on_the_same_data_and_seed(
    kmeans_run: SparkRun, book: Path
) -> None:
    frame, labels = _labelled(book, kmeans_run.out_dir)
    local = run_segmentation(frame, algorithm="kmeans", k=4, seed=0)
    ari = adjusted_rand_score(local.labels, labels)
    print(f"ARI Spark vs scikit-learn K-Means, k=4, the bundled sample: {ari:.3f}")
    assert ari >= MIN_ARI_WITH_SCIKIT_LEARN


@dataclass(frozen=True)
class CliRun:
    """A run made by the command line: its folder, what it printed, its workspace folder."""

    out: Path
    printed: list[str]
    workspace: Path


@pytest.fixture(scope="module")
def csv_run(kmeans_run: SparkRun, book: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """The K-Means run again from the command line (same book and seed), its assignments as
    one CSV, recorded in a workspace of its own."""
    out = tmp_path_factory.mktemp("kmeans-csv-run")
    workspace = tmp_path_factory.mktemp("workspace")
    with pytest.MonkeyPatch.context() as patch:
        printed: list[str] = []
        patch.setattr(  # what the command prints on stdout; its progress on stderr is left out
            "typer.echo", lambda message="", err=False, **_: err or printed.append(str(message))
        )
        patch.setenv("SEGMENTER_WORKSPACE", str(workspace))
        patch.delenv("SEGMENTER_DATABASE_URL", raising=False)
        code = cli_code("segment", book, "--out", out, "--engine", "spark", "--k", "4",
                        "--seed", "0", "--assignments-csv")  # fmt: skip
    assert code == 0
    return CliRun(out, printed, workspace)


def test_the_same_seed_gives_the_same_segments_and_files(
    kmeans_run: SparkRun, csv_run: CliRun
) -> None:
    out, printed = csv_run.out, csv_run.printed
    again = RunProfile.model_validate_json((out / "profiles.json").read_text())
    assert again == kmeans_run.profile  # ids, names, sizes, every figure
    written = pl.read_csv(out / "assignments.csv", schema_overrides={"customer_id": pl.String})
    assert written.columns == ["customer_id", "segment", "segment_name", "confidence"]
    assert_frame_equal(written.sort("customer_id"), _assignments(kmeans_run.out_dir))
    headline = "K-Means: 4 segments of 8,950 customers (k set by hand), seed 0"
    assert any(line.startswith(headline) for line in printed)
    database = shown_url(sqlite_url(csv_run.workspace))
    assert printed[-1] == (
        f"wrote assignments.csv, profiles.json, spark_model/ and spark_model.json to {out}; "
        f"recorded as run 1 in {database} (without its assignments: they are not kept for "
        "Spark runs)"
    )


def test_a_spark_run_is_recorded_whole_and_briefed_for_review(
    kmeans_run: SparkRun,
    csv_run: CliRun,
    book: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEGMENTER_WORKSPACE", str(csv_run.workspace))
    monkeypatch.delenv("SEGMENTER_DATABASE_URL", raising=False)
    engine = open_workspace(database_url_from_env())
    (run,) = list_runs(engine)
    record = get_run(engine, run.id)
    assert (record.engine, record.source_sha256) == ("spark", file_sha256(book))
    assert (record.rows_read, record.rows_kept) == (BOOK_ROWS, BOOK_ROWS)
    assert record.assignments() is None  # they stay in the run's folder
    assert record.profiles.encode() == (csv_run.out / "profiles.json").read_bytes()
    with zipfile.ZipFile(io.BytesIO(record.model_bytes)) as archive:
        packed = {name: archive.read(name) for name in archive.namelist()}
    pipeline = [csv_run.out / "spark_model.json", *(csv_run.out / "spark_model").rglob("*")]
    assert packed == {  # Spark's own writer's files, byte for byte: the pipeline restores
        p.relative_to(csv_run.out).as_posix(): p.read_bytes() for p in pipeline if p.is_file()
    }
    # brief finds the run by its profiles, from either form of assignments (the Parquet
    # folder's run has the same profiles.json), and records its words for review.
    audiences = {}
    for name, run_dir in (("parquet", kmeans_run.out_dir), ("csv", csv_run.out)):
        out = tmp_path / name / "brief.md"
        capsys.readouterr()
        assert cli_code("brief", run_dir, "--out", out, "--offline") == 0
        said = capsys.readouterr().out.splitlines()[-1]
        assert re.fullmatch(
            rf"recorded with run {run.id}: \d+ personas and product suggestions, 0 approved "
            rf"\(`segmenter review {run.id}`\)",
            said,
        )
        text = out.read_text()
        assert f"Review them with `segmenter review {run.id}`" in text  # the DRAFT line's hint
        if run_dir == csv_run.out:  # the recorded run's folder: one model, one hash
            audit = json.loads((out.parent / "brief.json").read_text())["audit"]
            assert audit["segmentation_model_sha256"] == record.model_sha256
        assert "rule-based" in text
        for segment in kmeans_run.profile.segments:
            assert segment.name in text
        audiences[name] = {
            path.name: sorted(path.read_text(encoding="utf-8").splitlines())
            for path in (out.parent / "audiences").glob("*.csv")
        }
    assert audiences["parquet"] == audiences["csv"]
    assert len(audiences["parquet"]) == len(kmeans_run.profile.segments)
    items = list_review_items(engine, run.id)
    assert {i.segment_id for i in items} == {s.id for s in kmeans_run.profile.segments}
    assert {i.state for i in items} == {"draft"}
    assert verify(engine).ok
    engine.dispose()


def test_the_same_book_in_other_files_gives_the_same_segments(
    spark: SparkSession, kmeans_run: SparkRun, book: Path, tmp_path: Path
) -> None:
    # Seven files in another order: Spark reads them in other partitions than the one file.
    # Before the run put customers in a layout of their ids (fit.in_fixed_layout), one
    # customer of 8,950 changed segment here, and a Gaussian mixture's segments changed whole.
    from segmenter.spark.run import segment_on_spark

    parts = tmp_path / "parts"
    parts.mkdir()
    shuffled = pl.read_parquet(book).sample(fraction=1.0, shuffle=True, seed=3)
    for number, part in enumerate(shuffled.iter_slices(BOOK_ROWS // 7 + 1)):
        part.write_parquet(parts / f"part-{number}.parquet")
    out = tmp_path / "out"
    run = segment_on_spark(spark, str(parts), out, algorithm="kmeans", k=4, seed=0)
    assert run.profile == kmeans_run.profile  # ids, names, sizes, every figure
    assert_frame_equal(_assignments(out), _assignments(kmeans_run.out_dir))


def test_score_gives_the_run_s_customers_their_segments(
    kmeans_run: SparkRun, book: Path, tmp_path: Path
) -> None:
    new = tmp_path / "new.csv"
    customers = pl.read_parquet(book).sample(300, seed=1)
    customers.write_csv(new)
    scored = tmp_path / "scored.csv"
    code = cli_code("score", kmeans_run.out_dir, new, "--out", scored, "--engine", "spark")
    assert code == 0
    got = pl.read_csv(scored, schema_overrides={"customer_id": pl.String}).sort("customer_id")
    # The runner-up, as the single-machine measure finds it on the run's segments.
    frame, labels = _labelled(book, kmeans_run.out_dir)
    _, X = fit_transform_features(frame, seed=0)
    centres = np.array([X[labels == s].mean(axis=0) for s in range(4)])
    _, runner = assignment_confidence(X, centres, labels)
    names = {s.id: s.name for s in kmeans_run.profile.segments}
    runners = pl.DataFrame(
        {"customer_id": frame.get_column(ID_COLUMN), "runner_up": runner},
        schema_overrides={"runner_up": pl.Int64},
    ).with_columns(runner_up_name=pl.col("runner_up").replace_strict(names, return_dtype=pl.String))
    expected = _assignments(kmeans_run.out_dir).join(runners, on="customer_id")
    expected = expected.join(got.select("customer_id"), on="customer_id", how="semi")
    expected = expected.sort("customer_id")
    assert got.height == 300
    assert got.columns == [
        "customer_id", "segment", "segment_name", "confidence", "runner_up", "runner_up_name",
    ]  # fmt: skip
    assert (got.get_column("runner_up") != got.get_column("segment")).all()
    assert_frame_equal(got, expected)


def test_compare_on_the_command_line(spark: SparkSession, book: Path, tmp_path: Path) -> None:
    out = tmp_path / "compare"
    assert cli_code("compare", book, "--out", out, "--engine", "spark", "--k", "auto") == 0
    table = pl.read_csv(out / "comparison.csv")
    assert table.get_column("algorithm").sort().to_list() == ["gmm", "kmeans"]
    # k chosen on the sample Spark drew (here every customer) as one machine chooses it.
    local = run_segmentation(load_customers(book).frame, algorithm="kmeans", k=None, seed=0)
    assert table.get_column("k").to_list() == [local.profile.k] * 2
    assert local.profile.k == 3
    assert table.get_column("silhouette").is_between(0.0, 1.0).all()
    agreement = pl.read_csv(out / "agreement.csv")
    matrix = agreement.drop("algorithm").to_numpy()  # ARI of every pair, on the same sample
    assert np.allclose(np.diag(matrix), 1.0)
    assert np.allclose(matrix, matrix.T)


# 200,000 customers ---------------------------------------------------------------------------

LARGE_ROWS = 200_000


@dataclass(frozen=True)
class Book:
    """A book segmented by Spark: the book as one machine reads it, sorted by id, and the
    Spark run's profile and segment of each of those customers."""

    frame: pl.DataFrame
    profile: RunProfile
    labels: np.ndarray


def _book(path: Path, out: Path) -> Book:
    frame, labels = _labelled(path, out)
    profile = RunProfile.model_validate_json((out / "profiles.json").read_text())
    return Book(frame, profile, labels)


@pytest.fixture(scope="module")
def large_run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Book:
    """Spark's K-Means at k=4, seed 0, on 200,000 synthetic customers written as Parquet."""
    from segmenter.spark.run import segment_on_spark

    path = tmp_path_factory.mktemp("large") / "customers.parquet"
    write_customers(path, rows=LARGE_ROWS, seed=3)
    out = tmp_path_factory.mktemp("large-run")
    segment_on_spark(spark, str(path), out, algorithm="kmeans", k=4, seed=0)
    return _book(path, out)


def test_200k_agree_with_the_single_machine_k_means(large_run: Book) -> None:
    local = run_segmentation(large_run.frame, algorithm="kmeans", k=large_run.profile.k, seed=0)
    ari = adjusted_rand_score(local.labels, large_run.labels)
    print(
        f"ARI Spark vs one machine, k={large_run.profile.k}, {large_run.frame.height:,}: {ari:.3f}"
    )
    assert ari >= MIN_ARI_WITH_SCIKIT_LEARN  # measured: 0.983


def test_200k_sizes_and_figures_match_polars_on_the_same_segments(large_run: Book) -> None:
    expected = {s.id: s for s in build_profiles(large_run.frame, large_run.labels, seed=0)}
    assert large_run.profile.n_customers == large_run.frame.height
    for got in large_run.profile.segments:
        want = expected[got.id]
        assert (got.size, got.share, got.purchase_type) == (
            want.size,
            want.share,
            want.purchase_type,
        )
        wanted = {s.feature: s for s in want.stats}
        assert [s.feature for s in got.stats] == list(wanted)
        for stat in got.stats:  # means and effect sizes are exact in Spark: rounding aside
            other = wanted[stat.feature]
            assert stat.mean == pytest.approx(other.mean, rel=1e-6, abs=1e-4), stat.feature
            assert stat.population_mean == pytest.approx(other.population_mean, rel=1e-6, abs=1e-4)
            assert stat.effect_size == pytest.approx(other.effect_size, abs=2e-3), stat.feature
        assert [d.feature for d in got.distinctions] == [d.feature for d in want.distinctions]
        assert got.name == want.name


def test_200k_medians_are_within_the_stated_accuracy(large_run: Book) -> None:
    # percentile_approx at accuracy A returns a value of the column whose rank is within n/A
    # of the middle: the bounds are the exact quantiles that far either side.
    slack = 1 / MEDIAN_ACCURACY
    for segment in large_run.profile.segments:
        rows = large_run.frame.filter(pl.Series(large_run.labels == segment.id))
        for stat in segment.stats:
            if stat.feature not in FEATURE_COLUMNS:
                continue
            values = rows.get_column(stat.feature).drop_nulls()
            low = values.quantile(max(0.0, 0.5 - slack), interpolation="lower")
            high = values.quantile(min(1.0, 0.5 + slack), interpolation="higher")
            assert low is not None
            assert high is not None
            rounding = max(1e-4, 1e-6 * abs(high))
            assert low - rounding <= stat.median <= high + rounding, (segment.id, stat.feature)
