"""One customer for an advisor: products met on their own figures, the view, and its words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from narratives.context import build_context
from narratives.customer import (
    CustomerView,
    customer_products,
    customer_view,
    observed,
    strain_figures,
)
from narratives.customer_text import (
    FIGURE_COLUMNS,
    assignment_sentence,
    figures_table,
    fit_words,
    match_text,
    notes,
)
from narratives.shelf import Condition, Product, Shelf
from segmenter.api import load_customers
from segmenter.explain.customer import (
    CustomerFigure,
    book_spread,
    find_customer,
    typed_customer,
    typical_customer,
)
from segmenter.explain.measures import add_measures
from segmenter.ingest.schema import FEATURE_COLUMNS
from segmenter.pipeline import Segmentation, run_segmentation
from testkit.narratives_fixtures import noisy_run
from testkit.segmenter_fixtures import toy_frame


def figure(feature: str, value: float | None, **fields: Any) -> CustomerFigure:
    """A figure with a book mean of 200 and spread of 50, unless said otherwise."""
    base: dict[str, Any] = dict(
        feature=feature, label=feature.lower().replace("_", " "), kind="money", stat="mean",
        value=value, segment=250.0, book=200.0, book_mean=200.0, book_std=50.0, distinction=None,
    )  # fmt: skip
    return CustomerFigure(**{**base, **fields})


@pytest.mark.parametrize(
    ("stat", "value", "book_mean", "expected"),
    [
        ("mean", 300.0, 200.0, 300.0),
        ("median", 300.0, 200.0, 300.0),
        ("lift", 300.0, 200.0, 1.5),
        ("lift", 300.0, 0.0, None),  # no lift against nothing
        ("effect_size", 300.0, 200.0, 2.0),  # (300 - 200) / 50
        ("effect_size", None, 200.0, None),
    ],
    ids=["mean", "median", "lift", "lift-of-zero", "effect-size", "unknown-value"],
)
def test_a_condition_reads_the_customer_own_value(
    stat: str, value: float | None, book_mean: float, expected: float | None
) -> None:
    condition = Condition(feature="BALANCE", stat=stat, op=">", value=0)  # type: ignore[arg-type]
    assert observed(condition, figure("BALANCE", value, book_mean=book_mean)) == expected


def product(product_id: str, *conditions: Condition, **fields: Any) -> Product:
    return Product(
        id=product_id, name=product_id.title(), category="c", description="d", message="m",
        risk_notes="r", disclaimer="x", conditions=conditions, **fields,
    )  # fmt: skip


SHELF = Shelf(
    name="test shelf",
    disclaimer="Checks apply.",
    products=(
        product("saver", Condition(feature="BALANCE", op="<", value=1000)),
        product("loan", Condition(feature="BALANCE", stat="lift", op=">", value=1.2), credit=True),
        product(
            "line",
            Condition(feature="CASH_ADVANCE_FREQUENCY", op=">", value=0.25),
            credit=True,
            not_with_needs=("debt-help",),
        ),
        product(
            "coach", Condition(feature="BALANCE", stat="effect_size", op=">", value=1), help=True
        ),
        product("advice", Condition(feature="PURCHASES", op=">", value=0), priority=3),
    ),
)
FIGURES = (
    figure("BALANCE", 300.0),  # lift 1.5, effect size 2.0
    figure("CASH_ADVANCE_FREQUENCY", 0.4, kind="share", book_mean=0.1, book_std=0.2),
    figure("PURCHASES", None),  # unknown: qualifies nothing
)


def ids(matches: tuple[Any, ...]) -> list[str]:
    return [m.product.id for m in matches]


def test_products_are_those_whose_conditions_all_hold_by_priority_then_shelf_order() -> None:
    assert ids(customer_products(SHELF, FIGURES)) == ["saver", "loan", "line", "coach"]


def test_under_strain_help_comes_first_credit_last_and_debt_help_rules_some_out() -> None:
    assert ids(customer_products(SHELF, FIGURES, strained=True)) == ["coach", "saver", "loan"]
    assert ids(customer_products(SHELF, FIGURES, needs=("debt-help",))) == [
        "saver",
        "loan",
        "coach",
    ]


def test_strain_is_read_on_the_customer_own_distance_from_the_book() -> None:
    # The vocabulary's strain: cash-advance frequency >= 0.5 or limit usage >= 0.8 (effect sizes).
    calm = figure("CASH_ADVANCE_FREQUENCY", 0.19, kind="share", book_mean=0.1, book_std=0.2)
    busy = figure("CASH_ADVANCE_FREQUENCY", 0.21, kind="share", book_mean=0.1, book_std=0.2)
    assert strain_figures([calm, FIGURES[0]]) == ()  # z 0.45
    assert strain_figures([busy, FIGURES[0]]) == (busy,)  # z 0.55


@pytest.mark.parametrize(
    ("confidence", "words"),
    [(0.81, "A clear fit"), (0.7, "A clear fit"), (0.6, "A fair fit"), (0.52, "A borderline fit")],
)
def test_confidence_in_words(confidence: float, words: str) -> None:
    assert fit_words(confidence).startswith(words)


def test_figures_read_in_people_units() -> None:
    table = figures_table(
        [
            figure("BALANCE", 1595.64, segment=None, book=873.4, stat="median"),
            figure("PURCHASES_FREQUENCY", 0.833333, kind="share", segment=0.25, book=0.49),
            figure("PURCHASES_TRX", 15.0, kind="count", segment=2.5, book=7.0, distinction="low"),
        ]
    )
    assert table.columns == list(FIGURE_COLUMNS)
    assert table.rows() == [
        ("balance (median)", "$1,596", "—", "$873", ""),
        ("purchases frequency (mean)", "83%", "25%", "49%", ""),
        ("purchases trx (mean)", "15", "2.5", "7", "low"),
    ]
    assert figures_table(FIGURES[:1], segment=False).rows() == [("balance (mean)", "$300", "$200")]


def test_why_a_product_fits_cites_the_customer_figures() -> None:
    matches = {m.product.id: m for m in customer_products(SHELF, FIGURES)}
    assert match_text(matches["loan"]) == (
        "Meets balance at 1.50\u00d7 the book average ($300 against $200, rule > 1.20\u00d7)."
    )
    assert match_text(matches["coach"]) == (
        "Meets balance +2.00 standard deviations from the book average ($300 against $200, "
        "rule > +1.00)."
    )
    assert match_text(matches["line"]) == "Meets cash advance frequency 40% (rule > 25%)."


@pytest.fixture(scope="module")
def toy() -> tuple[pl.DataFrame, Segmentation]:
    frame = toy_frame()
    return frame, run_segmentation(frame, algorithm="kmeans", k=3, seed=0, n_bootstraps=2)


def view_of(
    row: pl.DataFrame, frame: pl.DataFrame, run: Segmentation, shelf: Shelf
) -> CustomerView:
    return customer_view(
        row,
        model=run.model,
        profile=run.profile,
        context=build_context(run.profile),
        book_std=book_spread(frame),
        shelf=shelf,
    )


def test_a_customer_of_the_book_gets_their_segment_and_a_runner_up(
    toy: tuple[pl.DataFrame, Segmentation], shelf: Shelf
) -> None:
    frame, run = toy
    row = find_customer(frame, "t00010", source="toy")  # a revolver (rows 1-60)
    view = view_of(row, frame, run, shelf)
    assert view.customer_id == "T00010"
    assert view.segment.id == run.labels[9]
    assert view.runner_up is not None
    assert view.runner_up.id != view.segment.id
    assert view.confidence is not None
    assert view.confidence > 0.7
    distinctions = [d.feature for d in run.profile.segments[view.segment.id].distinctions]
    assert [f.feature for f in view.figures[: len(distinctions)]] == distinctions
    assert all(f.segment is not None for f in view.figures)
    titles = {s.id: f"Title {s.id}" for s in build_context(run.profile).segments}
    said = assignment_sentence(view, titles=titles)
    assert said.startswith("A clear fit: confidence ")
    assert said.endswith(f"Runner-up: segment {view.runner_up.id}, {view.runner_up.name} "
                         f"(Title {view.runner_up.id}).")  # fmt: skip


def test_a_segment_too_small_to_quote_is_said_and_its_figures_left_out(
    toy: tuple[pl.DataFrame, Segmentation], shelf: Shelf
) -> None:
    frame, run = toy
    view = view_of(find_customer(frame, "T00070", source="toy"), frame, run, shelf)
    assert (view.segment.id, view.segment.size) == (run.labels[69], 40)  # a transactor
    assert {f.segment for f in view.figures} == {None}
    assert notes(view)[0] == (
        f"Segment {view.segment.id} holds only 40 customers, too few to quote its figures: the "
        "customer is compared with the book's."
    )


def test_typed_figures_of_a_revolver_land_with_the_revolvers(
    toy: tuple[pl.DataFrame, Segmentation], shelf: Shelf
) -> None:
    frame, run = toy
    figures = typical_customer(run.profile)  # the book's medians: a transactor's
    figures.update(BALANCE=4000.0, CASH_ADVANCE=3000.0, CASH_ADVANCE_FREQUENCY=0.5)
    figures.update(PURCHASES=0.0, PURCHASES_FREQUENCY=0.0, PURCHASES_TRX=0.0)
    view = view_of(typed_customer(figures), frame, run, shelf)
    assert view.segment.id == run.labels[0]  # the first 60 rows are revolvers


def test_an_unassigned_customer_is_told_plainly(shelf: Shelf) -> None:
    context = build_context(noisy_run())
    noise, nearest = context.segments[-1], context.segments[1]
    view = CustomerView(
        customer_id="C1", segment=noise, runner_up=nearest, confidence=None, figures=(),
        strain=(), products=(),
    )  # fmt: skip
    said = assignment_sentence(view, titles={1: "The Stretched Borrower"})
    assert said.startswith(
        "Unassigned: this customer lies outside every dense group of customers, and this method "
        "leaves such customers in no segment."
    )
    assert said.endswith(
        "The nearest segment is segment 1, Cash-advance revolvers (The Stretched Borrower)."
    )
    assert notes(view) == []


@pytest.mark.real_data
def test_on_the_real_file_a_known_customer_gets_their_assignment_and_the_products_they_meet(
    real_data_path: Path, shelf: Shelf
) -> None:
    frame = load_customers(real_data_path).frame
    run = run_segmentation(frame, algorithm="kmeans", k=3, seed=0, n_bootstraps=2)
    view = view_of(find_customer(frame, "C10001", source="CC_GENERAL.csv"), frame, run, shelf)
    index = frame.get_column("CUST_ID").to_list().index("C10001")
    assert view.segment.id == run.labels[index]  # as assignments.csv gives it
    # The shelf's conditions recomputed by hand on C10001's own figures.
    book = add_measures(frame).select(pl.exclude("CUST_ID", "PURCHASE_TYPE"))
    mine = book.row(index, named=True)
    mean, std = book.mean().row(0, named=True), book.std().row(0, named=True)

    def holds(c: Condition) -> bool:
        x = mine[c.feature]
        if x is None:
            return False
        value = {"lift": x / mean[c.feature], "effect_size": (x - mean[c.feature]) / std[c.feature]}
        got = value.get(c.stat, x)
        return bool({">": got > c.value, ">=": got >= c.value, "<": got < c.value,
                     "<=": got <= c.value}[c.op])  # fmt: skip

    by_hand = {p.id for p in shelf.products if all(holds(c) for c in p.conditions)}
    met = {m.product.id for m in view.products}
    assert met
    assert met <= by_hand
    assert mine["CREDIT_LIMIT"] / mean["CREDIT_LIMIT"] < 0.8
    assert "credit-builder" in met
    assert np.isclose(view.figures[0].book_mean, mean[view.figures[0].feature], rtol=1e-4)
    assert set(FEATURE_COLUMNS) <= {f.feature for f in view.figures}
