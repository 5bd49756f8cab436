"""The one Jinja environment over `prompts/`, its number filters, and a hash of the templates."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from segmenter.explain.vocabulary import Units, default_vocabulary

__all__ = [
    "PROMPTS_DIR",
    "capitalize_first",
    "environment",
    "fmt",
    "plain_markdown",
    "render",
    "render_lines",
    "templates_hash",
]

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")

# How a figure of each kind reads: money in whole units, shares as percentages; the currency
# and the unit of tenure come from the vocabulary's [units].
_KIND_FORMATS: dict[str, Callable[[float, Units], str]] = {
    "money": lambda v, u: f"{u.currency}{v:,.0f}",
    "share": lambda v, u: f"{v * 100:.0f}%",
    "count": lambda v, u: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}",
    "months": lambda v, u: f"{v:.1f} {u.tenure}",
    "ratio": lambda v, u: f"{v:,.1f}",
}


def fmt(value: float | None, kind: str = "ratio", units: Units | None = None) -> str:
    """A statistic as the brief and the prompts print it; an em dash when unknown."""
    if value is None:
        return "—"
    spell = _KIND_FORMATS.get(kind, _KIND_FORMATS["ratio"])
    return spell(value, units or default_vocabulary().units)


def _times(value: float | None) -> str:
    # Two decimals: "0.78x" beside a rule's "0.80x" must not read as the rule broken.
    return "—" if value is None else f"{value:.2f}\u00d7"


def _fmt_apart(value: float | None, other: float | None, kind: str = "ratio") -> str:
    """`fmt`, with one more decimal where the value would print as `other` does (a figure
    beside the threshold it passes: "49.6%" against "rule > 50%", never "50%" and "50%")."""
    text = fmt(value, kind)
    if value is None or other is None or text != fmt(other, kind) or value == other:
        return text
    if kind == "share":
        return f"{value * 100:.1f}%"
    return f"{value:,.2f}" if kind != "money" else f"{fmt(0, kind)[:-1]}{value:,.2f}"


def _signed(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:+.{digits}f}"


def _decimal(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _thousands(value: int) -> str:
    return f"{value:,}"


def _md(text: str) -> str:
    # Untrusted text in Markdown: no raw HTML (a "<" that opens a tag or comment) and no line
    # breaks that start new blocks; "rate < 10%" stays readable.
    return _TAG_OPEN.sub("&lt;", " ".join(str(text).split()))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>$~:.-])")


def plain_markdown(text: str) -> str:
    """Text shown through a Markdown renderer exactly as written: every Markdown character
    escaped, so no link, image, heading or formula ("$1 ... $2") is made from it."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def capitalize_first(text: str) -> str:
    """The text with its first letter capitalised and the rest as written ("gpt-4o at ...")."""
    return text[:1].upper() + text[1:]


def _md_cell(text: str) -> str:
    return _md(text).replace("|", "\\|")


@functools.cache
def environment() -> Environment:
    """The environment of every prompt and brief (StrictUndefined: no silent blanks)."""
    env = Environment(
        loader=FileSystemLoader(PROMPTS_DIR),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.tests["startingwith"] = lambda value, prefix: str(value).startswith(prefix)
    env.filters.update(
        capitalize_first=capitalize_first,
        fmt=fmt,
        times=_times,
        fmt_apart=_fmt_apart,
        signed=_signed,
        decimal=_decimal,
        pct=_pct,
        thousands=_thousands,
        md=_md,
        md_cell=_md_cell,
    )
    return env


def render(name: str, /, **variables: Any) -> str:
    """Render one template of `prompts/` by file name."""
    return environment().get_template(name).render(**variables)


def render_lines(name: str, macro: str, /, *args: Any) -> list[str]:
    """Call a macro of a template and split its output into non-blank lines (list-valued fields)."""
    module = environment().get_template(name).module
    text = str(getattr(module, macro)(*args))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def templates_hash(names: tuple[str, ...] | None = None) -> str:
    """SHA-256 over the named templates (all of `prompts/` by default), for audit and cache keys."""
    digest = hashlib.sha256()
    paths = sorted(PROMPTS_DIR.glob("*.j2")) if names is None else [PROMPTS_DIR / n for n in names]
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
