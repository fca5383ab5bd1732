"""Every declared schema that `docgen schema` exports as JSON Schema: one line per model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .content import models
from .input.schema import ColumnMap, PatientRecord, SiteSettings

# name -> model; the file written is NAME.schema.json. Add a model here and it is exported.
SCHEMAS: dict[str, type[BaseModel]] = {
    "record": PatientRecord,
    "column-map": ColumnMap,
    "site": SiteSettings,
    "risk": models.RiskFile,  # risks/<risk>.yaml, one per risk
    "catalogue": models.CatalogueFile,  # risks/catalogue.yaml
    "rules": models.RulesFile,  # risks/rules.yaml
    "control": models.ControlFields,  # the document-control fields every content file carries
}

FILE_SUFFIX = ".schema.json"


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one declared model, as an editor reads it."""
    schema = SCHEMAS[name].model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text(name: str) -> str:
    return json.dumps(json_schema(name), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    """Write NAME.schema.json for every model into folder; return the paths, in name order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in sorted(SCHEMAS):
        path = folder / f"{name}{FILE_SUFFIX}"
        path.write_text(schema_text(name), encoding="utf-8")
        paths.append(path)
    return paths
