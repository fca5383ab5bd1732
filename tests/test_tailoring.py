"""Tailoring and safety rules (risks/rules.yaml), read back from the PDFs and from `docgen risks`."""

from datetime import date

import pytest
from conftest import TODAY, flat, pages_text

from docgen import resources
from docgen.content.catalogue import load_catalogue
from docgen.content.tailoring import tailor
from docgen.input.records import Vocabulary, parse_case

CATALOGUE = load_catalogue(resources.default_risks())
COPD_NOTE = "You have COPD or another lung disease"
THINNER_RISK_NOTE = "You take blood thinners. This makes bleeding more likely for you."
THINNER_BEFORE = "Stop them before the treatment only when the team tells you to"
THINNER_AFTER = "Start them again only on the day the team told you"
MANY_LEVELS = "You are having 3 or more bones treated"
NINE_IN_TEN = "About 9 in 10 people"
LOWER_SUCCESS = "the treatment works less often"
PARENT = "Person with parental responsibility"
DAY = date.fromisoformat(TODAY)


def document_text(run, patient, out_dir, document="consent", *extra, **fields):
    result = run(document, patient(**fields), "-o", out_dir, "--force", *extra)
    assert result.exit_code == 0, result.output
    return flat(" ".join(pages_text(out_dir / result.stdout.strip().split("/")[-1])))


def case(**fields):
    raw = {"mrn": "1", "given_name": "A", "family_name": "B", "date_of_birth": "1941-03-02",
           "procedure": "vertebroplasty", "levels": "L1", **fields}
    vocabulary: Vocabulary = CATALOGUE.vocabulary
    return parse_case(raw, document="", vocabulary=vocabulary, source="t")


def fired(**fields):
    return {rule.id for rule in tailor(CATALOGUE, case(**fields), "consent", DAY).fired}


def emphasised(**fields):
    return {t.risk.id for t in tailor(CATALOGUE, case(**fields), "consent", DAY).risks if t.emphasised}


def test_no_rule_emphasises_anything_for_a_plain_case():
    assert emphasised() == set()
    assert fired() == {"osteoporosis-benefit", "vertebroplasty-needles"}


@pytest.mark.parametrize("factor", ["copd", "severe_lung_disease"])
def test_lung_disease_emphasises_breathing_risk(factor):
    assert emphasised(comorbidities=factor) == {"respiratory-compromise"}


def test_copd_note_on_the_form_only_for_copd(run, patient, out_dir):
    assert COPD_NOTE in document_text(run, patient, out_dir, comorbidities="copd")
    assert COPD_NOTE not in document_text(run, patient, out_dir, comorbidities="anticoagulants")


def test_blood_thinners_on_consent_and_aftercare(run, patient, out_dir):
    consent = document_text(run, patient, out_dir, comorbidities="anticoagulants")
    assert THINNER_RISK_NOTE in consent and THINNER_BEFORE in consent
    aftercare = document_text(run, patient, out_dir, "aftercare", comorbidities="anticoagulants")
    assert THINNER_AFTER in aftercare
    plain = document_text(run, patient, out_dir)
    assert THINNER_RISK_NOTE not in plain and THINNER_BEFORE not in plain
    assert THINNER_AFTER not in document_text(run, patient, out_dir, "aftercare")


def test_three_levels_emphasise_lungs_and_cement(run, patient, out_dir):
    assert emphasised(levels="T11;T12;L1") == {"respiratory-compromise", "cement-embolism"}
    assert emphasised(levels="T12;L1") == set()
    text = document_text(run, patient, out_dir, levels="T11;T12;L1")
    assert text.count(MANY_LEVELS) == 2
    assert MANY_LEVELS not in document_text(run, patient, out_dir, levels="T12;L1")


@pytest.mark.parametrize("indication", ["metastasis", "myeloma", "hemangioma"])
def test_tumour_indications_do_not_quote_nine_in_ten(run, patient, out_dir, indication):
    text = document_text(run, patient, out_dir, indication=indication)
    assert LOWER_SUCCESS in text and NINE_IN_TEN not in text


