"""Every CSV the app offers for download is spreadsheet-safe: ids that look like formulas are
quoted, as in the files the command line writes (segmenter.files). The audience lists carry the
extra columns chosen and respect a consent column, as `segmenter brief --carry --consent` does.

The CSVs: assignments.csv and each audience list on the Export page, the same files inside
campaign.zip (made only when clicked), scores.csv on the Score page, and each persona card's
audience file on the Personas page, which follows the columns and consent chosen on Export.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest, app_test

from testkit.paths import APP, SAMPLE

# Not digits alone: among "C10001"s an id like "-2+3" may be taken for a stray number, not a
# customer (segmenter.ingest), and dropped before any file is written.
HOSTILE_IDS = ("=1+1", "+SUM(A1)", "-1+A1", "@cmd")
FULLWIDTH_ID = "\uff1d1+1"  # a fullwidth equals sign: a formula once a spreadsheet normalises it


class _Recorded(MediaFileManager):
    """The media file manager of AppTest's runtime, kept so a test can read what it serves."""

    made: list[MediaFileManager] = []  # noqa: RUF012 - one list per test, reset below

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _Recorded.made.append(self)


@pytest.fixture(autouse=True)
def recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    _Recorded.made = []
    monkeypatch.setattr(app_test, "MediaFileManager", _Recorded)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SEGMENTER_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)


def downloaded(at: AppTest, key: str) -> bytes:
    """The bytes a download button serves; a deferred one's are made as a click would."""
    proto = at.download_button(key=key).proto
    manager = _Recorded.made[-1]  # each run makes its own; the last one drew this page
    if proto.HasField("deferred_file_id"):
        url = manager.execute_deferred(proto.deferred_file_id)
    else:
        url = proto.url
    served = manager.read_file(Path(url).stem)
    assert served is not None, f"download {key!r} is not in the media storage"
    return served.content


def hostile_customers(rows: int = 400, *, ids: tuple[str, ...] = HOSTILE_IDS) -> bytes:
    """The sample's first rows, with formula-like ids among them."""
    frame = pl.read_csv(SAMPLE, n_rows=rows, schema_overrides={"CUST_ID": pl.String})
    ids = (*ids, *frame.get_column("CUST_ID").to_list()[len(ids) :])
    return frame.with_columns(CUST_ID=pl.Series(ids)).write_csv().encode()


def assert_neutralised(content: bytes) -> None:
    """No line of the CSV starts a formula, fullwidth signs read as a spreadsheet reads them."""
    lines = content.decode("utf-8").splitlines()
    assert lines
    starts = [unicodedata.normalize("NFKC", line[:4]) for line in lines]
    assert not [start for start in starts if start.startswith(("=", "+", "-", "@"))]


def assert_all_quoted(content: bytes, *, ids: tuple[str, ...] = HOSTILE_IDS) -> None:
    """Every formula-like id is there, quoted."""
    text = content.decode("utf-8")
    for hostile in ids:
        assert f"'{hostile}" in text, hostile


def test_the_scores_download_quotes_formula_like_ids() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("card_segmenter/app/pages/score.py").run()
    at.file_uploader(key="score_upload").set_value(
        ("new.csv", hostile_customers(), "text/csv")
    ).run()
    assert not at.exception
    scores = downloaded(at, "download_scores")
    assert_neutralised(scores)
    assert_all_quoted(scores)


def test_every_export_csv_quotes_formula_like_ids() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("card_segmenter/app/pages/export.py").run()
    at.sidebar.file_uploader(key="upload").set_value(
        ("book.csv", hostile_customers(), "text/csv")
    ).run()
    assert not at.exception
    assignments = downloaded(at, "download_assignments_csv")
    assert_neutralised(assignments)
    assert_all_quoted(assignments)

    keys = [b.key for b in at.get("download_button") if (b.key or "").startswith("download_aud")]
    assert len(keys) >= 2
    audiences = [downloaded(at, key) for key in keys]
    for audience in audiences:
        assert_neutralised(audience)
    assert_all_quoted(b"".join(audiences))

    # The ZIP holds the same CSVs, byte for byte.
    with zipfile.ZipFile(io.BytesIO(downloaded(at, "download_zip"))) as archive:
        csvs = {name: archive.read(name) for name in archive.namelist() if name.endswith(".csv")}
    lists = [f"campaign/audiences/segment-{key.rsplit('_', 1)[1]}.csv" for key in keys]
    assert sorted(csvs) == sorted(["campaign/assignments.csv", *lists])
    assert csvs["campaign/assignments.csv"] == assignments
    assert [csvs[name] for name in lists] == audiences


