"""`segmenter brief --customers FILE --carry COL --consent COL`: audience files a CRM can take."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from testkit.segmenter_fixtures import cli_code as run_cli
from testkit.segmenter_fixtures import toy_frame

HYPERLINK = '=HYPERLINK("http://evil.example","Click")'
COLUMNS = ["customer_id", "segment", "segment_name", "persona_title", "product_ids", "confidence"]


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Toy customers T00001-T00120 in groups of 60, 40, 20 with an email and a consent column
    (no for every third customer), and the run segmented from them at k=3."""
    root = tmp_path_factory.mktemp("audiences")
    frame = toy_frame((60, 40, 20))
    emails = [f"c{i}@bank.example" for i in range(frame.height)]
    emails[60] = HYPERLINK  # T00061, of the second group
    customers = root / "customers.csv"
    frame.with_columns(
        email=pl.Series(emails),
        consent=pl.Series(["No" if i % 3 == 0 else " yes" for i in range(frame.height)]),
    ).write_csv(customers)
    assert run_cli("segment", customers, "--out", root / "run", "--k", "3") == 0
    return customers, root / "run"


def rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_audiences_carry_columns_and_keep_consenting_customers_where_needed(
    segmented: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customers, run = segmented
    out = tmp_path / "brief.md"
    code = run_cli(
        "brief", run, "--out", out, "--offline",
        "--customers", customers, "--carry", "email", "--consent", "consent",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    # Segment 0 (the 60 revolvers) is offered a balance transfer, which needs consent.
    assert "segment 0: 20 customers without marketing consent (consent) left out" in printed
    first = rows(out.parent / "audiences" / "segment-0.csv")
    assert first[0] == [*COLUMNS, "email", "consent"]
    assert len(first) - 1 == 40
    assert {row[-1] for row in first[1:]} == {"yes"}
    assert first[1][:3] == ["T00002", "0", "Cash-advance revolvers"]
    assert "balance-transfer-card" in first[1][4].split(";")
    assert 0.5 < float(first[1][5]) <= 1
    # Segment 1 (40, too small for products here) needs no consent: all of it, a formula quoted.
    second = rows(out.parent / "audiences" / "segment-1.csv")
    assert len(second) - 1 == 40
    assert second[1][0] == "T00061"
    assert second[1][-2:] == ["'" + HYPERLINK, "no"]
    brief = json.loads((out.parent / "brief.json").read_text(encoding="utf-8"))
    assert [s["audience_left_out"] for s in brief["sections"]] == [20, 0, 0]
    assert "(40 customer ids; 20 without marketing consent left out)" in out.read_text()


@pytest.mark.parametrize(
    ("bad", "args", "message"),
    [
        pytest.param(
            True,
            ["--consent", "consent"],
            "customers.csv: consent column 'consent', row 6 (customer T00005): 'perhaps' is not "
            "yes or no; the column must hold yes/no, y/n, true/false or 1/0",
            id="consent-not-yes-no",
        ),
        pytest.param(
            False,
            ["--carry", "phone"],
            "customers.csv: cannot carry column 'phone': it is not an extra column of the file "
            "(one the segments do not use); its extra columns are 'email', 'consent'",
            id="unknown-column",
        ),
        pytest.param(
            None,
            ["--carry", "email"],
            "--carry, --consent, --map and --columns take columns of the customer file: give "
            "it with --customers FILE",
            id="no-customer-file",
        ),
    ],
)
def test_bad_audience_options_exit_2_with_one_line(
    segmented: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bad: bool | None,
    args: list[str],
    message: str,
) -> None:
    customers, run = segmented
    if bad:
        broken = pl.read_csv(customers).with_columns(
            pl.when(pl.col("CUST_ID") == "T00005")
            .then(pl.lit("perhaps"))
            .otherwise(pl.col("consent"))
            .alias("consent")
        )
        customers = tmp_path / "customers.csv"
        broken.write_csv(customers)
    given = [] if bad is None else ["--customers", customers]
    out = tmp_path / "out" / "brief.md"
    assert run_cli("brief", run, "--out", out, "--offline", *given, *args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert message in err
    assert not out.parent.exists()  # refused before anything was written
