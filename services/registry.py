"""Every service of the system, once: its name, the module holding its nameko class, and its
config file. deploy/ starts these, the gateway's health asks each of them, the tests and the
benchmarks find them here. Adding a service is its folder (services/<name>/, see "Adding a
service" in docs/architecture.md) and one line below."""
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceEntry:
    name: str  # the nameko service name: its RPC queue is rpc-<name>, its events <name>.events

    @property
    def module(self):
        return f"services.{self.name}.service"

    @property
    def config(self):
        return f"services/{self.name}/config.yaml"

    @property
    def database_env(self):
        return f"{self.name.upper()}_DATABASE_URL"


SERVICES = (
    ServiceEntry("devices"),
    ServiceEntry("forms"),
    ServiceEntry("notify"),
    ServiceEntry("knowledge"),
    ServiceEntry("contracts"),
    ServiceEntry("portal"),
)
NAMES = tuple(s.name for s in SERVICES)
