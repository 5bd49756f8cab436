"""The one Jinja environment over `prompts/`, its number filters, and a hash of the templates.

A bank may reword any template: `use_prompt_folder` puts a folder of same-named `.j2` files
before the packaged ones (set at the edge: `segmenter brief --prompts DIR`, SEGMENTER_PROMPTS).
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    select_autoescape,
)

from narratives.usage import cost_text
from segmenter.cluster.titles import algorithm_title
from segmenter.errors import InputError
from segmenter.explain.formats import fmt

__all__ = [
    "PROMPTS_DIR",
    "capitalize_first",
    "environment",
    "fmt",
    "plain_markdown",
    "render",
    "render_lines",
    "templates_hash",
    "use_prompt_folder",
]

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
_own_prompts: list[Path] = []  # the bank's folder, read before PROMPTS_DIR; set at the edge
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
# What makes a link or an image of bracketed text: "](" inline, "][" by reference, "]:" a
# definition; and a backslash, which would unescape the escape. "[1]" stays as written.
_LINK_MAKERS = re.compile(r"(\\|\](?=[(\[:]))")
_BLOCK_START = re.compile(r"^(\d{0,9})([#>+*=_-]|(?<=\d)[.)])")
_AUTOLINK = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*:/|www\.|[-.+\w]@)")
_JOINER = "\u2060"  # WORD JOINER: invisible, and breaks no line


def times(value: float | None) -> str:
    # Two decimals: "0.78x" beside a rule's "0.80x" must not read as the rule broken.
    return "—" if value is None else f"{value:.2f}\u00d7"


def fmt_apart(value: float | None, other: float | None, kind: str = "ratio") -> str:
    """`fmt`, with one more decimal where the value would print as `other` does (a figure
    beside the threshold it passes: "49.6%" against "rule > 50%", never "50%" and "50%")."""
    text = fmt(value, kind)
    if value is None or other is None or text != fmt(other, kind) or value == other:
        return text
    if kind == "share":
        return f"{value * 100:.1f}%"
    return f"{value:,.2f}" if kind != "money" else f"{fmt(0, kind)[:-1]}{value:,.2f}"


def signed(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:+.{digits}f}"


def _decimal(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _thousands(value: int) -> str:
    return f"{value:,}"


def _md(text: str) -> str:
    # Untrusted text in Markdown: no raw HTML (a "<" that opens a tag or comment), no link or
    # image (see _LINK_MAKERS; bare URLs and e-mail addresses broken for autolinking
    # renderers) and no line breaks that start new blocks; "rate < 10%" stays readable.
    text = _LINK_MAKERS.sub(r"\\\1", " ".join(str(text).split()))
    # Nor a block of its own where it starts a line: a heading, quote, list or rule.
    text = _BLOCK_START.sub(lambda m: m[1] + "\\" + m[2], text)
    return _TAG_OPEN.sub("&lt;", no_autolinks(text))


def no_autolinks(text: str) -> str:
    """The text with an invisible word joiner in every bare URL ("http://", "www.") and e-mail
    address, so that no renderer (GitHub's, Streamlit's) makes a link of it.

    Backslash escapes do not do this: autolinking renderers find URLs in the text after the
    escapes are read.
    """
    return _AUTOLINK.sub(lambda m: m.group(0)[:-1] + _JOINER + m.group(0)[-1], text)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>$~:.-])")


def plain_markdown(text: str) -> str:
    """Text shown through a Markdown renderer exactly as written: every Markdown character
    escaped, so no link, image, heading or formula ("$1 ... $2") is made from it."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", no_autolinks(" ".join(str(text).split())))


def capitalize_first(text: str) -> str:
    """The text with its first letter capitalised and the rest as written ("gpt-4o at ...")."""
    return text[:1].upper() + text[1:]


def _md_cell(text: str) -> str:
    return _md(text).replace("|", "\\|")


@functools.cache
def environment() -> Environment:
    """The environment of every prompt and brief (StrictUndefined: no silent blanks)."""
    loader: BaseLoader = FileSystemLoader(PROMPTS_DIR)
    if _own_prompts:
        loader = ChoiceLoader([FileSystemLoader(_own_prompts), loader])
    env = Environment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.tests["startingwith"] = lambda value, prefix: str(value).startswith(prefix)
    env.filters.update(
        algorithm=algorithm_title,
        capitalize_first=capitalize_first,
        fmt=fmt,
        times=times,
        fmt_apart=fmt_apart,
        signed=signed,
        decimal=_decimal,
        pct=_pct,
        thousands=_thousands,
        md=_md,
        md_cell=_md_cell,
        cost=cost_text,
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
    """SHA-256 over the templates in use (all of them by default), for audit and cache keys."""
    digest = hashlib.sha256()
    for name in sorted(_packaged()) if names is None else names:
        path = next(
            (folder / name for folder in _own_prompts if (folder / name).is_file()),
            PROMPTS_DIR / name,
        )
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _packaged() -> set[str]:
    return {path.name for path in PROMPTS_DIR.glob("*.j2")}


def use_prompt_folder(folder: Path | None) -> None:
    """Read the templates of `folder` before the packaged ones (None: the packaged ones only).

    Refused, as an InputError: a missing folder, one with no template, a file that replaces no
    packaged template (a misspelt name would silently change nothing), and a syntax error.
    """
    _own_prompts.clear()
    environment.cache_clear()
    if folder is None:
        return
    if not folder.is_dir():
        raise InputError(f"prompt folder {folder}: no such folder")
    own = sorted(path.name for path in folder.glob("*.j2"))
    if not own:
        raise InputError(f"prompt folder {folder}: holds no .j2 template")
    if unknown := [name for name in own if name not in _packaged()]:
        raise InputError(
            f"prompt folder {folder}: {', '.join(unknown)} replace no template; the templates "
            f"are {', '.join(sorted(_packaged()))}"
        )
    _own_prompts.append(folder)
    environment.cache_clear()
    for name in own:
        try:
            environment().get_template(name)
        except TemplateSyntaxError as error:
            use_prompt_folder(None)
            raise InputError(
                f"prompt folder {folder}: {name}, line {error.lineno}: {error.message}"
            ) from None
        except TemplateError as error:
            use_prompt_folder(None)
            raise InputError(f"prompt folder {folder}: {name}: {error}") from None
