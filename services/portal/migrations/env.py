"""Alembic's environment: services/common/migrations.py runs it (make migrate)."""
from services.common.migrations import run_env

run_env()
