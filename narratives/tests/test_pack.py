"""Campaign packs: one segment for marketers, as HTML and PDF, with its audience file."""

from __future__ import annotations

import io
import re
from pathlib import Path

import polars as pl
import pytest
from pypdf import PdfReader

from narratives.context import build_context
from narratives.export import FixedPersonas
from narratives.pack import Pack, pack_html
from narratives.pack_files import audience_path, write_pack
from narratives.pack_pdf import pack_pdf
from narratives.pack_text import for_marketers, lead_line, plain_reason, summary_for_marketers
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf
from segmenter.errors import InputError
from segmenter.ingest.quality import CarriedColumns
from testkit.narratives_fixtures import SIZES, customer_ids, noisy_run, run_profile, write_run_dir
from testkit.pack_fixtures import IMAGES, WHEN, pack_of

HOSTILE = '<script>alert("x")</script> <img src=x onerror=alert(1)>'
# What analysts say and marketers should not have to read: statistics, the "book", rules with
# thresholds, audit hashes.
JARGON = re.compile(
    r"silhouette|rand index|\bARI\b|bootstrap|jaccard|effect size|\brules?\b"
    r"|\bthe book\b|\(book\b|\bbook (?:mean|median|average)"  # not "to book a review"
    r"|\bmedian\b|confidence is|sha-256|\bhash|[0-9a-f]{64}",
    re.IGNORECASE,
)


def visible(html: str) -> str:
    """The text a reader sees: tags (and the charts' data) left out, entities as written."""
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.DOTALL)
    text = " ".join(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").split())
    return re.sub(r" ([:,.;])", r"\1", text)  # "<strong>Lead</strong>: text" reads "Lead: text"


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def pdf_pack(shelf: Shelf) -> tuple[Pack, bytes]:
    """The Stretched Borrower's pack and its PDF, made once: charts take a moment each."""
    pack = pack_of(shelf, 1)
    return pack, pack_pdf(pack)


@pytest.mark.parametrize("segment", [0, 1, 2, 3, 4], ids=lambda s: f"segment-{s}")
def test_the_body_speaks_to_marketers_and_the_appendix_to_analysts(
    shelf: Shelf, segment: int
) -> None:
    html = pack_html(pack_of(shelf, segment), images=IMAGES)
    body, appendix = html.split('<div class="appendix">')
    assert not JARGON.findall(visible(body))
    assert "all customers" in visible(body)
    assert JARGON.search(visible(appendix))  # the statistics are kept, where analysts look


def test_the_html_pack_escapes_persona_and_model_text(shelf: Shelf) -> None:
    persona = RuleBasedWriter(shelf).write(build_context(run_profile()))[1]
    hostile = persona.model_copy(
        update={"persona_name": HOSTILE, "summary": HOSTILE, "messages": (HOSTILE,)}
    )
    html = pack_html(pack_of(shelf, 1, persona=hostile), images=IMAGES)
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html
    assert "http://" not in html  # self-contained: nothing fetched from anywhere
    assert "https://" not in html


def test_the_html_pack_embeds_its_two_charts(pdf_pack: tuple[Pack, bytes]) -> None:
    html = pack_html(pdf_pack[0])
    assert html.count('<img src="data:image/svg+xml;base64,') == 2
    assert "img-src data:" in html  # the page's policy lets nothing else in


def test_the_pdf_holds_the_persona_and_its_charts(pdf_pack: tuple[Pack, bytes]) -> None:
    pack, pdf = pdf_pack
    assert pdf.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 2  # the body, then the appendix from a page of its own
    text = flat("\n".join(page.extract_text() for page in pages))
    assert "The Stretched Borrower" in text
    lead = lead_line(pack.segment)
    assert flat(summary_for_marketers(pack.persona.summary).removeprefix(lead)) in text
    assert text.count(lead) == 1  # under the title, not again at the summary's start
    assert "Why it fits them: Full-payment rate 3% on average, against 16% for all" in text
    assert sum(len(page.images) for page in pages) == 2
    body, appendix = text.split(pack.appendix_title)
    assert not JARGON.findall(body)
    assert JARGON.search(appendix)


def test_the_same_pack_gives_the_same_pdf(shelf: Shelf, pdf_pack: tuple[Pack, bytes]) -> None:
    assert pack_pdf(pack_of(shelf, 1)) == pdf_pack[1]


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        pytest.param(7, r"^this run has no segment 7: its segments are 0, 1, 2, 3$", id="unknown"),
        pytest.param(-1, r"^segment -1 holds the customers that fit no segment, .* 0, 1, 2, 3$",
                     id="noise"),
    ],
)  # fmt: skip
def test_a_pack_of_no_segment_is_refused_in_one_sentence(
    tmp_path: Path, shelf: Shelf, segment: int, message: str
) -> None:
    run_dir = write_run_dir(tmp_path / "run", noisy_run())
    with pytest.raises(InputError, match=message):
        write_pack(
            run_dir, tmp_path / "pack.pdf", segment=segment, writer=RuleBasedWriter(shelf),
            shelf=shelf,
        )  # fmt: skip
    assert not list(tmp_path.glob("pack*"))


def test_a_pack_is_a_pdf_or_an_html_file(tmp_path: Path, shelf: Shelf) -> None:
    with pytest.raises(InputError, match=r"pack\.md: a campaign pack is a \.pdf or an \.html file"):
        write_pack(tmp_path, tmp_path / "pack.md", segment=0, writer=RuleBasedWriter(shelf),
                   shelf=shelf)  # fmt: skip


