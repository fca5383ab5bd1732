"""catalogue: the shipped risks load with cited numbers; a broken file is named with its field."""


import pytest

from docgen import resources
from docgen.content.catalogue import load_catalogue
from docgen.errors import CatalogueError

RISKS = {"bleeding", "infection", "new-fracture", "cement-leakage", "cement-embolism",
         "respiratory-compromise", "nerve-pain", "allergic-reaction", "radiation", "sedation"}


def test_shipped_catalogue_has_every_material_risk_for_both_procedures():
    catalogue = load_catalogue(resources.default_risks())
    assert {r.id for r in catalogue.risks} == RISKS
    for risk in catalogue.risks:
        assert set(risk.likelihood) == {"vertebroplasty", "kyphoplasty"}
        for likelihood in risk.likelihood.values():
            assert likelihood.source in catalogue.sources  # every number has a source


def test_every_number_matches_its_band():
    # European Commission bands: the word must agree with the number printed beside it.
    limits = {"very_common": (1 / 10, 1), "common": (1 / 100, 1 / 10),
              "uncommon": (1 / 1000, 1 / 100), "rare": (1 / 10000, 1 / 1000),
              "very_rare": (0, 1 / 10000)}
    for risk in load_catalogue(resources.default_risks()).risks:
        for item in risk.likelihood.values():
            if item.out_of is None:
                assert item.band == "not_known"
                continue
            low, high = limits[item.band]
            assert low <= item.count / item.out_of < high, risk.id


def test_broken_yaml_names_the_file(risks_copy):
    (risks_copy / "bleeding.yaml").write_text("title: [unclosed")
    with pytest.raises(CatalogueError, match=r"bleeding\.yaml: cannot be read"):
        load_catalogue(risks_copy)


def test_missing_field_names_file_and_field(risks_copy):
    path = risks_copy / "infection.yaml"
    path.write_text(path.read_text().replace("if_it_happens:", "if_it_happened:"))
    with pytest.raises(CatalogueError, match=r"infection\.yaml: if_it_happens: missing text"):
        load_catalogue(risks_copy)


def test_number_without_a_listed_source_is_refused(risks_copy):
    path = risks_copy / "bleeding.yaml"
    path.write_text(path.read_text().replace("source: wardlaw2009", "source: nobody2020", 1))
    with pytest.raises(CatalogueError, match=r"likelihood\.vertebroplasty\.source"):
        load_catalogue(risks_copy)


def test_unknown_band_and_bad_number(risks_copy):
    path = risks_copy / "infection.yaml"
    text = path.read_text().replace("band: uncommon\n    count: 1\n    out_of: 300",
                                    "band: often\n    count: 1\n    out_of: 0", 1)
    path.write_text(text)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(risks_copy)
    fields = {p.field for p in caught.value.problems}
    assert {"likelihood.vertebroplasty.band", "likelihood.vertebroplasty.out_of"} <= fields


def test_missing_control_field_is_refused(risks_copy):
    path = risks_copy / "bleeding.yaml"
    path.write_text(path.read_text().replace("review_due:", "reviewed:"))
    with pytest.raises(CatalogueError, match=r"bleeding\.yaml: review_due: missing"):
        load_catalogue(risks_copy)


def test_rule_with_unknown_condition_or_risk_is_refused(risks_copy):
    path = risks_copy / "rules.yaml"
    text = path.read_text().replace("levels_at_least: 3", "levels_over: 3", 1)
    text = text.replace("emphasise: [bleeding]", "emphasise: [bleding]")
    path.write_text(text)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(risks_copy)
    reasons = " ".join(p.field + " " + p.reason for p in caught.value.problems)
    assert "levels_over" in reasons and "bleding" in reasons


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogueError, match="risk catalogue folder not found"):
        load_catalogue(tmp_path / "nowhere")


def test_every_figure_says_what_was_counted_and_has_a_checkable_source():
    catalogue = load_catalogue(resources.default_risks())
    for risk in catalogue.risks:
        for item in risk.likelihood.values():
            for language in catalogue.languages:
                assert item.counted[language].strip(), (risk.id, language)
            citation = catalogue.sources[item.source]
            if item.out_of is not None:  # a number: a published source with a DOI or address
                assert "doi:" in citation or "https://" in citation, risk.id
    for name, ids in catalogue.statement_sources.items():
        for source in ids:
            assert "doi:" in catalogue.sources[source], (name, source)


def test_no_internal_words_in_sources_or_patient_texts():
    catalogue = load_catalogue(resources.default_risks())
    texts = list(catalogue.sources.values())
    texts += [t for risk in catalogue.risks for f in ("title", "explanation", "if_it_happens")
              for t in getattr(risk, f).values()]
    texts += [t for s in catalogue.statements.values() for t in s.values()]
    for text in texts:
        assert "docgen" not in text.lower() and "seed" not in text.lower(), text


def test_a_figure_without_what_was_counted_is_refused(risks_copy):
    path = risks_copy / "infection.yaml"
    path.write_text(path.read_text().replace("    counted:\n", "    not_counted:\n", 1))
    with pytest.raises(CatalogueError, match=r"likelihood\.vertebroplasty\.counted"):
        load_catalogue(risks_copy)


def test_a_contradiction_naming_an_unknown_rule_is_refused(risks_copy):
    path = risks_copy / "rules.yaml"
    path.write_text(path.read_text().replace("rules: [osteoporosis-benefit, tumour-benefit]",
                                             "rules: [osteoporosis-benefit, no-such-rule]"))
    with pytest.raises(CatalogueError, match="no-such-rule"):
        load_catalogue(risks_copy)
