"""Column mapping for patient lists: which docgen field comes from which header, or from --set."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..errors import ColumnError, InputFileError
from .limits import MAX_MAP_BYTES, read_capped
from .loading import load_mapping
from .records import FIELDS, REQUIRED, REQUIRED_FOR
from .schema import BATCH_FIELDS, ColumnMap
from .tables import Table

# A clinician's reason to override a safety rule belongs to one patient, never to a whole list.
NOT_SETTABLE = ("override", "mrn", "given_name", "family_name", "date_of_birth")

@dataclass(frozen=True)
class Columns:
    """Where each docgen field comes from: a column of the list, a --set value, or both."""

    index: dict[str, int]  # field -> cell position in a row
    header: dict[str, str]  # field -> the column's header as the file writes it
    settings: dict[str, str]  # field -> value for rows whose cell is blank
    width: int
    warnings: tuple[str, ...] = ()  # ignored columns that look like a misspelt field

    def raw(self, cells: list[str]) -> dict[str, str]:
        raw = {name: cells[i] if i < len(cells) else "" for name, i in self.index.items()}
        for name, value in self.settings.items():
            if not raw.get(name, "").strip():
                raw[name] = value
        return raw

    def label(self, name: str) -> str:
        """A field as a person finds it in their own spreadsheet."""
        header = self.header.get(name)
        if header is not None and header != name:
            return f"{name} (column {header})"
        if header is None and name in self.settings:
            return f"{name} (--set)"
        return name


def load_column_map(path: Path | None) -> dict[str, str]:
    """Read MAP.yaml: docgen field -> header in the list.

    Headers keep their text (``mrn: 0012`` names the column "0012"). Two fields mapped to one
    column are refused: one cell would silently fill both.
    """
    if path is None:
        return {}
    try:
        data = load_mapping(read_capped(path, MAX_MAP_BYTES, "YAML column map"), path, "yaml")
    except InputFileError as exc:
        reason = exc.message.removeprefix(f"{path}: ")
        if "no such file" in reason:
            raise ColumnError(exc.message) from None
        raise ColumnError(f"{path}: not a readable YAML column map: {reason}") from None
    known = FIELDS + BATCH_FIELDS
    try:
        columns = ColumnMap.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        name = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            raise ColumnError(f"{path}: {name}: not a docgen field (known: {', '.join(known)})") from None
        raise ColumnError(f"{path}: {name}: give the column header as text") from None
    mapping = {name: header for name, header in columns.model_dump().items() if header is not None}
    fields_of: dict[str, list[str]] = {}
    for name, header in mapping.items():
        fields_of.setdefault(header.casefold(), []).append(name)
    for names in fields_of.values():
        if len(names) > 1:
            raise ColumnError(f"{path}: {' and '.join(names)} are mapped to the same column; "
                              "each column can fill only one field")
    return mapping


def parse_settings(items: Iterable[str]) -> dict[str, str]:
    """--set FIELD=VALUE options into a mapping, refusing fields a whole list must not share."""
    settings: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ColumnError(f"--set {item!r}: expected FIELD=VALUE, "
                              "e.g. --set procedure=kyphoplasty")
        if name not in FIELDS:
            raise ColumnError(f"--set {name}: not a docgen field (known: {', '.join(FIELDS)})")
        if name in NOT_SETTABLE:
            raise ColumnError(f"--set {name}: must come from each row, "
                              "never one value for the whole list")
        settings[name] = value.strip()
    return settings


def resolve_columns(table: Table, document: str, column_map: dict[str, str],
                    settings: dict[str, str]) -> Columns:
    """Match fields to columns by name (never by position); every required field must be found."""
    positions: dict[str, int] = {}
    for i, cell in enumerate(table.header):
        key = cell.strip().casefold()
        if not key:
            continue  # a column without a header carries nothing we could name
        if key in positions:
            # Column numbers, not the header's text: a list without a header row has a patient in row 1.
            raise ColumnError(f"{table.path}: row 1: columns {positions[key] + 1} and {i + 1} "
                              "have the same header")
        positions[key] = i
    index: dict[str, int] = {}
    header: dict[str, str] = {}
    for name in FIELDS + BATCH_FIELDS:
        wanted = column_map.get(name, name)
        i = positions.get(wanted.casefold())
        if i is None:
            if name in column_map:
                raise ColumnError(f"{table.path}: has no column {wanted!r} (column map: {name})")
            continue
        if i in index.values():
            other = next(n for n, j in index.items() if j == i)
            raise ColumnError(f"{table.path}: {other} and {name} would both be read from column {i + 1}; "
                              "map each field to its own column")
        index[name] = i
        header[name] = table.header[i].strip()
    needed = REQUIRED + REQUIRED_FOR.get(document, ())
    missing = [n for n in needed if n not in index and not settings.get(n)]
    if missing:
        raise ColumnError(
            f"{table.path}: no column for {', '.join(missing)} (name the columns so, map them "
            "with --columns MAP.yaml, or give one value for every row with --set FIELD=VALUE)"
        )
    used = set(index.values())
    unfound = [n for n in FIELDS if n not in index]
    warnings = []
    for name, wanted in column_map.items():
        own = positions.get(name.casefold())
        # A column named for the field, passed over for another one: say which one is used.
        if own is not None and own not in used and wanted.casefold() != name.casefold():
            warnings.append(f"{table.path}: column {name!r} is ignored; the column map takes "
                            f"{name} from column {header[name]!r}")
    for i, cell in enumerate(table.header):
        key = "_".join(cell.strip().casefold().replace("-", " ").split())
        if i in used or not key:
            continue
        # An ignored "comorbidity" column would silently drop COPD from a consent form: say so.
        if near := difflib.get_close_matches(key, unfound, n=1, cutoff=0.75):
            warnings.append(f"{table.path}: column {cell.strip()!r} is ignored; "
                            f"did you mean {near[0]!r}?")
    return Columns(index, header, settings, len(table.header), tuple(warnings))
