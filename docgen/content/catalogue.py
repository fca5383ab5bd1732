"""The risk catalogue: load and validate risks/*.yaml into plain, frozen objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

# libyaml's parser with PyYAML's safe constructor: the same data, read 7x faster (28 -> 4 ms
# for the shipped catalogue, paid by every command and every batch worker at start).
try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader

from ..errors import CatalogueError, Problem, one_line
from ..input.records import Vocabulary
from . import models
from .control import Control, from_fields
from .models import SECTIONS, SIGNATURES, UNKNOWN_BAND  # noqa: F401 - part of this module's interface


class _Loader(SafeLoader):
    """Dates stay the text written (YYYY-MM-DD is checked by the schema): an impossible date
    such as 2026-02-30 is then a problem naming its field, not an exception from PyYAML."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", SafeLoader.construct_yaml_str)


Text = Mapping[str, str]  # language code -> text

INDEX_FILE = "catalogue.yaml"
RULES_FILE = "rules.yaml"
CONDITIONS = tuple(models.Conditions.model_fields)
SOURCE_LANGUAGE = "en"  # the catalogue is written in English; other languages are translations


@dataclass(frozen=True)
class Likelihood:
    """How often a risk happens: a band in words, 'about COUNT in OUT_OF', and where that comes from.

    ``out_of`` is None where no published rate exists; the band then says so in words.
    """

    band: str
    count: int
    out_of: int | None
    source: str
    counted: Text = field(default_factory=dict)  # what was counted: per bone or person, seen or felt, when


@dataclass(frozen=True)
class Risk:
    id: str
    order: int
    title: Text
    explanation: Text
    if_it_happens: Text
    likelihood: Mapping[str, Likelihood]  # by procedure; a risk applies to the procedures listed
    control: Control


@dataclass(frozen=True)
class Advice:
    """One piece of aftercare advice and the source it comes from."""

    text: Text
    source: str


@dataclass(frozen=True)
class NeedleSites:
    """How many needles (so small cuts) each treated bone usually gets, and where that comes from."""

    fewest: int
    most: int
    source: str


@dataclass(frozen=True)
class Aftercare:
    """The aftercare sheet's advice by section (the template picks sections by name) and needle sites
    by procedure. A section a rule adds (`aftercare:` in rules.yaml) prints only when the rule fires."""

    advice: Mapping[str, tuple[Advice, ...]]
    needle_sites: Mapping[str, NeedleSites]


@dataclass(frozen=True)
class Rule:
    """A tailoring or safety rule: when every condition holds, its effects apply."""

    id: str
    why: Text
    when: Mapping[str, Any]
    emphasise: tuple[str, ...] = ()
    risk_notes: Mapping[str, Text] | None = None
    sentences: Mapping[str, tuple[Text, ...]] | None = None
    benefit: str | None = None
    signatures: tuple[str, ...] = ()
    refuse: Text | None = None
    overridden: Text | None = None  # what the patient reads when the team went ahead anyway
    sources: tuple[str, ...] = ()  # source ids the rule's sentences rest on
    aftercare: tuple[str, ...] = ()  # aftercare advice sections this rule adds


@dataclass(frozen=True)
class Catalogue:
    folder: Path
    control: Control
    languages: tuple[str, ...]
    indications: Mapping[str, Text]
    comorbidities: Mapping[str, Text]
    procedures: Mapping[str, Mapping[str, Text]]  # procedure -> name, summary
    bands: Mapping[str, Text]
    statements: Mapping[str, Text]
    sources: Mapping[str, str]
    band_source: str  # the citation for what the band words mean
    risks: tuple[Risk, ...]
    rules: tuple[Rule, ...]
    controls: tuple[Control, ...]
    # Document control of the catalogue's text in each language other than English: a
    # translation is reviewed (by a qualified medical translator) apart from the English.
    translation_controls: Mapping[str, Control] = field(default_factory=dict)
    vertebrae: tuple[str, ...] = ()  # the levels a record may name, from the skull down
    statement_sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    level_names: Mapping[str, Text] = field(default_factory=dict)  # vertebra -> words
    band_source_id: str = ""  # the source id of band_source
    contradictions: tuple[tuple[str, str, str], ...] = ()  # (rule id, rule id, why)
    aftercare: Aftercare = field(default_factory=lambda: Aftercare({}, {}))

    @property
    def rule_sections(self) -> frozenset[str]:
        """Aftercare sections that print only when a rule adds them."""
        return frozenset(name for rule in self.rules for name in rule.aftercare)

    @property
    def version(self) -> str:
        return self.control.version

    @property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary(
            indications=tuple(self.indications),
            comorbidities=tuple(self.comorbidities),
            languages=self.languages,
            procedures=tuple(self.procedures),
            vertebrae=self.vertebrae,
        )


