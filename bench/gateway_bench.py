#!/usr/bin/env python
"""Gateway vs direct nameko RPC vs raw AMQP (issue 2).

    .venv/bin/python bench/gateway_bench.py            (or: make bench)

For each backend (SQLite; PostgreSQL when one answers at TEST_POSTGRES_URL, else it says why it
was skipped) the whole system is started with `deploy/run.py up` on a fresh RabbitMQ vhost, a
temporary DATA_DIR and a free port (PostgreSQL: a fresh database per service and for the
gateway), a customer and --forms (50) forms are created through the API, and then, at 1 and 16
concurrent clients (threads; each client builds its connection before the clock starts, warms
up, waits on a barrier, then makes a fixed number of calls), we time one read:

  a  gateway HTTP   GET /api/v1/forms/{id}: requests.Session per thread (keep-alive)
                    -> waitress/Flask -> gateway.rpc.RpcClient (pika)
                    -> forms.get_form_detail(id, actor)
  b  direct RPC     the same forms.get_form_detail(id, actor), with the actor the gateway passes
                    for the bench's user (id, name, email, language, role, as /api/v1/me gives
                    them), through nameko's standalone ClusterRpcProxy, one proxy per thread
                    (plain threads, no eventlet: the proxy is synchronous and works unpatched as
                    long as no proxy is shared between threads)
  c  raw AMQP       the floor: publish + wait for the reply on the same vhost with pika, against
                    a tiny pika echo responder in a subprocess (no service code, no DB); the
                    request carries the same arguments (id, actor)
  d  RpcClient      (diagnostic) the gateway's own RpcClient called in-process, shared by the
                    threads as waitress' threads share it: separates HTTP/Flask from the RPC
                    client.  --no-diag leaves it out.

Before the clock starts, a and b must give the same answer for the first forms (the same
RPC with the same actor: the moves the actor's role may make are part of it), and that answer
must be the detail (assignees, work logs, parts, allowed transitions), so a gateway that read a
form some other way stops the run.

Latency = wall time of one call on the client (p50/p95 over every timed call); throughput =
timed calls / wall time from the barrier release to the last client's end.  a and b (the goal
paths) are run --rounds times (default 3), back to back and in alternating order (a b, b a, a b);
the table shows each path's median round (by throughput), and each goal ratio is the median of
the per-round ratios a_i / b_i: a and b of one round share the machine's state of that moment,
so one lucky or unlucky window on a shared machine does not decide a ratio.  The CPU time used
during each run by the client (this process), the gateway, the forms service, the echo responder
and the broker (the whole beam.smp: other vhosts' traffic counts too) is shown per call.

Goals (issue 2): gateway p50 / direct p50 at 1 client <= 1.5, and gateway throughput / direct
throughput at 16 clients >= 0.70.  Misses are printed as MISS; the exit status is 0 when every
measurement ran (1 on errors; with --strict also 2 on a miss).

Forms replicas (issue 23): `--replicas 1,2,3` (make bench) starts the PostgreSQL system once
per count N with REPLICAS="forms=N" (each process's metrics on a METRICS_BASE_PORT block); a-e
run in the first of them only (--only-replicas: not at all, nor SQLite). In each, after the
seeding and once the system is quiet, through the gateway:

  read      GET /api/v1/forms/{id} at 1 client, then c (the raw AMQP echo) at 1 client right
            after it, then GET at --clients
  create    POST /api/v1/forms (a valid body for a seeded device, 201 required) at 1 client and
            at --clients; afterwards every form answered 201 must be in forms' database once
            (a marker in its complaint), and nothing else

with calls/s, p50/p95 and the CPU ms per call of each process: the load generator (this
process), the gateway, each forms replica (with its children: the PDF renderers) and all of them
together, the broker (the whole beam.smp), and the rest of the system summed (the other
services, the supervisor). What a creation leaves behind (intake slips rendered later, the
events, the e-mails) is measured as "after": the CPU used from the end of the timed part until
the system is quiet (--settle-limit). Each replica's calls are read from its metrics
(servis_rpc_calls, warm-ups included) beside its share of the replicas' CPU: at --clients every
replica must have done work (PASS/MISS). Goal: gateway GET p50 / raw echo p50 at 1 client <= 4
for every N. A line per N side by side closes the report; on two cores the calls/s of more
replicas are bounded by the machine (everything shares two CPUs), so the CPU per call is the
figure that says what a replica costs. The replicas are a mode of this script, not a second
script, so that they reuse its clients, its clean-up and the same raw echo, and so that
bench-smoke exercises them in the PostgreSQL system it starts anyway (--replicas 2) rather
than starting more systems.

Everything started is stopped at the end, on errors and on Ctrl-C/SIGTERM too: `deploy/run.py
down`, the echo responder, the vhost, the PostgreSQL databases and the temporary DATA_DIR.
"""
import argparse
import contextlib
import ctypes
import json
import math
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

from bench.common import our_processes, record_outcome  # noqa: E402
from services.common.testing import free_port, free_port_block  # noqa: E402

GOAL_LATENCY = 1.5      # gateway p50 / direct p50 at 1 client: at most
GOAL_THROUGHPUT = 0.70  # gateway calls/s / direct calls/s at 16 clients: at least
CALL_TIMEOUT = 30.0
BARRIER_TIMEOUT = 180.0
RUN_TIMEOUT = 300.0  # one measurement's timed part takes ~5-30 s here; beyond this it is stuck
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVICE_DB_NAMES = ("forms", "devices", "notify", "gateway")
# what the gateway passes as the actor (gateway/api.py actor()), read from /api/v1/me
ACTOR_KEYS = ("id", "name", "email", "language", "role")
# what makes get_form_detail's answer more than get_form's
DETAIL_KEYS = ("assignees", "work_logs", "parts", "allowed_transitions")

GOAL_PATHS = ("gateway", "direct")  # repeated --rounds times; the others run once
PATHS = [  # key, label
    ("gateway", "a gateway HTTP"),
    ("direct", "b direct RPC (ClusterRpcProxy)"),
    ("raw", "c raw AMQP echo (pika)"),
    ("rpcclient", "d gateway RpcClient in-process"),
    ("echo", "e nameko echo service (no work)"),
]
# issue 23: forms' CPU per get_form_detail at most a trivial nameko service's per call + this
GOAL_SERVICE_CPU_MS = 1.0
# issue 23: gateway GET form p50 / raw AMQP echo p50 at 1 client, with 1, 2, 3 forms replicas
GOAL_RAW_RATIO = 4.0


