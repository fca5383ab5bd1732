"""Hand-made FHIR R4 Bundles for the spine cases (invented patients only), built in code for the tests."""

from __future__ import annotations

import copy
from typing import Any

MR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
CPT = "http://www.ama-assn.org/go/cpt"
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
VERTEBRA = {"T11": "12989004", "T12": "23215003", "L1": "66794005", "L2": "14293000", "L3": "36470004"}


def patient(pid: str = "p1", mrn: str = "FH-0001", given=("Ada",), family: str = "Example",
            birth: str = "1941-03-02", language: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient", "id": pid,
        "identifier": [{"type": MR, "system": "https://example.org/mrn", "value": mrn}],
        "name": [{"use": "official", "family": family, "given": list(given)}],
        "birthDate": birth,
    }
    if language:
        resource["communication"] = [{"language": {"coding": [
            {"system": "urn:ietf:bcp:47", "code": language}]}, "preferred": True}]
    return resource


def practitioner(prid: str = "dr1", name: str = "Test Clinician") -> dict[str, Any]:
    return {"resourceType": "Practitioner", "id": prid,
            "name": [{"use": "official", "prefix": ["Dr"], "given": name.split()[:-1],
                      "family": name.split()[-1]}]}


def procedure(prid: str = "proc1", pid: str = "p1", cpt: str = "22510", levels=("T12", "L1"),
              date: str = "2026-11-20", kind: str = "Procedure", status: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": kind, "id": prid,
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": CPT, "code": cpt}]},
        "bodySite": [{"coding": [{"system": SNOMED, "code": VERTEBRA[level]}]} for level in levels],
    }
    if kind == "Procedure":
        resource.update(status=status or "completed", performedDateTime=date,
                        performer=[{"actor": {"reference": "Practitioner/dr1"}}])
    else:
        resource.update(status=status or "active", intent="order", occurrenceDateTime=date,
                        requester={"reference": "Practitioner/dr1"})
    return resource


def condition(cid: str, pid: str, system: str, code: str, clinical: str = "active") -> dict[str, Any]:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{pid}"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": clinical}]},
            "code": {"coding": [{"system": system, "code": code}]}}


def medication(mid: str, pid: str, system: str, code: str, status: str = "active",
               kind: str = "MedicationStatement") -> dict[str, Any]:
    resource = {"resourceType": kind, "id": mid, "status": status,
                "subject": {"reference": f"Patient/{pid}"},
                "medicationCodeableConcept": {"coding": [{"system": system, "code": code}]}}
    if kind == "MedicationRequest":
        resource["intent"] = "order"
    return resource


def bundle(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind,
            "entry": [{"fullUrl": f"https://example.org/fhir/{r['resourceType']}/{r['id']}",
                       "resource": copy.deepcopy(r)} for r in resources]}


def one_patient(**changes) -> dict[str, Any]:
    """The FHIR twin of tests/conftest.py's BASE_PATIENT (vertebroplasty T12;L1)."""
    return bundle(patient(**changes), practitioner(), procedure())
