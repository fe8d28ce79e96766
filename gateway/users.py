"""Staff and portal accounts, and the web pages' sign-in sessions: the gateway's own small
database. Passwords are hashed; a session is kept by the hash of its cookie's value."""
import hashlib
import os
import secrets
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Boolean, Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from services.common.db import add_missing_columns, make_engine
from services.common.exceptions import Conflict, NotFound, PreconditionRequired
from services.common.models import UTCDateTime, utcnow
from services.common.text import tr_lower

USER_EXISTS = "A user named {username} exists already."


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="tr")
    customer_id: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # raised by every change that must end the account's tokens and sessions (deactivation,
    # a new role, a new password): a token or session carries the epoch it was issued in
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PasswordReset(Base):
    """A reset-by-e-mail link: the table keeps the SHA-256 of its token (a copy of the
    database resets nobody's password); one use, then `used_at`; expires at `expires_at`."""
    __tablename__ = "password_resets"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    epoch: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser (the web pages): the cookie holds a random token, the table its
    SHA-256, so a copy of the database signs nobody in. The user's snapshot is taken at
    sign-in, as a bearer token's claims are; `csrf` is the token every post must carry."""
    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# werkzeug's scrypt (N=2**15, r=8, p=1): ~0.1 s of CPU a hash on purpose. The gateway's own
# tests set a cheap method here (gateway/tests/conftest.py); checking reads the method from each
# hash, so it is the same code either way.
PASSWORD_HASH_METHOD = "scrypt"
_DUMMY = []


