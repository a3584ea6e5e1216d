"""Redirect targets taken from a request stay on this site."""

from __future__ import annotations

from typing import TypeGuard
from urllib.parse import unquote, urlsplit


def is_local_path(target: str | None) -> TypeGuard[str]:
    """Is ``target`` a path on this site, also after a browser or proxy normalises it?

    Control characters (tab, CR, LF, …) and backslashes are refused, not stripped: a browser
    drops a tab from ``/\\t/evil.example`` and is left with ``//evil.example``. The same holds for
    their percent-encoded forms, which a server may decode later.
    """
    if not target or len(target) > 2000:
        return False
    for text in (target, unquote(target)):
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text) or "\\" in text:
            return False
        if not text.startswith("/") or text.startswith("//"):
            return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a local path, else ``default``."""
    return target if is_local_path(target) else default
