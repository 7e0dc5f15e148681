"""What a learner or a mentor may type into the practice space, and what it is refused for.

Replies are hostile input like everything else: bounded, normalised (NFC), and refused with a
plain reason when empty, too long, or carrying characters that hide or reorder text.
"""

from __future__ import annotations

import unicodedata

from cluetrain.core.errors import ServiceError

# Characters that make text read differently from what it holds: direction overrides and
# isolates (the "Trojan Source" trick), and the byte-order mark.
_HIDING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
# Only these may make text look empty while it is not.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\u00ad")


def clean_text(value: str, *, what: str, limit: int) -> str:
    """``value`` stripped and in NFC, or ``ServiceError`` saying plainly what is wrong."""
    text = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n")).strip()
    if not "".join(ch for ch in text if ch not in _INVISIBLE).strip():
        raise ServiceError(f"{what} is empty: write something first.", code="empty")
    if len(text) > limit:
        raise ServiceError(
            f"{what} takes at most {limit} characters; this one has {len(text)}.", code="too_long"
        )
    for ch in text:
        if ch in _HIDING:
            raise ServiceError(
                f"{what} holds a character that changes the direction of the text "
                f"(U+{ord(ch):04X}); remove it.",
                code="odd_unicode",
            )
        category = unicodedata.category(ch)
        if (category == "Cc" and ch not in "\n\t") or category in ("Cs", "Co"):
            raise ServiceError(
                f"{what} holds a character that cannot be shown (U+{ord(ch):04X}); remove it.",
                code="odd_unicode",
            )
    return text
