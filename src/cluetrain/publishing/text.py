"""What counts as publishable text, and the fingerprint used to spot a repeated post."""

from __future__ import annotations

import hashlib
import unicodedata

from cluetrain.core.errors import ServiceError

# Far above any network's limit: a bound on what is stored, not a network rule.
MAX_STORED = 40_000


def clean_text(text: str) -> str:
    """Normalise to NFC and strip; refuse empty text, control characters and absurd lengths."""
    text = unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n")).strip()
    if not text:
        raise ServiceError("There is nothing to publish: the text is empty.", code="empty")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise ServiceError("The text contains control characters; remove them.", code="control")
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        raise ServiceError("The text contains broken characters (lone surrogates).", code="control")
    if len(text) > MAX_STORED:
        raise ServiceError(
            f"The text is {len(text):,} characters; Cluetrain keeps at most {MAX_STORED:,}.",
            code="too_long",
        )
    return text


def fingerprint(text: str) -> str:
    """Same for texts a reader would call the same: case, spacing and accents' forms ignored."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
