"""A throw-away three-node RabbitMQ cluster of the test's own, beside the machine's broker.

Each node is a tests/slow/broker.py `PrivateBroker` (its own node name `servis-a-<run>@localhost`,
AMQP and distribution ports, data, log and config in a temporary directory); the three share one
HOME, so one Erlang cookie, which is what lets them (and rabbitmqctl) talk to each other. The
second and third join the first with `rabbitmqctl join_cluster`. The machine's own node
(rabbit@…, 5672) is never named, asked or stopped: every rabbitmqctl call names its node with
`-n`. `close()` stops the three nodes this object started, and kills them by the pid each wrote
if they do not stop."""
import os
import secrets
import signal
import subprocess
import time
import uuid

from tests.slow.broker import PrivateBroker, _tool, available  # noqa: F401  (available: tests')

NAMES = ("servis-a", "servis-b", "servis-c")


class RabbitCluster:
    def __init__(self, directory, names=NAMES):
        run = uuid.uuid4().hex[:6]
        home = os.path.join(str(directory), "home")
        os.makedirs(home)
        cookie = os.path.join(home, ".erlang.cookie")
        with open(cookie, "w") as f:
            f.write(secrets.token_hex(20).upper())
        os.chmod(cookie, 0o400)  # Erlang refuses a cookie others may read
        self.nodes = []
        for name in names:
            node_dir = os.path.join(str(directory), name)
            os.makedirs(node_dir)
            self.nodes.append(PrivateBroker(node_dir, name=f"{name}-{run}", home=home))
        self.stopped = set()

    @property
    def first(self):
        return self.nodes[0]

    def start(self):
        """Start the three nodes (at once: each takes seconds to boot), then join the second and
        third to the first. Raises with the node's own words when one does not come up."""
        try:
            procs = [subprocess.Popen([_tool("rabbitmq-server"), "-detached"], env=n.env,
                                      cwd=n.dir, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT) for n in self.nodes]
            for node, proc in zip(self.nodes, procs):
                out, _ = proc.communicate(timeout=60)
                if proc.returncode:
                    raise RuntimeError(f"{node.node} did not start: {out.decode()[-2000:]}")
            for node in self.nodes:
                node.await_started()
            for node in self.nodes[1:]:
                node.ctl("stop_app")
                node.ctl("join_cluster", self.first.node)
                node.ctl("start_app")
            running = self.running_nodes()
            expected = {n.node for n in self.nodes}
            if running != expected:
                raise RuntimeError(f"the cluster runs {sorted(running)}, not {sorted(expected)}")
        except BaseException:
            self.close()
            raise
        return self

    def running_nodes(self, via=None):
        """The node names the cluster says are running, asked of `via` (default: the first
        node not stopped)."""
        via = via or self.alive()[0]
        out = via.ctl("eval", "rabbit_nodes:all_running().", timeout=30)
        return {part.strip(" '[]\n") for part in out.split(",") if "@" in part}

    def alive(self):
        return [n for n in self.nodes if n.node not in self.stopped]

    def add_vhost(self, vhost):
        """The vhost (cluster-wide) with guest's permissions; [AMQP URI of each node]."""
        self.first.ctl("add_vhost", vhost)
        self.first.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        return [n.amqp_uri.rstrip("/") + "/" + vhost for n in self.nodes]

    def queues(self, vhost):
        """{queue name: {"type", "leader", "members", "online"}}, asked of a running node.
        `leader`: the node leading a quorum queue, or the node holding a classic one (from its
        process id). (3.10's `consumers` column says 0 for quorum queues: a passive declare
        counts them right.)"""
        out = self.alive()[0].ctl("list_queues", "-q", "-p", vhost, "--no-table-headers",
                                  "name", "type", "leader", "members", "online", "pid",
                                  timeout=60)
        found = {}
        for line in out.splitlines():
            if not line.strip():
                continue
            name, kind, leader, members, online, pid = (line.split("\t") + [""] * 6)[:6]
            if not leader:
                leader = pid.strip("<>").split(".")[0]
            found[name] = {"type": kind, "leader": leader, "members": _names(members),
                           "online": _names(online)}
        return found

    def by_name(self, node_name):
        return next(n for n in self.nodes if n.node == node_name)

    def stop_node(self, node, how="stop"):
        """Lose one node for good: `stop` (rabbitmqctl stop: it closes its clients'
        connections and leaves) or `kill` (SIGKILL of its Erlang VM, a crash: the kernel
        resets its sockets)."""
        self.stopped.add(node.node)
        if how == "kill" and node.pid is not None:
            os.kill(node.pid, signal.SIGKILL)
        node.close()

    def close(self):
        for node in self.nodes:
            node.close()
            self.stopped.add(node.node)


def _names(text):
    """'[a@localhost, b@localhost]' -> ['a@localhost', 'b@localhost']"""
    return [part.strip() for part in text.strip("[]").split(",") if part.strip()]


def wait(condition, limit, interval=0.5):
    """Seconds until `condition()` is true; raises TimeoutError after `limit`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > limit:
            raise TimeoutError(f"not true after {limit} s")
        time.sleep(interval)
    return time.monotonic() - start