class BenchError(Exception):
    pass


# -- raw AMQP: the echo responder (a subprocess) and its client ------------------------------

def echo_responder(amqp_uri, queue_name):
    """`gateway_bench.py --echo-responder URI QUEUE`: reply to every request with its body."""
    import pika
    params = pika.URLParameters(amqp_uri)
    params.heartbeat = 0
    connection = pika.BlockingConnection(params)
    channel = connection.channel()
    channel.queue_declare(queue_name, exclusive=True, auto_delete=True)  # gone when we are
    channel.basic_qos(prefetch_count=64)

    def on_request(ch, method, props, body):
        ch.basic_publish("", props.reply_to, body, pika.BasicProperties(
            correlation_id=props.correlation_id, content_type="application/json"))
        ch.basic_ack(method.delivery_tag)

    channel.basic_consume(queue_name, on_request)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    try:
        channel.start_consuming()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def _die_with_parent():
    """preexec_fn: the responder gets SIGTERM if the bench dies without cleaning up."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def running_echo_responder(amqp_uri):
    queue_name = f"bench-echo-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--echo-responder", amqp_uri, queue_name],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True, preexec_fn=_die_with_parent, start_new_session=True)
    try:
        line = [None]
        reader = threading.Thread(target=lambda: line.__setitem__(0, proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(30)
        if (line[0] or "").strip() != "ready":
            raise BenchError(f"the echo responder did not start: {proc.stderr.read()[-2000:]}"
                             if proc.poll() is not None else "the echo responder did not start")
        yield proc.pid, queue_name
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def running_nameko_echo(amqp_uri, data_dir):
    """bench/echo_service.py under services.common.run, as the services run; its pid."""
    config = os.path.join(data_dir, "bench-echo.yaml")
    with open(config, "w") as f:
        f.write("AMQP_URI: ${AMQP_URI}\nmax_workers: 10\nLOGGING:\n  version: 1\n"
                "  handlers: {console: {class: logging.StreamHandler}}\n"
                "  root: {level: WARNING, handlers: [console]}\n")  # as the services' own
    log = open(os.path.join(data_dir, "bench-echo.log"), "w+")  # not a pipe nobody reads
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.common.run", "--config", config, "bench.echo_service"],
        cwd=ROOT, env=dict(os.environ, AMQP_URI=amqp_uri), stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, text=True, preexec_fn=_die_with_parent, start_new_session=True)
    try:
        from nameko.standalone.rpc import ClusterRpcProxy
        deadline = time.monotonic() + 60
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=5) as proxy:
            while True:
                try:
                    proxy.bench_echo.echo(1)
                    break
                except Exception:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise BenchError("the nameko echo service did not start: "
                                         + (log.read()[-2000:] if proc.poll() is not None
                                            else "no answer in 60 s"))
                    time.sleep(0.5)
        yield proc.pid
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


class NamekoEchoClient:
    """path e: the echo service through the same standalone proxy as b, the same arguments."""

    def __init__(self, amqp_uri, actor):
        from nameko.standalone.rpc import ClusterRpcProxy
        self.actor = actor
        self.cm = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=CALL_TIMEOUT)
        self.proxy = self.cm.start()

    def call(self, form_id):
        return self.proxy.bench_echo.echo(form_id, self.actor)

    def close(self):
        self.cm.stop()


class RawClient:
    """publish to the echo queue, pump the connection until the reply with our id arrives."""

    def __init__(self, amqp_uri, queue_name, actor):
        import pika
        self.actor = actor
        self._props = pika.BasicProperties
        params = pika.URLParameters(amqp_uri)
        params.heartbeat = 0
        self.connection = pika.BlockingConnection(params)
        self.channel = self.connection.channel()
        self.reply_to = self.channel.queue_declare(
            "", exclusive=True, auto_delete=True).method.queue
        self.channel.basic_consume(self.reply_to, self._on_reply, auto_ack=True)
        self.queue_name = queue_name
        self.expected = self.reply = None

    def _on_reply(self, _ch, _method, props, body):
        if props.correlation_id == self.expected:
            self.reply = body

    def call(self, form_id):
        self.expected, self.reply = uuid.uuid4().hex, None
        body = json.dumps({"args": [form_id, self.actor], "kwargs": {}},
                          ensure_ascii=False).encode()
        self.channel.basic_publish("", self.queue_name, body, self._props(
            reply_to=self.reply_to, correlation_id=self.expected,
            content_type="application/json"))
        deadline = time.monotonic() + CALL_TIMEOUT
        while self.reply is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError("raw AMQP: no reply in time")
            self.connection.process_data_events(time_limit=left)
        return json.loads(self.reply)

    def close(self):
        self.connection.close()


# -- the other clients -----------------------------------------------------------------------

class HttpClient:
    def __init__(self, base_url, token):
        import requests
        self.session = requests.Session()  # keep-alive: one connection per client thread
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.url = f"{base_url}/api/v1/forms/"

    def call(self, form_id):
        r = self.session.get(self.url + str(form_id), timeout=CALL_TIMEOUT)
        if r.status_code != 200:
            raise BenchError(f"GET /api/v1/forms/{form_id}: HTTP {r.status_code} {r.text[:300]}")
        return r.json()

    def close(self):
        self.session.close()


class NamekoClient:
    """One standalone ClusterRpcProxy (its own connection and reply queue) per thread."""

    def __init__(self, amqp_uri, actor):
        from nameko.standalone.rpc import ClusterRpcProxy
        self.actor = actor
        self.cm = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=CALL_TIMEOUT)
        self.proxy = self.cm.start()

    def call(self, form_id):
        return self.proxy.forms.get_form_detail(form_id, self.actor)

    def close(self):
        self.cm.stop()


class SharedRpcClient:
    """The gateway's RpcClient, one instance shared by every thread (as in the gateway)."""

    def __init__(self, rpc, actor):
        self.rpc, self.actor = rpc, actor

    def call(self, form_id):
        return self.rpc.call("forms", "get_form_detail", form_id, self.actor)

    def close(self):
        pass


# -- measuring -------------------------------------------------------------------------------

