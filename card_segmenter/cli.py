"""The `segmenter` command line: thin commands over the package; bad input exits 2 with one line."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from segmenter.errors import InputError

if TYPE_CHECKING:  # imported where used: start-up stays quick (test_cli_startup)
    from sqlalchemy import Engine

    from narratives.brief import Brief
    from narratives.personas import PersonaWriter
    from narratives.review import ReviewLookup
    from narratives.shelf import Shelf
    from segmenter.ingest.quality import CarriedColumns, LoadedCustomers
    from segmenter.pipeline import Segmentation
    from segmenter.refresh.run import PreviousRun, Refresh
    from segmenter.spark.commands import SparkCommand
    from segmenter.spark.run import SparkRun
    from segmenter.streaming import StreamedRun
    from segmenter.workspace import RunSummary

__all__ = ["app", "main"]

app = typer.Typer(
    name="segmenter",
    help="Segment credit-card customers and describe each segment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_DEBUG = False
# The user's names for the product's columns: repeatable `--map` pairs and a `--columns` file.
MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Map one of your columns to the product's: 'YOUR NAME=CANONICAL_NAME' (repeatable).",
    ),
]
ColumnsOption = Annotated[
    Path | None,
    typer.Option(
        "--columns",
        # "\\[" keeps rich from reading [columns] as markup and printing nothing.
        help='A TOML file mapping your columns: \\[columns] then "YOUR NAME" = "BALANCE".',
    ),
]
# Where a command runs: this machine, or Apache Spark (segmenter.spark).
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="local (this machine) or spark (Apache Spark, where FILE may also be a Parquet "
        "folder or a catalog table; needs card-segmenter\\[spark] and Java 17+).",
    ),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="With --engine spark: the cluster to connect to (spark://HOST:7077, yarn, "
        "k8s://...); a local session (local[*]) without it.",
    ),
]
SparkConfOption = Annotated[
    list[str] | None,
    typer.Option(
        "--spark-conf",
        help="With --engine spark: a Spark setting KEY=VALUE (repeatable; after those in "
        "SEGMENTER_SPARK_CONF).",
    ),
]


def _on_spark(engine: str, master: str | None, conf: list[str] | None, *, csv: bool) -> bool:
    """Whether the command runs on Spark; Spark's own options are refused without it."""
    if engine not in ("local", "spark"):
        raise InputError(f"--engine {engine!r}: choose local or spark")
    if engine == "local" and (master is not None or conf or csv):
        raise InputError(
            "--spark-master, --spark-conf and --assignments-csv go with --engine spark"
        )
    return engine == "spark"


def _spark_command(master: str | None, conf: list[str] | None) -> SparkCommand:
    """Spark's settings from the options and the environment (read here, at the edge)."""
    import os

    from segmenter.spark.commands import SparkCommand

    return SparkCommand(
        master=master, conf=conf or [], environ=dict(os.environ), progress=_stderr_progress()
    )


def _column_map(pairs: list[str] | None, columns_file: Path | None) -> dict[str, str] | None:
    """The file's map, then each --map on top of it; None when neither is given."""
    from segmenter.ingest.mapping import parse_map, read_column_map

    if not pairs and columns_file is None:
        return None
    mapping = read_column_map(columns_file) if columns_file is not None else {}
    return mapping | parse_map(pairs or [])


def _carried(
    customers: Path | None,
    keep: list[str],
    pairs: list[str] | None,
    columns_file: Path | None,
) -> CarriedColumns | None:
    """The extra columns of the customer file to carry into the audiences, read as the run's
    customers were (the same column map); None when none are asked for."""
    if customers is None:
        if keep or pairs or columns_file is not None:
            raise InputError(
                "--carry, --consent, --map and --columns take columns of the customer file: "
                "give it with --customers FILE"
            )
        return None
    from segmenter.ingest.limits import limits_from_env
    from segmenter.ingest.read import load_customers

    columns = _column_map(pairs, columns_file)
    return load_customers(customers, columns=columns, limits=limits_from_env(), keep=keep).carried


def _workspace() -> Engine:
    """The workspace database, opened and migrated (SEGMENTER_DATABASE_URL, or a SQLite file
    in SEGMENTER_WORKSPACE or the user's data folder); an InputError when it cannot be."""
    from segmenter.workspace import database_url_from_env, open_workspace

    return open_workspace(database_url_from_env())


