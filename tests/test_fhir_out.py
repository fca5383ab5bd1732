"""FHIR out: the DocumentReference beside each PDF round-trips; --fhir-server files it on loopback."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
from datetime import UTC, datetime

import fhir_bundles as fb
import pytest
from conftest import flat, pages_text
from fhir.resources.R4B.documentreference import DocumentReference

from docgen import resources
from docgen.content.settings import load_site
from docgen.fhir import document_reference, load_codes

PDF_NAME = "FH-0001_consent_vertebroplasty.pdf"
DOCREF_NAME = "FH-0001_consent_vertebroplasty.documentreference.json"


@pytest.fixture
def bundle_file(tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(fb.one_patient()), encoding="utf-8")
    return path


class _Server:
    """A tiny FHIR endpoint on 127.0.0.1: records each POST, answers with the status it is told."""

    def __init__(self, status: int = 201):
        self.status = status
        self.received: list[tuple[str, str, dict]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/fhir+json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/fhir"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_document_reference_round_trips(run, bundle_file, out_dir):
    result = run("consent", "--fhir", bundle_file, "-o", out_dir, "--fhir-out")
    assert result.exit_code == 0, result.output
    pdf = (out_dir / PDF_NAME).read_bytes()
    resource = json.loads((out_dir / DOCREF_NAME).read_text(encoding="utf-8"))
    model = DocumentReference.model_validate(resource)  # the library's R4 model accepts it
    assert model.status == "current"
    assert [(c.system, c.code) for c in model.type.coding] == [("http://loinc.org", "59284-0")]
    assert model.subject.reference == "Patient/p1"
    assert model.context.related[0].reference == "Procedure/proc1"
    assert model.author[0].display == "Example General Hospital"
    attachment = model.content[0].attachment
    assert attachment.contentType == "application/pdf"
    assert base64.b64decode(resource["content"][0]["attachment"]["data"]) == pdf
    assert attachment.size == len(pdf)
    assert resource["content"][0]["attachment"]["hash"] == base64.b64encode(
        hashlib.sha1(pdf, usedforsecurity=False).digest()).decode()
    # The master identifier is the document id printed on every page and in every scan code.
    document_id = model.masterIdentifier.value
    assert f"DOCGEN|FH-0001|consent|{document_id}|p1" in flat(pages_text(out_dir / PDF_NAME)[0])
    assert datetime.fromisoformat(resource["date"]).tzinfo is not None


def test_aftercare_type_and_a_linked_pdf(run, bundle_file, out_dir):
    result = run("aftercare", "--fhir", bundle_file, "-o", out_dir,
                 "--fhir-pdf-url", "https://docs.example.org/pdf/")
    assert result.exit_code == 0, result.output
    resource = json.loads((out_dir / "FH-0001_aftercare_vertebroplasty.documentreference.json").read_text())
    attachment = resource["content"][0]["attachment"]
    assert "data" not in attachment
    assert attachment["url"] == "https://docs.example.org/pdf/FH-0001_aftercare_vertebroplasty.pdf"
    assert resource["type"]["coding"][0]["code"] == "8653-8"


def test_a_yaml_record_names_its_patient_by_mrn(run, patient, out_dir):
    result = run("consent", patient(mrn="EX-7"), "-o", out_dir, "--fhir-out")
    assert result.exit_code == 0, result.output
    resource = json.loads((out_dir / "EX-7_consent_vertebroplasty.documentreference.json").read_text())
    assert resource["subject"] == {"identifier": {"value": "EX-7"}}
    assert "context" not in resource


def test_document_reference_stays_in_the_output_folder(run, tmp_path):
    data = fb.one_patient(mrn="../../evil")
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "a" / "b" / "out"
    assert run("consent", "--fhir", path, "-o", out, "--fhir-out").exit_code == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    # docgen-data/ is docgen's own folder (the register), which conftest puts in tmp_path.
    assert [w for w in written if w != "bundle.json" and not w.startswith("docgen-data/")] == sorted(
        f"a/b/out/{p.name}" for p in out.iterdir())
    assert len(list(out.glob("*.documentreference.json"))) == 1


def test_existing_document_reference_is_not_overwritten_without_force(run, bundle_file, out_dir):
    assert run("consent", "--fhir", bundle_file, "-o", out_dir, "--fhir-out").exit_code == 0
    before = (out_dir / DOCREF_NAME).read_bytes()
    assert run("consent", "--fhir", bundle_file, "-o", out_dir, "--fhir-out").exit_code == 1
    assert (out_dir / DOCREF_NAME).read_bytes() == before
    assert run("consent", "--fhir", bundle_file, "-o", out_dir, "--fhir-out", "--force").exit_code == 0


def test_document_reference_needs_a_time_zone():
    site = load_site(resources.default_templates())
    codes = load_codes(resources.default_risks())
    with pytest.raises(ValueError, match="time zone"):
        document_reference(b"%PDF", document="consent", document_id="ABC", mrn="1", title="t",
                           when=datetime(2026, 11, 20, 9, 0), site=site, codes=codes)
    resource = document_reference(b"%PDF", document="consent", document_id="ABC", mrn="1", title="t",
                                  when=datetime(2026, 11, 20, 9, 0, tzinfo=UTC), site=site, codes=codes)
    assert resource["date"] == "2026-11-20T09:00:00+00:00"


def test_fhir_server_receives_each_document_reference(run, out_dir, tmp_path):
    data = fb.bundle(fb.patient(), fb.practitioner(), fb.procedure(),
                     fb.patient("p2", mrn="FH-0002"), fb.procedure("proc2", "p2", cpt="22513"))
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with _Server() as server:
        result = run("batch", path, "--document", "consent", "-o", out_dir, "--jobs", "1",
                     "--fhir-server", server.url)
    assert result.exit_code == 0, result.output
    assert [p for p, _, _ in server.received] == ["/fhir/DocumentReference"] * 2
    assert all(t.startswith("application/fhir+json") for _, t, _ in server.received)
    sent = {r["subject"]["reference"]: r for _, _, r in server.received}
    assert set(sent) == {"Patient/p1", "Patient/p2"}
    # What was sent is what was written beside the PDF.
    on_disk = json.loads((out_dir / "FH-0002_consent_kyphoplasty.documentreference.json").read_text())
    assert sent["Patient/p2"] == on_disk
    assert sent["Patient/p2"]["context"]["related"] == [{"reference": "Procedure/proc2"}]


@pytest.mark.parametrize("status", [500, 422])
def test_server_failure_is_reported_per_document_and_keeps_the_pdf(run, bundle_file, out_dir, status):
    with _Server(status=status) as server:
        result = run("consent", "--fhir", bundle_file, "-o", out_dir, "--fhir-server", server.url)
    assert result.exit_code == 1
    assert f"{PDF_NAME}: not filed on {server.url}: HTTP {status}" in result.output
    assert (out_dir / PDF_NAME).read_bytes().startswith(b"%PDF")
    assert (out_dir / DOCREF_NAME).exists()


def test_unreachable_server_is_reported_and_keeps_the_pdf(run, bundle_file, out_dir):
    with _Server() as server:
        url = server.url
    result = run("consent", "--fhir", bundle_file, "-o", out_dir, "--fhir-server", url)
    assert result.exit_code == 1
    assert "could not reach the server" in result.output
    assert (out_dir / PDF_NAME).exists()


def test_only_http_servers(run, bundle_file, out_dir):
    result = run("consent", "--fhir", bundle_file, "-o", out_dir, "--fhir-server", "file:///etc/passwd")
    assert result.exit_code == 2
    assert "expected an http:// or https:// FHIR base URL" in result.output
    assert not out_dir.exists()
