"""End to end in a real headless Chromium (Debian's, driven by Playwright) against `docgen serve`."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import fhir_bundles as fb
import pypdf
import pytest
from web_support import COLUMN_MAP, REPO, pdf_text, sample_export, wait_for

CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "tests" / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                "(apt-get install chromium; .ci/run does)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`docgen serve` as a newcomer starts it, with 2 workers and a 1 MB upload limit."""
    data = tmp_path_factory.mktemp("serve-data")
    port = free_port()
    env = {**os.environ, "DOCGEN_DATA": str(data), "DOCGEN_MAX_UPLOAD_MB": "1"}
    env.pop("DOCGEN_DATABASE_URL", None)
    docgen = Path(sys.executable).with_name("docgen")
    process = subprocess.Popen([str(docgen), "serve", "--port", str(port), "--workers", "2"], env=env,  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = process.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}/" in line, line
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and page.csp_errors.append(msg.text))
    yield page
    context.close()


def fill_patient(page, mrn: str, levels=("T12", "L1"), comorbidities=()) -> None:
    page.fill("#mrn", mrn)
    page.fill("#given_name", "Ada")
    page.fill("#family_name", "Lovelace")
    page.fill("#date_of_birth", "1941-03-02")
    page.select_option("#procedure", "vertebroplasty")
    for level in levels:
        page.check(f"#levels-{level}")  # the list is clicked, box by box
    for factor in comorbidities:
        page.check(f"#comorbidities-{factor}")
    page.fill("#clinician", "Dr Amara Okafor")
    page.fill("#procedure_date", "2026-11-20")


def download(page, button_name: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name).click()
    item = info.value
    return item.suggested_filename, Path(item.path()).read_bytes()


def axe_violations(browser, url: str, before=None) -> list[str]:
    """axe-core's findings on a page; CSP is bypassed only to inject axe itself."""
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(url)
        if before:
            before(page)
        page.add_script_tag(path=str(AXE))
        return page.evaluate("""async () => (await axe.run(document)).violations
            .map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')')""")
    finally:
        context.close()


def test_clinician_prints_both_documents_and_the_register_lists_them(server, page):
    page.goto(server + "/")
    fill_patient(page, "BR-0001")
    name, consent = download(page, "Consent form (PDF)")
    assert name == "BR-0001_consent_vertebroplasty.pdf"
    pages, text = pdf_text(consent)
    assert pages >= 2 and "Lovelace, Ada" in text and "Dr Amara Okafor" in text
    name, aftercare = download(page, "Aftercare sheet (PDF)")
    assert name == "BR-0001_aftercare_vertebroplasty.pdf"
    _, after_text = pdf_text(aftercare)
    assert "20 November 2026" in after_text
    page.goto(server + "/register")
    page.fill("#q", "BR-0001")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    kinds = {rows.nth(i).locator("td").nth(2).inner_text() for i in range(2)}
    assert kinds == {"consent", "aftercare"}
    for i in range(2):
        document_id = rows.nth(i).locator("td").nth(1).inner_text()
        assert document_id in text or document_id in after_text
    assert page.csp_errors == []


def test_field_errors_are_shown_and_announced(server, page):
    page.goto(server + "/")
    fill_patient(page, "BR-0002")
    page.fill("#date_of_birth", "02/03/1941")
    page.fill("#mrn", "")
    page.get_by_role("button", name="Consent form (PDF)").click()
    assert page.locator("#date_of_birth-error").inner_text() == "is not a date written YYYY-MM-DD"
    assert page.locator("#mrn-error").inner_text() == "missing"
    assert page.get_attribute("#date_of_birth", "aria-invalid") == "true"
    assert "date_of_birth-error" in page.get_attribute("#date_of_birth", "aria-describedby")
    assert page.get_by_role("alert").count() == 1
    assert page.input_value("#given_name") == "Ada"  # what was typed is kept


def test_safety_refusal_and_override(server, page):
    page.goto(server + "/")
    fill_patient(page, "BR-0003", levels=("T10", "T11", "T12"), comorbidities=("copd",))
    page.get_by_role("button", name="Consent form (PDF)").click()
    alert = page.get_by_role("alert").inner_text()
    assert "refused by safety rule" in alert and "override field" in alert
    page.get_by_label("Your reason to go ahead despite the rule").fill("Benefit outweighs risk, discussed")
    name, data = download(page, "Consent form (PDF)")
    assert name == "BR-0003_consent_vertebroplasty.pdf"
    _, text = pdf_text(data)
    assert "Benefit outweighs risk, discussed" in " ".join(text.split())


def test_clinician_prints_from_a_fhir_bundle_and_downloads_its_document_reference(server, page, tmp_path):
    bundle = tmp_path / "export.json"
    bundle.write_text(json.dumps(fb.one_patient(mrn="BR-FHIR-1")), encoding="utf-8")
    page.goto(server + "/")
    page.set_input_files("#bundle", str(bundle))
    name, pdf = download(page, "Document from the Bundle (PDF)")
    assert name == "BR-FHIR-1_consent_vertebroplasty.pdf"
    _, text = pdf_text(pdf)
    assert "Ada Example" in text and "Dr Test Clinician" in text
    page.set_input_files("#bundle", str(bundle))
    name, data = download(page, "Document from the Bundle as FHIR DocumentReference (JSON)")
    assert name == "BR-FHIR-1_consent_vertebroplasty.documentreference.json"
    resource = json.loads(data)
    assert resource["resourceType"] == "DocumentReference" and resource["subject"] == {"reference": "Patient/p1"}
    assert base64.b64decode(resource["content"][0]["attachment"]["data"]) == pdf
    page.set_input_files("#bundle", str(bundle))
    page.get_by_role("button", name="Fill the form from the Bundle").click()
    assert page.input_value("#mrn") == "BR-FHIR-1" and page.is_checked("#levels-T12")
    assert page.csp_errors == []