def _record_run(
    engine: Engine,
    run: Segmentation,
    loaded: LoadedCustomers,
    file: Path,
    settings: dict[str, Any],
    previous_run_id: int | None,
    refresh: Refresh | None,
) -> str:
    """Record a run written by `segment`, with its refresh report when it is a refresh of a
    recorded run (one transaction: all or nothing); what to say."""
    import getpass

    from segmenter.refresh.run import record_fitted
    from segmenter.workspace import file_sha256, shown_url

    run_id = record_fitted(
        engine, run, source_name=str(file), source_sha256=file_sha256(file),
        rows_read=loaded.report.rows_read, rows_kept=loaded.report.rows_kept, settings=settings,
        actor=getpass.getuser(), previous_run_id=previous_run_id, refresh=refresh,
    )  # fmt: skip
    if previous_run_id is not None:
        of = f" (a refresh of run {previous_run_id})"
    elif refresh is not None:
        of = " (its previous run is not in the workspace: recorded as a run of its own)"
    else:
        of = ""
    return f"recorded as run {run_id}{of} in {shown_url(engine.url)}"


def _record_streamed(
    engine: Engine, out: Path, file: Path, streamed: StreamedRun, settings: dict[str, Any]
) -> str:
    """Record a streamed run from its folder, without its assignments; what to say."""
    import getpass

    from segmenter.workspace import file_sha256, new_run_from_dir, record_run, shown_url

    record = new_run_from_dir(
        out, source_name=str(file), source_sha256=file_sha256(file),
        rows_read=streamed.rows_read, rows_kept=streamed.rows_assigned, settings=settings,
        keep_assignments=False,  # millions of rows: they stay in assignments.csv
    )  # fmt: skip
    run_id = record_run(engine, record, actor=getpass.getuser())
    return (
        f"recorded as run {run_id} in {shown_url(engine.url)} (without its assignments: they "
        "are not kept for streamed runs)"
    )


def _remove_spark_outputs(out: Path) -> None:
    """What a Spark run wrote in `out` and a run on one machine does not replace: its pipeline
    and manifest, its Parquet assignments. Left, they would be read as this run's."""
    import shutil

    from segmenter.spark.model import MANIFEST_FILE, MODEL_DIR
    from segmenter.spark.output import ASSIGNMENTS_DIR

    (out / MANIFEST_FILE).unlink(missing_ok=True)
    for folder in (MODEL_DIR, ASSIGNMENTS_DIR):
        shutil.rmtree(out / folder, ignore_errors=True)


def _record_spark(engine: Engine, run: SparkRun, source: str, settings: dict[str, Any]) -> str:
    """Record a Spark run from its folder, without its assignments; what to say. A book that
    is not a file or folder here (a catalog table, a cluster's URI) is not recorded: the
    workspace keeps the sha256 of the book a run read."""
    import getpass
    from urllib.parse import unquote, urlparse

    from segmenter.workspace import new_run_from_dir, path_sha256, record_run, shown_url

    uri = urlparse(source)
    book = Path(unquote(uri.path)) if uri.scheme == "file" else Path(source)
    if not book.exists():
        return (
            f"not recorded in the workspace: {source} is not a file or folder on this machine, "
            "and the workspace records a run with the sha256 of the book it read"
        )
    record = new_run_from_dir(
        run.out_dir, source_name=source, source_sha256=path_sha256(book),
        rows_read=run.report.rows_read, rows_kept=run.report.rows_kept, settings=settings,
        engine="spark",
    )  # fmt: skip
    run_id = record_run(engine, record, actor=getpass.getuser())
    return (
        f"recorded as run {run_id} in {shown_url(engine.url)} (without its assignments: they "
        "are not kept for Spark runs)"
    )


def _previous(engine: Engine, previous: str, out: Path) -> PreviousRun:
    """--previous: a run of the workspace (its id, or "latest"), else last month's folder."""
    from segmenter.refresh.run import LATEST, read_previous, recorded_previous

    if previous == LATEST or (previous.isascii() and previous.isdigit()):
        return recorded_previous(engine, previous)
    folder = Path(previous)
    if folder.resolve() == out.resolve():
        raise InputError(f"--out {out}: write this month's run beside last month's, not over it")
    return read_previous(folder)