def pack_audiences(at: AppTest) -> dict[int, bytes]:
    """Each persona card's audience file (Personas page), by segment id, made when clicked."""
    keys = [b.key for b in at.get("download_button") if (b.key or "").startswith("pack_csv_")]
    assert len(keys) >= 2
    return {int(key.rsplit("_", 1)[1]): downloaded(at, key) for key in keys}


def test_every_persona_cards_audience_file_quotes_formula_like_ids() -> None:
    ids = (*HOSTILE_IDS, FULLWIDTH_ID)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("card_segmenter/app/pages/personas.py").run()
    at.sidebar.file_uploader(key="upload").set_value(
        ("book.csv", hostile_customers(ids=ids), "text/csv")
    ).run()
    assert not at.exception
    audiences = pack_audiences(at)
    for audience in audiences.values():
        assert_neutralised(audience)
    assert_all_quoted(b"".join(audiences.values()), ids=ids)


# --- audience lists a CRM can take -------------------------------------------------------------

HYPERLINK = '=HYPERLINK("http://evil.example","Click")'


def crm_customers(rows: int = 400) -> bytes:
    """The sample's first rows with extra columns: an email (one formula-like), a consent flag
    (no for every fourth customer) and a region."""
    frame = pl.read_csv(SAMPLE, n_rows=rows, schema_overrides={"CUST_ID": pl.String})
    emails = [f"c{i}@bank.example" for i in range(frame.height)]
    emails[1] = HYPERLINK
    return (
        frame.with_columns(
            email=pl.Series(emails),
            consent=pl.Series(["No " if i % 4 == 0 else "yes" for i in range(frame.height)]),
            region=pl.lit("north"),
        )
        .write_csv()
        .encode()
    )


def audience_lists(at: AppTest) -> list[pl.DataFrame]:
    keys = [b.key for b in at.get("download_button") if (b.key or "").startswith("download_aud")]
    assert len(keys) >= 2
    return [pl.read_csv(io.BytesIO(downloaded(at, k)), infer_schema=False) for k in keys]


def test_audience_lists_carry_chosen_columns_and_keep_consenting_customers() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("card_segmenter/app/pages/export.py").run()
    at.sidebar.file_uploader(key="upload").set_value(("crm.csv", crm_customers(), "text/csv")).run()
    at.multiselect(key="audience_carry").set_value(["region", "email"]).run()
    at.selectbox(key="audience_consent").set_value("consent").run()
    assert not at.exception
    assert not at.error

    lists = audience_lists(at)
    columns = ["customer_id", "segment", "segment_name", "persona_title", "product_ids"]
    columns += ["confidence", "region", "email", "consent"]
    assert all(frame.columns == columns for frame in lists)
    every = pl.concat(lists)
    assert every.filter(pl.col("customer_id") == "C10002")["email"].to_list() == ["'" + HYPERLINK]
    assert set(every["region"]) == {"north"}
    assert set(every["consent"]) <= {"yes", "no"}
    # Lists of segments whose products need consent hold only yes; every no is either in a
    # list that needs none or counted as left out (brief.json, inside the ZIP).
    with zipfile.ZipFile(io.BytesIO(downloaded(at, "download_zip"))) as archive:
        brief = json.loads(archive.read("campaign/brief.json"))
    left_out = {s["segment"]["id"]: s["audience_left_out"] for s in brief["sections"]}
    assert sum(left_out.values()) > 0
    for frame in lists:
        if left_out[int(frame["segment"][0])]:
            assert set(frame["consent"]) == {"yes"}
    kept_no = int((every["consent"] == "no").sum())
    assert kept_no + sum(left_out.values()) == 100  # every fourth of 400
    captions = [re.sub(r"\\(.)", r"\1", c.value) for c in at.caption]
    assert [c for c in captions if "without marketing consent (consent) left out" in c]


