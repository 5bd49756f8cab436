"""What would move a customer to another segment: the smallest changes they can make themselves.

A customer acts on how they use the card: paying in full, cash advances, instalment and one-off
purchases, what they pay and the balance they carry. Credit limit, tenure, how often the balance
is updated are not theirs to change; they stay. The minimum payment follows the balance.

Each of those behaviours is a `Lever` over one to three columns. A candidate move takes some
levers part or all of the way from the customer towards a typical customer of the target
segment (the segment's centre, and for sample-fitted methods also its fitted members nearest
the customer), in money and months as the customer counts them; rounds the figures to what a
customer can do (whole months of their tenure, whole transactions, money in tens);
and keeps the columns consistent (purchases are one-off plus instalment). The saved model
scores every candidate; the answer is the one the model assigns to the target that uses the
fewest levers, then lands clear of the edge (confidence at least STURDY) where one can, then
makes the smallest change in the model's own terms. Its figures are exactly the
ones the model was given.

Every saved model can answer: all seven methods score new customers (sample-fitted ones by their
assignment rule). Unassigned (-1) is not a segment to move to.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict

from segmenter.cluster.estimators import SampledClusterer
from segmenter.cluster.features import (
    TRANSFORMED_COLUMNS,
    feature_matrix,
    inverse_features,
    transform_features,
)
from segmenter.errors import InputError
from segmenter.explain.formats import fmt
from segmenter.explain.measures import label
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN, MONEY_COLUMNS
from segmenter.model.fitted import SegmentModel, score

__all__ = [
    "FIXED_COLUMNS",
    "LEVERS",
    "MOVE_NOTE",
    "Change",
    "Lever",
    "Move",
    "NoMove",
    "move_to_segment",
]

MOVE_NOTE = (
    "What the segmentation model responds to, not advice: credit limit, tenure and how often "
    "the balance is updated stay as they are, and any product still needs its own checks."
)
# How far along the way to a typical target customer a lever may go.
FRACTIONS = (1 / 3, 2 / 3, 1.0)
# Fitted members of the target nearest the customer tried as typical customers, besides its centre.
NEAREST_MEMBERS = 3
# Among moves of as many levers, one that lands at least this sure beats a nearer one at the
# edge (score's confidence: 0.5 half-way to the runner-up, 1 at the centre).
STURDY = 0.55
# The least change of money worth saying: a tenth of the customer's figure, and at least this.
MIN_MONEY = 50.0


@dataclass(frozen=True)
class Lever:
    """A behaviour the customer can change, and the columns that change with it."""

    name: str
    title: str  # for a list of what was tried: "paying in full more often"
    columns: tuple[str, ...]  # the first is the one the move is steered by
    direction: int = 0  # +1: only more of it, -1: only less, 0: either way


LEVERS: tuple[Lever, ...] = (
    # Only changes an advisor could recommend: pay in full more often, fewer cash advances,
    # pay more, a lower balance; purchases either way.
    Lever("full_payment", "paying in full more often", ("PRC_FULL_PAYMENT",), direction=1),
    Lever(
        "cash_advances",
        "fewer cash advances",
        ("CASH_ADVANCE_FREQUENCY", "CASH_ADVANCE", "CASH_ADVANCE_TRX"),
        direction=-1,
    ),
    Lever(
        "instalments",
        "instalment purchases",
        ("PURCHASES_INSTALLMENTS_FREQUENCY", "INSTALLMENTS_PURCHASES"),
    ),
    Lever("one_off", "one-off purchases", ("ONEOFF_PURCHASES_FREQUENCY", "ONEOFF_PURCHASES")),
    Lever("payments", "paying more", ("PAYMENTS",), direction=1),
    Lever("balance", "a lower balance", ("BALANCE",), direction=-1),
)
# Follow the levers: purchases are one-off plus instalment purchases, and the minimum payment
# the bank asks for follows the balance.
DERIVED_COLUMNS = ("PURCHASES", "PURCHASES_FREQUENCY", "PURCHASES_TRX", "MINIMUM_PAYMENTS")
FIXED_COLUMNS: tuple[str, ...] = tuple(
    c
    for c in FEATURE_COLUMNS
    if c not in {col for lever in LEVERS for col in lever.columns} | set(DERIVED_COLUMNS)
)

_COL = {c: i for i, c in enumerate(FEATURE_COLUMNS)}
_LEVER_INDEX = [_COL[c] for lever in LEVERS for c in lever.columns]


class NoMove(InputError):
    """No change the customer can make moves them to the target segment."""


class Change(BaseModel):
    """One lever moved: its figures before and after, and the sentence an advisor says."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lever: str
    before: dict[str, float]  # column -> value, the lever's columns
    after: dict[str, float]
    sentence: str  # "stop cash advances (now $1,200 in 3 months of 12)"


