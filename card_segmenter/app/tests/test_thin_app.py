"""The app stays thin: a short entry script, one page script per view, and streamlit nowhere else.

Read from the source, like segmenter/tests/test_layout.py: every import, including those inside
functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

from testkit.paths import APP, REPO, app_views

APP_PACKAGE = REPO / "card_segmenter" / "app"

VIEWS = app_views()


def imports_streamlit(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        if any(name.split(".")[0] == "streamlit" for name in names):
            return True
    return False


def python_files() -> list[Path]:
    """The project's Python files: the packages, test support, benchmarks and the entry script."""
    roots = ("segmenter", "narratives", "card_segmenter", "testkit", "benchmarks")
    return [
        APP,
        REPO / "conftest.py",
        *(p for r in roots for p in sorted((REPO / r).rglob("*.py"))),
    ]


def test_only_the_app_imports_streamlit() -> None:
    importing = {p.relative_to(REPO).as_posix() for p in python_files() if imports_streamlit(p)}
    assert "streamlit_app.py" in importing
    assert "card_segmenter/app/state.py" in importing
    outside = {
        p for p in importing if p != "streamlit_app.py" and not p.startswith("card_segmenter/app/")
    }
    assert not outside


def test_the_entry_script_is_short() -> None:
    assert len(APP.read_text(encoding="utf-8").splitlines()) < 200


def test_there_is_one_page_script_per_view() -> None:
    pages = sorted(p.stem for p in (APP_PACKAGE / "pages").glob("*.py") if p.stem != "__init__")
    assert pages == sorted(view.lower() for view in VIEWS)