def test_a_consent_column_that_is_not_yes_or_no_is_one_sentence_and_the_page_works() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("card_segmenter/app/pages/export.py").run()
    at.sidebar.file_uploader(key="upload").set_value(("crm.csv", crm_customers(), "text/csv")).run()
    at.selectbox(key="audience_consent").set_value("email").run()
    assert not at.exception
    assert len(at.error) == 1
    # As it reads on screen: escapes dropped, and the word joiner that keeps an address from
    # becoming a link (narratives.templates.plain_markdown).
    assert re.sub(r"\\(.)", r"\1", at.error[0].value).replace("\u2060", "") == (
        "The audience lists below leave out the columns chosen: crm.csv: consent column "
        "'email', row 2 (customer C10001): 'c0@bank.example' is not yes or no; the column "
        "must hold yes/no, y/n, true/false or 1/0 (any case; an empty cell counts as no) "
        "(and 399 more rows like it)"
    )
    # The rest of the page works: the lists without the columns, the ZIP, the brief.
    assert all(frame.columns[-1] == "confidence" for frame in audience_lists(at))
    assert downloaded(at, "download_zip").startswith(b"PK")
    # The Personas page says so once and offers its cards' audience files without them.
    at.switch_page("card_segmenter/app/pages/personas.py").run()
    assert not at.exception
    assert [w.value.split(": ")[0] for w in at.warning] == [
        "The audience files below leave out the columns chosen on the Export page"
    ]
    audience = pl.read_csv(io.BytesIO(pack_audiences(at)[0]), infer_schema=False)
    assert audience.columns == BASE_COLUMNS
    at.switch_page("card_segmenter/app/pages/export.py").run()
    # Another file, without the columns chosen: the choice goes with the file.
    at.sidebar.file_uploader(key="upload").set_value(
        ("book.csv", hostile_customers(), "text/csv")
    ).run()
    assert not at.exception
    assert not at.error


BASE_COLUMNS = ["customer_id", "segment", "segment_name", "persona_title", "product_ids"]
BASE_COLUMNS += ["confidence"]


def captions(at: AppTest) -> list[str]:
    """The captions as they read on screen (Markdown escapes dropped)."""
    return [re.sub(r"\\(.)", r"\1", c.value) for c in at.caption]


def test_the_persona_cards_audience_files_follow_the_choice_made_on_the_export_page() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("card_segmenter/app/pages/export.py").run()
    at.sidebar.file_uploader(key="upload").set_value(("crm.csv", crm_customers(), "text/csv")).run()
    at.multiselect(key="audience_carry").set_value(["email"]).run()
    at.selectbox(key="audience_consent").set_value("consent").run()
    assert not at.exception
    lists = {int(f["segment"][0]): f for f in audience_lists(at)}
    with zipfile.ZipFile(io.BytesIO(downloaded(at, "download_zip"))) as archive:
        brief = json.loads(archive.read("campaign/brief.json"))
    left_out = {s["segment"]["id"]: s["audience_left_out"] for s in brief["sections"]}
    assert sum(left_out.values()) > 0

    at.switch_page("card_segmenter/app/pages/personas.py").run()
    assert not at.exception
    assert not at.warning
    audiences = pack_audiences(at)
    assert sorted(audiences) == sorted(lists)
    said = captions(at)
    for segment, content in audiences.items():
        frame = pl.read_csv(io.BytesIO(content), infer_schema=False)
        assert frame.columns == [*BASE_COLUMNS, "email", "consent"]
        assert_frame_equal(frame, lists[segment])  # the Export page's list
        if not left_out[segment]:
            continue
        # Only those who said yes, as the card and its pack say.
        assert set(frame["consent"]) == {"yes"}
        assert (
            "Audience file: only the customers with consent = yes, with email, as a product "
            "offered here needs marketing consent." in said
        )
        html = re.sub(r"<[^>]+>", " ", downloaded(at, f"pack_html_{segment}").decode("utf-8"))
        text = " ".join(html.split())
        assert f"the {frame.height} customers of this group" in text
        assert (
            "keeps only the customers who agreed to marketing (consent): "
            f"{left_out[segment]} without consent were left out." in text
        )

    # The choice is kept when the page changes: the Export page shows it again.
    at.switch_page("card_segmenter/app/pages/export.py").run()
    assert at.multiselect(key="audience_carry").value == ["email"]
    assert at.selectbox(key="audience_consent").value == "consent"


def test_without_a_choice_a_cards_audience_file_holds_every_customer_and_says_so() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("card_segmenter/app/pages/personas.py").run()
    assert captions(at).count(
        "Audience file: every customer in the segment; the customer file has no other column, "
        "such as a consent flag: leave out anyone who has not agreed to marketing."
    ) == len(pack_audiences(at))
    at.sidebar.file_uploader(key="upload").set_value(("crm.csv", crm_customers(), "text/csv")).run()
    assert not at.exception
    audiences = [
        pl.read_csv(io.BytesIO(c), infer_schema=False) for c in pack_audiences(at).values()
    ]
    assert all(frame.columns == BASE_COLUMNS for frame in audiences)
    assert sum(frame.height for frame in audiences) == 400
    assert captions(at).count(
        "Audience file: every customer in the segment; choose a consent column on the Export "
        "page to keep only the customers who agreed to marketing."
    ) == len(audiences)
