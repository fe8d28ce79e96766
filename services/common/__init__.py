"""What every service shares. Importing it makes kombu's `json` serializer orjson
(services/common/wire.py): every process of ours that speaks nameko — a service, a test, a
benchmark's client — imports this package first."""
from services.common import wire

wire.install()
