"""Consent form v2 (issue 12): every element of the model consent forms, read back from the PDF,
for both procedures in English and Spanish; new record fields; plain words everywhere."""

from pathlib import Path

import pytest
import yaml
from conftest import flat, pages_text

from docgen import resources
from docgen.content import readability, translations
from docgen.content.catalogue import load_catalogue
from docgen.content.settings import load_site

MODEL_FORMS = yaml.safe_load((Path(__file__).parent / "data" / "model_consent_forms.yaml").read_text("utf-8"))
ELEMENTS = [(form, item) for form, items in MODEL_FORMS.items() for item in items]
FULL_RECORD = {"clinician_job_title": "Consultant interventional radiologist", "anaesthesia": "local;sedation"}


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """The consent form for both procedures in both languages, made once for this module."""
    from click.testing import CliRunner
    from conftest import BASE_PATIENT

    from docgen.cli import main

    folder = tmp_path_factory.mktemp("forms")
    texts = {}
    for procedure in ("vertebroplasty", "kyphoplasty"):
        for language in ("en", "es"):
            record = folder / f"{procedure}-{language}.yaml"
            record.write_text(yaml.safe_dump({**BASE_PATIENT, **FULL_RECORD, "procedure": procedure,
                                              "language": language}), encoding="utf-8")
            out = folder / f"{procedure}-{language}"
            result = CliRunner().invoke(main, ["consent", str(record), "-o", str(out)])
            assert result.exit_code == 0, result.output
            texts[procedure, language] = flat(" ".join(pages_text(next(out.glob("*.pdf")))))
    return texts


def test_model_form_lists_are_not_empty():
    assert len(MODEL_FORMS["nhs_consent_form_1"]) >= 20 and len(MODEL_FORMS["cms_interpretive_guidance"]) >= 10


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("procedure", ["vertebroplasty", "kyphoplasty"])
def test_every_model_form_element_is_printed(forms, procedure, language):
    text = forms[procedure, language]
    missing = [f"{form}: {item['element']} ({item['where']}): {printed!r}"
               for form, item in ELEMENTS for printed in item["printed"][language] if printed not in text]
    assert missing == []


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_internal_words_on_a_patients_page(forms, language):
    for procedure in ("vertebroplasty", "kyphoplasty"):
        # The scan code's own label (DOCGEN|mrn|...) is the filing code, not patient text.
        text = " ".join(w for w in forms[procedure, language].split() if not w.startswith("DOCGEN|"))
        assert "docgen" not in text.lower() and "seed" not in text.lower()


def test_every_printed_figure_has_a_numbered_source_with_doi_or_address(forms):
    import re

    text = forms["kyphoplasty", "en"]
    listed = dict(re.findall(r"\[(\d+)\] ([A-Z\"].*?)(?= \[\d+\] |$)", text.split("Where the numbers come from")[1]))
    cited = set(re.findall(r"about \d+ in [\d,]+ \[(\d+)\]", text))
    assert cited, "no figures found"
    for number in cited:
        assert "doi:" in listed[number] or "https://" in listed[number], listed[number]


def test_an_unknown_anaesthesia_word_lists_the_known_ones(run, patient, out_dir):
    result = run("consent", patient(anaesthesia="local;spinal"), "-o", out_dir)
    assert result.exit_code == 1
    assert "anaesthesia: item 2 not a known anaesthesia (known: local, sedation, general)" in result.stderr


def test_without_job_title_or_anaesthesia_there_is_room_to_write(run, patient, out_dir):
    result = run("consent", patient(), "-o", out_dir)
    assert result.exit_code == 0, result.output
    text = flat(" ".join(pages_text(out_dir / result.stdout.strip().split("/")[-1])))
    assert "Job title Help you need" in text  # the job title row is there, empty to write in
    assert "X Local" not in text and "X Sedation" not in text and "X General" not in text


def test_levels_are_explained_in_words(forms):
    assert "T12: the lowest bone of your upper back" in forms["vertebroplasty", "en"]
    assert "L1: the top bone of your lower back" in forms["vertebroplasty", "en"]
    assert "L1: el hueso más alto de la parte baja de la espalda" in forms["vertebroplasty", "es"]


def test_every_patient_text_is_at_grade_8_or_below():
    catalogue = load_catalogue(resources.default_risks())
    site = load_site(resources.default_templates())
    site_texts = [(f"minors {band.age_under}", band.text) for band in site.minors]
    grades = readability.grades(catalogue, translations.messages(resources.default_templates()), site_texts)
    assert len(grades) > 150
    assert [str(g) for g in grades if g.too_hard] == []


def test_spanish_mends_the_weak_sentences(forms):
    text = forms["vertebroplasty", "es"]
    assert "adormece la piel" in text and "duerme la piel" not in text
    assert "huesos finos" not in text