def cpu_seconds(pid, children=False):
    """user+system CPU seconds of a process (all its threads), None when it is gone;
    `children`: with its waited-for children's too (cutime+cstime)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        if children:
            ticks += int(fields[13]) + int(fields[14])
        return ticks / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def cpu_of(what):
    """CPU seconds of a pid, or of a group of pids (a tuple: a process with its descendants,
    children's waited-for time included; a member that is gone counts 0), None when gone."""
    if isinstance(what, tuple):
        return sum(cpu_seconds(pid, children=True) or 0.0 for pid in what)
    return cpu_seconds(what)


def broker_pid():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "beam.smp":
                    return int(pid)
    return None


def percentile(sorted_values, q):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    k = math.ceil(q / 100 * len(sorted_values)) - 1
    return sorted_values[max(0, min(len(sorted_values) - 1, k))]


def measure(make_client, clients, calls, warmup, form_ids, watch):
    """Run `clients` threads doing `calls` timed calls each; return the figures.
    `watch`: {name: pid or tuple of pids (cpu_of)} whose CPU time is reported per call
    ("client" = this process)."""
    barrier = threading.Barrier(clients + 1)
    latencies = [None] * clients
    errors = []

    def worker(i):
        client = None
        try:
            client = make_client()  # created in its thread (pika/kombu: one thread each)
            n, offset = len(form_ids), i * 7
            for k in range(warmup):
                client.call(form_ids[(offset + k) % n])
            barrier.wait(BARRIER_TIMEOUT)
            mine = []
            clock = time.perf_counter
            for k in range(calls):
                form_id = form_ids[(offset + k) % n]
                t0 = clock()
                client.call(form_id)
                mine.append(clock() - t0)
            latencies[i] = mine
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:  # noqa: B902 - reported below, never swallowed
            errors.append(f"client {i}: {type(exc).__name__}: {exc}")
            barrier.abort()
        finally:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True, name=f"client-{i}")
               for i in range(clients)]
    for t in threads:
        t.start()
    try:
        barrier.wait(BARRIER_TIMEOUT)
    except threading.BrokenBarrierError:
        for t in threads:
            t.join(CALL_TIMEOUT)
        raise BenchError("; ".join(errors[:3]) or "clients did not get ready in time")
    cpu0 = {name: (time.process_time() if name == "client" else cpu_of(pid))
            for name, pid in watch.items()}
    t0 = time.perf_counter()
    deadline = time.monotonic() + RUN_TIMEOUT
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    wall = time.perf_counter() - t0
    if any(t.is_alive() for t in threads):
        raise BenchError(f"clients still running after {RUN_TIMEOUT:g} s: "
                         + ("; ".join(errors[:3]) or "stuck"))
    cpu1 = {name: (time.process_time() if name == "client" else cpu_of(pid))
            for name, pid in watch.items()}
    if errors:
        raise BenchError("; ".join(errors[:3]))
    values = sorted(v for mine in latencies for v in mine)
    cpu = {name: (cpu1[name] - cpu0[name]) / len(values) * 1000
           for name in watch if cpu0[name] is not None and cpu1[name] is not None}
    return {"clients": clients, "calls": len(values), "p50": percentile(values, 50) * 1000,
            "p95": percentile(values, 95) * 1000, "mean": statistics.fmean(values) * 1000,
            "throughput": len(values) / wall, "wall": wall, "cpu_ms_per_call": cpu}


# -- the system under test -------------------------------------------------------------------

def start_system(env, data_dir):
    print(f"  starting the system (deploy/run.py up, port {env['GATEWAY_PORT']}) ...", flush=True)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "deploy/run.py", "up"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, start_new_session=True)
    if proc.returncode != 0:
        logs = []
        logdir = os.path.join(data_dir, "logs")
        for name in sorted(os.listdir(logdir)) if os.path.isdir(logdir) else []:
            with open(os.path.join(logdir, name), errors="replace") as f:
                logs.append(f"--- {name} (tail)\n{f.read()[-1500:]}")
        raise BenchError(f"deploy/run.py up failed ({proc.returncode}):\n{proc.stdout}"
                         f"{proc.stderr}\n" + "\n".join(logs))
    print(f"  healthy after {time.monotonic() - t0:.1f} s", flush=True)
    with open(os.path.join(data_dir, "run", "servis.pids.json")) as f:
        return json.load(f)


