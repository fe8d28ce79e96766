"""Least privilege: who may touch which record — the one table of record-level rules (issue 20).

Two layers, one vocabulary:
- *per route*: the roles a route admits (services/common/roles.py's sets, named on each route in
  gateway/*_api.py; the gateway refuses others with 403 before any service is asked);
- *per record* (this module): the rules that need the record itself — whose form, whose customer,
  which kind of coverage period, whose import. The service that owns the record applies them
  with the `actor` the gateway passes over RPC; the gateway reads RECORD_RULES only to know
  which routes carry a record check (`Route.record`).

A staff member refused a record gets 403; a customer (portal) gets 404 — a customer must not
learn that a record they may not see exists (`refuse`).
"""
from services.common.exceptions import Forbidden, NotFound, invalid
from services.common.roles import (ADMIN, CONTRACTS, CUSTOMER, DESK_ROLE, FINAL_CHECKER,
                                   MANAGE, MANAGER, REP, TECHNICIAN)

# record -> {role: what that role may touch}; a role not named has the route's roles only.
# The README's access section prints this table (docs/architecture.md, "Access").
RECORD_RULES = {
    "form": {
        TECHNICIAN: "forms assigned to them and the unassigned pool (read and write); every "
                    "form when TECHNICIANS_SEE_ALL_FORMS=true",
        MANAGER: "every form", ADMIN: "every form", DESK_ROLE: "every form",
        FINAL_CHECKER: "every form", REP: "every form (satisfaction calls: their customers')",
        CONTRACTS: "every form",
    },
    "satisfaction_call": {
        REP: "the calls of their own customers", MANAGER: "every call", ADMIN: "every call",
    },
    "customer.rep_and_emails": {
        MANAGER: "change a customer's representative and e-mail addresses",
        ADMIN: "change a customer's representative and e-mail addresses",
    },
    "coverage_period": {
        MANAGER: "every kind", ADMIN: "every kind", CONTRACTS: "`contract` periods only",
    },
    "import_job": {
        MANAGER: "every import job", ADMIN: "every import job",
        CONTRACTS: "their own import jobs",
    },
}

# The customer's fields only MANAGE may change (the finding: a representative took over another
# representative's customer; a desk user sent a customer's e-mail outside).
CUSTOMER_GUARDED_FIELDS = ("rep_user_id", "rep_name", "rep_email", "rep_language", "email")
COVERAGE_KINDS_BY_ROLE = {MANAGER: None, ADMIN: None, CONTRACTS: ("contract",)}  # None: all
IMPORT_READERS_ALL = MANAGE

NOT_YOURS = "You may not touch this record."
ACTOR_SHAPE = "The acting user: its id, name, e-mail address, language and role."
NOT_YOUR_FORM = "This form is neither assigned to you nor unassigned."
CUSTOMER_FIELDS_MANAGERS = ("Only a manager or an admin changes a customer's representative "
                            "or e-mail addresses: {fields}.")
COVERAGE_KIND_REFUSED = "The role '{role}' may add only these coverage periods: {kinds}."
NOT_YOUR_IMPORT = "This import job is another user's."


def actor_of(actor):
    """The `actor` an RPC was given, checked: None (the system itself) or {id, role, …}."""
    if actor is None:
        return None
    if not isinstance(actor, dict) or not isinstance(actor.get("role"), str) or not (
            actor.get("id") is None or isinstance(actor.get("id"), int)):
        raise invalid(actor=[ACTOR_SHAPE])
    return actor


def refuse(actor, message, details=None, record="record"):
    """Staff: 403 with the reason; a customer: 404, as if the record did not exist."""
    if (actor or {}).get("role") == CUSTOMER:
        raise NotFound("No such {record}.", {"record": record})
    raise Forbidden(message, details or {})


def may_touch_form(actor, assignee_ids, technicians_see_all=False):
    """A technician: the forms assigned to them and the unassigned pool (every form when the
    shop opens them all); every other staff role that the route admits: every form."""
    role = (actor or {}).get("role")
    if role == TECHNICIAN and not technicians_see_all:
        ids = set(assignee_ids)
        return not ids or actor.get("id") in ids
    return role != CUSTOMER


def check_form(actor, assignee_ids, technicians_see_all=False, form_id=None):
    if not may_touch_form(actor, assignee_ids, technicians_see_all):
        refuse(actor, NOT_YOUR_FORM, {"form_id": form_id}, "form")


def check_customer_fields(actor, changed):
    """`changed`: the names of the customer's fields this write changes ("contacts.email":
    a contact's address)."""
    guarded = sorted(set(changed) & {*CUSTOMER_GUARDED_FIELDS, "contacts.email"})
    if guarded and (actor or {}).get("role") not in MANAGE:
        raise Forbidden(CUSTOMER_FIELDS_MANAGERS, {"fields": ", ".join(guarded),
                                                   "allowed_roles": list(MANAGE)})


def check_coverage_kind(actor, kind):
    role = (actor or {}).get("role")
    if role not in COVERAGE_KINDS_BY_ROLE:
        refuse(actor, NOT_YOURS)
    kinds = COVERAGE_KINDS_BY_ROLE[role]
    if kinds is not None and kind not in kinds:
        raise Forbidden(COVERAGE_KIND_REFUSED, {"role": role, "kinds": ", ".join(kinds),
                                                "kind": kind})


def check_import_job(actor, owner_id):
    if actor is None:  # the system itself (the import worker)
        return
    if actor.get("role") in IMPORT_READERS_ALL:
        return
    if owner_id is None or actor.get("id") != owner_id:
        refuse(actor, NOT_YOUR_IMPORT, {}, "import job")


def table_markdown():
    """RECORD_RULES as the README's Markdown table (test_access checks the README holds it)."""
    lines = ["| record | who may touch it (beyond the route's roles) |", "|---|---|"]
    for record, rules in RECORD_RULES.items():
        grouped = {}
        for role, what in rules.items():
            grouped.setdefault(what, []).append(role)
        lines.append(f"| {record} | " + "; ".join(
            f"{', '.join(roles)}: {what}" for what, roles in grouped.items()) + " |")
    return "\n".join(lines)
