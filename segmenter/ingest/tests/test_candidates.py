"""The mapping step's candidates: what a file lacks, and which of its columns may hold each.

Six hand-written customers: every column of the public file, a few under names no spelling or
close name matches. Each renamed column's values are of one kind only, so where it is offered
can be worked out by hand (shares in [0, 1], whole counts, months 1-24, amounts above 100).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl
import pytest

from segmenter.errors import InputError
from segmenter.ingest.candidates import MAX_FREE, chosen_columns, column_choices, header_key
from segmenter.ingest.mapping import column_map_text, read_column_map
from segmenter.ingest.schema import CANONICAL_COLUMNS, FEATURE_COLUMNS, ID_COLUMN
from testkit.headers import RENAMED
from testkit.hostile_files import VALUES

ROWS = 6
# The renamed columns' cells as written: blanks and "n/a" are missing, "1,250.00" is a number.
CELLS = {
    "BALANCE": ["40.90", "3202.47", "1,250.00", "0", "n/a", "980.5"],
    "PURCHASES_TRX": ["2", "0", "12", "35", "4", "0"],
    "PRC_FULL_PAYMENT": ["0", "0.25", "1", "0.5", "", "0.08"],
    "TENURE": ["12", "12", "6", "8", "12", "11"],
}


def customers(
    names: Mapping[str, str] = RENAMED,
    cells: Mapping[str, list[str]] = CELLS,
) -> pl.DataFrame:
    """Six customers as text cells, in the public file's column order, renamed by `names`."""
    columns = {names.get(ID_COLUMN, ID_COLUMN): [f"C{i}" for i in range(1, ROWS + 1)]}
    for name in FEATURE_COLUMNS:
        columns[names.get(name, name)] = cells.get(name, [f"{VALUES[name]}"] * ROWS)
    return pl.DataFrame(columns)


def test_each_missing_column_is_offered_the_columns_whose_values_fit() -> None:
    choices = column_choices(customers())
    assert choices.missing == ("BALANCE", "PURCHASES_TRX", "PRC_FULL_PAYMENT", "TENURE")
    assert choices.optional == ()  # CUST_ID is in the file
    assert choices.free == ("Outstanding", "Nb achats", "Paid in full share", "Months")
    assert choices.candidates == {
        "BALANCE": ("Outstanding",),  # the only amounts above 100
        "PURCHASES_TRX": ("Nb achats", "Months"),  # months are whole too: a count, less likely
        "PRC_FULL_PAYMENT": ("Paid in full share",),  # the only shares
        "TENURE": ("Months",),  # counts start at 0: no tenure
    }
    assert choices.options("TENURE") == ("Months", "Outstanding", "Nb achats", "Paid in full share")
    assert choices.examples["Outstanding"] == ("40.90", "3202.47")
    assert choices.examples["Paid in full share"] == ("0", "0.25")


def test_numbers_with_a_decimal_comma_are_judged_by_their_values() -> None:
    cells = {**CELLS, "BALANCE": ["40,90", "3202,47", "1250", "0", "", "980,5"]}
    cells["PRC_FULL_PAYMENT"] = ["0", "0,25", "1", "0,5", "", "0,08"]
    choices = column_choices(customers(cells=cells))
    assert choices.candidates["BALANCE"] == ("Outstanding",)
    assert choices.candidates["PRC_FULL_PAYMENT"] == ("Paid in full share",)


def test_columns_of_the_same_kind_come_in_the_public_files_order() -> None:
    # Two amounts of money, neither name close to the product's: each is offered first where it
    # stands in the file (a re-labelled export keeps its columns' order).
    names = {"PURCHASES": "Gastos", "CASH_ADVANCE": "Efectivo"}
    cells = {"PURCHASES": ["95.4", "0", "1200.5"] * 2, "CASH_ADVANCE": ["0", "6442.9", "20.1"] * 2}
    choices = column_choices(customers(names, cells))
    assert choices.candidates == {
        "PURCHASES": ("Gastos", "Efectivo"),
        "CASH_ADVANCE": ("Efectivo", "Gastos"),
    }