def stop_system(env, data_dir):
    with contextlib.suppress(Exception):
        proc = subprocess.run([sys.executable, "deploy/run.py", "down"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=90,
                              start_new_session=True)
        print(f"  {proc.stdout.strip() or proc.stderr.strip()}", flush=True)
    leftovers = our_processes(data_dir)  # e.g. interrupted while `up` was starting them
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while leftovers and time.monotonic() < deadline:
        leftovers = [p for p in leftovers if os.path.exists(f"/proc/{p}")
                     and cpu_seconds(p) is not None and _not_zombie(p)]
        time.sleep(0.2)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _not_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def api(session, method, url, expect, **kwargs):
    r = session.request(method, url, timeout=CALL_TIMEOUT, **kwargs)
    if r.status_code != expect:
        raise BenchError(f"{method} {url}: HTTP {r.status_code} {r.text[:500]}")
    return r.json()


def seed(base_url, password, n_forms):
    import requests
    with requests.Session() as s:
        token = api(s, "POST", f"{base_url}/api/v1/auth/token", 200,
                    json={"username": "admin", "password": password})["access_token"]
        s.headers["Authorization"] = f"Bearer {token}"
        me = api(s, "GET", f"{base_url}/api/v1/me", 200)
        actor = {k: me[k] for k in ACTOR_KEYS}
        customer = api(s, "POST", f"{base_url}/api/v1/customers", 201, json={
            "name": "Bench Makine Ticaret A.Ş.", "rep_name": "Şükrü Öztürk",
            "rep_email": "rep@example.com"})
        tag = uuid.uuid4().hex[:6]
        ids = []
        for i in range(n_forms):
            form = api(s, "POST", f"{base_url}/api/v1/forms", 201, json={
                "customer_id": customer["id"],
                "device": {"brand": "Kyocera", "serial": f"BENCH-{tag}-{i:03d}",
                           "model": "TASKalfa 2554ci", "device_type": "printer"},
                "complaint": "Kâğıt sıkıştırıyor; ekranda hata kodu görünüyor."})
            ids.append(form["id"])
    return token, actor, ids


def differences(a, b, path=""):
    """Where two JSON answers differ, as short lines (the first few)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in the {'gateway' if k in a else 'direct'} answer"
               for k in sorted(a.keys() ^ b.keys(), key=str)]
        for k in a.keys() & b.keys():
            out += differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path or '.'}: gateway {a!r:.120} != direct {b!r:.120}"]


def check_same_answer(base_url, token, amqp_uri, actor, form_ids):
    """The timed paths give the same answer, and it is the form's detail."""
    via_http = HttpClient(base_url, token)
    via_rpc = NamekoClient(amqp_uri, actor)
    try:
        for form_id in form_ids:
            a, b = via_http.call(form_id), via_rpc.call(form_id)
            diff = differences(a, b)
            if diff:
                raise BenchError(f"GET /api/v1/forms/{form_id} and forms.get_form_detail("
                                 f"{form_id}, actor) disagree:\n  " + "\n  ".join(diff[:10]))
            missing = [k for k in DETAIL_KEYS if k not in a]
            if a.get("id") != form_id or missing:
                raise BenchError(f"form {form_id}: not the form's detail (id {a.get('id')}, "
                                 f"missing {missing})")
    finally:
        via_http.close()
        via_rpc.close()


def run_backend(backend, args, forms_replicas=None, paths=True):
    """({(path, clients): figures}, the replicas section's figures or None) of one system
    (REPLICAS="forms=<forms_replicas>" when given: then the replicas section runs too; `paths`:
    a-e run); whatever was started is stopped before it returns."""
    rows, section = {}, {}
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.ExitStack() as stack:  # unwinds with the signals ignored (see below)
            _measure_backend(backend, args, stack, rows, forms_replicas, paths, section)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return rows, (section if forms_replicas else None)


def _measure_backend(backend, args, stack, rows, forms_replicas=None, paths_too=True,
                     section=None):
    from gateway.rpc import RpcClient
    from services.common.testing import temporary_postgres_database, temporary_vhost

    try:
        amqp_uri = stack.enter_context(temporary_vhost(prefix="servis-bench"))
        data_dir = tempfile.mkdtemp(prefix=f"servis-bench-{backend}-")
        stack.callback(shutil.rmtree, data_dir, True)
        password = secrets.token_urlsafe(12)
        port = free_port()
        env = dict(os.environ, DATA_DIR=data_dir, GATEWAY_PORT=str(port), AMQP_URI=amqp_uri,
                   ADMIN_PASSWORD=password, HEALTH_WAIT="120")
        for var in ("SMTP_URL", "JWT_SECRET", "LOG_LEVEL", "REPLICAS", "METRICS_BASE_PORT"):
            env.pop(var, None)
        if forms_replicas:  # each replica's calls are read from its metrics port
            env["REPLICAS"] = f"forms={forms_replicas}"
            env["METRICS_BASE_PORT"] = str(free_port_block(len(SERVICE_DB_NAMES) + 16, 24100))
        for name in SERVICE_DB_NAMES:
            env.pop(f"{name.upper()}_DATABASE_URL", None)
            if backend == "postgresql":
                env[f"{name.upper()}_DATABASE_URL"] = stack.enter_context(
                    temporary_postgres_database(f"servis_bench_{name}"))
        stack.callback(stop_system, env, data_dir)  # runs before the databases are dropped
        pids = start_system(env, data_dir)
        base_url = f"http://127.0.0.1:{port}"

        t0 = time.monotonic()
        token, actor, form_ids = seed(base_url, password, args.forms)
        print(f"  created 1 customer and {len(form_ids)} forms through the API in "
              f"{time.monotonic() - t0:.1f} s", flush=True)
        time.sleep(args.settle)  # let the outbox / notify work the new forms off

        check_same_answer(base_url, token, amqp_uri, actor, form_ids[:3])

        responder_pid, echo_queue = stack.enter_context(running_echo_responder(amqp_uri))
        if forms_replicas:
            measure_replicas(args, env, pids, base_url, token, form_ids, responder_pid,
                             echo_queue, actor, forms_replicas, section)
        if not paths_too:
            return
        # a-e: the forms process is all its replicas (and their children) together
        forms_pids = tuple(pid for name, pid in pids.items() if is_forms(name))
        forms_watch = forms_pids if len(forms_pids) > 1 else pids["forms"]
        nameko_echo_pid = stack.enter_context(running_nameko_echo(amqp_uri, data_dir))
        rpc_client = RpcClient(amqp_uri, timeout=CALL_TIMEOUT, pool_size=32)
        stack.callback(rpc_client.close)

        factories = {
            "gateway": lambda: HttpClient(base_url, token),
            "direct": lambda: NamekoClient(amqp_uri, actor),
            "raw": lambda: RawClient(amqp_uri, echo_queue, actor),
            "rpcclient": lambda: SharedRpcClient(rpc_client, actor),
            "echo": lambda: NamekoEchoClient(amqp_uri, actor),
        }
        paths = [p for p, _ in PATHS if p != "rpcclient" or not args.no_diag]
        broker = broker_pid()
        levels = [(1, args.calls_1, args.warmup_1), (args.clients, args.calls_n, args.warmup_n)]
        for clients, calls, warmup in levels:
            for rnd in range(1, args.rounds + 1):
                order = paths if rnd == 1 else [p for p in paths if p in GOAL_PATHS]
                if rnd % 2 == 0:  # a b, b a, a b, ...: neither path always goes first
                    order = [p for p in GOAL_PATHS if p in order][::-1]
                for path in order:
                    watch = {"client": os.getpid()}
                    if path == "raw":
                        watch["echo"] = responder_pid
                    elif path == "echo":
                        watch["necho"] = nameko_echo_pid
                    else:
                        if path == "gateway":
                            watch["gateway"] = pids["gateway"]
                        watch["forms"] = forms_watch
                    if broker:
                        watch["broker"] = broker
                    r = measure(factories[path], clients, calls, warmup, form_ids, watch)
                    cpu = " ".join(f"{k} {v:.2f}" for k, v in r["cpu_ms_per_call"].items())
                    print(f"    {clients:>2} client(s) round {rnd} {path:<9}  p50 "
                          f"{r['p50']:6.2f} ms  p95 {r['p95']:6.2f} ms  {r['throughput']:7.0f}/s"
                          f"   cpu ms/call: {cpu}", flush=True)
                    rows.setdefault((path, clients), []).append(r)
    finally:  # a second Ctrl-C or SIGTERM must not cut the (bounded) clean-up short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("  stopping ...", flush=True)


# -- issue 23: forms replicas ---------------------------------------------------------------

def is_forms(name):
    return name == "forms" or name.startswith("forms-")


def replica_order(name):
    return 1 if name == "forms" else int(name.rsplit("-", 1)[1])


def process_groups(data_dir, pids):
    """{group: pids}: "gateway" and each forms replica ("forms", "forms-2", ...), each with its
    descendants (forms' PDF renderers), "rest": every other process of this system (the
    other services, their children, the supervisor), and "pdf": the forms replicas'
    descendants alone (their PDF renderers: counted in their replica's group too)."""
    ppid = {}
    for pid in our_processes(data_dir):
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{pid}/stat") as f:
                ppid[pid] = int(f.read().rsplit(")", 1)[1].split()[1])
    tops = {pid: name for name, pid in pids.items() if name == "gateway" or is_forms(name)}
    groups = {name: [] for name in tops.values()}
    groups["rest"] = []
    for pid in ppid:
        up, hops = pid, 0
        while up not in tops and up in ppid and hops < 64:
            up, hops = ppid[up], hops + 1
        groups[tops.get(up, "rest")].append(pid)
    groups["pdf"] = [pid for name, members in groups.items() if is_forms(name)
                     for pid in members if pid not in tops]
    return {name: tuple(members) for name, members in groups.items()}


def rpc_calls(ports, method):
    """{replica: calls of forms.`method` it has answered (any outcome)} from each replica's
    metrics port (servis_rpc_calls); None for a replica whose port does not answer."""
    import urllib.request
    out = {}
    for name, port in ports.items():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                text = r.read().decode()
            out[name] = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                            if line.startswith("servis_rpc_calls_total{")
                            and f'method="{method}"' in line and 'service="forms"' in line)
        except (OSError, ValueError, IndexError):
            out[name] = None
    return out


