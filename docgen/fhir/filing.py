"""Filing documents back: a DocumentReference beside each PDF, and optionally POSTed to a server."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..content.settings import Site
from ..errors import DocgenError, one_line
from . import document as docref
from . import send
from .codes import Codes


@dataclass
class Filer:
    """What a run does with each PDF it made: write its DocumentReference, and send it if asked."""

    site: Site
    codes: Codes
    when: datetime  # the time the documents are dated, chosen by the caller
    force: bool = False
    server: str | None = None
    pdf_url: str | None = None  # a base URL where the PDFs will be served, instead of embedding them

    def __post_init__(self) -> None:
        if self.server is not None:
            self.server = send.check_server(self.server)

    def resource(self, pdf: bytes, *, document: str, document_id: str, mrn: str,
                 patient_reference: str | None = None, request_reference: str | None = None,
                 pdf_url: str | None = None) -> dict:
        """The DocumentReference for one PDF, as FHIR JSON: what is written, sent, or downloaded."""
        return docref.document_reference(
            pdf, document=document, document_id=document_id, mrn=mrn,
            title=f"docgen {document} {document_id}", when=self.when, site=self.site, codes=self.codes,
            patient_reference=patient_reference, request_reference=request_reference, pdf_url=pdf_url)

    def file(self, pdf_path: Path, *, document: str, document_id: str, mrn: str,
             patient_reference: str | None = None, request_reference: str | None = None) -> str | None:
        """Write (and send) the DocumentReference for one PDF; None if all went well, else why not.

        The PDF is already complete on disk: nothing here can remove or change it.
        """
        try:
            pdf = pdf_path.read_bytes()
            url = None
            if self.pdf_url:
                url = f"{self.pdf_url.rstrip('/')}/{urllib.parse.quote(pdf_path.name)}"
            resource = self.resource(pdf, document=document, document_id=document_id, mrn=mrn,
                                     patient_reference=patient_reference, request_reference=request_reference,
                                     pdf_url=url)
            docref.write(resource, pdf_path, force=self.force)
        except DocgenError as exc:
            return f"{pdf_path.name}: DocumentReference not written: {exc.message}"
        except (OSError, ValueError) as exc:
            return f"{pdf_path.name}: DocumentReference not written: {one_line(exc)}"
        if self.server is None:
            return None
        failure = send.post(self.server, resource)
        if failure:
            return f"{pdf_path.name}: not filed on {self.server}: {failure} (the PDF and its " \
                   "DocumentReference are kept; send them again later)"
        return None
