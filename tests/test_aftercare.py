"""The aftercare sheet's advice, read back from the PDF: who gets what, in English and Spanish."""

import re
from datetime import date

import pytest
import yaml
from conftest import flat, pages_text
from test_documents import make

from docgen.content.catalogue import load_catalogue
from docgen.content.settings import load_site
from docgen.content.tailoring import tailor
from docgen.errors import CatalogueError, TemplateError
from docgen.input.records import parse_case
from docgen.resources import default_risks, default_templates

CATALOGUE = load_catalogue(default_risks())
ALWAYS = ["sedation", "driving", "needle_site", "activity", "pain", "emergency_signs", "same_day_signs"]


def sheet_text(run, patient, out_dir, **fields):
    return flat(" ".join(pages_text(make(run, patient, out_dir, "aftercare", **fields))))


def cited(text):
    """Source number -> citation, as listed under the last heading."""
    listed = text.split("Where this advice comes from", 1)[1] if "Where this advice" in text \
        else text.split("De dónde salen estos consejos", 1)[1]
    return {int(n): rest for n, rest in re.findall(r"\[(\d+)\] (.+?)(?= \[\d+\] |$)", listed)}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("procedure", ["vertebroplasty", "kyphoplasty"])
def test_every_piece_of_advice_prints_with_its_source(run, patient, out_dir, procedure, language):
    text = sheet_text(run, patient, out_dir, procedure=procedure, language=language,
                      indication="osteoporosis")
    sources = cited(text)
    for section in [*ALWAYS, "bone_health"]:
        for item in CATALOGUE.aftercare.advice[section]:
            match = re.search(re.escape(item.text[language]) + r" \[(\d+)\]", text)
            assert match, (section, item.text[language])
            # the number beside the advice leads to that advice's source in the list
            assert sources[int(match.group(1))].startswith(CATALOGUE.sources[item.source][:40])


def test_the_advice_the_issue_asks_for_in_plain_words(run, patient, out_dir):
    text = sheet_text(run, patient, out_dir)
    for part in [
        # 24 hours after sedation
        "For 24 hours after the sedation", "Do not drive, ride a bike or use machines.",
        "Do not use a cooker or a kettle.", "Do not drink alcohol.", "Do not sign legal papers",
        "An adult should stay with you for these 24 hours, and through the night.",
        # driving again
        "Do not drive for 2 days after the treatment, or for longer if the team tells you.",
        # needle sites
        "Take the small dressings off after 1 to 2 days", "Wait 1 to 2 days before you have a shower.",
        "Do not have a bath, swim or use a hot tub until the cuts have healed",
        # comfort and activity
        "ice pack", "Take short walks.", "back brace", "do not lift anything heavier than 4.5 kg (10 pounds)",
        # pain and constipation
        "Take your pain medicine as the team told you.", "(constipation)", "laxative",
        # warning signs with thresholds and whom to call
        "a temperature of 38 °C (100.4 °F) or more", "shooting pain down your legs",
        "bleeding or fluid leaking from a needle site", "Phone 999 or go to the emergency department",
        "In the daytime phone 01632 960 000. In the evening, at night or at the weekend phone 01632 960 001.",
        # follow-up: who and when (site settings)
        "A nurse from the Interventional Radiology team will phone you within 2 weeks.",
    ]:
        assert part in text, part


def test_spanish_sheet_says_the_same(run, patient, out_dir):
    text = sheet_text(run, patient, out_dir, language="es", procedure="kyphoplasty")
    for part in ["Durante las 24 horas después de la sedación", "No beba alcohol.",
                 "4,5 kg (10 libras)", "38 °C o más", "un dolor como una descarga que baja por las piernas",
                 "Una enfermera del equipo de Radiología Intervencionista le llamará en el plazo de 2 semanas.",
                 "Tiene 4 pequeños cortes en la espalda (normalmente 2 por cada hueso tratado).",
                 "el 20 de noviembre de 2026 le hicieron una cifoplastia"]:
        assert part.lower() in text.lower(), part


