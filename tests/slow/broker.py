"""A throw-away RabbitMQ node of the test's own: its own node name, AMQP and distribution ports,
Erlang cookie (HOME), data, log and config files, all in one temporary directory. A test may
stop and start its application (a broker restart) without touching the machine's broker,
which other people use at the same time. `close()` stops this node and nothing else."""
import os
import shutil
import signal
import subprocess
import time
import uuid

from services.common.testing import free_port


def _tool(name):
    """The RabbitMQ script itself, not Debian's /usr/sbin wrapper (which switches to the
    rabbitmq user, who cannot write our temporary directory)."""
    direct = f"/usr/lib/rabbitmq/bin/{name}"
    return direct if os.path.exists(direct) else shutil.which(name)


def available():
    """(True, '') when a RabbitMQ node can be started here, else (False, why)."""
    if not _tool("rabbitmq-server") or not _tool("rabbitmqctl"):
        return False, "rabbitmq-server is not installed (a private node is needed)"
    return True, ""


class PrivateBroker:
    """`home`: where the Erlang cookie is (HOME); nodes that are to form a cluster share one.
    `name`: the node's name before @localhost (default: a random one)."""

    def __init__(self, directory, name=None, home=None):
        self.dir = str(directory)
        self.node = f"{name or 'servis-test-' + uuid.uuid4().hex[:8]}@localhost"
        self.port, self.dist_port = free_port(), free_port()
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        for name, text in (("enabled_plugins", "[].\n"), ("env.conf", ""),
                           ("rabbitmq.conf", f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
                                             "loopback_users = none\n")):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        self.env = {
            **os.environ, "HOME": str(home or self.dir),  # the Erlang cookie, node and CLI
            "RABBITMQ_CONF_ENV_FILE": os.path.join(self.dir, "env.conf"),  # not the machine's
            "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": os.path.join(self.dir, "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": os.path.join(self.dir, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.dir, "log"),
            "RABBITMQ_PID_FILE": os.path.join(self.dir, "node.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(self.dir, "enabled_plugins"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }
        self.pid, self.closed = None, False

    def ctl(self, *args, timeout=120):
        """rabbitmqctl -n <this node> args; a failure raises with what rabbitmqctl said."""
        done = subprocess.run([_tool("rabbitmqctl"), "-n", self.node, *args], env=self.env,
                              cwd=self.dir, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout,
                                                done.stderr.strip()[-2000:])
        return done.stdout

    def start(self):
        subprocess.run([_tool("rabbitmq-server"), "-detached"], env=self.env, cwd=self.dir,
                       check=True, timeout=60, capture_output=True)
        return self.await_started()

    def await_started(self):
        """Wait for a node started `-detached` to run; its pid is kept for close()."""
        deadline = time.monotonic() + 90
        while True:  # the node registers with epmd a moment after -detached returns
            try:
                self.ctl("await_startup", "--timeout", "60")
                break
            except subprocess.CalledProcessError as exc:
                self._read_pid()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.node} did not start: {exc.stderr[-1500:]}\n"
                                       f"{self.log_tail()}") from exc
                time.sleep(0.5)
        self._read_pid()
        return self

    def _read_pid(self):
        try:
            with open(self.env["RABBITMQ_PID_FILE"]) as f:
                self.pid = int(f.read().strip())
        except (OSError, ValueError):
            pass

    def log_tail(self, chars=2000):
        """The end of the node's own log (why it did not start)."""
        try:
            logs = [os.path.join(self.env["RABBITMQ_LOG_BASE"], f)
                    for f in os.listdir(self.env["RABBITMQ_LOG_BASE"])]
            with open(max(logs, key=os.path.getmtime), errors="replace") as f:
                return f.read()[-chars:]
        except (OSError, ValueError):
            return "(no log)"

    def stop_app(self):
        self.ctl("stop_app")

    def start_app(self):
        self.ctl("start_app")

    def add_vhost(self, vhost):
        self.ctl("add_vhost", vhost)
        self.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        return self.amqp_uri.rstrip("/") + "/" + vhost

    def consumers(self, vhost):
        """{queue: consumer count} of every queue in `vhost`."""
        out = self.ctl("list_queues", "-q", "-p", vhost, "--no-table-headers", "name",
                       "consumers", timeout=30)
        return {name: int(n) for name, n in (line.rsplit(None, 1) for line in
                                              out.splitlines() if line.strip())}

    def close(self):
        if self.closed:  # once: its pid may belong to another process later
            return
        self.closed = True
        self._read_pid()
        try:
            self.ctl("stop", timeout=60)
        except Exception:
            pass
        if self.pid is not None:  # our node only, by the pid it wrote
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
