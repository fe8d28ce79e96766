#!/usr/bin/env python
"""Knowledge search: the embedded engine, the RPC and the gateway (issue 6).

    .venv/bin/python bench/knowledge_bench.py [--n 100000] [--queries 200]   (or: make bench)

1. Generates --n articles (deterministic; Turkish and English text, device types, models,
   fault codes) and writes them to a fresh knowledge database (SQLite, in a temporary
   DATA_DIR) as the service's tables hold them.
2. Indexing, for each embedded engine (--engines: tantivy, the default, and SQLite FTS5): built
   from the database with the service's own reindex path (services.knowledge.indexer.reindex);
   time and articles/s.
3. Engine level, in this process, for 1-, 2- and 3-word queries, without and with filters
   (device_type; device_type + model), p50/p95 of:
   - raw: the engine's bare query for the same words (`raw()`: tantivy's searcher.search with
     the same every-word query object — stems included —, addresses only; FTS5 `MATCH` of its
     first pass + the same BM25 order within the same rank window, ids only);
   - engine: `searching.search(..., snippets=False)`: code lookup, the engine's query with
     filters (prefixes, stems, typos), the query for most of the words when fewer than the
     page have them all (tantivy; FTS5's later passes), the stored documents: goal p95 <= 2 x
     raw p95;
   - +snippets: the same with the highlighted snippets, i.e. everything the `search` RPC runs.
   Shown too for FTS5: the naive raw query that ranks every match.
4. RPC level: the system is started with `deploy/run.py up` on that DATA_DIR (own vhost, free
   port; the service uses --service-engine, tantivy by default, and finds the index built in
   step 2) and the same queries go through nameko's ClusterRpcProxy: goal p95 <= 20 ms.
5. Gateway: the same queries as GET /api/v1/knowledge/search with a bearer token.
Queries are words drawn from random articles (so most have hits), one client, after a warm-up;
the paths compared in one table row run query by query in turn (raw, engine, +snippets; RPC,
gateway), so they share the moment's load on a shared machine.
The search path does not touch the service database (only the index), so one backend (SQLite)
is measured. Everything started is stopped and removed at the end.
"""
import argparse
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

GOAL_RPC_P95_MS = 20.0
GOAL_ENGINE_OVER_RAW = 2.0

TR_WORDS = """arıza kompresör ışık panel kart röle sensör termostat fan motor su gaz kaçak basınç
ısı sıcaklık soğutma ısıtma kombi klima buzdolabı çamaşır bulaşık fırın ekran kumanda kablo
sigorta voltaj akım topraklama conta pompa vana filtre tıkanık kireç kazan brülör alev iyon
elektrot ateşleme fotosel kağıt toner tambur silindir fuser ısıtıcı rulo besleme sıkışma
tarayıcı yazıcı fotokopi baskı renk leke çizgi gürültü titreşim ses koku duman yanık
bağlantı soket fiş priz anakart yazılım güncelleme hata kod uyarı lamba led gösterge
düğme tuş dokunmatik sensörü kartı motoru fanı pompası vanası filtresi contası kablosu
çalışmıyor durmuyor ısınıyor soğutmuyor ısıtmıyor açılmıyor kapanmıyor yanmıyor sönüyor
akıtıyor sızdırıyor titriyor kesiliyor atıyor sıkıştırıyor çekmiyor basmıyor göstermiyor
değiştirin kontrol ölçün temizleyin sıkın takın söküp yenileyin ayarlayın doldurun
güncelleyin yeniden başlatın bakım servis montaj dış iç ünite kondansatör kondenser
evaporatör genleşme kılcal boru izolasyon drenaj hortum tahliye seviye şamandıra
diyarbakır istanbul ankara izmir şube müşteri garanti sözleşme periyodik yıllık""".split()
EN_WORDS = """fault compressor light panel board relay sensor thermostat fan motor water gas
leak pressure heat temperature cooling heating boiler conditioner fridge washer dishwasher
oven screen remote cable fuse voltage current ground gasket pump valve filter clogged scale
burner flame ignition electrode paper toner drum roller fuser heater feed jam scanner printer
copier print color stain line noise vibration sound smell smoke burnt connection socket plug
mainboard firmware update error code warning lamp display button touch replace check measure
clean tighten fit remove renew adjust refill restart maintenance service outdoor indoor unit
capacitor condenser evaporator expansion capillary pipe insulation drain hose level float
not working stops overheats leaking trips""".split()
DEVICE_TYPES = ["Klima", "Kombi", "Buzdolabı", "Fotokopi", "Yazıcı", "Çamaşır Makinesi",
                "Bulaşık Makinesi", "Fırın", "Chiller", "Jeneratör"]
