"""What deploy/ ships, checked without a Docker daemon or a cluster (neither exists here): the
generated files agree with the service registry, the Dockerfile keeps its promises, and the
Kubernetes overlays render with `kubectl kustomize` and pass the API's schemas offline
(kubernetes-validate; KEDA's kinds against deploy/k8s/schemas)."""
import json
import pathlib
import re
import shutil
import subprocess
import sys
import time

import jsonschema
import kubernetes_validate
import pytest
import yaml

from deploy import container, generate
from services.registry import NAMES

DEPLOY = pathlib.Path(__file__).resolve().parents[1]
K8S_VERSION = "1.32"  # the API the manifests are written for (kubectl here is 1.32)
KEDA = json.loads((DEPLOY / "k8s/schemas/keda.sh-v1alpha1.json").read_text())


def test_generated_files_match_the_registry():
    assert generate.main(["--check"]) == 0, "run python deploy/generate.py"


def test_the_dockerfile_pins_its_base_runs_unprivileged_and_checks_health():
    text = (DEPLOY / "Dockerfile").read_text()
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms and all(re.fullmatch(r"[\w./:-]+@sha256:[0-9a-f]{64}", f) for f in froms), froms
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("0", "root"), users
    assert re.search(r"^HEALTHCHECK\s+.*\\\n\s+CMD \[\"python\", \"-m\", \"deploy.probe\"\]", text,
                     re.M)
    entry = re.search(r"^ENTRYPOINT\s+(\[.*\])", text, re.M)
    assert entry and json.loads(entry.group(1))[-2:] == ["-m", "deploy.container"]
    # what the image copies is what the processes import
    assert {"services", "gateway", "deploy"} <= set(re.findall(r"^COPY (\w+) \1$", text, re.M))


def test_the_container_runs_each_process_of_the_registry_by_name():
    for name in NAMES:
        assert container.command(name, "python") == [
            "python", "-m", "services.common.run", "--config", f"services/{name}/config.yaml",
            f"services.{name}.service"]
    assert container.command("gateway", "python") == ["python", "-m", "gateway.app"]
    assert container.command("migrate", "python") == ["python", "deploy/migrate.py", "upgrade"]
    with pytest.raises(SystemExit, match="unknown process 'nope'; one of: devices"):
        container.command("nope")


def test_compose_runs_every_service_on_its_own_database():
    doc = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = doc["services"]
    assert set(NAMES) | {"gateway", "rabbitmq", "postgres", "meilisearch", "migrate"} == set(
        services)
    assert services["migrate"]["environment"]["SERVIS_PROCESS"] == "migrate"
    assert {f"{n.upper()}_DATABASE_URL" for n in NAMES} <= set(services["migrate"]["environment"])
    created = re.findall(r"CREATE DATABASE (\w+);", (DEPLOY / "compose/databases.sql").read_text())
    assert sorted(created) == sorted(f"servis_{n}" for n in (*NAMES, "gateway"))
    for name in NAMES:
        env = services[name]["environment"]
        assert env["SERVIS_PROCESS"] == name
        assert env[f"{name.upper()}_DATABASE_URL"].endswith(f"@postgres:5432/servis_{name}")
        assert services[name]["deploy"]["replicas"] == f"${{{name.upper()}_REPLICAS:-1}}"
        assert services[name]["healthcheck"]["test"][-2:] == [name, "--live"]
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"}
    assert services["meilisearch"]["profiles"] == ["meilisearch"]  # optional
    assert not any("PASSWORD" in k and v and "${" not in v for s in services.values()
                   for k, v in (s.get("environment") or {}).items()), "a password in the file"


def render(overlay):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.fail("kubectl is needed to render deploy/k8s (it carries kustomize): install it "
                    "(https://kubernetes.io/docs/tasks/tools/) and run the tests again")
    out = subprocess.run([kubectl, "kustomize", str(DEPLOY / "k8s" / overlay)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.mark.parametrize("overlay", ["base", "overlays/production"])
def test_the_manifests_render_and_pass_the_schemas(overlay):
    docs = render(overlay)
    kinds = {}
    for doc in docs:
        kinds.setdefault(doc["kind"], []).append(doc)
        if doc["apiVersion"].startswith("keda.sh/"):
            jsonschema.validate(doc, {**KEDA, "$ref": f"#/$defs/{doc['kind']}"})
        else:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    deployments = {d["metadata"]["name"]: d for d in kinds["Deployment"]}
    assert set(deployments) == {*NAMES, "gateway"}
    for name, d in deployments.items():
        (c,) = d["spec"]["template"]["spec"]["containers"]
        assert c["readinessProbe"] and c["livenessProbe"], name
        if name != "gateway":
            assert c["readinessProbe"]["exec"]["command"] == ["python", "-m", "deploy.probe", name]
            assert c["livenessProbe"]["exec"]["command"][-1] == "--live"
        assert {"SERVIS_PROCESS": name}.items() <= {e["name"]: e.get("value")
                                                    for e in c["env"]}.items()
        assert c["resources"]["requests"] and c["resources"]["limits"], name
    assert {p["metadata"]["name"] for p in kinds["PodDisruptionBudget"]} == set(deployments)
    scaled = {s["metadata"]["name"]: s["spec"] for s in kinds["ScaledObject"]}
    assert set(scaled) == set(NAMES)
    for name, spec in scaled.items():
        assert spec["triggers"][0]["metadata"]["queueName"] == f"rpc-{name}"
    assert {s["kind"] for s in docs} >= {"Service", "Ingress", "ConfigMap",
                                          "PersistentVolumeClaim", "TriggerAuthentication"}
    assert "Secret" not in {s["kind"] for s in docs}, "secrets are created apart (README)"
    (job,) = kinds["Job"]
    (c,) = job["spec"]["template"]["spec"]["containers"]
    assert {"name": "SERVIS_PROCESS", "value": "migrate"} in c["env"]
    if overlay.endswith("production"):
        assert all(d["metadata"].get("namespace") == "servis" for d in docs
                   if d["kind"] != "Namespace")
        images = {c["image"] for d in deployments.values()
                  for c in d["spec"]["template"]["spec"]["containers"]}
        assert images == {"registry.example.com/servis:1.0.0"}


def test_a_broken_manifest_is_caught():
    """The checks above can fail: a probe's misspelt key and a KEDA typo are refused."""
    deployment = next(d for d in render("base") if d["kind"] == "Deployment")
    c = deployment["spec"]["template"]["spec"]["containers"][0]
    c["readinessProbe"]["periodSecond"] = c["readinessProbe"].pop("periodSeconds")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)
    scaled = next(d for d in render("base") if d["kind"] == "ScaledObject")
    scaled["spec"]["maxReplicas"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(scaled, {**KEDA, "$ref": "#/$defs/ScaledObject"})


def test_the_probe_names_its_usage(capsys):
    from deploy import probe
    assert probe.main(["nope"]) == 2
    assert "usage: python -m deploy.probe <devices|" in capsys.readouterr().out


def test_liveness_reads_the_heartbeat(tmp_path, monkeypatch, capsys):
    from deploy import probe
    beat = tmp_path / "beat"
    monkeypatch.setenv("HEARTBEAT_FILE", str(beat))
    assert probe.main(["forms", "--live"]) == 1
    assert "no heartbeat yet" in capsys.readouterr().out
    beat.touch()
    assert probe.main(["forms", "--live"]) == 0
    monkeypatch.setenv("LIVE_SECONDS", "0")
    import os
    os.utime(beat, (1, 1))
    assert probe.main(["forms", "--live"]) == 1
    assert sys.modules["deploy.probe"]  # imported as the container runs it


def test_a_broker_address_where_nothing_answers_is_named_at_once(tmp_path):
    """`make run` with AMQP_URI at a port where nothing answers: no second system broker is
    started (it would listen on 5672, not there); the address is named within seconds."""
    from services.common.testing import free_port
    port = free_port()
    started = time.monotonic()
    out = subprocess.run([sys.executable, str(DEPLOY / "ensure_broker.py")],
                         env={"PATH": "/usr/bin:/bin",
                              "AMQP_URI": f"amqp://guest:s3cret@127.0.0.1:{port}/"},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and time.monotonic() - started < 10
    assert out.stderr.startswith(f"Nothing answers at amqp://guest@127.0.0.1:{port}/ (AMQP_URI).")
    assert "s3cret" not in out.stderr and "Starting RabbitMQ" not in out.stdout


def test_replicas_are_named_and_need_postgresql():
    from deploy.processes import BadReplicas, processes, replicas
    pg = {"FORMS_DATABASE_URL": "postgresql://u@h/forms",
          "NOTIFY_DATABASE_URL": "postgresql://u@h/notify"}
    assert replicas({"REPLICAS": "forms=3 notify=2", **pg}) == {
        "devices": 1, "forms": 3, "notify": 2, "knowledge": 1, "contracts": 1, "portal": 1}
    names = [n for n, _ in processes("python", {"REPLICAS": "forms=3,notify=2", **pg})]
    assert names == ["devices", "forms", "forms-2", "forms-3", "notify", "notify-2",
                     "knowledge", "contracts", "portal", "gateway"]
    with pytest.raises(BadReplicas, match="several forms processes need PostgreSQL"):
        replicas({"REPLICAS": "forms=2"})
    for bad in ("forms", "forms=0", "forms=x", "nope=2", "forms=17"):
        with pytest.raises(BadReplicas, match="is not <service>=<1..16>"):
            replicas({"REPLICAS": bad, **pg})
