"""The FHIR code mapping (risks/fhir/codes.yaml): which coded concept means which docgen word."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..content.control import Control, parse_control
from ..errors import CatalogueError, ContentControlError, one_line
from ..input.records import DOCUMENTS, PROCEDURES, VERTEBRAE

CODES_FILE = Path("fhir") / "codes.yaml"
CATEGORIES = ("procedures", "levels", "indications", "comorbidities")


@dataclass(frozen=True)
class Code:
    """One verified code: its system URI, the code, and how the source displays it."""

    system: str
    code: str
    display: str
    groups: bool = False  # the system is hierarchical by prefix (ATC, ICD-10)

    def covers(self, system: str | None, code: str | None) -> bool:
        if system != self.system or not code:
            return False
        return code == self.code or (self.groups and code.startswith(self.code))


@dataclass(frozen=True)
class Codes:
    """Every category's words with their codes, the statuses that count, and document types."""

    path: Path
    table: Mapping[str, Mapping[str, tuple[Code, ...]]]  # category -> docgen word -> codes
    counted_status: Mapping[str, frozenset[str]]
    document_types: Mapping[str, tuple[Code, ...]]
    control: Control | None = field(default=None, compare=False)

    def words(self, category: str, codings: Iterable[tuple[str | None, str | None]]) -> list[str]:
        """The docgen words (in file order) that any of these (system, code) pairs mean."""
        pairs = list(codings)
        return [word for word, codes in self.table[category].items()
                if any(c.covers(system, code) for c in codes for system, code in pairs)]

    def counts(self, element: str, value: str | None) -> bool:
        """Whether a status counts; an absent status counts (the safe reading for a safety rule)."""
        return value is None or value in self.counted_status.get(element, frozenset({value}))


def approved_codes(risks: Path, allow_draft: bool, today: date) -> Codes:
    """The mapping, refused like any other content when it is draft, retired or past review."""
    codes = load_codes(risks)
    reason = codes.control.unfit_reason(today) if codes.control else None
    if reason and not allow_draft:
        raise ContentControlError(f"{reason}: content not approved for patients; use --allow-draft "
                                  "to print it marked DRAFT - NOT FOR CLINICAL USE")
    return codes


def load_codes(risks: Path) -> Codes:
    """Read and check the mapping file in a risks folder; every problem names file and field."""
    path = risks / CODES_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"{path}: FHIR code mapping not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: cannot be read: {one_line(exc)}") from None
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: expected field: value pairs")
    problems: list[str] = []

    def problem(where: str, reason: str) -> None:
        problems.append(f"{path}: {where}: {reason}")

    control = parse_control(data, str(path), problem)
    systems = _systems(data.get("code_systems"), problem)
    sources = data.get("sources") or {}
    if not isinstance(sources, dict):
        problem("sources", "expected source id: citation pairs")
        sources = {}
    known = {"procedures": PROCEDURES, "levels": VERTEBRAE, "indications": None, "comorbidities": None}
    table: dict[str, dict[str, tuple[Code, ...]]] = {}
    for category in CATEGORIES:
        table[category] = _category(data.get(category), category, known[category], systems,
                                    sources, problem)
    document_types = _category(data.get("document_types"), "document_types", DOCUMENTS, systems,
                               sources, problem)
    counted = data.get("counted_status") or {}
    if not isinstance(counted, dict) or not all(isinstance(v, list) for v in counted.values()):
        problem("counted_status", "expected element: [status, ...] pairs")
        counted = {}
    if problems:
        raise CatalogueError("; ".join(problems))
    return Codes(path, table, {str(k): frozenset(map(str, v)) for k, v in counted.items()},
                 document_types, control)


def _systems(value: Any, problem) -> dict[str, tuple[str, bool]]:
    if not isinstance(value, dict) or not value:
        problem("code_systems", "expected name: {uri: ...} pairs")
        return {}
    systems = {}
    for name, spec in value.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("uri"), str) or not spec["uri"]:
            problem(f"code_systems.{name}", "expected {uri: ..., groups: true|false}")
            continue
        systems[str(name)] = (spec["uri"], bool(spec.get("groups", False)))
    return systems


def _category(value: Any, category: str, known: tuple[str, ...] | None,
              systems: dict[str, tuple[str, bool]], sources: dict, problem) -> dict[str, tuple[Code, ...]]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problem(category, "expected word: {system: [codes]} pairs")
        return {}
    words: dict[str, tuple[Code, ...]] = {}
    for word, by_system in value.items():
        where = f"{category}.{word}"
        if known is not None and word not in known:
            problem(where, f"not a docgen word here (known: {', '.join(known)})")
            continue
        codes: list[Code] = []
        for system_name, entries in (by_system or {}).items():
            if system_name not in systems:
                problem(f"{where}.{system_name}", "not listed under code_systems")
                continue
            uri, groups = systems[system_name]
            for i, entry in enumerate(entries or []):
                at = f"{where}.{system_name}[{i}]"
                if not isinstance(entry, dict) or not str(entry.get("code", "")).strip():
                    problem(at, "expected {code: ..., display: ..., source: ...}")
                    continue
                # Every code cites where it was read: an unsourced code is refused, not trusted.
                if entry.get("source") not in sources:
                    problem(at, "source: expected a source id listed under sources")
                    continue
                codes.append(Code(uri, str(entry["code"]).strip(), str(entry.get("display", "")), groups))
        words[str(word)] = tuple(codes)
    return words
