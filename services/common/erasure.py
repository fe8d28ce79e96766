"""KVKK (law 6698) erasure: a person's name, e-mail, phone and address replaced by a marker
in every table of a service, the outbox and processed-event tables too
(docs/architecture.md, "Personal data (KVKK)").

Why every text column of every table, not a list per service: a person's data is copied into
free text (a complaint "call Ayşe on 0532…", a history note, an e-mail's subject, an event's
body in the outbox); a list would be out of date with the next column. `scrub` finds the rows
holding one of the needles (a LIKE per text column) and replaces them in Python. A column named
`…email` that held nothing but an address gets NULL where it may (a marker is no address, and
events validate addresses); anything else gets the marker. Numbers, dates and amounts are no
text: a form keeps its number, dates and totals.

SQLite keeps deleted bytes in free pages and the WAL: every connection runs with
`PRAGMA secure_delete=ON` (services/common/db.py: freed space is zeroed), and `settle` runs
`PRAGMA wal_checkpoint(TRUNCATE)` after the erasure's commit, so the old pages leave the WAL.
PostgreSQL keeps dead row versions until VACUUM: the operator runs `VACUUM FULL` (docs)."""
import time

from marshmallow import Schema, fields, validate
from sqlalchemy import JSON, LargeBinary, String, Text, or_, select, update

from services.common.models import CommonBase
from services.common.schemas import id_field
from services.common.text import fold

MARKER = "[KVKK: silindi]"
SETTLE_TRIES, SETTLE_PAUSE = 20, 0.05  # up to ~10 s for a busy checkpoint
MIN_NEEDLE = 4  # shorter strings (a two-letter name part) would hit unrelated text


class ErasureIn(Schema):
    """What the gateway asks devices to erase with a customer: every string it found held
    about them in the services (`personal`), their forms' and contracts' ids."""
    personal = fields.List(fields.String(validate=validate.Length(min=1, max=1000)),
                           load_default=list, validate=validate.Length(max=2000))
    form_ids = fields.List(id_field(), load_default=list, validate=validate.Length(max=100000))
    contract_ids = fields.List(id_field(), load_default=list,
                               validate=validate.Length(max=100000))


class ContactErasureIn(Schema):
    """What the gateway adds to a contact person's erasure: other strings naming them that it
    found (devices adds the contact's own name, e-mail and phone)."""
    personal = fields.List(fields.String(validate=validate.Length(min=1, max=1000)),
                           load_default=list, validate=validate.Length(max=200))


def needles_of(values, marker=MARKER):
    """[(needle, replacement)]: each value given, by the marker, and its search-folded form
    (devices and forms keep folded copies for search), by the folded marker; longest first."""
    pairs = {}
    for value in values:
        if isinstance(value, str) and len(value.strip()) >= MIN_NEEDLE:
            value = value.strip()
            pairs.setdefault(fold(value), fold(marker))
            pairs[value] = marker
    return sorted(pairs.items(), key=lambda p: len(p[0]), reverse=True)


def _text_columns(table):
    return [c for c in table.columns
            if isinstance(c.type, (String, Text)) and not isinstance(c.type, LargeBinary)
            and not c.primary_key]


def scrub(session, metadata, pairs, tables=None):
    """Replace each needle of `pairs` [(needle, replacement)] in every text column of
    `metadata`'s tables and the common ones (outbox, processed events, dead letters); the
    rows changed, as {(table name, primary key)}."""
    pairs = [(n, r) for n, r in pairs if n]
    if not pairs:
        return set()
    whole = {n for n, _ in pairs}
    changed = set()
    all_tables = [*metadata.sorted_tables, *CommonBase.metadata.sorted_tables]
    for table in all_tables if tables is None else tables:
        keys = list(table.primary_key.columns)
        if not keys:
            continue
        for column in _text_columns(table):
            hits = session.execute(select(*keys, column).where(or_(*[
                column.contains(n, autoescape=True) for n, _ in pairs]))).all()
            for *key, value in hits:
                if value is None:
                    continue
                if column.name.endswith("email") and column.nullable and value in whole:
                    new = None
                else:
                    new = value
                    for needle, replacement in pairs:
                        new = new.replace(needle, replacement)
                if new != value:
                    session.execute(update(table).where(
                        *[k == v for k, v in zip(keys, key)]).values({column.name: new}))
                    changed.add((table.name, tuple(key)))
        for column in _json_columns(table):  # no LIKE: stored escaped (\u015f) on SQLite
            rows = session.execute(select(*keys, column).where(column.is_not(None))).all()
            for *key, value in rows:
                new = _replaced(value, pairs)
                if new != value:
                    session.execute(update(table).where(
                        *[k == v for k, v in zip(keys, key)]).values({column.name: new}))
                    changed.add((table.name, tuple(key)))
    return changed


def _json_columns(table):
    return [c for c in table.columns if isinstance(c.type, JSON) and not c.primary_key]


def _replaced(value, pairs):
    """A JSON value with each needle replaced in every string in it, keys too."""
    if isinstance(value, str):
        for needle, replacement in pairs:
            value = value.replace(needle, replacement)
        return value
    if isinstance(value, list):
        return [_replaced(v, pairs) for v in value]
    if isinstance(value, dict):
        return {_replaced(k, pairs): _replaced(v, pairs) for k, v in value.items()}
    return value


def erase_strings(session, metadata, event):
    """A contact person's erasure (`contact_erased`) in a service that keeps no record of the
    contact: the event's strings (their name, e-mail, phone) scrubbed from every text column,
    the outbox and processed-event tables included. The rows changed."""
    return scrub(session, metadata, needles_of(event["personal"], event["marker"]))


def settle(session):
    """After the erasure's commit: on SQLite, move the WAL's pages (old versions of the
    changed rows among them) into the database file and truncate it. Nothing to do on
    PostgreSQL (VACUUM FULL is the operator's: docs/architecture.md)."""
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        return None
    raw = engine.raw_connection()
    try:
        for attempt in range(SETTLE_TRIES):
            cur = raw.cursor()
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            result = cur.fetchone()
            cur.close()
            if not result or not result[0]:  # not busy: the WAL is in the file and empty
                break
            # busy: another connection (the outbox relay, a reader) holds an older
            # snapshot for a moment; a checkpoint left undone would leave the old pages
            time.sleep(SETTLE_PAUSE * (attempt + 1))
    finally:
        raw.close()
    return result
