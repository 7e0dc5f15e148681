"""The built-in guideline detectors: what each finds, what it leaves alone, exact spans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluetrain.guidelines.engine.detectors import (
    DEFAULT_RULES,
    DEFAULT_SEVERITY,
    DETECTORS,
    luhn_ok,
    shannon_entropy,
)
from cluetrain.guidelines.engine.types import Kind, Severity


def found(detector: str, text: str, options: Mapping[str, Any] | None = None) -> list[str]:
    return [text[h.start : h.end] for h in DETECTORS[detector](text, options or {})]


def test_every_detector_has_a_default_rule_and_severity() -> None:
    assert set(DETECTORS) == set(DEFAULT_SEVERITY) == {r.name for r in DEFAULT_RULES}
    for rule in DEFAULT_RULES:
        assert rule.kind == Kind.DETECTOR
        assert rule.detector == rule.name
        assert rule.severity == DEFAULT_SEVERITY[rule.name]
    assert DEFAULT_SEVERITY["payment_card"] == Severity.BLOCK
    assert DEFAULT_SEVERITY["email"] == Severity.REVIEW


def test_hits_explain_themselves() -> None:
    (hit,) = DETECTORS["payment_card"]("card 4111 1111 1111 1111", {})
    assert hit.label == "a payment card number"
    assert "never post card numbers" in hit.explanation
    assert "privately" in hit.suggestion


# --- e-mail ---


def test_it_finds_an_email_with_an_exact_span() -> None:
    assert found("email", "Write to bob.smith+x@mail.example.com. Thanks") == [
        "bob.smith+x@mail.example.com"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "__email__ is masked",
        "@united thanks for nothing",
        "x@y",
        "https://user:secret@host.example.com/path",
        "see @handle.and more",
    ],
)
def test_it_leaves_non_emails_alone(text: str) -> None:
    assert found("email", text) == []


# --- phone ---


def test_it_finds_valid_phone_numbers() -> None:
    text = "call me at 415-555-0132 or +44 20 7946 0958 tonight"
    assert found("phone", text) == ["415-555-0132", "+44 20 7946 0958"]


def test_a_labelled_number_needs_only_to_look_like_a_phone() -> None:
    assert found("phone", "Phone: 467 3395") == ["467 3395"]


@pytest.mark.parametrize(
    "text",
    [
        "flight UA 1234 left in 2015",
        "order 1234567890 never came",
        "it costs $1234567 now",
        "confirmation number 4155550132",
        "When: 2000-04-16 11:34:35",
        "SSN 123-45-6789",
    ],
)
def test_it_leaves_years_prices_orders_and_flights_alone(text: str) -> None:
    assert found("phone", text) == []


def test_regions_are_an_option() -> None:
    text = "ring 030 901820 please"  # a Berlin number
    assert found("phone", text, {"regions": ["US"]}) == ["030 901820"]  # "ring" announces it
    assert found("phone", "see 030 901820", {"regions": ["DE"]}) == ["030 901820"]
    assert found("phone", "see 030 901820", {"regions": ["US"]}) == []


# --- payment cards ---


@pytest.mark.parametrize(
    "number",
    ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011111111111117"],
)
def test_it_finds_luhn_valid_cards(number: str) -> None:
    assert found("payment_card", f"my card {number}, thanks") == [number]


@pytest.mark.parametrize(
    "number",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "9111111111111111",  # Luhn holds, but no issuer starts with 9
        "4111 1111-1111 1111",  # mixed separators
        "12345678903",  # too short
    ],
)
def test_it_refuses_invalid_cards(number: str) -> None:
    assert found("payment_card", f"my card {number}") == []


def test_digits_of_other_scripts_are_not_card_numbers() -> None:
    assert found("payment_card", "card ٤١١١١١١١١١١١١١١١") == []


def test_luhn() -> None:
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")


# --- IBAN ---


def test_it_finds_ibans_in_groups_and_stops_at_the_country_length() -> None:
    text = "IBAN GB82 WEST 1234 5698 7654 32 today"
    assert found("iban", text) == ["GB82 WEST 1234 5698 7654 32"]
    assert found("iban", "de89370400440532013000") == ["de89370400440532013000"]


def test_it_refuses_a_bad_iban_checksum_or_length() -> None:
    assert found("iban", "GB82WEST12345698765433") == []  # checksum
    assert found("iban", "GB82WEST123456987654") == []  # too short for GB
    assert found("iban", "ZZ82WEST12345698765432") == []  # no such country


# --- national identifiers ---


@pytest.mark.parametrize(
    ("text", "ssn"),
    [
        ("SSN 123-45-6789", "123-45-6789"),
        ("ssn: 123 45 6789.", "123 45 6789"),
        ("my social security number is 123456789", "123456789"),
    ],
)
def test_it_finds_social_security_numbers(text: str, ssn: str) -> None:
    assert found("national_id", text) == [ssn]


@pytest.mark.parametrize(
    "text",
    [
        "000-12-3456",
        "666-12-3456",
        "912-12-3456",
        "123-00-4567",
        "123-45-0000",
        "123-45 6789",  # mixed separators
        "order 123456789",  # bare digits with no SSN word
    ],
)
def test_it_applies_the_ssn_exclusions(text: str) -> None:
    assert found("national_id", text) == []


def test_it_finds_ni_numbers() -> None:
    assert found("national_id", "NINO AB 12 34 56 C") == ["AB 12 34 56 C"]
    assert found("national_id", "ni: JG103759A ok") == ["JG103759A"]


@pytest.mark.parametrize("nino", ["GB123456A", "BG123456A", "QQ123456C", "DA123456A", "AO123456A"])
def test_it_applies_the_nino_exclusions(nino: str) -> None:
    assert found("national_id", f"NI {nino}") == []


def test_nino_suffix_is_a_to_d() -> None:
    assert found("national_id", "AB123456E") == []


# --- secrets ---


@pytest.mark.parametrize(
    ("secret", "label"),
    [
        ("AKIAIOSFODNN7EXAMPLE", "an AWS access key"),
        ("ghp_" + "a1B2" * 9, "a GitHub token"),
        ("xoxb-1234567890-abcdefghij", "a Slack token"),
        ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "a Stripe secret key"),
        ("AIzaSyA" + "1" * 32, "a Google API key"),
        ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
            "a JSON Web Token",
        ),
    ],
)
def test_it_finds_known_key_formats(secret: str, label: str) -> None:
    hits = list(DETECTORS["secret"](f"here: {secret} ok", {}))
    assert [(h.label, h.start, h.end) for h in hits] == [(label, 6, 6 + len(secret))]


def test_it_finds_a_random_key() -> None:
    assert found("secret", "token 8fJ2kLq9ZxP4mN7vR1tY6wB3cD5eH0gA") == [
        "8fJ2kLq9ZxP4mN7vR1tY6wB3cD5eH0gA"
    ]


def test_it_finds_a_hexadecimal_key() -> None:
    key = "9f86d081884c7d659a2feaa0c55ad015"
    assert found("secret", f"api key {key}") == [key]


@pytest.mark.parametrize(
    "text",
    [
        "#ThisIsAVeryLongHashtagForSure2015",
        "@AVeryLongTwitterHandle12345678",
        "https://t.co/aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW",
        "see www.example.com/aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW",
        "noooooooooooooooooooooooooooooo",
        "thank-you-so-much-for-the-help-2015",
        "123456789012345678901234567890",
    ],
)
def test_hashtags_handles_urls_and_words_are_not_secrets(text: str) -> None:
    assert found("secret", text) == []


def test_entropy() -> None:
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("abcd") == pytest.approx(2.0)


# --- internal addresses ---

DOMAINS = {"domains": ["corp.acme.example", "intranet.acme"]}


def test_it_finds_internal_urls_and_hosts() -> None:
    text = "see https://wiki.corp.acme.example/page. or intranet.acme, thanks"
    assert found("internal_url", text, DOMAINS) == [
        "https://wiki.corp.acme.example/page",
        "intranet.acme",
    ]


def test_it_leaves_other_domains_alone() -> None:
    text = "see notcorp.acme.example and https://acme.example/corp.acme.example.com"
    assert found("internal_url", text, DOMAINS) == []


def test_without_domains_it_finds_nothing() -> None:
    assert found("internal_url", "https://wiki.corp.acme.example/ and 10.0.0.1", {}) == []


def test_private_hosts_are_an_option() -> None:
    text = "try 10.0.0.1, 192.168.1.20:8080/admin or build.lan but not 8.8.8.8"
    assert found("internal_url", text, {"private_hosts": True}) == [
        "10.0.0.1",
        "192.168.1.20:8080/admin",
        "build.lan",
    ]


# --- financial figures ---


def test_it_finds_figures_near_finance_words() -> None:
    text = "Q3 revenue grew 12% to $4.2m and margin was up +3.5pp"
    assert found("financial_figure", text) == ["12%", "$4.2m", "+3.5pp"]
    assert found("financial_figure", "revenue of €1.3 billion") == ["€1.3 billion"]
    assert found("financial_figure", "sales grew 8 per cent") == ["8 per cent"]
    assert found("financial_figure", "12 million dollars in bookings") == ["12 million dollars"]


def test_the_explanation_names_the_finance_word() -> None:
    (hit,) = DETECTORS["financial_figure"]("EBITDA was $4.2m", {})
    assert "EBITDA" in hit.explanation


def test_a_fare_is_not_a_financial_figure() -> None:
    assert found("financial_figure", "The fare was £9 and the seat 20% off") == []


def test_a_finance_word_too_far_away_does_not_count() -> None:
    text = "Revenue is a word we never use here, but the fare was only £9"
    assert found("financial_figure", text) == []


# --- robustness ---


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(sorted(DETECTORS)))
def test_any_text_gives_spans_inside_it(text: str, detector: str) -> None:
    options = {"domains": ["corp.acme.example"], "private_hosts": True}
    for hit in DETECTORS[detector](text, options):
        assert 0 <= hit.start < hit.end <= len(text)
        assert hit.label
        assert hit.explanation


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "4111 1111 1111 1111",
                " ",
                "\u200b",
                "@",
                ".",
                "-",
                "é",
                "٣",
                "\U0001d7d8",
                "x",
                "1",
                "\n",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_hostile_mixtures_never_raise(text: str) -> None:
    for key, detector in DETECTORS.items():
        for hit in detector(text, {"domains": ["x.example"], "private_hosts": True}):
            assert 0 <= hit.start < hit.end <= len(text), key
