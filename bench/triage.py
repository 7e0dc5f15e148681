"""Measure the listening pipeline: messages per second from intake to a routed conversation.

Real public messages (../shared/data: airline tweets, Customer Support on Twitter, the
complaints set, CrisisLex T26 and the IBM customer-care turns) are repeated to N messages
(200,000; 20,000 with ``--quick``), each copy with its own network id, and one in twenty
delivered twice (streams are at-least-once). Every message goes the product's whole way on the
embedded SQLite default, through ``triage.pipeline.take_in`` as the listeners call it:
classify, then in intake's transaction clean, bound, de-duplicate, thread into conversations,
start service-level clocks, route to a person or a queue and store, in batches of 2,000.

It runs with one process, then with two processes side by side (each takes every other
batch, like two workers behind one listener), on a fresh database each time. The yardstick,
VADER's ``polarity_scores`` alone on the same texts, runs inside the one-process run: before
each batch, on that batch's texts, timed apart from it; so pipeline and yardstick meet the same
moments of a shared machine whose speed drifts. It is also measured once apart, afterwards.

    .venv/bin/python bench/triage.py [--quick] [--messages N]

Prints ``name: value`` lines: messages_per_s_1_process, messages_per_s_2_processes,
vader_per_s (beside the pipeline), vader_per_s_apart (alone, afterwards),
ratio_to_vader_per_process (the 1-process rate over vader_per_s), peak_rss_mb (the largest
process), stored_once (every distinct message stored exactly once: 1/0).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
BATCH = 2000
FULL, QUICK = 200_000, 20_000


def real_texts() -> list[str]:
    """Every message text of the real data sets, in a fixed order."""
    texts: list[str] = []
    sources = [
        (DATA / "airline" / "Tweets.csv", "text"),
        (DATA / "twcs" / "twcs_random5000.csv", "text"),
        (DATA / "complaints" / "complaints.csv", None),
        (DATA / "crisislex" / "crisislex_t26_labeled.csv", None),
        (DATA / "ibm_customer_care" / "ibm_cdp_turns.csv", None),
    ]
    for path, column in sources:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            reader = csv.DictReader(handle)
            name = column or next(
                (
                    f
                    for f in reader.fieldnames or []
                    if f.lower() in {"text", "tweet", "tweet_text"}
                ),
                None,
            )
            if name is None:
                continue
            texts.extend(row[name] for row in reader if row.get(name))
    return texts


def cluetrain_command() -> str:
    return str(Path(sys.executable).parent / "cluetrain")


def setup_django(workdir: Path, migrate: bool) -> None:
    os.environ["CLUETRAIN_DATA_DIR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "cluetrain.settings"
    os.environ["CLUETRAIN_LOG_LEVEL"] = "WARNING"
    os.environ.pop("DATABASE_URL", None)
    if migrate:
        subprocess.run(
            [cluetrain_command(), "migrate", "--no-input", "-v", "0"], check=True, env=os.environ
        )
    import django

    django.setup()


def make_organization() -> int:
    from cluetrain.core.demo import load_demo

    return load_demo().pk


def heard_batch(texts: list[str], start: int, stop: int, base: dt.datetime) -> list:
    from cluetrain.listening.heard import Heard

    batch = []
    for n in range(start, stop):
        # One in twenty is delivered again (a stream's at-least-once): same network id.
        number = n - 1 if n % 20 == 19 else n
        batch.append(
            Heard(
                network="bluesky",
                external_id=f"at://did:plc:bench{number % 5000}/app.bsky.feed.post/{number}",
                author_id=f"did:plc:bench{number % 5000}",
                author_handle=f"customer{number % 5000}.bsky.social",
                author_name=f"Customer {number % 5000}",
                text=texts[number % len(texts)],
                created_at=base + dt.timedelta(milliseconds=number),
            )
        )
    return batch


def worker(
    workdir: str,
    texts: list[str],
    batches: list[tuple[int, int]],
    queue: mp.Queue,
    go: object,
    yardstick: bool,
) -> None:
    setup_django(Path(workdir), migrate=False)
    from cluetrain.core.setup import settle
    from cluetrain.organizations.models import Organization
    from cluetrain.triage.pipeline import take_in

    organization = Organization.objects.get(slug="acme-rail")
    base = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    analyzer = vader_analyzer() if yardstick else None
    # One message of its own first: loads the models and calendars before the clock starts.
    warm = heard_batch(texts, 0, 1, base)[0]
    take_in(organization, [dataclasses.replace(warm, external_id=f"warm-up-{os.getpid()}")])
    settle()  # as `cluetrain worker` does once its models are loaded
    queue.put(("ready", 0))
    go.wait()
    elapsed = vader = 0.0
    stored = 0
    for start, stop in batches:
        if analyzer is not None:
            # The yardstick on this batch's texts, in this process, just before the batch: the
            # machine is shared and its speed drifts within seconds, so a VADER rate measured
            # apart from the pipeline (even a minute later) makes the ratio swing by a third.
            started = time.perf_counter()
            for n in range(start, stop):
                analyzer.polarity_scores(texts[n % len(texts)])
            vader += time.perf_counter() - started
        started = time.perf_counter()
        batch = heard_batch(texts, start, stop, base)  # the network's part, counted too
        stored += take_in(organization, batch)
        elapsed += time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    done = {"elapsed": elapsed, "vader": vader, "stored": stored, "peak": peak}
    queue.put(("done", json.dumps(done)))


def prepared() -> Path:
    """A migrated database with the demo organisation, made once and copied for each run."""
    workdir = Path(tempfile.mkdtemp(prefix="cluetrain-bench-triage-"))
    subprocess.run(
        [sys.executable, __file__, "--prepare", str(workdir)], check=True, env=os.environ
    )
    return workdir


def run(processes: int, total: int, texts: list[str], template: Path) -> dict[str, float]:
    """A fresh copy of ``template``; ``processes`` processes share the batches; messages/s."""
    workdir = Path(tempfile.mkdtemp(prefix="cluetrain-bench-triage-"))
    shutil.copytree(template, workdir, dirs_exist_ok=True)
    spans = [(s, min(s + BATCH, total)) for s in range(0, total, BATCH)]
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    go = ctx.Event()
    children = [
        ctx.Process(
            target=worker,
            args=(str(workdir), texts, spans[k::processes], queue, go, processes == 1),
        )
        for k in range(processes)
    ]
    for child in children:
        child.start()
    ready = 0
    while ready < processes:
        kind, _ = queue.get()
        ready += kind == "ready"
    go.set()
    started = time.perf_counter()
    results = []
    while len(results) < processes:
        kind, payload = queue.get()
        if kind == "done":
            results.append(json.loads(payload))
    wall = time.perf_counter() - started
    for child in children:
        child.join()
    distinct = len({n - 1 if n % 20 == 19 else n for n in range(total)})
    stored = sum(r["stored"] for r in results)
    check = subprocess.run(
        [sys.executable, __file__, "--count", str(workdir)],
        check=True,
        env=os.environ,
        capture_output=True,
        text=True,
    )
    counted = json.loads(check.stdout)
    shutil.rmtree(workdir, ignore_errors=True)
    # One process: its own time in the pipeline (the yardstick runs between its batches).
    # Several: the wall time from the start signal to the last one done.
    busy = results[0]["elapsed"] if processes == 1 else wall
    return {
        "rate": total / busy,
        "vader": total / results[0]["vader"] if processes == 1 else 0.0,
        "peak": max(r["peak"] for r in results),
        "stored_once": float(
            stored == distinct == counted["messages"] and counted["untriaged"] == 0
        ),
        "conversations": counted["conversations"],
    }


def vader_analyzer():  # vaderSentiment has no type hints
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_rate(texts: list[str], count: int) -> float:
    analyzer = vader_analyzer()
    sample = [texts[n % len(texts)] for n in range(count)]
    started = time.perf_counter()
    for text in sample:
        analyzer.polarity_scores(text)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--messages", type=int)
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parser.add_argument("--count", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        setup_django(Path(args.prepare), migrate=True)
        make_organization()
        return
    if args.count:
        setup_django(Path(args.count), migrate=False)
        from cluetrain.inbox.models import Conversation
        from cluetrain.listening.models import Message

        mine = Message.objects.filter(external_id__startswith="at://did:plc:bench")
        print(
            json.dumps(
                {
                    # The benchmark's own messages (the demo organisation has a few of its own).
                    "messages": mine.count(),
                    "untriaged": mine.filter(triaged_at__isnull=True).count(),
                    "conversations": Conversation.objects.filter(
                        root_external_id__startswith="at://did:plc:bench"
                    ).count(),
                }
            )
        )
        return
    total = args.messages or (QUICK if args.quick else FULL)
    texts = real_texts()
    template = prepared()
    one = run(1, total, texts, template)
    two = run(2, total, texts, template)
    shutil.rmtree(template, ignore_errors=True)
    apart = vader_rate(texts, min(total, 50_000))
    print(f"messages: {total}")
    print(f"conversations: {one['conversations']}")
    print(f"messages_per_s_1_process: {one['rate']:.0f}")
    print(f"messages_per_s_2_processes: {two['rate']:.0f}")
    print(f"vader_per_s: {one['vader']:.0f}")
    print(f"vader_per_s_apart: {apart:.0f}")
    print(f"ratio_to_vader_per_process: {one['rate'] / one['vader']:.2f}")
    print(f"peak_rss_mb: {max(one['peak'], two['peak']):.0f}")
    print(f"stored_once: {int(one['stored_once'] and two['stored_once'])}")


if __name__ == "__main__":
    main()
