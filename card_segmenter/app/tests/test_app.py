"""The app under AppTest: every page renders, widgets change the personas, refusals stay calm.

Most tests use the bundled sample with K-Means and k chosen automatically (the app's default:
three segments on the sample): Streamlit's caches are per process, so the run is computed once
for the whole module.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from segmenter.pipeline import run_segmentation, write_segmentation
from testkit.llm_server import FakeLLM, Reply, answer, running_server
from testkit.paths import APP, SAMPLE
from testkit.segmenter_fixtures import toy_frame

SECRET = "sk-test-never-shown-0123456789"
VIEWS = ("Data", "Segments", "Personas", "Customer", "Explore", "Export", "Score", "History")


def page(view: str) -> str:
    """The page script of a view, relative to the app's main script (as `switch_page` wants)."""
    return f"card_segmenter/app/pages/{view.lower()}.py"


def app(view: str | None = None) -> AppTest:
    """The app, opening on `view` (else on its default page, Personas)."""
    at = AppTest.from_file(str(APP), default_timeout=120)
    if view is not None:
        at.switch_page(page(view))
    return at


def persona_names(at: AppTest) -> list[str]:
    return [m.value.removeprefix("#### ") for m in at.markdown if m.value.startswith("#### ")]


def shown(markdown: str) -> str:
    """Markdown as it reads on screen: the app escapes every character of data and model text."""
    return re.sub(r"\\(.)", r"\1", markdown)


def badges(at: AppTest, kind: str) -> list[str]:
    """Texts of the cards' badges that start with `kind`, e.g. "Narratives"."""
    texts = [shown(m.value) for m in at.markdown if "-badge[" in m.value]
    return [t.split("[", 1)[1].rstrip("]") for t in texts if t.split("[", 1)[1].startswith(kind)]


def headings(table: Any) -> dict[str, tuple[str, str | None]]:
    """A shown table's column headings and number formats (its column_config), by column."""
    config = json.loads(table.proto.columns)
    return {
        name: (c.get("label", name), c.get("type_config", {}).get("format"))
        for name, c in config.items()
        if not name.startswith("_")
    }


def finish_batch(at: AppTest, timeout_s: float = 60.0) -> AppTest:
    """Run the app until the batch of LLM requests started by a click has ended."""
    deadline = time.monotonic() + timeout_s
    while at.get("progress") and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert not at.get("progress"), "the batch did not end"
    return at


def sizes(at: AppTest) -> list[str]:
    """The cards' size badges, e.g. "2,429 customers · 27.1%"."""
    texts = [m.value for m in at.markdown if "-badge[" in m.value and " customers · " in m.value]
    return [t.split("[", 1)[1].rstrip("]") for t in texts]


def chart_specs(at: AppTest) -> list[dict[str, object]]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def everything_shown(at: AppTest) -> str:
    """Every text the page shows, as one string."""
    kinds = ("markdown", "caption", "json", "text", "code", "info", "warning", "error", "success")
    parts = [str(element.value) for kind in kinds for element in at.get(kind)]
    return "\n".join(parts + [json.dumps(spec) for spec in chart_specs(at)])


def test_app_opens_on_the_synthetic_sample_with_persona_cards() -> None:
    at = app().run()
    assert not at.exception
    assert not at.error
    assert any("synthetic" in info.value for info in at.info)
    # The default is the automatic k, and the page says how far the run can be trusted.
    assert at.sidebar.selectbox(key="k").value == "auto"
    assert any("k=3 was chosen" in c.value for c in at.caption)
    verdicts = [b.value for b in (*at.success, *at.info, *at.warning)]
    assert any(v.startswith("Confidence in this segmentation: high.") for v in verdicts)
    assert any("bootstrap agreement 0.97" in v for v in verdicts)
    names = sorted(persona_names(at))  # cards sit in two columns
    assert names == ["The Dormant Account", "The Everyday Card User", "The Stretched Borrower"]
    assert badges(at, "Narratives") == ["Narratives: rule-based"] * 3
    assert badges(at, "high confidence") == ["high confidence"] * 3
    assert len(chart_specs(at)) == 3  # one effect-size chart per card
    assert at.sidebar.text_input(key="api_key").proto.type == 1  # PASSWORD


