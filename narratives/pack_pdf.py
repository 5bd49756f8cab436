"""The campaign pack as a PDF (fpdf2): the parts the HTML shows, laid out on A4 pages.

The fonts are DejaVu Sans, shipped in `fonts/` (fpdf2's own fonts are Latin-1 only, and
persona text may hold any character). The same pack gives the same bytes: the PDF's creation
date is the pack's own, and nothing else in the file depends on the clock.
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF

from narratives.pack import Pack
from narratives.pack_text import Block, Line, Part
from narratives.review import DRAFT_MARK
from segmenter.charts.figures import to_png

__all__ = ["FONTS", "pack_pdf"]

FONTS = Path(__file__).resolve().parent / "fonts"
_FAMILY = "DejaVu"
_INK, _GREY, _RULE, _RED = (29, 39, 51), (91, 103, 117), (213, 219, 225), (138, 28, 28)
_SIZES = {"text": 10.5, "list": 10.5, "fine": 8.5}
_SCALE = 2.0  # chart pixels per CSS pixel: sharp when printed
_MM_PER_PX = 25.4 / 96 * 1.3  # a chart's CSS pixel on the page: its words near the text's size
_KEEP = 35.0  # mm: a heading with less room than this below it starts a new page


class _Pages(FPDF):
    """A4 pages with the persona's name and the page number at the foot of each and, while
    the pack is not approved, "DRAFT: not approved" at the head of each."""

    def __init__(self, foot: str, *, draft: bool) -> None:
        super().__init__(format="A4")
        self.foot = foot
        self.draft = draft
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.add_font(_FAMILY, "", FONTS / "DejaVuSans.ttf")
        self.add_font(_FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")

    def header(self) -> None:
        if not self.draft:
            return
        self.set_y(7)
        self.set_font(_FAMILY, "B", 9)
        self.set_text_color(*_RED)
        self.cell(0, 5, DRAFT_MARK, align="R")
        self.set_y(self.t_margin)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FAMILY, "", 8)
        self.set_text_color(*_GREY)
        self.cell(0, 5, f"{self.foot} · page {self.page_no()} of {{nb}}", align="C")


def _room(pdf: FPDF) -> float:
    return float(pdf.page_break_trigger - pdf.get_y())


def _heading(pdf: FPDF, text: str, *, size: float, rule: bool = False) -> None:
    if _room(pdf) < _KEEP:
        pdf.add_page()
    pdf.ln(3 if rule else 1.5)
    if rule:
        pdf.set_draw_color(*_RULE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2.5)
    pdf.set_font(_FAMILY, "B", size)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _line(pdf: FPDF, line: Line, *, size: float, indent: float = 0.0) -> None:
    """One line, its lead in bold, wrapped under itself (a list item under its bullet)."""
    height = size * 0.48
    margin = pdf.l_margin
    if indent:
        pdf.set_x(margin + indent - 4)
        pdf.set_font(_FAMILY, "", size)
        pdf.cell(4, height, "•")
    pdf.set_left_margin(margin + indent)
    pdf.set_x(margin + indent)
    if line.lead:
        pdf.set_font(_FAMILY, "B", size)
        pdf.write(height, line.lead + (": " if line.text else ""))
    pdf.set_font(_FAMILY, "", size)
    pdf.write(height, line.text)
    if line.detail:
        pdf.ln(height + size * 0.08)
        pdf.set_font(_FAMILY, "", size - 1)
        pdf.set_text_color(*_GREY)
        pdf.write(height, line.detail)
        pdf.set_text_color(*_INK)
    pdf.set_left_margin(margin)
    pdf.ln(height + size * 0.12)


def _chart(pdf: FPDF, block: Block, pack: Pack) -> None:
    if block.chart not in pack.charts:
        return
    png = to_png(pack.charts[block.chart], scale=_SCALE)
    # The PNG's own size (its header) in CSS pixels, on the page at the size of a screen.
    width = int.from_bytes(png[16:20], "big") / _SCALE * _MM_PER_PX
    height = int.from_bytes(png[20:24], "big") / _SCALE * _MM_PER_PX
    if width > pdf.epw:
        width, height = pdf.epw, height * pdf.epw / width
    if _room(pdf) < height + 10:
        pdf.add_page()
    if block.title:
        _heading(pdf, block.title, size=11)
    pdf.image(io.BytesIO(png), w=width, h=height, alt_text=block.alt or block.title)
    pdf.ln(2)


def _block(pdf: FPDF, block: Block, pack: Pack) -> None:
    if block.kind == "chart":
        _chart(pdf, block, pack)
        return
    size = _SIZES[block.kind]
    if block.title:
        _heading(pdf, block.title, size=size + 0.5)
    pdf.set_text_color(*(_GREY if block.kind == "fine" else _INK))
    for line in block.lines:
        _line(pdf, line, size=size, indent=6.0 if block.kind == "list" else 0.0)
    pdf.ln(1.5)


def _part(pdf: FPDF, part: Part, pack: Pack, *, size: float = 14) -> None:
    _heading(pdf, part.title, size=size, rule=True)
    for block in part.blocks:
        _block(pdf, block, pack)


def pack_pdf(pack: Pack) -> bytes:
    """The pack as PDF bytes: the body, then the appendix from a page of its own."""
    pdf = _Pages(foot=f"Campaign pack: {pack.title}", draft=pack.draft is not None)
    pdf.set_creation_date(pack.generated_at)
    pdf.set_title(f"Campaign pack: {pack.title}")
    pdf.set_subject(pack.kicker)
    pdf.set_creator("card-segmenter")
    pdf.set_lang("en")
    pdf.add_page()
    if pack.draft:
        pdf.set_font(_FAMILY, "B", 10)
        pdf.set_text_color(*_RED)
        pdf.multi_cell(0, 5, pack.draft, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_font(_FAMILY, "", 9)
    pdf.set_text_color(*_GREY)
    pdf.multi_cell(0, 5, pack.kicker, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FAMILY, "B", 22)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(0, 10, pack.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FAMILY, "B", 12)
    pdf.multi_cell(0, 7, pack.lead, new_x="LMARGIN", new_y="NEXT")
    for part in pack.body:
        _part(pdf, part, pack)
    pdf.add_page()
    pdf.set_font(_FAMILY, "B", 16)
    pdf.multi_cell(0, 8, pack.appendix_title, new_x="LMARGIN", new_y="NEXT")
    for part in pack.appendix:
        _part(pdf, part, pack, size=12)
    return bytes(pdf.output())