class Move(BaseModel):
    """The smallest move found to the target segment, and what the model makes of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: str
    segment: int  # where the customer is now
    segment_name: str
    target: int
    target_name: str
    changes: tuple[Change, ...]
    figures: dict[str, float | None]  # all 17 columns after the move: what the model was given
    confidence: float | None  # the moved customer's confidence in the target segment

    @property
    def sentence(self) -> str:
        """Every change in one sentence: "Pay the full balance ..., and stop cash advances."."""
        parts = [c.sentence for c in self.changes]
        text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1]
        return text[:1].upper() + text[1:] + "."

    def moved_frame(self) -> pl.DataFrame:
        """The moved customer as a canonical one-row frame (to score it again)."""
        return pl.DataFrame(
            {ID_COLUMN: [self.customer_id], **{c: [self.figures[c]] for c in FEATURE_COLUMNS}},
            schema_overrides=dict.fromkeys(FEATURE_COLUMNS, pl.Float64),
        )


def move_to_segment(model: SegmentModel, row: pl.DataFrame, target: int) -> Move:
    """The smallest change in the customer's own behaviour the model assigns to `target`.

    `row` is one customer of a canonical frame. An InputError when the target is not a segment
    of the model or is the customer's own; NoMove (an InputError) when no change found does it.
    """
    if row.height != 1:
        raise InputError(f"one customer expected, got {row.height} rows")
    customer_id = str(row.item(0, ID_COLUMN))
    scored = score(model, row).row(0, named=True)
    current = int(scored["segment"])
    _check_target(model, customer_id, current, target)
    preprocessor = model.pipeline[:-1]
    raw = feature_matrix(row)
    start = transform_features(preprocessor, raw)[0]
    filled = inverse_features(preprocessor, start[None, :])[0]  # missing values as imputed
    filled = np.where(np.isnan(raw[0]), filled, raw[0])
    tenure = max(1, round(filled[_COL["TENURE"]]))

    candidates, levers_used = _candidates(model, start, filled, target, tenure)
    # What was missing stays missing, unless the move sets it: the model imputes it as before.
    missing = np.isnan(raw[0]) & ~np.isin(np.arange(raw.shape[1]), _LEVER_INDEX)
    candidates[:, missing] = np.nan
    unset = np.isnan(raw[0]) & (candidates == filled)
    candidates[unset] = np.nan
    assigned = model.segments(_frame(candidates)) if len(candidates) else np.empty(0)
    hits = np.flatnonzero(assigned == target)
    if hits.size == 0:
        blocked = _blocked_by(model, start, filled, target, tenure)
        raise NoMove(
            _no_move_sentence(
                model, customer_id, (current, scored["segment_name"]), target, blocked
            )
        )
    moved = transform_features(preprocessor, candidates[hits])
    cost = np.sqrt(((moved - start) ** 2).sum(axis=1))
    sure = score(model, _frame(candidates[hits])).get_column("confidence").fill_null(1.0)
    edge = (sure < STURDY).to_numpy()
    best = hits[np.lexsort((cost, edge, levers_used[hits]))[0]]
    figures = candidates[best]
    changes = tuple(
        _change(lever, filled, figures, tenure)
        for lever in LEVERS
        if not np.array_equal(figures[_cols(lever)], raw[0, _cols(lever)], equal_nan=True)
    )
    moved_row = _frame(figures[None, :], customer_id)
    confidence = score(model, moved_row).item(0, "confidence")
    return Move(
        customer_id=customer_id,
        segment=current,
        segment_name=scored["segment_name"],
        target=target,
        target_name=model.names[target],
        changes=changes,
        figures={
            c: None if np.isnan(v) else float(v)
            for c, v in zip(FEATURE_COLUMNS, figures.tolist(), strict=True)
        },
        confidence=confidence,
    )


def _check_target(model: SegmentModel, customer_id: str, current: int, target: int) -> None:
    segments = sorted(s for s in model.names if s >= 0)
    if target not in segments:
        if target < 0:
            raise InputError(
                "unassigned customers (-1) are not a segment to move to; choose one of "
                + ", ".join(f"{s} ({model.names[s]})" for s in segments)
            )
        raise InputError(
            f"no segment {target} in this model; its segments are "
            + ", ".join(f"{s} ({model.names[s]})" for s in segments)
        )
    if target == current:
        raise InputError(
            f"customer {customer_id} is already in segment {target}, {model.names[target]}: "
            "choose another segment to move to"
        )


def _cols(lever: Lever) -> list[int]:
    return [_COL[c] for c in lever.columns]


def _prototypes(model: SegmentModel, start: np.ndarray, target: int) -> np.ndarray:
    """Typical customers of the target in the model's feature space: its centre, then (for a
    sample-fitted method) its fitted members nearest the customer."""
    prototypes = [model.centre_of(target)]
    clusterer = model.pipeline[-1]
    if isinstance(clusterer, SampledClusterer):
        raw_labels = [raw for raw, seg in model.label_map.items() if seg == target]
        members = clusterer.fit_X_[np.isin(clusterer.fit_labels_, raw_labels)]
        if members.size:
            nearest = np.argsort(((members - start) ** 2).sum(axis=1), kind="stable")
            prototypes.extend(members[nearest[:NEAREST_MEMBERS]])
    return np.array(prototypes)


def _candidates(
    model: SegmentModel, start: np.ndarray, filled: np.ndarray, target: int, tenure: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate move as raw figures, and how many levers each one changes.

    Each lever goes a share (FRACTIONS, or none) of the way from the customer's figures to a
    typical target customer's, in money and months as the customer counts them.
    """
    typical = inverse_features(model.pipeline[:-1], _prototypes(model, start, target))
    shares = np.array(list(itertools.product((0.0, *FRACTIONS), repeat=len(LEVERS))))[1:]
    lever_of = np.zeros(len(FEATURE_COLUMNS), dtype=np.int64) - 1
    for index, lever in enumerate(LEVERS):
        lever_of[_cols(lever)] = index
    moved = lever_of >= 0
    step = np.zeros((shares.shape[0], len(FEATURE_COLUMNS)))
    step[:, moved] = shares[:, lever_of[moved]]
    raw = np.concatenate([filled + step * _towards(proto, filled) for proto in typical])
    candidates = _doable(raw, filled, tenure)
    changed = np.zeros(len(candidates), dtype=np.int64)
    for lever in LEVERS:
        changed += (candidates[:, _cols(lever)] != filled[_cols(lever)]).any(axis=1)
    keep = changed > 0
    return candidates[keep], changed[keep]


