"""The column-mapping step under AppTest: an upload whose columns are not recognised is mapped
in select boxes, loaded through the normal checks, remembered for files with the same header,
and changed again from the Data page.

The tests open on the Data page and set k before uploading: nothing is segmented until a
mapped file is (the bundled sample's automatic k is not computed here).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from segmenter.ingest.read import load_customers
from segmenter.ingest.schema import CANONICAL_COLUMNS, ID_COLUMN
from segmenter.pipeline import run_segmentation
from testkit.headers import RENAMED, SPANISH, renamed_copy
from testkit.paths import APP, SAMPLE


def page(view: str) -> str:
    return f"card_segmenter/app/pages/{view.lower()}.py"


def on_data_page() -> AppTest:
    """The app on its Data page, which segments nothing."""
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page(page("Data"))
    return at.run()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.sidebar.file_uploader(key="upload").set_value((name, data, "text/csv"))
    return at.run()


def shown(markdown: str) -> str:
    """Markdown as it reads on screen: the app escapes every character of data."""
    return re.sub(r"\\(.)", r"\1", markdown)


def asked(at: AppTest) -> dict[str, list[str]]:
    """The mapping step's select boxes: product column -> the options as labelled."""
    return {
        str(box.key).removeprefix("column_"): box.options
        for box in at.selectbox
        if str(box.key).startswith("column_")
    }


def choose(at: AppTest, columns: dict[str, str]) -> AppTest:
    """Choose a file column for each product column, then click "Use these columns"."""
    for wanted, column in columns.items():
        at.selectbox(key=f"column_{wanted}").set_value(column)
    at.button(key="use_columns").click()
    return at.run()


def customers_per_segment(at: AppTest) -> list[int]:
    """The persona cards' sizes, e.g. 2761 from "2,761 customers · 30.8%"."""
    badges = [m.value for m in at.markdown if "-badge[" in m.value and " customers · " in m.value]
    return [int(b.split("[", 1)[1].split(" customers")[0].replace(",", "")) for b in badges]


@pytest.mark.real_data
def test_spanish_headers_of_the_real_file_are_mapped_and_segmented_like_the_original(
    real_data_path: Path,
) -> None:
    at = on_data_page()
    at.sidebar.selectbox(key="k").set_value(4)
    at = upload(at, "clientes.csv", renamed_copy(real_data_path, SPANISH))
    assert not at.exception
    assert not at.error  # a step, not a refusal
    options = asked(at)
    # One select box per missing column, and one for the id (optional: rows can be numbered).
    assert sorted(options) == sorted(CANONICAL_COLUMNS)
    assert all(o[0] == "choose a column" for c, o in options.items() if c != ID_COLUMN)
    first = [c for c, o in options.items() if o[1].startswith(f"{SPANISH[c]}  (e.g. ")]
    assert len(first) >= 15, sorted(set(options) - set(first))  # 17 of 18 when written
    assert options["BALANCE"][1] == "SALDO  (e.g. 40.900749, 3202.467416)"

    at = choose(at, {column: SPANISH[column] for column in CANONICAL_COLUMNS})
    assert not at.exception
    assert not at.error
    assert not asked(at)
    assert "You mapped 18 of these columns yourself" in "".join(m.value for m in at.markdown)
    at.switch_page(page("Personas")).run()
    assert not at.exception
    original = load_customers(real_data_path).frame
    run = run_segmentation(original, algorithm="kmeans", k=4, seed=0, n_bootstraps=2)
    assert sorted(customers_per_segment(at)) == sorted(s.size for s in run.profile.segments)


def test_the_choice_is_kept_for_a_file_with_the_same_header_and_can_be_changed() -> None:
    at = upload(on_data_page(), "renamed.csv", renamed_copy(SAMPLE, RENAMED))
    options = asked(at)
    assert sorted(options) == sorted(RENAMED)  # the file has ids: none asked for
    assert [options[c][1].split("  ")[0] for c in RENAMED] == list(RENAMED.values())
    at = choose(at, RENAMED)
    assert not at.exception
    assert [m.value for m in at.metric if m.label == "Rows read"] == ["8,950"]

    # Next month's file: same header, other customers. No step: the columns are known.
    at = upload(at, "next-month.csv", renamed_copy(SAMPLE, RENAMED, rows=2000))
    assert not at.exception
    assert not asked(at)
    assert [m.value for m in at.metric if m.label == "Rows read"] == ["2,000"]
    table = at.dataframe[-1].value  # the Column mapping expander's
    matched_by = dict(zip(table["file column"], table["matched by"], strict=True))
    assert {matched_by[c] for c in RENAMED.values()} == {"your mapping"}
    assert matched_by["CASH_ADVANCE"] == "name"
    # ... and the same choice as a file for the command line's --columns
    assert at.download_button(key="columns_toml").label == "Download this mapping (columns.toml)"

    # Changed from the Data page: the step again, the last choice in place.
    at.button(key="change_columns").click().run()
    assert not at.exception
    assert {c: at.selectbox(key=f"column_{c}").value for c in RENAMED} == RENAMED


def test_a_choice_the_checks_refuse_is_said_plainly_and_the_step_stays() -> None:
    names = {**RENAMED, "TENURE": "Months [see](https://example.com) *new*"}
    at = upload(on_data_page(), "mine_*v2*.csv", renamed_copy(SAMPLE, names))
    # Every text from the file is shown as written: escaped in Markdown, as is in the options.
    assert any(m.value.startswith(r"**mine\_\*v2\*\.csv**: 4 of the 17") for m in at.markdown)
    assert "Months [see](https://example.com) *new*  (e.g. 12, 11)" in asked(at)["TENURE"]

    at.button(key="use_columns").click().run()  # nothing chosen
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        "These columns cannot be used: choose a column of your file for BALANCE, "
        "PURCHASES_TRX, PRC_FULL_PAYMENT and 1 more"
    ]

    # Money where a share belongs: the checks refuse it, and say why.
    wrong = {**names, "BALANCE": names["PRC_FULL_PAYMENT"], "PRC_FULL_PAYMENT": "Outstanding"}
    at = choose(at, wrong)
    assert not at.exception
    [refusal] = [shown(e.value) for e in at.error]
    assert refusal.startswith(
        "These columns cannot be used: mine_*v2*.csv: column PRC_FULL_PAYMENT: "
    )
    assert "it must be a share between 0 and 1" in refusal
    assert sorted(asked(at)) == sorted(RENAMED)  # the step stays, with the choice in place
    assert at.selectbox(key="column_PRC_FULL_PAYMENT").value == "Outstanding"

    at = choose(at, names)
    assert not at.exception
    assert not at.error
    assert not asked(at)