def test_write_pack_writes_the_pack_and_its_audience_alone(tmp_path: Path, shelf: Shelf) -> None:
    run_dir = write_run_dir(tmp_path / "run")
    out = tmp_path / "out" / "pack.html"
    pack = write_pack(run_dir, out, segment=1, writer=RuleBasedWriter(shelf), shelf=shelf,
                      clock=lambda: WHEN)  # fmt: skip
    assert sorted(p.name for p in out.parent.iterdir()) == ["pack-audience.csv", "pack.html"]
    assert audience_path(out) == out.parent / "pack-audience.csv"
    audience = pl.read_csv(audience_path(out), schema_overrides={"customer_id": pl.String})
    assert audience["customer_id"].to_list() == customer_ids()[SIZES[0] : SIZES[0] + SIZES[1]]
    assert set(audience["persona_title"]) == {"The Stretched Borrower"}
    assert pack.audience is not None
    assert pack.audience.customers == SIZES[1]
    html = out.read_text(encoding="utf-8")
    assert "pack-audience.csv" in html
    assert "Profiles (profiles.json) SHA-256" in html  # the audit, in the appendix


def test_a_consent_column_keeps_only_consenting_customers(tmp_path: Path, shelf: Shelf) -> None:
    run_dir = write_run_dir(tmp_path / "run")
    ids = customer_ids()
    said = ["yes" if i % 4 else "no" for i in range(len(ids))]  # every fourth said no
    frame = pl.DataFrame({"CUST_ID": ids, "consent": said})
    rows = pl.Series("__row", range(2, len(ids) + 2), dtype=pl.UInt32)
    carried = CarriedColumns(frame=frame, rows=rows, source="book.csv")
    out = tmp_path / "pack.html"
    pack = write_pack(run_dir, out, segment=1, writer=RuleBasedWriter(shelf), shelf=shelf,
                      carried=carried, consent="consent")  # fmt: skip
    # The Stretched Borrower is offered the consolidation loan, which needs consent.
    kept = said[SIZES[0] : SIZES[0] + SIZES[1]]
    assert pack.audience is not None
    assert (pack.audience.customers, pack.audience.left_out) == (
        kept.count("yes"),
        kept.count("no"),
    )
    audience = pl.read_csv(audience_path(out), infer_schema=False)
    assert set(audience["consent"]) == {"yes"}
    assert (
        f"keeps only the customers who agreed to marketing (consent): {kept.count('no')} without "
        "consent were left out." in visible(out.read_text(encoding="utf-8"))
    )


def test_a_persona_the_model_wrote_is_credited_to_it(tmp_path: Path, shelf: Shelf) -> None:
    persona = RuleBasedWriter(shelf).write(build_context(run_profile()))[0]
    written = persona.model_copy(update={"source": "llm", "tokens_in": 900, "tokens_out": 300})
    writer = FixedPersonas([written], label="test-model", endpoint="127.0.0.1")
    out = tmp_path / "pack.html"
    pack = write_pack(write_run_dir(tmp_path / "run"), out, segment=0, writer=writer, shelf=shelf)
    assert pack.narratives == "test-model"
    said = visible(out.read_text(encoding="utf-8"))
    assert "Narratives: test-model. Written by the LLM and checked against the figures" in said
    assert "LLM tokens: 900 in, 300 out" in said


def test_only_the_chosen_segment_is_written_about(tmp_path: Path, shelf: Shelf) -> None:
    run_dir = write_run_dir(tmp_path / "run")
    writer = FixedPersonas(  # refuses to be asked about any other set of segments
        RuleBasedWriter(shelf).write(build_context(run_profile()))[2:3], label="rule-based"
    )
    pack = write_pack(run_dir, tmp_path / "pack.html", segment=2, writer=writer, shelf=shelf)
    assert pack.title == "The Quiet Cardholder"


def test_a_small_segment_gets_words_not_charts(shelf: Shelf) -> None:
    pack = pack_of(shelf, 4)  # 38 customers
    assert not pack.charts
    said = visible(pack_html(pack, images={}))
    assert "Too few customers to describe reliably: no product is suggested." in said
    assert "Only 38 customers: too few to describe them reliably." in said


def test_a_strained_segment_is_offered_help_before_credit(shelf: Shelf) -> None:
    said = visible(pack_html(pack_of(shelf, 1), images=IMAGES))
    assert (
        "offer help with the balance before any new credit. Credit products: only after a full "
        "affordability check, and after help with the balance." in said
    )


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        (
            "median $540 against $873 for the book.",
            "typically $540 against $873 for all customers.",
        ),
        ("the median customer", "the median customer"),
        ("3,120 customers, 34.9% of the book.", "3,120 customers, 34.9% of all customers."),
        ("0.14\u00d7 the book average", "0.14\u00d7 the average customer"),
        ("against the rest of the book", "against other customers"),
        ("(book 40%, rule > 50%)", "(all customers 40%, rule > 50%)"),
        ("an invitation to book a review", "an invitation to book a review"),
    ],
)
def test_the_book_is_said_as_all_customers(text: str, plain: str) -> None:
    assert for_marketers(text) == plain


def test_a_product_fits_on_figures_beside_all_customers_never_a_threshold(shelf: Shelf) -> None:
    segment = build_context(run_profile()).segments[3]
    reason = plain_reason(shelf.match(segment)[0].evidence)
    assert reason == (
        "Purchases frequency 93% on average, against 49% for all customers; purchases $3,350 on "
        "average, against $920 for all customers; cash-advance frequency 6% on average, against "
        "16% for all customers."
    )


def test_the_summary_leaves_the_analysts_confidence_to_the_appendix() -> None:
    summary = (
        "2,761 customers, 30.9% of the book. Their figures show signs of financial strain. "
        "Confidence is medium: refits on resampled customers agree only in part (bootstrap "
        "agreement 0.69)."
    )
    assert summary_for_marketers(summary) == (
        "2,761 customers, 30.9% of all customers. Their figures show signs of financial strain."
    )
