"""deploy/: running the system — locally (run.py, the supervisor), in a container (Dockerfile,
container.py, probe.py), on compose and Kubernetes (generate.py), migrations and backups."""
