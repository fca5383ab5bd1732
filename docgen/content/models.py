"""Declared schemas of the catalogue's files (risks/*.yaml), and their errors as docgen's one-line problems.

Each file is a pydantic model that refuses unknown keys, so that a typo in a hand-edited
file is named rather than ignored. What one file cannot know alone (the languages, bands,
sources and words listed in catalogue.yaml, the risk ids) comes in as validation
context, so that every problem, of any kind, is reported the same way with its path.
Exported as JSON Schema by `docgen schema` (see docgen/schemas.py).

Which model holds which file: catalogue.yaml -> CatalogueFile, rules.yaml -> RulesFile,
every other risks/*.yaml -> RiskFile; the document-control fields of all three (and of
each translation under `translations:`) -> ControlFields.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictInt,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..errors import Problem

STATUSES = ("draft", "approved", "retired")
DOCUMENTS = ("consent", "aftercare")  # the documents docgen has templates for
# where templates print rule sentences
SECTIONS = ("procedure", "benefits", "risks", "extra_procedures", "before", "aftercare_medicines")
SIGNATURES = ("minor",)  # the signature blocks a rule can add; who signs follows the site's jurisdiction
UNKNOWN_BAND = "not_known"  # no published rate: said in words, never as an invented number
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LANGUAGE = r"^[a-z]{2,3}$"


@dataclass(frozen=True)
class Missing:
    """What to say when a field is absent (marker carried in a field's annotation)."""

    reason: str


def _problems(*items: tuple[tuple[str | int, ...], str]) -> PydanticCustomError:
    """One error standing for several problems, each at a path below the failing value."""
    return PydanticCustomError("docgen_problems", "{problems}", {"problems": list(items)})


def _context(info: ValidationInfo, name: str):
    """A value the catalogue's index provides; None when validating a file alone (no cross-checks)."""
    return (info.context or {}).get(name)


def _unknown(what: str, value: Any, known: Iterable[str]) -> PydanticCustomError:
    return PydanticCustomError("docgen_unknown", "unknown {what} {value} (known: {known})",
                               {"what": what, "value": repr(value), "known": ", ".join(known)})


# ---- value types ------------------------------------------------------------------------------


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PydanticCustomError("docgen_date", "{value} is not a date written YYYY-MM-DD", {"value": repr(value)})


IsoDate = Annotated[date, PlainValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})]


def _text_mapping(value: Any) -> Any:
    if not isinstance(value, dict):
        raise PydanticCustomError("docgen_text", "missing text (a mapping of language to text)")
    return value


