"""Write what deploy/ holds per service from the service registry (services/registry.py), so a
service is named once: docker compose's services, the PostgreSQL databases compose creates, and
the Kubernetes Deployment, PodDisruptionBudget and KEDA ScaledObject of each service.

  python deploy/generate.py          write the files
  python deploy/generate.py --check  exit 1 naming each file that differs (a test runs this)

The hand-written parts (the gateway, the Ingress, kustomization, the production overlay) do
not depend on the list of services."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import yaml  # noqa: E402

from services.registry import SERVICES  # noqa: E402

HEADER = "# Written by deploy/generate.py from services/registry.py: edit those, not this file.\n"
IMAGE = "servis:latest"  # the overlay sets the registry and tag
HEARTBEAT = "/tmp/servis/heartbeat"  # services/common/heartbeat.py, deploy/probe.py --live
# The embedded search index (tantivy) lives in the knowledge process's own folder: one replica
# unless MEILI_URL points at a Meilisearch (the overlay raises it then).
MAX_REPLICAS = {"knowledge": 1}


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # every mapping written out, no &anchors
        return True


def _yaml(doc):
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def _dump(docs):
    return HEADER + "---\n".join(_yaml(d) for d in docs)


def compose():
    common_env = {"AMQP_URI": "amqp://${RABBITMQ_USER:-servis}:${RABBITMQ_PASSWORD:?set "
                              "RABBITMQ_PASSWORD in .env}@rabbitmq:5672/",
                  "DATA_DIR": "/var/lib/servis"}
    db = ("postgresql://${POSTGRES_USER:-servis}:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD "
          "in .env}@postgres:5432/servis_{name}")
    depends = {"rabbitmq": {"condition": "service_healthy"},
               "postgres": {"condition": "service_healthy"},
               "migrate": {"condition": "service_completed_successfully"}}

    def process(name, extra=None, replicas=None):
        svc = {"image": "${SERVIS_IMAGE:-servis:latest}", "env_file": [".env"],
               "environment": {"SERVIS_PROCESS": name, **common_env, **(extra or {})},
               "depends_on": depends, "restart": "unless-stopped"}
        if replicas:
            svc["deploy"] = {"replicas": replicas}
        return svc

    services = {
        "rabbitmq": {"image": "rabbitmq:3.13-management", "restart": "unless-stopped",
                     "environment": {"RABBITMQ_DEFAULT_USER": "${RABBITMQ_USER:-servis}",
                                     "RABBITMQ_DEFAULT_PASS": "${RABBITMQ_PASSWORD:?set "
                                                              "RABBITMQ_PASSWORD in .env}"},
                     "healthcheck": {"test": ["CMD", "rabbitmq-diagnostics", "-q", "ping"],
                                     "interval": "10s", "retries": 12},
                     "volumes": ["rabbitmq:/var/lib/rabbitmq"]},
        "postgres": {"image": "postgres:16", "restart": "unless-stopped",
                     "environment": {"POSTGRES_USER": "${POSTGRES_USER:-servis}",
                                     "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD:?set "
                                                          "POSTGRES_PASSWORD in .env}"},
                     "healthcheck": {"test": ["CMD-SHELL", "pg_isready -U $$POSTGRES_USER"],
                                     "interval": "10s", "retries": 12},
                     "volumes": ["postgres:/var/lib/postgresql/data",
                                 "./compose/databases.sql:/docker-entrypoint-initdb.d/"
                                 "10-databases.sql:ro"]},
        "meilisearch": {"image": "getmeili/meilisearch:v1.10", "profiles": ["meilisearch"],
                        "restart": "unless-stopped",
                        "environment": {"MEILI_MASTER_KEY": "${MEILI_API_KEY:-}",
                                        "MEILI_NO_ANALYTICS": "true"},
                        "volumes": ["meilisearch:/meili_data"]},
        # every service's migrations, once, before any service starts (make migrate)
        "migrate": {**process("migrate", {
            f"{s.name.upper()}_DATABASE_URL": db.replace("{name}", s.name) for s in SERVICES}),
            "depends_on": {"postgres": {"condition": "service_healthy"}}, "restart": "no"},
    }
    for s in SERVICES:
        services[s.name] = process(
            s.name, {f"{s.name.upper()}_DATABASE_URL": db.replace("{name}", s.name),
                     "HEARTBEAT_FILE": HEARTBEAT},
            replicas=f"${{{s.name.upper()}_REPLICAS:-1}}")
        services[s.name]["healthcheck"] = {
            "test": ["CMD", "python", "-m", "deploy.probe", s.name, "--live"],
            "interval": "30s", "timeout": "10s", "start_period": "60s", "retries": 3}
    services["gateway"] = {**process("gateway", {
        "GATEWAY_DATABASE_URL": db.replace("{name}", "gateway"), "GATEWAY_PORT": "8000"},
        replicas="${GATEWAY_REPLICAS:-1}"), "ports": ["${GATEWAY_PUBLISH:-8000}:8000"]}
    services["gateway"]["depends_on"] = {**depends, **{
        s.name: {"condition": "service_started"} for s in SERVICES}}
    doc = {"name": "servis", "services": services,
           "volumes": {"rabbitmq": {}, "postgres": {}, "meilisearch": {}}}
    return HEADER + _yaml(doc)


def databases_sql():
    names = [s.name for s in SERVICES] + ["gateway"]
    return ("-- Written by deploy/generate.py from services/registry.py: one database per "
            "service and the gateway's.\n"
            + "".join(f"CREATE DATABASE servis_{n};\n" for n in names))


METRICS_PORT = "9100"  # a service pod's metrics port: METRICS_PORT in k8s/base/config.env


def _labels(name):
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "servis"}


def k8s_services():
    docs = []
    for s in SERVICES:
        env = [{"name": "SERVIS_PROCESS", "value": s.name},
               {"name": "HEARTBEAT_FILE", "value": HEARTBEAT},
               {"name": f"{s.name.upper()}_DATABASE_URL", "valueFrom": {"secretKeyRef": {
                   "name": "servis-secrets", "key": f"{s.name.upper()}_DATABASE_URL"}}}]
        probe = {"exec": {"command": ["python", "-m", "deploy.probe", s.name]},
                 "periodSeconds": 20, "timeoutSeconds": 10, "failureThreshold": 3}
        live = {"exec": {"command": ["python", "-m", "deploy.probe", s.name, "--live"]},
                "initialDelaySeconds": 30, "periodSeconds": 30, "timeoutSeconds": 10,
                "failureThreshold": 3}
        docs.append({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": s.name, "labels": _labels(s.name)},
            "spec": {
                "replicas": 1, "selector": {"matchLabels": _labels(s.name)},
                "template": {
                    # Prometheus' usual pod annotations: each pod serves its metrics on
                    # METRICS_PORT (config.env), as services/common/observability.py says
                    "metadata": {"labels": _labels(s.name), "annotations": {
                        "prometheus.io/scrape": "true", "prometheus.io/port": METRICS_PORT,
                        "prometheus.io/path": "/metrics"}},
                    "spec": {
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                            "fsGroup": 10001},
                        "terminationGracePeriodSeconds": 40,
                        "containers": [{
                            "name": s.name, "image": IMAGE,
                            "envFrom": [{"configMapRef": {"name": "servis-config"}},
                                        {"secretRef": {"name": "servis-secrets",
                                                       "optional": False}}],
                            "env": env,
                            "ports": [{"name": "metrics", "containerPort": int(METRICS_PORT)}],
                            "readinessProbe": probe, "livenessProbe": live,
                            "resources": {"requests": {"cpu": "100m", "memory": "192Mi"},
                                          "limits": {"cpu": "1", "memory": "512Mi"}},
                            "securityContext": {"allowPrivilegeEscalation": False,
                                                "readOnlyRootFilesystem": True,
                                                "capabilities": {"drop": ["ALL"]}},
                            "volumeMounts": [
                                {"name": "tmp", "mountPath": "/tmp"},
                                {"name": "data", "mountPath": "/var/lib/servis"},
                                {"name": "documents",
                                 "mountPath": "/var/lib/servis/documents"}],
                        }],
                        # documents (PDFs) outlive pods and are shared by replicas; the rest
                        # of DATA_DIR (an embedded index) is the pod's own
                        "volumes": [{"name": "tmp", "emptyDir": {}},
                                    {"name": "data", "emptyDir": {}},
                                    {"name": "documents", "persistentVolumeClaim": {
                                        "claimName": "servis-documents"}}],
                    }}}})
        docs.append({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": s.name, "labels": _labels(s.name)},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _labels(s.name)}}})
        docs.append({
            "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
            "metadata": {"name": s.name, "labels": _labels(s.name)},
            "spec": {"scaleTargetRef": {"name": s.name}, "minReplicaCount": 1,
                     "maxReplicaCount": MAX_REPLICAS.get(s.name, 5), "pollingInterval": 15,
                     "cooldownPeriod": 300,
                     "triggers": [{"type": "rabbitmq", "metadata": {
                         "protocol": "amqp", "queueName": f"rpc-{s.name}",
                         "mode": "QueueLength", "value": "20"},
                         "authenticationRef": {"name": "servis-rabbitmq"}}]}})
    return _dump(docs)


FILES = {"compose.yaml": compose, "compose/databases.sql": databases_sql,
         "k8s/base/services.yaml": k8s_services}


def main(argv=None):
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    stale = []
    for rel, make in FILES.items():
        path = os.path.join(ROOT, "deploy", rel)
        text = make()
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current == text:
            continue
        if check:
            stale.append(f"deploy/{rel}")
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote deploy/{rel}")
    if stale:
        print(f"out of date with services/registry.py: {', '.join(stale)}; run "
              "python deploy/generate.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