class CreateClient:
    """POST /api/v1/forms: a new form for one of the seeded devices each call (a valid body,
    answered 201); each form made is kept as (marker in its complaint, id) in `created`."""

    def __init__(self, base_url, token, customer_id, tag, created):
        import requests
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.url = f"{base_url}/api/v1/forms"
        self.customer_id, self.tag, self.created = customer_id, tag, created

    def call(self, device_id):
        marker = f"{self.tag}-{uuid.uuid4().hex[:12]}"
        r = self.session.post(self.url, timeout=CALL_TIMEOUT, json={
            "customer_id": self.customer_id, "device_id": device_id,
            "complaint": f"Kâğıt sıkıştırıyor; ekranda hata kodu görünüyor ({marker})."})
        if r.status_code != 201:
            raise BenchError(f"POST /api/v1/forms: HTTP {r.status_code} {r.text[:300]}")
        self.created.append((marker, r.json()["id"]))  # list.append: safe across threads

    def close(self):
        self.session.close()


def check_created(db_url, tag, created):
    """Every form answered 201 is in forms' database once, and nothing else carries the tag;
    the count."""
    import re
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, complaint FROM forms WHERE complaint LIKE :p"),
                                {"p": f"%({tag}-%"}).all()
    finally:
        engine.dispose()
    found = re.compile(re.escape(tag) + r"-[0-9a-f]{12}")
    in_db = {}
    for form_id, complaint in rows:
        in_db.setdefault(found.search(complaint).group(0), []).append(form_id)
    answered = dict(created)
    problems = []
    if len(answered) != len(created) or len({i for _, i in created}) != len(created):
        problems.append("a marker or an id answered twice")
    twice = {m: ids for m, ids in in_db.items() if len(ids) > 1}
    if twice:
        problems.append(f"{len(twice)} form(s) saved more than once, e.g. {next(iter(twice))}")
    missing = [m for m in answered if m not in in_db]
    if missing:
        problems.append(f"{len(missing)} form(s) answered 201 but not in the database")
    unknown = [m for m in in_db if m not in answered]
    if unknown:
        problems.append(f"{len(unknown)} form(s) in the database that no 201 answered")
    wrong = [m for m, ids in in_db.items() if m in answered and ids != [answered[m]]]
    if wrong:
        problems.append(f"{len(wrong)} form(s) saved under another id than answered")
    if problems:
        raise BenchError("form creation: " + "; ".join(problems))
    return len(rows)


def settle(watch, limit, quiet=0.05, step=0.5):
    """Wait until the watched processes together use less than `quiet` s of CPU per `step` s
    (at most `limit` s): the work a timed part left behind (the outbox's events, notify's
    e-mails, intake slips rendered after the call); ({name: CPU s in that time}, s waited,
    whether it went quiet: False when cut at `limit`)."""
    names = [n for n in watch if n != "client"]
    start = {n: cpu_of(watch[n]) for n in names}
    t0, last_total, went_quiet = time.monotonic(), None, False
    while time.monotonic() - t0 < limit:
        time.sleep(step)
        total = sum(cpu_of(watch[n]) or 0.0 for n in names)
        if last_total is not None and total - last_total < quiet:
            went_quiet = True
            break
        last_total = total
    return ({n: (cpu_of(watch[n]) or 0.0) - (start[n] or 0.0) for n in names},
            time.monotonic() - t0, went_quiet)


