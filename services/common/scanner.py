"""The due-date scanner: a background loop over the rows of one table that are due, each row
taken by one process at a time, across replicas and restarts.

A subclass names the table (a model with `claimed_by` and `claimed_until` columns), what is
due (`due(now)`, a WHERE clause), the order, and what to do with a claimed batch
(`process(claim)`). A claim is an UPDATE that stamps up to `batch` free due rows with a token
and an expiry (`claimed_until` = now + lease); only rows whose claim is absent or expired are
free, so a process that dies leaves rows that are taken again once the lease runs out, and two
live processes never take the same row. On PostgreSQL the rows are picked with
`FOR UPDATE SKIP LOCKED`, so replicas claiming at the same instant take different rows instead
of waiting for each other. What the subclass writes back (sent, done, rescheduled) it writes
only `where claimed_by = token` (`Claim.mine`), so an outcome never lands on a row another
process has taken since.

Used by the outbox relay (services/common/outbox.py), notify's sender, and every later
reminder or scheduled action (contracts, maintenance visits): "fires once" is this claim plus
an idempotent effect.
"""
import time
import uuid
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import sessionmaker

from services.common.loop import BackgroundLoop
from services.common.models import utcnow
from services.common.settings import setting


class Claim:
    """A batch of rows claimed by one process: `ids`, `token`, and when it was taken."""

    def __init__(self, model, token, ids, lease, taken):
        self.model, self.token, self.ids, self.lease = model, token, ids, lease
        self.taken = taken  # before the claim's expiry was computed: never later than it

    def mine(self, column_of_model):
        """The WHERE clause 'still claimed by us' for outcome writes."""
        return column_of_model == self.token

    def renew_if_old(self, session, row_id):
        """Past half its lease, extend the claim of `row_id` before working on it; False when
        it is no longer ours (the lease ran out and another process took it)."""
        if time.monotonic() - self.taken <= self.lease / 2:
            return True
        model = self.model
        return session.execute(update(model).where(
            model.id == row_id, model.claimed_by == self.token).values(
            claimed_until=utcnow() + timedelta(seconds=self.lease)),
            execution_options={"synchronize_session": False}).rowcount == 1


class Scanner(BackgroundLoop):
    model = None  # the table's model: id, claimed_by, claimed_until
    batch = 20
    lease_seconds = 60.0
    lease_setting = None  # a config name that overrides lease_seconds
    poll_setting = None  # a config name that overrides poll_seconds

    def __init__(self, database_attr="db"):
        super().__init__()
        # The attribute name of the service's Database provider, whose engine the loop uses
        # (not the provider itself: nameko would bind it a second time as a sub-extension).
        self.database_attr = database_attr
        self.Session = None

    def setup(self):
        config = self.container.config
        if self.poll_setting:
            self.poll_seconds = setting(config, self.poll_setting, self.poll_seconds, float)
        if self.lease_setting:
            self.lease_seconds = setting(config, self.lease_setting, self.lease_seconds, float)

    def start(self):
        self.Session = sessionmaker(self.provider(self.database_attr).engine,
                                    expire_on_commit=False)
        super().start()

    # -- what a subclass says --------------------------------------------------------------
    def due(self, now):
        """The WHERE clause of rows due at `now`."""
        raise NotImplementedError

    def order(self):
        return (self.model.id,)

    def process(self, claim):
        """Work on the claimed rows (claim.ids)."""
        raise NotImplementedError

    # -- the loop --------------------------------------------------------------------------
    def step(self):
        claim = self.claim()
        if not claim.ids:
            return False
        self.process(claim)
        return len(claim.ids) == self.batch

    def claim(self, limit=None):
        """Claim up to `limit` (default `batch`) free due rows for this process."""
        return claim_rows(self.Session, self.model, self.due, self.order(),
                          limit or self.batch, self.lease_seconds)


def claim_rows(Session, model, due, order, limit, lease_seconds, ids=None):
    """One claim: up to `limit` free rows that are `due(now)` (and among `ids`, when given)
    stamped with a new token for `lease_seconds`; the Claim names the rows it got."""
    taken, now, token = time.monotonic(), utcnow(), uuid.uuid4().hex
    free = or_(model.claimed_until.is_(None), model.claimed_until < now)
    with Session() as session, session.begin():
        pick = select(model.id).where(due(now), free)
        if ids is not None:
            pick = pick.where(model.id.in_(list(ids)))
        pick = pick.order_by(*order).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        # RETURNING names the rows taken: reading them back `where claimed_by = token` had
        # no index to use, a scan of the whole table per claim (the outbox keeps its sent
        # rows: 170k after a 100k-row import, and the relay claims 200 at a time)
        claimed = session.scalars(
            update(model).where(model.id.in_(pick.scalar_subquery()), free).values(
                claimed_until=now + timedelta(seconds=lease_seconds), claimed_by=token)
            .returning(model.id), execution_options={"synchronize_session": False}).all()
        if len(order) == 1 and order[0] is model.id:
            claimed.sort()
        elif claimed:
            claimed = session.scalars(select(model.id).where(model.id.in_(claimed))
                                      .order_by(*order)).all()
    return Claim(model, token, claimed, lease_seconds, taken)
