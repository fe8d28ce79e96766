"""Rebuild the knowledge search index from the database.

    python -m services.knowledge.reindex [--config services/knowledge/config.yaml]

Reads the same settings as the service (KNOWLEDGE_DATABASE_URL or DATA_DIR's SQLite file;
MEILI_URL for Meilisearch, else the embedded index file) and writes every article to the
engine; the running service needs no restart. `--via-rpc` asks the running service to do it
instead (the `reindex` RPC).
"""
import argparse
import os
import re
import sys
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = re.compile(r"\$\{([^}:]+):?([^}]*)\}")


def load_config(path):
    with open(path) as f:
        text = ENV.sub(lambda m: os.environ.get(m.group(1), m.group(2)), f.read())
    return yaml.safe_load(text)


def main(argv=None):
    p = argparse.ArgumentParser(description="Rebuild the knowledge search index.")
    p.add_argument("--config", default=os.path.join(ROOT, "services/knowledge/config.yaml"))
    p.add_argument("--via-rpc", action="store_true",
                   help="ask the running knowledge service (the reindex RPC)")
    args = p.parse_args(argv)
    config = load_config(args.config)
    start = time.monotonic()
    if args.via_rpc:
        from nameko.standalone.rpc import ClusterRpcProxy
        with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=3600) as proxy:
            result = proxy.knowledge.reindex()
    else:
        from sqlalchemy.orm import sessionmaker

        from services.common.db import create_schema, database_url, make_engine
        from services.knowledge.engines import make_engine as make_search_engine
        from services.knowledge.indexer import reindex
        from services.knowledge.models import Base
        db = make_engine(database_url(config, "knowledge"))
        create_schema(db, Base.metadata)
        engine = make_search_engine(config)
        n = reindex(sessionmaker(db), engine,
                    progress=lambda done: print(f"\r{done} articles", end="", file=sys.stderr))
        engine.close()
        db.dispose()
        result = {"indexed": n, "engine": engine.name}
    print(f"\nindexed {result['indexed']} articles into the {result['engine']} engine in "
          f"{time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
