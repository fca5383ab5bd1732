"""The register of documents issued, and the office's batch jobs, in a database (SQLite or PostgreSQL).

Every document docgen makes, from the web pages or the command line, is recorded
with its id, kind, time (UTC), user, MRN, content versions and SHA-256: never a
patient's name. Jobs and their progress live here too, so any web worker can
answer for any job. The schema is created and upgraded by Alembic migrations
(docgen/migrations/) the first time a database is used.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Text,
    create_engine,
    event,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from .errors import DocgenError, one_line

HEAD_REVISION = "0001"  # the newest migration in docgen/migrations/versions
MIGRATIONS = Path(__file__).parent / "migrations"
DATABASE_ENV = "DOCGEN_DATABASE_URL"
DATA_ENV = "DOCGEN_DATA"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def data_folder() -> Path:
    """Where docgen keeps its own files: $DOCGEN_DATA, else the user's data folder."""
    if given := os.environ.get(DATA_ENV):
        return Path(given)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "docgen"


def database_url(url: str | None = None) -> str:
    """The given URL, else $DOCGEN_DATABASE_URL, else SQLite in the data folder."""
    url = url or os.environ.get(DATABASE_ENV)
    if url:
        # A bare postgresql:// URL means psycopg 3 here (SQLAlchemy would pick psycopg2).
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{data_folder() / 'register.sqlite'}"


class Base(DeclarativeBase):
    pass


class Document(Base):
    """One document issued."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user: Mapped[str] = mapped_column(String(200))
    mrn: Mapped[str] = mapped_column(String(200), index=True)
    template_version: Mapped[str] = mapped_column(String(64))
    catalogue_version: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    origin: Mapped[str] = mapped_column(String(32))  # page, cli, batch, job
    job_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    override: Mapped[str | None] = mapped_column(Text, nullable=True)


class Job(Base):
    """One office batch job: its choices, where it stands, and what it made."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # uploaded -> queued -> running -> done | failed; expired once its files are deleted
    status: Mapped[str] = mapped_column(String(16))
    document: Mapped[str] = mapped_column(String(32), default="")
    list_name: Mapped[str] = mapped_column(String(200), default="")
    settings: Mapped[str] = mapped_column(Text, default="{}")  # JSON: headers, columns, --set values
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    written: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    refusals: Mapped[str] = mapped_column(Text, default="[]")  # JSON: [{row, mrn, field, reason}]
    files: Mapped[str] = mapped_column(Text, default="{}")  # JSON: download name -> still there

    def setting(self) -> dict:
        return json.loads(self.settings or "{}")

    def refusal_list(self) -> list[dict]:
        return json.loads(self.refusals or "[]")

    def file_map(self) -> dict[str, bool]:
        return json.loads(self.files or "{}")


@dataclass(frozen=True)
class Issued:
    """What the register needs to know about one document made."""

    document_id: str
    kind: str
    mrn: str
    template_version: str
    catalogue_version: str
    sha256: str
    pages: int | None = None
    override: str | None = None


class RegisterError(DocgenError):
    """The register's database cannot be opened or written."""


class Register:
    """A handle on the database: record documents, search them, keep jobs."""

    def __init__(self, url: str | None = None, clock: Clock = utc_now):
        self.url = database_url(url)
        self.clock = clock
        if self.url.startswith("sqlite:///"):
            folder = Path(self.url.removeprefix("sqlite:///")).parent
            folder.mkdir(parents=True, exist_ok=True)
            # Web workers and the CLI write at once: wait for a lock instead of failing.
            self.engine: Engine = create_engine(self.url, connect_args={"timeout": 30})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True)
        try:
            self._upgrade()
        except Exception as exc:  # any driver's error: say which database, never a traceback
            raise RegisterError(f"register database {_safe_url(self.url)}: cannot be used: "
                                f"{one_line(exc)}") from None

    def _upgrade(self) -> None:
        """Bring the schema to the newest migration; cheap when it is there already."""
        with self.engine.connect() as conn:
            if inspect(conn).has_table("alembic_version"):
                current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if current == HEAD_REVISION:
                    return
        # Imported only when there is something to do: Alembic costs every CLI run ~100 ms.
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def after_fork(self) -> None:
        """A forked web worker must not share the parent's database connections."""
        self.engine.dispose(close=False)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # --- documents -------------------------------------------------------------------

    def record(self, issued: Issued, *, user: str, origin: str, job_id: str | None = None) -> Document:
        entry = Document(document_id=issued.document_id, kind=issued.kind, issued_at=self.clock(),
                         user=user or "anonymous", mrn=issued.mrn,
                         template_version=issued.template_version,
                         catalogue_version=issued.catalogue_version, sha256=issued.sha256,
                         pages=issued.pages, origin=origin, job_id=job_id, override=issued.override)
        with self.session() as session, session.begin():
            session.add(entry)
        return entry

    def search(self, query: str = "", limit: int = 100) -> list[Document]:
        """Documents by exact MRN or document id (any case), newest first; the newest when no query."""
        statement = select(Document).order_by(Document.issued_at.desc(), Document.id.desc()).limit(limit)
        query = query.strip()
        if query:
            statement = statement.where(or_(Document.mrn == query, Document.document_id == query.upper()))
        with self.session() as session:
            return list(session.scalars(statement))

    # --- jobs ------------------------------------------------------------------------

    def new_job(self, *, user: str, document: str, list_name: str, settings: dict,
                job_id: str | None = None) -> Job:
        now = self.clock()
        job = Job(id=job_id or uuid.uuid4().hex, user=user or "anonymous", created_at=now, updated_at=now,
                  status="uploaded", document=document, list_name=list_name,
                  settings=json.dumps(settings), total=None, done=0, written=0, refused=0,
                  message="", refusals="[]", files="{}")
        with self.session() as session, session.begin():
            session.add(job)
        return job

    def job(self, job_id: str) -> Job | None:
        with self.session() as session:
            return session.get(Job, job_id)

    def update_job(self, job_id: str, **values) -> None:
        for name in ("settings", "refusals", "files"):
            if name in values and not isinstance(values[name], str):
                values[name] = json.dumps(values[name])
        values["updated_at"] = self.clock()
        with self.session() as session, session.begin():
            session.execute(update(Job).where(Job.id == job_id).values(**values))

    def jobs_before(self, moment: datetime) -> Iterator[Job]:
        with self.session() as session:
            yield from session.scalars(select(Job).where(Job.created_at < moment,
                                                         Job.status != "expired"))


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive times; everything here was written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unreadable URL)"


def issued_from_built(built) -> Issued:
    """A document the library built (generate.Built)."""
    import hashlib

    return Issued(document_id=built.document_id, kind=built.document, mrn=built.case.mrn,
                  template_version=built.template_version, catalogue_version=built.catalogue_version,
                  sha256=hashlib.sha256(built.pdf).hexdigest(), pages=built.pages or None,
                  override=built.override)


def issued_from_row(result) -> Issued:
    """A document a batch wrote (batch.RowResult with status written)."""
    override = result.reason.removeprefix("override: ") if result.reason.startswith("override: ") else None
    return Issued(document_id=result.document_id, kind=result.document, mrn=result.mrn,
                  template_version=result.template_version, catalogue_version=result.catalogue_version,
                  sha256=result.sha256, pages=result.pages, override=override)


def login_name() -> str:
    """Who runs the command line, as the operating system knows them."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "anonymous"
