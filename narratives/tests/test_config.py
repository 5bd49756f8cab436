"""Which API key the app uses (the one typed in, else the environment's, else Streamlit's
secret), and the price that turns tokens into an estimated cost."""

from __future__ import annotations

import pytest

from narratives.config import LLMSettings, settings_from_env, settings_with_key
from narratives.usage import Price, requests_sentence, usage_sentence
from segmenter.errors import InputError

ENV = LLMSettings(api_key="sk-env", base_url="http://127.0.0.1:11434/v1", model="llama3.1")
NONE = LLMSettings()


@pytest.mark.parametrize(
    ("settings", "typed", "secret", "key"),
    [
        pytest.param(ENV, "sk-typed", "sk-secret", "sk-typed", id="typed-wins"),
        pytest.param(ENV, "  sk-typed \n", None, "sk-typed", id="typed-stripped"),
        pytest.param(ENV, "", "sk-secret", "sk-env", id="env-before-secret"),
        pytest.param(ENV, "   ", None, "sk-env", id="blank-typed-is-none"),
        pytest.param(NONE, "", "sk-secret", "sk-secret", id="secret-last"),
        pytest.param(NONE, None, " sk-secret ", "sk-secret", id="secret-stripped"),
        pytest.param(NONE, "", "  ", None, id="blank-secret-is-none"),
        pytest.param(NONE, None, None, None, id="nothing"),
    ],
)
def test_the_key_comes_from_the_field_then_the_environment_then_secrets(
    settings: LLMSettings, typed: str | None, secret: str | None, key: str | None
) -> None:
    resolved = settings_with_key(settings, typed=typed, secret=secret)
    assert resolved.api_key == key
    assert resolved.enabled is (key is not None)


def test_only_the_key_changes() -> None:
    resolved = settings_with_key(ENV, typed="sk-typed")
    assert (resolved.base_url, resolved.model, resolved.budget_s) == (
        ENV.base_url,
        ENV.model,
        ENV.budget_s,
    )
    assert "sk-typed" not in repr(resolved)


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("0.15/0.60", Price(0.15, 0.60, "USD")),
        (" 2.5 / 10 eur ", Price(2.5, 10.0, "EUR")),
        ("0/0", Price(0.0, 0.0, "USD")),
    ],
)
def test_a_price_per_million_tokens_is_read(text: str, price: Price) -> None:
    assert settings_from_env({"SEGMENTER_LLM_PRICE": text}).price == price


@pytest.mark.parametrize("text", ["0.15", "cheap", "-1/2", "1/2/3", "nan/1", "1/2 dollars"])
def test_a_price_that_cannot_be_read_is_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(InputError, match=r"SEGMENTER_LLM_PRICE must be .*'0\.15/0\.60'"):
        settings_from_env({"SEGMENTER_LLM_PRICE": text})


def test_usage_and_requests_read_as_sentences() -> None:
    price = Price(0.15, 0.60)
    assert usage_sentence(
        model="gpt-4o-mini", requests=4, tokens_in=4550, tokens_out=1194, price=price
    ) == ("4 requests sent to gpt-4o-mini; tokens: 4,550 in, 1,194 out; estimated cost USD 0.0014.")
    assert usage_sentence(model="m", requests=1, tokens_in=0, tokens_out=0, price=None) == (
        "1 request sent to m; tokens: 0 in, 0 out."
    )
    assert requests_sentence(4, 4) == "A click sends 4 requests."
    assert requests_sentence(1, 3) == (
        "A click sends 1 request; 2 segments reuse an answer already given."
    )
    assert (
        requests_sentence(0, 1)
        == "A click sends 0 requests; 1 segment reuses an answer already given."
    )


def test_child_processes_of_the_tests_never_see_the_developers_llm_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from testkit.segmenter_fixtures import run_python

    mine = {
        "OPENAI_API_KEY": "sk-developer",
        "AZURE_OPENAI_ENDPOINT": "https://developer.openai.azure.com",
        "AZURE_OPENAI_API_KEY": "azure-developer",
        "AZURE_OPENAI_DEPLOYMENT": "developer-gpt",
        "SEGMENTER_LLM_MODEL": "developer-model",
    }
    for name, value in mine.items():
        monkeypatch.setenv(name, value)
    listed = "import os; print(sorted(k for k in os.environ if 'OPENAI' in k or 'LLM' in k))"
    seen = run_python("-c", listed, env={"AZURE_OPENAI_API_VERSION": "given"}, check=True)
    assert seen.stdout.strip() == "['AZURE_OPENAI_API_VERSION']"  # only what the test gives


def test_every_local_server_in_the_readme_names_the_model_it_serves() -> None:
    # Without SEGMENTER_LLM_MODEL the brief would credit the default, gpt-4o-mini, with
    # personas a local model wrote.
    from testkit.paths import REPO

    readme = (REPO / "narratives" / "README.md").read_text(encoding="utf-8")
    table = readme.split("## LLM set-up", 1)[1].split("\n\n")[2]
    local = [row for row in table.splitlines() if "OPENAI_BASE_URL=" in row]
    assert len(local) == 4  # Ollama, vLLM, LM Studio, llama.cpp
    for row in local:
        assert "SEGMENTER_LLM_MODEL=" in row, row
