"""What the local supervisor (deploy/supervisor.py) knows of each process, for
/api/v1/health: whether it runs or waits to be restarted, how often it was restarted and why it
last ended. The supervisor that started the gateway puts its state file's path in
SERVIS_SUPERVISOR_STATE; without one (Kubernetes, a test) there is nothing to add."""
import json
import os
import time


def process_states(env=os.environ):
    """{name: {"state", "restarts", "last_exit"?, "restart_in"?}}, or {} without a supervisor."""
    path = env.get("SERVIS_SUPERVISOR_STATE")
    if not path:
        return {}
    try:
        with open(path) as f:
            data = json.load(f)
        os.kill(int(data["supervisor"]["pid"]), 0)  # a supervisor killed left a stale file
    except PermissionError:
        pass
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    now, out = time.time(), {}
    for name, p in data.get("processes", {}).items():
        entry = {"state": p.get("state"), "restarts": p.get("restarts", 0)}
        if p.get("last_exit"):  # the signal or exit code; the last line of output (it may
            # name hosts or paths) stays in DATA_DIR/logs/supervisor.log, not on this open page
            entry["last_exit"] = p["last_exit"].split("; last output:")[0]
        if p.get("state") == "restarting" and p.get("next_start"):
            entry["restart_in"] = round(max(0.0, p["next_start"] - now), 1)
        out[name] = entry
    return out


def metrics_addresses(env=os.environ):
    """{service: [its processes' metrics URLs]} under the local supervisor with
    METRICS_BASE_PORT set (deploy/processes.py gives each replica its port); elsewhere
    (Kubernetes) every pod serves on METRICS_PORT: {service: ["<pod>:<port>"]} is not known
    here, so {"*": port}; {} when no service serves metrics."""
    if env.get("SERVIS_SUPERVISOR_STATE") and env.get("METRICS_BASE_PORT"):
        from deploy.processes import BadReplicas, metrics_ports
        try:
            ports = metrics_ports(env)
        except (BadReplicas, ValueError):
            return {}
        out = {}
        for process, port in ports.items():
            out.setdefault(process.rsplit("-", 1)[0] if process[-1].isdigit() else process,
                           []).append(f"http://127.0.0.1:{port}/metrics")
        return out
    port = env.get("METRICS_PORT")
    return {"*": int(port)} if port and port.isdigit() and int(port) else {}
