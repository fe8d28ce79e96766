"""The console's screens for maintenance contracts (issue 17): proposals (list, one with its
figures, accept/reject, e-mail it), contracts (list, one with its devices, terms, invoices;
cancel, renew) and the renewal list. Every read and write goes through gateway/web/api.py
`call`, as the other screens do: the API's route, roles, loading and version contract."""
from flask import redirect, request, url_for

from gateway.web import api
from gateway.web.i18n import error_text, field_errors, gettext
from gateway.web.pages import STALE, as_decimal, as_int, listed, page, text_or_none
from gateway.web.shell import bp, render
from services.common.exceptions import Conflict, Forbidden, NotFound, ServisError

PROPOSAL = "/proposals/<id:proposal_id>"
CONTRACT = "/contracts/<id:contract_id>"


@bp.get("/proposals")
@page("GET", "/proposals")
def proposals():
    status = request.args.get("status") or None
    items, error = listed("/proposals", {"limit": 50, **({"status": status} if status else {})})
    return render("proposals.html", items=items, error=error, status=status)


@bp.get("/proposals/<id:proposal_id>")
@page("GET", PROPOSAL)
def proposal_page(proposal_id, status=200, error=None, errors=()):
    proposal = api.call("GET", PROPOSAL, {"proposal_id": proposal_id})
    return render("proposal.html", status=status, p=proposal, error=error, errors=list(errors),
                  may_decide=api.may("POST", PROPOSAL + "/decision"))


@bp.get("/contracts")
@page("GET", "/contracts")
def contracts():
    items, error = listed("/contracts", {"limit": 50})
    month = request.args.get("month") or None
    renewals, renewals_error = ([], None) if not month else listed(
        "/reports/contracts/renewals", {"end_from": month, "limit": 100})
    return render("contracts.html", items=items, error=error or renewals_error,
                  renewals=renewals, month=month)


@bp.get("/contracts/<id:contract_id>")
@page("GET", CONTRACT)
def contract_page(contract_id, status=200, error=None, errors=()):
    contract = api.call("GET", CONTRACT, {"contract_id": contract_id})
    invoices = api.call("GET", CONTRACT + "/invoices", {"contract_id": contract_id})
    return render("contract.html", status=status, c=contract, invoices=invoices["items"],
                  error=error, errors=list(errors),
                  may_write=api.may("POST", CONTRACT + "/cancel"))


def _write(rule, view_args, body, back):
    """One write with the version the page read; back to the page, or the page with the
    error (a stale version: the "reload" page, nothing written)."""
    version = as_int(request.form.get("version"))
    try:
        answer = api.call("POST", rule, view_args, body=body,
                          version=version if isinstance(version, int) else None)
    except Conflict as exc:
        if "given" in exc.details:
            return None, render("stale.html", status=409, message=gettext(STALE),
                                reload=url_for(back[0], **back[1]))
        return None, _again(back, exc.http_status, error_text(exc))
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return None, _again(back, exc.http_status, error_text(exc), field_errors(exc))
    return answer, None


def _again(back, status, error, errors=()):
    endpoint, args = back[0], back[1]
    if endpoint == "web.proposal_page":
        return proposal_page(args["proposal_id"], status, error, errors)
    return contract_page(args["contract_id"], status, error, errors)


@bp.post("/proposals/<id:proposal_id>/decision")
@page("POST", PROPOSAL + "/decision")
def decide_proposal(proposal_id):
    back = ("web.proposal_page", {"proposal_id": proposal_id})
    answer, shown = _write(PROPOSAL + "/decision", {"proposal_id": proposal_id}, {
        "decision": request.form.get("decision") or "", "note": text_or_none("note")}, back)
    if shown is not None:
        return shown
    if answer.get("contract_id"):
        return redirect(url_for("web.contract_page", contract_id=answer["contract_id"]), 303)
    return redirect(url_for("web.proposal_page", proposal_id=proposal_id), 303)


@bp.post("/proposals/<id:proposal_id>/send")
@page("POST", PROPOSAL + "/send")
def send_proposal(proposal_id):
    try:
        api.call("POST", PROPOSAL + "/send", {"proposal_id": proposal_id},
                 body={"email": text_or_none("email")})
    except (NotFound, Forbidden):
        raise
    except ServisError as exc:
        return proposal_page(proposal_id, exc.http_status, error_text(exc), field_errors(exc))
    return redirect(url_for("web.proposal_page", proposal_id=proposal_id) + "#sent", 303)


@bp.post("/contracts/<id:contract_id>/cancel")
@page("POST", CONTRACT + "/cancel")
def cancel_contract(contract_id):
    back = ("web.contract_page", {"contract_id": contract_id})
    _, shown = _write(CONTRACT + "/cancel", {"contract_id": contract_id}, {
        "reason": text_or_none("reason") or "", "end": text_or_none("end") or ""}, back)
    return shown or redirect(url_for(back[0], **back[1]), 303)


@bp.post("/contracts/<id:contract_id>/renew")
@page("POST", CONTRACT + "/renew")
def renew_contract(contract_id):
    back = ("web.contract_page", {"contract_id": contract_id})
    answer, shown = _write(CONTRACT + "/renew", {"contract_id": contract_id}, {
        "increase_percent": as_decimal(request.form.get("increase_percent")) or ""}, back)
    if shown is not None:
        return shown
    return redirect(url_for("web.proposal_page", proposal_id=answer["id"]), 303)
