"""Built-in detectors: personal data, secrets, internal addresses and financial figures.

Each detector takes the original text and its rule's options and yields ``Hit`` spans in Python
str offsets. They run on every keystroke of the composer, so every expression is compiled once
here, each detector first asks a cheap question ("is there an @ at all?") and the slow
validations (``phonenumbers``, checksums) only see the few candidates a regex let through.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import phonenumbers

from .secret_prefixes import (
    CARD_RANGES,
    FINANCE_STEMS,
    IBAN_LENGTHS,
    KNOWN_SECRETS,
    SECRET_MARKERS,
)
from .types import Hit, Kind, RuleSpec, Severity

Detector = Callable[[str, Mapping[str, Any]], Iterable[Hit]]

# A URL as people paste it; secrets and e-mail addresses are not looked for inside one.
_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]{1,15}://|www\.)[^\s<>\"']+")


def _url_spans(text: str) -> list[tuple[int, int]]:
    if "://" not in text and "www." not in text.lower():
        return []
    return [m.span() for m in _URL.finditer(text)]


# Phone numbers, cards, SSNs, NINOs and IBANs all hold six digits close together
# ("467 3395", "4111 1111", "123-45-6789", "AB 12 34 56 C"). Five detectors ask the same
# question of the same text in a row, so the last answer is kept (a tuple swap: thread-safe).
_DIGIT_PAIRS = re.compile(r"\d(?:[ ().-]{0,2}\d){5}")
_last_digits: tuple[str, bool] = ("", False)


def _has_digit_pairs(text: str) -> bool:
    global _last_digits
    last = _last_digits
    if last[0] is text:
        return last[1]
    found = _DIGIT_PAIRS.search(text) is not None
    _last_digits = (text, found)
    return found


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


# --- e-mail ---------------------------------------------------------------------------------

# Starts with a literal so the regex engine can skip straight to each "@" (tweets are full of
# @handles, which this rejects at once: no dot after them).
_EMAIL_HINT = re.compile(r"@[A-Za-z0-9-]+\.[A-Za-z]")
_EMAIL = re.compile(
    r"(?<![\w.+%/:@-])"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-]|\.\w)"
)


def detect_email(text: str, options: Mapping[str, Any]) -> Iterator[Hit]:
    # Masked addresses ("__email__") carry no @ and are left alone by construction.
    if "@" not in text or not _EMAIL_HINT.search(text):
        return
    urls = _url_spans(text)
    for m in _EMAIL.finditer(text):
        if urls and _inside(urls, m.start(), m.end()):
            continue  # user@host inside a URL is a login, not someone's address
        yield Hit(
            m.start(),
            m.end(),
            "an e-mail address",
            "This looks like an e-mail address; posting someone's address in public exposes "
            "them to spam and worse.",
            "Leave the address out, or ask the person to write to you privately.",
        )


# --- phone numbers --------------------------------------------------------------------------

# Digits with the separators people use in phone numbers, optionally an international prefix
# and an extension. Validation by ``phonenumbers`` decides; this only finds candidates.
_PHONE = re.compile(
    r"(?<![\w+#$£€¥./-])(?<!\d,)"
    r"(?:\+|00)?(?:\(\d{1,4}\)[ .-]?|\d)(?:[ .\-]?\(?\d+\)?){1,7}"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?"
    r"(?![\w%$£€]|[.,:/-]\d)"
)
# Words that announce a phone number nearby (before it, or a label after it).
_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:phone|tel|telephone|mobile|cell|cellphone|fax|desk|office|call|text|sms|"
    r"whatsapp|number|contact|reach|dial|ring|messages|answering)\b"
)
# Numbers that are something else: an order, a booking, a flight, a tracking code.
_NOT_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:order|booking|confirmation|conf|ref|reference|flight|flt|tracking|ticket|"
    r"case|claim|invoice|account|acct|card|ssn|iban|zip|postcode|pnr|record)\b\W*(?:no\.?|"
    r"number|num|#)?\W*$"
)
_SSN_SHAPE = re.compile(r"\d{3}[- ]\d{2}[- ]\d{4}")
_DATE_SHAPE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")


def _digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


def _is_phone(candidate: str, regions: tuple[str, ...], announced: bool) -> bool:
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            return False
        if phonenumbers.is_valid_number(number):
            return True
        if candidate.startswith(("+", "00")):
            break  # the country is written in the number: other regions change nothing
    # A number someone calls a phone number ("Phone: 467 3395") only has to look like one: many
    # countries' plans are not in ``regions``, and a shown label is strong evidence.
    return announced and 7 <= _digits(candidate) <= 15


_PHONE_HINT = re.compile(r"\d[\d ().-]{5,}\d")


def detect_phone(text: str, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not _has_digit_pairs(text) or not _PHONE_HINT.search(text):
        return
    regions = tuple(r.upper() for r in options.get("regions") or ("US", "GB"))
    for m in _PHONE.finditer(text):
        candidate = m.group()
        n = _digits(candidate)
        if n < 7 or n > 17:
            continue
        if _SSN_SHAPE.fullmatch(candidate) or _DATE_SHAPE.fullmatch(candidate):
            continue
        before = text[max(0, m.start() - 30) : m.start()]
        if _NOT_PHONE_CONTEXT.search(before):
            continue
        # A bare run of digits is more often an order or an account number than a phone.
        bare = candidate.isdigit()
        after = text[m.end() : m.end() + 12]
        announced = bool(_PHONE_CONTEXT.search(before) or _PHONE_CONTEXT.match(after.lstrip(" -")))
        if bare and not announced and not 10 <= n <= 11:
            continue
        if _is_phone(candidate, regions, announced and not bare):
            yield Hit(
                m.start(),
                m.end(),
                "a phone number",
                "This looks like a phone number; a public post is no place for one.",
                "Ask the person to send their number in a private message.",
            )


# --- payment cards --------------------------------------------------------------------------

_CARD = re.compile(r"(?<![\w.,-])\d{2,6}(?:[ -]?\d{2,7}){1,7}(?![\w]|[.,-]\d)", re.ASCII)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_issuer_ok(digits: str) -> bool:
    for low, high, lengths in CARD_RANGES:
        if len(digits) in lengths and low <= digits[: len(low)] <= high:
            return True
    return False


_CARD_HINT = re.compile(r"\d{4}[ -]?\d{4}", re.ASCII)


def detect_payment_card(text: str, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not _has_digit_pairs(text) or not _CARD_HINT.search(text):
        return
    for m in _CARD.finditer(text):
        raw = m.group()
        digits = raw.replace(" ", "").replace("-", "")
        if not 12 <= len(digits) <= 19 or not digits.isdigit():
            continue
        if " " in raw and "-" in raw:
            continue  # mixed separators: a list of numbers, not one card
        if _card_issuer_ok(digits) and luhn_ok(digits):
            yield Hit(
                m.start(),
                m.end(),
                "a payment card number",
                "This looks like a payment card number; never post card numbers in public.",
                "Ask the customer to send it privately, and do not repeat it.",
            )


# --- IBAN -----------------------------------------------------------------------------------

_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})((?: ?[A-Za-z0-9]){8,32})", re.ASCII)


def iban_ok(compact: str) -> bool:
    s = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(c, 36)) for c in s)) % 97 == 1
    except ValueError:
        return False


_IBAN_HINT = re.compile(r"\d\d ?[A-Za-z0-9]{4} ?[A-Za-z0-9]{4}", re.ASCII)


def detect_iban(text: str, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not _has_digit_pairs(text) or not _IBAN_HINT.search(text):
        return
    for m in _IBAN.finditer(text):
        country = m.group(1).upper()
        length = IBAN_LENGTHS.get(country)
        if length is None:
            continue
        # Walk the candidate until the country's length is reached: the regex may have taken
        # the next word too ("GB82 WEST 1234 5698 7654 32 today").
        count, end = 0, m.start()
        for i in range(m.start(), m.end()):
            if text[i] != " ":
                count += 1
                if count == length:
                    end = i + 1
                    break
        if count != length or (end < len(text) and text[end].isalnum()):
            continue
        compact = text[m.start() : end].replace(" ", "").upper()
        if compact[2:4] not in ("00", "01", "99") and iban_ok(compact):
            yield Hit(
                m.start(),
                end,
                "a bank account number (IBAN)",
                "This looks like an IBAN; bank details must never be posted in public.",
                "Move the conversation to a private channel.",
            )


# --- national identifiers -------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])", re.ASCII)
_SSN_BARE = re.compile(r"(?<![\w-])(\d{3})(\d{2})(\d{4})(?![\w-])", re.ASCII)
_SSN_WORD = re.compile(r"(?i)\b(?:ssn|ss#|social security(?: number| no\.?| #)?)\W{0,3}(?:is\W*)?$")
# UK National Insurance number: first letter not D, F, I, Q, U, V; second not D, F, I, O, Q,
# U, V; never the prefixes BG, GB, KN, NK, NT, TN or ZZ; six digits; suffix A to D.
_NINO = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)


def _ssn_ok(area: str, group: str, serial: str) -> bool:
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def detect_national_id(text: str, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not _has_digit_pairs(text):
        return
    for m in _SSN.finditer(text):
        if _ssn_ok(m.group(1), m.group(3), m.group(4)):
            yield _ssn_hit(m.start(), m.end())
    for m in _SSN_BARE.finditer(text):
        if _ssn_ok(*m.groups()) and _SSN_WORD.search(text[max(0, m.start() - 40) : m.start()]):
            yield _ssn_hit(m.start(), m.end())
    for m in _NINO.finditer(text):
        yield Hit(
            m.start(),
            m.end(),
            "a UK National Insurance number",
            "This looks like a National Insurance number; it identifies a person for life.",
            "Never post it; ask the person to share it only through a secure channel.",
        )


def _ssn_hit(start: int, end: int) -> Hit:
    return Hit(
        start,
        end,
        "a US Social Security number",
        "This looks like a Social Security number; posting one invites identity theft.",
        "Remove it; never ask anyone to share it in public.",
    )


# --- secrets --------------------------------------------------------------------------------

_KNOWN_SECRET = re.compile(
    "|".join(f"(?P<k{i}>{pattern})" for i, (_, pattern) in enumerate(KNOWN_SECRETS))
)
_SECRET_LABEL = {f"k{i}": label for i, (label, _) in enumerate(KNOWN_SECRETS)}
# A long token of key characters, not glued to a handle, hashtag or path.
# A long token of key characters, not glued to a handle, hashtag or path (checked after the
# match: a lookbehind up front would stop the regex engine from scanning quickly).
_TOKEN = re.compile(r"[A-Za-z0-9+/_=-]{24,}(?![\w/])")
# Every known format but the private key header has 20 key characters in a row.
_SECRET_HINT = re.compile(r"[A-Za-z0-9+/_=-]{20}")
_MIN_ENTROPY = 3.5  # bits per character; tuned on airline tweets (see bench/README.md)
_MIN_HEX_ENTROPY = 3.0
_HEX = frozenset("0123456789abcdef")


def shannon_entropy(s: str) -> float:
    counts: dict[str, int] = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _random_looking(token: str) -> bool:
    core = token.rstrip("=")
    has_digit = any(c.isdigit() for c in core)
    has_upper = any(c.isupper() for c in core)
    has_lower = any(c.islower() for c in core)
    if not has_digit or (has_upper + has_lower + has_digit) < 2:
        return False
    if sum(c.isdigit() for c in core) == len(core):
        return False
    # Words joined by dashes or underscores ("thank-you-so-much-2015") are not keys.
    if max(len(part) for part in re.split(r"[-_]", core)) < 16:
        return False
    # Hexadecimal keys and hashes have at most 4 bits a character, so a lower bar applies to
    # them; 32 hex characters mixing letters and digits are not an English word.
    if len(core) >= 32 and has_lower != has_upper and all(c in _HEX for c in core.lower()):
        return shannon_entropy(core) >= _MIN_HEX_ENTROPY
    return shannon_entropy(core) >= _MIN_ENTROPY


def detect_secret(text: str, options: Mapping[str, Any]) -> Iterator[Hit]:
    hint = _SECRET_HINT.search(text)
    if hint is None and "-----BEGIN" not in text:
        return
    found: list[tuple[int, int]] = []
    for marker in SECRET_MARKERS:
        if marker in text:
            for m in _KNOWN_SECRET.finditer(text):
                found.append(m.span())
                yield _secret_hit(m.start(), m.end(), _SECRET_LABEL[m.lastgroup or ""])
            break
    if hint is None:
        return
    urls = _url_spans(text)
    for m in _TOKEN.finditer(text):
        start, end = m.span()
        if (start and text[start - 1] in "@#/.+=-_") or text[start - 1 : start].isalnum():
            continue
        if _inside(urls, start, end) or any(s < end and start < e for s, e in found):
            continue
        if _random_looking(m.group()):
            yield _secret_hit(start, end, "a password or access key")


def _secret_hit(start: int, end: int, label: str) -> Hit:
    return Hit(
        start,
        end,
        label,
        f"This looks like {label}; anyone who sees it can use it.",
        "Remove it, and have the key revoked and replaced: a posted key must be treated as leaked.",
    )


# --- internal addresses ---------------------------------------------------------------------

_PRIVATE_HOST = re.compile(
    r"(?i)(?<![\w.-])(?:[a-z][a-z0-9+.-]{1,15}://)?(?:"
    r"(?:10|127)(?:\.\d{1,3}){3}|192\.168(?:\.\d{1,3}){2}|172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2}"
    r"|169\.254(?:\.\d{1,3}){2}"
    r"|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:local|internal|corp|lan|intranet)"
    r")(?![\w-]|\.\w)(?::\d{1,5})?(?:/[^\s<>\"']*)?"
)


_PRIVATE_HINT = re.compile(
    r"(?i)\.(?:local|internal|corp|lan|intranet)\b|\b(?:10|127|192\.168|172|169\.254)\.\d"
)


@lru_cache(maxsize=256)
def _domain_pattern(domains: tuple[str, ...]) -> re.Pattern[str] | None:
    names = [re.escape(d.strip().strip(".").lower()) for d in domains if d.strip().strip(".")]
    if not names:
        return None
    return re.compile(
        r"(?i)(?<![\w.@-])(?:[a-z][a-z0-9+.-]{1,15}://)?(?:[^\s/@:]+(?::[^\s/@]*)?@)?"
        r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*"
        rf"(?:{'|'.join(sorted(names, key=len, reverse=True))})"
        r"(?![\w-]|\.\w)(?::\d{1,5})?(?:/[^\s<>\"']*)?"
    )


def _trim_url(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in ".,;:!?)]}'\"":
        end -= 1
    return end


def detect_internal_url(text: str, options: Mapping[str, Any]) -> Iterator[Hit]:
    domains = options.get("domains") or ()
    if isinstance(domains, str):
        domains = (domains,)
    patterns: list[re.Pattern[str]] = []
    domains = tuple(str(d) for d in domains)
    pattern = _domain_pattern(domains)
    if pattern is not None:
        lowered = text.lower()
        if any(d.strip().strip(".").lower() in lowered for d in domains):
            patterns.append(pattern)
    if options.get("private_hosts") and _PRIVATE_HINT.search(text):
        patterns.append(_PRIVATE_HOST)
    seen: set[int] = set()
    for p in patterns:
        for m in p.finditer(text):
            end = _trim_url(text, m.start(), m.end())
            if m.start() in seen or end == m.start():
                continue
            seen.add(m.start())
            yield Hit(
                m.start(),
                end,
                "an internal address",
                "This points to one of the organisation's internal systems, which the public "
                "cannot open and should not learn about.",
                "Link to a public page instead, or leave the address out.",
            )


# --- financial figures ----------------------------------------------------------------------

_MAGNITUDE = r"(?:k|m|mn|bn|b|million|billion|trillion|thousand)"
_CURRENCY_WORD = r"(?:dollars|euros|pounds|usd|eur|gbp|chf|jpy|cad|aud)"
_FIGURE = re.compile(
    r"(?i)(?:"
    # €1.3 billion, $4.2m, USD 12,000
    rf"(?:[$€£¥]|\b(?-i:USD|EUR|GBP|CHF|JPY|CAD|AUD)\s?)\d[\d,]*(?:\.\d+)?(?:\s?{_MAGNITUDE}\b)?"
    # 12 million dollars, 3.4bn euros, 40k
    rf"|(?<![\w.])\d[\d,]*(?:\.\d+)?\s?{_MAGNITUDE}(?:\s{_CURRENCY_WORD})?\b"
    rf"|(?<![\w.])\d[\d,]*(?:\.\d+)?\s{_CURRENCY_WORD}\b"
    # +12%, 8 per cent, 3.5pp, 40 basis points
    r"|(?<![\w.])[+\-\u2212]?\d+(?:\.\d+)?\s?(?:%|per\s?cent\b|percent\b|pp\b|bps\b"
    r"|basis points\b|percentage points\b)"
    r")"
)
_FINANCE_WORD = re.compile(
    r"(?i:\b(?:revenues?|sales|margins?|profits?|profitability|earnings|guidance|forecasts?|"
    r"bookings|turnover|ebitda|ebit|income|operating|cash flow|dividends?|valuation|"
    r"quarter|quarterly|fiscal|year-over-year|yoy|outlook|results)\b)"
    r"|\b(?:ARR|MRR|EPS|Q[1-4]|H[12]|FY\s?\d{2,4})\b"
)
_WINDOW_WORDS = 6
_FIGURE_MARKS = ("$", "%", "€", "£", "¥")
_CURRENCY_CODES = ("USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD")
_MAGNITUDE_HINT = re.compile(
    r"\d ?(?:[kmb]n?|mn|pp|bps|basis|million|billion|thousand|trillion|per ?cent|percent"
    r"|dollars|euros|pounds)\b",
    re.IGNORECASE,
)
_FINANCE_CODES = re.compile(r"\b(?:ARR|MRR|EPS|Q[1-4]|H[12]|FY\s?\d{2,4})\b")


def _has_figure_hint(text: str) -> bool:
    # Plain substring tests first: they cost next to nothing next to a regex scan.
    for mark in _FIGURE_MARKS:
        if mark in text:
            return True
    for code in _CURRENCY_CODES:
        if code in text:
            return True
    return _MAGNITUDE_HINT.search(text) is not None


def _has_finance_hint(text: str) -> bool:
    lowered = text.lower()
    for stem in FINANCE_STEMS:
        if stem in lowered:
            return True
    return _FINANCE_CODES.search(text) is not None


def _words_between(text: str, start: int, end: int) -> int:
    return len(text[start:end].split()) if end > start else 0


def detect_financial_figure(text: str, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not _has_figure_hint(text) or not _has_finance_hint(text):
        return
    figures = list(_FIGURE.finditer(text))
    if not figures:
        return
    words = [(m.start(), m.end(), m.group()) for m in _FINANCE_WORD.finditer(text)]
    if not words:
        return
    window = int(options.get("window", _WINDOW_WORDS))
    for f in figures:
        near = None
        for ws, we, word in words:
            gap = _words_between(text, we, f.start()) if we <= f.start() else None
            if gap is None:
                gap = _words_between(text, f.end(), ws) if ws >= f.end() else 0
            if gap <= window:
                near = word
                break
        if near is not None:
            yield Hit(
                f.start(),
                f.end(),
                "a financial figure",
                f"This figure sits next to “{near}”; internal financial figures must not be "
                "shared before the organisation publishes them.",
                "Leave the number out, or link to the published results.",
            )


DETECTORS: dict[str, Detector] = {
    "email": detect_email,
    "phone": detect_phone,
    "payment_card": detect_payment_card,
    "iban": detect_iban,
    "national_id": detect_national_id,
    "secret": detect_secret,
    "internal_url": detect_internal_url,
    "financial_figure": detect_financial_figure,
}

DEFAULT_SEVERITY: dict[str, Severity] = {
    "email": Severity.REVIEW,
    "phone": Severity.REVIEW,
    "payment_card": Severity.BLOCK,
    "iban": Severity.BLOCK,
    "national_id": Severity.BLOCK,
    "secret": Severity.BLOCK,
    "internal_url": Severity.REVIEW,
    "financial_figure": Severity.REVIEW,
}

DEFAULT_RULES: tuple[RuleSpec, ...] = tuple(
    RuleSpec(name=key, kind=Kind.DETECTOR, severity=severity, detector=key)
    for key, severity in DEFAULT_SEVERITY.items()
)