def _text_languages(value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
    """Every listed language has a text and no other language appears; spaces as one."""
    text = {str(k): " ".join(str(v).split()) for k, v in value.items()}
    languages = _context(info, "languages")
    if languages is not None:
        wrong = [((lang,), "missing text") for lang in languages if not text.get(lang)]
        wrong += [((lang,), "language not listed under languages in catalogue.yaml")
                  for lang in text if lang not in languages]
        if wrong:
            raise _problems(*wrong)
    return text


Text = Annotated[
    dict[str, str],
    BeforeValidator(_text_mapping),
    AfterValidator(_text_languages),
    Missing("missing text"),
    WithJsonSchema({
        "type": "object", "description": "one text per language listed in catalogue.yaml (en, es, ...)",
        "propertyNames": {"pattern": _LANGUAGE}, "minProperties": 1,
        "additionalProperties": {"type": "string", "minLength": 1},
    }),
]
Version = Annotated[str, Field(min_length=1, coerce_numbers_to_str=True)]
Word = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ControlFields(_Model):
    """Document control: who approved this content, when, and when it must be reviewed again."""

    version: Annotated[Version, Missing("missing (document control)")]
    status: Annotated[Literal["draft", "approved", "retired"], Missing("missing (document control)")]
    approved_by: Annotated[str, Field(min_length=1), Missing("missing (document control)")]
    approved_on: Annotated[IsoDate, Missing("missing (document control)")]
    review_due: Annotated[IsoDate, Missing("missing (document control)")]


# ---- risks/<risk>.yaml -------------------------------------------------------------------------


class LikelihoodEntry(_Model):
    """How often a risk happens after one procedure: a band in words, 'about COUNT in OUT_OF', a source."""

    band: Word
    count: Annotated[StrictInt, Field(ge=1)] = 1
    out_of: Annotated[StrictInt, Field(ge=1)] | None = None
    source: Word
    counted: Annotated[Text, Field(description="what the figure counts: per bone or per person, seen on a scan "
                                               "or causing symptoms, and when")]

    @field_validator("band")
    @classmethod
    def _known_band(cls, value: str, info: ValidationInfo) -> str:
        bands = _context(info, "bands")
        if bands is not None and value not in bands:
            raise _unknown("band", value, bands)
        return value

    @field_validator("source")
    @classmethod
    def _listed_source(cls, value: str, info: ValidationInfo) -> str:
        sources = _context(info, "sources")
        if sources is not None and value not in sources:
            raise PydanticCustomError("docgen_source", "{value} is not listed under sources in catalogue.yaml",
                                      {"value": repr(value)})
        return value

    @model_validator(mode="after")
    def _number_fits_band(self) -> LikelihoodEntry:
        if self.band == UNKNOWN_BAND:
            if self.out_of is not None:
                raise _problems((("out_of",), f"a number cannot go with band {UNKNOWN_BAND}"))
        elif self.out_of is None or not self.count < self.out_of:
            raise _problems((("out_of",), "expected whole numbers count < out_of ('about 1 in 100')"))
        return self


class RiskFile(ControlFields):
    """One risk: its texts in every language, and its likelihood for each procedure it applies to."""

    id: Annotated[Word, Field(description="the file's name with - for _ (bleeding.yaml: bleeding)")]
    order: Annotated[StrictInt, Field(description="its place in the table of risks")]
    title: Text
    explanation: Text
    if_it_happens: Text
    likelihood: Annotated[dict[str, LikelihoodEntry], Field(min_length=1),
                          Missing("expected one entry per procedure it applies to")]

    @field_validator("id")
    @classmethod
    def _named_as_its_file(cls, value: str, info: ValidationInfo) -> str:
        expected = _context(info, "risk_id")
        if expected is not None and value != expected:
            raise PydanticCustomError("docgen_id", "missing or not the file's name (with - for _)")
        return value

    @field_validator("likelihood")
    @classmethod
    def _known_procedures(cls, value: dict[str, LikelihoodEntry], info: ValidationInfo):
        procedures = _context(info, "procedures")
        if procedures is not None:
            wrong = [((proc,), f"unknown procedure (known: {', '.join(procedures)})")
                     for proc in value if proc not in procedures]
            if wrong:
                raise _problems(*wrong)
        return value


# ---- risks/rules.yaml --------------------------------------------------------------------------


def _words(what: str, context_name: str | None = None, known: tuple[str, ...] = ()):
    """A list of words, each one the catalogue (or docgen) knows."""

    def check(value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        allowed = _context(info, context_name) if context_name else known
        if value is not None and allowed is not None:
            wrong = [((), _unknown(what, v, allowed).message()) for v in value if v not in allowed]
            if wrong:
                raise _problems(*wrong)
        return value

    return AfterValidator(check)


Whole = Annotated[StrictInt, Field(ge=0)]


class Conditions(_Model):
    """When a rule applies: every condition given must hold (lists match any of their words)."""

    document: Annotated[list[Literal["consent", "aftercare"]] | None, Field(min_length=1)] = None
    procedure: Annotated[list[str] | None, Field(min_length=1), _words("procedure", "procedures")] = None
    indication: Annotated[list[str] | None, Field(min_length=1), _words("indication", "indications")] = None
    comorbidities_any: Annotated[list[str] | None, Field(min_length=1),
                                 _words("comorbidity", "comorbidities")] = None
    levels_at_least: Annotated[Whole | None, Field(description="number of levels treated at once")] = None
    levels_at_most: Annotated[Whole | None, Field(description="number of levels treated at once")] = None
    age_under: Annotated[Whole | None, Field(description="age in years on the procedure date")] = None
    age_at_least: Annotated[Whole | None, Field(description="age in years on the procedure date")] = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Conditions:
        if not self.model_dump(exclude_none=True):
            raise PydanticCustomError("docgen_when", "expected at least one condition")
        return self


class Rule(_Model):
    """A tailoring or safety rule: when every condition holds, its effects apply."""

    id: Word
    why: Annotated[Text, Field(description="for clinicians: why the rule exists, with its seed or source")]
    when: Conditions
    emphasise: Annotated[list[str] | None, _words("risk", "risk_ids")] = None
    risk_notes: dict[str, Text] | None = None
    sentences: dict[Literal["procedure", "benefits", "risks", "extra_procedures", "before",
                            "aftercare_medicines"], list[Text]] | None = None
    benefit: str | None = Field(default=None, description="a statement named in catalogue.yaml")
    signatures: list[Literal["minor"]] | None = None
    refuse: Annotated[Text | None, Field(description="refused unless a clinician overrides, with this reason")] = None
    overridden: Annotated[Text | None, Field(
        description="what the patient reads when the team went ahead anyway (required with refuse)")] = None
    sources: Annotated[list[str] | None, _words("source", "sources"),
                       Field(description="source ids (catalogue.yaml) the rule's sentences rest on")] = None

    @model_validator(mode="after")
    def _overridden_with_refuse(self) -> Rule:
        if self.refuse is not None and self.overridden is None:
            raise _problems((("overridden",), "missing: what the patient reads when the team goes ahead anyway"))
        return self
    aftercare: Annotated[list[str] | None, _words("aftercare section", "aftercare_sections"), Field(
        description="sections of aftercare advice (in catalogue.yaml) this rule adds")] = None

    @field_validator("risk_notes")
    @classmethod
    def _known_risks(cls, value: dict[str, Any] | None, info: ValidationInfo):
        risk_ids = _context(info, "risk_ids")
        if value and risk_ids is not None:
            wrong = [((risk_id,), "unknown risk") for risk_id in value if risk_id not in risk_ids]
            if wrong:
                raise _problems(*wrong)
        return value

    @field_validator("benefit")
    @classmethod
    def _known_statement(cls, value: str | None, info: ValidationInfo):
        statements = _context(info, "statements")
        if value is not None and statements is not None and value not in statements:
            raise PydanticCustomError("docgen_statement", "{value} is not a statement in catalogue.yaml",
                                      {"value": repr(value)})
        return value


class Contradiction(_Model):
    """Two rules whose texts contradict each other: they must never apply together."""

    rules: Annotated[list[Word], Field(description="the two rule ids",
                                       json_schema_extra={"minItems": 2, "maxItems": 2})]
    why: Annotated[str, Field(min_length=1)]

    @field_validator("rules")
    @classmethod
    def _a_pair(cls, value: list[str]) -> list[str]:
        if len(value) != 2:
            raise PydanticCustomError("docgen_pair", "expected two rule ids, [a, b]")
        return value


class RulesFile(ControlFields):
    """risks/rules.yaml: document control, the list of rules and the pairs that must never apply together."""

    rules: Annotated[list[Rule], Missing("expected a list of rules")]
    contradictions: list[Contradiction] = []

    @model_validator(mode="after")
    def _known_pairs(self) -> RulesFile:
        ids = {rule.id for rule in self.rules}
        wrong = [(("contradictions", i, "rules"), f"unknown rule {rule_id!r}")
                 for i, pair in enumerate(self.contradictions) for rule_id in pair.rules if rule_id not in ids]
        if wrong:
            raise _problems(*wrong)
        return self

    @model_validator(mode="after")
    def _unique_ids(self) -> RulesFile:
        seen: set[str] = set()
        repeated = []
        for i, rule in enumerate(self.rules):
            if rule.id in seen:
                repeated.append((("rules", i, "id"), "missing or repeated"))
            seen.add(rule.id)
        if repeated:
            raise _problems(*repeated)
        return self


# ---- risks/catalogue.yaml ----------------------------------------------------------------------


class ProcedureTexts(_Model):
    """What a procedure is called and how it is done, in words a patient reads."""

    name: Text
    summary: Text


Texts = Annotated[dict[str, Text], Field(min_length=1), Missing("missing")]


def _listed_source(value: str, info: ValidationInfo) -> str:
    """A source id listed under `sources:` (read from the index itself, or given as context)."""
    sources = _context(info, "sources")
    if sources is not None and value not in sources:
        raise PydanticCustomError("docgen_source", "{value} is not listed under sources",
                                  {"value": repr(value)})
    return value


SourceId = Annotated[Word, AfterValidator(_listed_source)]


class AdviceItem(_Model):
    """One piece of aftercare advice: its text in every language and the source it comes from."""

    model_config = ConfigDict(extra="allow", frozen=True)  # the languages are the other keys
    __pydantic_extra__: dict[Annotated[str, Field(pattern=_LANGUAGE)], Annotated[str, Field(min_length=1)]]
    source: SourceId

    @model_validator(mode="after")
    def _texts(self, info: ValidationInfo) -> AdviceItem:
        _text_languages(self.text, info)
        return self

    @property
    def text(self) -> dict[str, str]:
        return {str(k): " ".join(str(v).split()) for k, v in (self.model_extra or {}).items()}


class NeedleSitesEntry(_Model):
    """How many needles (so small cuts) each treated bone usually gets, and the source of that."""

    fewest: Annotated[StrictInt, Field(ge=1)]
    most: Annotated[StrictInt, Field(ge=1)]
    source: SourceId

    @model_validator(mode="after")
    def _ordered(self) -> NeedleSitesEntry:
        if self.fewest > self.most:
            raise _problems((("most",), "expected whole numbers fewest <= most (needles per bone)"))
        return self


class AftercareBlock(_Model):
    """`aftercare:` in catalogue.yaml: advice by section (templates pick sections by name) and
    needle sites by procedure."""

    needle_sites: Annotated[dict[str, NeedleSitesEntry], Field(min_length=1),
                            Missing("expected fewest, most and source for each procedure")]
    advice: Annotated[dict[str, Annotated[list[AdviceItem], Field(min_length=1)]], Field(min_length=1),
                      Missing("expected sections, each a list of advice")]

    @field_validator("needle_sites")
    @classmethod
    def _each_procedure(cls, value: dict[str, NeedleSitesEntry], info: ValidationInfo):
        procedures = _context(info, "procedures")
        if procedures is not None:
            wrong = [((proc,), "missing (fewest, most and source)") for proc in procedures if proc not in value]
            wrong += [((proc,), f"unknown procedure (known: {', '.join(procedures)})")
                      for proc in value if proc not in procedures]
            if wrong:
                raise _problems(*wrong)
        return value


class CatalogueFile(ControlFields):
    """risks/catalogue.yaml: languages, the words a record may use, procedure texts, bands, sources.

    Fields are checked in the order declared; a check that needs an earlier field reads it
    from ``info.data`` (absent when that field was itself wrong).
    """

    languages: Annotated[list[Annotated[str, Field(pattern=_LANGUAGE)]], Field(min_length=1),
                         Missing("expected a list of language codes")]
    translations: Annotated[dict[str, ControlFields], Field(
        description="document control of the text in each language other than English")] = {}
    vertebrae: Annotated[list[Word], Field(min_length=1, description="levels a record may name, skull down")]
    level_names: Annotated[Texts, Field(description="each vertebra in words a patient knows")]
    indications: Texts
    comorbidities: Texts
    procedures: Annotated[dict[str, ProcedureTexts], Field(min_length=1)]
    sources: Annotated[dict[str, str], Field(min_length=1), Missing("expected a mapping of source id to citation")]
    band_source: Annotated[Word, Field(description="the source id of what the band words mean")]
    bands: Texts
    statements: Texts
    statement_sources: Annotated[dict[str, list[Word]], Field(
        description="statement -> the source ids its figures come from")] = {}
    aftercare: Annotated[AftercareBlock, Missing("missing (the aftercare advice and its sources)")]

    @field_validator("translations")
    @classmethod
    def _one_per_translated_language(cls, value: dict[str, ControlFields], info: ValidationInfo):
        languages = info.data.get("languages")
        if languages is None:
            return value
        wrong = [((lang,), "missing (document control of the catalogue's text in this language)")
                 for lang in languages[1:] if lang not in value]
        wrong += [((lang,), "not a translated language listed under languages")
                  for lang in value if lang not in languages[1:]]
        if wrong:
            raise _problems(*wrong)
        return value

    @field_validator("vertebrae")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise PydanticCustomError("docgen_repeated", "a vertebra is listed twice")
        return value

    @field_validator("level_names")
    @classmethod
    def _every_vertebra(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Each listed vertebra has its words; a name for one not listed is harmless (never printed)."""
        vertebrae = info.data.get("vertebrae")
        if vertebrae is None:
            return value
        wrong = [((v,), "missing") for v in vertebrae if v not in value]
        if wrong:
            raise _problems(*wrong)
        return value

    @field_validator("statement_sources")
    @classmethod
    def _known_statements_and_sources(cls, value: dict[str, list[str]], info: ValidationInfo):
        statements, sources = info.data.get("statements"), info.data.get("sources")
        wrong = [((name,), "not a statement") for name in value if statements is not None and name not in statements]
        wrong += [((name,), f"{source!r} is not listed under sources")
                  for name, ids in value.items() for source in ids if sources is not None and source not in sources]
        if wrong:
            raise _problems(*wrong)
        return value

    @field_validator("band_source")
    @classmethod
    def _listed(cls, value: str, info: ValidationInfo) -> str:
        if "sources" in info.data and value not in info.data["sources"]:
            raise PydanticCustomError("docgen_source", "expected a source id listed under sources")
        return value

    @field_validator("statements")
    @classmethod
    def _default_benefit(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "benefit_default" not in value:
            raise _problems((("benefit_default",), "missing"))
        return value


class Languages(BaseModel):
    """The first look at catalogue.yaml: the languages every other text must have."""

    languages: list[Annotated[str, Field(pattern=_LANGUAGE)]] = Field(min_length=1)


# ---- errors as problems ------------------------------------------------------------------------


def problems(error: ValidationError, source: str, model: type[BaseModel]) -> Iterator[Problem]:
    """Each pydantic error as docgen's Problem: the file, the field's path, a reason a person can act on."""
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if part != "[key]")
        if item["type"] == "docgen_problems":
            for suffix, reason in item["ctx"]["problems"]:
                yield Problem(source, path((*loc, *suffix)), reason)
        else:
            yield Problem(source, path(loc), _reason(item, model, loc))


def path(loc: Iterable[str | int]) -> str:
    """('rules', 3, 'when', 'age_under') -> 'rules[3].when.age_under'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_TYPE_REASONS = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text",
    "list_type": "expected a list",
    "dict_type": "expected field: value pairs",
    "model_type": "expected field: value pairs",
    "model_attributes_type": "expected field: value pairs",
    "too_short": "expected at least one entry",
    "string_too_short": "missing",
}


def _reason(item: dict, model: type[BaseModel], loc: tuple) -> str:
    kind, ctx = item["type"], item.get("ctx") or {}
    holder, name = _holder(model, loc)
    field = holder.model_fields.get(name) if holder is not None and isinstance(name, str) else None
    if kind == "extra_forbidden" and holder is not None:
        return f"unknown key (known: {', '.join(holder.model_fields)})"
    if kind in ("missing", "string_too_short") or (item.get("input") is None and kind.endswith("_type")):
        marker = next((m for m in (field.metadata if field else ()) if isinstance(m, Missing)), None)
        return marker.reason if marker else "missing"
    if kind == "literal_error":
        return f"unknown {item['input']!r} (known: {ctx.get('expected', '')})"
    if kind in ("greater_than_equal", "greater_than"):
        return f"expected a whole number of at least {ctx.get('ge', ctx.get('gt'))}"
    if kind == "string_pattern_mismatch":
        return f"{item['input']!r} is not a language code such as en or es"
    return _TYPE_REASONS.get(kind) or item["msg"].removeprefix("Value error, ")


def _holder(model: type[BaseModel], loc: tuple) -> tuple[type[BaseModel] | None, str | int | None]:
    """The model whose field (or unknown key) the last part of ``loc`` names."""
    current: Any = model
    holder: type[BaseModel] | None = None
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            holder = current
            if not isinstance(part, str) or part not in current.model_fields:
                return holder, part
            current = current.model_fields[part].annotation
        else:
            args = [a for a in get_args(current) if a is not type(None)]
            current = args[-1] if args else None
            holder = None
    return holder, loc[-1] if loc else None


def _unwrap(annotation: Any) -> Any:
    """X from Annotated[X, ...] and from X | None."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation
