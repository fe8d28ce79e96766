"""Gateway settings, from the environment (DESIGN.md / README list them)."""
import os
import secrets
from dataclasses import dataclass

from services.registry import NAMES


def _secret_file(path, make):
    """Read a secret kept in DATA_DIR, or make it and store it with mode 0600."""
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip(), False
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value, True


@dataclass
class Settings:
    data_dir: str
    amqp_uri: str
    port: int
    database_url: str
    rpc_timeout: float
    health_timeout: float
    token_ttl: int
    public_base_url: str = ""  # where people reach the system; https: cookies are Secure
    approval_rate_limit: int = 60  # requests a minute per address to price-approval links
    services: tuple = NAMES  # the registry's services, asked by /health
    account_check_seconds: float = 5.0  # a token's account is read again after this long
    password_min_length: int = 10
    password_reset_seconds: int = 3600  # a reset-by-e-mail link's life
    portal_invite_seconds: int = 7 * 24 * 3600  # a portal invitation's set-password link
    json_max_bytes: int = 256 * 1024  # a JSON body's size limit (413)
    cors_origins: str = ""  # comma-separated origins allowed by CORS; empty: closed
    redis_url: str = ""  # sign-in failure counts in Redis; unset: in the gateway's database
    login_window: int = 900  # seconds: the failure budgets' window
    login_failures_per_username: int = 10
    login_failures_per_address: int = 30
    login_failures_overall: int = 1000
    metrics_token: str = ""  # GET /metrics with this bearer token (Prometheus); admins always

    @classmethod
    def from_env(cls, env=os.environ):
        data_dir = os.path.abspath(env.get("DATA_DIR", "./data"))
        os.makedirs(data_dir, exist_ok=True)
        return cls(
            data_dir=data_dir,
            amqp_uri=env.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
            port=int(env.get("GATEWAY_PORT", "8000")),
            database_url=env.get("GATEWAY_DATABASE_URL")
            or f"sqlite:///{os.path.join(data_dir, 'gateway.db')}",
            rpc_timeout=float(env.get("RPC_TIMEOUT", "10")),
            health_timeout=float(env.get("HEALTH_TIMEOUT", "3")),
            token_ttl=int(env.get("TOKEN_TTL_SECONDS", "28800")),
            public_base_url=(env.get("PUBLIC_BASE_URL")
                             or f"http://127.0.0.1:{env.get('GATEWAY_PORT', '8000')}").rstrip("/"),
            approval_rate_limit=int(env.get("APPROVAL_RATE_LIMIT", "60")),
            account_check_seconds=min(5.0, float(env.get("ACCOUNT_CHECK_SECONDS", "5"))),
            password_min_length=max(8, int(env.get("PASSWORD_MIN_LENGTH", "10"))),
            password_reset_seconds=int(env.get("PASSWORD_RESET_SECONDS", "3600")),
            portal_invite_seconds=max(60, int(env.get("PORTAL_INVITE_SECONDS", "604800"))),
            json_max_bytes=int(env.get("JSON_MAX_BYTES", str(256 * 1024))),
            cors_origins=env.get("CORS_ORIGINS", ""),
            redis_url=env.get("REDIS_URL", ""),
            login_window=max(1, int(env.get("LOGIN_WINDOW_SECONDS", "900"))),
            login_failures_per_username=int(env.get("LOGIN_FAILURES_PER_USERNAME", "10")),
            login_failures_per_address=int(env.get("LOGIN_FAILURES_PER_ADDRESS", "30")),
            login_failures_overall=int(env.get("LOGIN_FAILURES_OVERALL", "1000")),
            metrics_token=env.get("METRICS_TOKEN", ""),
        )

    def jwt_secret(self, env=os.environ):
        if env.get("JWT_SECRET"):
            return env["JWT_SECRET"]
        return _secret_file(os.path.join(self.data_dir, "jwt_secret"),
                            lambda: secrets.token_urlsafe(48))[0]
