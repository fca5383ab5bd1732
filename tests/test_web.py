"""The web application through Flask's test client: forms, refusals, jobs, register, security."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import zipfile
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
import yaml
from web_support import (
    COLUMN_MAP,
    PATIENT,
    SYNTHEA_COLUMNS,
    SYNTHEA_SET,
    csrf_token,
    field_errors,
    pdf_text,
    sample_export,
    wait_for,
)

from docgen.cli import main
from docgen.register import Register
from docgen.web import create_app

ISSUED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


class Clock:
    """The one clock the app reads: fixed, moved on by a test when it needs time to pass."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(ISSUED)


@pytest.fixture
def make_app(tmp_path, clock):
    def make(**settings):
        return create_app({"DOCGEN_DATA": tmp_path / "data", **settings}, clock=clock)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


def token(client, path="/") -> str:
    return csrf_token(client.get(path).text)


def post_form(client, action, **changes):
    data = {**PATIENT, **changes, "action": action, "csrf_token": token(client)}
    return client.post("/", data={k: v for k, v in data.items() if v is not None})


def register_of(app) -> Register:
    return app.extensions["docgen"].register


# --- clinician page ---------------------------------------------------------------------


def test_form_has_an_input_named_for_every_record_field(client):
    html = client.get("/").text
    for name in ("mrn", "given_name", "family_name", "date_of_birth", "procedure", "indication",
                 "clinician", "procedure_date", "language", "large_print"):
        assert f'name="{name}"' in html and f'<label for="{name}"' in html, name
    for level in ("C1", "T12", "L5"):
        assert f'name="levels" value="{level}"' in html
    assert 'name="comorbidities" value="copd"' in html


def test_consent_form_downloads_as_attachment_and_is_registered(app, client):
    response = post_form(client, "consent")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=WEB-0001_consent_vertebroplasty.pdf"
    assert response.headers["Cache-Control"] == "no-store"
    pages, text = pdf_text(response.data)
    assert pages >= 2
    assert "Ada Example" in text and "WEB-0001" in text and "T12" in text
    [entry] = register_of(app).search("WEB-0001")
    assert entry.kind == "consent" and entry.user == "anonymous" and entry.origin == "page"
    assert entry.issued_at.replace(tzinfo=UTC) == ISSUED
    assert entry.sha256 == hashlib.sha256(response.data).hexdigest()
    assert entry.pages == pages
    assert entry.document_id in text  # the id printed on the pages is the one registered


def test_aftercare_sheet_downloads(client):
    response = post_form(client, "aftercare")
    assert response.headers["Content-Disposition"] == "attachment; filename=WEB-0001_aftercare_vertebroplasty.pdf"
    _, text = pdf_text(response.data)
    assert "20 November 2026" in text


def test_field_errors_are_the_libraries_own_beside_each_field(client, patient):
    bad = {"date_of_birth": "1941-13-02", "levels": ["S1"], "mrn": ""}
    response = post_form(client, "consent", **bad)
    assert response.status_code == 422
    errors = field_errors(response.text)
    assert errors == {"mrn": "missing", "date_of_birth": "is not a real date",
                      "levels": "item 1 not a vertebra (C1-C7, T1-T12, L1-L5)"}
    assert 'aria-invalid="true"' in response.text and 'role="alert"' in response.text
    # The command line refuses the same record with the same reasons.
    from click.testing import CliRunner

    path = patient(mrn=None, date_of_birth="1941-13-02", levels="S1")
    result = CliRunner().invoke(main, ["consent", str(path)])
    assert result.exit_code == 1
    for reason in errors.values():
        assert reason in result.output


def test_consent_needs_a_clinician_aftercare_a_procedure_date(client):
    assert field_errors(post_form(client, "consent", clinician="").text) == {"clinician": "missing"}
    assert field_errors(post_form(client, "aftercare", procedure_date="").text) == {"procedure_date": "missing"}