def _previous_run_id(engine: Engine, last: PreviousRun | None) -> int | None:
    """The recorded run a refresh refreshes: its own id, or for a folder the run recorded with
    the folder's profiles.json; None when there is none."""
    from segmenter.workspace import file_sha256, run_for_profiles

    if last is None or last.run_id is not None:
        return None if last is None else last.run_id
    found = run_for_profiles(engine, file_sha256(Path(last.source) / "profiles.json"))
    return found.id if found else None


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of failures.")] = False,
    vocabulary: Annotated[
        Path | None,
        typer.Option(
            "--vocabulary",
            envvar="SEGMENTER_VOCABULARY",
            help="The bank's own vocabulary (TOML: segment names, persona titles, needs, "
            "units) instead of the packaged one; give it to segment and brief alike.",
        ),
    ] = None,
) -> None:
    global _DEBUG
    _DEBUG = debug
    if vocabulary is not None:
        from segmenter.explain.vocabulary import use_vocabulary

        use_vocabulary(vocabulary)


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="CSV, Parquet or Excel file of card holders.")],
    map_pairs: MapOption = None,
    columns_file: ColumnsOption = None,
) -> None:
    """Check a file and print its data-quality report; exit 2 when it cannot be used."""
    from segmenter.ingest.batches import too_large_for_memory, validate_in_batches
    from segmenter.ingest.limits import limits_from_env
    from segmenter.ingest.read import load_customers

    limits = limits_from_env()
    columns = _column_map(map_pairs, columns_file)
    if too_large_for_memory(file, limits=limits):  # as `segment` would: batch by batch
        report = validate_in_batches(file, columns=columns, limits=limits)
    else:
        report = load_customers(file, columns=columns, limits=limits).report
    typer.echo(report.render())


def _stderr_progress() -> Callable[[str], None]:
    """Progress lines on stderr, each with the seconds elapsed since the command started."""
    started = time.perf_counter()

    def report(message: str) -> None:
        typer.echo(f"[{time.perf_counter() - started:6.1f}s] {message}", err=True)

    return report


def _check_seed(seed: int) -> None:
    if not 0 <= seed < 2**32:
        raise InputError(f"--seed must be a whole number from 0 to {2**32 - 1}, not {seed}")


def _segment_on_spark(
    file: Path,
    out: Path,
    *,
    algorithm: str,
    k: str,
    seed: int,
    stream: bool,
    previous: str | None,
    columns: dict[str, str] | None,
    csv: bool,
    command: SparkCommand,
) -> None:
    """`segment --engine spark`: the run folder written by Spark (segmenter.spark)."""
    from segmenter.pipeline import parse_k
    from segmenter.spark.commands import segment_command
    from segmenter.spark.read import as_source

    if stream or previous is not None:
        raise InputError("--stream and --previous work on one machine, not with --engine spark")
    n_segments = parse_k(k)
    _check_seed(seed)
    workspace = _workspace()  # an unreachable database is refused before the long part
    source = as_source(file)
    settings = {"algorithm": algorithm, "k": k, "seed": seed, "columns": columns or {}}
    lines = segment_command(
        source, out, algorithm=algorithm, k=n_segments, seed=seed, columns=columns, csv=csv,
        command=command, record=lambda run: _record_spark(workspace, run, source, settings),
    )  # fmt: skip
    for line in lines:
        typer.echo(line)


@app.command()
def segment(
    file: Annotated[Path, typer.Argument(help="CSV, Parquet or Excel file of card holders.")],
    out: Annotated[
        Path,
        typer.Option("--out", help="Directory for assignments.csv, profiles.json, model.skops."),
    ],
    algorithm: Annotated[
        str,
        typer.Option(
            "--algorithm",
            help="kmeans, agglomerative, gmm, dbscan, spectral, birch or hdbscan.",
        ),
    ] = "kmeans",
    k: Annotated[
        str, typer.Option("--k", help="Number of segments, or 'auto' to choose one from 3 to 8.")
    ] = "auto",
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same files.")] = 0,
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="Read a Parquet file in batches, fitting on a sample of 1,000,000 "
            "(automatic above 20,000,000 rows, SEGMENTER_MAX_CELLS cells or a "
            "SEGMENTER_MAX_TABLE_MB table).",
        ),
    ] = False,
    map_pairs: MapOption = None,
    columns_file: ColumnsOption = None,
    previous: Annotated[
        str | None,
        typer.Option(
            "--previous",
            help="Last month's run: its run id in the workspace, 'latest' (the run recorded "
            "last) or its folder (./12 for a folder named 12). Keep its segment ids and names "
            "where segments match, and write refresh.json, migration.csv and drift.csv.",
        ),
    ] = None,
    engine: EngineOption = "local",
    spark_master: SparkMasterOption = None,
    spark_conf: SparkConfOption = None,
    assignments_csv: Annotated[
        bool,
        typer.Option(
            "--assignments-csv",
            help="With --engine spark: write assignments.csv (one spreadsheet-safe file) "
            "instead of the partitioned Parquet folder assignments/.",
        ),
    ] = False,
) -> None:
    """Segment customers: write assignments.csv, profiles.json and model.skops into DIR."""
    if _on_spark(engine, spark_master, spark_conf, csv=assignments_csv):
        _segment_on_spark(
            file, out, algorithm=algorithm, k=k, seed=seed, stream=stream, previous=previous,
            columns=_column_map(map_pairs, columns_file), csv=assignments_csv,
            command=_spark_command(spark_master, spark_conf),
        )  # fmt: skip
        return
    from segmenter.cluster.algorithms import get_algorithm
    from segmenter.explain.summary import segment_lines
    from segmenter.files import Content
    from segmenter.ingest.limits import limits_from_env
    from segmenter.ingest.read import load_customers
    from segmenter.model.fitted import preload_skops
    from segmenter.pipeline import parse_k, run_segmentation, write_segmentation
    from segmenter.refresh.run import (
        REFRESH_FILE,
        REFRESH_FILES,
        refresh_files,
        refresh_lines,
        refresh_run,
    )
    from segmenter.streaming import parquet_rows, segment_streaming, too_large_for_memory

    method = get_algorithm(algorithm)  # refuse bad options before reading the file
    n_segments = parse_k(k)
    _check_seed(seed)
    limits = limits_from_env()
    columns = _column_map(map_pairs, columns_file)
    preload_skops()  # model.skops is written last: import skops meanwhile
    progress = _stderr_progress()  # first used once the input is known to be usable
    rows = parquet_rows(file)
    if stream and rows is None:
        raise InputError(f"{file}: --stream reads Parquet files only")
    streamed = stream or too_large_for_memory(file, limits=limits)
    if streamed and previous is not None:
        raise InputError(
            f"{file}: --previous works on books read in memory, not streamed in batches"
        )
    workspace = _workspace()  # an unreachable database is refused before the long part
    last = _previous(workspace, previous, out) if previous is not None else None  # so is this
    settings = {"algorithm": algorithm, "k": k, "seed": seed, "columns": columns or {}}
    if streamed:
        done = segment_streaming(
            file,
            out,
            algorithm=algorithm,
            k=n_segments,
            seed=seed,
            progress=progress,
            columns=columns,
            limits=limits,
        )
        profile = done.profile
    else:
        loaded = load_customers(file, columns=columns, limits=limits)
        frame = loaded.frame
        run = run_segmentation(
            frame, algorithm=algorithm, k=n_segments, seed=seed, progress=progress,
            source=str(file),
        )  # fmt: skip
        extra: dict[str, Content] = {}
        if last is not None:
            progress(f"matching the segments to {last.source}")
            run, refresh, moved = refresh_run(run, frame, last)
            extra |= refresh_files(refresh, moved)
        progress(f"writing {out}")
        write_segmentation(run, out, extra=extra)
        profile = run.profile
        found = refresh if last is not None else None
    for stale in REFRESH_FILES:  # what an earlier refresh wrote here no longer holds
        if last is None:
            (out / stale).unlink(missing_ok=True)
    _remove_spark_outputs(out)
    if streamed:  # recorded last: a run in the workspace has its whole folder written
        recorded = _record_streamed(workspace, out, file, done, settings | {"stream": True})
    else:
        last_id = _previous_run_id(workspace, last)
        recorded = _record_run(workspace, run, loaded, file, settings, last_id, found)
    for line in segment_lines(profile, method=method):
        typer.echo(line)
    if last is not None:
        for line in refresh_lines(refresh):
            typer.echo(line)
    files = ["assignments.csv", "profiles.json", "model.skops", "book.json"]
    if last is not None:
        files += [REFRESH_FILE, "migration.csv"] + (["drift.csv"] if refresh.drift else [])
    typer.echo(f"wrote {', '.join(files[:-1])} and {files[-1]} to {out}; {recorded}")


