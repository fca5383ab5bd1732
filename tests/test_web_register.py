"""The register of documents issued and the jobs table, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text
from web_support import PATIENT, csrf_token

from docgen.cli import main
from docgen.register import HEAD_REVISION, Issued, Register, RegisterError, as_utc
from docgen.web import create_app

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _postgres_bin(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL on 127.0.0.1, started with initdb and pg_ctl (as `postgres` when root)."""
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql; .ci/run does)")
    as_user: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="docgen-pg-"))
    data = base / "data"
    data.mkdir()
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        os.chmod(base, 0o755)  # noqa: S103 - the postgres user must reach its data folder inside
        shutil.chown(data, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    def run(*args):
        return subprocess.run([*as_user, *args], check=True, capture_output=True)  # noqa: S603 - fixed programs

    run(initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories= -c fsync=off"
    run(pg_ctl, "-D", str(data), "-l", str(data / "server.log"), "-o", options, "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"],  # noqa: S603
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'register.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        self.now += timedelta(minutes=1)
        return self.now


def issued(n: int, mrn: str = "REG-1", kind: str = "consent") -> Issued:
    return Issued(document_id=f"{n:012X}", kind=kind, mrn=mrn, template_version="1.2.0",
                  catalogue_version="2026.1", sha256=f"{n:064x}", pages=6)


def test_migrations_create_the_schema_at_head(database_url):
    book = Register(database_url)
    with book.engine.connect() as conn:
        assert {"documents", "jobs", "alembic_version"} <= set(inspect(conn).get_table_names())
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
    Register(database_url)  # a second start finds the schema in place


def test_documents_are_recorded_and_found_by_mrn_or_id(database_url):
    book = Register(database_url, clock=Clock())
    book.record(issued(1), user="dr.a", origin="page")
    book.record(issued(2, kind="aftercare"), user="dr.a", origin="cli")
    book.record(issued(0xAB, mrn="REG-2"), user="clerk.b", origin="job", job_id="j" * 32)
    found = book.search("REG-1")
    assert [d.document_id for d in found] == ["000000000002", "000000000001"]  # newest first
    assert [as_utc(d.issued_at) for d in found] == [T0 + timedelta(minutes=2), T0 + timedelta(minutes=1)]
    [by_id] = book.search("0000000000ab")  # as a person may type it
    assert (by_id.mrn, by_id.user, by_id.origin, by_id.job_id) == ("REG-2", "clerk.b", "job", "j" * 32)
    assert by_id.sha256 == f"{0xAB:064x}" and by_id.pages == 6
    assert book.search("nobody") == []
    # Another process (another web worker) sees the same register.
    assert len(Register(database_url).search()) == 3


def test_jobs_live_in_the_database(database_url):
    book = Register(database_url, clock=Clock())
    job = book.new_job(user="clerk.b", document="aftercare", list_name="list.csv", settings={"suffix": ".csv"})
    book.update_job(job.id, status="running", total=20, done=7, refusals=[{"row": 3, "reason": "x"}])
    other_worker = Register(database_url)
    seen = other_worker.job(job.id)
    assert (seen.status, seen.total, seen.done, seen.refusal_list()) == ("running", 20, 7, [{"row": 3, "reason": "x"}])
    assert as_utc(seen.updated_at) > as_utc(seen.created_at)


def test_the_web_app_records_into_the_database(database_url, tmp_path):
    app = create_app({"DOCGEN_DATA": tmp_path / "data", "DOCGEN_DATABASE_URL": database_url})
    client = app.test_client()
    data = {**PATIENT, "action": "aftercare", "csrf_token": csrf_token(client.get("/").text)}
    assert client.post("/", data=data).status_code == 200
    [entry] = Register(database_url).search(PATIENT["mrn"])
    assert entry.kind == "aftercare" and entry.origin == "page"
    assert entry.document_id in client.get(f"/register?q={PATIENT['mrn']}").text


def test_the_cli_records_into_the_database_given_by_url(database_url, patient, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCGEN_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["aftercare", str(patient(mrn="CLI-9")), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    [entry] = Register(database_url).search("CLI-9")
    assert entry.origin == "cli"


def test_an_unusable_database_is_one_line_without_the_password(monkeypatch, patient):
    monkeypatch.setenv("DOCGEN_DATABASE_URL", "postgresql://docgen:s3cret@127.0.0.1:1/nowhere")
    with pytest.raises(RegisterError) as caught:
        Register()
    assert "s3cret" not in caught.value.message and "\n" not in caught.value.message
    assert caught.value.message.startswith("register database postgresql+psycopg://docgen:***@127.0.0.1:1/nowhere")
    result = CliRunner().invoke(main, ["consent", str(patient())])
    assert result.exit_code == 2 and "s3cret" not in result.output and "Traceback" not in result.output
    assert not Path("output").exists()  # nothing issued without a record
