"""Secrets never leave in a snapshot: keys that name credentials, and passwords in URLs."""

from __future__ import annotations

from pydantic import SecretStr

from stockflow.control.domain import REDACTED, redact
from stockflow.settings import Settings


def test_credential_keys_and_url_passwords_are_masked():
    data = {"api_key": "a", "X-API-Key": "b", "token": "c", "client_secret": "d",
            "DB_PASSWORD": "e", "authorization": "Bearer f", "private_key": "g",
            "nested": [{"refresh_token": "h", "name": "ok"}],
            "url": "postgresql://user:pw@db:5432/x", "plain": "redis://db:6379/0",
            "key": "i", "keys": ["not", "secret"], "monkey": "business", "empty_token": None}
    out = redact(data)
    for k in ("api_key", "X-API-Key", "token", "client_secret", "DB_PASSWORD", "authorization",
              "private_key", "key"):
        assert out[k] == REDACTED, k
    assert out["nested"] == [{"refresh_token": REDACTED, "name": "ok"}]
    assert out["url"] == f"postgresql://user:{REDACTED}@db:5432/x"
    assert out["plain"] == "redis://db:6379/0"
    assert out["keys"] == ["not", "secret"] and out["monkey"] == "business"
    assert out["empty_token"] is None  # nothing to hide; shows the setting is unset
    assert data["api_key"] == "a"  # a copy: the input is untouched


def test_settings_dump_holds_no_secret():
    settings = Settings(control={"api_key": "k1", "kubesnap_api_key": "k2"},
                        providers={"x": {"api_key": "k3"}},
                        storage={"url": "postgresql://u:k4@h/db"})
    assert isinstance(settings.control.api_key, SecretStr)
    text = str(redact(settings.model_dump(mode="json")))
    assert not any(k in text for k in ("k1", "k2", "k3", "k4"))
