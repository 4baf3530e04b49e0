"""Channel secrets at rest: webhook signing secrets, e-mail confirmation digests and every
channel's target (push URLs carry tokens, webhook URLs often do, addresses and numbers are
personal data) are stored sealed with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`).

Keys: `STOCKFLOW_ALERTS__CHANNEL_KEYS` and/or the lines of `__CHANNEL_KEYS_FILE`; the first key
seals, every key opens, so a rotation is: put the new key first, restart, and the alerts worker
re-seals each row under it (`SqlAlertRepository.seal_channels`); then drop the old key. With no
key configured (development) one is generated into the data folder, like the JWT signing key.
Several hosts must share configured keys: each would otherwise generate its own.

A sealed value is `fernet:<token>`. A value without the prefix was written before sealing
existed: it is read as it is, and the worker's start-up pass seals it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from stockflow.core.secretfile import read_or_create

PREFIX = "fernet:"
KEY_FILE = Path("keys") / "alerts-channel-key"


class SealError(Exception):
    """A sealed value no configured key opens."""


def check_key(key: str) -> str:
    """The key if Fernet accepts it (urlsafe base64 of 32 bytes); ValueError otherwise."""
    try:
        Fernet(key.strip().encode())
    except (ValueError, TypeError) as exc:
        raise ValueError("a channel key must be a Fernet key: urlsafe base64 of 32 random "
                         "bytes (Fernet.generate_key())") from exc
    return key.strip()


class ChannelCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a channel cipher needs at least one key")
        self._first = Fernet(check_key(keys[0]).encode())
        self._all = MultiFernet([Fernet(check_key(k).encode()) for k in keys])

    def seal(self, text: str) -> str:
        return PREFIX + self._all.encrypt(text.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored          # written before sealing; the start-up pass seals it
        try:
            return self._all.decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise SealError("a channel secret is sealed with a key that is not configured "
                            "(STOCKFLOW_ALERTS__CHANNEL_KEYS)") from None

    def is_current(self, stored: str) -> bool:
        """Sealed under the first key: nothing to do for a rotation."""
        if not stored.startswith(PREFIX):
            return False
        try:
            self._first.decrypt(stored[len(PREFIX):].encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, stored: str) -> str:
        return stored if self.is_current(stored) else self.seal(self.open(stored))


def load_cipher(keys: Sequence[str], keys_file: Path | None, data_dir: Path) -> ChannelCipher:
    """Configured keys (settings first, then the file's lines), or the data folder's own key."""
    found = [k for k in keys if k.strip()]
    if keys_file is not None:
        found += [line.strip() for line in keys_file.read_text().splitlines()
                  if line.strip() and not line.lstrip().startswith("#")]
    if not found:
        found = [read_or_create(data_dir / KEY_FILE, Fernet.generate_key)[0].decode().strip()]
    return ChannelCipher(found)