def _dummy_hash():
    """A hash made the way real ones are (same method and cost), once per process."""
    if not _DUMMY:
        _DUMMY.append(_hash(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def _hash(password):
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def public(user):
    return {"id": user.id, "username": user.username, "role": user.role, "name": user.name,
            "email": user.email, "language": user.language, "customer_id": user.customer_id,
            "active": user.active, "created_at": user.created_at.isoformat(),
            "version": user.version}


class AccountStates:
    """(active, epoch) of an account, read from the database at most every `ttl` seconds per
    account and gateway process: every request checks its token's account, so a deactivation
    or a password change ends tokens and sessions within `ttl` (ACCOUNT_CHECK_SECONDS, 5)
    without a query per request."""

    def __init__(self, users, ttl=5.0):
        self.users, self.ttl = users, ttl
        self.cache, self.lock = {}, threading.Lock()

    def get(self, user_id):
        now = time.monotonic()
        with self.lock:
            hit = self.cache.get(user_id)
        if hit is not None and now - hit[1] < self.ttl:
            return hit[0]
        with self.users.Session() as s:
            row = s.execute(select(User.active, User.epoch).where(User.id == user_id)).first()
        state = (bool(row[0]), row[1]) if row is not None else None
        with self.lock:
            if len(self.cache) > 100000:
                self.cache.clear()
            self.cache[user_id] = (state, now)
        return state

    def forget(self, user_id):
        """This process changed the account: its next request reads it again."""
        with self.lock:
            self.cache.pop(user_id, None)

    def live(self, user_id, epoch):
        state = self.get(user_id)
        return state is not None and state[0] and state[1] == (epoch or 0)


class UserStore:
    def __init__(self, database_url, account_ttl=5.0):
        self.engine = make_engine(database_url)
        with self.engine.begin() as conn:  # an earlier DATA_DIR gets the new columns
            Base.metadata.create_all(conn)
            add_missing_columns(conn, Base.metadata)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        self.states = AccountStates(self, account_ttl)

    def create(self, *, username, password, role, name, email=None, language="tr",
               customer_id=None):
        user = User(username=tr_lower(username.strip()), password_hash=_hash(password),
                    role=role, name=name, email=email, language=language, customer_id=customer_id)
        with self.Session() as s:
            s.add(user)
            try:
                s.commit()
            except IntegrityError:
                raise Conflict(USER_EXISTS, {"username": username})
        return user

    def get(self, user_id):
        with self.Session() as s:
            return s.get(User, user_id)

    def by_username(self, username):
        with self.Session() as s:
            return s.scalars(select(User).where(User.username == tr_lower(username.strip()))).first()

    def by_email(self, email):
        """The one account with this e-mail address (None when none or several)."""
        with self.Session() as s:
            found = s.scalars(select(User).where(User.email == email.strip()).limit(2)).all()
        return found[0] if len(found) == 1 else None

    def authenticate(self, username, password):
        """The account, or None. An unknown username costs the same hash as a known one
        (a dummy hash), so the answer's time tells no usernames apart."""
        user = self.by_username(username)
        if user is None:
            check_password_hash(_dummy_hash(), password)
            return None
        if not check_password_hash(user.password_hash, password) or not user.active:
            return None
        return user

    def list(self):
        with self.Session() as s:
            return s.scalars(select(User).order_by(User.username)).all()

    def update(self, user_id, changes, version):
        """Change an account (active, role, name, language) if `version` is the one read;
        a deactivation or a new role raises its epoch (its tokens and sessions end)."""
        with self.Session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound("No such user: {user_id}.", {"user_id": user_id})
            if version is None:
                raise PreconditionRequired(
                    "State the version you read (If-Match header or `version`).",
                    {"version": user.version})
            if version != user.version:
                raise Conflict("The record was changed since version {given} (now {version}); "
                               "read it again.", {"version": user.version, "given": version})
            ends = (changes.get("active") is False and user.active) or (
                "role" in changes and changes["role"] != user.role)
            changed = {k: v for k, v in changes.items() if getattr(user, k) != v}
            if changed:
                for k, v in changed.items():
                    setattr(user, k, v)
                user.version += 1
                if ends:
                    user.epoch += 1
                s.commit()
        self.states.forget(user_id)
        return user

    def set_password(self, user_id, password):
        """A new password: the account's epoch goes up, so every token and session it had
        ends (the caller issues a new one where it should go on)."""
        with self.Session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound("No such user: {user_id}.", {"user_id": user_id})
            user.password_hash = _hash(password)
            user.password_changed_at = utcnow()
            user.epoch += 1
            user.version += 1
            s.commit()
        self.states.forget(user_id)
        return user

    def open_reset(self, user, ttl):
        """A one-time reset token for `user`, valid `ttl` seconds; its hash is kept."""
        token = secrets.token_urlsafe(32)
        with self.Session() as s:
            s.execute(delete(PasswordReset).where(PasswordReset.expires_at < utcnow()))
            s.add(PasswordReset(id=_digest(token), user_id=user.id, epoch=user.epoch,
                                expires_at=utcnow() + timedelta(seconds=ttl)))
            s.commit()
        return token

    def use_reset(self, token, password):
        """Spend a reset token on a new password: the user, or None when the token is
        unknown, used, expired, or older than the account's last change."""
        if not token or len(token) > 100:
            return None
        with self.Session() as s:
            row = s.get(PasswordReset, _digest(token))
            user = s.get(User, row.user_id) if row is not None else None
            if (row is None or row.used_at is not None or row.expires_at <= utcnow()
                    or user is None or not user.active or user.epoch != row.epoch):
                return None
            row.used_at = utcnow()
            s.commit()
        return self.set_password(user.id, password)

    def ensure_admin(self, data_dir, env=os.environ):
        """Create `admin` on first start: password from ADMIN_PASSWORD, else generated and
        stored in DATA_DIR/admin_password (mode 0600); deploy/run.py prints it once. Returns
        the message to print (never the password itself: logs are not secrets); on later
        starts, while that file is there, where it is."""
        if self.by_username("admin") is not None:
            path = os.path.join(data_dir, "admin_password")
            if os.path.exists(path):
                return (f"The first password of 'admin' is kept in {path} (delete the file "
                        "once it is changed).")
            return None
        password = env.get("ADMIN_PASSWORD")
        where = "from ADMIN_PASSWORD"
        if not password:
            password = secrets.token_urlsafe(12)
            path = os.path.join(data_dir, "admin_password")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(password + "\n")
            where = f"generated, kept in {path}"
        self.create(username="admin", password=password, role="admin", name="Administrator")
        return f"Created user 'admin' (password {where})."


class SessionStore:
    """Sign-in sessions of the web pages, in the accounts' database."""

    def __init__(self, users):
        self.Session = users.Session
        self.states = users.states

    def open(self, user, ttl):
        """(cookie token, session) for a user who signed in; expired sessions are dropped."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        row = WebSession(id=_digest(token), user_id=user.id, role=user.role, name=user.name,
                         email=user.email, language=user.language, epoch=user.epoch,
                         customer_id=user.customer_id, csrf=secrets.token_urlsafe(32),
                         created_at=now, expires_at=now + timedelta(seconds=ttl))
        with self.Session() as s:
            s.execute(delete(WebSession).where(WebSession.expires_at < now))
            s.add(row)
            s.commit()
        return token, row

    def get(self, token):
        """The live session of a cookie's token, or None."""
        if not token or len(token) > 100:
            return None
        with self.Session() as s:
            row = s.get(WebSession, _digest(token))
        if row is None or row.expires_at <= utcnow():
            return None
        if not self.states.live(row.user_id, row.epoch):  # deactivated, new role or password
            return None
        return row

    def set_language(self, token, language):
        with self.Session() as s:
            row = s.get(WebSession, _digest(token))
            if row is not None:
                row.language = language
                s.commit()

    def set_profile(self, user_id, name, language):
        """Every open session of the account shows its new name and language."""
        with self.Session() as s:
            s.execute(update(WebSession).where(WebSession.user_id == user_id)
                      .values(name=name, language=language))
            s.commit()

    def close(self, token):
        with self.Session() as s:
            s.execute(delete(WebSession).where(WebSession.id == _digest(token)))
            s.commit()
