"""Exact-duplicate keys: a canonical URL (tracking parameters stripped) and a content hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that say who sent the reader, never which article: dropped before comparing URLs.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "_hs")
_TRACKING_NAMES = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "ref", "ref_src", "referrer",
    "source", "src", "cmpid", "ncid", "feedtype", "feedname", "ocid", "soc_src", "soc_trk",
    "guccounter", "guce_referrer", "guce_referrer_sig", "s_cid", "cid", "mod", "smid", ".tsrc",
    "yptr", "siteid", "partner",
})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WORD = re.compile(r"\w+", re.UNICODE)


def _tracking(name: str) -> bool:
    lower = name.lower()
    return lower in _TRACKING_NAMES or lower.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Scheme and host lower-cased, default port, fragment and tracking parameters dropped,
    remaining parameters sorted, trailing slash of the path removed."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not _tracking(k))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def text_key(text: str) -> str:
    """Text reduced to its words, case-folded and NFKC-normalised (full-width → ASCII)."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def content_hash(title: str, body: str) -> str:
    """SHA-256 of the title and body words: equal for copies that differ only in markup/spacing."""
    key = text_key(title) + "\n" + text_key(body)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
