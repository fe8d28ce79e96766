"""Test plumbing shared by every suite: a throw-away RabbitMQ vhost and throw-away databases.

Each test run gets its own vhost (created with `rabbitmqctl` as root, else through the
management API when it is enabled), so two runs on one broker never see each other's messages.
"""
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from base64 import b64encode
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _split(amqp_uri):
    u = urllib.parse.urlsplit(amqp_uri)
    return u


def amqp_uri_for_vhost(base_uri, vhost):
    u = _split(base_uri)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + urllib.parse.quote(vhost, safe=""), "", ""))


def _mgmt(method, path, base_uri, body=None):
    u = _split(base_uri)
    port = int(os.environ.get("RABBITMQ_MGMT_PORT", "15672"))
    req = urllib.request.Request(
        f"http://{u.hostname}:{port}/api/{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"content-type": "application/json",
                 "authorization": "Basic " + b64encode(
                     f"{u.username or 'guest'}:{u.password or 'guest'}".encode()).decode()})
    urllib.request.urlopen(req, timeout=10).read()


def _rabbitmqctl(*args):
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([ctl, *args], check=True, capture_output=True, timeout=60)


def create_vhost(base_uri, vhost):
    user = _split(base_uri).username or "guest"
    errors = []
    try:
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        return
    except Exception as exc:  # not root, or no rabbitmqctl: try the management API
        errors.append(f"rabbitmqctl: {exc}")
    try:
        q = urllib.parse.quote(vhost, safe="")
        _mgmt("PUT", f"vhosts/{q}", base_uri, {})
        _mgmt("PUT", f"permissions/{q}/{user}", base_uri,
              {"configure": ".*", "write": ".*", "read": ".*"})
        return
    except Exception as exc:
        errors.append(f"management API: {exc}")
    raise RuntimeError(
        "cannot create a RabbitMQ vhost for the tests (" + "; ".join(errors) + "). Run the tests "
        "as root with rabbitmqctl on PATH, or enable the management plugin "
        "(rabbitmq-plugins enable rabbitmq_management).")


def delete_vhost(base_uri, vhost):
    try:
        _rabbitmqctl("delete_vhost", vhost)
        return
    except Exception:
        pass
    try:
        _mgmt("DELETE", f"vhosts/{urllib.parse.quote(vhost, safe='')}", base_uri)
    except Exception:
        pass


@contextmanager
def temporary_vhost(base_uri=None, prefix="servis-test"):
    """Yield an AMQP URI on a fresh vhost; the vhost is deleted afterwards."""
    base_uri = base_uri or os.environ.get("AMQP_URI", DEFAULT_AMQP)
    vhost = f"{prefix}-{uuid.uuid4().hex[:10]}"
    create_vhost(base_uri, vhost)
    try:
        yield amqp_uri_for_vhost(base_uri, vhost)
    finally:
        delete_vhost(base_uri, vhost)


def postgres_admin_url():
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG)


def postgres_available():
    """(True, '') when a PostgreSQL answers at TEST_POSTGRES_URL, else (False, reason)."""
    try:
        import psycopg2
        conn = psycopg2.connect(postgres_admin_url(), connect_timeout=3)
        conn.close()
        return True, ""
    except Exception as exc:
        return False, f"no PostgreSQL answers at {postgres_admin_url()}: {str(exc).strip()}"


