"""Settings: every number is range-checked, and NaN or infinity never gets in (it would slip past
every comparison: NaN scores in --json output, a refusal threshold that refuses nothing)."""

from __future__ import annotations

from dataclasses import fields

import pytest
from helpers import no_traceback

from advisor.config import ConfigError, Settings

FLOATS = (
    "ADVISOR_BM25_WEIGHT",
    "ADVISOR_SENTENCE_WEIGHT",
    "ADVISOR_REFUSAL_THRESHOLD",
    "ADVISOR_SUPPORT_THRESHOLD",
    "ADVISOR_LLM_TIMEOUT",
    "ADVISOR_LLM_IDLE_TIMEOUT",
)


@pytest.mark.parametrize("name", FLOATS)
@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "-1", "1e9", "lots"])
def test_float_settings_refuse_nan_infinity_and_out_of_range(monkeypatch, name, raw):
    monkeypatch.setenv(name, raw)
    with pytest.raises(ConfigError, match=rf"^{name} must be a number between \S+ and \S+, not '{raw}'$"):
        Settings.from_env()


def test_every_float_setting_is_in_the_checked_list():
    """A float setting added to Settings without a range check fails here (issue 16)."""
    floats = {f"ADVISOR_{f.name.upper()}" for f in fields(Settings) if f.type == "float"}
    assert floats == set(FLOATS)


def test_float_settings_in_range_are_read(monkeypatch):
    monkeypatch.setenv("ADVISOR_REFUSAL_THRESHOLD", "0.5")
    monkeypatch.setenv("ADVISOR_LLM_TIMEOUT", " 2.5 ")
    settings = Settings.from_env()
    assert settings.refusal_threshold == 0.5 and settings.llm_timeout == 2.5


def test_nan_threshold_is_a_one_line_error_not_a_silent_answer(run_cli, monkeypatch):
    """Before: exit 0, `"score": NaN` (not JSON) and an off-topic question answered."""
    monkeypatch.setenv("ADVISOR_REFUSAL_THRESHOLD", "nan")
    result = run_cli("ask", "banana bread recipe", "--json")
    no_traceback(result)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode().strip() == (
        "advisor: ADVISOR_REFUSAL_THRESHOLD must be a number between 0 and 1, not 'nan'"
    )
