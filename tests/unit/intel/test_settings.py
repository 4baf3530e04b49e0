"""Seed 001's OPENAI_API_KEY is read as it is; the intel section's own key wins over it; the
bundle's version follows its facts."""

from __future__ import annotations

from dataclasses import replace

from stockflow.settings import Settings
from tests.unit.intel.conftest import make_bundle


def test_openai_api_key_is_honoured_as_named(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-seed")
    s = Settings(data_dir=tmp_path)
    assert s.intel.api_key.get_secret_value() == "sk-from-seed"
    own = Settings(data_dir=tmp_path, intel={"api_key": "sk-own"})
    assert own.intel.api_key.get_secret_value() == "sk-own"


def test_no_key_and_no_url_means_no_model(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    from stockflow.intel.module import _writer

    assert _writer(Settings(data_dir=tmp_path).intel) is None


def test_the_facts_version_changes_with_a_fact_only() -> None:
    a, b = make_bundle(), make_bundle()
    assert a.version == b.version
    moved = replace(a, facts=tuple(replace(f, value=268.51) if f.id == "quote.price" else f
                                   for f in a.facts))
    assert moved.version != a.version
    later = replace(a, assembled_at=a.assembled_at.replace(hour=16))
    assert later.version == a.version
