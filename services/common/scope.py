"""The customer scope (issue 19): one helper that limits a query to one customer, and the base
of the output schemas a customer may be shown. Every read the portal answers goes through it,
so "customer A never sees B's record" is one rule in one place, not a WHERE written per query.

    scope = scope_of(actor)                     # a customer: their customer id; staff: all
    rows = session.scalars(scope.limit(select(Request), Request)).all()
    request = scope.get(session, Request, request_id, "request")   # 404 when not theirs

Out of scope is answered exactly as "does not exist" (NotFound, 404): ids are not confirmed.

`CustomerSafe` is the base of every schema that dumps to a customer: it refuses, when the
schema class is defined, a field whose name says it is internal (notes, staff e-mails, who on
the staff did it, coverage internals), so a later field cannot leak by being added."""
from marshmallow import Schema

from services.common.exceptions import NotFound, invalid
from services.common.roles import CUSTOMER
from services.common.schemas import is_id

NO_CUSTOMER = "A customer account without its customer."
# words of a field's name (split at "_") never shown to a customer
INTERNAL = frozenset(("note", "notes", "email", "by", "staff", "rep", "internal", "sha256",
                      "storage", "assignee", "assignees", "terms", "vendor", "insurer",
                      "policy", "reviewer"))


class CustomerScope:
    """The queries of one customer: `limit` adds `customer_id = :id` on the model's column."""

    def __init__(self, customer_id):
        if not is_id(customer_id):
            raise invalid(actor=[NO_CUSTOMER])
        self.customer_id = customer_id

    def limit(self, stmt, model):
        return stmt.where(model.customer_id == self.customer_id)

    def allows(self, customer_id):
        return customer_id == self.customer_id

    def get(self, session, model, record_id, record):
        """The row by its id when it is this customer's; else 404 as if it did not exist."""
        row = session.get(model, record_id) if is_id(record_id) else None
        if row is None or not self.allows(row.customer_id):
            raise NotFound("No such {record}.", {"record": record})
        return row


class Unscoped(CustomerScope):
    """Staff (the route's roles were checked by the gateway): every customer's records."""

    def __init__(self):
        self.customer_id = None

    def limit(self, stmt, model):
        return stmt

    def allows(self, customer_id):
        return True


def scope_of(actor):
    """A customer actor ({role: customer, customer_id}) → their scope; any other → Unscoped.
    A customer actor without a customer id is refused (never read as "every customer")."""
    if (actor or {}).get("role") == CUSTOMER:
        return CustomerScope((actor or {}).get("customer_id"))
    return Unscoped()


class _SafeMeta(type(Schema)):
    def __new__(mcs, name, bases, attrs, **kwargs):
        klass = super().__new__(mcs, name, bases, attrs, **kwargs)
        for field in klass._declared_fields:
            if INTERNAL & set(field.lower().split("_")):
                raise TypeError(f"{name}.{field}: not a field a customer may see")
        return klass


class CustomerSafe(Schema, metaclass=_SafeMeta):
    """Base of a schema dumped to customers: a field named like internal data is an error
    when the class is defined (services/portal/tests/unit/test_rules.py)."""
