"""The gateway: the only HTTP edge (gateway/app.py). Imported first by `python -m gateway.app`,
this quiets the deprecation warnings eventlet and nameko print at import, as
services/common/run.py does for the services."""
from services.common.run import quiet

quiet()
