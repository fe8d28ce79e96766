"""Rebuild the customers' timeline from scratch by paging forms' RPCs: every form
(`list_forms`, by number, 200 a page) and each form's history (`form_history`, 500 a page).

    python -m services.portal.rebuild        (PORTAL_DATABASE_URL or DATA_DIR's SQLite,
                                              AMQP_URI: forms must be running)

What it can rebuild is what forms' history holds: each form's row (number, device, complaint,
the customer's language, its status now) and its customer-visible status moves (created, then
each move to a status forms marks customer-visible). A price approval's amount and the repair
warranty's end come only from the events (`price_approval_requested`, `form_completed`) and
return with the next ones. Entries are keyed `history-<history id>`, so running it again adds
nothing; events handled while it runs keep their own keys (an entry may then show twice until
the next rebuild). Each page of forms is written in one transaction."""
import os
import sys
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import sessionmaker

from services.portal import domain
from services.portal.models import TimelineEntry, TimelineForm

FORMS_PAGE, HISTORY_PAGE = 200, 500


def _at(text):
    return datetime.fromisoformat(text)


class Rebuild:
    """`ask(method, *args)`: forms' RPC (a ClusterRpcProxy's, or a worker's client)."""

    def __init__(self, Session, ask):
        self.Session, self.ask = Session, ask

    def run(self):
        with self.Session() as s:
            s.execute(delete(TimelineEntry))
            s.execute(delete(TimelineForm))
            s.commit()
        count, cursor = 0, None
        while True:
            query = {"sort": "number", "limit": FORMS_PAGE, **({"cursor": cursor} if cursor
                                                                else {})}
            page = self.ask("list_forms", query)
            with self.Session() as s:
                for form in page["items"]:
                    self._form(s, form)
                    count += 1
                s.commit()
            cursor = page["next_cursor"]
            if not cursor:
                return count

    def _history(self, form_id):
        cursor = None
        while True:
            page = self.ask("form_history", form_id, {"limit": HISTORY_PAGE,
                                                      **({"cursor": cursor} if cursor else {})})
            yield from page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return

    def _form(self, s, form):
        device = form.get("device") or {}
        opened = _at(form["created_at"])
        row = TimelineForm(
            form_id=form["id"], customer_id=form["customer_id"], number=form["number"],
            language=domain.language_of(form.get("customer_language")), status="NEW",
            device_id=form.get("device_id"), brand=device.get("brand"),
            model=device.get("model"), serial=device.get("serial"),
            complaint=form.get("complaint"), opened_at=opened, updated_at=opened)
        s.add(row)
        for h in sorted(self._history(form["id"]), key=lambda h: h["id"]):
            if h["action"] != "status" or h["to"] not in domain.CUSTOMER_VISIBLE:
                continue
            kind = "created" if h["from"] is None else "status"
            at = _at(h["at"])
            s.add(TimelineEntry(event_id=f"history-{h['id']}", form_id=form["id"],
                                customer_id=form["customer_id"], kind=kind, status=h["to"],
                                at=at))
            row.status, row.updated_at = h["to"], max(at, row.updated_at)


def main():
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.common.db import database_url, make_engine
    engine = make_engine(database_url({}, "portal"))
    amqp = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=60) as rpc:
        count = Rebuild(sessionmaker(engine, expire_on_commit=False),
                        lambda method, *args: getattr(rpc.forms, method)(*args)).run()
    print(f"portal: the timeline of {count} forms rebuilt from forms' history")
    return 0


if __name__ == "__main__":
    sys.exit(main())