@contextmanager
def temporary_postgres_database(prefix="servis_test"):
    """Create a fresh database on the test PostgreSQL server; yield its SQLAlchemy URL."""
    import psycopg2
    admin = postgres_admin_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(admin, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    u = urllib.parse.urlsplit(admin)
    url = urllib.parse.urlunsplit(("postgresql+psycopg2", u.netloc, "/" + name, u.query, ""))
    try:
        yield url
    finally:
        conn = psycopg2.connect(admin, connect_timeout=5)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_block(size=16, start=23100):
    """A base port with `size` free ports from it (METRICS_BASE_PORT: the processes' metrics
    ports); `start`: where to look first (a test and a benchmark look in different places)."""
    import socket
    for base in range(start, 60000, 97):
        sockets = []
        try:
            for port in range(base, base + size):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError(f"no {size} free ports in a row from {start}")


class SmtpSink:
    """A real SMTP server (aiosmtpd) in a child process; messages land in `directory`."""

    def __init__(self, directory):
        import sys
        self.directory = str(directory)
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.common.smtp_sink", "--port", str(self.port),
             "--dir", self.directory], cwd=ROOT, stdout=subprocess.PIPE)
        if self.proc.stdout.readline().strip() != b"ready":
            raise RuntimeError("the test SMTP server did not start")

    def refuse(self, reply="451 4.3.0 Try again later"):
        """Refuse every message with `reply` until allow()."""
        with open(os.path.join(self.directory, "REFUSE"), "w") as f:
            f.write(reply)

    def allow(self):
        os.remove(os.path.join(self.directory, "REFUSE"))

    def accepted(self):
        """[(unix time, Message-ID)] of every accepted message, in order."""
        try:
            with open(os.path.join(self.directory, "accepted.log")) as f:
                return [(float(t), mid) for t, mid in (line.split() for line in f)]
        except FileNotFoundError:
            return []

    def messages(self):
        """The accepted messages so far, parsed."""
        import email
        from email import policy
        names = sorted(n for n in os.listdir(self.directory) if n.endswith(".eml"))
        out = []
        for name in names:
            with open(os.path.join(self.directory, name), "rb") as f:
                out.append(email.message_from_binary_file(f, policy=policy.default))
        return out

    def wait_for(self, count, timeout=20):
        """At least `count` messages, or AssertionError after `timeout` seconds."""
        import time
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.messages()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"expected {count} e-mails within {timeout} s, got "
                             f"{len(self.messages())}")

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait_for_service(amqp_uri, service, limit=60):
    """Block until `service` answers its ping on `amqp_uri` (it started consuming)."""
    import time

    from nameko.exceptions import UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy
    deadline = time.monotonic() + limit
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=limit) as proxy:
        while True:
            try:
                return getattr(proxy, service).ping()
            except UnknownService:  # not consuming yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def eventually(check, timeout=20, interval=0.05):
    """Call `check()` until it returns something true (returned) or raises no AssertionError;
    after `timeout` seconds the last AssertionError (or a TimeoutError) is raised."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
            error = TimeoutError(f"not true within {timeout} s: {check}")
        except AssertionError as exc:
            error = exc
        if time.monotonic() > deadline:
            raise error
        time.sleep(interval)


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet request handler for an HTTP test server that answers JSON (a unit test's
    stand-in for a peer: the gateway for a CLI, Meilisearch for its adapter)."""

    def log_message(self, *args):
        pass

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class HttpTestServer:
    """`handler` served on a free local port in a thread; `url`; `close()`."""

    def __init__(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class RecordingOutbox:
    """What an application-layer test gives a service in place of its outbox: every event is
    validated as the outbox validates it (strictly, services/common/events.py) and kept in
    `events`, in order — once its transaction commits, as the real outbox's rows are; events
    of a transaction that rolled back are dropped. `emitter(session)` is what the application
    layer is handed."""

    def __init__(self, producer):
        self.producer = producer
        self.events, self.pending = [], []

    def watch(self, session):
        from sqlalchemy import event
        event.listen(session, "after_commit", lambda s: self._settle(True))
        event.listen(session, "after_rollback", lambda s: self._settle(False))

    def _settle(self, committed):
        if committed:
            self.events += self.pending
        self.pending = []

    def add(self, session, event_type, payload):
        from services.common.events import make_event
        event = make_event(event_type, self.producer, payload)
        self.pending.append(event)
        return event

    def emitter(self, session):
        return lambda event_type, payload: self.add(session, event_type, payload)

    def of(self, event_type):
        return [e for e in self.events if e["event_type"] == event_type]

    def wake(self):
        pass


def application(service_class, url, settings, metadata, seed=None, **dependencies):
    """The service's class with its dependencies replaced, as nameko's worker_factory does:
    a real database session (SQLAlchemy on `url`, schema created, `seed` run), a recording
    outbox, and the settings object. Calling an entrypoint runs its real code — load, the
    application layer, commit, dump — without a broker. Returns (service, engine)."""
    from sqlalchemy.orm import sessionmaker

    from services.common.db import create_schema, make_engine
    engine = make_engine(url)
    create_schema(engine, metadata)
    Session = sessionmaker(engine, expire_on_commit=False)
    if seed is not None:
        with Session() as session:
            seed(session)
            session.commit()
    service = service_class()
    service.db = Session()
    service.outbox = RecordingOutbox(service_class.name)
    service.outbox.watch(service.db)
    service.settings = settings
    from services.common.db import Reader
    for name in dir(service_class):  # reads on the same session (as on PostgreSQL)
        if isinstance(getattr(service_class, name, None), Reader):
            setattr(service, name, service.db)
    for name, value in dependencies.items():
        setattr(service, name, value)
    return service, engine


def document_handle(service, engine, model, template_model, templates_dir, build, root,
                    pdf=None):
    """What an application-layer test gives a service in place of its documents dependency:
    the real desk (pending rows, claims, storage under `root`, templates) on the test's
    engine. With `pdf` (a PdfPool) documents are rendered; without, they stay pending."""
    from sqlalchemy.orm import sessionmaker

    from services.common.documents.issuing import DeskHandle, DocumentDesk
    from services.common.documents.storage import FileStorage
    from services.common.documents.templates import DocumentTemplates
    desk = DocumentDesk(service, sessionmaker(engine, expire_on_commit=False), model,
                        template_model, DocumentTemplates(templates_dir), pdf,
                        FileStorage(root), build)
    if pdf is None:
        desk.issue = lambda ids: None
    return DeskHandle(desk)


def strings_held(engine, needles):
    """[(table, column, needle)] wherever a row of the database holds one of `needles` as text
    (bytes read as UTF-8): the KVKK erasure tests' scan of every table."""
    from sqlalchemy import inspect, text
    found = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            result = conn.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result:
                for column, value in zip(columns, row):
                    if value is None:
                        continue
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    found += [(table, column, n) for n in needles if n in str(value)]
    return found


def file_holds(url, needles):
    """[(file, needle)]: the needles' UTF-8 bytes found in a SQLite database's files (the
    database and its WAL) — what a copy of the disk would give back; [] for other databases."""
    if not url.startswith("sqlite:///"):
        return []
    path = url.split("///", 1)[1]
    found = []
    for name in (path, path + "-wal", path + "-journal"):
        if os.path.exists(name):
            with open(name, "rb") as f:
                data = f.read()
            found += [(name, n) for n in needles if n.encode() in data]
    return found
