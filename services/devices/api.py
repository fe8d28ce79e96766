"""What the gateway may import from devices: the schemas of its HTTP inputs and the CSV
import's reader and template (the gateway checks and stages a file before the service applies
it row by row). Nothing else of devices' internals."""
from services.devices.importer import read_csv, template_csv
from services.devices.schemas import (ByCoverageQuery, ByCustomerQuery, ByModelQuery,
                                      CoverageIn, CoverageQuery, CustomerIn, CustomerPatch,
                                      CustomerQuery, DeviceIn, DevicePatch, DeviceQuery,
                                      DeviceTypeIn, DeviceTypePatch, HistoryQuery, MoveIn)

__all__ = [
    "read_csv", "template_csv",
    "ByCoverageQuery", "ByCustomerQuery", "ByModelQuery", "CoverageIn", "CoverageQuery",
    "CustomerIn", "CustomerPatch", "CustomerQuery", "DeviceIn", "DevicePatch", "DeviceQuery",
    "DeviceTypeIn", "DeviceTypePatch", "HistoryQuery", "MoveIn",
]