@app.command()
def compare(
    file: Annotated[Path, typer.Argument(help="CSV, Parquet or Excel file of card holders.")],
    out: Annotated[
        Path, typer.Option("--out", help="Directory for comparison.csv and agreement.csv.")
    ],
    k: Annotated[
        str, typer.Option("--k", help="Number of segments, or 'auto' to choose it with K-Means.")
    ] = "auto",
    map_pairs: MapOption = None,
    columns_file: ColumnsOption = None,
    engine: EngineOption = "local",
    spark_master: SparkMasterOption = None,
    spark_conf: SparkConfOption = None,
) -> None:
    """Run every algorithm at one k: write comparison.csv and agreement.csv into DIR."""
    if _on_spark(engine, spark_master, spark_conf, csv=False):
        from segmenter.pipeline import parse_k
        from segmenter.spark.commands import compare_command
        from segmenter.spark.read import as_source

        for line in compare_command(
            as_source(file), out, k=parse_k(k), columns=_column_map(map_pairs, columns_file),
            command=_spark_command(spark_master, spark_conf),
        ):  # fmt: skip
            typer.echo(line)
        return
    from segmenter.comparison import run_comparison, write_comparison
    from segmenter.ingest.limits import limits_from_env
    from segmenter.ingest.read import load_customers
    from segmenter.pipeline import parse_k

    n_segments = parse_k(k)
    progress = _stderr_progress()
    columns = _column_map(map_pairs, columns_file)
    frame = load_customers(file, columns=columns, limits=limits_from_env()).frame
    run = run_comparison(frame, k=n_segments, progress=progress, source=str(file))
    write_comparison(run, out)
    if run.note:
        typer.echo(run.note)
    if run.k_selection:
        typer.echo(run.k_selection.explanation)
    typer.echo(run.table().write_csv(), nl=False)
    typer.echo(f"wrote comparison.csv and agreement.csv to {out}")


@app.command()
def score(
    model: Annotated[Path, typer.Argument(help="model.skops written by `segmenter segment`.")],
    file: Annotated[Path, typer.Argument(help="CSV, Parquet or Excel file of card holders.")],
    out: Annotated[Path, typer.Option("--out", help="Assignments to write: .csv or .parquet.")],
    map_pairs: MapOption = None,
    columns_file: ColumnsOption = None,
    engine: EngineOption = "local",
    spark_master: SparkMasterOption = None,
    spark_conf: SparkConfOption = None,
) -> None:
    """Give new customers a segment, its name, a confidence and the runner-up segment."""
    if _on_spark(engine, spark_master, spark_conf, csv=False):  # MODEL: a Spark run's folder
        from segmenter.spark.commands import score_command
        from segmenter.spark.read import as_source

        for line in score_command(
            model, as_source(file), out, columns=_column_map(map_pairs, columns_file),
            command=_spark_command(spark_master, spark_conf),
        ):  # fmt: skip
            typer.echo(line)
        return
    from threadpoolctl import threadpool_limits

    from segmenter.files import atomic_write, write_csv
    from segmenter.ingest.limits import limits_from_env
    from segmenter.ingest.read import load_customers
    from segmenter.model.fitted import load_model
    from segmenter.model.fitted import score as score_customers

    if out.suffix.lower() not in (".csv", ".parquet"):
        raise InputError(f"--out {out}: write a .csv or a .parquet file")
    saved = load_model(model)
    progress = _stderr_progress()
    columns = _column_map(map_pairs, columns_file)
    frame = load_customers(file, columns=columns, limits=limits_from_env()).frame
    progress(f"scoring {frame.height:,} customers")
    with threadpool_limits(limits=1):
        table = score_customers(saved, frame)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        with atomic_write(out) as sink:
            table.write_parquet(sink)
    else:
        write_csv(table, out)  # atomic and spreadsheet-safe
    typer.echo(f"scored {table.height:,} customers with {saved.algorithm}; wrote {out}")


@app.command()
def explain(
    model: Annotated[Path, typer.Argument(help="model.skops written by `segmenter segment`.")],
    file: Annotated[Path, typer.Argument(help="CSV, Parquet or Excel file holding the customer.")],
    customer: Annotated[str, typer.Option("--customer", help="The customer's id in FILE.")],
    to: Annotated[
        int | None,
        typer.Option("--to", help="The segment to move to; every other segment when left out."),
    ] = None,
    map_pairs: MapOption = None,
    columns_file: ColumnsOption = None,
) -> None:
    """Say which segment a customer is in, and the smallest changes in their own card use
    that the model would assign to another segment."""
    from segmenter.explain.customer import find_customer
    from segmenter.ingest.limits import limits_from_env
    from segmenter.ingest.read import load_customers
    from segmenter.model.fitted import load_model
    from segmenter.model.fitted import score as score_customers
    from segmenter.model.moves import MOVE_NOTE, NoMove, move_to_segment
    from segmenter.spark.model import MANIFEST_FILE

    folder = model if model.is_dir() else model.parent
    if (folder / MANIFEST_FILE).is_file() and not (model.is_file() and model.suffix == ".skops"):
        raise InputError(
            f"{model}: moves need the single-machine model (model.skops), and a Spark run has "
            "none; segment the file without --engine spark to get one"
        )
    saved = load_model(model)
    columns = _column_map(map_pairs, columns_file)
    frame = load_customers(file, columns=columns, limits=limits_from_env()).frame
    row = find_customer(frame, customer, source=str(file))
    now = score_customers(saved, row).row(0, named=True)
    typer.echo(f"{now['customer_id']} is in {_placed(now)}.")
    targets = [to] if to is not None else sorted(s for s in saved.names if s >= 0)
    for target in targets:
        if to is None and target == now["segment"]:
            continue
        try:
            move = move_to_segment(saved, row, target)
        except NoMove as error:
            if to is not None:
                raise
            typer.echo(f"To segment {target}, {saved.names[target]}: {error}.")
            continue
        typer.echo(f"To segment {target}, {move.target_name}: {move.sentence}")
        after = score_customers(saved, move.moved_frame()).row(0, named=True)
        typer.echo(f"  With these figures the model places them in {_placed(after)}.")
    typer.echo(MOVE_NOTE)