def _towards(typical: np.ndarray, filled: np.ndarray) -> np.ndarray:
    """The way from the customer's figures to a typical target customer's, lever by lever;
    nothing for a lever whose way runs against its direction (more cash advances, say)."""
    way = typical - filled
    for lever in LEVERS:
        cols = _cols(lever)
        if lever.direction and np.sign(way[cols[0]]) != lever.direction:
            way[cols] = 0.0
    return way


def _doable(raw: np.ndarray, filled: np.ndarray, tenure: int) -> np.ndarray:
    """Figures a customer can have: whole months, whole transactions, money to the nearest 10,
    each lever's columns zero together, and purchases the sum of their parts; `raw` holds one
    candidate per row, `filled` the customer's own figures."""
    out = np.repeat(filled[None, :], raw.shape[0], axis=0)
    for lever in LEVERS:
        cols = _cols(lever)
        block = np.column_stack([_rounded(c, raw[:, _COL[c]], tenure) for c in lever.columns])
        block[(block == 0).any(axis=1)] = 0.0  # no months, money or transactions: none of it
        own = np.array([_rounded(c, filled[_COL[c], None], tenure)[0] for c in lever.columns])
        # A change rounding alone makes is none; nor is a tenth more or less money.
        money = np.array([c in MONEY_COLUMNS for c in lever.columns])
        apart = np.abs(block - own) >= np.where(money, np.maximum(MIN_MONEY, own / 10), 0.5)
        moved = apart.any(axis=1)
        out[np.ix_(moved, cols)] = block[moved]
    # An advance in each month there is one.
    months = np.round(out[:, _COL["CASH_ADVANCE_FREQUENCY"]] * tenure)
    trx = _COL["CASH_ADVANCE_TRX"]
    out[:, trx] = np.where(out[:, trx] > 0, np.maximum(out[:, trx], months), out[:, trx])
    # Purchases are one-off plus instalment purchases.
    parts = [_COL["ONEOFF_PURCHASES"], _COL["INSTALLMENTS_PURCHASES"]]
    freq = [_COL["ONEOFF_PURCHASES_FREQUENCY"], _COL["PURCHASES_INSTALLMENTS_FREQUENCY"]]
    bought = (out[:, parts] != filled[parts]).any(axis=1)
    total = out[:, parts].sum(axis=1)
    # Months with any purchase: at least those of either kind, at most both added up.
    frequency = filled[_COL["PURCHASES_FREQUENCY"]] + (out[:, freq] - filled[freq]).sum(axis=1)
    frequency = np.minimum.reduce(
        [
            np.ones(len(out)),
            out[:, freq].sum(axis=1),
            np.maximum(frequency, out[:, freq].max(axis=1)),
        ]
    )
    frequency = np.round(frequency * tenure) / tenure
    purchases, transactions = filled[_COL["PURCHASES"]], filled[_COL["PURCHASES_TRX"]]
    if purchases > 0:  # as many purchases as before for each unit of money
        count = np.round(transactions * total / purchases)
    else:
        count = np.round(frequency * tenure)
    count = np.maximum(count, np.round(frequency * tenure))  # a purchase in each such month
    count = np.where(total > 0, np.maximum(1.0, count), 0.0)
    out[bought, _COL["PURCHASES"]] = total[bought]
    out[bought, _COL["PURCHASES_FREQUENCY"]] = frequency[bought]
    out[bought, _COL["PURCHASES_TRX"]] = count[bought]
    # The minimum payment the bank asks for follows the balance.
    balance, minimum = _COL["BALANCE"], _COL["MINIMUM_PAYMENTS"]
    if filled[balance] > 0:
        lower = out[:, balance] != filled[balance]
        out[lower, minimum] = filled[minimum] * out[lower, balance] / filled[balance]
    return out


