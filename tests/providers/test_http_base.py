"""The shared HTTP base: status mapping, timeouts, redirects, Retry-After and secret redaction."""

from __future__ import annotations

import logging
import traceback

import pytest
from pydantic import SecretStr

from stockflow.adapters.providers.http import HttpProvider, parse_retry_after, redact_url
from stockflow.core.resilience.errors import (
    ProviderAuthError,
    ProviderBadData,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderUnavailable,
)

KEY = "sk-TOPSECRET-12345"


class Echo(HttpProvider):
    """A provider that sends its key as a query param and a header, like the worst vendors."""

    name = "echo"

    def auth_params(self):
        return {"apiKey": self.secret()} if self.api_key else {}

    def auth_headers(self):
        return {"Authorization": f"Bearer {self.secret()}"} if self.api_key else {}


@pytest.fixture
async def echo(vendor):
    p = Echo(KEY, base_url=vendor.url, timeout=0.3)
    yield p
    await p.aclose()


def _leaks(err: BaseException) -> bool:
    text = "".join(traceback.format_exception(err)) + repr(err) + str(err)
    return KEY in text


async def test_client_is_lazy_pooled_and_closable(vendor):
    vendor.route("/ok", body={"a": 1})
    p = Echo(base_url=vendor.url)
    assert p._http is None
    assert await p.get_json("/ok") == {"a": 1}
    first = p.client
    await p.get_json("/ok")
    assert p.client is first
    await p.aclose()
    assert p._http is None
    assert await p.get_json("/ok") == {"a": 1}  # reopens after close
    await p.aclose()


@pytest.mark.parametrize(("status", "error"), [
    (500, ProviderUnavailable), (502, ProviderUnavailable), (503, ProviderUnavailable),
    (401, ProviderAuthError), (403, ProviderAuthError), (404, ProviderNotFound),
    (400, ProviderError),
])
async def test_status_maps_to_typed_error(vendor, echo, status, error):
    vendor.route("/x", body={"oops": True}, status=status)
    with pytest.raises(error) as e:
        await echo.get_json("/x")
    assert type(e.value) is error
    assert e.value.status == status and e.value.provider == "echo"
    assert not _leaks(e.value)


async def test_html_error_page_still_maps_by_status(vendor, echo):
    vendor.route("/x", body="<html>Bad gateway</html>", status=502,
                 headers={"Content-Type": "text/html"})
    with pytest.raises(ProviderUnavailable):
        await echo.get_json("/x")


async def test_429_with_retry_after_seconds(vendor, echo):
    vendor.route("/x", body={}, status=429, headers={"Retry-After": "119"})
    with pytest.raises(ProviderRateLimited) as e:
        await echo.get_json("/x")
    assert e.value.retry_after == 119.0


async def test_429_without_retry_after(vendor, echo):
    vendor.route("/x", body={}, status=429)
    with pytest.raises(ProviderRateLimited) as e:
        await echo.get_json("/x")
    assert e.value.retry_after is None


def test_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past → now
    assert parse_retry_after("soon") is None
    assert parse_retry_after("1.5") == 1.5


async def test_timeout_is_unavailable_and_does_not_leak(vendor, echo):
    vendor.route("/slow", body={}, delay=1.0)
    with pytest.raises(ProviderUnavailable) as e:
        await echo.get_json("/slow")
    assert "timeout" in str(e.value)
    assert "apiKey=***" in str(e.value)
    assert not _leaks(e.value)


async def test_connection_refused_is_unavailable():
    p = Echo(KEY, base_url="http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(ProviderUnavailable) as e:
        await p.get_json("/x")
    assert not _leaks(e.value)
    await p.aclose()


async def test_malformed_json_is_bad_data(vendor, echo):
    vendor.route("/x", body='{"price": 1.0,')
    with pytest.raises(ProviderBadData):
        await echo.get_json("/x")


async def test_redirect_is_followed(vendor, echo):
    vendor.route("/new", body={"moved": True})
    vendor.redirect("/old", "/new")
    assert await echo.get_json("/old") == {"moved": True}


async def test_redirect_loop_is_unavailable(vendor, echo):
    vendor.redirect("/loop", "/loop")
    with pytest.raises(ProviderUnavailable) as e:
        await echo.get_json("/loop")
    assert not _leaks(e.value)


async def test_key_never_in_error_even_if_vendor_echoes_it(vendor, echo):
    vendor.route("/x", body={"error": f"bad key {KEY}"}, status=500)
    with pytest.raises(ProviderUnavailable) as e:
        await echo.get_json("/x", {"token": "t0k"})
    msg = str(e.value)
    assert KEY not in msg and "t0k" not in msg and "apiKey=***" in msg and "token=***" in msg
    assert not _leaks(e.value)


async def test_key_sent_and_not_in_repr_or_logs(vendor, echo, caplog):
    caplog.set_level(logging.DEBUG)
    vendor.route("/x", body={})
    await echo.get_json("/x")
    assert vendor.last.query["apiKey"] == [KEY]
    assert vendor.last.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(echo) and KEY not in caplog.text
    assert isinstance(echo.api_key, SecretStr)


def test_redact_url():
    url = "https://x.test/q?function=GLOBAL_QUOTE&apikey=abc&symbol=MSFT&access_token=zz"
    assert redact_url(url) == (
        "https://x.test/q?function=GLOBAL_QUOTE&apikey=***&symbol=MSFT&access_token=***")


def test_from_settings():
    class S:
        api_key = SecretStr("k")
        base_url = "http://h.test/"
        timeout = 2
    p = Echo.from_settings(S())
    assert p.base_url == "http://h.test" and p.timeout == 2.0 and p.secret() == "k"
