"""The check a practice message gets: the composer's, so habits carry over to real posts.

The organisation's guidelines (``guidelines.check_text``), and the disclosure rule a post from
one's own account must follow (``voices.services.check_disclosure``): a practice post is a
personal post that happens not to leave Cluetrain. A missing disclosure is a blocking finding
on the first mention of the organisation, as the composer would refuse to publish it.
"""

from __future__ import annotations

import re

from cluetrain.guidelines.engine.types import Finding, Kind, Result, Severity, Verdict
from cluetrain.guidelines.services import check_text
from cluetrain.organizations.models import Organization
from cluetrain.voices.models import Network, Voice, VoiceKind
from cluetrain.voices.services import DisclosureMissing, check_disclosure

DISCLOSURE_RULE = "disclosure"


def _first_mention(organization: Organization, text: str) -> tuple[int, int]:
    folded = text.casefold()
    found: list[tuple[int, int]] = []
    for term in organization.disclosure_terms():
        pattern = r"(?<![\w#@])" + re.escape(term.casefold()) + r"(?!\w)"
        match = re.search(pattern, folded)
        if match is not None:
            found.append(match.span())
    return min(found) if found else (0, 0)


def check(organization: Organization, text: str) -> Result:
    """The guideline result for ``text``, with the disclosure rule's finding added."""
    result = check_text(organization, text)
    # Only the two fields check_disclosure reads; the voice is never saved.
    voice = Voice(organization=organization, kind=VoiceKind.PERSONAL, network=Network.PRACTICE)
    try:
        check_disclosure(voice, text)
    except DisclosureMissing as exc:
        start, end = _first_mention(organization, text)
        finding = Finding(
            rule=DISCLOSURE_RULE,
            kind=Kind.TERM,
            severity=Severity.BLOCK,
            start=start,
            end=end,
            match=text[start:end],
            explanation=exc.message,
            suggestion=f'Add "{organization.disclosure_text.strip()}".',
        )
        findings = tuple(sorted((*result.findings, finding), key=lambda f: (f.start, f.end)))
        return Result(Verdict.BLOCK, findings, result.version)
    return result
