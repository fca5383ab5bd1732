"""FHIR in: hand-made spine Bundles print the forms a YAML record prints, and refusals name the element."""

from __future__ import annotations

import csv
import json
import os
import shutil

import fhir_bundles as fb
import pytest
import yaml
from conftest import BASE_PATIENT, flat, pages_text

from docgen import resources
from docgen.fhir import bundle as bundle_module


@pytest.fixture
def write(tmp_path):
    def write_json(data, name="bundle.json"):
        path = tmp_path / name
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    return write_json


def _errors(out_dir):
    with (out_dir / "errors.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_bundle_prints_the_same_consent_form_as_the_yaml_record(run, patient, write, tmp_path):
    """The same patient from YAML and from FHIR: the same document id, so the same bytes."""
    record = patient(mrn="FH-0001")
    assert run("consent", record, "-o", tmp_path / "yaml").exit_code == 0
    result = run("consent", "--fhir", write(fb.one_patient()), "-o", tmp_path / "fhir")
    assert result.exit_code == 0, result.output
    name = "FH-0001_consent_vertebroplasty.pdf"
    from_yaml, from_fhir = tmp_path / "yaml" / name, tmp_path / "fhir" / name
    assert flat(" ".join(pages_text(from_fhir))) == flat(" ".join(pages_text(from_yaml)))
    assert from_fhir.read_bytes() == from_yaml.read_bytes()
    text = flat(" ".join(pages_text(from_fhir)))
    assert "Ada Example" in text and "FH-0001" in text and "2 March 1941" in text
    assert "Dr Test Clinician" in text


def test_kyphoplasty_from_a_service_request_with_copd_and_an_anticoagulant(run, write, patient, tmp_path):
    data = fb.bundle(fb.patient(), fb.practitioner(),
                     fb.procedure(kind="ServiceRequest", cpt="22514", levels=("L2", "L3")),
                     fb.condition("c1", "p1", fb.SNOMED, "13645005"),
                     fb.medication("m1", "p1", fb.ATC, "B01AF01"))  # rivaroxaban, in B01AF
    result = run("consent", "--fhir", write(data), "-o", tmp_path / "fhir")
    assert result.exit_code == 0, result.output
    name = "FH-0001_consent_kyphoplasty.pdf"
    text = flat(" ".join(pages_text(tmp_path / "fhir" / name)))
    assert "Consent form: Kyphoplasty" in text and "L2" in text and "L3" in text
    assert "You have COPD or another lung disease" in text
    assert "You take blood thinners" in text
    twin = patient(mrn="FH-0001", procedure="kyphoplasty", levels="L2;L3", comorbidities="copd;anticoagulants")
    assert run("consent", twin, "-o", tmp_path / "yaml").exit_code == 0
    assert (tmp_path / "fhir" / name).read_bytes() == (tmp_path / "yaml" / name).read_bytes()


def test_copd_with_three_levels_is_refused_by_the_same_safety_rule_as_yaml(run, patient, write, out_dir):
    data = fb.bundle(fb.patient(), fb.practitioner(), fb.procedure(levels=("T12", "L1", "L2")),
                  fb.condition("c1", "p1", fb.SNOMED, "13645005"))
    from_fhir = run("consent", "--fhir", write(data), "-o", out_dir)
    from_yaml = run("consent", patient(mrn="FH-0001", levels="T12;L1;L2", comorbidities="copd"),
                    "-o", out_dir)
    assert from_fhir.exit_code == from_yaml.exit_code == 1
    assert "refused by safety rule" in from_fhir.output
    # The rule's fields are named as the FHIR elements they came from.
    assert "Procedure/proc1.bodySite (levels)" in from_fhir.output.split("refused by safety rule")[0]
    assert from_fhir.output.split("refused by safety rule")[1] == from_yaml.output.split(
        "refused by safety rule")[1]
    assert not list(out_dir.glob("*.pdf"))


def test_stopped_medicine_and_resolved_condition_do_not_count(run, write, tmp_path):
    data = fb.bundle(fb.patient(), fb.practitioner(), fb.procedure(),
                     fb.condition("c1", "p1", fb.SNOMED, "13645005", clinical="resolved"),
                     fb.medication("m1", "p1", fb.ATC, "B01AA03", status="stopped"))
    assert run("consent", "--fhir", write(data), "-o", tmp_path / "a").exit_code == 0
    assert run("consent", "--fhir", write(fb.one_patient(), "plain.json"), "-o", tmp_path / "b").exit_code == 0
    name = "FH-0001_consent_vertebroplasty.pdf"
    # The same record as a patient with neither: same document id, same bytes.
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    text = flat(" ".join(pages_text(tmp_path / "a" / name)))
    assert "You take blood thinners" not in text and "You have COPD" not in text


def test_site_added_codes_for_an_anticoagulant_and_an_indication(run, write, out_dir, tmp_path):
    risks = tmp_path / "risks"
    shutil.copytree(resources.default_risks(), risks)
    codes_file = risks / "fhir" / "codes.yaml"
    codes = yaml.safe_load(codes_file.read_text(encoding="utf-8"))
    codes["sources"]["site"] = "Example General Hospital formulary and local reason codes (invented for the test)"
    codes["code_systems"]["local"] = {"uri": "https://example.org/fhir/local-codes"}
    codes["comorbidities"]["anticoagulants"]["local"] = [
        {"code": "ANTICOAG-7", "display": "Site anticoagulant", "source": "site"}]
    codes["indications"] = {"myeloma": {"local": [{"code": "IND-MYELOMA", "display": "Myeloma", "source": "site"}]}}
    codes_file.write_text(yaml.safe_dump(codes, allow_unicode=True), encoding="utf-8")
    proc = fb.procedure()
    proc["reasonCode"] = [{"coding": [{"system": "https://example.org/fhir/local-codes", "code": "IND-MYELOMA"}]}]
    data = fb.bundle(fb.patient(), fb.practitioner(), proc,
                  fb.medication("m1", "p1", "https://example.org/fhir/local-codes", "ANTICOAG-7",
                             kind="MedicationRequest"))
    result = run("consent", "--fhir", write(data), "-o", out_dir, "--risks", risks)
    assert result.exit_code == 0, result.output
    text = flat(" ".join(pages_text(out_dir / "FH-0001_consent_vertebroplasty.pdf")))
    assert "caused by myeloma" in text and "You take blood thinners" in text
    # Without the site's codes the same reason is refused, never guessed.
    result = run("consent", "--fhir", write(data), "-o", out_dir / "shipped")
    assert result.exit_code == 1
    assert "Procedure/proc1.reasonCode[0]: no code docgen's fhir/codes.yaml knows as an indication" in result.output


ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def _with_reasons(*codings) -> dict:
    proc = fb.procedure()
    proc["reasonCode"] = [{"coding": [{"system": system, "code": code}]} for system, code in codings]
    return fb.bundle(fb.patient(), fb.practitioner(), proc)


@pytest.mark.parametrize(("codings", "indication", "words"), [
    ([(ICD10, "M80.0")], "osteoporosis", "caused by thin, weak bones"),
    ([(ICD10CM, "M80.08XA")], "osteoporosis", "caused by thin, weak bones"),
    ([(ICD10, "C79.5")], "metastasis", "caused by cancer that has spread to the bone"),
    ([(ICD10CM, "C79.51")], "metastasis", "caused by cancer that has spread to the bone"),
    ([(ICD10CM, "C90.02")], "myeloma", "caused by myeloma"),
    ([(ICD10, "D18.0")], "hemangioma", "a growth of blood vessels in the bone"),
    ([(ICD10CM, "S32.010A")], "trauma", "caused by an injury"),
])
def test_shipped_indication_codes_print_the_yaml_twins_form(run, write, patient, tmp_path, codings, indication, words):
    """A reason coded in WHO ICD-10 or ICD-10-CM (risks/fhir/codes.yaml cites the tabular lists)
    prints the form a YAML record with that indication prints."""
    result = run("consent", "--fhir", write(_with_reasons(*codings)), "-o", tmp_path / "fhir")
    assert result.exit_code == 0, result.output
    name = "FH-0001_consent_vertebroplasty.pdf"
    assert words in flat(" ".join(pages_text(tmp_path / "fhir" / name)))
    assert run("consent", patient(mrn="FH-0001", indication=indication), "-o", tmp_path / "yaml").exit_code == 0
    assert (tmp_path / "fhir" / name).read_bytes() == (tmp_path / "yaml" / name).read_bytes()


@pytest.mark.parametrize(("codings", "expected"), [
    ([(ICD10CM, "C79.51"), (ICD10CM, "M80.08XA")], "the reasons name 2 indications"),
    ([(ICD10CM, "C79.52")], "no code docgen's fhir/codes.yaml knows as an indication"),  # bone marrow, not bone
    ([(ICD10CM, "M80.051A")], "no code docgen's fhir/codes.yaml knows as an indication"),  # femur, not vertebra
    ([(fb.SNOMED, "64859006")], "no code docgen's fhir/codes.yaml knows as an indication"),  # SNOMED: none shipped
])
def test_unknown_or_conflicting_indication_codes_are_refused(run, write, out_dir, codings, expected):
    result = run("consent", "--fhir", write(_with_reasons(*codings)), "-o", out_dir)
    assert result.exit_code == 1
    assert "Procedure/proc1.reasonCode" in result.output and expected in result.output
    assert not list(out_dir.glob("*.pdf"))


def test_a_minor_gets_the_parental_responsibility_block(run, write, out_dir):
    data = fb.one_patient(birth="2012-05-01")
    assert run("consent", "--fhir", write(data), "-o", out_dir).exit_code == 0
    text = flat(" ".join(pages_text(out_dir / "FH-0001_consent_vertebroplasty.pdf")))
    assert "parental responsibility" in text.lower()


def test_spanish_from_the_preferred_communication_language(run, write, out_dir):
    data = fb.one_patient(language="es-ES")
    assert run("aftercare", "--fhir", write(data), "-o", out_dir).exit_code == 0
    text = flat(" ".join(pages_text(out_dir / "FH-0001_aftercare_vertebroplasty.pdf")))
    assert "20 de noviembre de 2026" in text
    assert "2 de marzo de 1941" in text


def test_official_name_mrn_of_the_site_system(run, write, out_dir, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(resources.default_templates(), templates)
    site = templates / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8") + 'fhir:\n  mrn_system: "https://nhs.example/Id/number"\n',
                    encoding="utf-8")
    data = fb.one_patient()
    result = run("consent", "--fhir", write(data), "-o", out_dir, "--templates", templates)
    assert result.exit_code == 1
    assert ("bundle.json: Patient/p1.identifier: no identifier with the site's system "
            "https://nhs.example/Id/number") in result.output
    data["entry"][0]["resource"]["identifier"].append(
        {"system": "https://nhs.example/Id/number", "value": "943 476 5919"})
    data["entry"][0]["resource"]["name"].insert(0, {"use": "usual", "given": ["Addy"]})
    result = run("consent", "--fhir", write(data), "-o", out_dir, "--templates", templates)
    assert result.exit_code == 0, result.output
    pdf = next(out_dir.glob("*.pdf"))
    text = flat(" ".join(pages_text(pdf)))
    assert "943 476 5919" in text and "Ada Example" in text and "Addy" not in text


@pytest.mark.parametrize(("change", "expected"), [
    (lambda b: b["entry"][0]["resource"].update(birthDate="1941-13-02"),
     "bundle.json: Patient/p1.birthDate: not a date"),
    (lambda b: b["entry"][0]["resource"].update(birthDate="1941"),
     "bundle.json: Patient/p1.birthDate (date_of_birth): is not a date written YYYY-MM-DD"),
    (lambda b: b["entry"][0]["resource"].update(identifier=[]),
     "bundle.json: Patient/p1.identifier: no identifier typed MR (HL7 v2 table 0203)"),
    (lambda b: b["entry"][0]["resource"].update(deceasedBoolean=True),
     "bundle.json: Patient/p1.deceasedBoolean: recorded as deceased: no document made"),
    (lambda b: b["entry"][0]["resource"]["name"][0].pop("family"),
     "bundle.json: Patient/p1.name[0].family (family_name): missing"),
    (lambda b: b["entry"][2]["resource"]["code"]["coding"][0].update(code="99999"),
     "bundle.json: Procedure/proc1.code (http://www.ama-assn.org/go/cpt|99999): no code docgen's "
     "fhir/codes.yaml knows as vertebroplasty or kyphoplasty"),
    (lambda b: b["entry"][2]["resource"]["bodySite"][1]["coding"][0].update(code="80146002"),
     "bundle.json: Procedure/proc1.bodySite[1]: http://snomed.info/sct|80146002: not one vertebra"),
    (lambda b: b["entry"][2]["resource"].update(bodySite=[]),
     "bundle.json: Procedure/proc1.bodySite (levels): missing (vertebrae such as T12;L1)"),
    (lambda b: b["entry"][2]["resource"].update(performer=[]),
     "bundle.json: Procedure/proc1.performer (clinician): missing"),
    (lambda b: b["entry"].append({"resource": fb.procedure("proc9", cpt="22513")}),
     "bundle.json: Procedure/proc1, Procedure/proc9: two candidate procedures for this patient"),
    (lambda b: b["entry"].pop(2),
     "bundle.json: Patient/p1: Procedure or ServiceRequest: none for this patient"),
])
def test_refusals_name_file_resource_and_element(run, write, out_dir, change, expected):
    data = fb.one_patient()
    change(data)
    result = run("consent", "--fhir", write(data), "-o", out_dir)
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Ada" not in result.output  # never a patient's name on the terminal
    assert not out_dir.exists() or not list(out_dir.glob("*.pdf"))


def test_a_fhir_element_and_a_csv_cell_are_refused_with_the_same_reason(run, write, tmp_path):
    """levels 'S1' written as bodySite text, and as a CSV cell: one reason, docgen's own."""
    data = fb.one_patient()
    data["entry"][2]["resource"]["bodySite"] = [{"text": "S1"}]
    fhir = run("batch", write(data), "--document", "consent", "-o", tmp_path / "f", "--jobs", "1")
    rows = tmp_path / "list.csv"
    row = {**BASE_PATIENT, "levels": "S1"}
    with rows.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    table = run("batch", rows, "--document", "consent", "-o", tmp_path / "c", "--jobs", "1")
    assert fhir.exit_code == table.exit_code == 1
    (from_fhir,), (from_csv,) = _errors(tmp_path / "f"), _errors(tmp_path / "c")
    assert from_fhir["field"] == "Procedure/proc1.bodySite (levels)"
    assert from_csv["field"] == "levels"
    assert from_fhir["reason"] == from_csv["reason"] == "item 1 not a vertebra (C1-C7, T1-T12, L1-L5) (found 'S1')"
    # On the terminal, the same reason without the value (it may be patient data).
    assert "Procedure/proc1.bodySite (levels): item 1 not a vertebra (C1-C7, T1-T12, L1-L5)\n" in fhir.output


def test_batch_bundle_refuses_only_the_bad_patient(run, write, out_dir):
    data = fb.bundle(fb.patient(), fb.practitioner(), fb.procedure(cpt="22513"),
                  fb.patient("p2", mrn="FH-0002", given=("Bea",)), fb.procedure("proc2", "p2", cpt="22511"),
                  fb.procedure("proc3", "p2", cpt="22514"),
                  fb.patient("p3", mrn="FH-0003", birth="1941-02-30"), fb.procedure("proc4", "p3"),
                  fb.patient("p4", mrn="FH-0004", language="es"), fb.procedure("proc5", "p4", date="2026-11-21"),
                  kind="searchset")
    result = run("batch", write(data), "--document", "aftercare", "-o", out_dir, "--jobs", "1")
    assert result.exit_code == 1
    assert "2 written" in result.output and "2 refused" in result.output
    assert sorted(p.name for p in out_dir.glob("*.pdf")) == [
        "FH-0001_aftercare_kyphoplasty.pdf", "FH-0004_aftercare_vertebroplasty.pdf"]
    errors = {e["mrn"]: e for e in _errors(out_dir)}
    assert "two candidate procedures" in errors["FH-0002"]["reason"]
    assert errors["FH-0003"]["field"] == "Patient/p3.birthDate"
    assert errors["FH-0003"]["reason"] == "not a date"
    spanish = flat(" ".join(pages_text(out_dir / "FH-0004_aftercare_vertebroplasty.pdf")))
    assert "21 de noviembre de 2026" in spanish


def test_batch_safety_refusal_names_fhir_elements_and_a_way_to_override_for_a_bundle(run, write, out_dir):
    """Two workers (the refusal is made in a worker process): COPD with three levels refused for p2
    only, in FHIR's words; the command it suggests then prints that patient with the reason."""
    data = fb.bundle(fb.patient(), fb.practitioner(), fb.procedure(),
                     fb.patient("p2", mrn="FH-0002"), fb.procedure("proc2", "p2", levels=("T11", "T12", "L1")),
                     fb.condition("c2", "p2", fb.SNOMED, "13645005"))
    bundle_file = write(data)
    result = run("batch", bundle_file, "--document", "consent", "-o", out_dir, "--jobs", "2")
    assert result.exit_code == 1 and "1 written" in result.output and "1 refused" in result.output
    [line] = [x for x in result.output.splitlines() if "refused by safety rule" in x]
    where, reason = line.split(": refused by safety rule ")
    assert where == (f"{bundle_file}: Patient/p2: Condition, MedicationStatement, MedicationRequest "
                     "(comorbidities), Procedure/proc2.bodySite (levels)")
    hint = f'(a clinician may proceed by printing this patient alone: docgen consent --fhir {bundle_file} ' \
           '--fhir-patient Patient/p2 --override "REASON")'
    assert reason.endswith(hint)
    assert "override column" not in result.output and "comorbidities, levels" not in result.output
    [error] = _errors(out_dir)
    assert error["mrn"] == "FH-0002" and error["field"].startswith("Patient/p2: Condition")
    assert error["reason"].endswith(hint)
    # The way the hint names exists: that patient alone, with the clinician's reason.
    alone = run("consent", "--fhir", bundle_file, "--fhir-patient", "Patient/p2", "--override",
                "Discussed with the patient", "-o", out_dir / "alone")
    assert alone.exit_code == 0, alone.output
    text = flat(" ".join(pages_text(out_dir / "alone" / "FH-0002_consent_vertebroplasty.pdf")))
    assert "Discussed with the patient" in text and "FH-0002" in text


def test_fhir_patient_chooses_one_of_several_and_names_a_missing_one(run, write, patient, out_dir):
    data = fb.bundle(fb.patient(), fb.practitioner(), fb.procedure(),
                     fb.patient("p2", mrn="FH-0002", given=("Bea",)), fb.procedure("proc2", "p2"))
    bundle_file = write(data)
    result = run("aftercare", "--fhir", bundle_file, "--fhir-patient", "p2", "-o", out_dir)
    assert result.exit_code == 0, result.output
    text = flat(" ".join(pages_text(out_dir / "FH-0002_aftercare_vertebroplasty.pdf")))
    assert "Bea" in text and "FH-0002" in text
    result = run("aftercare", "--fhir", bundle_file, "--fhir-patient", "Patient/p9", "-o", out_dir)
    assert result.exit_code == 2 and result.output.strip() == f"Error: {bundle_file}: no Patient with the id Patient/p9"
    for odd in ("p2\nPatient/p9", "x" * 100_000, "../p2", "Patient/"):
        result = run("aftercare", "--fhir", bundle_file, "--fhir-patient", odd, "-o", out_dir / "x")
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, odd[:20]
        assert "the patient to print must be Patient/ID" in result.output and "xxxx" not in result.output
    result = run("aftercare", "--fhir", bundle_file, "-o", out_dir / "x")
    assert result.exit_code == 2 and "holds 2 patients" in result.output and "Patient/ID" in result.output
    result = run("aftercare", patient(), "--fhir-patient", "p2", "-o", out_dir / "x")
    assert result.exit_code == 2 and "--fhir-patient chooses a Patient of the --fhir BUNDLE.json" in result.output


def test_batch_refuses_columns_options_for_a_bundle(run, write, out_dir):
    result = run("batch", write(fb.one_patient()), "--document", "consent", "-o", out_dir,
                 "--set", "procedure=kyphoplasty")
    assert result.exit_code == 2
    assert "--columns and --set apply to CSV and .xlsx lists, not to a FHIR Bundle" in result.output


@pytest.mark.parametrize(("content", "expected"), [
    (b"{not json", "not valid JSON"),
    (json.dumps({"resourceType": "Patient", "id": "p1"}).encode(), "not a FHIR Bundle (resourceType: Patient)"),
    (json.dumps({"resourceType": "Bundle", "type": "document", "entry": []}).encode(),
     "Bundle.type: 'document' is not one docgen reads"),
    (b"[" * 100 + b"]" * 100, "nested more than 64 levels deep"),
    (b"[" * 100_000 + b"]" * 100_000, "nested more than 64 levels deep"),
    ("\xff".encode("latin-1"), "not UTF-8 text"),
])
def test_unusable_files_exit_2_with_one_line(run, tmp_path, out_dir, content, expected):
    path = tmp_path / "bundle.json"
    path.write_bytes(content)
    result = run("consent", "--fhir", path, "-o", out_dir)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_a_bundle_larger_than_the_limit_is_refused_before_it_is_read(run, write, out_dir, monkeypatch):
    monkeypatch.setattr(bundle_module, "MAX_BYTES", 1024)
    path = write(fb.one_patient())
    assert path.stat().st_size > 1024
    result = run("consent", "--fhir", path, "-o", out_dir)
    assert result.exit_code == 2
    assert f"{path}: is larger than 1 KB; too large for a FHIR Bundle" in result.output


@pytest.mark.timeout(20)  # the failure this guards against is a hang
@pytest.mark.parametrize("thing", ["fifo", "device"])
def test_a_bundle_that_is_a_fifo_or_device_is_refused_not_waited_on(run, out_dir, tmp_path, thing):
    # A FIFO nobody writes to blocked `docgen consent --fhir` and `docgen batch` for ever.
    path = tmp_path / "bundle.json"
    os.mkfifo(path) if thing == "fifo" else os.symlink("/dev/zero", path)
    for args in (("consent", "--fhir", path), ("batch", path, "--document", "consent")):
        result = run(*args, "-o", out_dir)
        assert result.exit_code == 2
        assert f"{path}: is not a regular file (a pipe or device?), not a FHIR Bundle" in result.output


def test_one_document_needs_exactly_one_patient_and_one_input(run, write, patient, out_dir):
    two = fb.bundle(patient_resource := patient_resource_factory("p1"), patient_resource_factory("p2"))
    assert patient_resource["id"] == "p1"
    result = run("consent", "--fhir", write(two), "-o", out_dir)
    assert result.exit_code == 2 and "holds 2 patients" in result.output
    result = run("consent", patient(), "--fhir", write(two), "-o", out_dir)
    assert result.exit_code == 2 and "give either PATIENT" in result.output


def patient_resource_factory(pid):
    return fb.patient(pid, mrn=f"FH-{pid}")


def _risks_copy(tmp_path, change):
    risks = tmp_path / "risks"
    shutil.copytree(resources.default_risks(), risks)
    codes_file = risks / "fhir" / "codes.yaml"
    codes = yaml.safe_load(codes_file.read_text(encoding="utf-8"))
    change(codes)
    codes_file.write_text(yaml.safe_dump(codes, allow_unicode=True), encoding="utf-8")
    return risks


def test_a_draft_code_mapping_is_refused_like_other_content(run, write, out_dir, tmp_path):
    risks = _risks_copy(tmp_path, lambda c: c.update(status="draft"))
    result = run("consent", "--fhir", write(fb.one_patient()), "-o", out_dir, "--risks", risks)
    assert result.exit_code == 1
    assert "fhir/codes.yaml is draft: content not approved for patients" in result.output
    result = run("consent", "--fhir", write(fb.one_patient()), "-o", out_dir, "--risks", risks, "--allow-draft")
    assert result.exit_code == 0, result.output


def test_a_code_without_a_source_is_refused_by_check_and_by_use(run, write, out_dir, tmp_path):
    def unsourced(codes):
        codes["procedures"]["kyphoplasty"]["snomed"] = [{"code": "429616001", "display": "kyphoplasty?"}]

    risks = _risks_copy(tmp_path, unsourced)
    expected = "fhir/codes.yaml: procedures.kyphoplasty.snomed[0]: source: expected a source id listed under sources"
    result = run("check", "--risks", risks)
    assert result.exit_code == 1 and expected in result.output
    result = run("consent", "--fhir", write(fb.one_patient()), "-o", out_dir, "--risks", risks)
    assert result.exit_code == 2 and expected in result.output


@pytest.mark.parametrize("document", ["consent", "aftercare"])
def test_the_shipped_example_bundle_is_the_shipped_example_patient(run, tmp_path, document):
    """examples/patient-bundle.json is the FHIR twin of examples/patient.yaml: same bytes, job title
    (from the PractitionerRole) included, once the YAML drops the planned anaesthesia, which
    FHIR R4 has no standard element for (README)."""
    examples = resources.examples()
    record = yaml.safe_load((examples / "patient.yaml").read_text(encoding="utf-8"))
    assert record.pop("anaesthesia")  # still in the example
    assert record["clinician_job_title"]
    twin = tmp_path / "patient.yaml"
    twin.write_text(yaml.safe_dump(record), encoding="utf-8")
    assert run(document, twin, "-o", tmp_path / "yaml").exit_code == 0
    result = run(document, "--fhir", examples / "patient-bundle.json", "-o", tmp_path / "fhir")
    assert result.exit_code == 0, result.output
    name = f"EX-100234_{document}_kyphoplasty.pdf"
    assert (tmp_path / "fhir" / name).read_bytes() == (tmp_path / "yaml" / name).read_bytes()


def _with_role(*codes) -> dict:
    role = {"resourceType": "PractitionerRole", "id": "role1", "practitioner": {"reference": "Practitioner/dr1"},
            "code": list(codes)}
    proc = fb.procedure()
    proc["performer"] = [{"actor": {"reference": "PractitionerRole/role1"}}]
    return fb.bundle(fb.patient(), fb.practitioner(), role, proc)


@pytest.mark.parametrize("code", [
    {"text": "Consultant radiologist"},
    {"coding": [{"system": "http://example.org/local-roles", "code": "CR", "display": "Consultant radiologist"}]},
])
def test_job_title_from_the_practitioner_role_is_the_yaml_records(run, write, patient, tmp_path, code):
    result = run("consent", "--fhir", write(_with_role(code)), "-o", tmp_path / "fhir")
    assert result.exit_code == 0, result.output
    twin = patient(mrn="FH-0001", clinician_job_title="Consultant radiologist")
    assert run("consent", twin, "-o", tmp_path / "yaml").exit_code == 0
    from_fhir = tmp_path / "fhir" / "FH-0001_consent_vertebroplasty.pdf"
    text = flat(" ".join(pages_text(from_fhir)))
    assert "Dr Test Clinician" in text and "Job title Consultant radiologist" in text
    assert from_fhir.read_bytes() == (tmp_path / "yaml" / from_fhir.name).read_bytes()


def test_a_practitioner_alone_leaves_the_job_title_to_write_in(run, write, out_dir):
    result = run("consent", "--fhir", write(fb.one_patient()), "-o", out_dir)
    assert result.exit_code == 0, result.output
    text = flat(" ".join(pages_text(out_dir / "FH-0001_consent_vertebroplasty.pdf")))
    assert "Job title Help you need" in text  # the row is there, empty
    assert "X Local" not in text and "X Sedation" not in text and "X General" not in text  # boxes blank


def test_every_role_code_is_printed_and_a_too_long_title_names_the_role(run, write, out_dir):
    result = run("consent", "--fhir", write(_with_role({"text": "Consultant radiologist"}, {"text": "Clinical lead"})),
                 "-o", out_dir)
    assert result.exit_code == 0, result.output
    text = flat(" ".join(pages_text(out_dir / "FH-0001_consent_vertebroplasty.pdf")))
    assert "Job title Consultant radiologist; Clinical lead" in text
    result = run("consent", "--fhir", write(_with_role({"text": "x" * 5000})), "-o", out_dir / "long")
    assert result.exit_code == 1
    assert "PractitionerRole/role1.code (clinician_job_title):" in result.output
    assert "x" * 50 not in result.output  # the value itself is not echoed
