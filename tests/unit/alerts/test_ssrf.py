"""SSRF guard: every spelling of an inside address is refused; the allow-list lets one in."""

from __future__ import annotations

import pytest

from stockflow.alerts.ssrf import StaticResolver, UrlRefused, WebhookGuard

PUBLIC = "93.184.215.14"
RESOLVER = StaticResolver({
    "hooks.example.com": [PUBLIC],
    "rebind.example.com": [PUBLIC, "127.0.0.1"],     # one bad answer spoils the lot
    "private.example.com": ["10.1.2.3"],
    "metadata.example.com": ["169.254.169.254"],
    "v6.example.com": ["2606:4700::6810:84e5"],
    "mapped.example.com": ["::ffff:192.168.0.1"],
    "xn--bcher-kva.example": [PUBLIC],
})

REFUSED = [
    # schemes
    "ftp://hooks.example.com/x", "file:///etc/passwd", "gopher://hooks.example.com/",
    "javascript:alert(1)", "hooks.example.com/no-scheme",
    # loopback in every spelling
    "http://127.0.0.1/", "http://127.1/", "http://2130706433/", "http://0x7f000001/",
    "http://0x7f.1/", "http://0177.0.0.1/", "http://017700000001/", "http://127.0.0.1./",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/", "http://[::127.0.0.1]/", "http://[64:ff9b::7f00:1]/",
    "http://localhost/", "http://LOCALHOST./", "http://localhost.:80/", "http://a.localhost/",
    "http://ｌｏｃａｌｈｏｓｔ/", "http://１２７.０.０.１/", "http://127。0。0。1/",
    "http://127.000.000.001/", "http://0x7f.0x0.0x0.0x1/", "http://127.0.0.1.:80/",
    # unspecified
    "http://0.0.0.0/", "http://0/", "http://[::]/",
    # private, link-local, CGNAT, multicast, reserved, metadata
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://169.254.169.254/",
    "http://[fe80::1]/", "http://[fe80::1%25eth0]/", "http://[fd00:ec2::254]/",
    "http://100.64.0.1/", "http://100.100.100.200/", "http://224.0.0.1/",
    "http://[ff02::1]/", "http://240.0.0.1/", "http://255.255.255.255/", "http://192.0.0.192/",
    "http://198.18.0.1/", "http://[2002:7f00:1::]/", "http://metadata.google.internal/",
    "http://private.example.com/", "http://metadata.example.com/latest/meta-data/",
    "http://mapped.example.com/", "http://rebind.example.com/",
    # userinfo tricks
    "http://hooks.example.com@127.0.0.1/", "http://user:pass@hooks.example.com/",
    "http://127.0.0.1#@hooks.example.com/", "http://127.0.0.1\\@hooks.example.com/",
    # ports
    "http://hooks.example.com:22/", "http://hooks.example.com:6379/",
    "http://hooks.example.com:0/", "http://hooks.example.com:99999/",
    # broken or unresolvable
    "http:///path", "http://[::1/", "http://nowhere.example.com/", "http://hooks.example.com\r\nX: y/",
]

ALLOWED = [
    ("https://hooks.example.com/stockflow", (PUBLIC,)),
    ("http://hooks.example.com:8080/x?y=1", (PUBLIC,)),
    ("https://HOOKS.example.com./x", (PUBLIC,)),
    ("https://v6.example.com/", ("2606:4700::6810:84e5",)),
    ("https://bücher.example/", (PUBLIC,)),
    ("https://93.184.215.14/", (PUBLIC,)),
]


@pytest.mark.parametrize("url", REFUSED)
async def test_refused(url):
    with pytest.raises(UrlRefused):
        await WebhookGuard(RESOLVER).check(url)


@pytest.mark.parametrize(("url", "addresses"), ALLOWED)
async def test_allowed(url, addresses):
    target = await WebhookGuard(RESOLVER).check(url)
    assert target.addresses == addresses


async def test_allow_list_exempts_hosts_and_cidrs_only():
    guard = WebhookGuard(RESOLVER, allowed=["private.example.com", "127.0.0.0/8"])
    assert (await guard.check("http://private.example.com:9000/")).addresses == ("10.1.2.3",)
    assert (await guard.check("http://127.0.0.1:5000/")).addresses == ("127.0.0.1",)
    assert (await guard.check("http://0x7f.1:5000/")).addresses == ("127.0.0.1",)
    for still_refused in ("http://10.0.0.1/", "http://metadata.example.com/",
                          "ftp://127.0.0.1/", "http://u@127.0.0.1/"):
        with pytest.raises(UrlRefused):
            await guard.check(still_refused)


async def test_the_host_is_resolved_once_per_check():
    resolver = StaticResolver({"hooks.example.com": [PUBLIC]})
    await WebhookGuard(resolver).check("https://hooks.example.com/")
    assert resolver.calls == 1
