"""The triage engine: decisions on real and written messages, organisations' models, bad input."""

from __future__ import annotations

import csv
import io
import random

import numpy as np
import pytest

from cluetrain.triage.engine import INTENTS, KEYS, URGENCIES, Decision, OrgModel, Topic, Triager
from cluetrain.triage.engine.sentiment import shared_scorer
from cluetrain.triage.engine.text import MAX_CHARS, prepare
from tests.support.data import real_data


@pytest.fixture(scope="module")
def triager() -> Triager:
    return Triager()


def one(triager: Triager, text: object) -> Decision:
    return triager.classify([text])[0]


def test_a_stuck_train_with_people_fainting_is_an_incident_with_high_urgency(triager):
    d = one(triager, "Train stuck outside Clapham for 2 hours, no air con, people fainting!")
    assert d.incident is True
    assert d.urgency in {"high", "critical"}
    assert d.sentiment_label == "negative"
    assert "stuck" in d.reason


def test_an_app_outage_is_an_incident(triager):
    assert one(triager, "Your app is down for everyone, nobody can log in or buy tickets").incident


def test_thank_you_so_much_is_praise_and_positive(triager):
    d = one(triager, "thank you so much")
    assert d.intent == "praise"
    assert d.sentiment_label == "positive"
    assert d.sentiment > 0
    assert d.complaint is False
    assert d.urgency == "low"


def test_a_question_with_a_question_mark_is_a_question(triager):
    d = one(triager, "What time does the first train to Leeds leave tomorrow?")
    assert d.intent == "question"
    assert d.complaint is False
    assert d.incident is False


def test_links_and_free_followers_are_spam(triager):
    d = one(triager, "Get 5000 FREE followers today!!! click http://bit.ly/x3 free followers")
    assert d.intent == "spam"
    assert d.urgency == "low"


def test_an_angry_delay_is_a_complaint_about_delay(triager):
    d = one(triager, "Third time this week my train is late. Still no refund. Useless.")
    assert d.complaint is True
    assert d.sentiment_label == "negative"


def test_every_decision_has_the_contract_keys_and_values(triager):
    texts = ["hello", "my bag is lost!!", "¿Dónde está mi maleta? Llevo dos días esperando", ""]
    for d in triager.classify(texts, ids=[1, "b", None, 4]):
        row = d.as_dict()
        assert list(row) == KEYS
        assert d.intent in INTENTS
        assert d.urgency in URGENCIES
        assert d.sentiment_label in {"negative", "neutral", "positive"}
        assert -1.0 <= d.sentiment <= 1.0
        assert 0.0 <= d.confidence <= 1.0
        assert isinstance(d.complaint, bool)
        assert isinstance(d.incident, bool)
        assert d.reason
    assert [d.id for d in triager.classify(["a", "b"], ids=[7, 8])] == [7, 8]


def test_language_is_english_spanish_or_undetermined(triager):
    ds = triager.classify(
        [
            "My flight was cancelled and nobody at the desk can tell me anything",
            "El tren lleva una hora de retraso y nadie nos dice nada, es una vergüenza",
            "ok",
            "",
        ]
    )
    assert [d.language for d in ds] == ["en", "es", "und", "und"]


def test_bad_input_never_raises_and_gets_a_plain_decision(triager):
    hostile = [
        "",
        "   \n\t ",
        None,
        12345,
        b"bytes",
        "<script>alert('x')</script><b>hello</b>",
        "\u200b\u202e\ufeff" * 50,
        "".join(chr(ord(c) + 0xFEE0) for c in "free followers"),  # full-width letters
        "😡" * 3000,
        "\x00\x01 nul and controls",
        "x" * 5_000_000,
        "\ud800 lone surrogate",
    ]
    decisions = triager.classify(hostile)
    assert len(decisions) == len(hostile)
    assert decisions[0].reason == "no text to classify"
    assert decisions[2].intent == "other"
    assert decisions[2].language == "und"
    assert "<script>" not in decisions[5].reason
    assert "only its beginning" in decisions[10].reason


def test_a_giant_text_is_bounded_to_its_head():
    p = prepare("word " * 1_000_000)
    assert len(p.text) == MAX_CHARS
    assert p.truncated


def test_html_is_stripped_and_entities_decoded():
    p = prepare("<p>Delayed &amp; <b>cancelled</b></p><script>steal()</script>")
    assert [t for t in p.tokens if t] == ["delayed", "cancelled"]


def test_the_sentiment_scorer_follows_vaders_negation_and_but_rules():
    scorer = shared_scorer()

    def score(text: str) -> float:
        p = prepare(text)
        return scorer.compound(p, scorer.valences(p))

    assert score("the crew was great") > 0.3
    assert score("the crew was not great") < 0
    assert score("the seats were fine but the food was awful") < 0
    assert score("GREAT service!!!") > score("great service")
    assert score("thanks for nothing") < 0


def test_org_topics_come_before_the_default_ones():
    oyster = Triager(org_topics=[Topic("oyster", ("oyster", "top up"))])
    assert oyster.classify_one("My oyster card was charged twice").topic == "oyster"
    assert Triager().classify_one("I was charged twice").topic == "billing"
    mapped = Triager(departments={"baggage": "Baggage services"})
    assert mapped.classify_one("Lost my luggage in Rome").department == "Baggage services"


