"""Staff and portal accounts, and the web pages' sign-in sessions: the gateway's own small
database. Passwords are hashed; a session is kept by the hash of its cookie's value."""
import hashlib
import os
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Boolean, Integer, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from services.common.db import make_engine
from services.common.exceptions import Conflict
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


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def public(user):
    return {"id": user.id, "username": user.username, "role": user.role, "name": user.name,
            "email": user.email, "language": user.language, "customer_id": user.customer_id,
            "active": user.active, "created_at": user.created_at.isoformat()}


class UserStore:
    def __init__(self, database_url):
        self.engine = make_engine(database_url)
        Base.metadata.create_all(self.engine)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)

    def create(self, *, username, password, role, name, email=None, language="tr",
               customer_id=None):
        user = User(username=tr_lower(username.strip()), password_hash=generate_password_hash(password),
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

    def authenticate(self, username, password):
        user = self.by_username(username)
        if user is None or not user.active or not check_password_hash(user.password_hash, password):
            return None
        return user

    def list(self):
        with self.Session() as s:
            return s.scalars(select(User).order_by(User.username)).all()

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

    def open(self, user, ttl):
        """(cookie token, session) for a user who signed in; expired sessions are dropped."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        row = WebSession(id=_digest(token), user_id=user.id, role=user.role, name=user.name,
                         email=user.email, language=user.language,
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
        return row

    def set_language(self, token, language):
        with self.Session() as s:
            row = s.get(WebSession, _digest(token))
            if row is not None:
                row.language = language
                s.commit()

    def close(self, token):
        with self.Session() as s:
            s.execute(delete(WebSession).where(WebSession.id == _digest(token)))
            s.commit()
