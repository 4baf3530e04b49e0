"""Key rules every ObjectStore adapter shares: relative, slash-separated, no dot segments."""

from __future__ import annotations


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid object key {key!r}: use relative a/b/c names")
    return key
