"""The reindex command and the embedded engine's writer lock, with real files."""
import os
import subprocess
import sys
import threading
import time

import tantivy
from sqlalchemy import insert

from services.common.db import create_schema, make_engine
from services.common.models import utcnow
from services.common.text import sort_key
from services.knowledge import searching
from services.knowledge.engines.tantivy_engine import TantivyEngine
from services.knowledge.models import Article, Base
from services.common.testing import ROOT
from services.knowledge.tests.samples import DOCS



def store(url, docs):
    db = make_engine(url)
    create_schema(db, Base.metadata)
    now = utcnow()
    with db.begin() as conn:
        conn.execute(insert(Article), [{
            **{k: d[k] for k in ("id", "code", "title", "symptoms", "cause", "solution_steps",
                                 "device_types", "models", "fault_codes", "tags", "language",
                                 "status", "solved_count")},
            "family": d["code"][:3], "area": d["code"][4:7], "number": int(d["code"][-4:]),
            "title_sort": sort_key(d["title"]), "version": 1, "created_at": now,
            "updated_at": now} for d in docs])
    db.dispose()


def test_the_reindex_command_rebuilds_the_index_from_the_database(tmp_path):
    url = f"sqlite:///{tmp_path}/knowledge.db"
    store(url, DOCS)
    index_path = str(tmp_path / "index")
    stale = TantivyEngine(index_path)
    stale.setup()
    stale.upsert([{**DOCS[0], "id": 99, "code": "OLD-OLD-0001", "title": "eski kayıt"}])
    stale.close()
    env = {**os.environ, "KNOWLEDGE_DATABASE_URL": url, "KNOWLEDGE_INDEX_PATH": index_path,
           "DATA_DIR": str(tmp_path)}
    env.pop("MEILI_URL", None)
    done = subprocess.run([sys.executable, "-m", "services.knowledge.reindex"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"indexed {len(DOCS)} articles into the tantivy engine" in done.stdout
    engine = TantivyEngine(index_path)
    engine.setup()
    assert engine.count() == len(DOCS)
    assert [h["id"] for h in searching.search(engine, "ışık arızası")][:1] == [1]
    assert searching.search(engine, "eski") == []


def test_a_write_waits_for_another_writer(tmp_path):
    engine = TantivyEngine(str(tmp_path / "index"))
    engine.setup()
    other = tantivy.Index(engine.schema, path=str(tmp_path / "index"))
    writer = other.writer(50_000_000, 1)  # as the reindex command would hold it
    released = threading.Event()

    def release():
        time.sleep(0.3)
        writer.commit()
        writer.wait_merging_threads()
        released.set()

    threading.Thread(target=release).start()
    engine.upsert(DOCS[:1])  # blocks until the lock is free
    assert released.is_set()
    assert engine.count() == 1
