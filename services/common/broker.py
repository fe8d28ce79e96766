"""A broker that is away, reported once: one line naming its address (never the password) when
a process loses it, one when it is back, instead of a traceback per retry.

Everything in one process that talks to one broker shares one `BrokerWatch` (`watch(uri)`):
nameko's consumer connection, the RPC replies, the outbox relay (services/common/reconnect.py),
the gateway's RPC client. Whoever notices first reports; the others stay quiet."""
import logging
import threading
import time
import urllib.parse

from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError

log = logging.getLogger("servis.broker")

# What a lost or refused broker connection raises: amqp's connection and channel errors, the
# socket's OSError (ConnectionResetError, BrokenPipeError, ECONNREFUSED) and kombu's
# OperationalError (what kombu re-raises them as after its own retries).
CONNECTION_ERRORS = (AMQPError, OSError, OperationalError)


class BrokerAway(Exception):
    """Raised by our own loops instead of the connection error, once the watch reported it."""


def uris(amqp_uri):
    """The broker's URLs: AMQP_URI names one node, or a cluster's nodes separated by `;`
    (kombu's own failover syntax, so nameko takes it as it is; the gateway's pika client
    is given the list, gateway/rpc.py)."""
    found = [u.strip() for u in str(amqp_uri).split(";") if u.strip()]
    if not found:
        raise ValueError("AMQP_URI names no broker")
    return found


def address(uri):
    """`amqp://user@host:port/vhost`: the broker's address without the password (each
    node's, `;`-separated, for a cluster)."""
    if ";" in uri:
        return ";".join(address(one) for one in uris(uri))
    u = urllib.parse.urlsplit(uri)
    user = f"{urllib.parse.unquote(u.username)}@" if u.username else ""
    port = f":{u.port}" if u.port else ""
    return f"{u.scheme}://{user}{u.hostname or ''}{port}{u.path or '/'}"


def describe(exc):
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class BrokerWatch:
    def __init__(self, uri, logger=log, clock=time.monotonic):
        self.address = address(uri)
        self.log, self.clock = logger, clock
        self.away_since = None
        self._lock = threading.Lock()

    @property
    def is_away(self):
        return self.away_since is not None

    def away(self, exc):
        """The broker could not be reached (or the connection was lost): logged once."""
        with self._lock:
            if self.away_since is not None:
                return
            self.away_since = self.clock()
        self.log.warning("broker %s is away (%s); reconnecting quietly until it is back",
                         self.address, describe(exc))

    def back(self):
        """A connection to the broker works again: logged once, if it was away."""
        if self.away_since is None:  # the hot path: no lock
            return
        with self._lock:
            since, self.away_since = self.away_since, None
        if since is not None:
            self.log.warning("broker %s is back (away %.1f s)", self.address,
                             self.clock() - since)


_watches = {}
_watches_lock = threading.Lock()


def watch(uri):
    """The process's one watch for the broker at `uri`."""
    key = address(uri)
    with _watches_lock:
        if key not in _watches:
            _watches[key] = BrokerWatch(uri)
        return _watches[key]
