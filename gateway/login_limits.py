"""Sign-in failure budgets (issue 20, finding 8): per username, per address and for the whole
system, each a count of failures in a fixed window (LOGIN_WINDOW_SECONDS). A budget spent is
a 429 until its window ends. The counts live where every gateway sees them and a restart
keeps them: the gateway's database by default (two gateways on one database share them), or
Redis when REDIS_URL is set (the `limits` package's storage — flask-limiter's).

Why per username as well as per address: spraying one password over many usernames from one
address is stopped by the address's budget, one username tried from many addresses by the
username's. The cost: someone can spend a username's budget and keep its owner out for a
window — the window is short, and an admin can still reset the password.
"""
import time

from sqlalchemy import Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from gateway.users import Base

TOO_MANY = "Too many failed sign-ins; try again later."


class LoginFailure(Base):
    """Failures of one key (`user:<name>`, `addr:<address>`, `all`) in one window."""
    __tablename__ = "login_failures"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class DatabaseCounts:
    def __init__(self, Session, window):
        self.Session, self.window = Session, window

    def _now(self):
        return int(time.time() // self.window)

    def get(self, keys):
        with self.Session() as s:
            rows = s.execute(select(LoginFailure.key, LoginFailure.count).where(
                LoginFailure.key.in_(keys), LoginFailure.window == self._now())).all()
        return dict(rows)

    def add(self, keys):
        now = self._now()
        with self.Session() as s:
            for key in keys:
                for _ in range(3):  # two gateways inserting the same key at once: one wins
                    done = s.execute(update(LoginFailure).where(
                        LoginFailure.key == key, LoginFailure.window == now).values(
                        count=LoginFailure.count + 1)).rowcount
                    if done:
                        break
                    try:
                        with s.begin_nested():
                            s.add(LoginFailure(key=key, window=now, count=1))
                        break
                    except IntegrityError:
                        continue
            s.execute(delete(LoginFailure).where(LoginFailure.window < now - 1))
            s.commit()

    def clear(self, keys):
        with self.Session() as s:
            s.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))
            s.commit()

    def retry_after(self):
        return int(self.window - time.time() % self.window) + 1


class RedisCounts:
    """The same counts in Redis, through `limits` (fixed windows, one item per budget)."""

    def __init__(self, url, window, budgets):
        from limits import RateLimitItemPerSecond
        from limits.storage import storage_from_string
        from limits.strategies import FixedWindowRateLimiter
        self.storage = storage_from_string(url)
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.items = {kind: RateLimitItemPerSecond(max(budget, 1), window, namespace="servis-login")
                      for kind, budget in budgets.items()}
        self.window = window

    def _item(self, key):
        return self.items[key.split(":", 1)[0]]

    def get(self, keys):
        out = {}
        for key in keys:
            item = self._item(key)
            stats = self.limiter.get_window_stats(item, key)
            out[key] = item.amount - stats.remaining
        return out

    def add(self, keys):
        for key in keys:
            self.limiter.hit(self._item(key), key)

    def clear(self, keys):
        for key in keys:
            self.limiter.clear(self._item(key), key)

    def retry_after(self):
        return int(self.window - time.time() % self.window) + 1


class LoginBudgets:
    """The budgets of one gateway process over shared counts."""

    def __init__(self, counts, per_username, per_address, overall):
        self.counts = counts
        self.budgets = {"user": per_username, "addr": per_address, "all": overall}

    @staticmethod
    def keys(username, address):
        return [f"user:{username}", f"addr:{address}", "all"]

    def check(self, username, address):
        """429 when a budget of this sign-in is spent."""
        from gateway.auth import TooManyRequests
        counts = self.counts.get(self.keys(username, address))
        for key, used in counts.items():
            if used >= self.budgets[key.split(":", 1)[0]]:
                raise TooManyRequests(TOO_MANY, {"retry_after": self.counts.retry_after()})

    def failed(self, username, address):
        self.counts.add(self.keys(username, address))

    def succeeded(self, username, address):
        self.counts.clear([f"user:{username}"])


def make_budgets(settings, users):
    budgets = {"user": settings.login_failures_per_username,
               "addr": settings.login_failures_per_address,
               "all": settings.login_failures_overall}
    if settings.redis_url:
        counts = RedisCounts(settings.redis_url, settings.login_window, budgets)
    else:
        LoginFailure.__table__.create(users.engine, checkfirst=True)
        counts = DatabaseCounts(users.Session, settings.login_window)
    return LoginBudgets(counts, budgets["user"], budgets["addr"], budgets["all"])


class LoginLimiter:
    """What the sign-in views call (the API's token and the console's sign-in page):
    `check((username, address))`, `failed(...)`, `succeeded(...)` — over the app's budgets."""

    def _budgets(self):
        from flask import current_app
        return current_app.extensions["servis"].login_budgets

    def check(self, key):
        self._budgets().check(*key)

    def failed(self, key):
        self._budgets().failed(*key)

    def succeeded(self, key):
        self._budgets().succeeded(*key)
