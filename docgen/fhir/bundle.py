"""A FHIR R4 Bundle read safely: bounded, parsed, each resource checked with fhir.resources' models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputFileError, one_line
from ..input.limits import read_capped

MAX_BYTES = 20 * 1024 * 1024  # far above a real export of a day's list, far below what hurts memory
MAX_DEPTH = 64  # FHIR resources nest about 10 deep; deeper is not a record system's export
BUNDLE_TYPES = ("searchset", "collection", "transaction")
# Only the resources docgen reads are checked: an unrelated broken resource refuses no one.
READ_TYPES = ("Patient", "Procedure", "ServiceRequest", "Condition", "MedicationStatement",
              "MedicationRequest", "Medication", "Practitioner", "PractitionerRole")


@dataclass(eq=False)  # compared and hashed by identity: one entry is one resource
class Resource:
    """One entry's resource: its raw JSON, the validated model, and what is wrong with it."""

    kind: str
    label: str  # "Patient/p1", as a person searches for it in the file
    raw: dict[str, Any]
    model: Any = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (element, reason)
    full_url: str | None = None

    @property
    def reference(self) -> str:
        """How a DocumentReference points back at this resource."""
        if self.raw.get("id"):
            return f"{self.kind}/{self.raw['id']}"
        return self.full_url or self.label


class Bundle:
    """The resources of one Bundle, indexed by every way a reference may name them."""

    def __init__(self, source: str, resources: list[Resource]):
        self.source = source
        self.resources = resources
        self._by_ref: dict[str, Resource] = {}
        for resource in resources:
            if resource.raw.get("id"):
                self._by_ref[f"{resource.kind}/{resource.raw['id']}"] = resource
            if resource.full_url:
                self._by_ref[resource.full_url] = resource

    def resolve(self, reference: str | None) -> Resource | None:
        if not reference:
            return None
        if reference in self._by_ref:
            return self._by_ref[reference]
        # An absolute URL names the same resource as its last two parts (".../Patient/p1").
        parts = reference.rstrip("/").split("/")
        return self._by_ref.get("/".join(parts[-2:])) if len(parts) >= 2 else None

    def of_kind(self, *kinds: str) -> Iterator[Resource]:
        return (r for r in self.resources if r.kind in kinds)


def load_bundle(data: bytes | Path, source: str | None = None) -> Bundle:
    """Read a Bundle from a file or from bytes; InputFileError if it cannot be used at all."""
    if isinstance(data, Path):
        # The same capped read as every input file: a FIFO or device is refused, never waited on.
        source = source or str(data)
        data = read_capped(data, MAX_BYTES, "FHIR Bundle", name=source)
    source = source or "bundle"
    if len(data) > MAX_BYTES:
        raise InputFileError(f"{source}: {len(data)} bytes, more than the {MAX_BYTES} a Bundle may have")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputFileError(f"{source}: not UTF-8 text, so not FHIR JSON") from None
    except RecursionError:
        raise InputFileError(f"{source}: nested more than {MAX_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{source}: not valid JSON: {one_line(exc)}") from None
    if _depth(doc) > MAX_DEPTH:
        raise InputFileError(f"{source}: nested more than {MAX_DEPTH} levels deep")
    if not isinstance(doc, dict) or doc.get("resourceType") != "Bundle":
        kind = doc.get("resourceType") if isinstance(doc, dict) else type(doc).__name__
        raise InputFileError(f"{source}: not a FHIR Bundle (resourceType: {kind})")
    if doc.get("type") not in BUNDLE_TYPES:
        raise InputFileError(f"{source}: Bundle.type: {doc.get('type')!r} is not one docgen reads "
                             f"({', '.join(BUNDLE_TYPES)})")
    entries = doc.get("entry") or []
    if not isinstance(entries, list):
        raise InputFileError(f"{source}: Bundle.entry: expected a list")
    resources = []
    for i, entry in enumerate(entries):
        raw = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
            continue  # a transaction's DELETE or a search's OperationOutcome: nothing to read
        kind = raw["resourceType"]
        label = f"{kind}/{raw['id']}" if isinstance(raw.get("id"), str) else f"{kind} (entry {i + 1})"
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        resource = Resource(kind, label, raw, full_url=full_url)
        if kind in READ_TYPES:
            _validate(resource)
        resources.append(resource)
    return Bundle(source, resources)


def _validate(resource: Resource) -> None:
    """Check a resource against the R4 (R4B) model; keep every problem with its element path."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    try:
        resource.model = get_fhir_model_class(resource.kind).model_validate(resource.raw)
    except ValidationError as exc:
        for error in exc.errors():
            resource.problems.append((_path(error["loc"]), _reason(error)))


def _path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part).lstrip("_")
    return path


def _reason(error: dict) -> str:
    """The library's complaint in a person's words, without echoing the value (it may be a name)."""
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    kind, lowered = str(error.get("type", "")), message.lower()
    if kind.startswith("datetime_") or lowered.startswith(("datetime value", "instant value")):
        return "not a date and time"
    if kind.startswith("date_") or lowered.startswith("date value"):
        return "not a date"
    if error.get("type") == "extra_forbidden":
        return "not an element of this resource in FHIR R4"
    if error.get("type") == "missing":
        return "missing (required by FHIR R4)"
    return message.rstrip(".")


def _depth(value: Any) -> int:
    """How deeply a parsed JSON value nests, without recursion (a hostile file cannot overflow it)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest
