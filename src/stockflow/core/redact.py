"""Secrets out of log lines: tokens, API keys, passwords and refresh tokens become `***`.

Applied where lines leave the process (the line sink and a filter on every stdlib handler), so
no logger, ours or a library's, can write one: a JWT anywhere in a line, a `Bearer` credential,
a query parameter with a secret-sounding name (uvicorn prints WebSocket URLs whole, with
`?token=`), and a field with a secret-sounding name in JSON (`"password": "..."`) or in
`name=value` form (`api_key='...'`, a repr). Opaque values (refresh tokens, API keys) are only
recognisable by their name, or registered here by value with `add_secret` when they are known.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = b"***"
# Names whose values are secret: x-api-key, api_key, apikey, access_token, refresh_token,
# password, new_password, client_secret, authorization, signature, ...
_NAME = rb"[\w.-]*(?:token|key|secret|password|passwd|signature|authorization|credentials?)"
# A JWT: three base64url parts, the first one a JSON object ("eyJ" is '{"').
_JWT = re.compile(rb"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
_PATTERNS = [
    (re.compile(rb"(?i)(bearer\s+)[^\s\"',]+"), rb"\1" + MASK),
    # A URL query parameter or a name=value pair (logfmt, reprs, console lines).
    (re.compile(rb"(?i)((?:^|[?&;\s,({])" + _NAME + rb"=)('[^']*'|\"[^\"]*\"|[^&\s\"',)}]+)"),
     rb"\1" + MASK),
    # A JSON field: "password": "...", also with escaped quotes inside a JSON string.
    (re.compile(rb"(?i)((\\?\")" + _NAME + rb"\2\s*:\s*\2)((?:[^\"\\]|\\(?!\"))*)"),
     rb"\1" + MASK),
    # A header pair as Python prints it: (b'x-api-key', b'...') or ('authorization', '...').
    (re.compile(rb"(?i)(\(b?'" + _NAME + rb"',\s*b?')[^']*"), rb"\1" + MASK),
]
# What every match above contains, lower-cased; text without any is passed through after a few
# substring searches (C speed), so a batch of access lines costs well under a microsecond a line.
# (One case-insensitive alternation was ten times slower: it tries every branch at every byte.)
_MARKERS = (b"eyj", b"bearer", b"token", b"key", b"secret", b"passw", b"signature",
            b"authorization", b"credential")
_lock = threading.Lock()
_known: list[bytes] = []


def add_secret(value: str | bytes | None) -> None:
    """Mask this exact value wherever it appears (an operator key, a configured credential)."""
    if not value:
        return
    raw = value.encode() if isinstance(value, str) else value
    if len(raw) >= 8:  # shorter values would mask ordinary words
        with _lock:
            if raw not in _known:
                _known.append(raw)


def redact_tokens(data: bytes) -> bytes:
    """The cheap pass, for lines whose field names are fixed by their writer (access lines):
    JWTs, the secret a client can put in what they carry (a path, a request id). A search for
    one byte (memchr) when there are none: a multi-byte search costs a hundred times more."""
    if b"J" in data and b"eyJ" in data:
        data = _JWT.sub(MASK, data)
    return data


def redact(line: bytes) -> bytes:
    for secret in _known:
        if secret in line:
            line = line.replace(secret, MASK)
    line = redact_tokens(line)
    lowered = line.lower()
    if not any(marker in lowered for marker in _MARKERS):
        return line
    for pattern, replacement in _PATTERNS:
        line = pattern.sub(replacement, line)
    return line


def redact_text(text: str) -> str:
    return redact(text.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")


class RedactingFilter(logging.Filter):
    """Rewrites a stdlib record's message (and its traceback) with the secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


_FILTER = RedactingFilter()


def redact_every_handler() -> None:
    """Put the filter on every handler of every logger that exists now (the root's included);
    call it after logging is configured."""
    loggers = [logging.getLogger(), *(logger for logger in logging.root.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
