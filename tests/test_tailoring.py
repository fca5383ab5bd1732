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
NINE_IN_TEN = "about 9 in 10 said their pain was at least a little better"
SHAM = ("In trials that compared vertebroplasty with a pretend treatment, "
        "people who had the real treatment did little or no better")
LOWER_SUCCESS = "How well it works for you is less certain"
PARENT = "Person with parental responsibility"
DAY = date.fromisoformat(TODAY)
TWO_LEVEL_PROMISE = "no more than 2 bones will be treated at one time"


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
    assert NINE_IN_TEN in text and SHAM in text and LOWER_SUCCESS not in text
    # both halves of the evidence carry their source numbers
    assert "Your doctor can talk to you about this. [1, 2]" in text
    assert "[1] Hulme PA" in text and "[2] Buchbinder R" in text
    trauma = document_text(run, patient, out_dir, indication="trauma")
    assert NINE_IN_TEN not in trauma and LOWER_SUCCESS not in trauma


def test_needles_and_balloon_by_procedure(run, patient, out_dir):
    kypho = document_text(run, patient, out_dir, procedure="kyphoplasty")
    assert "Usually 2 needles go into each bone. A balloon is used." in kypho
    vert = document_text(run, patient, out_dir, procedure="vertebroplasty")
    assert "Often only 1 needle goes into each bone. No balloon is used." in vert
    assert "A balloon is used" not in vert


def test_under_16_in_england_adds_parental_signature_if_not_competent(run, patient, out_dir):
    # 16th birthday is the day after the procedure: under 16 on the day
    child = document_text(run, patient, out_dir, date_of_birth="2010-11-21", procedure_date="2026-11-20")
    assert PARENT in child and "Relationship to the patient" in child
    assert "You are under 16. The doctor will check that you understand the treatment" in child


def test_16_and_17_in_england_consent_like_adults(run, patient, out_dir):
    young = document_text(run, patient, out_dir, date_of_birth="2008-11-21", procedure_date="2026-11-20")
    assert "You are 16 or 17. The law treats you as able to agree" in young
    assert PARENT not in young
    adult = document_text(run, patient, out_dir, date_of_birth="2008-11-20", procedure_date="2026-11-20")
    assert PARENT not in adult and "You are 16 or 17" not in adult


def test_united_states_site_asks_a_parent_or_guardian_under_18(run, patient, out_dir, tmp_path):
    import shutil
    templates = shutil.copytree(resources.default_templates(), tmp_path / "templates")
    site = templates / "site.yaml"
    site.write_text(site.read_text().replace("jurisdiction: england", "jurisdiction: united_states"))
    text = document_text(run, patient, out_dir, "consent", "--templates", templates,
                         date_of_birth="2008-11-21", procedure_date="2026-11-20")
    assert "Parent or legal guardian" in text and "You are under 18" in text


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
    assert ("Your team talked about this and decided to treat more bones this time. "
            "Their reason: Agreed at spinal MDT 2026-11-18") in text
    # patient's words only: no clinician's rule text, no "safety rule was not followed"
    assert "Rule:" not in text and "safety rule" not in text.lower()
    # and never the promise it breaks beside the plan
    assert TWO_LEVEL_PROMISE not in text and MANY_LEVELS in text


def test_override_in_the_record_works_too(run, patient, out_dir):
    text = document_text(run, patient, out_dir, comorbidities="copd", levels="T11;T12;L1",
                         override="Single session needed <urgent>")
    assert "Their reason: Single session needed <urgent>" in text


def test_override_is_not_printed_when_no_rule_refused(run, patient, out_dir):
    text = document_text(run, patient, out_dir, "consent", "--override", "not needed")
    assert "Their reason" not in text


def test_typo_comorbidity_never_silently_drops_copd(run, patient, out_dir):
    result = run("consent", patient(comorbidities="cpod", levels="T11;T12;L1"), "-o", out_dir)
    assert result.exit_code == 1
    assert "not a known comorbidity (known: copd, severe_lung_disease, anticoagulants)" in result.stderr


def test_docgen_risks_lists_the_catalogue(run):
    result = run("risks", "--procedure", "kyphoplasty")
    assert result.exit_code == 0
    assert "Kyphoplasty" in result.stdout and "Vertebroplasty" not in result.stdout
    assert "Cement leaking out of the bone, seen on scans  Common: about 9 in 100" in result.stdout
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


def test_copd_within_the_limit_promises_two_bones(run, patient, out_dir):
    text = document_text(run, patient, out_dir, comorbidities="copd", levels="T12;L1")
    assert TWO_LEVEL_PROMISE in text and MANY_LEVELS not in text


def test_no_contradiction_in_any_combination_of_rule_conditions():
    from docgen.content.settings import load_site
    from docgen.content.tailoring import condition_cases, contradictions_found
    site_ages = tuple(band.age_under for band in load_site(resources.default_templates()).minors)
    cases = list(condition_cases(CATALOGUE, site_ages))
    # the matrix covers every procedure, indication, comorbidity set, level count and age band
    assert {c.procedure for c, _ in cases} == {"vertebroplasty", "kyphoplasty"}
    assert {c.indication for c, _ in cases} == set(CATALOGUE.indications)
    assert len({c.comorbidities for c, _ in cases}) == 2 ** len(CATALOGUE.comorbidities)
    assert {len(c.levels) for c, _ in cases} >= {1, 2, 3}
    assert {c.age_on(c.procedure_date) for c, _ in cases} >= {15, 16, 17, 80}
    assert contradictions_found(CATALOGUE, site_ages) == []


def test_the_matrix_finds_a_contradiction_when_one_exists(tmp_path):
    import shutil
    risks = shutil.copytree(resources.default_risks(), tmp_path / "risks")
    rules = risks / "rules.yaml"
    # drop the condition that keeps the two-bone promise away from a 3-level plan
    rules.write_text(rules.read_text().replace("      levels_at_most: 2\n", "", 1))
    found = contradictions_found_in(risks)
    assert found and all("lung-disease-level-promise" in f for f in found)
    assert any("3 levels" in f and "copd" in f for f in found)


def contradictions_found_in(folder):
    from docgen.content.tailoring import contradictions_found
    return contradictions_found(load_catalogue(folder))
