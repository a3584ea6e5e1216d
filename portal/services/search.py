"""Full-text search of the appeals register: one search document per appeal, kept in the same transaction.

The document (``appeal_search.terms``) is a line of canonical tokens written by Python, so
that SQLite and PostgreSQL agree on what matches: words of the applicant's name, address,
summary and content in lower case with the apostrophes (ʼ ' ’ `) dropped, the applicant's
phones as ten national digits (``0671234567``) whatever way they were typed, the e-mail as
one token, and the registration, GCC (1545) and regional-center numbers with their
punctuation removed. A query goes through the same normalisation and every one of its
tokens must match the beginning of a token of the document.

SQLite indexes the documents with FTS5 (``appeal_fts``, an external-content table over
``appeal_search`` kept current by three triggers, migration ``i11_scale``); PostgreSQL with a
GIN index over the stored generated column ``tsv = to_tsvector('simple', terms)`` (migration
``m11_search_tsv``: a plan that checks rows one by one reads the vector instead of computing it). Every query is a
prefix match of whole tokens, so pg_trgm (infix LIKE) is not needed. The
documents themselves are rewritten by an ORM ``after_flush`` hook whenever an appeal or an
applicant changes — in the flush's own transaction, so a rolled-back change leaves no trace
— and by the bulk generator, which writes them with the rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models.appeals import Appeal, AppealSearch, Applicant

APOSTROPHES = re.compile(r"[ʼ'’`‘ʹ]")
WORD = re.compile(r"[^\W_]+")
PHONE_CHARS = re.compile(r"^[+\d\s().\-]+$")
MIN_WORD = 2
LONG_WORD = re.compile(rf"[^\W_]{{{MIN_WORD},}}")  # the words of MIN_WORD letters or more (a word is a maximal run)
MAX_QUERY_TOKENS = 8
FTS_DEFAULTS = (("hashsize", 1024 * 1024), ("automerge", 4))  # FTS5's own
FTS_BULK_HASH_SIZE = 128 * 1024 * 1024

# The full-text structures beside the table, as the code expects them: the migrations build them from
# frozen copies (i11_scale, m11_search_tsv, g2_fts_ascii), and tests/test_search.py holds what they
# build to this.
# A document is already its tokens, folded, joined by spaces, and a query's tokens are made the
# same way (``document_words``, ``query_tokens``), so FTS5 has nothing to fold or find: its
# ``ascii`` tokenizer splits at the spaces alone and gives the index unicode61 gave, ~35 % faster
# (unicode61 decoded and looked up every character). No document sizes are kept
# (``columnsize=0``): only ``bm25`` reads them, and nothing ranks.
DDL = {
    "sqlite": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS appeal_fts USING fts5("
        "terms, content='appeal_search', content_rowid='appeal_id', "
        "tokenize='ascii', prefix='2 3', columnsize=0)",
        "CREATE TRIGGER IF NOT EXISTS appeal_search_ai AFTER INSERT ON appeal_search BEGIN "
        "INSERT INTO appeal_fts(rowid, terms) VALUES (new.appeal_id, new.terms); END",
        "CREATE TRIGGER IF NOT EXISTS appeal_search_ad AFTER DELETE ON appeal_search BEGIN "
        "INSERT INTO appeal_fts(appeal_fts, rowid, terms) VALUES ('delete', old.appeal_id, old.terms); END",
        "CREATE TRIGGER IF NOT EXISTS appeal_search_au AFTER UPDATE ON appeal_search BEGIN "
        "INSERT INTO appeal_fts(appeal_fts, rowid, terms) VALUES ('delete', old.appeal_id, old.terms); "
        "INSERT INTO appeal_fts(rowid, terms) VALUES (new.appeal_id, new.terms); END",
    ],
    "postgresql": [
        "ALTER TABLE appeal_search ADD COLUMN IF NOT EXISTS tsv tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED",
        "CREATE INDEX IF NOT EXISTS ix_appeal_search_tsv ON appeal_search USING gin (tsv)",
    ],
}


# --- normalisation --------------------------------------------------------------------------------


def words(text: str | None) -> list[str]:
    """Lower-case words of ``text`` with apostrophes dropped: «Мар’яна» and «Марʼяна» give «маряна»."""
    if not text:
        return []
    return WORD.findall(APOSTROPHES.sub("", text).casefold())


def phone_key(text: str | None) -> str:
    """A phone as its ten national digits (``+380 67 123 45 67`` → ``0671234567``), or its digits."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) == 12 and digits.startswith("380"):
        return digits[2:]
    if len(digits) == 11 and digits.startswith("80"):
        return digits[1:]
    if len(digits) == 9:
        return "0" + digits
    return digits


def number_key(text: str | None) -> str:
    """A registration-like number without its punctuation, in lower case: «П-000125/26» → «п00012526»."""
    return "".join(words(text))


def email_key(text: str | None) -> str:
    """An e-mail address as one token."""
    return "".join(words(text))