def test_check_shows_the_rules_and_risks_that_apply(client):
    response = post_form(client, "check", comorbidities=["anticoagulants"], clinician="")
    assert response.status_code == 200
    assert "What applies to this patient" in response.text
    assert "Rules that apply" in response.text and "Risks on the consent form" in response.text
    assert "Bleeding" in response.text


def test_safety_refusal_then_override(app, client):
    risky = {"comorbidities": ["copd"], "levels": ["T10", "T11", "T12"]}
    refused = post_form(client, "consent", **risky)
    assert refused.status_code == 422
    assert "refused by safety rule" in refused.text
    assert 'name="override"' in refused.text  # the field for the clinician's reason is offered
    assert "with a reason in the override field" in refused.text
    assert register_of(app).search("WEB-0001") == []
    reason = "Benefit outweighs the risk; discussed with the patient"
    allowed = post_form(client, "consent", override=reason, **risky)
    assert allowed.status_code == 200
    _, text = pdf_text(allowed.data)
    assert "Benefit outweighs the risk" in " ".join(text.split())
    [entry] = register_of(app).search("WEB-0001")
    assert entry.override == reason


def test_post_without_csrf_token_is_refused(app, client):
    client.get("/")
    data = {**PATIENT, "action": "consent"}
    response = client.post("/", data=data)
    assert response.status_code == 400
    assert "security token" in response.text
    assert register_of(app).search() == []


