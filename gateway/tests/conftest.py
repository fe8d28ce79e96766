"""The gateway with a fake RPC client: no broker, no services (DESIGN.md's gateway layer)."""
import warnings
from types import SimpleNamespace

import pytest

from gateway.app import create_app
from gateway.auth import issue_token
from gateway.settings import Settings
from gateway import users as users_module
from services.common.roles import ROLES

SECRET = "gateway-tests-secret-of-at-least-32-bytes"

# The product hashes passwords with scrypt, ~0.1 s of CPU each on purpose; this layer creates
# users and signs in hundreds of times. Here a cheap PBKDF2 stands in (checking reads the
# method from each hash: the same code). test_accounts.py signs in with the product's method;
# the end-to-end tests' systems (other processes) use it throughout.
PRODUCT_HASH_METHOD = users_module.PASSWORD_HASH_METHOD
users_module.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
ANSWER = {"id": 1, "number": "SF-2026-000001", "version": 4, "items": [], "next_cursor": None}


class FakeRpc:
    """Records each call; answers ANSWER (a versioned record that is also an empty page), or
    raises what a test set in `raises`."""

    def __init__(self):
        self.calls, self.raises, self.answer = [], None, None

    def call(self, service, method, *args, timeout=None, **kwargs):
        self.calls.append(SimpleNamespace(service=service, method=method, args=args,
                                          timeout=timeout))
        if self.raises is not None:
            raise self.raises
        return self.answer(service, method, args) if self.answer else dict(ANSWER)

    def reset(self):
        self.calls, self.raises, self.answer = [], None, None


@pytest.fixture(scope="session")
def gateway(tmp_path_factory):
    """(app, fake rpc, {role: headers}, {role: user}) — one app for the whole suite."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    data_dir = tmp_path_factory.mktemp("gateway")
    settings = Settings.from_env({"DATA_DIR": str(data_dir), "RPC_TIMEOUT": "4"})
    fake = FakeRpc()
    app = create_app(settings, rpc_client=fake)
    app.config["JWT_SECRET"] = SECRET  # never os.environ: the e2e tests in this process
    # start the system with their environment
    users = {}
    for n, role in enumerate(ROLES, start=1):
        users[role] = app.extensions["servis"].users.create(
            username=f"user-{role}", password="password-" + role, role=role,
            name=f"{role.title()} Kişi", email=f"{role}@example.com",
            language="en" if role == "technician" else "tr",
            customer_id=1 if role == "customer" else None)
    headers = {role: {"Authorization": "Bearer " + issue_token(user, SECRET, 3600)}
               for role, user in users.items()}
    return SimpleNamespace(app=app, client=app.test_client(), rpc=fake, headers=headers,
                           users=users)


@pytest.fixture
def gw(gateway):
    gateway.rpc.reset()
    yield gateway
    gateway.rpc.reset()
