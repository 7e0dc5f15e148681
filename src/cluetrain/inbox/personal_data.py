"""Would a reply repeat a customer's personal data in public?

Customers write their e-mail address, phone number, card number, address or order number in
public posts more often than they should. Repeating it in a public reply exposes it a second
time, under the organisation's name. The guideline engine's detectors find such data in the
customer's messages; a reply is then searched for those values, normalised (the digits of a
phone or card, an e-mail lowercased), so "+44 20 7946 0958" and "020-7946-0958" are the same
number. The result is a warning the person may confirm, not a refusal: sometimes a customer
asks "is my order 4417 the one you mean?".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cluetrain.guidelines.engine.detectors import (
    detect_email,
    detect_iban,
    detect_national_id,
    detect_payment_card,
    detect_phone,
)

# Numbers compared by their last digits: a country prefix or a leading 0 is written or not.
_PHONE_TAIL = 9
_MIN_DIGITS = 6

# Order, booking and ticket references: a word that says so, then a code with a digit in it.
_ORDER = re.compile(
    r"(?i)\b(?:order|booking|reservation|ref(?:erence)?|confirmation|ticket|case|claim|"
    r"invoice|pnr|tracking)\b\s*(?:no\.?|number|num|code|id)?\s*(?:is\s*)?[#:]?\s*"
    r"(?P<code>(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]{3,23})\b"
)
# A street address ("12 Station Road") or a UK postcode ("SW1A 1AA").
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][\w'-]+\s+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Close|Court|Ct|"
    r"Place|Pl|Terrace|Gardens|Crescent|Square|Parade)\b\.?"
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")

_NO_OPTIONS: dict[str, object] = {}


@dataclass(frozen=True)
class Repeated:
    """One piece of the customer's personal data the reply would repeat."""

    kind: str  # "e-mail address", "phone number", …
    shown: str  # masked for the warning: the warning itself must not spread it further

    def __str__(self) -> str:
        return f"{self.kind} {self.shown}"


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _alnum(value: str) -> str:
    return "".join(ch for ch in value if ch.isalnum()).upper()


def mask(value: str) -> str:
    """``jane.doe@example.com`` → ``ja…@example.com``; ``4111 1111 1111 1111`` → ``…1111``."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:2]}…@{domain}"
    tail = value.strip()[-4:]
    return f"…{tail}"


@dataclass(frozen=True)
class _Value:
    kind: str
    key: str  # normalised
    shown: str


def customer_values(texts: Iterable[str]) -> list[_Value]:
    """The personal data found in the customer's messages, normalised for comparison."""
    found: dict[tuple[str, str], _Value] = {}

    def add(kind: str, key: str, raw: str) -> None:
        if key and (kind, key) not in found:
            found[(kind, key)] = _Value(kind, key, mask(raw))

    for text in texts:
        for hit in detect_email(text, _NO_OPTIONS):
            add("e-mail address", text[hit.start : hit.end].lower(), text[hit.start : hit.end])
        for hit in detect_phone(text, _NO_OPTIONS):
            raw = text[hit.start : hit.end]
            add("phone number", _digits(raw)[-_PHONE_TAIL:], raw)
        for hit in detect_payment_card(text, _NO_OPTIONS):
            raw = text[hit.start : hit.end]
            add("card number", _digits(raw), raw)
        for detector, kind in ((detect_iban, "bank account"), (detect_national_id, "ID number")):
            for hit in detector(text, _NO_OPTIONS):
                raw = text[hit.start : hit.end]
                add(kind, _alnum(raw), raw)
        for m in _ORDER.finditer(text):
            code = m.group("code")
            if len(_alnum(code)) >= 4:
                add("order number", _alnum(code), code)
        for m in _STREET.finditer(text):
            add("address", " ".join(m.group().lower().rstrip(".").split()), m.group())
        for m in _POSTCODE.finditer(text):
            add("postcode", _alnum(m.group()), m.group())
    return list(found.values())


# Runs of digits as people write numbers, separators included: "020 7946-0958", "(020) 79…".
_NUMBER = re.compile(r"\+?\(?\d[\d ().-]*\d")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_EMAILISH = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def repeated(reply: str, customer_texts: Iterable[str]) -> list[Repeated]:
    """The customer's personal data that ``reply`` repeats; empty when it repeats none."""
    values = customer_values(customer_texts)
    if not values or not reply.strip():
        return []
    emails = {m.group().lower().rstrip(".") for m in _EMAILISH.finditer(reply)}
    numbers = [_digits(m.group()) for m in _NUMBER.finditer(reply)]
    numbers = [n for n in numbers if len(n) >= _MIN_DIGITS]
    words = {_alnum(m.group()) for m in _WORD.finditer(reply)}
    compact = _alnum(reply)
    lowered = " ".join(reply.lower().split())
    hits: list[Repeated] = []
    for value in values:
        if value.kind == "e-mail address":
            hit = value.key in emails or value.key in lowered
        elif value.kind == "phone number":
            hit = any(n[-_PHONE_TAIL:] == value.key for n in numbers)
        elif value.kind == "card number":
            hit = any(value.key in n for n in numbers)
        elif value.kind == "order number":
            hit = value.key in words or (len(value.key) >= 6 and value.key in compact)
        elif value.kind == "address":
            hit = value.key in lowered
        else:
            hit = value.key in compact
        if hit:
            hits.append(Repeated(value.kind, value.shown))
    return hits
