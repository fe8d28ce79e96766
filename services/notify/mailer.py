"""Delivery of built messages: SMTP when SMTP_URL is set (one connection reused across
messages), else an .eml file per message under DATA_DIR/mail/ so a new user sees mail with no
mail server.

SMTP_URL: smtp://[user:password@]host[:port][?starttls=1] or smtps://… for implicit TLS.
"""
import os
import smtplib
import urllib.parse

from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider


class SmtpTransport:
    def __init__(self, url, timeout=20):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {u.scheme}://")
        self.ssl = u.scheme == "smtps"
        self.host, self.port = u.hostname or "localhost", u.port or (465 if self.ssl else 25)
        self.user = urllib.parse.unquote(u.username) if u.username else None
        self.password = urllib.parse.unquote(u.password) if u.password else None
        query = urllib.parse.parse_qs(u.query)
        self.starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
        self.timeout = timeout
        self.conn = None
        self.lock = Semaphore()

    def _connection(self):
        if self.conn is None:
            cls = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
            conn = cls(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                conn.starttls()
            if self.user:
                conn.login(self.user, self.password or "")
            self.conn = conn
        return self.conn

    def send(self, sender, recipient, data, message_id=None):
        """Hand one message (bytes) to the server; raises on any refusal or failure."""
        with self.lock:
            try:
                try:
                    self._connection().sendmail(sender, [recipient], data)
                except smtplib.SMTPServerDisconnected:  # a reused connection the server closed
                    self.close()
                    self._connection().sendmail(sender, [recipient], data)
            except Exception:
                self.close()
                raise

    def close(self):
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.quit()
            except Exception:
                pass


class EmlTransport:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    def send(self, sender, recipient, data, message_id=None):
        name = "".join(c if c.isalnum() or c in ".-" else "_" for c in message_id.strip("<>"))
        path = os.path.join(self.directory, name + ".eml")
        with open(path + ".part", "wb") as f:
            f.write(data)
        os.replace(path + ".part", path)

    def close(self):
        pass


class Mailer(DependencyProvider):
    def setup(self):
        config = self.container.config
        url = config.get("SMTP_URL") or os.environ.get("SMTP_URL")
        if url:
            self.transport = SmtpTransport(url)
        else:
            data_dir = config.get("DATA_DIR") or os.environ.get("DATA_DIR") or "./data"
            self.transport = EmlTransport(os.path.join(os.path.abspath(data_dir), "mail"))

    def stop(self):
        self.transport.close()

    def get_dependency(self, worker_ctx):
        return self.transport
