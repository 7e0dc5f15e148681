"""Full-text search over conversations, in whichever database Cluetrain runs on.

* SQLite: an FTS5 table with external content (``inbox_conversation.search_text``, rowid =
  the conversation's id) kept in step by triggers. A search walks the index newest id first
  and stops after one page, so a common word costs what a rare one does.
* PostgreSQL: a GIN index on ``to_tsvector('simple', search_text)``.

People's text never reaches either query language as syntax: it is cut into words (letters,
digits and marks, as FTS5's unicode61 tokenizer cuts them) and double-quoted phrases; every
word is quoted, so quotes, ``*``, ``NEAR(``, ``AND``/``OR``/``NOT``, parentheses and column
filters are just text. All words must match; the last word also matches as a prefix
("bag" finds "baggage").

The index objects are installed by migration ``0003_search_index`` and again after every
``migrate`` (SQLite drops a table's triggers when a migration rebuilds the table; when
that happened the FTS table is rebuilt from the conversations).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

FTS_TABLE = "inbox_conversation_fts"
PG_INDEX = "inbox_conversation_search"
PG_VECTOR = "to_tsvector('simple'::regconfig, search_text)"

MAX_TERMS = 12
PREFIX_MIN = 3  # shorter prefixes would expand to most of the vocabulary

SQLITE_TABLE = f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        search_text, content='inbox_conversation', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
"""
# FTS5 merges its index segments as rows come in; by default as soon as four of one size pile
# up, which at thousands of new conversations a second is half of what indexing them costs.
# Eight at a time halves the merging, and a search still reads few enough segments to stay
# far inside its time (the inbox benchmark measures both). Stored in the index's own
# configuration, so setting it again is harmless.
SQLITE_AUTOMERGE = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('automerge', 8)"  # noqa: S608
SQLITE_TRIGGERS = {
    "inbox_conversation_fts_insert": """
        CREATE TRIGGER IF NOT EXISTS inbox_conversation_fts_insert
        AFTER INSERT ON inbox_conversation
        BEGIN
            INSERT INTO inbox_conversation_fts(rowid, search_text) VALUES (new.id, new.search_text);
        END
    """,
    "inbox_conversation_fts_delete": """
        CREATE TRIGGER IF NOT EXISTS inbox_conversation_fts_delete
        AFTER DELETE ON inbox_conversation
        BEGIN
            INSERT INTO inbox_conversation_fts(inbox_conversation_fts, rowid, search_text)
            VALUES ('delete', old.id, old.search_text);
        END
    """,
    # Saving a conversation rewrites every column; only a changed text touches the index.
    "inbox_conversation_fts_update": """
        CREATE TRIGGER IF NOT EXISTS inbox_conversation_fts_update AFTER UPDATE OF search_text
        ON inbox_conversation WHEN old.search_text IS NOT new.search_text
        BEGIN
            INSERT INTO inbox_conversation_fts(inbox_conversation_fts, rowid, search_text)
            VALUES ('delete', old.id, old.search_text);
            INSERT INTO inbox_conversation_fts(rowid, search_text) VALUES (new.id, new.search_text);
        END
    """,
}
POSTGRESQL = [
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON inbox_conversation "
    "USING gin (to_tsvector('simple'::regconfig, search_text))"
]


# --- installing -----------------------------------------------------------------------------


def install(connection: BaseDatabaseWrapper) -> None:
    """Create the index objects this database needs; idempotent."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Only when missing: after a migrate that ran inside a transaction holding deferred
            # constraint checks (tests, the demo), PostgreSQL refuses CREATE INDEX outright.
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [PG_INDEX])
            if cursor.fetchone() is None:
                for statement in POSTGRESQL:
                    cursor.execute(statement)
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master"
                " WHERE type IN ('table', 'trigger') AND name LIKE %s",
                [f"{FTS_TABLE}%"],
            )
            present = {row[0] for row in cursor.fetchall()}
            cursor.execute(SQLITE_TABLE)
            cursor.execute(SQLITE_AUTOMERGE)
            for statement in SQLITE_TRIGGERS.values():
                cursor.execute(statement)
            if not (present >= {FTS_TABLE, *SQLITE_TRIGGERS}):
                # New table, or triggers lost while the conversations changed: index them all.
                rebuild(connection)


def rebuild(connection: BaseDatabaseWrapper) -> None:
    """Index every conversation again (SQLite; PostgreSQL's index never goes stale)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def install_after_migrate(using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    connection = connections[using]
    if "inbox_conversation" in connection.introspection.table_names():
        install(connection)


# --- people's text into a safe query --------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word, or a phrase of words that must follow each other; ``prefix``: the last word
    may be the start of a longer one."""

    words: tuple[str, ...]
    prefix: bool = False


def _is_word_char(ch: str) -> bool:
    # FTS5's unicode61 keeps letters, numbers, marks and private-use characters together.
    return unicodedata.category(ch)[0] in "LNM" or unicodedata.category(ch) == "Co"


def words(text: str) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    for ch in text:
        if _is_word_char(ch):
            current.append(ch)
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def parse_terms(q: str) -> list[Term]:
    """The words and "quoted phrases" of a search box; an unclosed quote quotes to the end.
    The last word, when typed bare and at least PREFIX_MIN long, also matches as a prefix."""
    terms: list[Term] = []
    last_bare = False
    for index, part in enumerate(q.split('"')):
        found = words(part)
        if not found:
            continue
        quoted = bool(index % 2)
        if quoted:
            terms.append(Term(tuple(found[:MAX_TERMS])))
        else:
            terms += [Term((word,)) for word in found]
        last_bare = not quoted
    if len(terms) > MAX_TERMS:
        terms, last_bare = terms[:MAX_TERMS], False
    if terms and last_bare and len(terms[-1].words[0]) >= PREFIX_MIN:
        terms[-1] = Term(terms[-1].words, prefix=True)
    return terms


def fts5_query(terms: list[Term]) -> str:
    """FTS5 MATCH text: every word a quoted string (no operator can appear), implicit AND."""
    parts = []
    for term in terms:
        phrase = " ".join(term.words).replace('"', '""')
        parts.append(f'"{phrase}"' + ("*" if term.prefix else ""))
    return " ".join(parts)


def tsquery(terms: list[Term]) -> str:
    """PostgreSQL to_tsquery text. Words hold only letters, numbers and marks, and each is
    quoted as a lexeme, so nothing in them is an operator."""

    def lexeme(word: str, prefix: bool = False) -> str:
        return "'" + word.replace("'", "''") + "'" + (":*" if prefix else "")

    parts = []
    for term in terms:
        if len(term.words) == 1:
            parts.append(lexeme(term.words[0], term.prefix))
        else:
            parts.append("(" + " <-> ".join(lexeme(w) for w in term.words) + ")")
    return " & ".join(parts)
