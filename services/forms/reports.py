"""Reports over the stored totals of service forms: service revenue (servis gelirleri) and
satisfaction averages. Reads only."""
from decimal import Decimal

from sqlalchemy import Text, and_, case, cast, func, select

from services.common.text import sort_key
from services.forms import domain
from services.forms.models import Assignment, Form, WorkLog


class FormReports:
    def __init__(self, session, settings):
        self.db, self.settings = session, settings

    def revenue(self, query):
        """Service revenue (servis gelirleri) of the forms delivered in the window (Türkiye's
        days, both included; cancelled ones left out), grouped by day, month, customer, device
        type or technician. By technician each form's amounts are split by their share of its
        work time (forms without work time under 'unassigned')."""
        amounts = (Form.labour_total, Form.parts_total, Form.fee_total, Form.gross_total,
                   Form.covered_total, Form.subtotal, Form.discount_total, Form.vat_total,
                   Form.total)
        names = ("labour", "parts", "service_fee", "gross", "covered", "subtotal", "discount",
                 "vat", "total")
        width = len(amounts)
        where = (Form.delivered_on >= query["date_from"], Form.delivered_on <= query["date_to"],
                 Form.status != "CANCELLED")
        group = query["group_by"]
        if group == "technician":
            raw = self._revenue_by_technician(amounts, where)
            # SQLite computes the shares as floats: rounded half-up to kuruş, one by one
            sums = [sum((_dec(vals[i]) for _, vals, _ in raw), Decimal(0))
                    for i in range(width)]
            items = sorted(({**label, **dict(zip(names, map(_amount, vals))), "forms": count}
                            for label, vals, count in raw),
                           key=lambda i: sort_key(i["name"] or ""))
        else:
            # one row per group, already in the answer's order and with its amounts as text
            # (the database sorts and prints them): at 49k customers, sorting, making a
            # Decimal of each of 441k sums and formatting it in Python cost more than the
            # query itself (docs/benchmarks.md)
            label, order = {
                "day": ((Form.delivered_on,), Form.delivered_on),
                "month": ((Form.delivered_month,), Form.delivered_month),
                "customer": ((Form.customer_id, func.min(Form.customer_name)),
                             func.min(Form.customer_name_sort)),
                "device_type": ((Form.device_type_key,), Form.device_type_key)}[group]
            stmt = (select(*label, *[self._as_text(func.sum(a)) for a in amounts], func.count())
                    .where(*where).group_by(label[0]).order_by(order, label[0]))
            keys = {"day": ("day",), "month": ("month",), "customer": ("customer_id", "name"),
                    "device_type": ("device_type",)}[group] + names + ("forms",)
            result = self.db.connection().execute(stmt).all()  # Core: no ORM row loading
            n = len(label)
            sums = [sum(map(Decimal, column), Decimal(0))
                    for column in zip(*(r[n:n + width] for r in result))] or [0] * width
            items = [dict(zip(keys, r)) for r in result]
            if group == "day":
                for item in items:
                    item["day"] = item["day"].isoformat()
            elif group == "device_type":
                for item in items:
                    item["device_type"] = item["device_type"] or None
                items.sort(key=lambda i: sort_key(i["device_type"] or ""))
        totals = {name: f"{domain.money(v):.2f}" for name, v in zip(names, sums)}
        others = None
        if group == "customer" and len(items) > query["limit"]:
            # the customers with the most revenue, and everyone else in one line
            ranked = sorted(range(len(items)), key=lambda i: Decimal(items[i]["total"]),
                            reverse=True)
            rest = [items[i] for i in ranked[query["limit"]:]]
            keep = set(ranked[:query["limit"]])
            items = [item for i, item in enumerate(items) if i in keep]
            rest_sums = [sum((Decimal(r[name]) for r in rest), Decimal(0)) for name in names]
            others = {"customers": len(rest), "forms": sum(r["forms"] for r in rest),
                      **{name: f"{domain.money(v):.2f}" for name, v in zip(names, rest_sums)}}
        return {"group_by": group, "from": query["date_from"].isoformat(),
                "to": query["date_to"].isoformat(), "currency": self.settings.currency,
                "items": items, "others": others, "totals": totals}

    def _as_text(self, amount):
        """A sum of a NUMERIC(12, 2) column as its text with two decimals, written by the
        database. PostgreSQL's SUM keeps the column's scale; SQLite's is a float (its error
        far below a kuruş at these sizes), printed with two places."""
        if self.db.get_bind().dialect.name == "sqlite":
            return func.printf("%.2f", amount)
        return cast(amount, Text)

    def _revenue_by_technician(self, amounts, where):
        """Each form's amounts split by the workers' shares of its work minutes: every share
        but the largest is rounded to kuruş and the largest takes the rest, so the shares of a
        form add up to its amount exactly. Forms without work time: user None. One pass: the
        window's forms joined to their work logs, grouped per (form, worker), ranked."""
        width = len(amounts)
        minutes = func.sum(WorkLog.minutes)
        g = (select(Form.id.label("fid"), WorkLog.user_id,
                    func.min(WorkLog.user_name).label("user_name"), minutes.label("minutes"),
                    Form.work_minutes.label("wm"),
                    *[a.label(f"a{i}") for i, a in enumerate(amounts)],
                    func.row_number().over(partition_by=Form.id,
                                           order_by=(minutes.desc(), WorkLog.user_id))
                    .label("rn"))
             .select_from(Form)
             .outerjoin(WorkLog, and_(WorkLog.form_id == Form.id, WorkLog.running.is_(False)))
             .where(*where).group_by(Form.id, WorkLog.user_id).subquery())
        columns = []
        for i in range(width):
            exact = g.c[f"a{i}"] * g.c.minutes / func.nullif(g.c.wm, 0)
            columns += [case((g.c.rn > 1, func.round(exact, 2)), else_=0).label(f"r{i}"),
                        g.c[f"a{i}"].label(f"a{i}")]
        split = select(g.c.fid, g.c.user_id, g.c.user_name, g.c.rn, *columns).subquery()
        largest = split.c.rn == 1
        shares = select(split.c.fid, split.c.user_id, split.c.user_name, *[
            case((largest, split.c[f"a{i}"] - func.sum(split.c[f"r{i}"]).over(
                partition_by=split.c.fid)), else_=split.c[f"r{i}"]).label(f"s{i}")
            for i in range(width)]).subquery()
        stmt = (select(shares.c.user_id, func.min(shares.c.user_name),
                       *[func.sum(shares.c[f"s{i}"]) for i in range(width)],
                       func.count(func.distinct(shares.c.fid)))
                .group_by(shares.c.user_id))
        return [({"user_id": r[0], "name": r[1] or None}, r[2:2 + width], r[2 + width])
                for r in self.db.execute(stmt)]

    def satisfaction(self, query):
        """Average score by technician, customer or month (of delivery): each form counts with
        its latest recorded score."""
        stmt = select(func.avg(Form.survey_score), func.count()).where(
            Form.survey_score.is_not(None))
        if query["date_from"]:
            stmt = stmt.where(Form.delivered_on >= query["date_from"])
        if query["date_to"]:
            stmt = stmt.where(Form.delivered_on <= query["date_to"])
        if query["group_by"] == "technician":
            stmt = stmt.join(Assignment, Assignment.form_id == Form.id).add_columns(
                Assignment.user_id, func.min(Assignment.name)).group_by(Assignment.user_id)
            out = lambda r: {"user_id": r[2], "name": r[3]}  # noqa: E731
        elif query["group_by"] == "customer":
            stmt = stmt.add_columns(Form.customer_id, func.min(Form.customer_name)).group_by(
                Form.customer_id)
            out = lambda r: {"customer_id": r[2], "name": r[3]}  # noqa: E731
        else:
            stmt = stmt.add_columns(Form.delivered_month).group_by(Form.delivered_month)
            out = lambda r: {"month": r[2]}  # noqa: E731
        rows = self.db.execute(stmt).all()
        items = [{**out(r), "average": f"{Decimal(r[0]):.1f}", "surveys": r[1]} for r in rows]
        items.sort(key=lambda i: (i.get("month") or "", sort_key(i.get("name") or "")))
        return {"items": items, "next_cursor": None}


def _amount(value):
    """A sum as the report writes it, two decimals. PostgreSQL's SUM of NUMERIC(12, 2) and
    SQLAlchemy's Numeric(12, 2) on SQLite already give a two-place Decimal, whose str is the
    answer (the per-group quantize and format cost more than the query at 49k customers);
    anything else (SQLite's float for a computed share) is rounded half-up first."""
    if isinstance(value, Decimal):
        text = str(value)
        if len(text) > 3 and text[-3] == "." and "E" not in text:
            return text
    return f"{domain.money(_dec(value)):.2f}"


def _dec(value):
    """A sum as Decimal: SQLite gives floats for computed shares; their shortest repr is the
    decimal meant (5.005, not 5.00499…)."""
    if value is None:
        return Decimal(0)
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)
