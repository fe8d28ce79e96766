"""The customer's side of a price approval (fiyat onay formu), with no account: the estimate
behind a one-time link and the decision on it —
`GET /api/v1/price-approvals/{token}` and `POST /api/v1/price-approvals/{token}/decision` —,
the same work the link's page (gateway/web/approval.py) does. Public: the token is the
authority (forms keeps only its hash). Written by hand, not declared: a declared route has
roles, and these have none.

- A link that does not work (used, expired, withdrawn, never ours) is a 410 `gone` whose
  `details.reason` and message say which, and nothing about any form.
- Each address may ask at most APPROVAL_RATE_LIMIT times a minute (429), pages and API
  together: a token cannot be guessed (256 bits), and this keeps anyone from trying.
- The decision records the address and the browser (`User-Agent`) the gateway saw: the
  direct peer's address (no X-Forwarded-For is trusted: behind a proxy, configure waitress's
  trusted proxy first).
- Answers are `Cache-Control: no-store` and `Referrer-Policy: no-referrer`: a link is a
  secret, and a page or answer holding it is kept nowhere and sent nowhere."""
import threading
import time

from flask import current_app, request
from flask_smorest import Blueprint

from gateway.auth import TooManyRequests
from gateway.helpers import rpc, to_wire
from services.common.exceptions import Gone
from services.forms.api import LINK_NOT_VALID, DecisionIn

TOO_MANY_LINKS = "Too many requests from your address; try again in a minute."
TOKEN = "/price-approvals/<token>"
LONGEST = 200  # no token of ours is longer (43 characters): not sent to forms

blp = Blueprint("price_approvals", __name__, url_prefix="/api/v1",
                description="Price approval by its one-time link (public: no sign-in)")


class LinkLimiter:
    """At most `limit` requests per address within `window` seconds (a sliding window)."""

    def __init__(self, limit=60, window=60.0):
        self.limit, self.window = limit, window
        self.hits, self.lock = {}, threading.Lock()

    def hit(self, address):
        now = time.monotonic()
        with self.lock:
            if len(self.hits) > 10000:  # bounded: forget addresses with no recent request
                self.hits = {k: v for k, v in self.hits.items()
                             if v and now - v[-1] < self.window}
            recent = [t for t in self.hits.get(address, []) if now - t < self.window]
            if len(recent) >= self.limit:
                self.hits[address] = recent
                raise TooManyRequests(TOO_MANY_LINKS, {
                    "retry_after": int(self.window - (now - recent[0])) + 1})
            recent.append(now)
            self.hits[address] = recent

    def reset(self):
        with self.lock:
            self.hits = {}


def limiter():
    ext = current_app.extensions["servis"]
    if not hasattr(ext, "link_limiter"):
        ext.link_limiter = LinkLimiter(ext.settings.approval_rate_limit)
    return ext.link_limiter


def client():
    """Where a decision came from, as recorded with it."""
    return {"ip": request.remote_addr,
            "user_agent": (request.headers.get("User-Agent") or "")[:500] or None}


def _asked(token):
    limiter().hit(request.remote_addr)
    if len(token) > LONGEST:
        raise Gone(LINK_NOT_VALID, {"reason": "invalid"})


def estimate_of(token):
    """The estimate a link shows (forms' answer), or Gone (410) saying why not."""
    _asked(token)
    return rpc("forms", "price_approval_by_link", token)


def decide(token, body):
    """The decision on a link: {decision, at, version}, or Gone (410) saying why not."""
    _asked(token)
    return rpc("forms", "decide_price_approval", token, to_wire(DecisionIn, body), client())


@blp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blp.route(TOKEN, methods=["GET"])
@blp.doc(security=[])
@blp.alt_response(200, success=True, description="The estimate")
def approval(token):
    """The estimate behind a price-approval link (public: the link is the key).

    The form's number, device, complaint and diagnosis, the estimate's lines and totals, the
    company's name and phone, and until when the link works. A link that is used, expired,
    withdrawn or not valid is a 410 whose `details.reason` (`used`, `expired`, `voided`,
    `invalid`) and message say which — and nothing else. At most APPROVAL_RATE_LIMIT requests a
    minute per address (429)."""
    return estimate_of(token)


@blp.route(TOKEN + "/decision", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(DecisionIn, arg_name="body")
@blp.alt_response(201, success=True, description="The decision, recorded")
def decision(body, token):
    """Approve or reject the estimate behind a price-approval link (public; once).

    `decision` approved or rejected, `note`. Recorded with the time, the caller's address and
    browser; approved, the form goes on to the repair; rejected, the device is returned
    unrepaired (only the diagnosis fee is billed). The link works once: afterwards, and for an
    expired, withdrawn or invalid one, a 410 as above."""
    return decide(token, body), 201


BLUEPRINTS = (blp,)
