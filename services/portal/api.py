"""What the gateway may import from portal: the schemas of its HTTP inputs, the roles of its
routes, the limits the gateway checks first, and the names it shows."""
from services.common.roles import ADMIN, CUSTOMER, DESK_ROLE, MANAGER
from services.portal.domain import (MAX_PHOTO_BYTES, MAX_PHOTOS, NO_TRACKING,
                                    REQUEST_STATUS_NAMES, REVIEWERS, STATUS_NAMES, photo_type)
from services.portal.schemas import AcceptIn, DeclineIn, FormsQuery, RequestIn, RequestQuery

CUSTOMERS = (CUSTOMER,)
STAFF_READERS = (DESK_ROLE, MANAGER, ADMIN)  # the review queue

__all__ = ["ADMIN", "CUSTOMERS", "MAX_PHOTO_BYTES", "MAX_PHOTOS", "NO_TRACKING",
           "REQUEST_STATUS_NAMES",
           "REVIEWERS", "STAFF_READERS", "STATUS_NAMES", "photo_type", "AcceptIn",
           "DeclineIn", "FormsQuery", "RequestIn", "RequestQuery"]
