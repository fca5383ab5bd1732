"""From a Bundle's resources to docgen records: one per Patient, each element named for its errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..errors import Problem
from .bundle import Bundle, Resource
from .codes import Codes

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
REQUESTS = ("Procedure", "ServiceRequest")


@dataclass
class PatientRecord:
    """One Patient of a Bundle: a docgen record (field -> text), or the problems refusing it."""

    label: str  # "Patient/p1"
    source: str  # the Bundle's file name
    record: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    elements: dict[str, str] = field(default_factory=dict)  # docgen field -> FHIR element
    patient_reference: str = ""
    request_reference: str | None = None  # the Procedure or ServiceRequest the document is for

    def element(self, name: str) -> str:
        """A docgen field as the FHIR element it came from: "Patient/p1.birthDate (date_of_birth)"."""
        if name in self.elements:
            return f"{self.elements[name]} ({name})"
        return f"{self.label} ({name})" if name else self.label

    def relabel(self, problem: Problem) -> Problem:
        """docgen's own reason for a field, placed on the FHIR element that carried it."""
        fields = [f.strip() for f in problem.field.split(",") if f.strip()]
        where = ", ".join(self.element(f) for f in fields) or self.label
        return Problem(self.source, where, problem.reason, value=problem.value)

    def problem(self, element: str, reason: str) -> None:
        self.problems.append(Problem(self.source, element, reason))


def patient_records(bundle: Bundle, codes: Codes, mrn_system: str | None) -> list[PatientRecord]:
    """Every Patient in the Bundle, in file order, each mapped or refused on its own."""
    return [_map_patient(bundle, patient, codes, mrn_system) for patient in bundle.of_kind("Patient")]


def _map_patient(bundle: Bundle, patient: Resource, codes: Codes, mrn_system: str | None) -> PatientRecord:
    out = PatientRecord(label=patient.label, source=bundle.source, patient_reference=patient.reference)
    _report(out, patient)
    if patient.model is None:
        out.record["mrn"] = _raw_mrn(patient.raw, mrn_system)  # for the error report only
        return out
    mine = [r for r in bundle.resources if _subject(r) is not None
            and bundle.resolve(_subject(r)) is patient]
    _patient_fields(out, patient, mrn_system)
    _procedure_fields(out, bundle, [r for r in mine if r.kind in REQUESTS], codes)
    _comorbidities(out, bundle, mine, codes)
    return out


def _report(out: PatientRecord, resource: Resource) -> None:
    for element, reason in resource.problems:
        out.problem(f"{resource.label}.{element}" if element else resource.label, reason)


def _subject(resource: Resource) -> str | None:
    for name in ("subject", "patient"):
        value = resource.raw.get(name)
        if isinstance(value, dict) and isinstance(value.get("reference"), str):
            return value["reference"]
    return None


def _codings(concept: Any) -> list[tuple[str | None, str | None]]:
    return [(c.system, c.code) for c in (getattr(concept, "coding", None) or [])]


def _codes_text(pairs: list[tuple[str | None, str | None]]) -> str:
    return ", ".join(f"{s or '(no system)'}|{c}" for s, c in pairs) or "no coding"


