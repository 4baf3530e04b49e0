"""Secrets StockFlow makes for itself in development (the JWT signing key, the operator's API
key): created once in the data folder, readable by the owner only, the same on every restart."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], bytes]) -> tuple[bytes, bool]:
    """The secret in `path`, made with `make()` (mode 0600) if the file does not exist yet;
    → (secret, created)."""
    if path.exists():
        return path.read_bytes(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = make()
    # O_EXCL: two processes starting together keep one secret, the loser reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes(), False
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret, True
