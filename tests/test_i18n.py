"""Spanish documents read back from the PDF; message catalogues; a third language, files only."""

import re
import shutil

import pytest
import yaml
from conftest import flat, pages_text

from docgen import resources
from docgen.content import translations
from docgen.content.catalogue import load_catalogue
from docgen.content.readability import catalogue_texts
from docgen.layout import render

PROCEDURES = ["vertebroplasty", "kyphoplasty"]
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def make(run, patient, out_dir, document, *options, **fields):
    result = run(document, patient(**fields), "-o", out_dir, *options)
    assert result.exit_code == 0, result.output
    return out_dir / result.stdout.strip().splitlines()[-1].split("/")[-1]


def english_sentences() -> list[str]:
    """Every piece of English text a template or the catalogue can print, of three words or more
    (placeholders split a message into the literal pieces around them)."""
    templates = resources.default_templates()
    pieces = []
    for message in translations.messages(templates):
        for text in message.texts:
            pieces.extend(p.strip(" .:") for p in _PLACEHOLDER.split(text))
    catalogue = load_catalogue(resources.default_risks())
    pieces.extend(text["en"] for _, text in catalogue_texts(catalogue))
    return [p for p in dict.fromkeys(pieces) if len(p.split()) >= 3]


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_spanish_consent_form(run, patient, out_dir, procedure):
    path = make(
        run,
        patient,
        out_dir,
        "consent",
        language="es",
        procedure=procedure,
        comorbidities="anticoagulants",
    )
    pages = [flat(t) for t in pages_text(path)]
    name = {"vertebroplasty": "Vertebroplastia", "kyphoplasty": "Cifoplastia"}[procedure]
    for i, text in enumerate(pages, start=1):
        assert f"Consentimiento: {name}" in text
        assert "Nacimiento 2 de marzo de 1941" in text
        assert f"Página {i} de {len(pages)}" in text
        version = render.template_controls(resources.default_templates(), "consent")[0].version
        catalogue = load_catalogue(resources.default_risks()).version
        assert f"Plantilla consent {version}" in text and f"Catálogo de riesgos {catalogue}" in text
    text = " ".join(pages)
    for part in [
        "Por qué le hacen este tratamiento",
        "Usted tiene un hueso roto en la columna",
        "Riesgos",
        "Sangrado",
        "Infección",
        "Un nuevo hueso roto",
        "Otras opciones",
        "fisioterapia",
        "Usted toma anticoagulantes",
        "Acepto que me hagan el tratamiento",
        "Testigo",
        "Intérprete",
        "Profesional sanitario responsable",
        "De dónde salen las cifras",
        "20 de noviembre de 2026",
        "T12, L1 (2 huesos)",
        "Poco frecuente: alrededor de 1 de cada",
    ]:
        assert part in text, part
    assert ("El globo se infla" in text) == (procedure == "kyphoplasty")


def test_spanish_aftercare_sheet(run, patient, out_dir):
    path = make(run, patient, out_dir, "aftercare", language="es", comorbidities="anticoagulants")
    text = flat(" ".join(pages_text(path)))
    for part in [
        "Tras su vertebroplastia: en casa",
        "El 20 de noviembre de 2026 le hicieron una vertebroplastia",
        "Señales de alarma: pida ayuda rápido",
        "Llame al 999 o vaya a urgencias enseguida",
        "Vuelva a tomarlos solo el día que le dijo el equipo",
        "Seguimiento y a quién llamar",
    ]:
        assert part in text, part


@pytest.mark.parametrize("document", ["consent", "aftercare"])
@pytest.mark.parametrize("large_print", ["no", "yes"])
def test_spanish_documents_carry_no_english_boilerplate(
    run, patient, out_dir, document, large_print
):
    # The rule texts for lung disease, blood thinners, 3 levels and a tumour all print.
    path = make(
        run,
        patient,
        out_dir,
        document,
        "--override",
        "Agreed by the team",
        language="es",
        large_print=large_print,
        comorbidities="copd;anticoagulants",
        levels="T10;T11;T12",
        indication="metastasis",
    )
    text = flat(" ".join(pages_text(path)))
    # Citations name published papers and stay as published: not boilerplate.
    for citation in load_catalogue(resources.default_risks()).sources.values():
        text = text.replace(flat(citation), "")
    sentences = english_sentences()
    assert len(sentences) > 80
    found = [s for s in sentences if flat(s) in text]
    assert found == []


def test_english_documents_are_unchanged_by_the_translation(run, patient, out_dir):
    text = flat(" ".join(pages_text(make(run, patient, out_dir, "consent"))))
    assert "Consent form: Vertebroplasty" in text and "Born 2 March 1941" in text
    assert "Consentimiento" not in text and "Riesgos" not in text
    # the boilerplate test above would see English: here it finds plenty
    assert len([s for s in english_sentences() if flat(s) in text]) > 40