def measure_replicas(args, env, pids, base_url, token, form_ids, responder_pid, echo_queue,
                     actor, n, section):
    """Issue 23 in one system with `n` forms replicas: reads (GET /api/v1/forms/{id}) at 1
    client, the raw AMQP echo at 1 client right after them, reads at --clients, then creations
    (POST /api/v1/forms) at 1 and at --clients, each followed by the work it left behind
    (settle); each replica's calls from its metrics; the created forms checked in the
    database. Fills `section`."""
    import requests
    from deploy.processes import metrics_ports
    with requests.Session() as s:
        health = api(s, "GET", f"{base_url}/api/v1/health", 200)
        consumers = health["services"]["forms"].get("consumers")
        if consumers != n:
            raise BenchError(f"REPLICAS=forms={n}: health counts {consumers} consumer(s) of "
                             f"forms' calls")
        s.headers["Authorization"] = f"Bearer {token}"
        seeded = [api(s, "GET", f"{base_url}/api/v1/forms/{i}", 200) for i in form_ids[:20]]
    customer_id = seeded[0]["customer_id"]
    device_ids = sorted({f["device_id"] for f in seeded})
    groups = process_groups(env["DATA_DIR"], pids)
    replicas = sorted((g for g in groups if is_forms(g)), key=replica_order)
    if len(replicas) != n:
        raise BenchError(f"REPLICAS=forms={n}: {len(replicas)} forms process(es) running")
    ports = {name: port for name, port in metrics_ports(env).items() if is_forms(name)}
    broker = broker_pid()
    watch = {"client": os.getpid(), "gateway": groups["gateway"],
             **{r: groups[r] for r in replicas}, "pdf": groups["pdf"], "rest": groups["rest"]}
    if broker:
        watch["broker"] = broker
    tag = f"RB{uuid.uuid4().hex[:8]}"
    created = []
    _, waited, went_quiet = settle(watch, args.settle_limit)  # the seeding's slips, e-mails
    print(f"    forms={n}: {'quiet' if went_quiet else 'still busy'} after {waited:.1f} s",
          flush=True)
    section.update(n=n, replicas=replicas, runs={})

    def show(label, clients, r):
        cpu = " ".join(f"{k} {v:.2f}" for k, v in r["cpu_ms_per_call"].items())
        served = r.get("served") or {}
        calls = (" served: " + " ".join(f"{k} {'-' if v is None else f'{v:.0f}'}"
                                        for k, v in served.items())) if served else ""
        print(f"    forms={n} {clients:>2} client(s) {label:<7} p50 {r['p50']:6.2f} ms  p95 "
              f"{r['p95']:6.2f} ms  {r['throughput']:7.0f}/s   cpu ms/call: {cpu}{calls}",
              flush=True)

    def run(op, clients, calls, warmup, factory, items, method):
        before = rpc_calls(ports, method)
        r = measure(factory, clients, calls, warmup, items, watch)
        after = rpc_calls(ports, method)
        r["served"] = {k: None if before.get(k) is None or after.get(k) is None
                       else after[k] - before[k] for k in replicas}  # warm-up included
        if op == "create":
            left, waited, went_quiet = settle(watch, args.settle_limit)
            r["after_ms_per_call"] = {k: v / r["calls"] * 1000 for k, v in left.items()}
            r["after_s"], r["after_quiet"] = waited, went_quiet
        section["runs"][(op, clients)] = r
        show(op, clients, r)
        return r

    run("read", 1, args.calls_1, args.warmup_1, lambda: HttpClient(base_url, token), form_ids,
        "get_form_detail")
    raw_watch = {"client": os.getpid(), "echo": responder_pid}
    if broker:
        raw_watch["broker"] = broker
    raw = measure(lambda: RawClient(env["AMQP_URI"], echo_queue, actor), 1, args.calls_1,
                  args.warmup_1, form_ids, raw_watch)
    section["runs"][("raw", 1)] = raw
    show("raw", 1, raw)
    run("read", args.clients, args.calls_n, args.warmup_n, lambda: HttpClient(base_url, token),
        form_ids, "get_form_detail")
    make_creator = lambda: CreateClient(base_url, token, customer_id, tag, created)  # noqa: E731
    run("create", 1, args.creates_1, args.warmup_create, make_creator, device_ids,
        "create_form")
    run("create", args.clients, args.creates_n, 1, make_creator, device_ids, "create_form")
    section["created"] = check_created(env["FORMS_DATABASE_URL"], tag, created)
    print(f"    forms={n}: {section['created']} forms created (warm-up included), each in "
          f"forms' database once", flush=True)


def shares(r, replicas):
    """Each replica's share of the forms replicas' CPU in a run, and of the calls served."""
    cpu = [r["cpu_ms_per_call"].get(k, 0.0) for k in replicas]
    served = [(r.get("served") or {}).get(k) for k in replicas]
    total_cpu = sum(cpu)
    total_served = sum(v for v in served if v is not None)
    return [(k, c / total_cpu if total_cpu else 0.0, c,
             None if v is None or not total_served else v / total_served, v)
            for k, c, v in zip(replicas, cpu, served)]


def report_replicas(sections, args):
    """A table per replica count, the goal lines, and one line per count side by side."""
    misses = 0
    out = []
    for sec in sections:
        n, replicas, runs = sec["n"], sec["replicas"], sec["runs"]
        # each replica as forms-1, forms-2, ... (the first process is called "forms"); "forms":
        # all of them together (the raw echo's row: the pika responder)
        shown = {k: f"forms-{replica_order(k)}" for k in replicas} if n > 1 else {}
        cols = ["client", "gateway", *shown.values(), "forms", "pdf", "broker", "rest"]
        out += [f"\n=== postgresql, {n} forms replica(s) (issue 23): CPU ms per call of each "
                f"process ===",
                f"{'':<10}{'clients':>8}{'calls':>7}{'p50 ms':>8}{'p95 ms':>8}{'calls/s':>8}"
                + "".join(f"{c:>9}" for c in cols)]
        for (op, clients), r in runs.items():
            cpu = {shown.get(k, k): v for k, v in r["cpu_ms_per_call"].items()}
            if op != "raw":
                cpu["forms"] = sum(r["cpu_ms_per_call"].get(k, 0.0) for k in replicas)
            else:
                cpu["forms"] = cpu.pop("echo", None)
            cells = "".join(f"{cpu[c]:>9.2f}" if cpu.get(c) is not None else f"{'-':>9}"
                            for c in cols)
            label = {"raw": "raw echo"}.get(op, op)
            out.append(f"{label:<10}{clients:>8}{r['calls']:>7}{r['p50']:>8.2f}{r['p95']:>8.2f}"
                       f"{r['throughput']:>8.0f}{cells}")
            if "after_ms_per_call" in r:
                after = {shown.get(k, k): v for k, v in r["after_ms_per_call"].items()}
                after["forms"] = sum(r["after_ms_per_call"].get(k, 0.0) for k in replicas)
                cells = "".join(f"{after[c]:>9.2f}" if after.get(c) is not None else f"{'':>9}"
                                for c in cols)
                out.append(f"{'  after':<10}{'':>8}{'':>7}{'':>8}{'':>7}"
                           f"{r['after_s']:>7.1f}s{' ' if r['after_quiet'] else '*'}{cells}")
        out.append("(forms = the forms replicas together, each with its PDF renderers (the raw "
                   "echo's row: the pika responder); pdf = the part of forms that is its PDF "
                   "renderer processes; rest = every other process of the system; "
                   "broker = the whole RabbitMQ node, shared; after = CPU per creation in the "
                   "seconds after the timed part until the system was quiet: what a creation "
                   "left behind, e.g. intake slips rendered later, the events' e-mails; "
                   "* = still busy when cut at --settle-limit: a lower bound)")
        read1, raw1 = runs.get(("read", 1)), runs.get(("raw", 1))
        if read1 and raw1:
            ratio = read1["p50"] / raw1["p50"]
            ok = ratio <= GOAL_RAW_RATIO
            misses += not ok
            sec["ratio"] = ratio
            out.append(f"forms={n}: gateway GET form p50 / raw AMQP echo p50 at 1 client:  "
                       f"{read1['p50']:.2f} / {raw1['p50']:.2f} ms = {ratio:.2f}  (goal <= "
                       f"{GOAL_RAW_RATIO:g})  {'PASS' if ok else 'MISS'}")
        if n > 1:
            for op in ("read", "create"):
                r = runs.get((op, args.clients))
                if not r:
                    continue
                each = shares(r, replicas)
                ok = all(c > 0 and (v is None or v > 0) for _, _, c, _, v in each)
                misses += not ok
                parts = ", ".join(
                    f"forms-{replica_order(k)} {cs:.0%} of CPU"
                    + ("" if v is None else f", {v:.0f} calls ({vs:.0%})")
                    for k, cs, _c, vs, v in each)
                out.append(f"forms={n}: {op}s at {args.clients} clients shared: {parts}  "
                           f"{'PASS' if ok else 'MISS'} (each replica did work)")
    if len(sections) > 1:
        out += ["\n=== postgresql: 1 vs more forms replicas (issue 23; two cores bound it) ===",
                f"{'forms':>5}{'read/s 1':>10}{'read/s ' + str(args.clients):>11}"
                f"{'create/s 1':>11}{'create/s ' + str(args.clients):>12}{'done/s':>8}"
                f"{'forms ms/read':>14}{'forms ms/create':>16}{'GET/raw p50':>12}"]
        for sec in sections:
            runs, replicas = sec["runs"], sec["replicas"]

            def f(op, clients, key="throughput"):
                r = runs.get((op, clients))
                return r[key] if r else float("nan")

            def done_rate():  # creations / (timed part + until what they left is done)
                r = runs.get(("create", args.clients))
                return r["calls"] / (r["wall"] + r["after_s"]) if r else float("nan")

            def forms_ms(op):
                r = runs.get((op, args.clients))
                return sum(r["cpu_ms_per_call"].get(k, 0.0) for k in replicas) if r else \
                    float("nan")
            out.append(f"{sec['n']:>5}{f('read', 1):>10.0f}{f('read', args.clients):>11.0f}"
                       f"{f('create', 1):>11.1f}{f('create', args.clients):>12.1f}"
                       f"{done_rate():>8.1f}{forms_ms('read'):>14.2f}{forms_ms('create'):>16.2f}"
                       f"{sec.get('ratio', float('nan')):>12.2f}")
        out.append(f"(at {args.clients} clients; done/s: creations per second until what "
                   f"they left behind was done too (the timed part and 'after'); forms ms/...: "
                   f"the forms replicas' CPU per call together, 'after' not included)")
    print("\n".join(out), flush=True)
    return misses


