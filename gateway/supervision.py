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