def document(
    *,
    reg_number: str = "",
    ukc_number: str = "",
    regional_number: str = "",
    summary: str = "",
    content: str = "",
    full_name: str = "",
    address: str = "",
    phones: Iterable[str] = (),
    email: str = "",
) -> str:
    """The search document of one appeal: its canonical tokens, each once, separated by spaces."""
    tokens: dict[str, None] = {}
    for number in (reg_number, ukc_number, regional_number):
        key = number_key(number)
        if key:
            tokens[key] = None
    for phone in phones:
        key = phone_key(phone)
        if len(key) >= 5:
            tokens[key] = None
    key = email_key(email)
    if key:
        tokens[key] = None
    # one pass over the texts joined by a space gives the words of each text in turn; a word
    # already among the tokens keeps its place
    tokens.update(dict.fromkeys(document_words(" ".join(filter(None, (full_name, address, summary, content))))))
    return " ".join(tokens)


def document_words(text: str) -> list[str]:
    """The words a document takes from a text, in order (repeats kept): ``MIN_WORD`` letters or more, folded.

    Texts joined by a character that is neither a letter, a digit nor an apostrophe give the
    words of each in turn (the bulk generator makes documents from the words of their pieces).
    """
    return LONG_WORD.findall(APOSTROPHES.sub("", text).casefold())


def query_tokens(term: str) -> list[str]:
    """The tokens a search box text must all match (phones, e-mails and numbers as one token each)."""
    term = (term or "").strip()
    if not term:
        return []
    if "@" in term:
        return [email_key(term)]
    if PHONE_CHARS.match(term) and sum(ch.isdigit() for ch in term) >= 9:
        return [phone_key(term)]
    if any(ch.isdigit() for ch in term) and " " not in term:
        return [number_key(term)]
    return [w for w in words(term) if w][:MAX_QUERY_TOKENS]


# --- the query ------------------------------------------------------------------------------------


def matching_ids(term: str, dialect_name: str):
    """A SELECT of the ids of the appeals whose document matches every token of ``term`` (None: no tokens)."""
    tokens = query_tokens(term)
    if not tokens:
        return None
    if dialect_name == "sqlite":
        expression = " AND ".join(f'"{t}"*' for t in tokens)
        return (
            sa.select(sa.literal_column("rowid"))
            .select_from(sa.text("appeal_fts"))
            .where(sa.text("appeal_fts MATCH :fts_query").bindparams(fts_query=expression))
        )
    if dialect_name == "postgresql":
        return sa.select(AppealSearch.appeal_id).where(_pg_match(tokens))
    clauses = [AppealSearch.terms.contains(t) for t in tokens]
    return sa.select(AppealSearch.appeal_id).where(*clauses)


# the FTS5 table as SQLAlchemy sees it: its rowid is the appeal's id
FTS = sa.table("appeal_fts", sa.column("rowid", sa.Integer))
# PostgreSQL: the stored vector of the document (a generated column outside the model)
TSV: sa.ColumnElement = sa.literal_column("appeal_search.tsv")


def _pg_match(tokens: list[str]):
    expression = " & ".join(f"{t}:*" for t in tokens)
    return TSV.op("@@")(sa.func.to_tsquery(sa.literal_column("'simple'"), expression))


def words_only(term: str) -> bool:
    """True when a search text is words alone (no digit, no e-mail): only the full-text index can match it."""
    return bool(query_tokens(term)) and "@" not in term and not any(ch.isdigit() for ch in term)


def joined_search(query, term: str, dialect_name: str):
    """``query`` joined to the search index's matches of ``term``; with ``search_key``, a page reads few.

    SQLite: FTS5 gives its matches by rowid (the appeal's id) lazily, so ordered by
    ``FTS.c.rowid`` and limited, a page reads as many matches as it shows, where
    ``id IN (matches)`` first reads every match (16,000 for a common surname at a million
    appeals) and sorts them. PostgreSQL: ordered by ``appeal_search.appeal_id``, the planner
    walks that key backwards checking the stored vectors while matches are common, or takes
    the GIN index's few matches and sorts them.
    """
    tokens = query_tokens(term)
    if dialect_name == "sqlite":
        expression = " AND ".join(f'"{t}"*' for t in tokens)
        return query.join(FTS, FTS.c.rowid == Appeal.id).filter(
            sa.text("appeal_fts MATCH :fts_query").bindparams(fts_query=expression)
        )
    return query.join(AppealSearch, AppealSearch.appeal_id == Appeal.id).filter(_pg_match(tokens))


def search_key(dialect_name: str):
    """The key a ``joined_search`` is paged by: the search index's own (newest registered first)."""
    return FTS.c.rowid if dialect_name == "sqlite" else AppealSearch.appeal_id


def search_clause(term: str):
    """WHERE on ``appeal`` for the search box (``sa.false()`` when the text has no searchable token)."""
    ids = matching_ids(term, db.session.get_bind().dialect.name)
    return sa.false() if ids is None else Appeal.id.in_(ids)


# --- keeping the documents current ----------------------------------------------------------------

_DOC_COLUMNS = (
    Appeal.id,
    Appeal.reg_number,
    Appeal.ukc_number,
    Appeal.regional_number,
    Appeal.summary,
    Appeal.content,
    Applicant.full_name,
    Applicant.address,
    Applicant.phone,
    Applicant.phone2,
    Applicant.email,
)


