"""Audience files a CRM can take: columns, carried columns, consent, spreadsheet safety."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from narratives import RuleBasedWriter, build_context
from narratives.audiences import (
    AUDIENCE_COLUMNS,
    Audiences,
    audience_sentence,
    audience_table,
    needs_consent,
    read_assignments,
    write_audiences,
)
from narratives.context import RunContext
from narratives.personas import Persona
from narratives.shelf import Shelf
from segmenter.errors import InputError
from segmenter.ingest.quality import CarriedColumns
from testkit.narratives_fixtures import run_profile

# Customers by hand: segment 0 (Instalment buyers) C1, C4; segment 1 (Cash-advance revolvers)
# C2, C3, C5; segment 4 (38 big-ticket spenders: too small for products) C6.
ASSIGNMENTS = pl.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6"],
        "segment": [0, 1, 1, 0, 1, 4],
        "segment_name": ["Instalment buyers", *["Cash-advance revolvers"] * 2,
                         "Instalment buyers", "Cash-advance revolvers", "Big-ticket spenders"],
        "confidence": [0.9, 0.8, 0.6, None, 0.7, 0.55],
    }
)  # fmt: skip
LOAN = "debt-consolidation-loan"  # recommended to segment 1 only


@pytest.fixture(scope="module")
def context() -> RunContext:
    return build_context(run_profile())


@pytest.fixture(scope="module")
def loan_shelf(shelf: Shelf) -> Shelf:
    """The shipped shelf where only the consolidation loan needs marketing consent."""
    products = tuple(p.model_copy(update={"consent": p.id == LOAN}) for p in shelf.products)
    return shelf.model_copy(update={"products": products})


@pytest.fixture(scope="module")
def personas(context: RunContext, loan_shelf: Shelf) -> list[Persona]:
    return RuleBasedWriter(loan_shelf).write(context)


def carried(
    columns: dict[str, list[str | None]], *, ids: list[str] | None = None
) -> CarriedColumns:
    """Extra columns as ingest hands them over: ids, text, and spreadsheet rows 2, 3, ..."""
    ids = ids or ["C1", "C2", "C3", "C4", "C5", "C6"]
    frame = pl.DataFrame(
        {"CUST_ID": ids, **columns}, schema_overrides=dict.fromkeys(columns, pl.String)
    )
    rows = pl.Series("__row", range(2, len(ids) + 2), dtype=pl.UInt32)
    return CarriedColumns(frame=frame, rows=rows, source="book.csv")


def test_the_table_has_the_crm_columns_segment_by_segment(
    context: RunContext, personas: list[Persona], loan_shelf: Shelf
) -> None:
    done = audience_table(ASSIGNMENTS, context, personas, shelf=loan_shelf)
    assert done.table.columns == list(AUDIENCE_COLUMNS)
    assert done.table.rows() == [
        ("C1", 0, "Instalment buyers", "The Budget Planner",
         "instalment-plan;automated-savings-plan;retirement-account", 0.9),
        ("C4", 0, "Instalment buyers", "The Budget Planner",
         "instalment-plan;automated-savings-plan;retirement-account", None),
        ("C2", 1, "Cash-advance revolvers", "The Stretched Borrower",
         f"financial-coaching;emergency-fund-account;{LOAN}", 0.8),
        ("C3", 1, "Cash-advance revolvers", "The Stretched Borrower",
         f"financial-coaching;emergency-fund-account;{LOAN}", 0.6),
        ("C5", 1, "Cash-advance revolvers", "The Stretched Borrower",
         f"financial-coaching;emergency-fund-account;{LOAN}", 0.7),
        ("C6", 4, "Big-ticket spenders", "The Big-Ticket Spender", None, 0.55),
    ]  # fmt: skip
    assert done.counts == {0: 2, 1: 3, 2: 0, 3: 0, 4: 1}
    assert done.left_out == {}


def test_carried_columns_follow_in_the_order_chosen_and_consent_filters(
    context: RunContext, personas: list[Persona], loan_shelf: Shelf
) -> None:
    extra = carried(
        {
            "region": ["N", "S", "E", "W", "N", None],
            "consent": ["Yes", " no ", "", "0", "TRUE", "y"],
        }
    )
    done = audience_table(
        ASSIGNMENTS, context, personas, shelf=loan_shelf, carried=extra, consent="consent"
    )
    assert done.table.columns == [*AUDIENCE_COLUMNS, "region", "consent"]
    # Segment 1 is offered the loan: only C5 said yes. Segment 0 needs no consent: all stay.
    assert done.table.select("customer_id", "region", "consent").rows() == [
        ("C1", "N", "yes"),
        ("C4", "W", "no"),
        ("C5", "N", "yes"),
        ("C6", None, "yes"),
    ]
    assert done.counts == {0: 2, 1: 1, 2: 0, 3: 0, 4: 1}
    assert done.left_out == {1: 2}  # C2 said no; C3 left it empty, which is not consent
    assert done.consent_column == "consent"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("maybe", "'maybe'", id="word"),
        pytest.param("2", "'2'", id="number"),
        pytest.param("=1+1", "'=1+1'", id="formula"),
    ],
)
def test_a_consent_value_not_yes_or_no_is_one_sentence_naming_where(
    context: RunContext, personas: list[Persona], loan_shelf: Shelf, value: str, shown: str
) -> None:
    extra = carried({"opt_in": ["yes", "no", value, "yes", "oui", "no"]})
    with pytest.raises(InputError) as error:
        audience_table(
            ASSIGNMENTS, context, personas, shelf=loan_shelf, carried=extra, consent="opt_in"
        )
    assert str(error.value) == (
        f"book.csv: consent column 'opt_in', row 4 (customer C3): {shown} is not yes or no; "
        "the column must hold yes/no, y/n, true/false or 1/0 (any case; an empty cell counts "
        "as no) (and 1 more row like it)"
    )


def test_only_the_segments_asked_for(
    context: RunContext, personas: list[Persona], loan_shelf: Shelf
) -> None:
    done = audience_table(ASSIGNMENTS, context, personas, shelf=loan_shelf, segments=[1])
    assert done.counts == {1: 3}
    assert done.segment(1).get_column("customer_id").to_list() == ["C2", "C3", "C5"]
    with pytest.raises(InputError, match=r"^segment 9 has no audience in this run \(its segm"):
        audience_table(ASSIGNMENTS, context, personas, shelf=loan_shelf, segments=[9])


@pytest.mark.parametrize(
    ("extra", "consent", "message"),
    [
        pytest.param(
            carried({"email": ["a"] * 5}, ids=["C1", "C2", "C3", "C4", "C5"]),
            None,
            r"^book\.csv: 1 of the run's 6 customers are not in this file, e\.g\. 'C6'; give",
            id="customer-missing",
        ),
        pytest.param(
            carried({"segment": ["x"] * 6}),
            None,
            r"^book\.csv: column 'segment' cannot be carried under that name",
            id="name-taken",
        ),
        pytest.param(
            carried({"email": ["a"] * 6}),
            "opt_in",
            r"^book\.csv: consent column 'opt_in' is not among those read",
            id="consent-not-read",
        ),
        pytest.param(
            None, "opt_in", r"^consent column 'opt_in': give the customer file", id="no-file"
        ),
    ],
)  # fmt: skip
def test_what_cannot_be_carried_is_refused(
    context: RunContext,
    personas: list[Persona],
    loan_shelf: Shelf,
    extra: CarriedColumns | None,
    consent: str | None,
    message: str,
) -> None:
    with pytest.raises(InputError, match=message):
        audience_table(
            ASSIGNMENTS, context, personas, shelf=loan_shelf, carried=extra, consent=consent
        )


def test_a_product_off_the_shelf_counts_as_needing_consent(
    personas: list[Persona], loan_shelf: Shelf
) -> None:
    assert [needs_consent(p, loan_shelf) for p in personas] == [False, True, False, False, False]
    others = loan_shelf.model_copy(
        update={"products": tuple(p for p in loan_shelf.products if p.id != "instalment-plan")}
    )
    assert needs_consent(personas[0], others)  # it recommends the instalment plan


def test_files_are_spreadsheet_safe_and_replace_an_earlier_run(
    tmp_path: Path, context: RunContext, personas: list[Persona], loan_shelf: Shelf
) -> None:
    hyperlink = '=HYPERLINK("http://evil.example","Click")'
    extra = carried({"email": [hyperlink, "b@x", "c@x", "+44 1", "@home", "f@x"]})
    done = audience_table(ASSIGNMENTS, context, personas, shelf=loan_shelf, carried=extra)
    directory = tmp_path / "audiences"
    stale = directory / "segment-7.csv"
    stale.parent.mkdir()
    stale.write_text("customer_id\nC99\n", encoding="utf-8")
    assert write_audiences(done, directory) == {0: 2, 1: 3, 2: 0, 3: 0, 4: 1}
    assert sorted(p.name for p in directory.iterdir()) == [f"segment-{i}.csv" for i in range(5)]
    with (directory / "segment-0.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*AUDIENCE_COLUMNS, "email"]
    assert [row[-1] for row in rows[1:]] == ["'" + hyperlink, "'+44 1"]
    assert rows[1][5] == "0.9"
    assert rows[2][5] == ""  # no confidence recorded
    assert (directory / "segment-2.csv").read_text(encoding="utf-8").count("\n") == 1  # header
    assert isinstance(done, Audiences)


def test_an_assignments_file_without_confidence_reads_with_it_empty(tmp_path: Path) -> None:
    path = tmp_path / "assignments.csv"
    path.write_text("customer_id,segment,segment_name\n007,0,A\n", encoding="utf-8")
    frame = read_assignments(path)
    assert frame.rows() == [("007", 0, "A", None)]
    assert frame.schema["confidence"] == pl.Float64


def test_a_card_says_what_its_audience_file_holds(
    personas: list[Persona], loan_shelf: Shelf
) -> None:
    loan, plain = personas[1], personas[0]  # the second offers the loan, which needs consent
    say = audience_sentence
    assert say(loan, loan_shelf, carry=("email", "ok"), consent="ok", choosable=True) == (
        "Audience file: only the customers with ok = yes, with email, as a product offered "
        "here needs marketing consent."
    )
    assert say(plain, loan_shelf, carry=("ok",), consent="ok", choosable=True) == (
        "Audience file: every customer in the segment and their ok (yes/no): no product "
        "offered here needs marketing consent."
    )
    assert say(loan, loan_shelf, carry=("email",), choosable=True).startswith(
        "Audience file: every customer in the segment, with email; choose a consent column"
    )
    assert "has no other column" in say(loan, loan_shelf)
