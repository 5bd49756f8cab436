"""What would move a customer to another segment: moves the saved model really assigns there."""

from __future__ import annotations

import contextlib
from pathlib import Path

import polars as pl
import pytest

from segmenter.errors import InputError
from segmenter.ingest.read import load_customers
from segmenter.ingest.schema import FEATURE_COLUMNS, FREQUENCY_COLUMNS
from segmenter.model.fitted import SegmentModel, load_model, save_model, score
from segmenter.model.moves import FIXED_COLUMNS, LEVERS, NoMove, move_to_segment
from segmenter.pipeline import run_segmentation
from testkit.segmenter_fixtures import apart_in_what_cannot_change, toy_frame

# K-Means and GMM predict for themselves; HDBSCAN is fitted on a sample and assigns by vote.
METHODS = ("kmeans", "gmm", "hdbscan")
LEVER_COLUMNS = {c for lever in LEVERS for c in lever.columns}


@pytest.fixture(scope="module")
def real_sample(real_data_path: Path) -> pl.DataFrame:
    return load_customers(real_data_path).frame.sample(2_000, seed=2)


@pytest.fixture(scope="module", params=METHODS)
def saved(
    request: pytest.FixtureRequest,
    real_sample: pl.DataFrame,
    tmp_path_factory: pytest.TempPathFactory,
) -> SegmentModel:
    """The model as a user has it: written to disk by one run, read back."""
    run = run_segmentation(real_sample, algorithm=request.param, k=4, seed=0, n_bootstraps=2)
    path = tmp_path_factory.mktemp(request.param) / "model.skops"
    save_model(run.model, path)
    return load_model(path)


def _targets(model: SegmentModel, current: int) -> list[int]:
    return [s for s in sorted(model.names) if s >= 0 and s != current]


@pytest.mark.real_data
def test_applied_moves_are_assigned_to_the_target_by_the_saved_model(
    saved: SegmentModel, real_sample: pl.DataFrame
) -> None:
    reached = tried = 0
    unreachable: list[tuple[str, str]] = []
    for index in range(0, 2_000, 250):
        row = real_sample[index : index + 1]
        current = score(saved, row).item(0, "segment")
        for target in _targets(saved, current):
            tried += 1
            try:
                move = move_to_segment(saved, row, target)
            except NoMove as error:
                unreachable.append((f"segment {target} ({saved.names[target]})", str(error)))
                continue
            reached += 1
            moved = move.moved_frame()
            assert saved.segments(moved).tolist() == [target]
            rescored = score(saved, moved).row(0, named=True)
            assert rescored["segment"] == target
            assert rescored["confidence"] == move.confidence
            _check_doable(row, move.figures)
            assert move.changes, "a move changes something"
            assert move.sentence[0].isupper()
            assert move.sentence.endswith(".")
    assert tried >= 16
    assert all(named in said for named, said in unreachable)
    assert reached >= tried // 2, f"only {reached} of {tried} moves found"


def _check_doable(row: pl.DataFrame, figures: dict[str, float | None]) -> None:
    own = row.row(0, named=True)
    for column in FIXED_COLUMNS:  # credit limit, tenure, balance-update frequency stay
        assert figures[column] == pytest.approx(own[column], nan_ok=True), column
    tenure = round(float(figures["TENURE"] or 12))
    for column in FREQUENCY_COLUMNS:
        if column in LEVER_COLUMNS and figures[column] != own[column]:
            months = float(figures[column] or 0) * tenure
            assert months == pytest.approx(round(months)), f"{column}: whole months"
    if figures["ONEOFF_PURCHASES"] != own["ONEOFF_PURCHASES"] or (
        figures["INSTALLMENTS_PURCHASES"] != own["INSTALLMENTS_PURCHASES"]
    ):
        parts = float(figures["ONEOFF_PURCHASES"] or 0) + float(
            figures["INSTALLMENTS_PURCHASES"] or 0
        )
        assert figures["PURCHASES"] == pytest.approx(parts)
    for column in FEATURE_COLUMNS:
        assert (figures[column] or 0) >= 0, column
    # Only what an advisor could recommend: pay more and in full more often, fewer cash
    # advances, a lower balance.
    for column, sign in (("PAYMENTS", 1), ("PRC_FULL_PAYMENT", 1), ("CASH_ADVANCE", -1),
                         ("CASH_ADVANCE_FREQUENCY", -1), ("BALANCE", -1)):  # fmt: skip
        if own[column] is not None and figures[column] is not None:
            assert sign * (figures[column] - own[column]) >= -1e-9, column
    # A purchase in each month with purchases; a cash advance in each month with one.
    for frequency, count in (("PURCHASES_FREQUENCY", "PURCHASES_TRX"),
                             ("CASH_ADVANCE_FREQUENCY", "CASH_ADVANCE_TRX")):  # fmt: skip
        if figures[frequency] != own[frequency]:
            assert (figures[count] or 0) >= round((figures[frequency] or 0) * tenure), count


@pytest.mark.real_data
def test_a_move_names_only_what_changes_and_says_it_in_money_and_months(
    real_sample: pl.DataFrame,
) -> None:
    run = run_segmentation(real_sample, algorithm="kmeans", k=4, seed=0, n_bootstraps=2)
    row = real_sample[:1]
    current = score(run.model, row).item(0, "segment")
    moves = []
    for target in _targets(run.model, current):
        with contextlib.suppress(NoMove):
            moves.append(move_to_segment(run.model, row, target))
    assert moves
    for move in moves:
        for change in move.changes:
            assert change.before != change.after
            assert set(change.after) <= LEVER_COLUMNS
            assert change.sentence in move.sentence.lower() or change.sentence[1:] in move.sentence
        assert "$" in move.sentence or "month" in move.sentence
        assert "nan" not in move.sentence.lower()


def test_the_same_customer_and_model_give_the_same_move() -> None:
    frame = toy_frame((60, 40, 20))
    run = run_segmentation(frame, algorithm="kmeans", k=3, seed=0, n_bootstraps=2)
    row = frame[:1]
    current = score(run.model, row).item(0, "segment")
    target = _targets(run.model, current)[0]
    assert move_to_segment(run.model, row, target) == move_to_segment(run.model, row, target)


def test_targets_that_are_not_a_move_get_one_sentence() -> None:
    frame = toy_frame((60, 40, 20))
    run = run_segmentation(frame, algorithm="kmeans", k=3, seed=0, n_bootstraps=2)
    row = frame[:1]
    current = score(run.model, row).item(0, "segment")
    with pytest.raises(InputError, match=f"already in segment {current}"):
        move_to_segment(run.model, row, current)
    with pytest.raises(InputError, match="no segment 7 in this model; its segments are 0"):
        move_to_segment(run.model, row, 7)
    with pytest.raises(InputError, match=r"unassigned customers \(-1\) are not a segment"):
        move_to_segment(run.model, row, -1)


def test_segments_apart_only_in_what_a_customer_cannot_change_have_no_move() -> None:
    frame = apart_in_what_cannot_change()
    run = run_segmentation(frame, algorithm="kmeans", k=2, seed=0, n_bootstraps=2)
    row = frame[:1]
    current = score(run.model, row).item(0, "segment")
    (target,) = _targets(run.model, current)
    with pytest.raises(NoMove) as caught:
        move_to_segment(run.model, row, target)
    said = str(caught.value)
    assert said.startswith(
        "No change the customer can make (paying in full more often, fewer cash advances, "
        "instalment purchases, one-off purchases, paying more, a lower balance)"
    )
    assert "credit limit and tenure, which the customer cannot change" in said
    assert "C0" in said
