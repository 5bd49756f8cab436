"""A refreshed run: the new run with the matched ids, names and titles, every figure kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from segmenter.explain.naming import NOISE_NAME
from segmenter.ingest.schema import ID_COLUMN
from segmenter.model.fitted import assignment_table, load_model, score
from segmenter.pipeline import Segmentation, write_segmentation
from segmenter.refresh.match import Matching, match_segments
from segmenter.refresh.relabel import relabel_run
from segmenter.results import Contrast

Fit = Callable[..., tuple[pl.DataFrame, Segmentation]]  # the `fit` fixture of conftest.py
THREE = (60, 40, 20)


def assignments(run: Segmentation) -> pl.DataFrame:
    return assignment_table(run.customer_ids, run.labels, run.model.names, run.confidence)


def refreshed(
    fit: Fit,
    before: tuple[tuple[int, ...], int],
    after: tuple[tuple[int, ...], int],
    *,
    first_fresh_id: int | None = None,
    algorithm: str = "kmeans",
) -> tuple[pl.DataFrame, Segmentation, Segmentation, Matching, Segmentation]:
    _, previous = fit(*before)
    spread = 0.05 if algorithm == "kmeans" else 0.3  # DBSCAN leaves the loose dormant as noise
    frame, current = fit(*after, seed=1, algorithm=algorithm, spread=spread)
    matching = match_segments(
        previous.model,
        assignments(previous),
        current.model,
        frame,
        current.labels,
        first_fresh_id=first_fresh_id,
    )
    return frame, previous, current, matching, relabel_run(current, matching, previous.profile)


def test_only_identities_change(fit: Fit) -> None:
    *_, current, matching, run = refreshed(fit, ((60, 40), 2), (THREE, 3))
    final = matching.final_ids()
    np.testing.assert_array_equal(run.labels, [final[s] for s in current.labels])
    assert run.customer_ids.equals(current.customer_ids)
    np.testing.assert_array_equal(run.confidence, current.confidence)
    assert run.model.pipeline is current.model.pipeline
    assert run.profile.model_dump(exclude={"segments"}) == current.profile.model_dump(
        exclude={"segments"}
    )
    figures = {"id", "name", "title", "contrast"}
    for before in current.profile.segments:
        after = next(s for s in run.profile.segments if s.id == final[before.id])
        assert after.model_dump(exclude=figures) == before.model_dump(exclude=figures)
        assert after.size == int(np.sum(run.labels == after.id))


def test_matched_segments_take_the_previous_name_and_title(fit: Fit) -> None:
    _, previous, current, matching, run = refreshed(fit, ((60, 40), 2), (THREE, 3))
    titles = {s.id: (s.name, s.title) for s in previous.profile.segments}
    for m in matching.segments:
        segment = next(s for s in run.profile.segments if s.id == m.final_id)
        fitted = next(s for s in current.profile.segments if s.id == m.segment)
        expected = titles[m.final_id] if m.status == "matched" else (fitted.name, fitted.title)
        assert (segment.name, segment.title) == expected
        assert run.model.names[m.final_id] == segment.name


def test_ids_above_the_previous_ones_order_names_centres_and_profiles(fit: Fit) -> None:
    _, _, current, matching, run = refreshed(fit, ((60, 40), 2), (THREE, 3), first_fresh_id=7)
    final = matching.final_ids()
    assert list(run.model.names) == [0, 1, 7]
    assert [s.id for s in run.profile.segments] == [0, 1, 7]
    assert sorted(run.model.label_map.values()) == [0, 1, 7]
    for row, sid in enumerate(run.model.names):
        fitted = next(s for s in current.model.names if final[s] == sid)
        np.testing.assert_array_equal(run.model.centres[row], current.model.centres[fitted])


def test_noise_stays_unassigned(fit: Fit) -> None:
    _, _, current, matching, run = refreshed(fit, (THREE, 3), (THREE, None), algorithm="dbscan")
    noise = current.labels == -1
    assert noise.any()
    np.testing.assert_array_equal(run.labels == -1, noise)
    assert run.model.names[-1] == NOISE_NAME
    assert list(run.model.names)[-1] == -1
    assert run.profile.segments[-1].is_noise
    assert run.profile.segments[-1] == current.profile.segments[-1]
    assert {f.status for f in matching.previous} == {"matched", "retired"}


def test_a_contrast_follows_the_other_segments_id(fit: Fit) -> None:
    _, previous = fit((60, 40), 2)
    frame, current = fit(THREE, 3, seed=1)
    contrast = Contrast(other=2, feature="BALANCE", direction="high")
    segments = [
        s.model_copy(update={"contrast": contrast}) if s.id == 0 else s
        for s in current.profile.segments
    ]
    current = replace(current, profile=current.profile.model_copy(update={"segments": segments}))
    matching = match_segments(
        previous.model, assignments(previous), current.model, frame, current.labels,
        first_fresh_id=9,
    )  # fmt: skip
    run = relabel_run(current, matching, previous.profile)
    (first,) = [s for s in run.profile.segments if s.contrast is not None]
    assert first.contrast == Contrast(other=9, feature="BALANCE", direction="high")


def test_a_matching_of_another_run_is_refused(fit: Fit) -> None:
    _, previous, _, matching, _ = refreshed(fit, ((60, 40), 2), (THREE, 3))
    with pytest.raises(ValueError, match="this run has"):
        relabel_run(previous, matching, previous.profile)


def test_the_written_run_scores_back_to_its_refreshed_ids(fit: Fit, tmp_path: Path) -> None:
    frame, _, _, _, run = refreshed(fit, ((60, 40), 2), (THREE, 3))
    write_segmentation(run, tmp_path)
    scored = score(load_model(tmp_path / "model.skops"), frame)
    np.testing.assert_array_equal(scored["segment"].to_numpy(), run.labels)
    written = pl.read_csv(tmp_path / "assignments.csv")
    np.testing.assert_array_equal(written["segment"].to_numpy(), run.labels)
    profiles = json.loads((tmp_path / "profiles.json").read_text())
    assert [(s["id"], s["name"]) for s in profiles["segments"]] == list(run.model.names.items())


def test_a_run_with_ids_above_k_scores_back_to_them(fit: Fit, tmp_path: Path) -> None:
    frame, _, _, _, run = refreshed(fit, ((60, 40), 2), (THREE, 3), first_fresh_id=7)
    write_segmentation(run, tmp_path)
    scored = score(load_model(tmp_path / "model.skops"), frame)
    np.testing.assert_array_equal(scored["segment"].to_numpy(), run.labels)


def test_relabelling_is_deterministic(fit: Fit, tmp_path: Path) -> None:
    *_, first = refreshed(fit, (THREE, 2), (THREE, 3))
    *_, again = refreshed(fit, (THREE, 2), (THREE, 3))
    write_segmentation(first, tmp_path / "first")
    write_segmentation(again, tmp_path / "again")
    for name in ("assignments.csv", "profiles.json", "model.skops"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


@pytest.mark.parametrize("renumbered", [False, True], ids=["same-ids", "ids-renumbered"])
def test_a_refreshed_run_is_the_previous_run_of_the_next_month(fit: Fit, renumbered: bool) -> None:
    *_, month_one = refreshed(fit, ((60, 40), 2), (THREE, 3), first_fresh_id=7)
    frame, month_two = fit(THREE, 3, seed=2)
    if renumbered:  # another numbering of customers: the previous model assigns the book
        frame = frame.with_columns(pl.concat_str(pl.lit("X"), pl.col(ID_COLUMN)).alias(ID_COLUMN))
    matching = match_segments(
        month_one.model, assignments(month_one), month_two.model, frame, month_two.labels
    )
    assert matching.basis == ("previous model" if renumbered else "customers")
    assert {m.final_id: (m.name, m.status) for m in matching.segments} == {
        sid: (name, "matched") for sid, name in month_one.model.names.items()
    }


def test_a_refresh_through_written_folders_keeps_formula_like_ids(tmp_path: Path) -> None:
    # assignments.csv writes "-C1" as "'-C1" (spreadsheet-safe); a refresh must still find it.
    from segmenter.pipeline import run_segmentation
    from segmenter.refresh.run import read_previous, refresh_run
    from testkit.segmenter_fixtures import toy_frame

    frame = toy_frame((60, 40, 20)).with_columns(
        pl.format("-{}", pl.col("CUST_ID")).alias("CUST_ID")
    )
    write_segmentation(run_segmentation(frame, k=3, seed=0, n_bootstraps=2), tmp_path / "m1")
    assert pl.read_csv(tmp_path / "m1" / "assignments.csv")["customer_id"][0].startswith("'-")
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=3)
    run = run_segmentation(shuffled, k=3, seed=0, n_bootstraps=2)
    _, refresh, moved = refresh_run(run, shuffled, read_previous(tmp_path / "m1"))
    assert moved.matrix["customers"].sum() == 120
    assert refresh.customers_in_both == 120
    assert refresh.customers_left == refresh.customers_joined == 0
    assert {m.status for m in refresh.matching.segments} == {"matched"}
