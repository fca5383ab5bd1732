"""The risk catalogue: load and validate risks/*.yaml into plain, frozen objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser with PyYAML's safe constructor: the same data, read 7x faster (28 -> 4 ms
# for the shipped catalogue, paid by every command and every batch worker at start).
try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader

from ..errors import CatalogueError, Problem, one_line
from ..input.records import DOCUMENTS, PROCEDURES, Vocabulary
from .control import Control, parse_control

Text = Mapping[str, str]  # language code -> text

INDEX_FILE = "catalogue.yaml"
RULES_FILE = "rules.yaml"
CONDITIONS = ("document", "procedure", "indication", "comorbidities_any", "levels_at_least", "age_under")
SECTIONS = ("procedure", "benefits", "before", "aftercare_medicines")
SIGNATURES = ("parental_responsibility",)
SOURCE_LANGUAGE = "en"  # the catalogue is written in English; other languages are translations
UNKNOWN_BAND = "not_known"  # no published rate: said in words, never as an invented number


@dataclass(frozen=True)
class Likelihood:
    """How often a risk happens: a band in words, 'about COUNT in OUT_OF', and where that comes from.

    ``out_of`` is None where no published rate exists; the band then says so in words.
    """

    band: str
    count: int
    out_of: int | None
    source: str


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


@dataclass(frozen=True)
class Catalogue:
    folder: Path
    control: Control
    languages: tuple[str, ...]
    indications: Mapping[str, Text]
    comorbidities: Mapping[str, Text]
    procedures: Mapping[str, Mapping[str, Text]]
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

    @property
    def version(self) -> str:
        return self.control.version

    @property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary(
            indications=tuple(self.indications),
            comorbidities=tuple(self.comorbidities),
            languages=self.languages,
        )


class _Checker:
    """Collects every problem in the catalogue with its file and field, then fails once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = ("en",)

    def problem(self, file: str, name: str, reason: str) -> None:
        self.problems.append(Problem(str(self.folder / file), name, reason))

    def load(self, file: str) -> dict[str, Any]:
        path = self.folder / file
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
        except FileNotFoundError:
            self.problem(file, "", "missing")
            return {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            self.problem(file, "", f"cannot be read: {one_line(exc)}")
            return {}
        if not isinstance(data, dict):
            self.problem(file, "", "expected field: value pairs")
            return {}
        return data

    def text(self, file: str, name: str, value: Any) -> Text:
        if not isinstance(value, dict):
            self.problem(file, name, "missing text (a mapping of language to text)")
            return {}
        for lang in self.languages:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.problem(file, f"{name}.{lang}", "missing text")
        for lang in value:
            if lang not in self.languages:
                self.problem(file, f"{name}.{lang}", f"language not listed under languages in {INDEX_FILE}")
        return {str(k): " ".join(str(v).split()) for k, v in value.items()}

    def texts(self, file: str, name: str, value: Any) -> dict[str, Text]:
        if not isinstance(value, dict) or not value:
            self.problem(file, name, "missing")
            return {}
        return {str(k): self.text(file, f"{name}.{k}", v) for k, v in value.items()}

    def words(self, file: str, name: str, value: Any, known) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(file, name, "expected a list of words")
            return ()
        for v in value:
            if v not in known:
                self.problem(file, name, f"unknown {v!r} (known: {', '.join(known)})")
        return tuple(value)

    def control(self, file: str, data: Mapping[str, Any]) -> Control | None:
        return parse_control(data, f"risks/{file}", lambda n, r: self.problem(file, n, r))


def load_catalogue(folder: Path) -> Catalogue:
    """Load and validate the whole catalogue; CatalogueError lists every problem found."""
    check = _Checker(folder)
    if not folder.is_dir():
        raise CatalogueError(f"{folder}: risk catalogue folder not found")
    index = check.load(INDEX_FILE)
    langs = index.get("languages")
    if isinstance(langs, list) and langs and all(isinstance(x, str) for x in langs):
        check.languages = tuple(langs)
    else:
        check.problem(INDEX_FILE, "languages", "expected a list of language codes")
    control = check.control(INDEX_FILE, index)
    translation_controls = _translation_controls(check, index.get("translations"))
    indications = check.texts(INDEX_FILE, "indications", index.get("indications"))
    comorbidities = check.texts(INDEX_FILE, "comorbidities", index.get("comorbidities"))
    bands = check.texts(INDEX_FILE, "bands", index.get("bands"))
    statements = check.texts(INDEX_FILE, "statements", index.get("statements"))
    procedures: dict[str, dict[str, Text]] = {}
    raw_procedures = index.get("procedures") or {}
    for proc in PROCEDURES:
        procedures[proc] = check.texts(INDEX_FILE, f"procedures.{proc}", raw_procedures.get(proc))
    sources = index.get("sources")
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        check.problem(INDEX_FILE, "sources", "expected a mapping of source id to citation")
        sources = {}

    band_source = index.get("band_source")
    if band_source not in sources:
        check.problem(INDEX_FILE, "band_source", "expected a source id listed under sources")
    risks = []
    controls = [control]
    for path in sorted(folder.glob("*.yaml")):
        if path.name in (INDEX_FILE, RULES_FILE):
            continue
        risk, risk_control = _risk(check, path.name, bands, sources)
        controls.append(risk_control)
        if risk is not None:
            risks.append(risk)
    if not risks:
        check.problem("", "", "no risk files (*.yaml) found")
    risk_ids = tuple(r.id for r in risks)
    if len(set(risk_ids)) != len(risk_ids):
        check.problem("", "id", "two risk files share an id")

    rules_data = check.load(RULES_FILE)
    controls.append(check.control(RULES_FILE, rules_data))
    rules = _rules(check, rules_data.get("rules"), risk_ids, tuple(indications),
                   tuple(comorbidities), tuple(statements))
    for name in ("benefit_default",):
        if name not in statements:
            check.problem(INDEX_FILE, f"statements.{name}", "missing")

    if check.problems:
        lines = [str(p) for p in check.problems]
        raise CatalogueError("; ".join(lines), tuple(check.problems))
    return Catalogue(
        folder=folder,
        control=control,
        languages=check.languages,
        indications=indications,
        comorbidities=comorbidities,
        procedures=procedures,
        bands=bands,
        statements=statements,
        sources=dict(sources),
        band_source=sources[band_source],
        risks=tuple(sorted(risks, key=lambda r: r.order)),
        rules=rules,
        controls=tuple(controls),
        translation_controls=translation_controls,
    )


def _translation_controls(check: _Checker, raw: Any) -> dict[str, Control]:
    """`translations: {es: {version, status, approved_by, ...}}` in the index: one per language."""
    raw = raw if isinstance(raw, dict) else {}
    controls = {}
    for lang in check.languages:
        if lang == SOURCE_LANGUAGE:
            continue
        entry = raw.get(lang)
        if not isinstance(entry, dict):
            check.problem(INDEX_FILE, f"translations.{lang}",
                          "missing (document control of the catalogue's text in this language)")
            continue
        control = parse_control(entry, f"risks/{INDEX_FILE} ({lang} translation)",
                                lambda n, r, lang=lang: check.problem(
                                    INDEX_FILE, f"translations.{lang}.{n}", r))
        if control is not None:
            controls[lang] = control
    for lang in raw:
        if lang not in check.languages or lang == SOURCE_LANGUAGE:
            check.problem(INDEX_FILE, f"translations.{lang}",
                          "not a translated language listed under languages")
    return controls


def _risk(check: _Checker, file: str, bands, sources) -> tuple[Risk | None, Control | None]:
    data = check.load(file)
    before = len(check.problems)
    control = check.control(file, data)
    risk_id = data.get("id")
    if not isinstance(risk_id, str) or risk_id != Path(file).stem.replace("_", "-"):
        check.problem(file, "id", "missing or not the file's name (with - for _)")
    order = data.get("order")
    if not isinstance(order, int):
        check.problem(file, "order", "expected a whole number (its place in the table)")
    title = check.text(file, "title", data.get("title"))
    explanation = check.text(file, "explanation", data.get("explanation"))
    if_it_happens = check.text(file, "if_it_happens", data.get("if_it_happens"))
    likelihood: dict[str, Likelihood] = {}
    raw = data.get("likelihood")
    if not isinstance(raw, dict) or not raw:
        check.problem(file, "likelihood", "expected one entry per procedure it applies to")
        raw = {}
    for proc, entry in raw.items():
        where = f"likelihood.{proc}"
        if proc not in PROCEDURES:
            check.problem(file, where, f"unknown procedure (known: {', '.join(PROCEDURES)})")
            continue
        if not isinstance(entry, dict):
            check.problem(file, where, "expected band, one_in and source")
            continue
        band, source = entry.get("band"), entry.get("source")
        count, out_of = entry.get("count", 1), entry.get("out_of")
        if band not in bands:
            check.problem(file, f"{where}.band", f"unknown band {band!r} (known: {', '.join(bands)})")
        if band == UNKNOWN_BAND:
            if out_of is not None:
                check.problem(file, f"{where}.out_of", f"a number cannot go with band {UNKNOWN_BAND}")
        elif not (_whole(count) and _whole(out_of) and count < out_of):
            check.problem(file, f"{where}.out_of", "expected whole numbers count < out_of ('about 1 in 100')")
        if source not in sources:
            check.problem(file, f"{where}.source", f"{source!r} is not listed under sources in {INDEX_FILE}")
        likelihood[proc] = Likelihood(band=band, count=count, out_of=out_of, source=source)
    if len(check.problems) > before:
        return None, control
    return Risk(risk_id, order, title, explanation, if_it_happens, likelihood, control), control


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _mapping(check: _Checker, where: str, value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        check.problem(RULES_FILE, where, "expected a mapping")
        return {}
    return dict(value)


def _rules(check: _Checker, raw: Any, risk_ids, indications, comorbidities, statements):
    if not isinstance(raw, list):
        check.problem(RULES_FILE, "rules", "expected a list of rules")
        return ()
    known = {
        "document": DOCUMENTS,
        "procedure": PROCEDURES,
        "indication": indications,
        "comorbidities_any": comorbidities,
    }
    rules = []
    ids = set()
    for i, entry in enumerate(raw):
        where = f"rules[{i}]"
        if not isinstance(entry, dict):
            check.problem(RULES_FILE, where, "expected a mapping")
            continue
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or rule_id in ids:
            check.problem(RULES_FILE, f"{where}.id", "missing or repeated")
        ids.add(rule_id)
        where = f"rules.{rule_id}"
        allowed = {"id", "why", "when", "emphasise", "risk_notes", "sentences", "benefit",
                   "signatures", "refuse"}
        for key in entry:
            if key not in allowed:
                check.problem(RULES_FILE, f"{where}.{key}", f"unknown key (known: {', '.join(sorted(allowed))})")
        when = entry.get("when")
        if not isinstance(when, dict) or not when:
            check.problem(RULES_FILE, f"{where}.when", "expected at least one condition")
            when = {}
        for key, value in when.items():
            if key not in CONDITIONS:
                check.problem(RULES_FILE, f"{where}.when.{key}", f"unknown condition (known: {', '.join(CONDITIONS)})")
            elif key in known:
                check.words(RULES_FILE, f"{where}.when.{key}", value, known[key])
            elif not isinstance(value, int) or isinstance(value, bool):
                check.problem(RULES_FILE, f"{where}.when.{key}", "expected a whole number")
        notes = _mapping(check, f"{where}.risk_notes", entry.get("risk_notes"))
        sentences = _mapping(check, f"{where}.sentences", entry.get("sentences"))
        for risk_id in notes:
            if risk_id not in risk_ids:
                check.problem(RULES_FILE, f"{where}.risk_notes.{risk_id}", "unknown risk")
        for section, items in sentences.items():
            if section not in SECTIONS:
                check.problem(RULES_FILE, f"{where}.sentences.{section}",
                              f"unknown section (known: {', '.join(SECTIONS)})")
            if not isinstance(items, list):
                check.problem(RULES_FILE, f"{where}.sentences.{section}", "expected a list of texts")
                sentences[section] = []
        benefit = entry.get("benefit")
        if benefit is not None and benefit not in statements:
            check.problem(RULES_FILE, f"{where}.benefit", f"{benefit!r} is not a statement in {INDEX_FILE}")
        rules.append(Rule(
            id=rule_id,
            why=check.text(RULES_FILE, f"{where}.why", entry.get("why")),
            when=dict(when),
            emphasise=check.words(RULES_FILE, f"{where}.emphasise", entry.get("emphasise"), risk_ids),
            risk_notes={k: check.text(RULES_FILE, f"{where}.risk_notes.{k}", v) for k, v in notes.items()},
            sentences={
                section: tuple(check.text(RULES_FILE, f"{where}.sentences.{section}", t) for t in items)
                for section, items in sentences.items()
            },
            benefit=benefit,
            signatures=check.words(RULES_FILE, f"{where}.signatures", entry.get("signatures"), SIGNATURES),
            refuse=check.text(RULES_FILE, f"{where}.refuse", entry["refuse"]) if "refuse" in entry else None,
        ))
    return tuple(rules)