@pytest.mark.parametrize("view", VIEWS)
def test_every_page_renders_without_an_exception(view: str) -> None:
    at = app(view).run()
    assert not at.exception
    assert not at.error
    shown = {
        "Data": lambda: any(m.label == "Rows kept" for m in at.metric),
        "Segments": lambda: any(m.label == "Silhouette" for m in at.metric),
        "Personas": lambda: len(persona_names(at)) == 3,
        "Customer": lambda: at.text_input(key="customer_id").value == "",
        "Explore": lambda: len(chart_specs(at)) == 5,
        "Export": lambda: at.download_button(key="download_brief_md").label == "Brief (Markdown)",
        "Score": lambda: at.toggle(key="score_sample").value is False,
        # The tests' throwaway workspace (conftest.py) holds what other tests recorded, if any.
        "History": lambda: (
            any("Runs recorded by" in str(c.value) for c in at.caption)
            or any("No runs recorded yet" in str(i.value) for i in at.info)
        ),
    }
    assert shown[view]()


def test_explore_charts_carry_aggregates_only() -> None:
    at = app("Explore").run()
    for spec in chart_specs(at):
        datasets = spec.get("datasets", {})
        assert all(len(rows) <= 5_000 for rows in datasets.values())  # type: ignore[attr-defined]
    titles = json.dumps([spec.get("title") for spec in chart_specs(at)])
    assert "Segment map: a sample of 3,000 customers" in titles


def test_changing_k_changes_the_personas() -> None:
    at = app().run()
    three = sizes(at)
    at.sidebar.selectbox(key="k").set_value(4).run()
    assert not at.exception
    assert len(persona_names(at)) == 4
    assert len(set(persona_names(at))) == 4
    assert len(sizes(at)) == 4
    assert not set(sizes(at)) & set(three)


def test_a_k_less_stable_than_its_neighbour_gets_a_note() -> None:
    at = app().run()  # the automatic choice scores every k from 3 to 8
    at.sidebar.selectbox(key="k").set_value(6).run()
    assert not at.exception
    notes = [i.value for i in at.info if i.value.startswith("k=6 reproduces")]
    assert notes == [
        "k=6 reproduces on resampled customers with a bootstrap agreement of 0.83; k=5 "
        "reproduces with 0.96. Consider k=5."
    ]
    at.sidebar.selectbox(key="k").set_value(4).run()  # as stable as its neighbours: no note
    assert not [i.value for i in at.info if "reproduces on resampled" in i.value]


def test_changing_the_algorithm_changes_the_personas() -> None:
    at = app().run()
    kmeans = sizes(at), persona_names(at)
    at.sidebar.selectbox(key="algorithm").set_value("gmm").run()
    assert not at.exception
    assert any("Gaussian mixture: " in c.value for c in at.caption)
    assert len(sizes(at)) >= 3
    assert (sizes(at), persona_names(at)) != kmeans
    assert not set(sizes(at)) & set(kmeans[0])


def test_a_density_method_reports_its_noise_plainly() -> None:
    at = app().run()
    at.sidebar.selectbox(key="algorithm").set_value("dbscan").run()
    assert not at.exception
    assert at.sidebar.selectbox(key="k").disabled
    assert any("unassigned" in info.value for info in at.info)


def test_automatic_k_is_explained_and_charted() -> None:
    at = app("Segments")
    at.run()
    at.sidebar.selectbox(key="k").set_value("auto").run()
    assert not at.exception
    assert any(s.value.startswith("k=") and "was chosen" in s.value for s in at.success)
    assert "Bootstrap stability, ARI (higher is better)" in json.dumps(chart_specs(at))
    # Scores named and spelled for people: no column codes, no four decimals.
    metrics = {m.label: m.value for m in at.metric}
    assert list(metrics) == ["Silhouette", "Calinski-Harabasz", "Davies-Bouldin",
                             "Stability (bootstrap ARI)", "Unassigned share"]  # fmt: skip
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", metrics["Calinski-Harabasz"])
    assert re.fullmatch(r"0\.\d{3}", metrics["Silhouette"])
    assert metrics["Unassigned share"] == "0.0%"
    candidates = next(t for t in at.dataframe if "calinski_harabasz" in t.value.columns)
    assert headings(candidates)["calinski_harabasz"] == ("Calinski-Harabasz", "%,.0f")
    assert headings(candidates)["min_share"] == ("Smallest segment", "%,.1f%%")
    assert candidates.value["min_share"].max() > 1  # shown in percent: "37.3%"