def _placed(scored: dict[str, Any]) -> str:
    """Where `score` put a customer: "segment 3, Dormant (confidence 0.62; runner-up 2, X)"."""
    if scored["segment"] == -1:
        return f"no segment ({scored['segment_name']}: this method leaves them out)"
    extra = []
    if scored["confidence"] is not None:
        extra.append(f"confidence {scored['confidence']:.2f}")
    if scored["runner_up"] is not None:
        extra.append(f"runner-up {scored['runner_up']}, {scored['runner_up_name']}")
    where = f"segment {scored['segment']}, {scored['segment_name']}"
    return where + (f" ({'; '.join(extra)})" if extra else "")


@app.command()
def sample(
    rows: Annotated[int, typer.Option("--rows", help="How many customers to make.")],
    out: Annotated[Path, typer.Option("--out", help="File to write: .csv or .parquet.")],
    seed: Annotated[
        int, typer.Option("--seed", help="Seed: the same seed gives the same file.")
    ] = 0,
) -> None:
    """Write synthetic customers in the CC GENERAL schema, calibrated on the real file."""
    from segmenter.synthetic.generate import write_customers

    write_customers(out, rows=rows, seed=seed)
    typer.echo(f"wrote {rows:,} synthetic customers (seed {seed}) to {out}")


@app.command()
def brief(
    run_dir: Annotated[Path, typer.Argument(help="Directory written by `segmenter segment`.")],
    out: Annotated[Path, typer.Option("--out", help="Brief to write: a .md or .html file.")],
    offline: Annotated[
        bool, typer.Option("--offline", help="Rule-based narratives only; no LLM is called.")
    ] = False,
    shelf_file: Annotated[
        Path | None,
        typer.Option(
            "--shelf",
            envvar="SEGMENTER_SHELF",
            help="The bank's own product shelf (TOML) instead of the packaged example.",
        ),
    ] = None,
    prompts: Annotated[
        Path | None,
        typer.Option(
            "--prompts",
            envvar="SEGMENTER_PROMPTS",
            help="A folder of .j2 templates that replace the packaged ones of the same name.",
        ),
    ] = None,
    customers: Annotated[
        Path | None,
        typer.Option(
            "--customers",
            help="The customer file the run was segmented from, for --carry and --consent.",
        ),
    ] = None,
    carry: Annotated[
        list[str] | None,
        typer.Option(
            "--carry",
            help="An extra column of --customers (e.g. email, region) to carry into the "
            "audience files (repeatable).",
        ),
    ] = None,
    consent: Annotated[
        str | None,
        typer.Option(
            "--consent",
            help="A yes/no marketing-consent column of --customers: audiences of segments "
            "offered products that need consent keep only customers with yes.",
        ),
    ] = None,
    map_pairs: MapOption = None,
    columns_file: ColumnsOption = None,
    segment: Annotated[
        int | None,
        typer.Option(
            "--segment",
            help="One segment's campaign pack instead of the brief: --out pack.pdf or "
            "pack.html, with pack-audience.csv beside it.",
        ),
    ] = None,
) -> None:
    """Write personas, products and a campaign brief, with brief.json and audiences/ beside it;
    with --segment, that segment's campaign pack for marketers and its audience file."""
    from narratives.brief import write_brief
    from narratives.config import build_writer, settings_from_env
    from narratives.llm import OpenAIWriter
    from narratives.shelf import DEFAULT_SHELF, load_shelf
    from narratives.templates import use_prompt_folder
    from narratives.usage import cost_text

    workspace = _workspace()
    keep = [*(carry or []), *([consent] if consent else [])]
    carried = _carried(customers, keep, map_pairs, columns_file)  # before any LLM call
    shelf = load_shelf(shelf_file or DEFAULT_SHELF)
    use_prompt_folder(prompts)
    settings = settings_from_env()
    writer = build_writer(
        settings, shelf=shelf, offline=offline, cache_dir=out.parent / "llm-cache"
    )
    if isinstance(writer, OpenAIWriter):  # a line on stderr as each segment's answer is checked
        progress = _stderr_progress()
        writer.on_persona = lambda p: progress(
            f"segment {p.segment_id}: "
            + ("written by the model" if p.source == "llm" else "rule-based")
            + f" ({p.tokens_in:,} tokens in, {p.tokens_out:,} out)"
        )
    found = _recorded_run(workspace, run_dir)
    lookup = _review_lookup(workspace, found)
    if segment is not None:
        _pack(
            run_dir, out, segment, writer=writer, shelf=shelf, carried=carried, consent=consent,
            workspace=workspace, found=found,
        )  # fmt: skip
        return
    done = write_brief(
        run_dir,
        out,
        writer=writer,
        shelf=shelf,
        price=settings.price,
        carried=carried,
        consent=consent,
        review=lookup,
        review_run=found.id if found else None,
    )
    typer.echo(f"Narratives: {done.narratives}")
    if done.audit.llm_estimated_cost is not None:
        cost = cost_text(done.audit.llm_estimated_cost, done.audit.llm_cost_currency or "")
        typer.echo(f"Estimated LLM cost: {cost} (at {done.audit.llm_price})")
    if done.narratives_note:
        typer.echo(done.narratives_note)
    for section in done.fallbacks:
        reason = section.persona.fallback_reason
        typer.echo(f"segment {section.segment.id}: rule-based persona ({reason})")
    for section in done.sections:
        if section.audience_left_out:
            typer.echo(
                f"segment {section.segment.id}: {section.audience_left_out:,} customers without "
                f"marketing consent ({consent}) left out of its audience"
            )
    if done.draft:
        typer.echo(done.draft)
    typer.echo(f"wrote {out}, {out.parent / 'brief.json'} and {out.parent / 'audiences'}")
    typer.echo(_record_brief(workspace, found, done, out) if found else NOT_RECORDED)


