"""The clinician's page: one patient's form, the risks and rules that apply, and the two documents."""

from __future__ import annotations

import io
import json

from babel import Locale, UnknownLocaleError
from flask import Blueprint, g, render_template, request, send_file
from werkzeug.utils import secure_filename

from ..content import listing
from ..content.tailoring import tailor
from ..errors import DocgenError, RecordError, SafetyRefusal
from ..generate import Built
from ..input.records import DOCUMENTS, FIELDS, PROCEDURES, VERTEBRAE, Case, parse_case
from ..layout import fonts
from ..register import issued_from_built
from .app import library

blueprint = Blueprint("clinician", __name__)

LIST_FIELDS = ("levels", "comorbidities")  # checkboxes: one value per box ticked
# Fields this page lays out itself; any other record field gets a plain text box, so a field
# added to the record is on the form at once.
LAID_OUT = ("mrn", "given_name", "family_name", "date_of_birth", "procedure", "levels", "indication",
            "comorbidities", "clinician", "procedure_date", "language", "large_print", "override")
SPINE = (("Neck (cervical)", "C"), ("Chest (thoracic)", "T"), ("Lower back (lumbar)", "L"))
OVERRIDE_HINT = "with a reason in the override field"
LABELS = {"mrn": "MRN", "given_name": "Given name", "family_name": "Family name", "date_of_birth": "Date of birth",
          "procedure": "Procedure", "levels": "Levels", "indication": "Indication",
          "comorbidities": "Other health factors", "clinician": "Responsible clinician",
          "procedure_date": "Date of the procedure", "language": "Language", "large_print": "Large print",
          "override": "Override reason"}


def raw_record(form) -> dict:
    """The posted form as a record: what a YAML file would hold, blanks left out."""
    raw: dict = {}
    for name in FIELDS:
        if name in LIST_FIELDS:
            values = [v for v in form.getlist(name) if v.strip()]
            if values:
                raw[name] = values
        elif (value := form.get(name, "")).strip():
            raw[name] = value
    return raw


@blueprint.route("/", methods=["GET", "POST"])
def form():
    action = request.form.get("action", "")
    raw = raw_record(request.form) if request.method == "POST" else {}
    view = _view(raw)
    if request.method == "POST":
        if action in DOCUMENTS:
            result = _make(action, raw, view)
            if result is not None:
                return result
        else:
            _check(raw, view)
    return _page(view)


def _view(raw: dict) -> dict:
    return {"raw": raw, "errors": {}, "messages": [], "refusals": [], "tailoring": None, "case": None}


def _page(view: dict):
    status = 422 if view["errors"] or view["messages"] else 200
    return render_template("clinician.html", **view, **_choices()), status


def _choices() -> dict:
    catalogue = library().catalogue
    spine = [(label, [(v, v) for v in VERTEBRAE if v[0] == letter]) for label, letter in SPINE]
    return {
        "procedures": [(p, catalogue.procedures[p]["name"]["en"]) for p in PROCEDURES],
        "indications": [(k, v["en"]) for k, v in catalogue.indications.items()],
        "comorbidity_choices": [(k, v["en"]) for k, v in catalogue.comorbidities.items()],
        "languages": [(code, _language_name(code)) for code in catalogue.languages],
        "labels": LABELS,
        "spine": spine,
        "other_fields": [f for f in FIELDS if f not in LAID_OUT],
        "likelihood_words": lambda item: listing.likelihood_words(catalogue, item),
    }


def _language_name(code: str) -> str:
    try:
        return f"{Locale.parse(code).get_display_name('en')} ({code})"
    except (ValueError, UnknownLocaleError):
        return code


def _check(raw: dict, view: dict) -> Case | None:
    """Validate as `docgen risks --patient` does (no clinician or date needed) and show the rules."""
    catalogue = library().catalogue
    try:
        case = parse_case(raw, document="", source="form", vocabulary=catalogue.vocabulary,
                          can_draw=fonts.undrawable, today=_today())
    except RecordError as exc:
        _field_errors(exc, view)
        return None
    except DocgenError as exc:  # content not approved: the day to judge on comes from its generator
        view["messages"] = [exc.message]
        return None
    _show_rules(case, view)
    return case


def _today():
    """The day docgen's clock gives the generators (site time zone, or as pinned)."""
    return library().generator("consent").today


def _show_rules(case: Case, view: dict) -> None:
    tailoring = tailor(library().catalogue, case, "consent", _today())
    view["case"] = case
    view["tailoring"] = tailoring
    view["refusals"] = [rule.refuse["en"] for rule in tailoring.refusals]
    view["refused"] = bool(tailoring.refusals)  # offer the override field before a print is tried