class _Reader:
    """Reads the catalogue's files, collecting every problem with its file and field, then fails once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.problems: list[Problem] = []

    def problem(self, file: str, name: str, reason: str) -> None:
        self.problems.append(Problem(str(self.folder / file), name, reason))

    def load(self, file: str) -> dict[str, Any] | None:
        path = self.folder / file
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader
        except FileNotFoundError:
            self.problem(file, "", "missing")
            return None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            self.problem(file, "", f"cannot be read: {one_line(exc)}")
            return None
        if not isinstance(data, dict):
            self.problem(file, "", "expected field: value pairs")
            return None
        return data

    def validate(self, file: str, model: type[BaseModel], data: dict[str, Any] | None, **context: Any):
        """The file as ``model``, or None after recording each of its problems."""
        if data is None:
            return None
        try:
            return model.model_validate(data, context=context)
        except ValidationError as error:
            self.problems.extend(models.problems(error, str(self.folder / file), model))
            return None


def load_catalogue(folder: Path) -> Catalogue:
    """Load and validate the whole catalogue; CatalogueError lists every problem found."""
    if not folder.is_dir():
        raise CatalogueError(f"{folder}: risk catalogue folder not found")
    reader = _Reader(folder)
    raw_index = reader.load(INDEX_FILE)
    languages = _languages(raw_index)
    known = _known(raw_index)
    index = reader.validate(INDEX_FILE, models.CatalogueFile, raw_index, languages=languages, **known)

    risks: list[Risk] = []
    controls: list[Control | None] = [_control(index, INDEX_FILE)]
    risk_files = [p for p in sorted(folder.glob("*.yaml")) if p.name not in (INDEX_FILE, RULES_FILE)]
    if not risk_files:
        reader.problem("", "", "no risk files (*.yaml) found")
    for path in risk_files:
        risk_id = path.stem.replace("_", "-")
        data = reader.validate(path.name, models.RiskFile, reader.load(path.name),
                               languages=languages, risk_id=risk_id, **known)
        controls.append(_control(data, path.name))
        if data is not None:
            risks.append(_risk(data, controls[-1]))

    rules_file = reader.validate(RULES_FILE, models.RulesFile, reader.load(RULES_FILE), languages=languages,
                                 risk_ids=tuple(p.stem.replace("_", "-") for p in risk_files), **known)
    controls.append(_control(rules_file, RULES_FILE))

    if reader.problems or index is None or rules_file is None:
        raise CatalogueError("; ".join(map(str, reader.problems)), tuple(reader.problems))
    return Catalogue(
        folder=folder,
        control=controls[0],
        languages=tuple(index.languages),
        indications=dict(index.indications),
        comorbidities=dict(index.comorbidities),
        procedures={name: {"name": texts.name, "summary": texts.summary}
                    for name, texts in index.procedures.items()},
        bands=dict(index.bands),
        statements=dict(index.statements),
        sources=dict(index.sources),
        band_source=index.sources[index.band_source],
        band_source_id=index.band_source,
        risks=tuple(sorted(risks, key=lambda r: r.order)),
        rules=tuple(_rule(rule) for rule in rules_file.rules),
        controls=tuple(controls),
        translation_controls={lang: from_fields(fields, f"risks/{INDEX_FILE} ({lang} translation)")
                              for lang, fields in index.translations.items()},
        vertebrae=tuple(index.vertebrae),
        statement_sources={name: tuple(ids) for name, ids in index.statement_sources.items()},
        level_names=dict(index.level_names),
        contradictions=tuple((pair.rules[0], pair.rules[1], pair.why) for pair in rules_file.contradictions),
        aftercare=_aftercare(index.aftercare),
    )


def _languages(raw_index: dict[str, Any] | None) -> tuple[str, ...]:
    """The languages every text must have; English alone while catalogue.yaml's list is wrong
    (its own problem is reported when the whole file is validated)."""
    try:
        return tuple(models.Languages.model_validate(raw_index or {}).languages)
    except ValidationError:
        return (SOURCE_LANGUAGE,)


def _aftercare(data: models.AftercareBlock) -> Aftercare:
    return Aftercare(
        advice={name: tuple(Advice(item.text, item.source) for item in items) for name, items in data.advice.items()},
        needle_sites={proc: NeedleSites(entry.fewest, entry.most, entry.source)
                      for proc, entry in data.needle_sites.items()},
    )


def _known(raw_index: dict[str, Any] | None) -> dict[str, tuple[str, ...] | None]:
    """The words and ids the other files may use, as catalogue.yaml lists them (None: not
    checked, where the index has no such mapping; the index's own problems say why)."""
    raw_index = raw_index or {}
    names = ("procedures", "indications", "comorbidities", "bands", "sources", "statements")
    return {name: tuple(map(str, raw_index[name])) if isinstance(raw_index.get(name), dict) else None
            for name in names} | {"aftercare_sections": _aftercare_sections(raw_index)}


def _aftercare_sections(raw_index: dict[str, Any]) -> tuple[str, ...] | None:
    """The aftercare advice sections a rule may add (None: not checked, the index is wrong there)."""
    aftercare = raw_index.get("aftercare")
    advice = aftercare.get("advice") if isinstance(aftercare, dict) else None
    return tuple(map(str, advice)) if isinstance(advice, dict) else None


def _control(data: models.ControlFields | None, file: str) -> Control | None:
    return from_fields(data, f"risks/{file}") if data is not None else None


def _risk(data: models.RiskFile, control: Control) -> Risk:
    return Risk(
        id=data.id,
        order=data.order,
        title=data.title,
        explanation=data.explanation,
        if_it_happens=data.if_it_happens,
        likelihood={proc: Likelihood(band=entry.band, count=entry.count, out_of=entry.out_of, source=entry.source,
                                          counted=entry.counted)
                    for proc, entry in data.likelihood.items()},
        control=control,
    )


def _rule(data: models.Rule) -> Rule:
    return Rule(
        id=data.id,
        why=data.why,
        when=data.when.model_dump(exclude_none=True),
        emphasise=tuple(data.emphasise or ()),
        risk_notes=dict(data.risk_notes or {}),
        sentences={section: tuple(texts) for section, texts in (data.sentences or {}).items()},
        benefit=data.benefit,
        signatures=tuple(data.signatures or ()),
        refuse=data.refuse,
        overridden=data.overridden,
        sources=tuple(data.sources or ()),
        aftercare=tuple(data.aftercare or ()),
    )
