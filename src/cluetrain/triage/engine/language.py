"""Which language a message is written in: a cheap English test first, lingua otherwise.

lingua (low accuracy mode, 30 languages) costs about 70 µs a text, three times the whole
triage budget. Most messages an organisation receives are plainly English, and plain
English is easy to recognise: ASCII text with enough of the most common English function
words. Those get "en" at once; everything else goes to lingua, a whole batch at a time (its
parallel call runs in Rust threads). Too little text to tell gives "und".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from importlib import resources

from cluetrain.triage.engine.text import Prepared, words

UNDETERMINED = "und"
MIN_LETTERS = 10  # below this, a text that is not plainly English is "und"

LANGUAGE_CODES = [
    "en",
    "es",
    "fr",
    "de",
    "it",
    "pt",
    "nl",
    "sv",
    "da",
    "nb",
    "fi",
    "pl",
    "cs",
    "ro",
    "hu",
    "tr",
    "el",
    "ru",
    "uk",
    "ar",
    "he",
    "fa",
    "hi",
    "ja",
    "zh",
    "ko",
    "id",
    "tl",
    "vi",
    "th",
]

# Frequent English words that are not also frequent words of the other Latin-script languages
# above ("a", "in", "is", "die", "of"... are left out on purpose).
_ENGLISH = words(
    """the and to you your my it's i'm that this with for have has are not but what why how when
    where can could would should just get got been from they our be at does did don't can't
    didn't there their about any thanks thank please flight train still again today hours time
    after out if all one now by it of them some yes which who were being they're you're we're
    isn't wasn't won't doesn't haven't help service customer order account phone app need know
    like back up new more going want day off over really very good great love hi hello hey via
    people killed dead fire flood pray praying victims near says said breaking update guys
    thank's been here our we us his her he she im dont cant its just got still every never
    tonight tomorrow yesterday morning hour minutes waiting delayed cancelled"""
)
# Non-ASCII that says nothing about the language: punctuation, symbols, emoji and joiners.
_NEUTRAL_NON_ASCII = re.compile("[^\x00-\x7f\u2000-\u2bff\ufe0f\u200d\U0001f000-\U0001ffff]")

_lock = threading.Lock()
_detector: object | None = None


def _lingua() -> object:
    """The lingua detector, built once per process (about a second and 100 MB)."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [getattr(IsoCode639_1, c.upper()) for c in LANGUAGE_CODES]
                _detector = (
                    LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
                    .with_low_accuracy_mode()
                    .build()
                )
    return _detector


# Frequent words that tell other languages apart, for the same kind of fast guess.
_STOPWORDS = {
    "es": "el los las del que por para con una está pero como más muy también porque hay ya",
    "pt": "não com uma os do da em para mais muito está tem são também você isso",
    "it": "il che non per con sono della gli anche più questo ma perché ancora tutti",
    "fr": "le les des est et il une pas pour qui dans sur au du ce nous vous avec je",
    "de": "der die und ist nicht ein eine mit den das auch ich wir sie auf für noch",
    "nl": "het een van ik niet zijn wij jullie ook maar dat voor met geen",
    "tl": "ang sa ng mga na si ay ako ko mo ka po lang naman kayo",
    "id": "yang dan di ini itu tidak dengan untuk dari ada kami akan",
}
_STOPWORD_LANGUAGE = {w: code for code, ws in _STOPWORDS.items() for w in ws.split()}
_FOREIGN = frozenset(_STOPWORD_LANGUAGE) | words("la en se es lo le un de")


def _english_words() -> frozenset[str]:
    """Common English function words, plus VADER's English sentiment words."""
    from vaderSentiment import vaderSentiment as vader  # noqa: N813 (loaded by the scorer)

    lexicon = resources.files("vaderSentiment").joinpath("vader_lexicon.txt")
    words = {
        line.split("\t", 1)[0]
        for line in lexicon.read_text(encoding="utf-8").splitlines()
        if line[:1].isalpha()
    }
    words = {w for w in words if w.isalpha() and len(w) > 2} - _FOREIGN
    return _ENGLISH | words | frozenset(vader.NEGATE)


_ENGLISH_WIDE = _english_words()


def plainly_english(prepared: Prepared) -> bool:
    """The fast path: text in Latin letters where English words are a good share, or a
    short text with an English word and no frequent word of another language."""
    if not prepared.text.isascii() and _NEUTRAL_NON_ASCII.search(prepared.text):
        return False
    tokens = prepared.tokens
    common = len(_ENGLISH.intersection(tokens))
    if common >= 2 and common * 5 >= len(tokens):
        return True
    return len(_ENGLISH_WIDE.intersection(tokens)) > len(_FOREIGN.intersection(tokens))


def by_stopwords(prepared: Prepared) -> str | None:
    """A Latin-script language whose frequent words clearly dominate the text, else None."""
    counts: dict[str, int] = {}
    for t in prepared.tokens:
        code = _STOPWORD_LANGUAGE.get(t)
        if code is not None:
            counts[code] = counts.get(code, 0) + 1
    if not counts:
        return None
    ranked = sorted(counts.values(), reverse=True)
    best = max(counts, key=counts.__getitem__)
    english = len(_ENGLISH.intersection(prepared.tokens))
    runner_up = max(ranked[1] if len(ranked) > 1 else 0, english)
    return best if ranked[0] >= 3 and ranked[0] >= 3 * runner_up else None


def _words(prepared: Prepared) -> str:
    return " ".join(
        t for t in prepared.tokens if t and t[0] != "@" and not t.startswith(("http", "www."))
    )


def guess_languages(batch: Sequence[Prepared]) -> list[str]:
    """ISO 639-1 codes, one per message, "und" when unknown or too short."""
    out = [UNDETERMINED] * len(batch)
    rest: list[int] = []
    texts: list[str] = []
    for i, p in enumerate(batch):
        if plainly_english(p):
            out[i] = "en"
            continue
        guess = by_stopwords(p)
        if guess is not None:
            out[i] = guess
            continue
        plain = _words(p)
        if sum(c.isalpha() for c in plain) < MIN_LETTERS:
            continue  # too little to tell (and lingua would only guess)
        rest.append(i)
        texts.append(plain)
    if texts:
        detector = _lingua()
        found = detector.detect_languages_in_parallel_of(texts)  # type: ignore[attr-defined]
        for i, language in zip(rest, found, strict=True):
            if language is not None:
                out[i] = language.iso_code_639_1.name.lower()
    return out
