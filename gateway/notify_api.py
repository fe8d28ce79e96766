"""Outgoing e-mail and its delivery log (notify), declared."""
from flask_smorest import Blueprint

from gateway.helpers import Page
from gateway.routes import Route, declare
from services.common.roles import ADMINS, MANAGE
from services.notify.api import DeliveryQuery

blp = Blueprint("emails", __name__, url_prefix="/api/v1",
                description="Outgoing e-mail and its delivery log")

ROUTES = declare(blp, [
    Route("GET", "/emails", "notify", "list_deliveries", MANAGE, args=("query",),
          query=DeliveryQuery, response=Page,
          doc="The delivery log, newest first: `?status=failed` shows what did not go out."),
    Route("POST", "/emails/<id:delivery_id>/resend", "notify", "resend", ADMINS,
          args=("delivery_id",),
          doc="Queue a failed e-mail again (same Message-ID); 409 unless it failed."),
])

BLUEPRINTS = (blp,)
