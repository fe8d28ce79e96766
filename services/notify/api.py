"""What the gateway may import from notify: the delivery log's query schema."""
from services.notify.schemas import DeliveryQuery

__all__ = ["DeliveryQuery"]
