"""Which API key the app uses: the one typed in, else the environment's, else Streamlit's secret."""

from __future__ import annotations

import pytest

from narratives.config import LLMSettings, settings_with_key

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
