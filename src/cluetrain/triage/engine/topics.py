"""What a message is about: the default topics and an organisation's own, by keywords.

Keywords are words or short phrases, matched against the message's lowercase tokens (a word)
or its text (a phrase). An organisation's topics are tried first: when one of them matches,
it wins, because the organisation knows its own vocabulary ("Oyster", "Clubcard") better
than any default list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cluetrain.triage.engine.text import Prepared

OTHER = "other"


@dataclass(frozen=True)
class Topic:
    """A topic an organisation routes by: a short slug and the words that signal it."""

    name: str
    keywords: tuple[str, ...] = field(default_factory=tuple)


def _variants(word: str) -> set[str]:
    """A keyword and its plural and past forms, so "delay" also finds "delays", "delayed"."""
    out = {word}
    if " " in word or len(word) < 4 or not word.isalpha():
        return out
    out |= {word + "s", word + "es", word + "ed", word + "ing"}
    if word.endswith("e"):
        out |= {word + "d", word[:-1] + "ing"}
    if word.endswith("y"):
        out |= {word[:-1] + "ies", word[:-1] + "ied"}
    return out


DEFAULT_TOPICS: tuple[Topic, ...] = tuple(
    Topic(name, tuple(words.split(",")))
    for name, words in {
        "safety": "injured,injury,fainting,fainted,collapsed,unconscious,ambulance,fire,smoke,"
        "trapped,emergency,danger,dangerous,unsafe,assault,attacked,police,bleeding,hurt,"
        "crush,overcrowding,overcrowded,flood,flooded,flooding,explosion,evacuate,evacuated,"
        "derail,derailed,gas leak,passed out,harassment",
        "outage": "outage,down,offline,power cut,no signal,no service,not connecting,"
        "no internet,no power,blackout,server,servers,503,500 error",
        "cancellation": "cancel,cancelled,canceled,cancellation,cancellations,cancelling",
        "delay": "delay,late,stuck,waiting,wait,held,on time,running late,hours late,"
        "minutes late,missed connection,stranded",
        "baggage": "bag,baggage,luggage,suitcase,carousel,lost bag,checked bag,carry-on",
        "refund": "refund,reimburse,reimbursement,compensation,money back,voucher,chargeback",
        "billing": "bill,billing,charge,charged,overcharged,invoice,fee,fees,payment,"
        "direct debit,price,pricing,subscription,tariff",
        "booking": "booking,book,reservation,reserve,ticket,tickets,seat,seats,itinerary,"
        "upgrade,check-in,check in,boarding pass,rebook,rebooked",
        "delivery": "delivery,deliver,delivered,parcel,package,courier,shipping,shipped,"
        "tracking,dispatch,dispatched,arrive,arrived",
        "website/app": "app,website,site,web,online,login,log in,page,update,crash,crashes,"
        "crashing,bug,error,browser,link",
        "account": "account,password,username,profile,locked,verify,verification,"
        "sign in,signin,2fa,hacked,email address,data",
        "staff": "staff,employee,crew,attendant,agent,driver,conductor,guard,manager,pilot,"
        "rude,helpful,friendly,customer service,representative",
        "product": "product,item,quality,broken,faulty,size,model,warranty,defective,"
        "replacement,device,phone,laptop",
    }.items()
)


class TopicMatcher:
    """Finds the best topic of a message: the organisation's first, then the defaults."""

    def __init__(
        self, org_topics: Iterable[Topic] = (), defaults: Sequence[Topic] = DEFAULT_TOPICS
    ) -> None:
        org_topics = tuple(org_topics)
        self.org = self._compile(org_topics)
        self.defaults = self._compile(defaults)
        self.names = [t.name for t in (*org_topics, *defaults)]

    @staticmethod
    def _compile(topics: Iterable[Topic]) -> _Compiled:
        """Keywords by word (with variants); phrases by their first word, so a message is
        searched only for the phrases whose first word it contains."""
        words: dict[str, str] = {}
        phrases: dict[str, list[tuple[str, str]]] = {}
        for topic in topics:
            for keyword in topic.keywords:
                k = " ".join(keyword.lower().split())
                if not k:
                    continue
                if " " in k:
                    first, _, _ = k.partition(" ")
                    phrases.setdefault(first, []).append((f" {k} ", topic.name))
                    continue
                for v in _variants(k):
                    words.setdefault(v, topic.name)
        return _Compiled(words, phrases, frozenset(words) | frozenset(phrases))

    def match(self, prepared: Prepared, terms: Sequence[str]) -> tuple[str, str]:
        """(topic, the keyword that decided it); ("other", "") when nothing matches.
        ``terms``: the message's features (``features.terms``), words among them."""
        for compiled in (self.org, self.defaults):
            found = [t for t in terms if t in compiled.starts]
            if not found:
                continue
            hits: list[tuple[str, str]] = []  # (keyword, topic)
            padded = ""
            for t in found:
                name = compiled.words.get(t)
                if name is not None:
                    hits.append((t, name))
                for phrase, topic in compiled.phrases.get(t, ()):
                    padded = padded or f" {' '.join(prepared.tokens)} "
                    if phrase in padded:
                        hits.append((phrase.strip(), topic))
            if not hits:
                continue
            if len(hits) == 1:
                return hits[0][1], hits[0][0]
            scores: dict[str, int] = {}
            for keyword, name in hits:
                # A phrase says more than a word; someone in danger outranks everything else.
                weight = 2 if " " in keyword else 1
                scores[name] = scores.get(name, 0) + (weight * 3 if name == "safety" else weight)
            best = max(scores, key=lambda n: (scores[n], -self.names.index(n)))
            return best, next(k for k, n in hits if n == best)
        return OTHER, ""


@dataclass(frozen=True)
class _Compiled:
    words: dict[str, str]  # word (and its variants) -> topic
    phrases: dict[str, list[tuple[str, str]]]  # first word -> [(" phrase ", topic)]
    starts: frozenset[str]  # every word that may begin a match


def topic_departments(mapping: Mapping[str, str] | None) -> dict[str, str]:
    """A clean topic → department mapping (keys lowercased, empty values dropped)."""
    return {k.strip().lower(): v.strip() for k, v in (mapping or {}).items() if v and v.strip()}