NOT_RECORDED = (
    "not recorded in the workspace: its run is not there (segment the file again to record the run)"
)


def _recorded_run(engine: Engine, run_dir: Path) -> RunSummary | None:
    """The workspace's run a run folder holds: the one recorded with its profiles.json."""
    from segmenter.workspace import file_sha256, run_for_profiles

    profiles = run_dir / "profiles.json"
    return run_for_profiles(engine, file_sha256(profiles)) if profiles.is_file() else None


def _review_lookup(engine: Engine, found: RunSummary | None) -> ReviewLookup | None:
    """The decisions already made on a brief's words, in the run it is written from."""
    from segmenter.workspace import decisions

    if found is None:
        return None
    return lambda items: decisions(engine, found.id, ((i.item_key, i.text) for i in items))


def _record_brief(engine: Engine, found: RunSummary, done: Brief, out: Path) -> str:
    """Record a written brief and its review items with the run it was written from."""
    import getpass

    from narratives.recording import brief_document
    from segmenter.workspace import record_document

    document = brief_document(
        done, kind=f"brief{out.suffix.lower()}", content=out.read_text(encoding="utf-8")
    )
    record_document(engine, found.id, document, actor=getpass.getuser())
    states = [r.state for s in done.sections for r in s.review]
    approved = states.count("approved")
    return (
        f"recorded with run {found.id}: {len(states)} personas and product suggestions, "
        f"{approved} approved (`segmenter review {found.id}`)"
    )


def _pack(
    run_dir: Path,
    out: Path,
    segment: int,
    *,
    writer: PersonaWriter,
    shelf: Shelf,
    carried: CarriedColumns | None,
    consent: str | None,
    workspace: Engine,
    found: RunSummary | None,
) -> None:
    """`segmenter brief --segment ID`: one segment's campaign pack and its audience file,
    recorded as an export of its run."""
    import getpass

    from narratives.pack_files import audience_path, write_pack
    from narratives.personas import fell_back
    from narratives.recording import record_export

    pack = write_pack(
        run_dir, out, segment=segment, writer=writer, shelf=shelf, carried=carried,
        consent=consent, review=_review_lookup(workspace, found),
        review_run=found.id if found else None,
    )  # fmt: skip
    typer.echo(f"Narratives: {pack.narratives}")
    if fell_back(pack.persona, pack.segment):
        typer.echo(f"segment {segment}: rule-based persona ({pack.persona.fallback_reason})")
    if pack.audience is not None and pack.audience.consent is not None:
        typer.echo(
            f"{pack.audience.left_out:,} customers without marketing consent ({consent}) left "
            "out of the audience"
        )
    if pack.draft:
        typer.echo(pack.draft)
    typer.echo(f"wrote {out} and {audience_path(out)}")
    if found is None:
        typer.echo(NOT_RECORDED)
        return
    record_export(
        workspace, found.id, pack, kind=f"pack{out.suffix.lower()}", file_name=out.name,
        content=out.read_bytes(), stats_sha256=found.profiles_sha256, actor=getpass.getuser(),
    )  # fmt: skip
    typer.echo(f"recorded as an export of run {found.id}")


