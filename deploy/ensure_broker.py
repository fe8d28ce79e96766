"""Make sure RabbitMQ answers at AMQP_URI: use a running broker; else start an installed
rabbitmq-server; else install it from the OS packages when running as root with apt-get;
else stop with a message that says what to install. Standard library only."""
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


def main():
    u = urllib.parse.urlsplit(URI)
    host, port = u.hostname or "127.0.0.1", u.port or 5672
    if answers(host, port):
        return 0
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"RabbitMQ does not answer at {host}:{port} (AMQP_URI). Start it there, or set "
              "AMQP_URI to a broker that runs.", file=sys.stderr)
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
    print(f"RabbitMQ was started but does not answer at {host}:{port} after 90 s; see "
          "/var/log/rabbitmq/.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
