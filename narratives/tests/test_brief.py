"""`segmenter brief`: the brief, brief.json and audience lists, offline and with an LLM server."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from narratives.audiences import AUDIENCE_COLUMNS
from narratives.brief import Brief, write_brief
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf
from segmenter.errors import InputError
from segmenter.results import RunProfile
from testkit.llm_server import answer, running_server
from testkit.narratives_fixtures import customer_ids, noisy_run, write_run_dir
from testkit.segmenter_fixtures import run_cli


def test_offline_brief_with_audiences_and_json(tmp_path: Path) -> None:
    run_dir = write_run_dir(tmp_path / "run")
    out = tmp_path / "out" / "brief.md"
    done = run_cli("brief", str(run_dir), "--out", str(out), "--offline")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Narratives: rule-based\n")
    assert "Narratives: rule-based" in out.read_text(encoding="utf-8")

    brief = Brief.model_validate_json((out.parent / "brief.json").read_text(encoding="utf-8"))
    assert brief.narratives == "rule-based"
    assert [s.persona.source for s in brief.sections] == ["rule-based"] * 5
    assert len(brief.audit.profiles_sha256) == 64

    audiences = sorted(p.name for p in (out.parent / "audiences").iterdir())
    assert audiences == [f"segment-{i}.csv" for i in range(5)]
    revolvers = pl.read_csv(out.parent / "audiences" / "segment-1.csv")
    assert revolvers.columns == list(AUDIENCE_COLUMNS)
    assert revolvers["confidence"].null_count() == revolvers.height  # an older assignments.csv
    assert revolvers["customer_id"].to_list() == customer_ids()[3120 : 3120 + 2410]


def test_brief_without_a_key_is_rule_based(tmp_path: Path) -> None:
    run_dir = write_run_dir(tmp_path / "run")
    done = run_cli("brief", str(run_dir), "--out", str(tmp_path / "brief.html"))
    assert done.returncode == 0, done.stderr
    assert "Narratives: rule-based" in (tmp_path / "brief.html").read_text(encoding="utf-8")


def test_brief_with_an_llm_server_from_the_environment(tmp_path: Path) -> None:
    run_dir = write_run_dir(tmp_path / "run")
    out = tmp_path / "brief.html"
    with running_server() as server:
        server.queue(None, answer('{"summary": "Kestrel"'))  # malformed for every segment
        env = {
            "OPENAI_API_KEY": "sk-test-env-key",
            "OPENAI_BASE_URL": server.base_url,
            "SEGMENTER_LLM_MODEL": "test-model",
            "SEGMENTER_LLM_BUDGET_SECONDS": "60",  # answers come at once; room for a busy machine
        }
        done = run_cli("brief", str(run_dir), "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    # The model wrote no persona that passed: it is not credited, and the brief says why.
    assert done.stdout.startswith(
        "Narratives: rule-based\ntest-model at 127.0.0.1 was asked, but the answer"
        " does not fit the persona schema"
    )
    assert (
        "segment 1: rule-based persona (the answer does not fit the persona schema" in done.stdout
    )
    # Each segment is asked once more with the check's reason before it falls back.
    assert len(server.requests) == 8
    # Segments are asked concurrently, so a retry may arrive before another segment's first ask.
    last = [r["body"]["messages"][-1]["content"] for r in server.requests]
    again = [m for m in last if m.startswith("That answer was not accepted: the answer does not")]
    assert len(again) == 4
    assert "(asked twice)" in done.stdout
    text = out.read_text(encoding="utf-8")
    assert "Narratives: rule-based. Test-model at 127.0.0.1 was asked" in text
    assert "Narratives model: none (rule-based)" in text
    assert "sk-test-env-key" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("--out", "brief.txt"), "the brief must be a .md or .html file", id="suffix"),
        pytest.param(("--out", "brief.md"), "profiles.json: cannot be read", id="no-run"),
    ],
)
def test_refusals_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = run_cli(
        "brief",
        str(tmp_path / "nothing-here"),
        *(a.replace("brief.", f"{tmp_path}/brief.") for a in args),
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert message in done.stderr


def test_noise_gets_no_audience_and_stale_lists_go(tmp_path: Path, shelf: Shelf) -> None:
    run_dir = write_run_dir(tmp_path / "run", noisy_run())
    out = tmp_path / "out" / "brief.md"
    stale = out.parent / "audiences" / "segment-7.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("customer_id\nC99999\n", encoding="utf-8")
    brief = write_brief(run_dir, out, writer=RuleBasedWriter(shelf), shelf=shelf)
    assert sorted(p.name for p in stale.parent.iterdir()) == [f"segment-{i}.csv" for i in range(4)]
    assert brief.sections[-1].audience_file is None
    text = out.read_text(encoding="utf-8")
    assert "## Unassigned\n" in text
    assert "0.4% of customers fit no segment" in text


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param("assignments", "assignments.csv: not found", id="no-assignments"),
        pytest.param("profiles", "not a segmentation profile", id="bad-profiles"),
        pytest.param(
            "earlier",
            r"written by an earlier version, without persona titles; run `segmenter segment`",
            id="earlier-version",
        ),
    ],
)
def test_broken_runs_are_refused(tmp_path: Path, shelf: Shelf, damage: str, message: str) -> None:
    run_dir = write_run_dir(tmp_path / "run")
    profiles = run_dir / "profiles.json"
    if damage == "assignments":
        (run_dir / "assignments.csv").unlink()
    elif damage == "profiles":
        profiles.write_text('{"algorithm": "kmeans"}', encoding="utf-8")
    else:  # profiles.json of an earlier version: names from other rules, no titles
        run = RunProfile.model_validate_json(profiles.read_bytes())
        old = [s.model_copy(update={"title": None, "archetype": None}) for s in run.segments]
        profiles.write_text(run.model_copy(update={"segments": old}).model_dump_json())
    with pytest.raises(InputError, match=message):
        write_brief(run_dir, tmp_path / "b.md", writer=RuleBasedWriter(shelf), shelf=shelf)


def test_a_banks_own_shelf_and_wording_replace_the_packaged_ones(tmp_path: Path) -> None:
    from narratives.shelf import DEFAULT_SHELF
    from narratives.templates import PROMPTS_DIR

    run_dir = write_run_dir(tmp_path / "run")
    shelf = tmp_path / "our-shelf.toml"
    shelf.write_text(
        DEFAULT_SHELF.read_text(encoding="utf-8").replace(
            'name = "Retail wealth and card shelf"', 'name = "Harbour Bank shelf"'
        ),
        encoding="utf-8",
    )
    prompts = tmp_path / "wording"
    prompts.mkdir()
    (prompts / "brief.md.j2").write_text(
        (PROMPTS_DIR / "brief.md.j2")
        .read_text(encoding="utf-8")
        .replace(
            "# Campaign brief: credit-card customer segments", "# Harbour Bank: card segments"
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out" / "brief.md"
    done = run_cli(
        "brief", str(run_dir), "--out", str(out), "--offline", "--prompts", str(prompts),
        env={"SEGMENTER_SHELF": str(shelf)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith("# Harbour Bank: card segments\n")
    packaged = run_cli("brief", str(run_dir), "--out", str(tmp_path / "packaged.md"), "--offline")
    assert packaged.returncode == 0, packaged.stderr
    ours = Brief.model_validate_json((out.parent / "brief.json").read_text(encoding="utf-8"))
    theirs = Brief.model_validate_json((tmp_path / "brief.json").read_text(encoding="utf-8"))
    # The audit records which wording and which shelf wrote the brief.
    assert ours.audit.templates_sha256 != theirs.audit.templates_sha256
    assert ours.audit.shelf_sha256 != theirs.audit.shelf_sha256


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "holds no .j2 template"),
        ({"brief.markdown.j2": "x"}, r"brief\.markdown\.j2 replace no template; the templates are"),
        ({"brief.md.j2": "{% if %}"}, r"brief\.md\.j2, line 1: "),
    ],
    ids=["empty", "misspelt", "syntax-error"],
)
def test_a_prompt_folder_that_would_not_be_used_is_refused(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    prompts = tmp_path / "wording"
    prompts.mkdir()
    for name, text in files.items():
        (prompts / name).write_text(text, encoding="utf-8")
    run_dir = write_run_dir(tmp_path / "run")
    done = run_cli(
        "brief", str(run_dir), "--out", str(tmp_path / "b.md"), "--offline", "--prompts",
        str(prompts),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: prompt folder {prompts}: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert re.search(message, done.stderr)