# -- report ----------------------------------------------------------------------------------

def median_round(runs):
    """The median run by throughput (the lower median for an even count)."""
    return sorted(runs, key=lambda r: r["throughput"])[(len(runs) - 1) // 2]


def paired(rows, clients, key):
    """Per-round gateway/direct ratios of `key`, rounds paired in the order they ran."""
    gw, direct = rows.get(("gateway", clients), []), rows.get(("direct", clients), [])
    return [g[key] / d[key] for g, d in zip(gw, direct)]


def ratios(rows, clients_n):
    """(latency ratio, throughput ratio): medians of the per-round ratios, None if missing."""
    lat, thr = paired(rows, 1, "p50"), paired(rows, clients_n, "throughput")
    return (statistics.median(lat) if lat else None, statistics.median(thr) if thr else None)


def service_cpu_extra(rows):
    """What a get_form_detail costs the forms process beyond what a call costs a service that
    does nothing (ms of CPU per call, 1 client: b's median round against e), or None."""
    direct, echo = rows.get(("direct", 1)), rows.get(("echo", 1))
    if not direct or not echo:
        return None
    forms = median_round(direct)["cpu_ms_per_call"].get("forms")
    nothing = median_round(echo)["cpu_ms_per_call"].get("necho")
    return None if forms is None or nothing is None else forms - nothing


def report(backend, rows, args):
    misses = 0
    out = [f"\n=== {backend}: a and b: the median of {args.rounds} round(s) ===",
           f"{'':<70}{'CPU ms per call':-^31}",
           f"{'path':<34}{'clients':>8}{'calls':>7}{'p50 ms':>7}{'p95 ms':>7}{'calls/s':>8}"
           f"{'client':>7}{'gateway':>8}{'service':>8}{'broker':>8}"]
    for clients in (1, args.clients):
        for path, label in PATHS:
            runs = rows.get((path, clients))
            if runs:
                r = median_round(runs)
                cpu = r["cpu_ms_per_call"]
                cols = "".join(f"{cpu[k]:>{w}.2f}" if k in cpu else f"{'-':>{w}}" for k, w in (
                    ("client", 7), ("gateway", 8),
                    ({"raw": "echo", "echo": "necho"}.get(path, "forms"), 8),
                    ("broker", 8)))
                out.append(f"{label:<34}{clients:>8}{r['calls']:>7}{r['p50']:>7.2f}"
                           f"{r['p95']:>7.2f}{r['throughput']:>8.0f}{cols}")
    out.append("(service = the forms service, the echo responder for c, the nameko echo "
               "service for e; broker = the whole RabbitMQ node, shared)")
    extra = service_cpu_extra(rows)
    if extra is not None:
        ok = extra <= GOAL_SERVICE_CPU_MS
        misses += not ok
        out.append(f"forms CPU per get_form_detail - nameko echo CPU per call (1 client):  "
                   f"{extra:.2f} ms  (goal <= {GOAL_SERVICE_CPU_MS:g})  "
                   f"{'PASS' if ok else 'MISS'}")
    lat, thr = ratios(rows, args.clients)
    if lat is not None:
        ok = lat <= GOAL_LATENCY
        misses += not ok
        each = ", ".join(f"{x:.2f}" for x in paired(rows, 1, "p50"))
        out.append(f"gateway p50 / direct-RPC p50 at 1 client:  {lat:.2f}  (goal <= "
                   f"{GOAL_LATENCY})  {'PASS' if ok else 'MISS'}   [rounds: {each}]")
    if thr is not None:
        ok = thr >= GOAL_THROUGHPUT
        misses += not ok
        each = ", ".join(f"{x:.2f}" for x in paired(rows, args.clients, "throughput"))
        out.append(f"gateway calls/s / direct-RPC calls/s at {args.clients} clients:  {thr:.2f}  "
                   f"(goal >= {GOAL_THROUGHPUT})  {'PASS' if ok else 'MISS'}   [rounds: {each}]")
    print("\n".join(out), flush=True)
    return misses


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), platform.processor() or "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo")
                if line.startswith("MemTotal")), 0)
    return (f"{os.cpu_count()} CPUs ({model}), {mem / 1024 / 1024:.1f} GiB RAM, "
            f"Python {platform.python_version()}, load average "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--forms", type=int, default=50, help="forms created (default 50)")
    p.add_argument("--clients", type=int, default=16, help="the concurrent level (default 16)")
    p.add_argument("--calls-1", type=int, default=600, help="timed calls at 1 client")
    p.add_argument("--calls-n", type=int, default=80, help="timed calls per client at --clients")
    p.add_argument("--warmup-1", type=int, default=100, help="warm-up calls at 1 client")
    p.add_argument("--warmup-n", type=int, default=10, help="warm-up calls per client")
    p.add_argument("--rounds", type=int, default=3,
                   help="rounds of a and b (paired; ratios are the median); c and d run once")
    p.add_argument("--settle", type=float, default=3.0, help="pause after seeding (s)")
    p.add_argument("--no-diag", action="store_true", help="skip d (RpcClient in-process)")
    p.add_argument("--replicas", default="",
                   help="issue 23: forms replica counts on PostgreSQL, e.g. 1,2,3: a system "
                        "per count, each measuring reads, creations and the raw echo; a-e "
                        "run in the first one only (default: none, one forms process)")
    p.add_argument("--only-replicas", action="store_true",
                   help="with --replicas: leave a-e out (PostgreSQL's replicas section only)")
    p.add_argument("--creates-1", type=int, default=100, help="timed creations at 1 client")
    p.add_argument("--creates-n", type=int, default=6,
                   help="timed creations per client at --clients")
    p.add_argument("--warmup-create", type=int, default=3,
                   help="warm-up creations at 1 client (1 per client at --clients)")
    p.add_argument("--settle-limit", type=float, default=120.0,
                   help="after creations: wait at most this long for the system to go quiet")
    p.add_argument("--strict", action="store_true", help="exit 2 when a goal is missed")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        args.replica_counts = [int(x) for x in args.replicas.replace(" ", "").split(",") if x]
    except ValueError:
        args.replica_counts = [0]
    if any(not 1 <= n <= 16 for n in args.replica_counts):
        print(f"--replicas {args.replicas!r}: counts of 1..16, e.g. 1,2,3", file=sys.stderr)
        return 1

    def on_sigterm(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_sigterm)
    # the direct path should not queue on kombu's producer pool (10 per process by default)
    import kombu.pools
    kombu.pools.set_limit(max(64, 2 * args.clients))
    # Import nameko's proxy (and so eventlet) here, before any thread exists: eventlet imported
    # for the first time from a worker thread leaves a thread that join() never sees end
    # (eventlet/eventlet#230; reproduced here with eventlet 0.41.3).
    import nameko.standalone.rpc  # noqa: F401

    from services.common.testing import postgres_available
    started = time.monotonic()
    print(f"Gateway vs direct RPC vs raw AMQP (issue 2)\n"
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; {machine()}", flush=True)
    status, misses, summary, outcome = 0, 0, [], {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        print(f"\n--- backend: {backend}", flush=True)
        if backend == "postgresql":
            ok, why = postgres_available()
            why = " ".join(why.split())
            if not ok:
                print(f"  SKIPPED: {why}", flush=True)
                summary.append(f"{backend}: skipped ({why})")
                outcome[backend] = f"skipped: {why}"
                continue
        if args.only_replicas and (backend != "postgresql" or not args.replica_counts):
            print("  SKIPPED: --only-replicas (replicas run on PostgreSQL)", flush=True)
            outcome[backend] = "skipped: --only-replicas"
            continue
        # (forms replicas or None, whether a-e run) of each system started on this backend
        counts = args.replica_counts if backend == "postgresql" else []
        systems = [(n, i == 0 and not args.only_replicas) for i, n in enumerate(counts)]
        rows, sections = {}, []
        try:
            for n, paths in systems or [(None, True)]:
                if n:
                    print(f"  -- {n} forms replica(s)" + (" (and a-e)" if paths else ""),
                          flush=True)
                got, section = run_backend(backend, args, n, paths)
                rows.update(got)
                if section is not None:
                    sections.append(section)
        except KeyboardInterrupt:
            print("\nInterrupted; everything started was stopped.", file=sys.stderr)
            return 130
        except Exception as exc:
            traceback.print_exc()
            if sections:  # the replica counts measured before it
                report_replicas(sections, args)
            print(f"  {backend}: FAILED: {exc}", flush=True)
            summary.append(f"{backend}: FAILED ({type(exc).__name__})")
            outcome[backend] = f"failed: {type(exc).__name__}: {exc}"[:500]
            status = 1
            continue
        said = []
        if any(paths for _, paths in systems or [(None, True)]):
            misses += report(backend, rows, args)
            lat, thr = ratios(rows, args.clients)
            if lat is None or thr is None:
                summary.append(f"{backend}: incomplete")
                outcome[backend] = "failed: a goal path has no figures"
                status = 1
                continue
            said.append(f"latency ratio {lat:.2f} {'PASS' if lat <= GOAL_LATENCY else 'MISS'}, "
                        f"throughput ratio {thr:.2f} "
                        f"{'PASS' if thr >= GOAL_THROUGHPUT else 'MISS'}")
        if sections:
            misses += report_replicas(sections, args)
            if any("ratio" not in sec for sec in sections):
                summary.append(f"{backend}: replicas incomplete")
                outcome[backend] = "failed: a replica count has no GET/raw ratio"
                status = 1
                continue
            said.append("GET/raw p50 with " + ", ".join(
                f"{sec['n']} forms: {sec['ratio']:.2f} "
                f"{'PASS' if sec['ratio'] <= GOAL_RAW_RATIO else 'MISS'}" for sec in sections))
        outcome[backend] = "ran"
        summary.append(f"{backend}: " + "; ".join(said))
    print(f"\nSummary ({time.monotonic() - started:.0f} s): " + "; ".join(summary))
    if misses:
        print(f"{misses} goal(s) MISSED.")
    if status == 0 and misses and args.strict:
        status = 2
    record_outcome("gateway", outcome)
    return status


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--echo-responder":
        echo_responder(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit(main())