def test_a_close_name_comes_before_values_that_fit() -> None:
    # 'Kredit Limite' is like CREDIT_LIMIT's name (not an abbreviation, so not matched itself).
    names = {"CREDIT_LIMIT": "Kredit Limite", "PAYMENTS": "Pagos"}
    cells = {"CREDIT_LIMIT": ["1000", "7000", "2500"] * 2, "PAYMENTS": ["201.8", "4103.0", "0"] * 2}
    choices = column_choices(customers(names, cells))
    assert choices.candidates["CREDIT_LIMIT"] == ("Kredit Limite", "Pagos")
    assert choices.candidates["PAYMENTS"] == ("Pagos", "Kredit Limite")  # fractions: more money


def test_what_was_given_is_no_longer_asked_for() -> None:
    choices = column_choices(customers(), given={"Outstanding": "BALANCE"})
    assert choices.missing == ("PURCHASES_TRX", "PRC_FULL_PAYMENT", "TENURE")
    assert "Outstanding" not in choices.free
    assert "BALANCE" not in choices.candidates


def test_without_an_id_column_the_id_is_offered_as_optional() -> None:
    choices = column_choices(customers({**RENAMED, ID_COLUMN: "Numero"}))
    assert choices.optional == (ID_COLUMN,)
    assert choices.candidates[ID_COLUMN] == ("Numero",)  # unique values; money has fractions


def test_too_few_or_too_many_free_columns_cannot_be_mapped() -> None:
    assert column_choices(customers()).can_be_mapped  # 4 free columns for 4 missing
    notes = column_choices(pl.DataFrame({"name": ["x"], "age": ["1"]}))
    assert (len(notes.missing), notes.free) == (17, ("name", "age"))
    assert not notes.can_be_mapped
    assert notes.candidates == {}  # nothing ranked for a step that will not be shown
    wide = column_choices(pl.DataFrame({f"x{i}": ["1"] for i in range(MAX_FREE + 1)}))
    assert (len(wide.free), wide.can_be_mapped, wide.candidates) == (MAX_FREE + 1, False, {})


def test_a_file_whose_columns_all_match_is_not_ranked() -> None:
    choices = column_choices(customers(names={}))
    assert (choices.missing, choices.candidates) == ((), {})


def test_the_users_choice_becomes_a_column_map() -> None:
    chosen = {"BALANCE": "Outstanding", "TENURE": "Months", ID_COLUMN: None}
    assert chosen_columns(chosen, required=["BALANCE", "TENURE"]) == {
        "Outstanding": "BALANCE",
        "Months": "TENURE",
    }


@pytest.mark.parametrize(
    ("chosen", "refusal"),
    [
        pytest.param(
            {"BALANCE": "Outstanding", "TENURE": None},
            "choose a column of your file for TENURE",
            id="blank",
        ),
        pytest.param(
            {"BALANCE": "Months", "TENURE": "Months"},
            "column 'Months' is chosen for both BALANCE and TENURE",
            id="twice",
        ),
    ],
)
def test_a_choice_that_cannot_be_a_map_is_refused(
    chosen: dict[str, str | None], refusal: str
) -> None:
    with pytest.raises(InputError, match=refusal):
        chosen_columns(chosen, required=["BALANCE", "TENURE"])


def test_the_header_key_is_the_names_in_order() -> None:
    assert header_key(["A", "B"]) == header_key(("A", "B"))
    assert header_key(["A", "B"]) != header_key(["B", "A"])
    assert header_key(["A,B"]) != header_key(["A", "B"])
    assert len(header_key(CANONICAL_COLUMNS)) == 64


def test_a_column_map_written_for_the_command_line_reads_back_as_it_was(tmp_path: Path) -> None:
    mapping = {
        "SALDO": "BALANCE",
        'límite "de" crédito': "CREDIT_LIMIT",
        "path\\to\tcolumn": "TENURE",
        "[columns]": "PAYMENTS",
    }
    path = tmp_path / "columns.toml"
    path.write_text(column_map_text(mapping), encoding="utf-8")
    assert read_column_map(path) == mapping