CORRECTIONS = [
    ("my suitcase never arrived", {"department": "baggage", "topic": "baggage"}),
    ("the luggage belt lost my bag", {"department": "baggage"}),
    ("bag damaged on arrival", {"department": "baggage"}),
    ("where is my lost suitcase", {"department": "baggage"}),
    ("my bag is missing since Monday", {"department": "baggage"}),
    ("booking page charged me twice", {"department": "sales"}),
    ("I want to change my booking date", {"department": "sales"}),
    ("ticket purchase failed on the site", {"department": "sales"}),
    ("how do I book a seat", {"department": "sales"}),
    ("reservation not showing in my account", {"department": "sales"}),
]


def test_an_org_model_trained_on_corrections_changes_the_department():
    text = "they lost my suitcase on the way to Rome"
    assert Triager().classify_one(text).department == ""
    org = OrgModel.train(CORRECTIONS * 3)
    assert org.fields == ("department",)  # topic: one class only, skipped
    decision = Triager(org_model=org).classify_one(text)
    assert decision.department == "baggage"
    assert "learned from your team's corrections" in decision.reason
    other = Triager(org_model=org).classify_one("I need to change my reservation")
    assert other.department == "sales"


def test_an_org_model_round_trips_through_bytes_without_pickle():
    org = OrgModel.train(CORRECTIONS * 3)
    data = org.to_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        assert set(z.files) == {"header", "vocabulary", "weights", "intercepts"}
    again = OrgModel.from_bytes(data)
    texts = ["lost bag", "change my booking", "nothing to see"]
    a = Triager(org_model=org).classify(texts)
    b = Triager(org_model=again).classify(texts)
    assert [d.department for d in a] == [d.department for d in b]
    with pytest.raises(ValueError, match="not a triage model"):
        OrgModel.from_bytes(b"certainly not a model")


def test_an_org_model_skips_fields_with_too_few_examples_or_one_class():
    org = OrgModel.train(
        [
            ("a", {"department": "x", "intent": "question"}),
            ("b", {"department": "y"}),
            ("", {"department": "z"}),
            ("c", "not a mapping"),  # type: ignore[list-item]
        ]
    )
    assert org.fields == ()
    assert Triager(org_model=org).classify_one("hello there").department == ""


def test_an_org_model_learns_intent_and_overrides_the_shipped_one():
    corrections = [(f"PNR {n} please", {"intent": "request"}) for n in range(8)]
    corrections += [(f"PNR {n} lovely", {"intent": "praise"}) for n in range(8)]
    org = OrgModel.train(corrections)
    assert "intent" in org.fields
    assert Triager(org_model=org).classify_one("PNR 9 please").intent == "request"


def test_an_org_model_trains_fast_on_real_corrections():
    reasons = {"Late Flight": "ops", "Lost Luggage": "baggage", "Customer Service Issue": "care"}
    with open(real_data("airline/Tweets.csv"), encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["negativereason"] in reasons]
    random.Random(1).shuffle(rows)
    train, test = rows[:2000], rows[2000:2600]
    org = OrgModel.train((r["text"], {"department": reasons[r["negativereason"]]}) for r in train)
    decisions = Triager(org_model=org).classify([r["text"] for r in test])
    right = sum(
        d.department == reasons[r["negativereason"]] for d, r in zip(decisions, test, strict=True)
    )
    assert right / len(test) > 0.6


def test_crisis_tweets_from_real_data_are_mostly_incidents(triager):
    with open(real_data("crisislex/crisislex_t26_labeled.csv"), encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["event"] == "2013_Boston_bombings"]
    informative = [
        r["Tweet Text"] for r in rows if r["Informativeness"] == "Related and informative"
    ]
    unrelated = [r["Tweet Text"] for r in rows if r["Informativeness"] == "Not related"]
    share = sum(d.incident for d in triager.classify(informative)) / len(informative)
    false_share = sum(d.incident for d in triager.classify(unrelated)) / len(unrelated)
    assert share > 0.6
    assert share - false_share > 0.3


def test_a_batch_of_thousands_gives_one_decision_per_text_in_order(triager):
    # How fast, bench/triage_quality.py measures; here: a big batch keeps order and ids.
    with open(real_data("twcs/twcs_random5000.csv"), encoding="utf-8", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)][:3000]
    decisions = triager.classify(texts, ids=list(range(len(texts))))
    assert [d.id for d in decisions] == list(range(len(texts)))
    assert [d.as_dict() for d in decisions[:5]] == [
        triager.classify([t], ids=[n])[0].as_dict() for n, t in enumerate(texts[:5])
    ]


def test_someone_fainting_makes_the_topic_safety_even_beside_staff_words(triager):
    (d,) = triager.classify(
        ["Still not moving. Someone near me fainted, staff are helping but it's so hot."]
    )
    assert d.topic == "safety"
    assert d.urgency in {"high", "critical"}


def test_a_complaint_is_never_left_as_intent_other(triager):
    decisions = triager.classify(
        [
            "Third cancelled train this week on the Harbour line. I'm going to lose my job.",
            "Worst service ever, never again",
        ]
    )
    for d in decisions:
        assert not (d.complaint and d.intent == "other"), d
