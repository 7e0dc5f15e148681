"""Build ``ibm_customer_care.yaml``: customer conversations to replay in the practice space.

The source is IBM's "twitter-customer-care-document-prediction" data (Apache-2.0; its licence
is beside the output as ``ibm_customer_care_LICENSE.md``): real conversations between customers
and 25 brands' support accounts on Twitter in 2020. Run it again and the same file comes out:

    python -m cluetrain.practice.scenarios.build /path/to/ibm_cdp_turns.csv

What is changed on the way, and why:

* customers' handles become pseudonyms (the same handle always the same pseudonym), and so
  do other people's handles mentioned in the text: learners practise on the words, not on
  the people;
* the brand's handles become ``{brand}``, replaced by the organisation's handle when the
  conversation is replayed, so the customer seems to speak to the learner's organisation;
* e-mail addresses become made-up ones at example.com, and long digit runs (phone and order
  numbers) become ``[number]``, keeping the lesson ("a customer posted personal data")
  without the data;
* consecutive customer turns are one *step* (they arrive together); the brand's answer to a
  step is kept as its ``reference`` (what the brand's agent answered, shown after the
  learner replied).
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "ibm_customer_care.yaml"
DEFAULT_SOURCE = Path("/work/shared/data/ibm_customer_care/ibm_cdp_turns.csv")

MAX_TURN = 500  # a customer's message longer than a practice post is left out
SINGLE_STEP = 40  # how many one-message conversations join the multi-step ones

ADJECTIVES = (  # noqa: SIM905 (a sentence of words reads better than a list of strings)
    "amber autumn brave calm clever cosmic crimson daring eager fuzzy gentle golden happy "
    "hidden jolly lucky mellow misty nimble quiet rapid rusty silver sunny swift tidy velvet "
    "witty"
).split()
NOUNS = (  # noqa: SIM905
    "badger beacon comet falcon fern harbor heron kestrel lantern maple meadow otter pebble "
    "pine quartz raven river robin sparrow spruce thistle tiger voyager willow wren"
).split()

_HANDLE = re.compile(r"(?<![\w.])@([A-Za-z0-9_]{1,30})")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS = re.compile(r"\d[\d -]{6,}\d")
_URL = re.compile(r"(https?://\S+)")


def pseudonym(handle: str) -> str:
    digest = hashlib.sha256(handle.lower().encode()).digest()
    adjective = ADJECTIVES[digest[0] % len(ADJECTIVES)]
    noun = NOUNS[digest[1] % len(NOUNS)]
    return f"{adjective}_{noun}{digest[2] % 100:02d}"


def brand_handles(company: str) -> set[str]:
    """The brand's own handles: its support account and the main account it names."""
    lowered = company.lower()
    names = {lowered}
    for suffix in ("support", "cares", "care", "helps", "help", "_support", "_us"):
        if lowered.endswith(suffix) and len(lowered) > len(suffix):
            names.add(lowered[: -len(suffix)].rstrip("_"))
    for prefix in ("ask_", "ask", "team"):
        if lowered.startswith(prefix):
            names.add(lowered[len(prefix) :])
    return names


def clean(text: str, company: str) -> str:
    brands = brand_handles(company)

    def handle(found: re.Match[str]) -> str:
        name = found.group(1)
        return "{brand}" if name.lower() in brands else f"@{pseudonym(name)}"

    # The export kept Twitter's HTML entities ("&amp;"); the replay escapes text itself.
    text = html.unescape(text)
    text = _EMAIL.sub(lambda found: f"{pseudonym(found.group(0))}@example.com", text)
    # Addresses stay whole (their digits are page ids, not anybody's number).
    pieces = _URL.split(text)
    text = "".join(
        piece if index % 2 else _DIGITS.sub("[number]", _HANDLE.sub(handle, piece))
        for index, piece in enumerate(pieces)
    )
    # Braces other than the brand's placeholder would confuse the replay's formatting.
    text = text.replace("{", "(").replace("}", ")").replace("(brand)", "{brand}")
    return re.sub(r"[ \t]+", " ", text).strip()


def title_of(text: str) -> str:
    words = re.sub(r"\{brand\}|@\w+", "", text).split()
    title = " ".join(words[:9])
    return title + ("…" if len(words) > 9 else "")


def scenario_of(session: str, turns: list[dict[str, str]]) -> dict[str, Any] | None:
    company = turns[0]["company"]
    customer = pseudonym(turns[0]["author"])
    steps: list[dict[str, Any]] = []
    for turn in turns:
        text = clean(turn["text"], company)
        if turn["role"] == "customer":
            if len(text) > MAX_TURN or not text:
                return None
            if steps and "reference" not in steps[-1]:
                steps[-1]["messages"].append(text)
            else:
                steps.append({"messages": [text]})
        elif steps and "reference" not in steps[-1]:
            steps[-1]["reference"] = text
    if not steps:
        return None
    return {
        "slug": f"ibm-{session[:10].lower()}",
        "title": title_of(steps[0]["messages"][0]),
        "source": f"IBM customer care conversation {session} ({company} support, 2020)",
        "customer": customer,
        "steps": steps,
    }


def build(source: Path) -> list[dict[str, Any]]:
    sessions: dict[str, list[dict[str, str]]] = defaultdict(list)
    with source.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            sessions[row["session_id"]].append(row)
    several: list[dict[str, Any]] = []
    single: list[dict[str, Any]] = []
    for session in sorted(sessions):
        turns = sorted(sessions[session], key=lambda row: int(row["turn"]))
        scenario = scenario_of(session, turns)
        if scenario is None:
            continue
        (several if len(scenario["steps"]) > 1 else single).append(scenario)
    # A fixed, spread-out pick of the one-message conversations (by a hash, not by brand).
    single.sort(key=lambda item: hashlib.sha256(item["slug"].encode()).hexdigest())
    return several + single[:SINGLE_STEP]


def main(argv: list[str]) -> None:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    scenarios = build(source)
    header = (
        "# Generated by build.py from IBM twitter-customer-care-document-prediction\n"
        "# (Apache-2.0, see ibm_customer_care_LICENSE.md). Do not edit by hand.\n"
    )
    body = yaml.safe_dump({"scenarios": scenarios}, allow_unicode=True, sort_keys=False, width=100)
    OUTPUT.write_text(header + body, encoding="utf-8")
    print(f"{len(scenarios)} scenarios written to {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv)
