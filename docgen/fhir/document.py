"""An R4 DocumentReference for a PDF docgen wrote, checked with the library's model before use."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import output
from ..content.settings import Site
from .codes import Codes

SUFFIX = ".documentreference.json"


def document_reference(pdf: bytes, *, document: str, document_id: str, mrn: str, title: str,
                       when: datetime, site: Site, codes: Codes,
                       patient_reference: str | None = None, request_reference: str | None = None,
                       pdf_url: str | None = None) -> dict[str, Any]:
    """The DocumentReference as FHIR JSON (a dict), validated with fhir.resources' R4 model.

    ``when`` is the caller's choice of time (it must carry its time zone: FHIR's
    instant does); ``pdf_url`` puts a link in the attachment instead of the PDF itself.
    """
    if when.tzinfo is None:
        raise ValueError("when must carry a time zone (FHIR instant)")
    if patient_reference:
        subject: dict[str, Any] = {"reference": patient_reference}
    else:  # a YAML or CSV record: name the patient by MRN, as the record system knows them
        identifier = {"value": mrn}
        if site.fhir.get("mrn_system"):
            identifier["system"] = site.fhir["mrn_system"]
        subject = {"identifier": identifier}
    author: dict[str, Any] = {"display": site.hospital}
    if site.fhir.get("organization"):
        author["reference"] = site.fhir["organization"]
    attachment: dict[str, Any] = {
        "contentType": "application/pdf",
        "size": len(pdf),
        # FHIR: "The calculated hash of the data using SHA-1. Represented using base64."
        "hash": base64.b64encode(hashlib.sha1(pdf, usedforsecurity=False).digest()).decode("ascii"),
        "title": title,
        "creation": when.isoformat(),
    }
    if pdf_url:
        attachment["url"] = pdf_url
    else:
        attachment["data"] = base64.b64encode(pdf).decode("ascii")
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "masterIdentifier": {"value": document_id},
        "status": "current",
        "docStatus": "final",
        "type": {"coding": [{"system": c.system, "code": c.code, "display": c.display}
                            for c in codes.document_types.get(document, ())], "text": title},
        "subject": subject,
        "date": when.isoformat(),
        "author": [author],
        "description": title,
        "content": [{"attachment": attachment}],
    }
    if request_reference:
        resource["context"] = {"related": [{"reference": request_reference}]}
    _check(resource)
    return resource


def _check(resource: dict[str, Any]) -> None:
    from fhir.resources.R4B.documentreference import DocumentReference

    DocumentReference.model_validate(resource)  # a defect here must never reach a record system


def write(resource: dict[str, Any], pdf_path: Path, *, force: bool) -> Path:
    """Write it beside its PDF, atomically, in the PDF's own (output) folder."""
    path = pdf_path.with_name(pdf_path.name.removesuffix(".pdf") + SUFFIX)
    text = json.dumps(resource, ensure_ascii=False, indent=2) + "\n"
    output.write_atomic(path, text.encode("utf-8"), force=force)
    return path