def test_office_uploads_the_export_and_downloads_the_merged_file(server, page):
    export = sample_export()
    page.goto(server + "/office/")
    page.set_input_files("#list", str(export))
    page.set_input_files("#mapping", str(COLUMN_MAP))
    page.select_option("#document", "aftercare")
    page.get_by_role("button", name="Upload the list").click()
    assert page.input_value("#column-given_name") == "FIRST"
    page.select_option("#set-procedure", "kyphoplasty")
    page.fill("#set-levels", "L1")
    page.fill("#set-procedure_date", "2026-11-20")
    page.check("#duplex")
    page.get_by_role("button", name="Make the documents").click()
    # The page follows the job by itself (progress.js), then shows the downloads.
    page.get_by_role("link", name="Print file (all documents, in list order)").wait_for(timeout=120_000)
    bar = page.locator("#job-progress")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    assert "Finished:" in page.locator("#job-state").inner_text()
    with page.expect_download() as info:
        page.get_by_role("link", name="Print file (all documents, in list order)").click()
    merged = pypdf.PdfReader(info.value.path())
    with page.expect_download() as info:
        page.get_by_role("link", name="manifest.csv (one line per row)").click()
    import csv

    written = [r for r in csv.DictReader(Path(info.value.path()).read_text("utf-8-sig").splitlines())
               if r["status"] == "written"]
    assert written
    assert len(merged.pages) == sum(int(r["pages"]) + int(r["pages"]) % 2 for r in written)
    first = written[0]
    assert f"DOCGEN|{first['mrn']}|aftercare|{first['document_id']}|p1" in merged.pages[0].extract_text()
    assert page.csp_errors == []


def test_progress_bar_moves_while_the_job_runs(server, page, tmp_path):
    rows = "".join(f"P-{i},Ann,Smith,1950-01-01,L1\n" for i in range(12))
    listing = tmp_path / "twelve.csv"
    listing.write_text("mrn,given_name,family_name,date_of_birth,levels\n" + rows, encoding="utf-8")
    page.goto(server + "/office/")
    page.set_input_files("#list", str(listing))
    page.get_by_role("button", name="Upload the list").click()
    page.select_option("#set-procedure", "vertebroplasty")
    page.fill("#set-procedure_date", "2026-11-20")
    page.get_by_role("button", name="Make the documents").click()
    seen = set()

    def finished():
        if page.get_by_role("link", name="Every document (zip)").count():
            return True
        value = page.locator("#job-progress").get_attribute("value")
        seen.add(value)
        return False

    wait_for(finished, timeout=120, every=0.1)
    assert page.locator("#job-progress").get_attribute("value") == "12"
    assert len(seen - {None}) >= 2, seen  # the bar showed the job part-way, not only its end


def test_upload_refusals_are_messages_on_the_page(server, page, tmp_path):
    too_big = tmp_path / "big.csv"
    too_big.write_bytes(b"mrn,given_name\n" + b"X-1,Ann\n" * 200_000)  # 1.6 MB > the 1 MB limit
    page.goto(server + "/office/")
    page.set_input_files("#list", str(too_big))
    page.get_by_role("button", name="Upload the list").click()
    assert "larger than the limit of 1 MB" in page.get_by_role("alert").inner_text()
    binary = tmp_path / "photo.csv"
    binary.write_bytes(bytes(range(256)) * 40)
    page.goto(server + "/office/")
    page.set_input_files("#list", str(binary))
    page.get_by_role("button", name="Upload the list").click()
    assert page.locator("#list-error").inner_text().startswith("photo.csv: ")


def test_request_without_csrf_token_is_refused(server, page):
    page.goto(server + "/")
    response = page.request.post(server + "/", form={"mrn": "X", "action": "consent"})
    assert response.status == 400
    assert "security token" in response.text()


def test_keyboard_reaches_the_form_with_a_visible_focus(server, page):
    page.goto(server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the main content"
    page.focus("#mrn")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


@pytest.mark.parametrize("path", ["/", "/office/", "/catalogue", "/register"])
def test_axe_finds_no_violations(server, browser, path):
    assert axe_violations(browser, server + path) == []


def test_axe_finds_no_violations_on_a_form_with_errors(server, browser):
    def submit_bad(page):
        page.fill("#date_of_birth", "tomorrow")
        page.check("#levels-L1")
        page.check("#comorbidities-copd")
        page.get_by_role("button", name="Show the risks and rules that apply").click()

    assert axe_violations(browser, server + "/", submit_bad) == []

    def check_risks(page):
        fill_patient(page, "AX-1", levels=("T10", "T11", "T12"), comorbidities=("copd",))
        page.get_by_role("button", name="Show the risks and rules that apply").click()

    assert axe_violations(browser, server + "/", check_risks) == []


def test_axe_finds_no_violations_on_the_mapping_page(server, browser):
    def upload(page):
        page.set_input_files("#list", str(sample_export()))
        page.get_by_role("button", name="Upload the list").click()

    assert axe_violations(browser, server + "/office/", upload) == []


def test_axe_check_does_find_a_violation(server, browser):
    """The accessibility check can fail: an input without a label is reported."""
    def break_page(page):
        page.evaluate("document.querySelector('form').append(document.createElement('input'))")

    assert any(v.startswith("label:") for v in axe_violations(browser, server + "/", break_page))
