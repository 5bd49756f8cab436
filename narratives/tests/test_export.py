"""What the app hands out: export files and ZIP, scoring uploaded bytes, the LLM payload preview."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from narratives import LLMSettings, RuleBasedWriter, build_context
from narratives.audiences import AUDIENCE_COLUMNS
from narratives.brief import Brief
from narratives.export import ExportFiles, FixedPersonas, export_files, zip_files
from narratives.preview import outgoing_requests
from narratives.shelf import Shelf
from segmenter.errors import InputError
from segmenter.model.fitted import score
from segmenter.model.scoring import model_from_bytes, score_summary
from segmenter.pipeline import Segmentation, run_segmentation
from testkit.segmenter_fixtures import toy_frame

SECRET = "sk-test-never-shown-0123456789"


def clock() -> datetime:
    return datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def run() -> Segmentation:
    return run_segmentation(toy_frame(), algorithm="kmeans", k=3, seed=0, n_bootstraps=2)


@pytest.fixture(scope="module")
def files(run: Segmentation, shelf: Shelf) -> ExportFiles:
    personas = RuleBasedWriter(shelf).write(build_context(run.profile))
    return export_files(run, personas, narratives="rule-based", shelf=shelf, clock=clock)


def test_the_export_holds_every_file_a_marketer_needs(files: ExportFiles) -> None:
    assert sorted(files.files) == [
        "assignments.csv",
        "audiences/segment-0.csv",
        "audiences/segment-1.csv",
        "audiences/segment-2.csv",
        "book.json",
        "brief.html",
        "brief.json",
        "brief.md",
        "model.skops",
        "profiles.json",
    ]
    assert [a.file_name for a in files.audiences] == [
        "segment-0.csv",
        "segment-1.csv",
        "segment-2.csv",
    ]


def test_audiences_hold_each_customer_once(files: ExportFiles) -> None:
    lists = [pl.read_csv(io.BytesIO(files[a.path])) for a in files.audiences]
    ids = pl.concat(lists).get_column("customer_id")
    assert [frame.columns[:6] for frame in lists] == [list(AUDIENCE_COLUMNS)] * 3
    assert [frame.height for frame in lists] == [60, 40, 20]  # toy groups, largest first
    assert sorted(ids.to_list()) == sorted(toy_frame().get_column("CUST_ID").to_list())


def test_audiences_say_whose_they_are_and_how_many_they_hold(
    run: Segmentation, files: ExportFiles
) -> None:
    names = {s.id: s.name for s in run.profile.segments}
    assert [(a.segment_id, a.segment_name, a.customers) for a in files.audiences] == [
        (0, names[0], 60),
        (1, names[1], 40),
        (2, names[2], 20),
    ]
    assert [a.path for a in files.audiences] == [f"audiences/segment-{i}.csv" for i in range(3)]


def test_audience_counts_are_customers_not_lines(shelf: Shelf) -> None:
    # An id with a line break in it is one customer on two lines of the (quoted) CSV.
    frame = toy_frame().with_columns(
        pl.when(pl.col("CUST_ID") == "T00001")
        .then(pl.lit("T0\n0001"))
        .otherwise(pl.col("CUST_ID"))
        .alias("CUST_ID")
    )
    run = run_segmentation(frame, algorithm="kmeans", k=3, seed=0, n_bootstraps=2)
    personas = RuleBasedWriter(shelf).write(build_context(run.profile))
    done = export_files(run, personas, narratives="rule-based", shelf=shelf, clock=clock)
    first = done.audiences[0]
    assert first.customers == 60
    assert done[first.path].count(b"\n") - 1 == 61  # what counting lines would have said


def test_the_brief_says_who_wrote_it_and_audits_the_exported_files(files: ExportFiles) -> None:
    assert "Narratives: rule-based" in files["brief.md"].decode()
    assert "Narratives: rule-based" in files["brief.html"].decode()
    brief = Brief.model_validate_json(files["brief.json"])
    assert brief.generated_at == clock()
    assert brief.audit.profiles_sha256 == hashlib.sha256(files["profiles.json"]).hexdigest()
    assert brief.audit.assignments_sha256 == hashlib.sha256(files["assignments.csv"]).hexdigest()
    assert brief.audit.segmentation_model_sha256 == hashlib.sha256(files["model.skops"]).hexdigest()
    assert [s.audience_size for s in brief.sections] == [60, 40, 20]


def test_llm_personas_are_exported_under_the_model_name(
    run: Segmentation, shelf: Shelf, files: ExportFiles
) -> None:
    personas = RuleBasedWriter(shelf).write(build_context(run.profile))
    written = [
        p.model_copy(update={"summary": f"Kestrel words {p.segment_id}.", "source": "llm"})
        for p in personas
    ]
    llm = export_files(run, written, narratives="test-model", shelf=shelf, clock=clock)
    assert "Narratives: test-model" in llm["brief.md"].decode()
    assert "Kestrel words 2." in llm["brief.html"].decode()
    assert Brief.model_validate_json(llm["brief.json"]).audit.narratives_model == "test-model"
    assert llm["assignments.csv"] == files["assignments.csv"]


def test_rule_based_personas_are_not_credited_to_the_model(run: Segmentation, shelf: Shelf) -> None:
    personas = RuleBasedWriter(shelf).write(build_context(run.profile))
    fell_back = [p.model_copy(update={"fallback_reason": "HTTP 500"}) for p in personas]
    done = export_files(
        run, fell_back, narratives="test-model", endpoint="llm.example", shelf=shelf, clock=clock
    )
    brief = Brief.model_validate_json(done["brief.json"])
    assert (brief.narratives, brief.audit.narratives_model) == ("rule-based", None)
    assert brief.narratives_note == "test-model at llm.example was asked, but HTTP 500"


def test_personas_of_another_run_are_refused(run: Segmentation, shelf: Shelf) -> None:
    personas = RuleBasedWriter(shelf).write(build_context(run.profile))
    with pytest.raises(ValueError, match="not of this run"):
        export_files(run, personas[:2], narratives="rule-based", shelf=shelf)
    assert FixedPersonas(personas, label="x").label == "x"


def test_one_zip_holds_everything_and_is_reproducible(files: ExportFiles) -> None:
    archive = zip_files(files)
    assert archive == zip_files(files)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert sorted(opened.namelist()) == sorted(f"campaign/{p}" for p in files.files)
        assert opened.read("campaign/brief.md") == files["brief.md"]


# --- scoring uploaded files --------------------------------------------------------------------


def test_an_exported_model_scores_its_training_customers_as_trained(
    run: Segmentation, files: ExportFiles
) -> None:
    model = model_from_bytes(files["model.skops"], name="model.skops")
    scored = score(model, toy_frame())
    assert np.array_equal(scored.get_column("segment").to_numpy(), run.labels)
    summary = score_summary(scored)
    assert summary.get_column("customers").to_list() == [60, 40, 20]
    assert summary.get_column("share").sum() == pytest.approx(1.0)
    assert summary.get_column("median_confidence").min() > 0.5


def test_an_upload_that_is_not_a_model_is_refused_by_its_name() -> None:
    with pytest.raises(InputError, match=r"^my-upload\.skops: not a segmenter model") as error:
        model_from_bytes(b"not a zip at all", name="my-upload.skops")
    assert "segmenter-model-" not in str(error.value)  # no temporary path leaks out


def test_score_summary_by_hand() -> None:
    scored = pl.DataFrame(
        {
            "segment": [1, 0, 0, -1],
            "segment_name": ["B", "A", "A", "Unassigned (noise)"],
            "confidence": [0.8, 0.6, 0.7, None],
        }
    )
    summary = score_summary(scored)
    assert summary.get_column("segment").to_list() == [0, 1, -1]
    assert summary.get_column("customers").to_list() == [2, 1, 1]
    assert summary.get_column("share").to_list() == [0.5, 0.25, 0.25]
    assert summary.get_column("median_confidence").to_list() == [pytest.approx(0.65), 0.8, None]


# --- the LLM payload preview -------------------------------------------------------------------


@pytest.mark.parametrize("api_key", [None, SECRET], ids=["no-key", "with-key"])
def test_the_preview_is_the_request_and_never_holds_the_key(
    run: Segmentation, shelf: Shelf, api_key: str | None
) -> None:
    context = build_context(run.profile, min_size=30)
    settings = LLMSettings(api_key=api_key, model="test-model")
    payloads = outgoing_requests(context, settings=settings, shelf=shelf)
    assert list(payloads) == [0, 1]  # segment 2 (20 customers) is too small to be sent
    assert payloads[0]["model"] == "test-model"
    assert [m["role"] for m in payloads[0]["messages"]] == ["system", "user"]
    text = json.dumps(payloads)
    assert SECRET not in text
    assert "not-sent" not in text
    assert "T00001" not in text  # aggregates only: no customer ids