@pytest.mark.parametrize("procedure,levels,expected", [
    ("vertebroplasty", "L1", "You have 1 to 2 small cuts on your back (1 or 2 for each bone treated)."),
    ("vertebroplasty", "T12;L1", "You have 2 to 4 small cuts on your back (1 or 2 for each bone treated)."),
    ("kyphoplasty", "L1", "You have 2 small cuts on your back (usually 2 for each bone treated)."),
    ("kyphoplasty", "T11;T12;L1", "You have 6 small cuts on your back (usually 2 for each bone treated)."),
])
def test_number_of_needle_sites_by_procedure_and_levels(run, patient, out_dir, procedure, levels, expected):
    text = sheet_text(run, patient, out_dir, procedure=procedure, levels=levels)
    assert expected in text
    assert "There is a small cut" not in text
    number = int(re.search(re.escape(expected) + r" Each has a small dressing on it. \[(\d+)\]", text).group(1))
    source = ("Hull University Teaching Hospitals" if procedure == "vertebroplasty"
              else "kyphoplasty generally needs 2 needles in each bone")
    assert source in cited(text)[number]


@pytest.mark.parametrize("indication", ["osteoporosis", "metastasis", "myeloma", "hemangioma", "trauma"])
def test_bone_health_rule_fires_for_osteoporosis_only(indication):
    raw = {"mrn": "T-1", "given_name": "A", "family_name": "B", "date_of_birth": "1941-03-02",
           "procedure": "vertebroplasty", "levels": "L1", "indication": indication,
           "procedure_date": "2026-11-20"}
    case = parse_case(raw, document="aftercare", vocabulary=CATALOGUE.vocabulary, source="t")
    fired = tailor(CATALOGUE, case, "aftercare", date(2026, 11, 24))
    assert ("bone_health" in fired.aftercare) == (indication == "osteoporosis")
    assert ("osteoporosis-bone-health" in [r.id for r in fired.fired]) == (indication == "osteoporosis")


@pytest.mark.parametrize("indication", ["osteoporosis", "trauma"])
def test_bone_health_advice_on_the_sheet_only_for_thin_bones(run, patient, out_dir, indication):
    text = sheet_text(run, patient, out_dir, indication=indication)
    shown = indication == "osteoporosis"
    assert ("Keeping your bones strong" in text) == shown
    assert ("bone density scan (DXA scan)" in text) == shown
    # a source no advice on this sheet uses is not listed
    assert ("Royal Osteoporosis Society" in text) == shown


@pytest.mark.parametrize("comorbidities,times", [("anticoagulants", 1), (None, 0)])
def test_blood_thinner_restart_advice_once(run, patient, out_dir, comorbidities, times):
    text = sheet_text(run, patient, out_dir, comorbidities=comorbidities)
    assert text.count("blood thinners") == times
    assert text.count("Start them again only on the day the team told you.") == times


def test_every_cited_number_is_listed_once(run, patient, out_dir):
    text = sheet_text(run, patient, out_dir, procedure="kyphoplasty", comorbidities="anticoagulants")
    body, listed = text.split("Where this advice comes from", 1)
    used = {int(n) for n in re.findall(r"\[(\d+)\]", body)}
    numbers = [int(n) for n in re.findall(r"\[(\d+)\] ", listed)]
    assert numbers == list(range(1, len(numbers) + 1))
    assert used == set(numbers)


def test_advice_without_a_known_source_is_refused(risks_copy):
    index = risks_copy / "catalogue.yaml"
    index.write_text(index.read_text(encoding="utf-8").replace(
        "source: glos_sedation2022", "source: nowhere_2020", 1), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"aftercare\.advice\.sedation\[0\]\.source: 'nowhere_2020'"):
        load_catalogue(risks_copy)


def test_rule_adding_an_unknown_aftercare_section_is_refused(risks_copy):
    rules = risks_copy / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "aftercare: [bone_health]", "aftercare: [bone_strength]", 1), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"rules\.yaml: rules\[\d+\]\.aftercare: unknown aftercare section "
                                             r"'bone_strength' \(known: sedation, "):
        load_catalogue(risks_copy)


def test_site_without_follow_up_is_refused(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    site = yaml.safe_load((default_templates() / "site.yaml").read_text(encoding="utf-8"))
    del site["follow_up_weeks"]
    (templates / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TemplateError, match="follow_up_weeks"):
        load_site(templates)