def test_k_set_by_hand_can_be_weighed_against_every_k() -> None:
    at = app("Segments").run()
    at.sidebar.selectbox(key="k").set_value(4).run()
    assert not at.exception
    assert not [s for s in at.success if "was chosen" in s.value]  # not scored yet
    at.toggle(key="score_k").set_value(True).run()
    assert not at.exception
    assert any(s.value.startswith("k=3 was chosen") for s in at.success)
    assert "Bootstrap stability, ARI (higher is better)" in json.dumps(chart_specs(at))


def test_the_sidebar_and_the_run_stay_when_the_page_changes() -> None:
    at = app().run()
    at.sidebar.selectbox(key="k").set_value(4).run()
    for view in ("Data", "Explore", "Personas"):
        at.switch_page(page(view)).run()
        assert not at.exception
        assert at.sidebar.selectbox(key="k").value == 4
    assert len(persona_names(at)) == 4


def test_a_refused_upload_is_an_error_and_the_app_keeps_running() -> None:
    at = app().run()
    at.sidebar.file_uploader(key="upload").set_value(("notes.csv", b"name,age\nx,1\n", "text/csv"))
    at.run()
    assert not at.exception
    assert at.error
    assert shown(at.error[0].value).startswith("This file cannot be used: notes.csv")
    assert not persona_names(at)
    small = b"".join(SAMPLE.read_bytes().splitlines(keepends=True)[:401])
    at.sidebar.file_uploader(key="upload").set_value(("mine.csv", small, "text/csv")).run()
    assert not at.exception
    assert not any("synthetic" in info.value for info in at.info)
    assert any("of 400 customers" in c.value for c in at.caption)


def test_scoring_the_sample_with_the_current_model() -> None:
    at = app("Score").run()
    at.toggle(key="score_sample").set_value(True).run()
    assert not at.exception
    tables = [frame.value for frame in at.dataframe]
    summary = next(
        t for t in tables if list(t.columns)[:3] == ["segment", "segment_name", "customers"]
    )
    assert summary["customers"].sum() == 8950
    shown_as = headings(next(t for t in at.dataframe if "median_confidence" in t.value.columns))
    assert shown_as["customers"] == ("Customers", "%,d")  # "2,761", as everywhere else
    assert shown_as["median_confidence"] == ("Median confidence", "%.2f")
    assert at.download_button(key="download_scores")


def test_scoring_with_an_uploaded_model(tmp_path: Path) -> None:
    write_segmentation(
        run_segmentation(toy_frame(), algorithm="kmeans", k=3, seed=0, n_bootstraps=2), tmp_path
    )
    model = ("model.skops", (tmp_path / "model.skops").read_bytes(), "application/octet-stream")
    at = app("Score").run()
    at.file_uploader(key="model_upload").set_value(model).run()
    at.toggle(key="score_sample").set_value(True).run()
    assert not at.exception
    assert "Model: model.skops (K-Means, 3 segments)." in [shown(c.value) for c in at.caption]
    summary = next(t.value for t in at.dataframe if "median_confidence" in t.value.columns)
    assert summary["customers"].sum() == 8950
    assert len(summary) <= 3


def test_an_upload_that_is_not_a_model_is_refused_on_the_score_page() -> None:
    at = app("Score").run()
    fake = ("model.skops", b"not a model", "application/octet-stream")
    at.file_uploader(key="model_upload").set_value(fake).run()
    assert not at.exception
    assert len(at.error) == 1
    assert shown(at.error[0].value).startswith("Cannot score: model.skops: not a segmenter model")
    assert not at.dataframe  # nothing scored


def test_without_an_endpoint_the_llm_button_is_off_and_says_why() -> None:
    at = app().run()
    assert at.button(key="regenerate").disabled
    assert any(c.value.startswith("No LLM endpoint configured") for c in at.sidebar.caption)


def test_a_key_from_st_secrets_enables_the_llm_button() -> None:
    at = app()
    at.secrets["OPENAI_API_KEY"] = SECRET
    at.run()
    assert not at.button(key="regenerate").disabled
    assert SECRET not in everything_shown(at)


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    with running_server() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("SEGMENTER_LLM_MODEL", "test-model")
        yield fake