def documents_query():
    """Appeal id and the columns its document is made of (outer-joined to the applicant)."""
    return sa.select(*_DOC_COLUMNS).select_from(Appeal).outerjoin(Applicant, Appeal.applicant_id == Applicant.id)


def document_of_row(row) -> str:
    return document(
        reg_number=row.reg_number,
        ukc_number=row.ukc_number,
        regional_number=row.regional_number,
        summary=row.summary,
        content=row.content,
        full_name=row.full_name or "",
        address=row.address or "",
        phones=(row.phone or "", row.phone2 or ""),
        email=row.email or "",
    )


def refresh(connection, appeal_ids: Iterable[int]) -> None:
    """Rewrite the documents of these appeals from their current rows (a missing appeal loses its document)."""
    ids = sorted(set(appeal_ids))
    table = cast(sa.Table, AppealSearch.__table__)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = connection.execute(documents_query().where(Appeal.id.in_(chunk))).all()
        connection.execute(table.delete().where(table.c.appeal_id.in_(chunk)))
        if rows:
            connection.execute(table.insert(), [{"appeal_id": r.id, "terms": document_of_row(r)} for r in rows])


def rebuild(connection, batch: int = 20_000) -> int:
    """Write the document of every appeal (a migration's backfill); returns how many."""
    table = cast(sa.Table, AppealSearch.__table__)
    connection.execute(table.delete())
    done, last = 0, 0
    while True:
        rows = connection.execute(documents_query().where(Appeal.id > last).order_by(Appeal.id).limit(batch)).all()
        if not rows:
            return done
        connection.execute(table.insert(), [{"appeal_id": r.id, "terms": document_of_row(r)} for r in rows])
        done += len(rows)
        last = rows[-1].id


def index_documents_from(connection, first_appeal_id: int, last_appeal_id: int | None = None) -> None:
    """Index in one statement the documents of the appeals from ``first_appeal_id`` on (to ``last_appeal_id``).

    For a bulk load that dropped the FTS5 triggers while it wrote ``appeal_search`` (SQLite);
    PostgreSQL's GIN index is an ordinary index, built again by its own ``CREATE INDEX``.
    """
    if connection.dialect.name == "sqlite":
        last = "" if last_appeal_id is None else " AND appeal_id <= :last"
        connection.execute(
            sa.text(
                "INSERT INTO appeal_fts(rowid, terms) SELECT appeal_id, terms FROM appeal_search "
                f"WHERE appeal_id >= :first{last} ORDER BY appeal_id"
            ),
            {"first": first_appeal_id, "last": last_appeal_id},
        )


def bulk_fts_settings(connection, bulk: bool) -> None:
    """SQLite: FTS5's settings for a bulk load of documents (``bulk``), or back to their defaults.

    By default FTS5 writes a segment of the index for every 1 MB of new entries and merges
    segments as it goes ('automerge'); during a bulk load it keeps ``FTS_BULK_HASH_SIZE`` in
    memory and merges nothing, which leaves a few big segments (a search reads each once).
    Both settings are stored with the index.
    """
    if connection.dialect.name != "sqlite":
        return
    settings = (("hashsize", FTS_BULK_HASH_SIZE), ("automerge", 0)) if bulk else FTS_DEFAULTS
    for name, value in settings:
        connection.execute(
            sa.text("INSERT INTO appeal_fts(appeal_fts, rank) VALUES (:name, :value)"), {"name": name, "value": value}
        )


_APPEAL_FIELDS = {"reg_number", "ukc_number", "regional_number", "summary", "content", "applicant_id"}
_APPLICANT_FIELDS = {"full_name", "address", "phone", "phone2", "email"}


def _changed(obj, fields: set[str]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields if name in state.attrs)


@event.listens_for(Session, "before_flush")
def _collect(session, flush_context, instances) -> None:
    """Note which appeals' documents the coming flush changes (new, edited or an edited applicant)."""
    pending = session.info.setdefault("search_pending", {"appeals": set(), "applicants": set(), "new": []})
    for obj in session.new:
        if isinstance(obj, Appeal):
            pending["new"].append(obj)
    for obj in session.deleted:
        if isinstance(obj, Appeal):
            pending["appeals"].add(obj.id)  # SQLite enforces no ON DELETE CASCADE: the hook removes it
    for obj in session.dirty:
        if isinstance(obj, Appeal) and _changed(obj, _APPEAL_FIELDS):
            pending["appeals"].add(obj.id)
        elif isinstance(obj, Applicant) and obj.id is not None and _changed(obj, _APPLICANT_FIELDS):
            pending["applicants"].add(obj.id)


@event.listens_for(Session, "after_flush")
def _write(session, flush_context) -> None:
    pending = session.info.pop("search_pending", None)
    if not pending:
        return
    ids = set(pending["appeals"]) | {a.id for a in pending["new"] if a.id is not None}
    connection = session.connection()
    if pending["applicants"]:
        ids.update(
            connection.execute(sa.select(Appeal.id).where(Appeal.applicant_id.in_(pending["applicants"]))).scalars()
        )
    if ids:
        refresh(connection, ids)
