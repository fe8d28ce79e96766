"""Make sure RabbitMQ answers at AMQP_URI: use a running broker; else, when AMQP_URI is this
machine's standard port (5672, where the OS package listens), start an installed
rabbitmq-server, or install it from the OS packages when running as root with apt-get; else
stop within seconds with a message that names the address (never the password) and says what
to do. Standard library only."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse

URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")


def answers(host, port):
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def wait(host, port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers(host, port):
            return True
        time.sleep(1)
    return False


def address(uri):
    """amqp://user@host:port/vhost: the broker's address without the password."""
    u = urllib.parse.urlsplit(uri)
    user = f"{urllib.parse.unquote(u.username)}@" if u.username else ""
    return f"{u.scheme}://{user}{u.hostname or ''}{f':{u.port}' if u.port else ''}{u.path or '/'}"


def main():
    if ";" in URI:  # a cluster's nodes (services/common/broker.py uris): one must answer
        nodes = [one.strip() for one in URI.split(";") if one.strip()]
        if any(answers(u.hostname or "127.0.0.1", u.port or 5672)
               for u in map(urllib.parse.urlsplit, nodes)):
            return 0
        print(f"No node of the cluster in AMQP_URI answers ({'; '.join(map(address, nodes))}). "
              "Start one, or set AMQP_URI to a broker that runs.", file=sys.stderr)
        return 1
    u = urllib.parse.urlsplit(URI)
    host, port = u.hostname or "127.0.0.1", u.port or 5672
    if answers(host, port):
        return 0
    where = f"{address(URI)} (AMQP_URI)"
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"RabbitMQ does not answer at {where}. Start it there, or set AMQP_URI to a "
              "broker that runs.", file=sys.stderr)
        return 1
    if port != 5672:  # a local broker we would start listens on 5672, not there
        other = (" A RabbitMQ answers on this machine's port 5672: set AMQP_URI to it "
                 "(amqp://guest:guest@127.0.0.1:5672/), or" if answers(host, 5672) else "")
        print(f"Nothing answers at {where}.{other} start RabbitMQ on port {port}, or leave "
              "AMQP_URI unset to use (and start) this machine's RabbitMQ on 5672.",
              file=sys.stderr)
        return 1
    server = shutil.which("rabbitmq-server") or (
        "/usr/sbin/rabbitmq-server" if os.path.exists("/usr/sbin/rabbitmq-server") else None)
    if server is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("RabbitMQ is not installed: installing it from the OS packages (apt-get)…")
        subprocess.run(["apt-get", "update", "-q"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-q", "rabbitmq-server"], check=False,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        server = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
        if not os.path.exists(server):
            server = None
    if server is None:
        print("RabbitMQ is needed and is not installed. Install it (Debian/Ubuntu: "
              "'sudo apt-get install rabbitmq-server'; macOS: 'brew install rabbitmq') and run "
              "this again, or set AMQP_URI to a broker that runs.", file=sys.stderr)
        return 1
    print(f"Starting RabbitMQ ({server} -detached)…")
    subprocess.run([server, "-detached"], check=False)
    if wait(host, port, 90):
        return 0
    print(f"RabbitMQ was started but does not answer at {where} after 90 s; see "
          "/var/log/rabbitmq/.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
