"""SSRF guard for webhook URLs: a webhook is a request a stranger makes from inside our network.

`WebhookGuard.check(url)` parses the URL, refuses what can never be sent (other schemes, userinfo,
ports outside the allow-list, names such as `localhost.`), resolves the host once and refuses it
if any address is not globally routable: loopback, private, link-local (cloud metadata
169.254.169.254), CGNAT (100.64/10), multicast, unspecified, reserved, documentation ranges,
IPv4-mapped/compatible/NAT64 IPv6 wrapping any of those, and hosts spelled as decimal, octal or
hex IPv4. The caller connects to the returned addresses only (no second lookup: DNS rebinding).
Self-hosters list hosts and CIDRs in `allowed` to reach their own services.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = (80, 443, 8080, 8443)
_BLOCKED_NAMES = ("localhost", "localhost.localdomain", "metadata.google.internal",
                  "metadata", "instance-data", "ip6-localhost", "ip6-loopback")
_BLOCKED_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa")
_EXTRA_BLOCKS = tuple(ipaddress.ip_network(n) for n in (
    "100.64.0.0/10",       # CGNAT (also Alibaba's metadata 100.100.100.200)
    "192.0.0.0/24",        # IETF protocol assignments (Oracle metadata 192.0.0.192)
    "198.18.0.0/15",       # benchmarking
    "fd00:ec2::/32",       # AWS IPv6 metadata (fd00:ec2::254), inside fc00::/7 anyway
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.IGNORECASE)


class UrlRefused(ValueError):
    """The URL may not be called; `reason` is safe to show to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """getaddrinfo in the event loop's executor."""

    async def resolve(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)
        return list(dict.fromkeys(info[4][0] for info in infos))


class StaticResolver:
    """Answers from a table; for tests and for pinning names in configuration."""

    def __init__(self, table: dict[str, Sequence[str]]) -> None:
        self.table = {k.lower(): list(v) for k, v in table.items()}
        self.calls = 0

    async def resolve(self, host: str, port: int) -> list[str]:
        self.calls += 1
        if host.lower() not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "name not known")
        return self.table[host.lower()]


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: where to connect (addresses) and what to say (host for Host and SNI)."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def blocked_address(ip: IPAddress) -> bool:
    """True unless the address is globally routable unicast."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
                                   if ip in _NAT64 or int(ip) >> 32 == 0 else None)
        if inner is not None:
            return True if int(inner) == 0 else blocked_address(inner)
        if ip.sixtofour is not None or ip.teredo is not None:
            return True     # tunnels wrap arbitrary IPv4 targets; nobody's webhook needs one
    if any(ip in net for net in _EXTRA_BLOCKS if net.version == ip.version):
        return True
    return ip.is_multicast or not ip.is_global


def _literal(host: str) -> IPAddress | None:
    """The address a host spells, in any spelling a resolver would accept, or None for a name."""
    if "%" in host:
        raise UrlRefused("IPv6 zone identifiers are not allowed")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise UrlRefused("invalid IPv6 address") from exc
    if _NUMERIC_HOST.fullmatch(host):
        # inet_aton reads 2130706433, 0x7f.1, 0177.0.0.1 and 127.1 as a resolver would.
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError as exc:
            raise UrlRefused("invalid numeric host") from exc
    return None


def _ascii_host(host: str) -> str:
    try:
        # UTS 46 mapping: full-width dots and letters become what a resolver would look up.
        return idna.encode(host.rstrip("."), uts46=True).decode().lower()
    except idna.IDNAError as exc:
        raise UrlRefused("invalid host name") from exc


@dataclass(frozen=True, slots=True)
class _Parsed:
    scheme: str
    host: str
    port: int
    literal: IPAddress | None


class WebhookGuard:
    def __init__(self, resolver: Resolver | None = None, *,
                 allowed: Sequence[str] = (), ports: Sequence[int] = DEFAULT_PORTS) -> None:
        self.resolver = resolver or SystemResolver()
        self.ports = frozenset(ports)
        self.allowed_hosts = frozenset(a.lower().rstrip(".") for a in allowed if not is_network(a))
        self.allowed_nets = tuple(ipaddress.ip_network(a, strict=False)
                                  for a in allowed if is_network(a))

    def parse(self, url: str) -> _Parsed:
        """Everything that can be refused without a lookup (also at channel creation)."""
        if len(url) > 2048 or any(c in url for c in "\r\n\t\x00 \\"):
            raise UrlRefused("the URL holds forbidden characters or is too long")
        try:
            parts = urlsplit(url)
            raw_host = parts.hostname or ""
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError as exc:
            raise UrlRefused("invalid URL or port") from exc
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise UrlRefused("only http and https URLs are allowed")
        if "@" in parts.netloc:
            raise UrlRefused("user names and passwords in the URL are not allowed")
        if not raw_host:
            raise UrlRefused("the URL has no host")
        if parts.port == 0:
            raise UrlRefused("port 0 is not allowed")
        literal = _literal(raw_host)
        host = str(literal) if literal is not None else _ascii_host(raw_host)
        if literal is None and _literal(host) is not None:
            literal = _literal(host)      # an IDN that maps to digits, e.g. full-width "１２７.１"
        parsed = _Parsed(scheme, host, port, literal)
        if literal is not None:
            self._check_addresses(parsed, [literal])
        elif ((host in _BLOCKED_NAMES or host.endswith(_BLOCKED_SUFFIXES))
              and host not in self.allowed_hosts):
            raise UrlRefused("this host name points inside the network")
        return parsed

    def _exempt(self, host: str, addresses: Sequence[IPAddress]) -> bool:
        if host in self.allowed_hosts:
            return True
        return bool(addresses) and all(any(a in n for n in self.allowed_nets if
                                           n.version == a.version) for a in addresses)

    async def check(self, url: str) -> Target:
        """Refuse or return where to connect; resolves the host exactly once."""
        p = self.parse(url)
        if p.literal is not None:
            return Target(p.scheme, p.host, p.port, (str(p.literal),))
        try:
            found = await self.resolver.resolve(p.host, p.port)
        except (OSError, UnicodeError) as exc:
            raise UrlRefused("the host name does not resolve") from exc
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        if not addresses:
            raise UrlRefused("the host name does not resolve")
        self._check_addresses(p, addresses)
        return Target(p.scheme, p.host, p.port, tuple(str(a) for a in addresses))

    def _check_addresses(self, p: _Parsed, addresses: Sequence[IPAddress]) -> None:
        if self._exempt(p.host, addresses):
            return
        if p.port not in self.ports:
            raise UrlRefused(f"port {p.port} is not allowed")
        if any(blocked_address(a) for a in addresses):
            raise UrlRefused("the host resolves to a private or reserved address")

def is_network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True
