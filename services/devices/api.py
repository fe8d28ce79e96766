"""What the gateway may import from devices: the schemas of its HTTP inputs and the CSV
import's reader and template (the gateway checks and stages a file before the service applies
it row by row). Nothing else of devices' internals."""
from services.devices.importer import KINDS as IMPORT_KINDS
from services.devices.importer import Duplicates, ImportStream, read_csv, template_csv
from services.devices.schemas import (ByCoverageQuery, ByCustomerQuery, ByModelQuery,
                                      CoverageIn, CoverageQuery, CustomerIn, CustomerPatch,
                                      CustomerQuery, DeviceIn, DevicePatch, DeviceQuery,
                                      DeviceTypeIn, DeviceTypePatch, HistoryQuery, MoveIn)

__all__ = [
    "read_csv", "template_csv", "ImportStream", "Duplicates", "IMPORT_KINDS",
    "ByCoverageQuery", "ByCustomerQuery", "ByModelQuery", "CoverageIn", "CoverageQuery",
    "CustomerIn", "CustomerPatch", "CustomerQuery", "DeviceIn", "DevicePatch", "DeviceQuery",
    "DeviceTypeIn", "DeviceTypePatch", "HistoryQuery", "MoveIn",
]