def _as_text(value: Any) -> str | None:
    """A FHIR date or dateTime as written: the day where it happened, never moved to our time zone."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- Patient ---------------------------------------------------------------------------

def _patient_fields(out: PatientRecord, patient: Resource, mrn_system: str | None) -> None:
    model, label = patient.model, patient.label
    if model.deceasedBoolean or model.deceasedDateTime:
        element = "deceasedBoolean" if model.deceasedBoolean else "deceasedDateTime"
        out.problem(f"{label}.{element}", "recorded as deceased: no document made")
    out.elements["mrn"] = f"{label}.identifier"
    identifiers = [i for i in (model.identifier or []) if i.use != "old" and i.value]
    if mrn_system:
        values = {i.value for i in identifiers if i.system == mrn_system}
        missing = f"no identifier with the site's system {mrn_system} (templates/site.yaml fhir.mrn_system)"
    else:
        values = {i.value for i in identifiers
                  if any(c.system == V2_0203 and c.code == "MR" for c in _type_codings(i))}
        missing = ("no identifier typed MR (HL7 v2 table 0203); or set fhir.mrn_system "
                   "in templates/site.yaml to the system your MRNs carry")
    if len(values) > 1:
        out.problem(out.elements["mrn"], f"{len(values)} different MRNs; docgen needs exactly one")
    elif not values:
        out.problem(out.elements["mrn"], missing)
    else:
        out.record["mrn"] = values.pop()

    names = model.name or []
    official = [(i, n) for i, n in enumerate(names) if n.use == "official"]
    chosen = official or [(i, n) for i, n in enumerate(names) if n.use is None]
    out.elements["given_name"] = f"{label}.name.given"
    out.elements["family_name"] = f"{label}.name.family"
    if len(chosen) > 1:
        out.problem(f"{label}.name", "more than one official name; docgen needs exactly one")
    elif chosen:
        i, name = chosen[0]
        out.elements["given_name"] = f"{label}.name[{i}].given"
        out.elements["family_name"] = f"{label}.name[{i}].family"
        if name.given:
            out.record["given_name"] = " ".join(name.given)
        if name.family:
            out.record["family_name"] = name.family
    out.elements["date_of_birth"] = f"{label}.birthDate"
    if model.birthDate is not None:
        out.record["date_of_birth"] = _as_text(model.birthDate)

    out.elements["language"] = f"{label}.communication"
    spoken = model.communication or []
    preferred = [c for c in spoken if c.preferred] or (spoken if len(spoken) == 1 else [])
    if preferred:
        tags = [code for _system, code in _codings(preferred[0].language) if code]
        if tags:
            # BCP 47: the primary subtag is the language ("es-ES", "es-419" -> "es").
            out.record["language"] = tags[0].split("-")[0].lower()


def _raw_mrn(raw: dict[str, Any], mrn_system: str | None) -> str:
    """The MRN of a Patient the library refused, read leniently so admin staff can find the patient."""
    for identifier in raw.get("identifier") or []:
        if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
            continue
        kind = identifier.get("type")
        coding = (kind.get("coding") or []) if isinstance(kind, dict) else []
        typed_mr = any(isinstance(c, dict) and c.get("system") == V2_0203 and c.get("code") == "MR"
                       for c in coding)
        if (identifier.get("system") == mrn_system) if mrn_system else typed_mr:
            return identifier["value"]
    return ""


def _type_codings(identifier: Any) -> list[Any]:
    return list(getattr(identifier.type, "coding", None) or []) if identifier.type else []


# --- the procedure ---------------------------------------------------------------------

def _procedure_fields(out: PatientRecord, bundle: Bundle, requests: list[Resource], codes: Codes) -> None:
    candidates: list[tuple[Resource, str]] = []
    unknown: list[str] = []
    for resource in requests:
        if resource.model is None:
            continue
        status = resource.model.status
        if not codes.counts(f"{resource.kind}.status", status):
            continue
        pairs = _codings(resource.model.code)
        words = codes.words("procedures", pairs)
        if len(words) > 1:
            out.problem(f"{resource.label}.code", f"means both {' and '.join(words)}")
        elif words:
            candidates.append((resource, words[0]))
        else:
            unknown.append(f"{resource.label}.code ({_codes_text(pairs)})")
    # A Procedure done on the strength of a ServiceRequest is one operation, not two.
    done_for = {bundle.resolve(ref.reference) for r, _ in candidates if r.kind == "Procedure"
                for ref in (r.model.basedOn or [])}
    candidates = [(r, w) for r, w in candidates if r not in done_for]
    for resource in requests:
        if resource.model is None:
            _report(out, resource)
    out.elements["procedure"] = f"{out.label}: Procedure or ServiceRequest"
    if len(candidates) > 1:
        out.problem(", ".join(r.label for r, _ in candidates),
                    "two candidate procedures for this patient; docgen makes one document per "
                    "procedure: send one, or mark the other entered-in-error")
        return
    if not candidates:
        if unknown:
            out.problem("; ".join(unknown), "no code docgen's fhir/codes.yaml knows as vertebroplasty "
                        "or kyphoplasty (add the site's code there)")
        else:
            out.problem(out.elements["procedure"], "none for this patient (needed: the planned or "
                        "done vertebroplasty or kyphoplasty)")
        return
    request, word = candidates[0]
    model, label = request.model, request.label
    out.request_reference = request.reference
    out.elements["procedure"] = f"{label}.code"
    out.record["procedure"] = word
    _levels(out, request, codes)
    _indication(out, bundle, request, codes)
    _clinician(out, bundle, request)
    if request.kind == "Procedure":
        when = model.performedDateTime or (model.performedPeriod.start if model.performedPeriod else None)
        out.elements["procedure_date"] = f"{label}.performed[x]"
    else:
        when = model.occurrenceDateTime or (model.occurrencePeriod.start if model.occurrencePeriod else None)
        out.elements["procedure_date"] = f"{label}.occurrence[x]"
    if when is not None:
        out.record["procedure_date"] = _as_text(when)


def _levels(out: PatientRecord, request: Resource, codes: Codes) -> None:
    out.elements["levels"] = f"{request.label}.bodySite"
    levels = []
    for i, site in enumerate(request.model.bodySite or []):
        pairs = _codings(site)
        words = codes.words("levels", pairs)
        text = (site.text or "").strip().upper().replace(" ", "")
        if not pairs and text:
            words = [text]  # an uncoded site written as a level; records.parse_case judges it
        if len(words) != 1:
            out.problem(f"{request.label}.bodySite[{i}]", f"{_codes_text(pairs)}: not one vertebra "
                        "in docgen's fhir/codes.yaml (C1-C7, T1-T12, L1-L5)")
            continue
        levels.append(words[0])
    if levels:
        out.record["levels"] = ";".join(levels)


def _indication(out: PatientRecord, bundle: Bundle, request: Resource, codes: Codes) -> None:
    out.elements["indication"] = f"{request.label}.reasonCode"
    reasons = [(f"{request.label}.reasonCode[{i}]", c) for i, c in enumerate(request.model.reasonCode or [])]
    for i, ref in enumerate(request.model.reasonReference or []):
        target = bundle.resolve(ref.reference)
        if target is not None and target.model is not None and getattr(target.model, "code", None):
            reasons.append((f"{request.label}.reasonReference[{i}] -> {target.label}.code", target.model.code))
    found: list[str] = []
    for _where, concept in reasons:
        found += [w for w in codes.words("indications", _codings(concept)) if w not in found]
    if len(found) > 1:
        out.problem(out.elements["indication"], f"the reasons name {len(found)} indications "
                    f"({', '.join(found)}); docgen needs one")
    elif found:
        out.record["indication"] = found[0]
    elif reasons:
        # The indication changes the benefits and rules printed: never guess it from text.
        out.problem("; ".join(w for w, _ in reasons), "no code docgen's fhir/codes.yaml knows as an "
                    "indication (add the site's code under indications:)")


def _clinician(out: PatientRecord, bundle: Bundle, request: Resource) -> None:
    model, label = request.model, request.label
    people = [(f"{label}.performer[{i}]", getattr(p, "actor", p)) for i, p in enumerate(model.performer or [])]
    if request.kind == "ServiceRequest" and model.requester is not None:
        people.append((f"{label}.requester", model.requester))
    for element, reference in people:
        name = _person_name(bundle, reference)
        if name:
            out.elements["clinician"] = element
            out.record["clinician"] = name
            _job_title(out, bundle, reference)
            return
    out.elements["clinician"] = f"{label}.performer"


def _job_title(out: PatientRecord, bundle: Bundle, reference: Any) -> None:
    """The clinician's job title from the PractitionerRole they act in: its code's text or display.

    A Practitioner alone carries no job title: the field stays absent and the form leaves a
    line to write it on. Several role codes are all the clinician's roles: all are printed.
    """
    role = bundle.resolve(getattr(reference, "reference", None))
    if role is None or role.kind != "PractitionerRole" or role.model is None:
        return
    out.elements["clinician_job_title"] = f"{role.label}.code"
    titles = []
    for concept in role.model.code or []:
        words = (concept.text or "").strip() or next(
            (c.display.strip() for c in concept.coding or [] if c.display and c.display.strip()), "")
        if words and words not in titles:
            titles.append(words)
    if titles:
        out.record["clinician_job_title"] = "; ".join(titles)


def _person_name(bundle: Bundle, reference: Any) -> str | None:
    target = bundle.resolve(getattr(reference, "reference", None))
    if target is not None and target.kind == "PractitionerRole" and target.model is not None:
        practitioner = target.model.practitioner
        target = bundle.resolve(practitioner.reference) if practitioner else None
        reference = practitioner or reference
    if target is not None and target.kind == "Practitioner" and target.model is not None:
        names = target.model.name or []
        name = next((n for n in names if n.use == "official"), names[0] if names else None)
        if name is not None:
            if name.text:
                return name.text
            parts = [*(name.prefix or []), *(name.given or []), name.family or ""]
            return " ".join(p for p in parts if p) or None
    return getattr(reference, "display", None)


# --- comorbidities ---------------------------------------------------------------------

def _comorbidities(out: PatientRecord, bundle: Bundle, mine: list[Resource], codes: Codes) -> None:
    found: list[str] = []
    for resource in mine:
        model = resource.model
        if model is None:
            if resource.kind in ("Condition", "MedicationStatement", "MedicationRequest"):
                _report(out, resource)  # a broken one might have been COPD: never drop it silently
            continue
        if resource.kind == "Condition":
            clinical = _codings(model.clinicalStatus)
            verified = _codings(model.verificationStatus)
            if not all(codes.counts("Condition.clinicalStatus", c) for _s, c in clinical[:1]):
                continue
            if not all(codes.counts("Condition.verificationStatus", c) for _s, c in verified[:1]):
                continue
            pairs = _codings(model.code)
        elif resource.kind in ("MedicationStatement", "MedicationRequest"):
            if not codes.counts(f"{resource.kind}.status", model.status):
                continue
            pairs = _codings(model.medicationCodeableConcept)
            if model.medicationReference is not None:
                pairs += _medication_codings(out, bundle, resource, model.medicationReference.reference)
        else:
            continue
        found += [w for w in codes.words("comorbidities", pairs) if w not in found]
    out.elements["comorbidities"] = f"{out.label}: Condition, MedicationStatement, MedicationRequest"
    if found:
        out.record["comorbidities"] = ";".join(found)


def _medication_codings(out: PatientRecord, bundle: Bundle, resource: Resource,
                        reference: str | None) -> list[tuple[str | None, str | None]]:
    """The codes of the Medication a statement or request names: contained ("#id") or in the Bundle."""
    if reference and reference.startswith("#"):
        for contained in resource.model.contained or []:
            if contained.id == reference[1:] and contained.get_resource_type() == "Medication":
                return _codings(contained.code)
        return []
    medication = bundle.resolve(reference)
    if medication is None:
        return []
    if medication.model is None:
        _report(out, medication)
        return []
    return _codings(medication.model.code)