FAMILIES = ["KLM", "KMB", "BZD", "FTK", "YZC", "CMS", "BLS", "FRN", "CHL", "JNR"]
AREAS = ["ELK", "MEK", "SOG", "ISI", "YAZ", "KAG", "SU", "GAZ"]


def percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def zipf_words(rng, vocab, k):
    """k words, the first words of `vocab` more often (a Zipf-like spread)."""
    n = len(vocab)
    return [vocab[min(n - 1, int(rng.paretovariate(1.1)) - 1 + rng.randrange(0, n // 4))
                  if rng.random() < 0.5 else rng.randrange(n)] for _ in range(k)]


def generate(n, seed=6):
    rng = random.Random(seed)
    models = {t: [f"{t[:3].upper()}-{rng.randint(100, 999)}" for _ in range(20)]
              for t in DEVICE_TYPES}
    numbers = {}
    for i in range(1, n + 1):
        english = rng.random() < 0.3
        vocab = EN_WORDS if english else TR_WORDS
        t = rng.randrange(len(DEVICE_TYPES))
        family, area = FAMILIES[t], rng.choice(AREAS)
        numbers[(family, area)] = numbers.get((family, area), 0) + 1
        device_type = DEVICE_TYPES[t]

        def sentence(lo, hi):
            words = zipf_words(rng, vocab, rng.randint(lo, hi))
            if not english and rng.random() < 0.2:
                words[0] = words[0].upper()
            return " ".join(words)
        yield {
            "id": i, "family": family, "area": area, "number": numbers[(family, area)],
            "code": f"{family}-{area}-{numbers[(family, area)]:04d}",
            "title": sentence(3, 7).capitalize(), "symptoms": sentence(12, 30) + ".",
            "cause": sentence(6, 15) + ".",
            "solution_steps": [sentence(4, 10).capitalize() + "." for _ in range(rng.randint(1, 4))],
            "device_types": [device_type], "models": rng.sample(models[device_type], 2),
            "fault_codes": [f"{rng.choice('EFHJ')}-{rng.randint(1, 99):02d}"],
            "tags": rng.sample(vocab, 2), "language": "en" if english else "tr",
            "status": "published" if rng.random() < 0.9 else "draft"}


def write_database(url, articles):
    from sqlalchemy import insert
    from sqlalchemy.orm import sessionmaker

    from services.common.db import create_schema, make_engine
    from services.common.models import utcnow
    from services.common.text import sort_key
    from services.knowledge.models import Article, Base, CodeSequence
    engine = make_engine(url)
    create_schema(engine, Base.metadata)
    now = utcnow()
    last = {}
    batch = []
    with engine.begin() as conn:
        for a in articles:
            last[(a["family"], a["area"])] = a["number"]
            batch.append({**a, "title_sort": sort_key(a["title"]), "version": 1,
                          "author_id": 1, "author_name": "Bench", "solved_count": 0,
                          "created_at": now, "updated_at": now,
                          "published_at": now if a["status"] == "published" else None})
            if len(batch) == 2000:
                conn.execute(insert(Article), batch)
                batch = []
        if batch:
            conn.execute(insert(Article), batch)
        conn.execute(insert(CodeSequence), [{"family": f, "area": a, "last": n}
                                            for (f, a), n in last.items()])
    return engine, sessionmaker(engine)


def make_queries(articles, count, rng):
    """{(words, filter): [params]} with words drawn from random published articles."""
    from services.knowledge.analysis import fold_words
    published = [a for a in articles if a["status"] == "published"]
    out = {}
    for nwords in (1, 2, 3):
        for filt in ("none", "type", "type+model"):
            qs = []
            while len(qs) < count:
                a = rng.choice(published)
                words = [w for w in fold_words(a["title"] + " " + a["symptoms"]) if len(w) > 2]
                if len(words) < nwords:
                    continue
                start = rng.randrange(len(words) - nwords + 1)
                params = {"q": " ".join(words[start:start + nwords])}
                if filt != "none":
                    params["device_type"] = a["device_types"][0]
                if filt == "type+model":
                    params["model"] = a["models"][0]
                qs.append(params)
            out[(nwords, filt)] = qs
    return out


def timed(fn, queries, warmup=20):
    return timed_together({"x": fn}, queries, warmup)["x"]


def timed_together(fns, queries, warmup=20):
    """{name: figures}: for each query every function in turn, so the paths compared share the
    machine's state of that moment (it is shared and noisy)."""
    for p in queries[:warmup]:
        for fn in fns.values():
            fn(p)
    times = {name: [] for name in fns}
    nonempty = {name: 0 for name in fns}
    for p in queries:
        for name, fn in fns.items():
            t0 = time.perf_counter()
            result = fn(p)
            times[name].append((time.perf_counter() - t0) * 1000)
            nonempty[name] += bool(result)
    return {name: {"p50": percentile(t, 0.5), "p95": percentile(t, 0.95),
                   "mean": statistics.fmean(t), "hits": nonempty[name] / len(queries)}
            for name, t in times.items()}


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), platform.processor() or "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo")
                if line.startswith("MemTotal")), 0)
    return (f"{os.cpu_count()} CPUs ({model}), {mem / 1024 / 1024:.1f} GiB RAM, "
            f"Python {platform.python_version()}, load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def table(title, rows, levels):
    print(f"\n{title}\n")
    print("| words | filter | " + " | ".join(f"{lv} p50 ms | {lv} p95 ms" for lv in levels)
          + " | with hits |")
    print("|---|---|" + "---:|---:|" * len(levels) + "---:|")
    for key in sorted(rows):
        r = rows[key]
        cells = " | ".join(f"{r[lv]['p50']:.2f} | {r[lv]['p95']:.2f}" if lv in r else "– | –"
                           for lv in levels)
        first = next(iter(r.values()))
        print(f"| {key[0]} | {key[1]} | {cells} | {first['hits']:.0%} |")


def run(args):
    from services.knowledge import searching
    from services.knowledge.analysis import parse_query
    from services.knowledge.engines.embedded import EmbeddedEngine
    from services.knowledge.engines.tantivy_engine import TantivyEngine
    from services.knowledge.indexer import reindex
    rng = random.Random(7)
    stack = contextlib.ExitStack()
    with stack:
        data_dir = tempfile.mkdtemp(prefix="servis-kb-bench-")
        stack.callback(shutil.rmtree, data_dir, True)
        t0 = time.monotonic()
        articles = list(generate(args.n))
        db, Session = write_database(f"sqlite:///{data_dir}/knowledge.db", articles)
        print(f"generated and stored {len(articles)} articles in {time.monotonic() - t0:.1f} s",
              flush=True)
        queries = make_queries(articles, args.queries, rng)
        makers = {  # the service's default paths in DATA_DIR, so it finds the built index
            "tantivy": lambda: TantivyEngine(os.path.join(data_dir, "knowledge-index.tantivy")),
            "fts5": lambda: EmbeddedEngine(os.path.join(data_dir, "knowledge-index.sqlite")),
        }
        rows, worst = {}, {}
        for kind in [k.strip() for k in args.engines.split(",") if k.strip()]:
            engine = makers[kind]()
            t0 = time.monotonic()
            n = reindex(Session, engine)
            took = time.monotonic() - t0
            path = engine.path
            size = (sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
                    if os.path.isdir(path) else
                    sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s)))
            print(f"{kind}: indexing (reindex from the database) {n} articles in {took:.1f} s "
                  f"({n / took:.0f} articles/s); index {size / 2**20:.0f} MiB", flush=True)

            def via_engine(p, engine=engine):
                return searching.search(engine, p["q"], p.get("device_type"), p.get("model"),
                                        snippets=False)

            def via_search(p, engine=engine):
                return searching.search(engine, p["q"], p.get("device_type"), p.get("model"))

            def via_raw(p, engine=engine):
                return engine.raw(parse_query(p["q"])[0], 20)

            for key, qs in queries.items():
                fns = {f"{kind} engine": via_engine, f"{kind} +snippets": via_search}
                if key[1] == "none":
                    fns[f"{kind} raw"] = via_raw
                    if kind == "fts5":
                        fns["fts5 raw, all ranked"] = (
                            lambda p, engine=engine: engine.raw(parse_query(p["q"])[0], 20,
                                                                window=False))
                rows.setdefault(key, {}).update(timed_together(fns, qs))
            ratios = [rows[k][f"{kind} engine"]["p95"] / rows[k][f"{kind} raw"]["p95"]
                      for k in rows if f"{kind} raw" in rows[k]]
            worst[kind] = max(ratios)
            print(f"{kind}: engine p95 / raw p95 (no filter): "
                  + ", ".join(f"{r:.2f}" for r in ratios) + f" -> worst {worst[kind]:.2f} "
                  f"(goal <= {GOAL_ENGINE_OVER_RAW}) "
                  + ("PASS" if worst[kind] <= GOAL_ENGINE_OVER_RAW else "MISS"), flush=True)
            engine.close()
        db.dispose()
        levels = [c for c in ("tantivy raw", "tantivy engine", "tantivy +snippets", "fts5 raw",
                              "fts5 engine", "fts5 +snippets", "fts5 raw, all ranked")
                  if any(c in r for r in rows.values())]
        table(f"Engine level, {args.n} articles (this process)", rows, levels)
        if args.engine_only:
            return 0

        from services.common.testing import free_port, temporary_vhost
        amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-kb-bench"))
        password = secrets.token_urlsafe(12)
        port = free_port()
        env = dict(os.environ, DATA_DIR=data_dir, GATEWAY_PORT=str(port), AMQP_URI=amqp_uri,
                   ADMIN_PASSWORD=password, HEALTH_WAIT="120")
        for var in ("SMTP_URL", "JWT_SECRET", "LOG_LEVEL", "MEILI_URL", "KNOWLEDGE_INDEX_PATH"):
            env.pop(var, None)
        env["KNOWLEDGE_ENGINE"] = args.service_engine
        for var in [k for k in env if k.endswith("_DATABASE_URL")]:
            env.pop(var)

        def down():
            subprocess.run([sys.executable, "deploy/run.py", "down"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=90)
        stack.callback(down)
        up = subprocess.run([sys.executable, "deploy/run.py", "up"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
        if up.returncode != 0:
            raise RuntimeError(f"deploy/run.py up failed:\n{up.stdout}\n{up.stderr}")
        import requests
        from nameko.standalone.rpc import ClusterRpcProxy
        proxy_ctx = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30)
        proxy = stack.enter_context(proxy_ctx)
        http = requests.Session()
        base = f"http://127.0.0.1:{port}"
        token = http.post(f"{base}/api/v1/auth/token", json={
            "username": "admin", "password": password}).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        sample = queries[(1, "none")][0]
        a = proxy.knowledge.search(sample)
        b = http.get(f"{base}/api/v1/knowledge/search", params=sample).json()
        assert a == b and a["engine"] == args.service_engine, (a, b)

        def via_rpc(p):
            return proxy.knowledge.search(p)["hits"]

        def via_gateway(p):
            r = http.get(f"{base}/api/v1/knowledge/search", params=p)
            r.raise_for_status()
            return r.json()["hits"]

        for key, qs in queries.items():
            rows[key].update(timed_together({"RPC": via_rpc, "gateway": via_gateway}, qs))
        table(f"All levels, {args.n} articles (RPC and gateway: {args.service_engine})", rows,
              [f"{args.service_engine} raw", f"{args.service_engine} engine",
               f"{args.service_engine} +snippets", "RPC", "gateway"])
        worst_rpc = max(r["RPC"]["p95"] for r in rows.values())
        print(f"\nRPC p95, worst query class: {worst_rpc:.2f} ms (goal <= {GOAL_RPC_P95_MS}) "
              + ("PASS" if worst_rpc <= GOAL_RPC_P95_MS else "MISS"))
        w = worst.get(args.service_engine, float("nan"))
        print(f"{args.service_engine} engine p95 / raw p95, worst: {w:.2f} "
              f"(goal <= {GOAL_ENGINE_OVER_RAW}) " + ("PASS" if w <= GOAL_ENGINE_OVER_RAW else "MISS"))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100000, help="articles (default 100000)")
    p.add_argument("--queries", type=int, default=200, help="timed queries per class")
    p.add_argument("--engine-only", action="store_true", help="skip the RPC and gateway levels")
    p.add_argument("--engines", default="tantivy,fts5", help="embedded engines to measure")
    p.add_argument("--service-engine", default="tantivy", choices=("tantivy", "fts5"),
                   help="the engine the service uses for the RPC and gateway levels")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    import nameko.standalone.rpc  # noqa: F401  (eventlet imported before any thread)
    print(f"Knowledge search benchmark (issue 6)\n"
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; {machine()}", flush=True)
    started = time.monotonic()
    status = run(args)
    print(f"\ndone in {time.monotonic() - started:.0f} s")
    from bench.common import record_outcome
    record_outcome("knowledge", {"sqlite": "ran"})  # one backend: see the docstring
    return status


if __name__ == "__main__":
    sys.exit(main())