audit_app = typer.Typer(help="The workspace's audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every link of the audit log's hash chain, then every run and review decision
    against its entry; exit 1 naming the first broken link, run or item."""
    from segmenter.workspace import verify

    result = verify(_workspace())
    typer.echo(str(result))
    if not result.ok:
        raise typer.Exit(1)


# Ids are SQL integers: a number past them is refused as usage, not as a database error.
RunId = Annotated[
    int, typer.Argument(help="A run id, as `segment` printed it.", min=1, max=2**63 - 1)
]
ItemId = Annotated[
    int,
    typer.Argument(help="The item number `segmenter review` lists.", min=1, max=2**63 - 1),
]


@app.command()
def review(run_id: RunId) -> None:
    """List a run's personas and product suggestions with their review state and version."""
    from segmenter.workspace import get_run, list_review_items

    engine = _workspace()
    get_run(engine, run_id)  # an unknown run is one line, exit 2
    items = list_review_items(engine, run_id)
    if not items:
        typer.echo(f"run {run_id} has nothing to review: write its brief with `segmenter brief`")
    for item in items:
        who = f" by {item.reviewer}" if item.reviewer else ""
        note = f" ({item.comment})" if item.comment else ""
        typer.echo(
            f"{item.id:>4}  {item.state:<8}{who}{note}  version {item.version}  "
            f"[{item.source}] {item.item_key}"
        )
        typer.echo(f"      {item.text}")


def _decide(
    run_id: int,
    item_id: int,
    decision: str,
    *,
    by: str,
    comment: str | None,
    version: int | None,
) -> None:
    """Approve or reject an item. A draft may be decided as it is; an item already decided
    only with the --version `review` showed, so that no one's decision is lost unseen."""
    from segmenter.workspace import approve, get_run, list_review_items, reject

    engine = _workspace()
    get_run(engine, run_id)
    items = {i.id: i for i in list_review_items(engine, run_id)}
    if item_id not in items:
        known = ", ".join(str(i) for i in items) or "none: write its brief first"
        raise InputError(f"run {run_id} has no review item {item_id}; its items: {known}")
    if not by.strip():
        raise InputError("--by: name the reviewer")
    item = items[item_id]
    if version is None and item.state != "draft":
        raise InputError(
            f"item {item_id} is already {item.state} by {item.reviewer} (version "
            f"{item.version}): to decide it again, give --version {item.version}"
        )
    decide = approve if decision == "approved" else reject
    done = decide(
        engine,
        item_id,
        expected_version=item.version if version is None else version,
        reviewer=by,
        comment=comment,
    )
    typer.echo(f"item {done.id} ({done.item_key}) {done.state} by {done.reviewer}")


ByOption = Annotated[str, typer.Option("--by", help="The reviewer's name.")]
CommentOption = Annotated[str | None, typer.Option("--comment", help="Why, for the record.")]
VersionOption = Annotated[
    int | None,
    typer.Option(
        "--version", help="The item's version as `review` showed it (to decide it again)."
    ),
]


@app.command()
def approve(
    run_id: RunId,
    item: ItemId,
    by: ByOption,
    comment: CommentOption = None,
    version: VersionOption = None,
) -> None:
    """Approve one persona or product suggestion for use."""
    _decide(run_id, item, "approved", by=by, comment=comment, version=version)


@app.command()
def reject(
    run_id: RunId,
    item: ItemId,
    by: ByOption,
    comment: CommentOption = None,
    version: VersionOption = None,
) -> None:
    """Reject one persona or product suggestion."""
    _decide(run_id, item, "rejected", by=by, comment=comment, version=version)


def main(argv: list[str] | None = None) -> None:
    """Run the command line; the project's input errors become one line on stderr and exit 2."""
    try:
        app(args=argv)  # standalone: usage errors exit 2 and --help exits 0, as click does
    except InputError as error:
        if _DEBUG:
            raise
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    finally:
        if argv is None:  # run as the program, which exits next (code calling main() goes on)
            # The work is done and written: spare the interpreter's exit its sweep over every
            # object of NumPy, scikit-learn and Polars (a third of a second, measured).
            gc.freeze()