def _make(document: str, raw: dict, view: dict):
    lib = library()
    try:
        generator = lib.generator(document)
        case = generator.case(raw, source="form")
        built = generator.build(case)
    except SafetyRefusal as exc:
        _show_rules(generator.case(raw, source="form"), view)
        view["messages"] = [p.reason for p in exc.how(OVERRIDE_HINT)]
        view["refused"] = True
        return None
    except RecordError as exc:
        _field_errors(exc, view)
        return None
    except DocgenError as exc:  # content not approved, a template that fails: the whole page says so
        view["messages"] = [exc.message]
        return None
    lib.register.record(issued_from_built(built), user=g.user, origin="page")
    return send_file(io.BytesIO(built.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=built.file_name, max_age=0)


def _field_errors(exc: RecordError, view: dict) -> None:
    for problem in exc.problems:
        names = [n.strip() for n in problem.field.split(",") if n.strip() in FIELDS]
        if not names:
            view["messages"].append(problem.reason)
        for name in names:
            view["errors"].setdefault(name, []).append(problem.reason)


# --- a FHIR Bundle from the record system -------------------------------------------------

FHIR_ACTIONS = ("fill", "pdf", "documentreference")


@blueprint.route("/fhir", methods=["POST"])
def from_bundle():
    """One patient from an uploaded FHIR R4 Bundle, read as `docgen consent --fhir` reads it.

    "fill" puts the record on the form (to check it, or to override a safety rule there);
    "pdf" prints the document; "documentreference" returns the same PDF filed as an R4
    DocumentReference (the builder --fhir-out uses), the PDF itself in its attachment.
    """
    view = _view({})
    action = request.form.get("action", "")
    document = request.form.get("fhir_document", "")
    upload = request.files.get("bundle")
    if action not in FHIR_ACTIONS or (action != "fill" and document not in DOCUMENTS):
        view["messages"] = [f"choose a document ({', '.join(DOCUMENTS)}) and what to do with the Bundle"]
        return _page(view)
    if upload is None or not upload.filename:
        view["messages"] = ["choose the FHIR Bundle (.json) to upload"]
        return _page(view)
    # The name shown in messages is the upload's own, made safe; the bytes never touch the disk.
    shown_as = secure_filename(upload.filename) or "bundle.json"
    lib = library()
    from ..fhir import run

    try:
        # "fill" reads the Bundle as a consent form would; the document is chosen when printing.
        generator = lib.generator(document if document in DOCUMENTS else "consent")
        # The DocumentReference's builder first: nothing is issued that cannot be returned.
        filer = run.filer(generator, run.FhirOptions(write=True), lib.clock()) \
            if action == "documentreference" else None
        patient, case = run.one_patient(generator, upload.read(), source=shown_as,
                                        patient_id=request.form.get("fhir_patient", "").strip() or None)
        if action == "fill":
            view["raw"] = _form_values(patient.record)
            _check(view["raw"], view)
            return _page(view)
        built = run.build(generator, case, patient)
    except SafetyRefusal as exc:
        # The override reason is the clinician's, given on the form: put the record there.
        view["raw"] = _form_values(patient.record)
        _show_rules(case, view)
        view["messages"] = [str(p) for p in exc.how(OVERRIDE_HINT)]
        view["refused"] = True
        return _page(view)
    except DocgenError as exc:  # each problem one line: the file, the resource and the element
        view["messages"] = [str(p) for p in exc.problems] or [exc.message]
        view["from_bundle"] = True
        return _page(view)
    if filer is None:
        lib.register.record(issued_from_built(built), user=g.user, origin="page")
        return send_file(io.BytesIO(built.pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=built.file_name, max_age=0)
    response = _document_reference(filer, built, patient)
    lib.register.record(issued_from_built(built), user=g.user, origin="page")  # the PDF is inside it
    return response


def _document_reference(filer, built: Built, patient):
    from ..fhir import document as docref

    resource = filer.resource(built.pdf, document=built.document, document_id=built.document_id,
                              mrn=built.case.mrn, patient_reference=patient.patient_reference,
                              request_reference=patient.request_reference)
    data = (json.dumps(resource, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return send_file(io.BytesIO(data), mimetype="application/fhir+json", as_attachment=True,
                     download_name=built.file_name.removesuffix(".pdf") + docref.SUFFIX, max_age=0)


def _form_values(record: dict[str, str]) -> dict:
    """A Bundle's record as the form holds it: the list fields as lists of boxes ticked."""
    return {name: value.split(";") if name in LIST_FIELDS else value for name, value in record.items()}
