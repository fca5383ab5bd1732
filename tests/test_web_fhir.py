"""The web pages take a FHIR Bundle as the command line does: same record, same PDF, same DocumentReference."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import shutil
from datetime import UTC, datetime

import fhir_bundles as fb
import pytest
from fhir.resources.R4B.documentreference import DocumentReference
from web_support import csrf_token, field_errors, pdf_text, wait_for

from docgen import resources
from docgen.web import create_app

ISSUED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
PDF_NAME = "FH-0001_consent_vertebroplasty.pdf"


@pytest.fixture
def app(tmp_path):
    return create_app({"DOCGEN_DATA": tmp_path / "data"}, clock=lambda: ISSUED)


@pytest.fixture
def client(app):
    return app.test_client()


def post_bundle(client, bundle: dict | bytes, action: str, document: str = "consent", name="bundle.json"):
    data = bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode("utf-8")
    form = {"csrf_token": csrf_token(client.get("/").text), "action": action, "fhir_document": document,
            "bundle": (io.BytesIO(data), name)}
    return client.post("/fhir", data=form, content_type="multipart/form-data")


def alert_lines(html: str) -> list[str]:
    alert = re.search(r'role="alert".*?<ul>(.*?)</ul>', html, re.S)
    assert alert, "the page shows no problems"
    return [re.sub(r"<[^>]+>", "", line).replace("&#39;", "'").strip()
            for line in re.findall(r"<li>(.*?)</li>", alert.group(1), re.S)]


def test_pdf_from_a_bundle_is_the_command_lines_pdf(app, client, run, tmp_path):
    bundle_file = tmp_path / "bundle.json"
    bundle_file.write_text(json.dumps(fb.one_patient()), encoding="utf-8")
    assert run("consent", "--fhir", bundle_file, "-o", tmp_path / "cli").exit_code == 0
    response = post_bundle(client, fb.one_patient(), "pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename={PDF_NAME}"
    assert response.headers["Cache-Control"] == "no-store"
    pages, text = pdf_text(response.data)
    assert pages >= 2 and "Ada Example" in text and "FH-0001" in text and "Dr Test Clinician" in text
    assert response.data == (tmp_path / "cli" / PDF_NAME).read_bytes()
    [entry] = app.extensions["docgen"].register.search("FH-0001")
    assert entry.origin == "page" and entry.sha256 == hashlib.sha256(response.data).hexdigest()


def test_document_reference_holds_the_pdf_just_made(client):
    pdf = post_bundle(client, fb.one_patient(), "pdf", document="aftercare").data
    response = post_bundle(client, fb.one_patient(), "documentreference", document="aftercare")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    assert response.headers["Content-Disposition"] == \
        "attachment; filename=FH-0001_aftercare_vertebroplasty.documentreference.json"
    assert response.headers["Cache-Control"] == "no-store"
    resource = json.loads(response.data)
    DocumentReference.model_validate(resource)  # the library's R4 model accepts it
    attachment = resource["content"][0]["attachment"]
    data = base64.b64decode(attachment["data"])
    assert data == pdf
    assert attachment["size"] == len(pdf) and attachment["contentType"] == "application/pdf"
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(pdf, usedforsecurity=False).digest()).decode()
    assert resource["subject"] == {"reference": "Patient/p1"}
    assert resource["context"]["related"] == [{"reference": "Procedure/proc1"}]
    assert resource["date"] == ISSUED.isoformat()  # the app's clock, not the machine's
    _, text = pdf_text(data)
    assert resource["masterIdentifier"]["value"] in text and "20 November 2026" in text


def test_fill_puts_the_bundles_record_on_the_form(client):
    data = fb.bundle(fb.patient(), fb.practitioner(), fb.procedure(levels=("L1", "L2")),
                     fb.condition("c1", "p1", fb.SNOMED, "13645005"))
    response = post_bundle(client, data, "fill")
    assert response.status_code == 200
    html = response.text
    assert 'id="mrn" name="mrn" value="FH-0001"' in html
    assert 'id="date_of_birth" name="date_of_birth" value="1941-03-02"' in html
    for box in ("levels-L1", "levels-L2", "comorbidities-copd"):
        assert re.search(rf'id="{box}"[^>]* checked', html), box
    assert not re.search(r'id="levels-T12"[^>]* checked', html)
    assert "What applies to this patient" in html


def test_refused_bundle_names_file_resource_and_element(client):
    data = fb.one_patient(birth="1941-13-02")
    response = post_bundle(client, data, "pdf", name="export.json")
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert alert_lines(response.text) == ["export.json: Patient/p1.birthDate: not a date"]
    assert "The Bundle cannot be used as it is" in response.text
    assert "Example" not in re.search(r'role="alert".*?</div>', response.text, re.S).group(0)


def test_safety_refusal_from_a_bundle_names_the_element_and_offers_the_override(client):
    data = fb.bundle(fb.patient(), fb.practitioner(), fb.procedure(levels=("T11", "T12", "L1")),
                     fb.condition("c1", "p1", fb.SNOMED, "13645005"))
    response = post_bundle(client, data, "pdf")
    assert response.status_code == 422
    [line] = alert_lines(response.text)
    assert line.startswith("bundle.json: ")
    assert "Procedure/proc1.bodySite (levels)" in line and "refused by safety rule" in line
    assert line.endswith("(a clinician may proceed with a reason in the override field)")
    assert 'name="override"' in response.text and 'id="mrn" name="mrn" value="FH-0001"' in response.text


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "bundle.json: not valid JSON"),
    (json.dumps(fb.bundle(fb.patient(), fb.patient(pid="p2", mrn="FH-0002"))).encode(),
     "bundle.json: holds 2 patients; one document is made for exactly one"),
])
def test_unusable_bundles_are_one_line_messages(client, content, message):
    response = post_bundle(client, content, "documentreference")
    assert response.status_code == 422
    [line] = alert_lines(response.text)
    assert line.startswith(message)


def test_bundle_upload_needs_the_csrf_token(app, client):
    client.get("/")
    data = {"action": "pdf", "fhir_document": "consent",
            "bundle": (io.BytesIO(json.dumps(fb.one_patient()).encode()), "bundle.json")}
    response = client.post("/fhir", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "security token" in response.text
    assert app.extensions["docgen"].register.search() == []


def test_bundle_larger_than_the_upload_limit_is_refused(tmp_path):
    small = create_app({"DOCGEN_DATA": tmp_path / "data", "DOCGEN_MAX_UPLOAD_MB": 0.01}, clock=lambda: ISSUED)
    client = small.test_client()
    padded = fb.one_patient()
    padded["entry"][0]["resource"]["text"] = {"status": "generated", "div": "<div>" + "x" * 20000 + "</div>"}
    response = post_bundle(client, padded, "pdf")
    assert response.status_code == 413 and "larger than the limit" in response.text


def test_office_runs_a_bundle_as_docgen_batch_does(app, client):
    data = fb.bundle(fb.patient(), fb.practitioner(), fb.procedure(),
                     fb.patient(pid="p2", mrn="FH-0002", birth="1941-13-02"), fb.procedure(prid="proc2", pid="p2"))
    form = {"csrf_token": csrf_token(client.get("/office/").text), "document": "consent",
            "list": (io.BytesIO(json.dumps(data).encode()), "export.json")}
    response = client.post("/office/", data=form, content_type="multipart/form-data")
    assert response.status_code == 303
    job_url = response.headers["Location"]
    assert "/columns" not in job_url  # a Bundle's elements need no matching
    status = wait_for(lambda: (s := client.get(job_url + "/status.json").json)["status"] in ("done", "failed") and s)
    assert (status["status"], status["total"], status["written"], status["refused"]) == ("done", 2, 1, 1)
    page = client.get(job_url).text
    assert "<td>2</td><td>FH-0002</td><td>Patient/p2.birthDate</td><td>not a date</td>" in page
    manifest = list(csv.DictReader(io.StringIO(client.get(job_url + "/files/manifest.csv").data.decode("utf-8-sig"))))
    [written] = [line for line in manifest if line["status"] == "written"]
    assert written["file"] == PDF_NAME
    merged = client.get(job_url + "/files/print.pdf").data
    _, text = pdf_text(merged)
    assert "Ada Example" in text and written["document_id"] in text


def test_office_refuses_a_column_map_with_a_bundle(client):
    form = {"csrf_token": csrf_token(client.get("/office/").text), "document": "consent",
            "list": (io.BytesIO(json.dumps(fb.one_patient()).encode()), "export.json"),
            "mapping": (io.BytesIO(b"mrn: ID\n"), "columns.yaml")}
    response = client.post("/office/", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert field_errors(response.text)["mapping"] == \
        "a column map applies to CSV and .xlsx lists, not to a FHIR Bundle"


def test_office_refuses_a_bundle_without_patients(client):
    form = {"csrf_token": csrf_token(client.get("/office/").text), "document": "consent",
            "list": (io.BytesIO(json.dumps(fb.bundle(fb.practitioner())).encode()), "export.json")}
    response = client.post("/office/", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert field_errors(response.text)["list"] == "export.json: the Bundle holds no Patient"


def test_office_safety_refusal_tells_the_web_way_to_override_and_it_works(client):
    data = fb.bundle(fb.patient(), fb.practitioner(), fb.procedure(),
                     fb.patient("p2", mrn="FH-0002"), fb.procedure("proc2", "p2", levels=("T11", "T12", "L1")),
                     fb.condition("c2", "p2", fb.SNOMED, "13645005"))
    content = json.dumps(data).encode()
    form = {"csrf_token": csrf_token(client.get("/office/").text), "document": "consent",
            "list": (io.BytesIO(content), "export.json")}
    job_url = client.post("/office/", data=form, content_type="multipart/form-data").headers["Location"]
    status = wait_for(lambda: (s := client.get(job_url + "/status.json").json)["status"] in ("done", "failed") and s)
    assert (status["written"], status["refused"]) == (1, 1)
    page = client.get(job_url).text
    assert "<td>2</td><td>FH-0002</td><td>Patient/p2: Condition, MedicationStatement, MedicationRequest " \
           "(comorbidities), Procedure/proc2.bodySite (levels)</td>" in page
    assert ("(a clinician may proceed on the one-patient page: upload the Bundle again, give Patient/p2 "
            "as the patient and a reason in the override field)") in page
    assert "override column" not in page and "--override" not in page
    # The page the hint names: that patient of the same Bundle, refused there with the override field offered.
    form = {"csrf_token": csrf_token(client.get("/").text), "action": "pdf", "fhir_document": "consent",
            "fhir_patient": "Patient/p2", "bundle": (io.BytesIO(content), "export.json")}
    refused = client.post("/fhir", data=form, content_type="multipart/form-data")
    assert refused.status_code == 422 and 'name="override"' in refused.text
    assert 'id="mrn" name="mrn" value="FH-0002"' in refused.text


def test_a_draft_code_mapping_refuses_the_document_reference_and_issues_nothing(tmp_path):
    risks = tmp_path / "risks"
    shutil.copytree(resources.default_risks(), risks)
    codes_file = risks / "fhir" / "codes.yaml"
    codes_file.write_text(codes_file.read_text(encoding="utf-8").replace("status: approved", "status: draft"),
                          encoding="utf-8")
    app = create_app({"DOCGEN_DATA": tmp_path / "data"}, clock=lambda: ISSUED, risks=risks)
    client = app.test_client()
    response = post_bundle(client, fb.one_patient(), "documentreference")
    assert response.status_code == 422
    [line] = alert_lines(response.text)
    assert "fhir/codes.yaml is draft: content not approved for patients" in line
    assert app.extensions["docgen"].register.search() == []


def test_fill_with_an_unknown_document_choice_reads_the_bundle_as_for_a_consent_form(client):
    data = json.dumps(fb.one_patient()).encode()
    form = {"csrf_token": csrf_token(client.get("/").text), "action": "fill", "fhir_document": "leaflet",
            "bundle": (io.BytesIO(data), "bundle.json")}
    response = client.post("/fhir", data=form, content_type="multipart/form-data")
    assert response.status_code == 200 and 'id="mrn" name="mrn" value="FH-0001"' in response.text
