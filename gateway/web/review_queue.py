"""The staff console's review queue of the portal's service requests (issue 16): the requests
customers submitted online, one with its photos, accept (forms opens the form: the page goes
on to it) or decline with a reason the customer reads. Every read and write goes through
gateway/web/api.py `call` on the portal's routes, as the other screens do: the roles are the
routes' (desk, manager, admin)."""
from flask import redirect, request, url_for

from gateway.rpc import ServiceTimeout
from gateway.web import api
from gateway.web.i18n import error_text, field_errors, gettext
from gateway.web.pages import STALE, as_int, page, text_or_none
from gateway.web.shell import bp, render
from services.common.exceptions import (Conflict, Forbidden, NotFound, ServiceUnavailable,
                                        ServisError)

REQUEST = "/portal/requests/<id:request_id>"
NAMES_AT_MOST = 25  # customers named per page (one read each); the rest show their number


def customer_names(customer_ids):
    """{customer id: name} from devices, for the first NAMES_AT_MOST distinct customers; a
    customer that cannot be read (erased, devices away) keeps its number on the page."""
    names = {}
    for customer_id in list(dict.fromkeys(customer_ids))[:NAMES_AT_MOST]:
        try:
            names[customer_id] = api.call("GET", "/customers/<id:customer_id>",
                                          {"customer_id": customer_id})["name"]
        except (ServiceUnavailable, ServiceTimeout):
            break  # devices is away or slow: the rest keep their numbers, the page comes now
        except ServisError:
            pass
    return names


@bp.get("/review")
@page("GET", "/portal/requests")
def review_queue():
    waiting = api.call("GET", "/portal/requests", query={"status": "submitted", "limit": 100})
    return render("review_queue.html", requests=waiting["items"],
                  names=customer_names(r["customer_id"] for r in waiting["items"]),
                  more=bool(waiting.get("next_cursor")))


@bp.get("/review/<id:request_id>")
@page("GET", REQUEST)
def review_request(request_id, status=200, error=None, errors=(), values=None):
    req = api.call("GET", REQUEST, {"request_id": request_id})
    return render("review_request.html", status=status, req=req, error=error,
                  names=customer_names([req["customer_id"]]),
                  errors=list(errors), values=values or {},
                  may_review=api.may("POST", REQUEST + "/accept"))


@bp.get("/review/<id:request_id>/photos/<id:photo_id>")
@page("GET", REQUEST + "/photos/<id:photo_id>")
def review_photo(request_id, photo_id):
    return api.call("GET", REQUEST + "/photos/<id:photo_id>",
                    {"request_id": request_id, "photo_id": photo_id})


def _review(action, request_id, body):
    version = as_int(request.form.get("version"))
    try:
        done = api.call("POST", REQUEST + action, {"request_id": request_id}, body=body,
                        version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return render("stale.html", status=409, message=gettext(STALE),
                          reload=url_for("web.review_request", request_id=request_id))
        return review_request(request_id, exc.http_status, error_text(exc))
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return review_request(request_id, exc.http_status, error_text(exc),
                              field_errors(exc), request.form)
    if done.get("form_id"):
        return redirect(url_for("web.form_page", form_id=done["form_id"]), 303)
    return redirect(url_for("web.review_queue"), 303)


@bp.post("/review/<id:request_id>/accept")
@page("POST", REQUEST + "/accept")
def review_accept(request_id):
    return _review("/accept", request_id, {})


@bp.post("/review/<id:request_id>/decline")
@page("POST", REQUEST + "/decline")
def review_decline(request_id):
    return _review("/decline", request_id, {"reason": text_or_none("reason") or ""})
