"""Official HL7 FHIR R4 examples (hl7.fhir.r4.examples 4.0.1, CC0): read as a record system sends them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import flat, pages_text

from docgen import fhir, resources
from docgen.content.settings import load_site

EXAMPLES = Path(__file__).parent / "data" / "fhir" / "hl7-r4-examples"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def collection(*resources_: dict) -> dict:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"http://hl7.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
                      for r in resources_]}


def read(data: dict, **site_fhir):
    site = load_site(resources.default_templates())
    site.fhir.update(site_fhir)
    return fhir.read_bundle(json.dumps(data).encode(), risks=resources.default_risks(), site=site,
                            source="bundle.json")


@pytest.mark.parametrize("name", ["Patient-example", "Practitioner-example", "Procedure-example",
                                  "ServiceRequest-example", "Condition-example",
                                  "MedicationStatement-example001", "DocumentReference-example"])
def test_the_library_reads_every_official_example_docgen_uses(name):
    from fhir.resources.R4B import get_fhir_model_class

    data = example(name)
    model = get_fhir_model_class(data["resourceType"]).model_validate(data)
    assert model.id == data["id"]


def test_official_patient_mrn_name_and_birth_date():
    """Patient/example: the MR identifier (not the others), the official name (not 'Jim')."""
    (patient,) = read(collection(example("Patient-example")))
    assert patient.label == "Patient/example"
    assert patient.record["mrn"] == "12345"
    assert patient.record["given_name"] == "Peter James"
    assert patient.record["family_name"] == "Chalmers"
    assert patient.record["date_of_birth"] == "1974-12-25"
    # It has no procedure: refused with that reason, naming the patient.
    assert [str(p) for p in patient.problems] == [
        "bundle.json: Patient/example: Procedure or ServiceRequest: none for this patient (needed: "
        "the planned or done vertebroplasty or kyphoplasty)"]


def test_official_patient_without_the_sites_mrn_system_is_refused():
    (patient,) = read(collection(example("Patient-example")), mrn_system="https://nhs.example/Id/number")
    assert any(str(p).startswith("bundle.json: Patient/example.identifier: no identifier with the "
                                 "site's system https://nhs.example/Id/number") for p in patient.problems)
    # With the system the example's MRN carries, it is found.
    (patient,) = read(collection(example("Patient-example")), mrn_system="urn:oid:1.2.36.146.595.217.0.1")
    assert patient.record["mrn"] == "12345"


def test_official_appendectomy_is_refused_as_an_unknown_procedure_code():
    (patient,) = read(collection(example("Patient-example"), example("Practitioner-example"),
                                 example("Procedure-example"), example("Condition-example")))
    assert [str(p) for p in patient.problems] == [
        "bundle.json: Procedure/example.code (http://snomed.info/sct|80146002): no code docgen's "
        "fhir/codes.yaml knows as vertebroplasty or kyphoplasty (add the site's code there)"]


def test_official_resources_recoded_as_a_vertebroplasty_print_a_consent_form(run, tmp_path):
    """The official Procedure, only its code and site changed: performer resolves to Dr Adam Careful."""
    procedure = example("Procedure-example")
    procedure["code"] = {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "22511"}]}
    procedure["bodySite"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "36470004"}]}]  # L3
    (refused,) = read(collection(example("Patient-example"), example("Practitioner-example"), procedure))
    # Its reason (abdominal pain) is no indication docgen knows: refused, never guessed.
    assert [p.field for p in refused.problems] == ["Procedure/example.reasonCode[0]"]
    del procedure["reasonCode"]
    statement = example("MedicationStatement-example001")  # a contained Medication, not an anticoagulant
    statement["subject"] = {"reference": "Patient/example"}
    data = collection(example("Patient-example"), example("Practitioner-example"), procedure,
                      example("Condition-example"), statement)
    (patient,) = read(data)
    assert not patient.problems
    assert patient.record == {
        "mrn": "12345", "given_name": "Peter James", "family_name": "Chalmers",
        "date_of_birth": "1974-12-25", "procedure": "vertebroplasty", "levels": "L3",
        "clinician": "Dr Adam Careful", "procedure_date": "2013-04-05"}
    assert patient.request_reference == "Procedure/example"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("consent", "--fhir", path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    text = flat(" ".join(pages_text(tmp_path / "out" / "12345_consent_vertebroplasty.pdf")))
    assert "Chalmers, Peter James" in text and "Born 25 December 1974" in text and "Dr Adam Careful" in text


def test_official_transaction_bundle_each_patient_refused_on_its_own():
    patients = read(example("Bundle-bundle-transaction"))
    assert len(patients) == 5
    assert {p.label for p in patients} >= {"Patient/123", "Patient/123a", "Patient (entry 1)"}
    for patient in patients:
        assert patient.problems, patient.label
        assert all(str(p).startswith(f"bundle.json: {patient.label}") for p in patient.problems)


def test_an_official_example_with_a_broken_birth_date_names_resource_and_element():
    patient_ = example("Patient-example")
    patient_["birthDate"] = "1974-12-32"
    (patient,) = read(collection(patient_))
    assert "bundle.json: Patient/example.birthDate: not a date" in [str(p) for p in patient.problems]