def test_osteoporosis_quotes_nine_in_ten(run, patient, out_dir):
    text = document_text(run, patient, out_dir, indication="osteoporosis")
    assert NINE_IN_TEN in text and LOWER_SUCCESS not in text
    trauma = document_text(run, patient, out_dir, indication="trauma")
    assert NINE_IN_TEN not in trauma and LOWER_SUCCESS not in trauma


def test_needles_and_balloon_by_procedure(run, patient, out_dir):
    kypho = document_text(run, patient, out_dir, procedure="kyphoplasty")
    assert "Usually 2 needles go into each bone. A balloon is used." in kypho
    vert = document_text(run, patient, out_dir, procedure="vertebroplasty")
    assert "Often only 1 needle goes into each bone. No balloon is used." in vert
    assert "A balloon is used" not in vert


def test_under_18_on_the_procedure_date_adds_parental_signature(run, patient, out_dir):
    # 18th birthday is the day after the procedure: still a child on the day
    child = document_text(run, patient, out_dir, date_of_birth="2008-11-21", procedure_date="2026-11-20")
    assert PARENT in child and "Relationship to the patient" in child
    adult = document_text(run, patient, out_dir, date_of_birth="2008-11-20", procedure_date="2026-11-20")
    assert PARENT not in adult


def test_copd_with_three_levels_is_refused_with_reason(run, patient, out_dir):
    result = run("consent", patient(comorbidities="copd", levels="T11;T12;L1"), "-o", out_dir)
    assert result.exit_code == 1
    assert "comorbidities,levels: refused by safety rule lung-disease-level-limit" in result.stderr
    assert "--override" in result.stderr
    assert not out_dir.exists() or not list(out_dir.iterdir())


def test_copd_with_two_levels_is_allowed(run, patient, out_dir):
    assert run("consent", patient(comorbidities="copd", levels="T12;L1"), "-o", out_dir).exit_code == 0


def test_override_prints_the_reason_on_the_form(run, patient, out_dir):
    text = document_text(run, patient, out_dir, "consent", "--override", "Agreed at spinal MDT 2026-11-18",
                         comorbidities="copd", levels="T11;T12;L1")
    assert "A safety rule was overridden. Reason given by the clinician: Agreed at spinal MDT 2026-11-18" in text
    assert "more than 2 levels at one time" in text


def test_override_in_the_record_works_too(run, patient, out_dir):
    text = document_text(run, patient, out_dir, comorbidities="copd", levels="T11;T12;L1",
                         override="Single session needed <urgent>")
    assert "Reason given by the clinician: Single session needed <urgent>" in text


def test_override_is_not_printed_when_no_rule_refused(run, patient, out_dir):
    text = document_text(run, patient, out_dir, "consent", "--override", "not needed")
    assert "safety rule was overridden" not in text


def test_typo_comorbidity_never_silently_drops_copd(run, patient, out_dir):
    result = run("consent", patient(comorbidities="cpod", levels="T11;T12;L1"), "-o", out_dir)
    assert result.exit_code == 1
    assert "not a known comorbidity (known: copd, severe_lung_disease, anticoagulants)" in result.stderr


def test_docgen_risks_lists_the_catalogue(run):
    result = run("risks", "--procedure", "kyphoplasty")
    assert result.exit_code == 0
    assert "Kyphoplasty" in result.stdout and "Vertebroplasty" not in result.stdout
    assert "Cement leaking out of the bone  Common: about 9 in 100" in result.stdout
    both = run("risks").stdout
    assert "Very common: about 4 in 10" in both and "Common: about 9 in 100" in both


def test_docgen_risks_for_a_patient_shows_fired_rules_and_why(run, patient):
    result = run("risks", "--patient", patient(comorbidities="copd", levels="T11;T12;L1", clinician=None))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "lung-disease-breathing: COPD or severe lung disease" in out
    assert "many-levels-lungs:" in out
    assert "Refused unless a clinician overrides" in out and "lung-disease-level-limit" in out
    assert "*  Serious breathing problems" in out
    assert "*  Cement reaching the lungs" in out
    assert "*  Bleeding" not in out


def test_aftercare_is_never_refused_by_the_level_limit(run, patient, out_dir):
    # The procedure has happened: the patient needs the sheet, and its warnings, whatever was done.
    text = document_text(run, patient, out_dir, "aftercare", comorbidities="copd", levels="T11;T12;L1")
    assert "new weakness or numbness in your legs" in text