def test_the_llm_gets_exactly_the_previewed_payload_and_never_shows_the_key(
    llm: FakeLLM,
) -> None:
    plain = {
        "summary": "Kestrel words: careful with money, open to a clear offer.",
        "traits": ["Careful with money"],
        "needs": ["Clear, fair costs"],
        "products": [],
        "channels": ["Mobile app"],
        "messages": ["A fair offer, clearly explained."],
    }
    llm.queue(None, answer(plain, model="test-model"))
    at = app().run()
    # A local server needs no key: its base URL alone is an endpoint.
    assert not at.button(key="regenerate").disabled
    assert any(c.value.startswith("Model: test-model at 127.0.0.1.") for c in at.sidebar.caption)
    at.sidebar.text_input(key="api_key").input(SECRET).run()
    assert not at.json  # the payload is built only when asked for
    at.toggle(key="show_payload").set_value(True).run()
    previewed = json.loads(at.json[0].value)
    at.button(key="regenerate").click().run()
    finish_batch(at)
    assert not at.exception

    assert badges(at, "Narratives") == ["Narratives: test-model"] * 3
    # The title is the vocabulary's, whoever writes the words.
    assert sorted(persona_names(at)) == [
        "The Dormant Account",
        "The Everyday Card User",
        "The Stretched Borrower",
    ]
    assert any("Kestrel words" in m.value for m in at.markdown)

    def canonical(bodies: list[object]) -> list[str]:
        return sorted(json.dumps(body, sort_keys=True) for body in bodies)

    assert canonical([r["body"] for r in llm.requests]) == canonical(list(previewed.values()))
    headers = [{k.lower(): v for k, v in r["headers"].items()} for r in llm.requests]
    assert all(h["authorization"] == f"Bearer {SECRET}" for h in headers)
    assert SECRET not in everything_shown(at)

    at.button(key="use_rules").click().run()
    assert badges(at, "Narratives") == ["Narratives: rule-based"] * 3


def test_when_every_llm_call_fails_nothing_credits_the_model(llm: FakeLLM) -> None:
    llm.queue(None, Reply(status=500, body="{}", headers={"retry-after-ms": "1"}))  # every time
    at = app().run()
    at.sidebar.text_input(key="api_key").input(SECRET).run()
    at.button(key="regenerate").click().run()
    finish_batch(at)
    assert not at.exception
    assert badges(at, "Narratives") == ["Narratives: rule-based"] * 3
    assert not [b for b in at.button if b.key == "use_rules"]  # nothing to go back from
    warnings = [shown(w.value) for w in at.warning]
    assert any(
        w.startswith("Narratives: rule-based. Test-model at 127.0.0.1 was asked, but ")
        for w in warnings
    ), warnings
    at.switch_page(page("Export")).run()
    brief = next(m.value for m in at.markdown if m.value.startswith("# Campaign brief"))
    assert "Narratives model: none (rule-based)" in brief
    assert "written by the model" not in brief
    assert SECRET not in everything_shown(at)


def test_regenerate_is_disabled_while_a_batch_runs_and_asking_again_reuses_answers(
    llm: FakeLLM,
) -> None:
    import dataclasses

    plain = {
        "summary": "Careful with money, open to a clear offer.",
        "traits": ["Careful with money"],
        "needs": ["Clear, fair costs"],
        "products": [],
        "channels": ["Mobile app"],
        "messages": ["A fair offer, clearly explained."],
    }
    slow = dataclasses.replace(answer(plain, model="test-model"), delay=1.5)
    llm.serial = True  # one at a time: the cards fill one by one
    llm.queue(None, slow)
    at = app().run()
    assert "A click sends 3 requests." in [c.value for c in at.caption]
    at.button(key="regenerate").click().run()
    # The batch runs in the background: the page answers at once, with Regenerate disabled.
    assert at.button(key="regenerate").disabled
    assert at.get("progress"), "no progress shown while the batch runs"
    waiting = [c for c in at.caption if shown(c.value).startswith("Waiting for test-model")]
    assert waiting, "the cards do not say they are waiting for the model"
    finish_batch(at)
    assert len(llm.requests) == 3
    assert badges(at, "Narratives") == ["Narratives: test-model"] * 3
    # Tokens per run and per segment, from each answer's usage (10 in, 10 out each here).
    captions = [shown(c.value) for c in at.caption]
    assert "3 requests sent to test-model; tokens: 30 in, 30 out." in captions
    assert captions.count("Tokens for this segment: 10 in, 10 out.") == 3

    # Asked again, the accepted answers are reused: nothing is sent.
    assert "A click sends 0 requests; 3 segments reuse an answer already given." in [
        shown(c.value) for c in at.caption
    ]
    at.button(key="regenerate").click().run()
    finish_batch(at)
    assert len(llm.requests) == 3
    assert badges(at, "Narratives") == ["Narratives: test-model"] * 3
    # Unless asked afresh.
    at.checkbox(key="llm_fresh").check().run()
    assert "A click sends 3 requests." in [shown(c.value) for c in at.caption]