def _rounded(column: str, values: np.ndarray, tenure: int) -> np.ndarray:
    values = np.maximum(0.0, values)
    if column.endswith("FREQUENCY") or column == "PRC_FULL_PAYMENT":
        return np.minimum(tenure, np.round(values * tenure)) / tenure
    if column.endswith("_TRX"):
        return np.round(values)
    return np.round(values, -1)  # under 5 is none


def _frame(figures: np.ndarray, customer_id: str = "candidate") -> pl.DataFrame:
    return pl.DataFrame(
        {
            ID_COLUMN: [customer_id] * figures.shape[0],
            **{c: figures[:, i] for i, c in enumerate(FEATURE_COLUMNS)},
        }
    )


def _months(share: float, tenure: int) -> str:
    months = round(share * tenure)
    return f"{months} month{'' if months == 1 else 's'} of {tenure}"


def _change(lever: Lever, before: np.ndarray, after: np.ndarray, tenure: int) -> Change:
    was = {c: float(before[_COL[c]]) for c in lever.columns}
    now = {c: float(after[_COL[c]]) for c in lever.columns}
    return Change(lever=lever.name, before=was, after=now, sentence=_say(lever, was, now, tenure))


def _say(lever: Lever, was: dict[str, float], now: dict[str, float], tenure: int) -> str:
    if lever.name == "full_payment":
        months_was, months_now = (_months(v["PRC_FULL_PAYMENT"], tenure) for v in (was, now))
        if now["PRC_FULL_PAYMENT"] == 0:
            return f"stop paying the balance in full (now in {months_was})"
        if now["PRC_FULL_PAYMENT"] == 1:
            return f"pay the full balance every month (now in {months_was})"
        return f"pay the full balance in {months_now} instead of {months_was.split()[0]}"
    if lever.name == "payments":
        return (
            f"pay {fmt(now['PAYMENTS'], 'money')} in all over the {tenure} months instead of "
            f"{fmt(was['PAYMENTS'], 'money')}"
        )
    if lever.name == "balance":
        lower = now["BALANCE"] < was["BALANCE"]
        verb = "bring the balance down to" if lower else "carry a balance of"
        return f"{verb} {fmt(now['BALANCE'], 'money')} instead of {fmt(was['BALANCE'], 'money')}"
    frequency, amount = lever.columns[0], lever.columns[1]
    doing, things = {
        "cash_advances": ("take cash advances", "cash advances"),
        "instalments": ("buy in instalments", "instalment purchases"),
        "one_off": ("make one-off purchases", "one-off purchases"),
    }[lever.name]
    months_was, months_now = _months(was[frequency], tenure), _months(now[frequency], tenure)
    money_was, money_now = fmt(was[amount], "money"), fmt(now[amount], "money")
    if now[amount] == 0:
        return f"stop {things} (now {money_was} over {months_was})"
    if was[amount] == 0:
        return f"start to {doing}: {money_now} over {months_now}"
    if months_now == months_was:
        return f"spend {money_now} on {things} instead of {money_was}, over the same {months_now}"
    return (
        f"{doing} in {months_now} instead of {months_was.split()[0]}, "
        f"{money_now} in all instead of {money_was}"
    )


