"""Normalised forms of names, phones, e-mails and addresses, for telling whether two records are one person."""

from __future__ import annotations

import re

_APOSTROPHES = re.compile(r"[’ʼ`‘´]")
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")  # a run of characters for which str.isalnum() is False


def normalise_name(name: str | None) -> str:
    """Case-folded, single-spaced, one kind of apostrophe: for comparing names."""
    name = _APOSTROPHES.sub("'", name or "")
    return _SPACES.sub(" ", name).strip().casefold()


def _capitalise_words(text: str) -> str:
    # str.title() would also capitalise after an apostrophe (Дем'Яненко)
    return " ".join("-".join(p[:1].upper() + p[1:].lower() for p in word.split("-")) for word in text.split(" "))


def name_variants(name: str) -> list[str]:
    """Spellings under which a name is likely stored (as typed, capitalised, upper case)."""
    typed = _SPACES.sub(" ", _APOSTROPHES.sub("'", name or "")).strip()
    if not typed:
        return []
    variants = [typed, _capitalise_words(typed), typed.upper(), (name or "").strip()]
    return list(dict.fromkeys(v for v in variants if v))


def phone_digits(phone: str | None) -> str:
    """The national significant number (last 9 digits) of a Ukrainian phone, or all its digits."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-9:] if len(digits) >= 9 else digits


def normalise_phone(phone: str | None) -> str:
    """``+380XXXXXXXXX`` for a recognisable Ukrainian number; otherwise the text as typed."""
    raw = (phone or "").strip()
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 12 and digits.startswith("380"):
        return "+" + digits
    if len(digits) == 10 and digits.startswith("0"):
        return "+38" + digits
    if len(digits) == 9:
        return "+380" + digits
    return raw


def phone_variants(phone: str | None) -> list[str]:
    """Stored forms the same number may have (canonical and the usual local ones)."""
    raw = (phone or "").strip()
    if not raw:
        return []
    nsn = phone_digits(raw)
    variants = [raw, normalise_phone(raw)]
    if len(nsn) == 9:
        variants += ["+380" + nsn, "380" + nsn, "0" + nsn, nsn]
    return list(dict.fromkeys(variants))


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def normalise_address(address: str | None) -> str:
    """Lower case, letters and digits only: "м. Дніпро, вул. Шевченка, 1" ≈ "м Дніпро вул Шевченка 1"."""
    return " ".join(_NOT_ALNUM.sub(" ", normalise_name(address)).split())


PLACEHOLDERS = frozenset({"немає", "нема", "відсутня", "відсутній", "н д", "none"})


# normalising keeps every letter and digit: a text with more of them than the longest placeholder
# is none of them (a list page asks this of every row's address)
_PLACEHOLDER_LETTERS = max(len(p.replace(" ", "")) for p in PLACEHOLDERS)


def is_placeholder(text: str | None) -> bool:
    """A value that only stands in for a missing one ("-", "—", "немає", "н/д", "…")."""
    if text and len(_NOT_ALNUM.sub("", text)) > _PLACEHOLDER_LETTERS:
        return False
    cleaned = normalise_address(text)
    return len(cleaned.replace(" ", "")) < 3 or cleaned in PLACEHOLDERS