def test_babel_formats_dates_and_numbers_per_locale():
    templates = resources.default_templates()
    source = "{{ day|longdate }} · {{ n|number }}"
    import datetime

    day = datetime.date(1936, 9, 30)
    es = render.environment(templates, "es").from_string(source)
    en = render.environment(templates, "en").from_string(source)
    assert es.render(day=day, n=12345, locale="es_ES") == "30 de septiembre de 1936 · 12.345"
    assert en.render(day=day, n=12345, locale="en_GB") == "30 September 1936 · 12,345"


def test_environment_is_cached_per_templates_and_language():
    templates = resources.default_templates()
    assert render.environment(templates, "es") is render.environment(templates, "es")
    assert render.environment(templates, "es") is not render.environment(templates, "en")
    assert render.environment(templates, "es").from_string("{{ _('Risks') }}").render() == "Riesgos"
    assert render.environment(templates, "en").from_string("{{ _('Risks') }}").render() == "Risks"


def test_shipped_catalogues_are_complete_and_compiled():
    templates = resources.default_templates()
    assert translations.catalogue_languages(templates) == ("es",)
    assert translations.mo_path(templates, "es").is_file()
    assert translations.problems(templates, "es") == []


def test_docgen_messages_keeps_translations_and_marks_new_text(tmp_path, run):
    templates = shutil.copytree(resources.default_templates(), tmp_path / "templates")
    path = templates / "aftercare.rml.j2"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '{{ blocks.heading(_("Pain")) }}',
            '{{ blocks.heading(_("Pain")) }}\n'
        '  <para style="body">{{ _("Drink plenty of water.") }}</para>',
        ),
        encoding="utf-8",
    )
    result = run("messages", "--templates", templates)
    assert result.exit_code == 0, result.output
    assert "1 need a translation" in result.output
    problems = translations.problems(templates, "es")
    assert [p for p in problems if "no 'es' translation for 'Drink plenty of water.'" in p]
    assert not [p for p in problems if "out of date" in p]  # compiled from the updated .po


def test_unknown_language_is_refused(run, patient, out_dir):
    result = run("consent", patient(language="fr"), "-o", out_dir)
    assert result.exit_code == 1
    assert "language: not a known language (known: en, es)" in result.output


def _add_language(data, new, like):
    """Give every text that has `like` a `new` field with the same words (a stand-in)."""
    if isinstance(data, dict):
        if like in data and "en" in data and isinstance(data[like], str):
            data[new] = data[like]
        for value in data.values():
            _add_language(value, new, like)
    elif isinstance(data, list):
        for value in data:
            _add_language(value, new, like)


def test_a_third_language_needs_files_only(tmp_path, run, patient, out_dir):
    """French (here a copy of the Spanish words) added by files alone: catalogue fields, a
    translation control, a message catalogue and a site locale. No code changes."""
    templates = shutil.copytree(resources.default_templates(), tmp_path / "templates")
    risks = shutil.copytree(resources.default_risks(), tmp_path / "risks")
    for path in risks.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        _add_language(data, "fr", "es")
        if path.name == "catalogue.yaml":
            data["languages"].append("fr")
            data["translations"]["fr"] = data["translations"]["es"]
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    shutil.copytree(templates / "locale/es", templates / "locale/fr")
    site = templates / "site.yaml"
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    _add_language(data, "fr", "es")  # the site's texts for patients under 18
    data["locales"]["fr"] = "fr_FR"
    site.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    options = ["--templates", templates, "--risks", risks]
    checked = run("check", *options)
    assert checked.exit_code == 0, checked.output
    assert "en, es, fr x standard and large print" in checked.output
    path = make(run, patient, out_dir, "consent", *options, language="fr")
    text = flat(" ".join(pages_text(path)))
    assert "2 mars 1941" in text  # Babel's French month, from the site locale
    assert "Consentimiento: Vertebroplastia" in text


def test_an_unknown_site_locale_is_a_one_line_error(tmp_path, run, patient, out_dir):
    templates = shutil.copytree(resources.default_templates(), tmp_path / "templates")
    site = templates / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8").replace("es: es_ES", "es: xx_YY"),
                    encoding="utf-8")
    result = run("consent", patient(language="es"), "-o", out_dir, "--templates", templates)
    assert result.exit_code == 2
    assert "locales.es: 'xx_YY' is not a locale Babel knows" in result.output
    assert "Traceback" not in result.output
    checked = run("check", "--templates", templates)
    assert checked.exit_code == 1
    assert "locales.es: 'xx_YY' is not a locale Babel knows" in checked.output