def _blocked_by(
    model: SegmentModel, start: np.ndarray, filled: np.ndarray, target: int, tenure: int
) -> list[str]:
    """The columns the customer cannot change that keep them out of the target: those a book
    standard deviation or more from its centre, named only when giving the customer the
    target's typical values of them lets some move reach it."""
    at = {c: i for i, c in enumerate(TRANSFORMED_COLUMNS)}
    centre = model.centre_of(target)
    apart = [c for c in FIXED_COLUMNS if abs(centre[at[c]] - start[at[c]]) >= 1.0]
    if not apart:
        return []
    typical = inverse_features(model.pipeline[:-1], centre[None, :])[0]
    given = filled.copy()
    given[[_COL[c] for c in apart]] = typical[[_COL[c] for c in apart]]
    candidates, _ = _candidates(model, start, given, target, tenure)
    candidates = np.vstack([given, candidates])  # as they are, and every move
    return apart if (model.segments(_frame(candidates)) == target).any() else []


def _no_move_sentence(
    model: SegmentModel,
    customer_id: str,
    current: tuple[int, str],
    target: int,
    blocked: list[str],
) -> str:
    tried = ", ".join(lever.title for lever in LEVERS)
    why = (
        f": it differs from them in {_join([label(c) for c in blocked])}, which the customer "
        "cannot change"
        if blocked
        else ""
    )
    return (
        f"No change the customer can make ({tried}), up to the figures of a typical customer "
        f"of segment {target} ({model.names[target]}), moves {customer_id} there from segment "
        f"{current[0]} ({current[1]}){why}"
    )


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
