"""Reference data for the built-in detectors: key formats, card ranges, IBAN lengths.

Kept apart from the detectors so the tables can grow without burying the logic.
"""

from __future__ import annotations

# Credentials whose shape alone gives them away: (what it is, regular expression).
# Each expression is anchored on its own prefix; the detector adds word boundaries.
KNOWN_SECRETS: tuple[tuple[str, str], ...] = (
    ("an AWS access key", r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}"),
    ("a GitHub token", r"(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{36,255}"),
    ("a GitHub token", r"github_pat_[A-Za-z0-9_]{22,255}"),
    ("a Slack token", r"xox[abposr]-[A-Za-z0-9-]{10,250}"),
    ("a Stripe secret key", r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}"),
    ("a Google API key", r"AIza[0-9A-Za-z_-]{35}"),
    ("an OpenAI API key", r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,200}"),
    ("a JSON Web Token", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ("a private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
)

# Issuer identification number ranges: (lowest prefix, highest prefix, allowed lengths).
# Prefixes of equal length compare as integers; the card's first digits are cut to that length.
_ALL = (12, 13, 14, 15, 16, 17, 18, 19)
CARD_RANGES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("4", "4", (13, 16, 19)),  # Visa
    ("51", "55", (16,)),  # Mastercard
    ("2221", "2720", (16,)),  # Mastercard 2-series
    ("34", "34", (15,)),  # American Express
    ("37", "37", (15,)),
    ("6011", "6011", (16, 17, 18, 19)),  # Discover
    ("644", "649", (16, 17, 18, 19)),
    ("65", "65", (16, 17, 18, 19)),
    ("300", "305", (14, 15, 16, 17, 18, 19)),  # Diners Club
    ("36", "36", (14, 15, 16, 17, 18, 19)),
    ("38", "39", (14, 15, 16, 17, 18, 19)),
    ("35", "35", (16, 17, 18, 19)),  # JCB (3528-3589 today; older cards use all of 35)
    ("2131", "2131", (15,)),  # JCB, older numbers
    ("1800", "1800", (15,)),
    ("62", "62", (16, 17, 18, 19)),  # UnionPay
    ("2200", "2204", (16, 17, 18, 19)),  # Mir
    ("50", "50", _ALL),  # Maestro
    ("56", "69", _ALL),
    ("0604", "0604", _ALL),  # Maestro UK, older numbers
)

# Lengths of IBANs by country (SWIFT IBAN registry, the countries people usually meet).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
    "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip

# Substrings one of which every known format holds: a cheap test before the regex runs.
SECRET_MARKERS = (
    "AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_",
    "xox", "_live_", "_test_", "AIza", "sk-", "eyJ", "-----BEGIN",
)  # fmt: skip

# Stems of the finance words, for a cheap test before the word regex runs.
FINANCE_STEMS = (
    "revenue", "sales", "margin", "profit", "earnings", "guidance", "forecast", "booking",
    "turnover", "ebit", "income", "operating", "cash flow", "dividend", "valuation", "quarter",
    "fiscal", "yoy", "year-over-year", "outlook", "results",
)  # fmt: skip