def test_security_headers(client):
    for path in ("/", "/office/", "/catalogue", "/register", "/static/progress.js"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/register").headers["Cache-Control"] == "no-store"
    html = client.get("/").text
    assert "<script>" not in html and "style=" not in html and "<style" not in html


def test_user_comes_from_the_proxy_header_only_when_configured(make_app):
    plain = make_app().test_client()
    post_form(plain, "consent", mrn="U-1")
    proxied = make_app(DOCGEN_USER_HEADER="X-Remote-User").test_client()
    proxied.environ_base["HTTP_X_REMOTE_USER"] = "clerk.jones"
    post_form(proxied, "consent", mrn="U-2")
    plain.environ_base["HTTP_X_REMOTE_USER"] = "someone.else"  # not trusted: no header configured
    post_form(plain, "consent", mrn="U-3")
    book = Register(f"sqlite:///{make_app().config['DOCGEN_DATA'] / 'register.sqlite'}")
    users = {d.mrn: d.user for d in book.search()}
    assert users == {"U-1": "anonymous", "U-2": "clerk.jones", "U-3": "anonymous"}


def test_no_patient_names_in_the_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    post_form(client, "consent", given_name="Zenobia", family_name="Quartermaine")
    post_form(client, "consent", given_name="Zenobia", date_of_birth="bad")
    assert "Zenobia" not in caplog.text and "Quartermaine" not in caplog.text


# --- catalogue and register pages ----------------------------------------------------------


def test_catalogue_page_lists_risks_with_likelihoods_and_sources(client):
    html = client.get("/catalogue").text
    assert "Vertebroplasty" in html and "Kyphoplasty" in html
    assert "about 1 in" in html
    assert "doi" in html.lower()


def test_register_is_searchable_by_mrn_and_document_id(app, client):
    post_form(client, "consent", mrn="R-1")
    post_form(client, "aftercare", mrn="R-2")
    [first] = register_of(app).search("R-1")
    by_mrn = client.get("/register?q=R-1").text
    assert "R-1" in by_mrn and "R-2" not in by_mrn.split("<tbody>")[1]
    by_id = client.get(f"/register?q={first.document_id.lower()}").text
    assert first.document_id in by_id and first.sha256 in by_id
    assert "2026-11-20 09:30:00" in by_id
    assert "No documents found" in client.get("/register?q=nobody").text


def test_cli_records_into_the_same_register(patient, tmp_path):
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["consent", str(patient(mrn="CLI-1")), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    [entry] = Register().search("CLI-1")
    assert entry.origin == "cli" and entry.kind == "consent"
    pdf = (tmp_path / "out" / "CLI-1_consent_vertebroplasty.pdf").read_bytes()
    assert entry.sha256 == hashlib.sha256(pdf).hexdigest()


# --- office page ---------------------------------------------------------------------------


def upload(client, content: bytes, name: str, document="aftercare", mapping: bytes | None = None):
    data = {"csrf_token": token(client, "/office/"), "document": document,
            "list": (io.BytesIO(content), name)}
    if mapping is not None:
        data["mapping"] = (io.BytesIO(mapping), "columns.yaml")
    return client.post("/office/", data=data, content_type="multipart/form-data")


def run_job(client, columns_url, columns: dict, values: dict, duplex=False) -> str:
    data = {"csrf_token": token(client, columns_url)}
    data |= {f"column-{k}": v for k, v in columns.items()}
    data |= {f"set-{k}": v for k, v in values.items()}
    if duplex:
        data["duplex"] = "yes"
    response = client.post(columns_url, data=data)
    assert response.status_code == 303, response.text
    job_url = response.headers["Location"]
    wait_for(lambda: client.get(job_url + "/status.json").json["status"] in ("done", "failed"))
    return job_url


def test_office_job_with_the_sample_export_and_column_map(app, client):
    export = sample_export()
    response = upload(client, export.read_bytes(), export.name, mapping=COLUMN_MAP.read_bytes())
    assert response.status_code == 303
    columns_url = response.headers["Location"]
    page = client.get(columns_url).text
    assert '<option value="FIRST" selected>' in page  # the uploaded map chose the columns
    job_url = run_job(client, columns_url, SYNTHEA_COLUMNS, SYNTHEA_SET, duplex=True)
    status = client.get(job_url + "/status.json").json
    rows = len(list(csv.DictReader(export.open(encoding="utf-8-sig"))))
    assert status["status"] == "done" and status["done"] == rows == status["total"]
    manifest = list(csv.DictReader(io.StringIO(client.get(job_url + "/files/manifest.csv").data.decode("utf-8-sig"))))
    written = [line for line in manifest if line["status"] == "written"]
    assert len(written) == status["written"] > 0
    merged = pypdf.PdfReader(io.BytesIO(client.get(job_url + "/files/print.pdf").data))
    # Duplex: every document padded to an even page count.
    assert len(merged.pages) == sum(int(p) + int(p) % 2 for p in (line["pages"] for line in written))
    first = written[0]
    assert f"DOCGEN|{first['mrn']}|aftercare|{first['document_id']}|p1" in merged.pages[0].extract_text()
    with zipfile.ZipFile(io.BytesIO(client.get(job_url + "/files/documents.zip").data)) as archive:
        assert sorted(archive.namelist()) == sorted(line["file"] for line in written)
    # Downloaded once, then gone from the server.
    assert client.get(job_url + "/files/print.pdf").status_code == 404
    assert {d.document_id for d in register_of(app).search(limit=1000) if d.origin == "job"} == \
        {line["document_id"] for line in written}


def test_refused_rows_are_listed_with_their_reasons(client):
    content = (b"mrn,given_name,family_name,date_of_birth,levels\n"
               b"OK-1,Ann,Smith,1950-01-01,L1\n"
               b"BAD-2,Bob,Jones,02/03/1941,L1\n"
               b"BAD-3,Cy,Brown,1950-01-01,L9\n")
    response = upload(client, content, "list.csv")
    job_url = run_job(client, response.headers["Location"], {}, {"procedure": "vertebroplasty",
                                                                 "procedure_date": "2026-11-20"})
    page = client.get(job_url).text
    assert "2 row(s) refused" in page
    assert "<td>3</td><td>BAD-2</td><td>date_of_birth</td><td>is not a date written YYYY-MM-DD</td>" in page
    assert "<td>4</td><td>BAD-3</td><td>levels</td><td>item 1 not a vertebra" in page
    errors = client.get(job_url + "/files/errors.csv").data.decode("utf-8-sig")
    assert "BAD-2" in errors and "BAD-3" in errors


def test_missing_column_is_refused_on_the_mapping_page(client):
    response = upload(client, b"mrn,given_name\nX-1,Ann\n", "short.csv")
    columns_url = response.headers["Location"]
    data = {"csrf_token": token(client, columns_url)}
    page = client.post(columns_url, data=data)
    assert page.status_code == 422
    assert "short.csv: no column for family_name, date_of_birth, procedure, levels" in page.text


@pytest.mark.parametrize("content, name, message", [
    (b"mrn\n1\n", "list.txt", "list.txt: not a CSV, .xlsx or FHIR Bundle (.json) file"),
    (bytes(range(256)) * 20, "list.csv", "list.csv: "),
    (b"PK\x03\x04 not really a zip", "list.xlsx", "list.xlsx: "),
    (b"", "empty.csv", "empty.csv: "),
])
def test_broken_uploads_are_a_message_not_a_500(client, content, name, message):
    response = upload(client, content, name)
    assert response.status_code == 422
    assert message in response.text and 'id="list-error"' in response.text


def test_zip_bomb_is_not_opened(client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    response = upload(client, buffer.getvalue(), "bomb.xlsx")
    assert response.status_code == 422
    assert "bomb.xlsx: a part of the workbook unpacks" in response.text and "not opened" in response.text


def test_upload_size_and_row_limits(make_app):
    small = make_app(DOCGEN_MAX_UPLOAD_MB=0.01, DOCGEN_MAX_ROWS=2).test_client()
    big = upload(small, b"mrn,given_name\n" + b"X-1,Ann\n" * 3000, "big.csv")
    assert big.status_code == 413
    assert "larger than the limit of 0.01 MB" in big.text
    many = upload(small, b"mrn,given_name\nX-1,A\nX-2,B\nX-3,C\n", "many.csv")
    assert many.status_code == 422
    assert "many.csv: has 3 rows; the limit is 2 rows per list" in many.text


def test_another_users_job_is_not_found(make_app):
    app = make_app(DOCGEN_USER_HEADER="X-Remote-User")
    alice, bob = app.test_client(), app.test_client()
    alice.environ_base["HTTP_X_REMOTE_USER"] = "alice"
    bob.environ_base["HTTP_X_REMOTE_USER"] = "bob"
    columns_url = upload(alice, b"mrn,given_name\nX-1,Ann\n", "a.csv").headers["Location"]
    assert alice.get(columns_url).status_code == 200
    assert bob.get(columns_url).status_code == 404


def test_job_files_are_deleted_after_the_retention_time(app, client, clock):
    response = upload(client, b"mrn,given_name,family_name,date_of_birth,levels\nOK-1,Ann,Smith,1950-01-01,L1\n",
                      "one.csv")
    job_url = run_job(client, response.headers["Location"], {}, {"procedure": "vertebroplasty",
                                                                 "procedure_date": "2026-11-20"})
    job_id = job_url.rsplit("/", 1)[1]
    folder = app.config["DOCGEN_DATA"] / "jobs" / job_id
    assert (folder / "print.pdf").exists()
    assert not list(folder.glob("list.*"))  # the uploaded list is deleted once read
    clock.now += timedelta(minutes=app.config["DOCGEN_RETENTION_MINUTES"] + 1)
    client.get("/office/")
    assert not folder.exists()
    assert "deleted after the retention time" in client.get(job_url).text
    assert client.get(job_url + "/files/print.pdf").status_code == 404


def test_column_map_upload_errors_are_shown(client):
    response = upload(client, b"mrn,given_name\nX-1,Ann\n", "a.csv", mapping=yaml.safe_dump({"nmae": "X"}).encode())
    assert response.status_code == 422
    assert "columns.yaml: nmae: not a docgen field" in response.text


def test_a_job_whose_process_died_is_reported_as_stopped(app, client, clock):
    book = register_of(app)
    job = book.new_job(user="anonymous", document="aftercare", list_name="l.csv", settings={"suffix": ".csv"})
    book.update_job(job.id, status="running", total=10, done=3)
    clock.now += timedelta(minutes=app.config["DOCGEN_RETENTION_MINUTES"] + 1)
    client.get("/office/")
    page = client.get(f"/office/jobs/{job.id}").text
    assert "the job stopped without finishing; upload the list again" in page


def test_content_is_checked_again_when_the_day_changes(app, clock):
    library = app.extensions["docgen"]
    first = library.generator("consent")
    assert library.generator("consent") is first
    clock.now += timedelta(days=1)
    assert library.generator("consent") is not first


def test_cli_batch_records_every_document_written(tmp_path):
    from click.testing import CliRunner

    listing = tmp_path / "list.csv"
    listing.write_text("mrn,given_name,family_name,date_of_birth,levels\nB-1,Ann,Smith,1950-01-01,L1\n"
                       "B-2,Bob,Jones,1950-13-01,L1\nB-3,Cy,Brown,1950-01-01,L2\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(listing), "--document", "aftercare", "--jobs", "1",
                                       "--set", "procedure=vertebroplasty", "--set", "procedure_date=2026-11-20",
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 1  # one row refused
    recorded = {d.mrn: d for d in Register().search()}
    assert set(recorded) == {"B-1", "B-3"}
    manifest = {line["mrn"]: line for line in csv.DictReader(
        (tmp_path / "out" / "manifest.csv").open(encoding="utf-8-sig"))}
    for mrn, entry in recorded.items():
        assert entry.origin == "batch"
        assert (entry.document_id, entry.sha256) == (manifest[mrn]["document_id"], manifest[mrn]["sha256"])


def test_two_clerks_run_jobs_at_once(make_app):
    app = make_app(DOCGEN_USER_HEADER="X-Remote-User")
    started = []
    for clerk, rows in (("clerk.a", 3), ("clerk.b", 2)):
        client = app.test_client()
        client.environ_base["HTTP_X_REMOTE_USER"] = clerk
        listing = "mrn,given_name,family_name,date_of_birth,levels\n" + "".join(
            f"{clerk}-{i},Ann,Smith,1950-01-01,L1\n" for i in range(rows))
        columns_url = upload(client, listing.encode(), f"{clerk}.csv").headers["Location"]
        data = {"csrf_token": token(client, columns_url), "set-procedure": "vertebroplasty",
                "set-procedure_date": "2026-11-20"}
        started.append((client, client.post(columns_url, data=data).headers["Location"], rows))
    for client, job_url, rows in started:  # both were started before either was waited for
        wait_for(lambda c=client, u=job_url: c.get(u + "/status.json").json["status"] == "done")
        assert client.get(job_url + "/status.json").json["written"] == rows
    users = {d.user for d in register_of(app).search() if d.origin == "job"}
    assert users == {"clerk.a", "clerk.b"}


def test_draft_content_is_refused_on_the_page_as_on_the_command_line(tmp_path, clock, patient):
    import shutil

    from click.testing import CliRunner

    from docgen import resources

    risks = tmp_path / "risks"
    shutil.copytree(resources.default_risks(), risks)
    bleeding = risks / "bleeding.yaml"
    bleeding.write_text(bleeding.read_text(encoding="utf-8").replace("status: approved", "status: draft", 1),
                        encoding="utf-8")
    app = create_app({"DOCGEN_DATA": tmp_path / "data"}, clock=clock, risks=risks)
    client = app.test_client()
    response = post_form(client, "consent")
    assert response.status_code == 422
    assert "bleeding.yaml is draft: content not approved for patients" in response.text
    assert register_of(app).search() == []
    result = CliRunner().invoke(main, ["consent", str(patient()), "--risks", str(risks)])
    assert result.exit_code == 1 and "bleeding.yaml is draft: content not approved for patients" in result.output


def test_serve_says_whether_it_is_reachable_from_other_machines():
    from click.testing import CliRunner

    from docgen.web.server import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")  # noqa: S104 - the point of the test
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "--workers N" in result.output and "127.0.0.1" in result.output
