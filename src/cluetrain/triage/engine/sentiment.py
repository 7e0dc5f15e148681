"""A fast sentiment scorer: VADER's lexicon and main rules over already-made tokens.

VADER (Hutto & Gilbert, 2014; MIT) is the yardstick, but its ``polarity_scores`` tokenises
again and walks the text several times: about 40 µs a message. This scorer reads the same
lexicon (from the installed ``vaderSentiment`` package) plus Cluetrain's customer-service
lexicon (``shipped/domain_lexicon.tsv``) and keeps the rules that matter for short posts:
boosters and dampeners over the three words before, negation over the three words before,
capitals for emphasis, "but" shifting the weight to what follows, and ! and ? emphasis.
It returns VADER's compound score in [-1, 1].

Politeness ("thanks", "hope") in a question or a request is courtesy, not joy: its valence is
cut there, which is most of what makes VADER call a polite complaint positive.
"""

from __future__ import annotations

import math
import threading
from importlib import resources
from pathlib import Path

from vaderSentiment import vaderSentiment as vader  # noqa: N813

from cluetrain.triage.engine.text import Prepared

SHIPPED = Path(__file__).resolve().parent.parent / "shipped"

_BOOSTERS: dict[str, float] = {k: v for k, v in vader.BOOSTER_DICT.items() if " " not in k}
_NEGATIONS = frozenset(vader.NEGATE) | {"no", "never", "nobody", "hasn't", "ain't", "couldn't"}
_POLITE = frozenset({"thanks", "thank", "thx", "ty", "hope", "hoping", "appreciate", "sure"})
_ASKING = frozenset({"?", "please", "pls", "plz", "can", "could", "would", "kindly", "when"})
_NORM_ALPHA = 15.0


def _vader_lexicon() -> dict[str, float]:
    lexicon: dict[str, float] = {}
    path = resources.files("vaderSentiment").joinpath("vader_lexicon.txt")
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lexicon[parts[0]] = float(parts[1])
    return lexicon


def _emoji_lexicon(words: dict[str, float]) -> dict[str, float]:
    """Emoji valence from VADER's emoji descriptions ("face with tears of joy"), scored
    with the word lexicon: the mean of the description's words that carry sentiment."""
    out: dict[str, float] = {}
    path = resources.files("vaderSentiment").joinpath("emoji_utf8_lexicon.txt")
    for line in path.read_text(encoding="utf-8").splitlines():
        emoji, _, description = line.partition("\t")
        values = [words[w] for w in description.split() if w in words]
        if emoji and values:
            out[emoji] = sum(values) / len(values)
    return out


def read_domain_lexicon(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Words and two-word phrases of a lexicon file (``word<TAB>valence``, # comments)."""
    words: dict[str, float] = {}
    phrases: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, _, value = line.rpartition("\t")
        (phrases if " " in term else words)[term] = float(value)
    return words, phrases


class SentimentScorer:
    """VADER-style compound score of a prepared message; build once, share everywhere."""

    def __init__(self, domain_lexicon: Path | None = None) -> None:
        lexicon = _vader_lexicon()
        words, phrases = read_domain_lexicon(domain_lexicon or SHIPPED / "domain_lexicon.tsv")
        lexicon.update(words)
        self.lexicon = {k.lower(): v for k, v in lexicon.items() if v != 0.0 and k not in _BOOSTERS}
        self.lexicon.update(_emoji_lexicon(lexicon))
        self.phrases = phrases
        self._firsts = frozenset(p.split(" ", 1)[0] for p in phrases)
        self._interesting = frozenset(self.lexicon) | self._firsts

    def valences(self, prepared: Prepared) -> list[tuple[int, float]]:
        """(token index, valence) of every token that carries sentiment, rules applied."""
        lower = prepared.tokens
        lexicon, phrases, firsts = self.lexicon, self.phrases, self._firsts
        hits = [i for i, w in enumerate(lower) if w in self._interesting]
        if not hits:
            return []
        text = prepared.text
        # Capitals stand out only against lowercase (VADER's "cap differential").
        shouting = not text.isupper() and not text.islower()
        polite_discount = prepared.questions > 0 or not _ASKING.isdisjoint(lower)
        found: list[tuple[int, float]] = []
        skip_to = -1
        phrase_end = 0
        n = len(lower)
        for i in hits:
            if i <= skip_to:
                continue
            low = lower[i]
            v: float | None = None
            if low in firsts and i + 1 < n:
                v = phrases.get(f"{low} {lower[i + 1]}")
                if v is not None:
                    skip_to = i + 1
                    phrase_end = i + 2
            if v is None:
                v = lexicon.get(low)
                if v is None:
                    continue
                if polite_discount and low in _POLITE:
                    v *= 0.3
            if shouting and len(low) > 1 and low.upper() in text:
                v += vader.C_INCR if v > 0 else -vader.C_INCR
            if i:
                # A phrase already holds its own sense ("for nothing"): no rule reads across it.
                window = lower[max(0, i - 3, phrase_end) : i]
                if not _BOOSTERS.keys().isdisjoint(window):
                    for back, w in enumerate(reversed(window)):
                        boost = _BOOSTERS.get(w)
                        if boost is not None:
                            v += (boost if v > 0 else -boost) * (1.0, 0.95, 0.9)[back]
                if not _NEGATIONS.isdisjoint(window):
                    v *= vader.N_SCALAR
            found.append((i, v))
        if "but" in lower and found:
            pivot = n - 1 - lower[::-1].index("but")
            found = [(i, v * 0.5 if i < pivot else v * 1.5) for i, v in found]
        return found

    def compound(self, prepared: Prepared, valences: list[tuple[int, float]]) -> float:
        """VADER's compound score in [-1, 1] from the valences, with ! and ? emphasis."""
        total = sum(v for _, v in valences)
        if not total:
            return 0.0
        bangs, qms = prepared.bangs, prepared.questions
        emphasis = min(bangs, 4) * 0.292 + ((qms * 0.18 if qms <= 3 else 0.96) if qms > 1 else 0.0)
        total += emphasis if total > 0 else -emphasis
        return max(-1.0, min(1.0, total / math.sqrt(total * total + _NORM_ALPHA)))


_shared: SentimentScorer | None = None
_shared_lock = threading.Lock()


def shared_scorer() -> SentimentScorer:
    """The process's scorer with the shipped lexicons, built on first use (about 30 ms)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = SentimentScorer()
    return _shared
