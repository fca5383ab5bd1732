"""The declared schema of risks/*.yaml: the JSON Schema accepts the shipped files; problems carry file and field."""

import json
import re

import jsonschema
import pytest
import yaml

from docgen import resources
from docgen.content.catalogue import INDEX_FILE, RULES_FILE, _Loader, load_catalogue
from docgen.errors import CatalogueError
from docgen.schemas import SCHEMAS as REGISTRY


def kind(name: str) -> str:
    return {INDEX_FILE: "catalogue", RULES_FILE: "rules"}.get(name, "risk")


@pytest.fixture
def schemas(run, tmp_path):
    result = run("schema", "--out", tmp_path / "schemas")
    assert result.exit_code == 0, result.output
    written = {p.split("/")[-1] for p in result.output.split()}
    assert written == {f"{name}.schema.json" for name in REGISTRY}
    return {name: json.loads((tmp_path / "schemas" / f"{name}.schema.json").read_text()) for name in REGISTRY}


def schema_errors(schema: dict, text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(yaml.load(text, Loader=_Loader))]  # noqa: S506 - a SafeLoader


def test_exported_schema_validates_every_shipped_file(schemas):
    files = sorted(resources.default_risks().glob("*.yaml"))
    assert len(files) >= 8
    for path in files:
        assert schema_errors(schemas[kind(path.name)], path.read_text(encoding="utf-8")) == [], path.name


def test_exported_schema_catches_a_typo_and_a_wrong_type(schemas):
    text = (resources.default_risks() / "bleeding.yaml").read_text(encoding="utf-8")
    broken = text.replace("if_it_happens:", "if_it_hapens:").replace("order: 1", "order: first")
    errors = " ".join(schema_errors(schemas["risk"], broken))
    assert "if_it_hapens" in errors and "if_it_happens" in errors  # unknown key, and the one now missing
    assert "order: 'first' is not of type 'integer'" in errors


def edit(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def problems(folder) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(folder)
    lines = [str(p) for p in caught.value.problems]
    assert all("\n" not in line for line in lines)
    return [line.removeprefix(f"{folder}/") for line in lines]


def test_every_problem_is_collected_with_file_and_field(risks_copy):
    edit(risks_copy / "rules.yaml", "levels_at_least: 3", "levels_at_least: three")
    edit(risks_copy / "rules.yaml", "benefit: benefit_tumour", "benefit: benefit_tumor\n    colour: red")
    edit(risks_copy / "bleeding.yaml", "status: approved", "status: aproved")
    edit(risks_copy / "bleeding.yaml", "order: 1", "order: true")
    edit(risks_copy / "catalogue.yaml", "band_source: ec_bands", "band_source: ec_band")
    found = problems(risks_copy)
    assert "rules.yaml: rules[2].when.levels_at_least: expected a whole number" in found
    assert "rules.yaml: rules[6].benefit: 'benefit_tumor' is not a statement in catalogue.yaml" in found
    assert any(line.startswith("rules.yaml: rules[6].colour: unknown key (known: id, why, when,")
               for line in found)
    assert "bleeding.yaml: status: unknown 'aproved' (known: 'draft', 'approved' or 'retired')" in found
    assert "bleeding.yaml: order: expected a whole number" in found
    assert "catalogue.yaml: band_source: expected a source id listed under sources" in found
    assert len(found) == 6, found


@pytest.mark.parametrize("date", ["2026-02-30", "2026-11-23 10:30:00", "23/11/2026"])
def test_an_impossible_or_unwritten_date_is_one_line(risks_copy, date):
    edit(risks_copy / "infection.yaml", "approved_on: 2026-11-23", f"approved_on: {date}")
    assert problems(risks_copy) == [f"infection.yaml: approved_on: '{date}' is not a date written YYYY-MM-DD"]


def test_unknown_key_in_a_risk_file_is_refused(risks_copy):
    edit(risks_copy / "infection.yaml", "explanation:", "explaination:")
    found = problems(risks_copy)
    assert "infection.yaml: explanation: missing text" in found
    assert any(line.startswith("infection.yaml: explaination: unknown key (known: ") for line in found)


def test_a_translation_without_document_control_is_named(risks_copy):
    edit(risks_copy / "catalogue.yaml", "languages: [en, es]", "languages: [en, es, fr]")
    found = problems(risks_copy)
    assert ("catalogue.yaml: translations.fr: missing (document control of the catalogue's text "
            "in this language)") in found
    assert "bleeding.yaml: title.fr: missing text" in found


def test_vertebrae_and_procedures_come_from_the_catalogue(run, patient, tmp_path, risks_copy):
    record = patient(levels="S1", procedure_date=None)
    refused = run("risks", "--patient", record)
    assert refused.exit_code == 1
    assert "levels: item 1 not a vertebra (C1-C7, T1-T12, L1-L5)" in refused.output
    edit(risks_copy / "catalogue.yaml", "L1, L2, L3, L4, L5]", "L1, L2, L3, L4, L5, S1]")
    assert "level_names.S1: missing" in run("risks", "--patient", record, "--risks", risks_copy).output
    edit(risks_copy / "catalogue.yaml", "level_names:\n",
         'level_names:\n  S1:\n    en: "the top bone of the sacrum"\n    es: "el hueso más alto del sacro"\n')
    accepted = run("risks", "--patient", record, "--risks", risks_copy)
    assert accepted.exit_code == 0, accepted.output
    assert "levels S1" in accepted.output

    edit(risks_copy / "catalogue.yaml", "C1, C2,", "C2,")
    assert run("risks", "--patient", patient(levels="C1"), "--risks", risks_copy).exit_code == 1
    listed = run("risks", "--procedure", "fusion", "--risks", risks_copy)
    assert listed.exit_code == 2
    assert "'fusion' is not one of vertebroplasty, kyphoplasty" in listed.output


def test_consent_v2_keys_are_checked_with_file_and_field(risks_copy):
    rules = risks_copy / "rules.yaml"
    rules.write_text(re.sub(r"    overridden:\n(      .*\n)+", "", rules.read_text(), count=1))
    edit(rules, "sources: [liao2018]", "sources: [liao2019]")
    edit(rules, "rules: [osteoporosis-benefit, tumour-benefit]", "rules: [osteoporosis-benefit]")
    edit(risks_copy / "catalogue.yaml", "benefit_osteoporosis: [hulme2006,", "benefit_osteoporosis: [hulme2007,")
    found = problems(risks_copy)
    assert "rules.yaml: rules[2].overridden: missing: what the patient reads when the team goes ahead anyway" in found
    assert any(line.startswith("rules.yaml: rules[7].sources: unknown source 'liao2019'") for line in found)
    assert ("catalogue.yaml: statement_sources.benefit_osteoporosis: 'hulme2007' is not listed under sources"
            in found)
    assert "rules.yaml: contradictions[2].rules: expected two rule ids, [a, b]" in found
    assert len(found) == 4, found
